"""Host and path rules: which Ingress rule (or default backend) answers an HTTP request.

Upstream semantics: the Ingress API (``k8s.io/api/networking/v1`` ``HTTPIngressPath``
and the "Path types" / "Multiple matches" / "Hostname wildcards" sections of the
Kubernetes docs' Ingress page) and kubernetes-sigs/ingress-controller-conformance
``features/path_rules.feature``, ``host_rules.feature`` and ``default_backend.feature``:

- ``Exact``: the request path equals the path, literally (case and trailing slash count).
- ``Prefix``: element-wise on ``/``: ``/aaa/bbb`` matches ``/aaa/bbb``, ``/aaa/bbb/`` and
  ``/aaa/bbb/ccc`` but not ``/aaa/bbbxyz``; a trailing slash on either side is ignored.
- ``ImplementationSpecific``: up to the controller.  ingress-nginx (regex off) writes the
  path as a plain nginx ``location /foo`` -- a *string* prefix, so ``/foo`` matches
  ``/foobar`` -- while for ``Prefix`` it adds the ``location = /foo`` / ``location /foo/``
  pair (``updateServerLocations``).  kubelab's default, ``implementation_specific="nginx"``,
  is that string prefix; ``"prefix"`` treats it as ``Prefix`` (what ingress2gateway
  assumes).  An empty path (legacy v1beta1 rules without ``path``) is ``/``.
- Longest match wins; at equal length ``Exact`` beats ``Prefix`` (and ``Prefix`` beats
  ``ImplementationSpecific``); then the older Ingress (ingress-nginx sorts Ingresses by
  creation and keeps the first location for a path).
- ``*.foo.com`` matches exactly one more DNS label: ``bar.foo.com``, not ``baz.bar.foo.com``
  nor ``foo.com``.  Hosts compare case-insensitively, without the ``:port`` of the
  ``Host`` header.

How rules of several Ingresses combine is the controller's business; kubelab does what
ingress-nginx does (``createServers``/``getBackendServers``): one *server* per host,
chosen first (an exact host, else the one-label wildcard, else the catch-all server
``_`` that holds the rules without a host), then the longest path inside it.  A request
whose path matches nothing in its server goes to that server's root location: the
``defaultBackend`` of the oldest Ingress that has a rule for that host, else the
controller's own default backend, which answers 404.  The catch-all server's root is
the ``defaultBackend`` of the oldest Ingress that has no rules (ingress-nginx's "catch
all" case) or has rules without a host (the docs' table: Prefix ``/aaa``, request
``/ccc``: "uses default backend"), else 404.  So an unmatched path never falls back to
host-less rules, and an Ingress whose rules all name hosts does not catch unknown hosts
with its ``defaultBackend`` (as in ingress-nginx, though the API docs' wording suggests
it would).

Request paths are normalised as nginx does before matching (``$uri``): percent-decoded,
``.``/``..`` segments resolved, repeated slashes merged, the query string dropped.

Examples
--------
>>> path_matches("Prefix", "/aaa/bbb", "/aaa/bbb/ccc"), path_matches("Prefix", "/aaa/bbb", "/aaa/bbbxyz")
(True, False)
>>> host_matches("*.foo.com", "bar.foo.com"), host_matches("*.foo.com", "baz.bar.foo.com")
(True, False)
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import unquote

__all__ = ["PathRule", "Match", "RouteTable", "path_matches", "match_length", "host_matches", "normalize_host",
           "normalize_path", "IMPLEMENTATION_SPECIFIC_MODES", "CATCH_ALL"]

IMPLEMENTATION_SPECIFIC_MODES = ("nginx", "prefix")
#: ingress-nginx's name for the server of requests that match no host (``server_name _``).
CATCH_ALL = "_"
_TYPE_RANK = {"Exact": 2, "Prefix": 1, "ImplementationSpecific": 0}


def normalize_host(host: str | None) -> str:
    """The ``Host`` header as nginx compares it: lower case, no ``:port``, no trailing dot.

    >>> normalize_host("Foo.Bar.com:8443."), normalize_host("[fd00::1]:80")
    ('foo.bar.com', 'fd00::1')
    """
    h = (host or "").strip().lower()
    if h.startswith("["):
        h = h[1:].split("]", 1)[0]
    elif h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h.rstrip(".")


def normalize_path(path: str | None) -> str:
    """A request path as nginx matches it (``$uri``): decoded, dot segments resolved, slashes merged.

    >>> normalize_path("/a//b/./c/../d%20e?x=1"), normalize_path(""), normalize_path("/foo/")
    ('/a/b/d e', '/', '/foo/')
    """
    p = (path or "/").split("?", 1)[0].split("#", 1)[0]
    p = unquote(p)
    if not p.startswith("/"):
        p = "/" + p
    trailing = p.endswith("/") or p.endswith("/.") or p.endswith("/..")
    norm = posixpath.normpath(p)
    if norm.startswith("//"):
        norm = "/" + norm.lstrip("/")
    if trailing and norm != "/":
        norm += "/"
    return norm


def _elements(path: str) -> list[str]:
    return [e for e in path.split("/") if e]


def host_matches(rule_host: str, host: str) -> bool:
    """Whether an Ingress rule host (exact or ``*.`` wildcard) covers a request host (normalised)."""
    rule_host = rule_host.lower()
    if rule_host.startswith("*."):
        label, dot, rest = host.partition(".")
        return bool(label) and dot == "." and rest == rule_host[2:]
    return rule_host == host


def match_length(path_type: str, path: str, request_path: str, implementation_specific: str = "nginx") -> int:
    """How long a match ``path`` is for ``request_path`` (normalised), or ``-1`` for no match."""
    if path_type == "Exact":
        return len(path) if request_path == path else -1
    if path_type == "ImplementationSpecific":
        path = path or "/"
        if implementation_specific == "nginx":
            return len(path) if request_path.startswith(path) else -1
    want = _elements(path)
    got = _elements(request_path)
    if got[:len(want)] != want:
        return -1
    return len(path.rstrip("/"))


def path_matches(path_type: str, path: str, request_path: str, implementation_specific: str = "nginx") -> bool:
    """Whether one Ingress path of a type matches a request path (normalised)."""
    return match_length(path_type, path, request_path, implementation_specific) >= 0


@dataclass(frozen=True)
class PathRule:
    """One ``spec.rules[i].http.paths[j]`` of one Ingress, with what it routes to."""

    ingress: str  # "namespace/name"
    namespace: str
    host: str  # as written; "" for a rule without host
    path: str
    path_type: str
    backend: Any  # kubelab.api.ingress.IngressBackend
    rule_index: int
    path_index: int
    order: int  # the Ingress's position (creation order)
    elements: tuple[str, ...] = ()  # the path split on "/" (for Prefix), computed once

    def length_for(self, request_path: str, request_elements: list[str], implementation_specific: str) -> int:
        """:func:`match_length` with the split done once per rule and once per request."""
        t = self.path_type
        if t == "Exact":
            return len(self.path) if request_path == self.path else -1
        if t == "ImplementationSpecific" and implementation_specific == "nginx":
            return len(self.path) if request_path.startswith(self.path) else -1
        n = len(self.elements)
        if len(request_elements) < n or tuple(request_elements[:n]) != self.elements:
            return -1
        return len(self.path.rstrip("/"))

    @property
    def field(self) -> str:
        return f"spec.rules[{self.rule_index}].http.paths[{self.path_index}]"


@dataclass
class Match:
    """What answers a request: a rule, a default backend, or nobody (``kind="none"``: 404)."""

    kind: str  # "rule", "default-backend", "none"
    server: str  # the server chosen by host: a rule host, "*.x" or "_"
    rule: PathRule | None = None
    ingress: str | None = None
    namespace: str | None = None
    backend: Any = None
    why: list[str] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return self.kind != "none"


@dataclass
class _Server:
    name: str
    rules: list[PathRule] = field(default_factory=list)
    default: tuple[str, str, Any] | None = None  # (ingress, namespace, backend) of the root location
    owner: str | None = None  # the Ingress that created the server (its defaultBackend is the root)


class RouteTable:
    """The servers and locations a controller builds from the Ingresses it serves, in order (oldest first).

    Build it once and call :meth:`match` per request: a dictionary lookup for the host,
    then a scan of that one server's paths.

    >>> from kubelab.api import load_text
    >>> ing = load_text('''
    ... apiVersion: networking.k8s.io/v1
    ... kind: Ingress
    ... metadata: {name: fanout}
    ... spec:
    ...   rules:
    ...   - host: foo.com
    ...     http:
    ...       paths:
    ...       - {path: /foo, pathType: Prefix, backend: {service: {name: service-1, port: {number: 8080}}}}
    ... ''')
    >>> m = RouteTable(ing).match("foo.com", "/foo/x")
    >>> m.kind, m.rule.backend.service.name, m.why[-1]
    ('rule', 'service-1', 'Prefix /foo matches /foo/x (element-wise)')
    """

    def __init__(self, ingresses: Iterable[Any], implementation_specific: str = "nginx"):
        if implementation_specific not in IMPLEMENTATION_SPECIFIC_MODES:
            raise ValueError(f"implementation_specific: one of {IMPLEMENTATION_SPECIFIC_MODES}")
        self.implementation_specific = implementation_specific
        self.exact: dict[str, _Server] = {}
        self.wildcard: dict[str, _Server] = {}  # "foo.com" for "*.foo.com"
        self.catch_all = _Server(CATCH_ALL)
        self.rule_count = 0
        for order, ing in enumerate(ingresses):
            self._add(ing, order)

    def _server(self, host: str) -> _Server:
        if not host:
            return self.catch_all
        host = host.lower()
        if host.startswith("*."):
            return self.wildcard.setdefault(host[2:], _Server(host))
        return self.exact.setdefault(host, _Server(host))

    def _add(self, ing: Any, order: int) -> None:
        ref = f"{ing.namespace or 'default'}/{ing.name}"
        ns = ing.namespace or "default"
        spec = ing.spec
        hostless = not spec.rules or any(not r.host for r in spec.rules)
        if hostless and spec.default_backend is not None and self.catch_all.default is None:
            self.catch_all.default = (ref, ns, spec.default_backend)
            self.catch_all.owner = ref
        for i, rule in enumerate(spec.rules):
            server = self._server(rule.host or "")
            if server.owner is None and server is not self.catch_all:
                server.owner = ref  # first (oldest) Ingress with this host: its defaultBackend is the root
                if spec.default_backend is not None:
                    server.default = (ref, ns, spec.default_backend)
            if rule.http is None:
                continue
            for j, p in enumerate(rule.http.paths):
                path = p.path or ("/" if p.path_type == "ImplementationSpecific" else "")
                server.rules.append(PathRule(ref, ns, rule.host or "", path, p.path_type or "", p.backend, i, j, order,
                                             tuple(_elements(path))))
                self.rule_count += 1

    def servers(self) -> list[str]:
        return [*self.exact, *(f"*.{k}" for k in self.wildcard), CATCH_ALL]

    def select_server(self, host: str) -> tuple[_Server, str]:
        """The server for a normalised host, and why it was chosen."""
        if host in self.exact:
            return self.exact[host], f"host {host} matches the rule host {host} exactly"
        label, dot, rest = host.partition(".")
        if label and dot and rest in self.wildcard:
            return self.wildcard[rest], f"host {host} matches the wildcard *.{rest} (one DNS label)"
        shown = host or "(none)"
        if self.wildcard:
            for suffix in self.wildcard:
                if host == suffix or host.endswith("." + suffix):
                    return self.catch_all, (f"host {shown} matches no rule host: *.{suffix} covers exactly one "
                                            f"label, so neither {suffix} nor a deeper name; the catch-all server _ "
                                            "(rules without host) answers")
        return self.catch_all, f"host {shown} matches no rule host; the catch-all server _ (rules without host) answers"

    def match(self, host: str, path: str) -> Match:
        """Route a request; ``host`` and ``path`` are normalised here (see :func:`normalize_host`)."""
        host, path = normalize_host(host), normalize_path(path)
        server, why_host = self.select_server(host)
        why = [why_host]
        best: PathRule | None = None
        best_key: tuple[int, int, int] | None = None
        matching = []
        elements = _elements(path)
        for r in server.rules:
            n = r.length_for(path, elements, self.implementation_specific)
            if n < 0:
                continue
            matching.append(r)
            key = (n, _TYPE_RANK.get(r.path_type, 0), -r.order)
            if best_key is None or key > best_key:
                best, best_key = r, key
        if best is not None:
            why.append(self._explain(best, path, [o for o in matching if o is not best]))
            return Match("rule", server.name, best, best.ingress, best.namespace, best.backend, why)
        if server.rules:
            why.append(f"no path of server {server.name} matches {path}")
        if server.default is not None:
            ref, ns, backend = server.default
            where = "it has no rules or rules without host (catch-all)" if server is self.catch_all else \
                f"it is the oldest Ingress with a rule for {server.name}"
            why.append(f"the defaultBackend of Ingress {ref} answers: {where}")
            return Match("default-backend", server.name, None, ref, ns, backend, why)
        if server is not self.catch_all and server.owner:
            why.append(f"Ingress {server.owner} (the oldest with a rule for {server.name}) has no defaultBackend")
        why.append("the controller's default backend answers 404")
        return Match("none", server.name, why=why)

    def _explain(self, r: PathRule, path: str, others: list[PathRule]) -> str:
        if r.path_type == "Exact":
            text = f"Exact {r.path} equals {path}"
        elif r.path_type == "Prefix":
            text = f"Prefix {r.path} matches {path} (element-wise)"
        elif self.implementation_specific == "nginx":
            text = f"ImplementationSpecific {r.path} matches {path} (ingress-nginx: an nginx string-prefix location)"
        else:
            text = f"ImplementationSpecific {r.path} matches {path} (treated as Prefix)"
        if others:
            beaten = ", ".join(f"{o.path_type} {o.path}" for o in others[:3])
            text += f"; it beats {beaten}{' ...' if len(others) > 3 else ''} (longest match, then Exact, then oldest)"
        return text
