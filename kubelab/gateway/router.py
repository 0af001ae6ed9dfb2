"""One HTTP request through one Gateway: listener, route, rule, filters, backend.

The steps, as Gateway API v1.4.0 defines them (``apis/v1/gateway_types.go``,
``apis/v1/httproute_types.go``; see :mod:`kubelab.gateway.matching` and
:mod:`kubelab.gateway.filters` for the rules):

1. The Gateway must be programmed (its GatewayClass exists; see
   :mod:`kubelab.gateway.status`), else nothing is served.
2. The listener: the URL's port (80/443 by scheme) and protocol (``http`` -> ``HTTP``,
   ``https`` -> ``HTTPS``), then the most specific listener hostname that matches the
   host (exact, then the longest wildcard, then none).  The Host header (``-H Host:``)
   overrides the URL's host; its port is ignored.
3. The routes attached to that listener whose effective hostnames match the host; only
   those with the most specific hostname match are kept (characters of an exact
   hostname, then of any hostname).
4. Every match of every rule of those routes, in precedence order (Exact, longest
   PathPrefix, method, most headers, most query parameters, oldest route, ``ns/name``,
   rule order); the first that matches the request wins.  None: ``404``.
5. The rule's filters: ``RequestRedirect`` answers ``301``/``302`` with ``Location``;
   ``RequestHeaderModifier``, ``URLRewrite`` change the forwarded request;
   ``ResponseHeaderModifier`` the response; ``RequestMirror`` copies the request.
6. A backend drawn by weight (weight 0 never).  A rule without backends, all weights 0,
   or a drawn backend that cannot be resolved (missing Service or port, a kind other
   than Service, another namespace without a ReferenceGrant): ``500``.

Examples
--------
Notebook 07's scenario (``kubelab.examples``: the shared Gateway ``infra/shared`` and the
teams' HTTPRoutes):

>>> from kubelab import Cluster
>>> from kubelab.examples import manifest
>>> c = Cluster(manifest("gateway-shop"))
>>> route(c, "infra/shared", "http://shop.example.com/old-shop/x").line
'302 https://shop.example.com/x'
>>> route(c, "infra/shared", "http://shop.example.com/cart").line
'shop/cart:8080'
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..errors import KubelabError, NotFoundError
from .filters import modify_headers, modify_path, redirect
from .matching import Request, host_matches, match_request, precedence, strip_port
from .status import GatewayAPIState, ListenerState, state_of

__all__ = ["GatewayRouter", "GatewayDecision", "route", "parse_request"]

_PROTOCOL = {"http": "HTTP", "https": "HTTPS"}


@dataclass
class GatewayDecision:
    """What the Gateway does with one request."""

    status: int  # 200 forwarded (the backend answers), 301/302 redirect, 404, 500
    target: str | None = None  # NS/SERVICE:PORT when forwarded
    location: str | None = None
    listener: str | None = None
    route: str | None = None  # ns/name
    rule: int | None = None
    match: int | None = None
    why: list[str] = field(default_factory=list)
    request_headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    path: str | None = None  # the forwarded path (after URLRewrite)
    host: str | None = None  # the forwarded Host
    mirrors: list[str] = field(default_factory=list)

    @property
    def line(self) -> str:
        """The first line ``kubelab route --gateway`` prints."""
        if self.target is not None:
            return self.target
        if self.location is not None:
            return f"{self.status} {self.location}"
        return str(self.status)

    @property
    def routed(self) -> bool:
        return self.target is not None or self.location is not None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def parse_request(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> Request:
    """A :class:`Request` from a URL and curl-style headers (``Host`` overrides the URL's host)."""
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _PROTOCOL:
        raise KubelabError(f'URL "{url}": a Gateway listener serves http:// and https:// requests only')
    try:
        port = parts.port or (80 if scheme == "http" else 443)
    except ValueError:
        raise KubelabError(f'URL "{url}": the port is not a number between 0 and 65535') from None
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    host = strip_port(hdrs.get("host") or parts.hostname or "")
    hdrs.setdefault("host", host)
    return Request(scheme, host, port, parts.path or "/", parse_qsl(parts.query, keep_blank_values=True),
                   method.upper(), hdrs)


class GatewayRouter:
    """The routing decisions of one Gateway of a cluster.

    Parameters
    ----------
    cluster
        The model cluster.
    gateway
        ``NAMESPACE/NAME`` (or ``NAME`` in ``default``).
    seed
        Seed of the weighted backend draw (successive requests continue one random stream).
    """

    def __init__(self, cluster: Any, gateway: str, seed: int | None = None):
        ns, _, name = gateway.rpartition("/")
        ns = ns or "default"
        self.state: GatewayAPIState = state_of(cluster)
        gws = self.state.gateways.get((ns, name))
        if gws is None:
            raise NotFoundError(f'gateways.gateway.networking.k8s.io "{name}" not found in namespace "{ns}"')
        self.gws = gws
        self.rng = random.Random(0 if seed is None else seed)
        # listener name -> hostname bucket -> entries sorted by precedence, where a bucket is
        # ("exact", host), ("wildcard", ".suffix") or ("any", ""), and an entry is
        # (precedence key, route, rule index, match index, match, effective hostnames).
        self._table: dict[str, dict[tuple[str, str], list[tuple[tuple, Any, int, int, dict, list]]]] = {}
        for route in self.state.routes:
            order = self.state.order[(route.namespace, route.name)]
            for parent in self.state.parents[(route.namespace, route.name)]:
                if parent.gateway is not gws:
                    continue
                for ls, hosts in parent.listeners:
                    buckets = self._table.setdefault(ls.name, {})
                    for i, rule in enumerate(route.spec.get("rules", ())):
                        for j, m in enumerate(rule.get("matches") or [{}]):
                            entry = ((*precedence(m), order, f"{route.namespace}/{route.name}", i, j),
                                     route, i, j, m, hosts)
                            for h in hosts:
                                bucket = ("any", "") if not h else ("wildcard", h[1:]) if h.startswith("*.") \
                                    else ("exact", h)
                                buckets.setdefault(bucket, []).append(entry)
        for buckets in self._table.values():
            for entries in buckets.values():
                entries.sort(key=lambda e: e[0])

    def _candidates(self, listener: str, host: str) -> list[tuple[tuple, Any, int, int, dict, list]]:
        """The entries of the routes with the most specific hostname match for ``host`` (exact, longest
        wildcard, then routes without hostnames), in precedence order."""
        buckets = self._table.get(listener, {})
        found = buckets.get(("exact", host))
        if found:
            return found
        dot = host.find(".")
        while dot >= 0:  # the longest wildcard first: *.b.example.com before *.example.com
            found = buckets.get(("wildcard", host[dot:]))
            if found:
                return found
            dot = host.find(".", dot + 1)
        return buckets.get(("any", ""), [])

    def _listener(self, req: Request) -> ListenerState | None:
        best, best_score = None, None
        for ls in self.gws.listeners:
            if not ls.programmed or ls.port != req.port or ls.protocol != _PROTOCOL[req.scheme]:
                continue
            if not host_matches(ls.hostname, req.host):
                continue
            h = ls.hostname or ""
            score = (1 if h and not h.startswith("*.") else 0, len(h))
            if best_score is None or score > best_score:
                best, best_score = ls, score
        return best

    def route(self, url: str, method: str = "GET", headers: dict[str, str] | None = None) -> GatewayDecision:
        """The decision for one request."""
        req = parse_request(url, method, headers)
        gw = self.gws.gateway
        d = GatewayDecision(404)
        if self.gws.gateway_class is None:
            d.why.append(f"Gateway {gw.namespace}/{gw.name}: GatewayClass \"{gw.spec.get('gatewayClassName')}\" does "
                         "not exist, so no controller programs this Gateway (status: Pending, Waiting for controller)")
            return d
        ls = self._listener(req)
        if ls is None:
            d.why.append(f"no programmed listener of Gateway {gw.namespace}/{gw.name} takes "
                         f"{_PROTOCOL[req.scheme]} on port {req.port} for host {req.host}")
            return d
        d.listener = ls.name
        d.why.append(f"listener {ls.name} ({ls.protocol} {ls.port}, hostname {ls.hostname or '*'})")
        entries = self._candidates(ls.name, req.host)
        if not entries:
            d.why.append(f"no HTTPRoute attached to listener {ls.name} serves host {req.host}")
            return d
        for key, rt, i, j, m, hosts in entries:
            if not match_request(m, req):
                continue
            d.route, d.rule, d.match = f"{rt.namespace}/{rt.name}", i, j
            d.why.append(f"HTTPRoute {rt.namespace}/{rt.name} rules[{i}].matches[{j}] {_describe(m)} "
                         f"(hostnames {', '.join(h or '*' for h in hosts)})")
            return self._apply(d, req, rt, rt.spec["rules"][i], m, ls)
        d.why.append(f"no rule of the HTTPRoutes for host {req.host} matches {req.method} {req.path}")
        return d

    def _apply(self, d: GatewayDecision, req: Request, rt: Any, rule: dict[str, Any], m: dict[str, Any],
               ls: ListenerState) -> GatewayDecision:
        headers, path, host = dict(req.headers), req.path, req.host
        query = "&".join(f"{k}={v}" for k, v in req.query)
        for f in rule.get("filters", ()):
            t = f["type"]
            if t == "RequestRedirect":
                d.status, d.location = redirect(f["requestRedirect"], req.scheme, req.host, ls.port, req.path,
                                                query, m)
                d.why.append(f"filter RequestRedirect: {d.status} to {d.location}")
                return d
            if t == "RequestHeaderModifier":
                headers = modify_headers(f["requestHeaderModifier"], headers)
            elif t == "ResponseHeaderModifier":
                d.response_headers = modify_headers(f["responseHeaderModifier"], d.response_headers)
            elif t == "URLRewrite":
                rw = f["urlRewrite"]
                if rw.get("hostname"):
                    host = rw["hostname"]
                    headers["host"] = host
                path = modify_path(rw.get("path"), path, m)
            elif t == "RequestMirror":
                d.mirrors.append(self._ref_text(rt, f["requestMirror"]["backendRef"]))
            d.why.append(f"filter {t}")
        d.request_headers, d.path, d.host = headers, path, host
        refs = [b for b in rule.get("backendRefs", ()) if b.get("weight", 1) > 0]
        if not refs:
            d.status = 500
            d.why.append("the rule has no backendRef with a weight above 0: 500")
            return d
        ref = refs[0] if len(refs) == 1 else self.rng.choices(refs, weights=[b.get("weight", 1) for b in refs])[0]
        problem = self.state.backend_problem(rt, ref)
        target = self._ref_text(rt, ref)
        if problem:
            d.status = 500
            d.why.append(f"backend {target}: {problem[0]}: {problem[1]}: 500")
            return d
        for f in ref.get("filters", ()):
            if f["type"] == "RequestHeaderModifier":
                d.request_headers = modify_headers(f["requestHeaderModifier"], d.request_headers)
            elif f["type"] == "ResponseHeaderModifier":
                d.response_headers = modify_headers(f["responseHeaderModifier"], d.response_headers)
        d.status, d.target = 200, target
        total = sum(b.get("weight", 1) for b in refs)
        d.why.append(f"backend {target} (weight {ref.get('weight', 1)} of {total})")
        return d

    @staticmethod
    def _ref_text(rt: Any, ref: dict[str, Any]) -> str:
        return f"{ref.get('namespace') or rt.namespace}/{ref['name']}:{ref.get('port', '')}"


def _describe(m: dict[str, Any]) -> str:
    parts = []
    if m.get("path"):
        parts.append(f"path {m['path'].get('type')} {m['path'].get('value')}")
    if m.get("method"):
        parts.append(f"method {m['method']}")
    parts += [f"header {h['name']}={h['value']}" for h in m.get("headers", ())]
    parts += [f"query {q['name']}={q['value']}" for q in m.get("queryParams", ())]
    return "(" + ", ".join(parts or ["every request"]) + ")"


def route(cluster: Any, gateway: str, url: str, method: str = "GET", headers: dict[str, str] | None = None,
          seed: int | None = None) -> GatewayDecision:
    """One request through ``gateway`` (``NAMESPACE/NAME``)."""
    return GatewayRouter(cluster, gateway, seed).route(url, method, headers)
