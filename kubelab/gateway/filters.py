"""HTTPRoute filters: what RequestRedirect, URLRewrite, the header modifiers and RequestMirror do to a request.

Upstream (Gateway API v1.4.0, ``apis/v1/httproute_types.go``): ``HTTPRequestRedirectFilter``
(scheme, hostname, path, port, statusCode 302 by default; the port is the filter's, else
the well-known port of the filter's scheme, else the listener's; no ``:80`` for http and
no ``:443`` for https in ``Location``), ``HTTPPathModifier`` (``ReplaceFullPath``,
``ReplacePrefixMatch`` with the table of the type's comment), ``HTTPURLRewriteFilter``
(hostname and path of the forwarded request), ``HTTPHeaderFilter`` (``set`` overwrites,
``add`` appends, ``remove`` drops; names case-insensitive) and
``HTTPRequestMirrorFilter`` (a copy of the request to another backend, its response
ignored).  Conformance: ``conformance/tests/httproute-request-redirect.yaml``,
``httproute-redirect-port.yaml``, ``httproute-redirect-scheme.yaml``,
``httproute-redirect-path.yaml``, ``httproute-rewrite-path.yaml``,
``httproute-request-header-modifier.yaml``, ``httproute-response-header-modifier.yaml``,
``httproute-request-mirror.yaml``.

Simplification: the model keeps one value per header name; ``add`` to an existing header
joins the values with ``,`` (how a proxy folds repeated headers).  The query string is
kept on redirects (the spec is silent; Envoy keeps it).

Examples
--------
>>> replace_prefix("/foo/bar", "/foo", "/xyz/"), replace_prefix("/foo/", "/foo", ""), replace_prefix("/foo", "/foo", "/xyz")
('/xyz/bar', '/', '/xyz')
>>> location("http", "example.com", 80, "/a", "")
'http://example.com/a'
>>> location("https", "example.com", 8443, "/a", "x=1")
'https://example.com:8443/a?x=1'
"""

from __future__ import annotations

from typing import Any

__all__ = ["replace_prefix", "modify_path", "modify_headers", "location", "redirect", "WELL_KNOWN_PORTS"]

WELL_KNOWN_PORTS = {"http": 80, "https": 443}


def replace_prefix(path: str, prefix: str, replacement: str) -> str:
    """``ReplacePrefixMatch``: the matched prefix (whole elements) of ``path`` replaced by ``replacement``."""
    p = prefix.rstrip("/") if prefix != "/" else ""
    rest = path[len(p):]
    out = replacement.rstrip("/") + rest
    return out or "/"


def modify_path(mod: dict[str, Any] | None, path: str, match: dict[str, Any] | None) -> str:
    """The path after an ``HTTPPathModifier`` (``match`` is the rule match that selected the request)."""
    if not mod:
        return path
    if mod.get("type") == "ReplaceFullPath":
        return mod.get("replaceFullPath", "")
    prefix = ((match or {}).get("path") or {}).get("value", "/")
    return replace_prefix(path, prefix, mod.get("replacePrefixMatch", ""))


def modify_headers(mod: dict[str, Any] | None, headers: dict[str, str]) -> dict[str, str]:
    """A copy of ``headers`` (lower-case names) after an ``HTTPHeaderFilter``."""
    out = dict(headers)
    if not mod:
        return out
    for h in mod.get("set", ()):
        out[h["name"].lower()] = h["value"]
    for h in mod.get("add", ()):
        name = h["name"].lower()
        out[name] = f"{out[name]},{h['value']}" if name in out else h["value"]
    for name in mod.get("remove", ()):
        out.pop(name.lower(), None)
    return out


def location(scheme: str, host: str, port: int, path: str, query: str) -> str:
    """A ``Location`` value: the default port of the scheme is left out."""
    netloc = host if WELL_KNOWN_PORTS.get(scheme) == port else f"{host}:{port}"
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def redirect(flt: dict[str, Any], scheme: str, host: str, listener_port: int, path: str, query: str,
             match: dict[str, Any] | None) -> tuple[int, str]:
    """``(status code, Location)`` of a ``RequestRedirect`` filter."""
    new_scheme = flt.get("scheme") or scheme
    if flt.get("port"):
        port = flt["port"]
    elif flt.get("scheme"):
        port = WELL_KNOWN_PORTS.get(new_scheme, listener_port)
    else:
        port = listener_port
    new_path = modify_path(flt.get("path"), path, match)
    return int(flt.get("statusCode", 302)), location(new_scheme, flt.get("hostname") or host, port, new_path, query)
