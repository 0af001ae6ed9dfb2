"""An ingress-nginx-like controller: its install, its routing decision, and a request traced end to end.

What is modelled (ingress-nginx, ``internal/ingress/controller`` and ``rootfs/etc/nginx/lua``):

- The install (``deploy/static/provider/cloud`` and ``baremetal``): namespace
  ``ingress-nginx``, a Deployment of controller pods (kubelab has no Deployment kind:
  its pods, with the names a ReplicaSet gives), the ``ingress-nginx-controller`` Service
  (``LoadBalancer`` with ``externalTrafficPolicy: Local``, or ``NodePort``) and the
  IngressClass ``nginx`` (controller ``k8s.io/ingress-nginx``).
- Which Ingresses it serves: :mod:`kubelab.ingress.classes`.  Host and path matching:
  :mod:`kubelab.ingress.matching`.  Certificates: :mod:`kubelab.ingress.tls`.
- Upstreams: ingress-nginx balances over the Service's *endpoints* (EndpointSlices, ready
  ones) itself, in Lua, with round robin (``load-balance: round_robin``); it does not go
  through the ClusterIP, so kube-proxy is not on the second leg -- unless the Ingress has
  ``nginx.ingress.kubernetes.io/service-upstream: "true"``, when the upstream is the
  ClusterIP and kube-proxy picks the pod.  A failed attempt (error or timeout) moves to
  the next endpoint, at most 3 tries (``proxy_next_upstream error timeout``,
  ``proxy-next-upstream-tries: 3``); then 502 (error) or 504 (timeout).  A missing
  Service, port or ready endpoint is 503.  kubelab starts the round robin at the first
  endpoint; the Lua balancer starts at a random one.
- Canary Ingresses (``nginx.ingress.kubernetes.io/canary: "true"``) are not servers of
  their own: each path is merged into the primary location with the same host, path and
  pathType (``mergeAlternativeBackends``; with no such primary the canary is dropped).  Per
  request (``balancer.lua`` ``route_to_alternative_balancer``): the ``canary-by-header``
  header (``always``/``never``, or equal to ``canary-by-header-value``), then the
  ``canary-by-cookie`` cookie (``always``/``never``), then ``canary-weight`` out of
  ``canary-weight-total`` (default 100): canary when ``random(1..total) <= weight``.
- HTTP to a host whose server has a certificate is answered ``308`` to ``https://`` first
  (``ssl-redirect``, default on; ``nginx.ingress.kubernetes.io/ssl-redirect: "false"``
  turns it off); the decision still names the backend the HTTPS request reaches.

Examples
--------
>>> from kubelab import Cluster
>>> c = Cluster('''
... apiVersion: networking.k8s.io/v1
... kind: Ingress
... metadata: {name: single}
... spec: {defaultBackend: {service: {name: service-1, port: {number: 80}}}}
... ''')
>>> d = route(c, "http://anything.example/x")
>>> d.target, d.status, d.match
('default/service-1:80', 503, 'default-backend')
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..errors import KubelabError, NotFoundError
from .classes import NGINX_CLASS, NGINX_CONTROLLER, served_ingresses
from .matching import RouteTable, normalize_host, normalize_path
from .tls import TLSDecision, choose_certificate, server_certificates

__all__ = ["IngressController", "RouteDecision", "Backend", "IngressTrace", "route", "install", "controller_manifests",
           "CONTROLLER_NAMESPACE", "CONTROLLER_SERVICE", "CANARY", "CANARY_WEIGHT", "CANARY_WEIGHT_TOTAL",
           "CANARY_BY_HEADER", "CANARY_BY_HEADER_VALUE", "CANARY_BY_COOKIE", "SERVICE_UPSTREAM", "SSL_REDIRECT",
           "DEFAULT_CLIENT", "PROXY_NEXT_UPSTREAM_TRIES"]

CONTROLLER_NAMESPACE = "ingress-nginx"
CONTROLLER_SERVICE = "ingress-nginx-controller"
_ANN = "nginx.ingress.kubernetes.io/"
CANARY, CANARY_WEIGHT, CANARY_WEIGHT_TOTAL = _ANN + "canary", _ANN + "canary-weight", _ANN + "canary-weight-total"
CANARY_BY_HEADER, CANARY_BY_HEADER_VALUE = _ANN + "canary-by-header", _ANN + "canary-by-header-value"
CANARY_BY_COOKIE = _ANN + "canary-by-cookie"
SERVICE_UPSTREAM, SSL_REDIRECT = _ANN + "service-upstream", _ANN + "ssl-redirect"
#: A client outside the cluster (TEST-NET-3, RFC 5737).
DEFAULT_CLIENT = "203.0.113.10"
PROXY_NEXT_UPSTREAM_TRIES = 3
_LABELS = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/instance": "ingress-nginx",
           "app.kubernetes.io/component": "controller"}


# ---------------------------------------------------------------- the install
def controller_manifests(replicas: int = 2, service_type: str = "LoadBalancer", default_class: bool = True) -> str:
    """YAML for the controller: namespace, IngressClass ``nginx``, the controller pods, their Service.

    ``service_type`` is ``LoadBalancer`` (the cloud manifest: ``externalTrafficPolicy:
    Local``, so the load balancer's health check sends traffic only to nodes with a
    controller pod, and the client address survives) or ``NodePort`` (the bare-metal one).
    ``default_class`` marks the IngressClass default, as minikube's addon does.
    """
    from ..api.yamltojson import dump_all

    if service_type not in ("LoadBalancer", "NodePort"):
        raise KubelabError(f'service_type "{service_type}": LoadBalancer or NodePort')
    template_hash = hashlib.sha256(b"ingress-nginx-controller").hexdigest()[:10]
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": CONTROLLER_NAMESPACE}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
         "metadata": {"name": NGINX_CLASS, "labels": dict(_LABELS),
                      "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"} if default_class else {}},
         "spec": {"controller": NGINX_CONTROLLER}},
    ]
    for i in range(replicas):
        suffix = hashlib.sha256(f"{template_hash}-{i}".encode()).hexdigest()
        suffix = "".join(ch for ch in suffix if ch in "bcdfghjklmnpqrstvwxz2456789")[:5]  # a ReplicaSet's alphabet
        docs.append({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{CONTROLLER_SERVICE}-{template_hash}-{suffix}", "namespace": CONTROLLER_NAMESPACE,
                         "labels": {**_LABELS, "pod-template-hash": template_hash}},
            "spec": {"containers": [{
                "name": "controller", "image": "registry.k8s.io/ingress-nginx/controller:v1.12.1",
                "args": ["/nginx-ingress-controller", f"--controller-class={NGINX_CONTROLLER}",
                         f"--ingress-class={NGINX_CLASS}", f"--publish-service=$(POD_NAMESPACE)/{CONTROLLER_SERVICE}"],
                "ports": [{"name": "http", "containerPort": 80}, {"name": "https", "containerPort": 443},
                          {"name": "webhook", "containerPort": 8443}]}]},
        })
    spec: dict[str, Any] = {"type": service_type, "selector": dict(_LABELS),
                            "ports": [{"name": "http", "port": 80, "targetPort": "http", "appProtocol": "http"},
                                      {"name": "https", "port": 443, "targetPort": "https", "appProtocol": "https"}]}
    if service_type == "LoadBalancer":
        spec["externalTrafficPolicy"] = "Local"
    docs.append({"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": CONTROLLER_SERVICE, "namespace": CONTROLLER_NAMESPACE, "labels": dict(_LABELS)},
                 "spec": spec})
    return dump_all(docs, sort_keys=False)


def install(cluster: Any, replicas: int = 2, service_type: str = "LoadBalancer", default_class: bool = True) -> list:
    """Apply :func:`controller_manifests` to ``cluster``; returns the stored objects."""
    return cluster.apply(controller_manifests(replicas, service_type, default_class))


# ---------------------------------------------------------------- decisions
@dataclass
class Backend:
    """Where a matched rule sends the request: a Service and port, or a resource backend."""

    namespace: str
    service: str | None = None
    port: int | str | None = None  # as written in the Ingress
    port_number: int | None = None  # the Service port it resolves to
    port_name: str | None = None
    resource: dict[str, Any] | None = None

    @property
    def target(self) -> str:
        if self.resource is not None:
            return f"{self.namespace}/{self.resource.get('kind')}/{self.resource.get('name')}"
        port = self.port_number if self.port_number is not None else self.port
        return f"{self.namespace}/{self.service}:{port}"

    @property
    def upstream(self) -> str:
        """ingress-nginx's upstream name: ``namespace-service-port``."""
        return f"{self.namespace}-{self.service}-{self.port}"


def _backend(ns: str, b: Any) -> Backend:
    if b.resource is not None:
        return Backend(ns, resource=dict(b.resource))
    port = b.service.port
    written: int | str | None = (port.number or port.name) if port else None
    return Backend(ns, b.service.name, written)


@dataclass
class RouteDecision:
    """One request's fate at the controller (see :meth:`IngressController.route`)."""

    url: str
    method: str
    scheme: str
    host: str
    path: str
    status: int
    match: str  # "rule", "default-backend" or "none"
    server: str
    ingress: str | None = None
    rule: dict[str, Any] | None = None
    backend: Backend | None = None
    tls: TLSDecision | None = None
    canary: dict[str, Any] | None = None
    redirect: str | None = None
    why: list[str] = field(default_factory=list)

    @property
    def routed(self) -> bool:
        return self.backend is not None

    @property
    def target(self) -> str:
        """``NAMESPACE/SERVICE:PORT`` (docs/cli.md), or ``404``."""
        return self.backend.target if self.backend is not None else "404"

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url, "method": self.method, "scheme": self.scheme, "host": self.host, "path": self.path,
            "target": self.target, "status": self.status, "match": self.match, "server": self.server,
            "ingress": self.ingress, "rule": self.rule,
            "backend": None if self.backend is None else {
                "namespace": self.backend.namespace, "service": self.backend.service, "port": self.backend.port,
                "port_number": self.backend.port_number, "port_name": self.backend.port_name,
                "resource": self.backend.resource},
            "canary": self.canary, "redirect": self.redirect,
            "tls": None if self.tls is None else self.tls.to_dict(), "why": list(self.why),
        }


def _headers(headers: dict[str, str] | None) -> dict[str, str]:
    return {k.lower(): v for k, v in (headers or {}).items()}


def _cookies(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        k, eq, v = part.strip().partition("=")
        if eq:
            out.setdefault(k, v)
    return out


def _int(text: str | None, default: int = 0) -> int:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return default


class IngressController:
    """The controller's view of a cluster: its servers, certificates and balancers.

    Build one per cluster state and keep it to make several requests: the round-robin
    position of each upstream and the random stream of canary weights carry over, as in
    one nginx worker.  ``seed`` seeds that stream (default 0).
    """

    def __init__(self, cluster: Any, *, seed: int | None = None, implementation_specific: str = "nginx",
                 require_tls_type: bool = True, watch_without_class: bool = False,
                 controller: str = NGINX_CONTROLLER, class_name: str = NGINX_CLASS):
        self.cluster = cluster
        self.rng = random.Random(0 if seed is None else seed)
        served, self.class_why = served_ingresses(cluster, controller, class_name, watch_without_class)
        self.canaries = [i for i in served if i.metadata.annotations.get(CANARY) == "true"]
        self.ingresses = [i for i in served if i.metadata.annotations.get(CANARY) != "true"]
        self.table = RouteTable(self.ingresses, implementation_specific)
        self._by_ref = {f"{i.namespace}/{i.name}": i for i in served}
        self._canary_index: dict[tuple[str, str, str], list[tuple[Any, Any]]] = {}
        for ing in self.canaries:
            for rule in ing.spec.rules:
                for p in (rule.http.paths if rule.http else []):
                    key = ((rule.host or "").lower(), p.path or "/", p.path_type or "")
                    self._canary_index.setdefault(key, []).append((ing, p.backend))
        self.certificates = server_certificates(self.ingresses, self._secret, require_tls_type)
        self._rr: dict[str, int] = {}
        self._networks: dict[frozenset, Any] = {}
        self._slices: dict[tuple[str, str], list[Any]] | None = None  # (namespace, service) -> EndpointSlices

    def _slices_of(self, namespace: str, service: str) -> list[Any]:
        """The Service's EndpointSlices, from an index built once (the controller's informer cache)."""
        if self._slices is None:
            self._slices = {}
            for sl in self.cluster.list("endpointslices"):
                self._slices.setdefault((sl.namespace, sl.service_name or ""), []).append(sl)
        return self._slices.get((namespace, service), [])

    # -- lookups
    def _secret(self, namespace: str, name: str) -> Any:
        try:
            return self.cluster.get("secret", name, namespace)
        except (NotFoundError, KubelabError):
            return None

    def _service(self, namespace: str, name: str) -> Any:
        try:
            return self.cluster.get("svc", name, namespace)
        except (NotFoundError, KubelabError):
            return None

    def not_served(self) -> dict[str, str]:
        """Ingresses this controller ignores, and why (their class)."""
        served = set(self._by_ref)
        return {ref: why for ref, why in self.class_why.items() if ref not in served}

    def addresses(self, ingress: Any) -> list[str]:
        """What the controller would write to ``status.loadBalancer.ingress`` of ``ingress`` (``[]`` if not served)."""
        if f"{ingress.namespace}/{ingress.name}" not in self._by_ref:
            return []
        svc = self._service(CONTROLLER_NAMESPACE, CONTROLLER_SERVICE)
        if svc is None:
            return []
        lb = svc.status.load_balancer
        ips = [i.ip for i in (lb.ingress if lb else []) if i.ip]
        if ips:
            return ips
        return [n.internal_ip for n in self.cluster.nodes() if n.internal_ip]  # NodePort: publish the node addresses

    # -- one decision
    def route(self, url: str, method: str = "GET", headers: dict[str, str] | None = None) -> RouteDecision:
        """Which backend answers ``method url`` (the ``Host`` header, if given, overrides the URL's host)."""
        parts = urlsplit(url if "://" in url else "http://" + url)
        scheme = (parts.scheme or "http").lower()
        if scheme not in ("http", "https"):
            raise KubelabError(f'URL "{url}": an Ingress routes http and https only')
        hdrs = _headers(headers)
        host = normalize_host(hdrs.get("host") or parts.hostname or "")
        path = normalize_path(parts.path or "/")
        m = self.table.match(host, path)
        why = list(m.why)
        decision = RouteDecision(url, method.upper(), scheme, host, path, 404, m.kind, m.server, m.ingress, why=why)
        if scheme == "https":
            decision.tls = choose_certificate(parts.hostname, self.certificates, self.table)
        if not m.matched:
            return decision
        backend_obj, ns = m.backend, m.namespace or "default"
        if m.rule is not None:
            r = m.rule
            decision.rule = {"host": r.host, "path": r.path, "pathType": r.path_type, "field": r.field}
            backend_obj = self._canary(decision, r, backend_obj, hdrs)
        decision.backend = _backend(ns, backend_obj)
        decision.status = self._resolve(decision.backend, why)
        cert = self.certificates.get(m.server)
        ing = self._by_ref.get(decision.ingress or "")
        redirect_off = ing is not None and ing.metadata.annotations.get(SSL_REDIRECT) == "false"
        if scheme == "http" and cert is not None and cert.certificate is not None and not redirect_off:
            decision.redirect = f"https://{parts.hostname or host}{parts.path or '/'}"
            why.append(f"server {m.server} has a TLS certificate: ingress-nginx answers 308 to {decision.redirect} "
                       f"first (ssl-redirect); the HTTPS request then reaches {decision.backend.target}")
            decision.status = 308
        return decision

    def _canary(self, decision: RouteDecision, rule: Any, primary: Any, hdrs: dict[str, str]) -> Any:
        alternatives = self._canary_index.get((rule.host.lower(), rule.path, rule.path_type))
        if not alternatives:
            return primary
        ing, backend = alternatives[0]
        ann = ing.metadata.annotations
        ref = f"{ing.namespace}/{ing.name}"
        info: dict[str, Any] = {"ingress": ref, "chosen": False}
        decision.canary = info
        header = ann.get(CANARY_BY_HEADER)
        cookie = ann.get(CANARY_BY_COOKIE)
        why = decision.why
        if header and header.lower() in hdrs:
            got, want = hdrs[header.lower()], ann.get(CANARY_BY_HEADER_VALUE)
            if want:
                if got == want:
                    info.update(chosen=True, by="header")
                    why.append(f"canary Ingress {ref}: header {header}: {got} equals canary-by-header-value")
                    return backend
            elif got == "always":
                info.update(chosen=True, by="header")
                why.append(f"canary Ingress {ref}: header {header}: always")
                return backend
            elif got == "never":
                info.update(by="header")
                why.append(f"canary Ingress {ref}: header {header}: never -- the primary answers")
                return primary
        if cookie:
            got = _cookies(hdrs.get("cookie", "")).get(cookie)
            if got in ("always", "never"):
                info.update(chosen=got == "always", by="cookie")
                why.append(f"canary Ingress {ref}: cookie {cookie}={got}")
                return backend if got == "always" else primary
        weight = _int(ann.get(CANARY_WEIGHT))
        total = max(100, _int(ann.get(CANARY_WEIGHT_TOTAL), 100))
        draw = self.rng.randint(1, total)
        chosen = draw <= weight
        info.update(chosen=chosen, by="weight", weight=weight, total=total, draw=draw)
        why.append(f"canary Ingress {ref}: weight {weight}/{total}, draw {draw}: "
                   + ("the canary answers" if chosen else "the primary answers"))
        return backend if chosen else primary

    def _resolve(self, b: Backend, why: list[str]) -> int:
        """Fill in the Service port; the HTTP status the controller can give (200, or 503)."""
        if b.resource is not None:
            why.append(f"resource backend {b.resource.get('kind')}/{b.resource.get('name')}: ingress-nginx serves "
                       "only Service backends, 503")
            return 503
        svc = self._service(b.namespace, b.service or "")
        if svc is None:
            why.append(f"Service {b.namespace}/{b.service} does not exist: 503 Service Temporarily Unavailable")
            return 503
        port = next((p for p in svc.spec.ports if (p.port == b.port if isinstance(b.port, int) else p.name == b.port)),
                    None)
        if port is None and svc.spec.type != "ExternalName":
            why.append(f"Service {b.namespace}/{b.service} has no port {b.port}: 503")
            return 503
        if port is not None:
            b.port_number, b.port_name = port.port, port.name
        if svc.spec.type == "ExternalName":
            why.append(f"Service {b.namespace}/{b.service} is ExternalName {svc.spec.external_name}: "
                       "nginx proxies to that name")
            return 200
        if not self.endpoints(b):
            why.append(f"Service {b.namespace}/{b.service} has no ready endpoint: 503")
            return 503
        return 200

    def endpoints(self, b: Backend) -> list[tuple[str, int, str | None]]:
        """The upstream servers of a backend: ``(ip, port, "namespace/pod")`` of each ready endpoint."""
        svc = self._service(b.namespace, b.service or "")
        if svc is None:
            return []
        port = next((p for p in svc.spec.ports if p.port == b.port_number), None)
        if port is None:
            return []
        out = []
        for sl in self._slices_of(svc.namespace, svc.name):
            sp = next((p for p in sl.ports if (p.name or "") == (port.name or "")), None)
            if sp is None or sp.port is None:
                continue
            for e in sl.endpoints:
                if e.conditions.ready is False or not e.addresses:
                    continue
                pod = f"{e.target_ref.namespace}/{e.target_ref.name}" if e.target_ref and e.target_ref.name else None
                out.append((e.addresses[0], sp.port, pod))
        return out

    def next_endpoint(self, b: Backend) -> tuple[str, int, str | None] | None:
        """Round robin over the backend's endpoints (one position per upstream)."""
        eps = self.endpoints(b)
        if not eps:
            return None
        i = self._rr.get(b.upstream, 0)
        self._rr[b.upstream] = i + 1
        return eps[i % len(eps)]

    # -- a request end to end
    def entry(self, url: str) -> tuple[str, int, str]:
        """Where a client outside sends the request: ``(ip, port, why)``."""
        parts = urlsplit(url if "://" in url else "http://" + url)
        https = parts.scheme == "https"
        svc = self._service(CONTROLLER_NAMESPACE, CONTROLLER_SERVICE)
        if svc is None:
            raise KubelabError(f"no ingress controller: Service {CONTROLLER_NAMESPACE}/{CONTROLLER_SERVICE} does not "
                               "exist (kubelab.ingress.install(cluster) adds one)")
        host = parts.hostname or ""
        import ipaddress
        try:
            ipaddress.ip_address(host)
            return host, parts.port or (443 if https else 80), f"the URL names {host}"
        except ValueError:
            pass
        name = "https" if https else "http"
        sport = next((p for p in svc.spec.ports if p.name == name), None) or \
            next((p for p in svc.spec.ports if p.port == (443 if https else 80)), None)
        if sport is None:
            raise KubelabError(f"{svc.ref} has no {name} port (named {name}, or {443 if https else 80})")
        lb = svc.status.load_balancer
        ips = [i.ip for i in (lb.ingress if lb else []) if i.ip]
        if svc.spec.type == "LoadBalancer" and ips:
            return ips[0], sport.port, f"DNS for {host} points at the load balancer {ips[0]} of {svc.ref}"
        nodes = [n for n in self.cluster.nodes() if n.schedulable] or self.cluster.nodes()
        ip = nodes[0].internal_ip or ""
        return ip, sport.node_port, f"DNS for {host} points at node {nodes[0].name}; {svc.ref} is a NodePort"

    def request(self, url: str, method: str = "GET", headers: dict[str, str] | None = None, *,
                client: str = DEFAULT_CLIENT, dead: set[str] | None = None, network: Any = None) -> "IngressTrace":
        """Trace ``method url`` from ``client``: to a controller pod through kube-proxy, the decision, then the backend."""
        from ..net import Network

        key = frozenset(dead or ())
        if network is None and key not in self._networks:  # one data plane per set of dead pods: state carries over
            self._networks[key] = Network(self.cluster, seed=self.rng.randrange(2**31), dead=set(key))
        net = network or self._networks[key]
        ip, port, how = self.entry(url)
        out = IngressTrace(url=url, method=method.upper())
        out.notes.append(f"entry: {how}; {client} connects to {ip}:{port}")
        first = net.connect(client, ip, port)
        out.legs.append(("client -> ingress controller", first))
        if not first.ok:
            out.verdict = first.verdict
            return out
        out.controller_pod = first.backend
        decision = self.route(url, method, headers)
        out.decision = decision
        if decision.status != 200:
            out.verdict, out.status = "delivered", decision.status
            return out
        b = decision.backend
        ing = self._by_ref.get(decision.ingress or "")
        if ing is not None and ing.metadata.annotations.get(SERVICE_UPSTREAM) == "true":
            svc = self._service(b.namespace, b.service or "")
            out.notes.append(f"service-upstream: the upstream is {svc.spec.cluster_ip}:{b.port_number}: kube-proxy "
                             "on the controller's node picks the pod")
            leg = net.connect(first.backend, svc.spec.cluster_ip, b.port_number)
            out.legs.append((f"controller -> ClusterIP {svc.spec.cluster_ip}:{b.port_number}", leg))
            return self._finish(out, leg, [leg])
        tries = min(PROXY_NEXT_UPSTREAM_TRIES, len(self.endpoints(b)))
        legs = []
        for attempt in range(1, tries + 1):
            ep = self.next_endpoint(b)
            assert ep is not None
            ep_ip, ep_port, pod = ep
            leg = net.connect(first.backend, ep_ip, ep_port)
            legs.append(leg)
            out.legs.append((f"controller -> endpoint {ep_ip}:{ep_port} ({pod or 'no pod'}), try {attempt}: round robin "
                             f"over upstream {b.upstream}, to the endpoint itself, not the ClusterIP", leg))
            if leg.ok:
                break
        return self._finish(out, legs[-1], legs)

    @staticmethod
    def _finish(out: "IngressTrace", last: Any, legs: list) -> "IngressTrace":
        if last.ok:
            out.verdict, out.status, out.backend, out.backend_address = "delivered", 200, last.backend, \
                last.backend_address
            return out
        timeouts = [t for t in legs if t.verdict in ("timeout", "dropped")]
        out.verdict = "delivered"
        out.status = 504 if timeouts and legs[-1].verdict in ("timeout", "dropped") else 502
        out.notes.append(f"every try failed ({', '.join(t.verdict for t in legs)}): the client gets {out.status}")
        return out


@dataclass
class IngressTrace:
    """A request end to end: the legs (kube-proxy traces), the controller's decision, the HTTP status."""

    url: str
    method: str
    legs: list[tuple[str, Any]] = field(default_factory=list)
    decision: RouteDecision | None = None
    controller_pod: str | None = None
    verdict: str = ""  # of the transport: "delivered" once the controller answered
    status: int | None = None  # the HTTP status the client gets
    backend: str | None = None
    backend_address: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 400

    def lines(self, rules: bool = False) -> list[str]:
        out = [f"{self.method} {self.url}"] + [f"  {n}" for n in self.notes[:1]]  # the entry
        for i, (title, leg) in enumerate(self.legs):
            out.append(f"== {title} ==")
            out.extend(leg.lines(rules=rules))
            if i == 0 and self.decision is not None:
                out.append(f"== ingress-nginx in {self.controller_pod} ==")
                out.extend(f"  {w}" for w in self.decision.why)
                if self.decision.tls is not None:
                    out.extend(f"  tls: {w}" for w in self.decision.tls.why)
                out.append(f"  -> {self.decision.target} (HTTP {self.decision.status})")
        out.extend(f"  {n}" for n in self.notes[1:])
        tail = f"status: {self.status}" if self.status is not None else f"verdict: {self.verdict}"
        if self.backend:
            tail += f" from {self.backend} at {self.backend_address}"
        out.append(tail)
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def route(cluster: Any, url: str, method: str = "GET", headers: dict[str, str] | None = None, *,
          seed: int | None = None, **options: Any) -> RouteDecision:
    """One routing decision of the modelled ingress-nginx (see :class:`IngressController` for ``options``)."""
    return IngressController(cluster, seed=seed, **options).route(url, method, headers)
