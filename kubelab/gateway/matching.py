"""Hostnames and HTTPRoute matches: which request a listener, a route and a rule match, and in what order.

Upstream (Gateway API v1.4.0): ``apis/v1/httproute_types.go`` -- ``HTTPRouteSpec.Hostnames``
(intersection with the listener's hostname, wildcard as a suffix match of one or more
labels, the port of the Host header ignored, precedence across routes by the most
characters in a matching non-wildcard hostname, then in a matching hostname),
``HTTPRouteRule.Matches`` (precedence: Exact path, then the longest PathPrefix, then a
method match, then the most header matches, then the most query-parameter matches; then
the oldest route, then ``namespace/name``, then rule order), ``HTTPPathMatch``
(``PathPrefix`` matches whole path elements, a trailing ``/`` ignored),
``HTTPHeaderMatch`` (names case-insensitive) and ``HTTPQueryParamMatch`` (names
case-sensitive; only the first value of a repeated parameter counts);
``apis/v1/gateway_types.go`` ``Listener.Hostname``.  Conformance:
``conformance/tests/httproute-matching.yaml``, ``httproute-matching-across-routes.yaml``,
``httproute-header-matching.yaml``, ``httproute-query-param-matching.yaml``,
``httproute-method-matching.yaml``, ``httproute-hostname-intersection.yaml``.

Implementation-specific choices of the model: ``RegularExpression`` (paths, headers,
query parameters) is a *full* match with Python's ``re`` (RE2 syntax for common
patterns; Envoy-based implementations also anchor), and a RegularExpression path ranks
after Exact and before every PathPrefix, longer patterns first.

Examples
--------
>>> host_matches("*.example.com", "foo.bar.example.com"), host_matches("*.example.com", "example.com")
(True, False)
>>> intersect("*.example.com", "foo.example.com"), intersect("foo.example.com", "*.example.com")
('foo.example.com', 'foo.example.com')
>>> prefix_matches("/abc", "/abc/def"), prefix_matches("/abc", "/abcd"), prefix_matches("/abc/", "/abc")
(True, False, True)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["host_matches", "intersect", "effective_hostnames", "hostname_score", "prefix_matches",
           "match_request", "precedence", "Request", "strip_port"]


def strip_port(host: str) -> str:
    """The Host header without its port (``[::1]:8080`` -> ``[::1]``), lower-cased."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[:end + 1] if end >= 0 else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_matches(pattern: str | None, host: str) -> bool:
    """Whether ``host`` is matched by a listener or route hostname (``None``: any host)."""
    if not pattern:
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def intersect(listener: str | None, route: str) -> str | None:
    """The hostname a route hostname contributes under a listener hostname, or ``None``."""
    if not listener:
        return route
    if host_matches(listener, route):
        return route
    if route.startswith("*.") and host_matches(route, listener):
        return listener
    if route.startswith("*.") and listener.startswith("*.") and listener.endswith(route[1:]):
        return listener
    return None


def effective_hostnames(listener: str | None, route_hostnames: list[str]) -> list[str | None]:
    """The hostnames a route serves on a listener (``[None]``: any host); empty = no intersection."""
    if not route_hostnames:
        return [listener or None]
    out = []
    for h in route_hostnames:
        x = intersect(listener, h)
        if x is not None and x not in out:
            out.append(x)
    return out


def hostname_score(hostnames: list[str | None], host: str) -> tuple[int, int] | None:
    """How specifically ``hostnames`` match ``host``: (chars of an exact match, chars of any match), or ``None``."""
    best: tuple[int, int] | None = None
    for h in hostnames:
        if not host_matches(h, host):
            continue
        score = (len(h), len(h)) if h and not h.startswith("*.") else (0, len(h or ""))
        best = score if best is None or score > best else best
    return best


def _trim(path: str) -> str:
    return path.rstrip("/") if path != "/" else ""


def prefix_matches(prefix: str, path: str) -> bool:
    """``PathPrefix``: element-wise on ``/``, a trailing ``/`` ignored on the prefix."""
    p = _trim(prefix)
    return path == p or path.startswith(p + "/") or (p == "" and path.startswith("/"))


@functools.cache
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _regex_matches(pattern: str, value: str) -> bool:
    rx = _regex(pattern)
    return rx is not None and rx.fullmatch(value) is not None


@dataclass
class Request:
    """An HTTP request as a Gateway sees it."""

    scheme: str
    host: str  # without port, lower-case
    port: int
    path: str
    query: list[tuple[str, str]]
    method: str
    headers: dict[str, str]  # names lower-case

    def query_value(self, name: str) -> str | None:
        for k, v in self.query:
            if k == name:
                return v  # only the first value of a repeated parameter
        return None


def _path_matches(m: dict[str, Any], path: str) -> bool:
    typ, value = m.get("type", "PathPrefix"), m.get("value", "/")
    if typ == "Exact":
        return path == value
    if typ == "PathPrefix":
        return prefix_matches(value, path)
    return _regex_matches(value, path)


def match_request(match: dict[str, Any], req: Request) -> bool:
    """Whether one ``HTTPRouteMatch`` (defaulted) matches ``req``: every condition must hold."""
    if "path" in match and not _path_matches(match["path"], req.path):
        return False
    if match.get("method") and match["method"] != req.method:
        return False
    seen: set[str] = set()
    for h in match.get("headers", ()):
        name = h["name"].lower()
        if name in seen:  # only the first entry with an equivalent name counts
            continue
        seen.add(name)
        value = req.headers.get(name)
        if value is None:
            return False
        if h.get("type", "Exact") == "Exact" and value != h["value"]:
            return False
        if h.get("type") == "RegularExpression" and not _regex_matches(h["value"], value):
            return False
    seen = set()
    for q in match.get("queryParams", ()):
        if q["name"] in seen:
            continue
        seen.add(q["name"])
        value = req.query_value(q["name"])
        if value is None:
            return False
        if q.get("type", "Exact") == "Exact" and value != q["value"]:
            return False
        if q.get("type") == "RegularExpression" and not _regex_matches(q["value"], value):
            return False
    return True


def precedence(match: dict[str, Any]) -> tuple[int, int, int, int, int]:
    """A sort key of one match, most specific first when sorted ascending (ties go on to the route order)."""
    path = match.get("path") or {"type": "PathPrefix", "value": "/"}
    typ = path.get("type", "PathPrefix")
    rank = {"Exact": 0, "RegularExpression": 1}.get(typ, 2)
    length = len(_trim(path.get("value", "/"))) if typ == "PathPrefix" else len(path.get("value", ""))
    return (rank, -length, 0 if match.get("method") else 1,
            -len({h["name"].lower() for h in match.get("headers", ())}),
            -len({q["name"] for q in match.get("queryParams", ())}))
