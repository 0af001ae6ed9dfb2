"""Ingress to Gateway + HTTPRoute, the way ingress2gateway converts it, and what does not convert.

Upstream: kubernetes-sigs/ingress2gateway v1.1.0, ``pkg/i2gw/providers/common/converter.go``
(``ToIR``) and ``utils.go`` (``GetIngressClass``, ``NameFromHost``, ``RouteName``,
``ToBackendRef``), with the ingress-nginx provider (``providers/ingressnginx``:
``ImplementationSpecific`` paths become ``PathPrefix``; ``canary.go``):

- One Gateway per (namespace, IngressClass), named after the class and of that
  GatewayClass.  Ingresses without a class are read as class ``nginx`` (the provider's
  ``--ingress-nginx-ingress-class`` default; the model's ingress-nginx serves them too).
- One listener per host: ``<host>-http`` on port 80 with that hostname (``http`` when the
  rule has no host), plus ``<host>-https`` on 443 with the TLS Secrets as
  ``certificateRefs`` when the Ingress has ``tls``.
- One HTTPRoute per (Ingress, host), named ``<ingress>-<host with non-alphanumerics as
  ->`` (``all-hosts`` without a host), its parentRef the Gateway, its hostname the host;
  one rule per (pathType, path) in order, ``Prefix`` -> ``PathPrefix``, ``Exact`` ->
  ``Exact``; backends ``service.name`` and the port number (a named port is looked up in
  the Service).
- ``spec.defaultBackend`` -> an HTTPRoute ``<ingress>-default-backend`` with no hostname
  and one rule without matches (a catch-all).
- Canary Ingresses (``canary: "true"``) are merged into the primary rule with the same host
  and path: ``canary-weight`` out of ``canary-weight-total`` (100) as backend weights
  (primary ``total - weight``), and ``canary-by-header`` as one more rule with a header
  match (value ``canary-by-header-value``, else ``always``).

What does not convert is said in the notes: every other annotation (rewrite-target,
ssl-redirect, affinity, ... -- ingress2gateway converts some of them; this model does not),
``resource`` backends, and the reach of a default backend: the catch-all HTTPRoute has no
hostnames, so it attaches to every listener of the Gateway and inherits each listener's
hostname -- it gets the requests no more specific rule matches (as the Ingress's default
backend does), for the hosts of every Ingress of that class and namespace, and, through the
listener without hostname the conversion adds for it, for hosts no rule names (where the
modelled ingress-nginx answers 404 for an Ingress that has rules).  ingress-nginx's HTTP-to-HTTPS ``308``
redirect for TLS hosts has no standard-channel equivalent (``statusCode`` is 301 or 302).

Examples
--------
>>> from kubelab.api import load_text
>>> ing = load_text('''
... apiVersion: networking.k8s.io/v1
... kind: Ingress
... metadata: {name: fanout}
... spec:
...   rules:
...   - host: foo.bar.com
...     http: {paths: [{path: /foo, pathType: Prefix, backend: {service: {name: s1, port: {number: 4200}}}}]}
... ''')
>>> docs, notes = convert(ing)
>>> [(d["kind"], d["metadata"]["name"]) for d in docs]
[('Gateway', 'nginx'), ('HTTPRoute', 'fanout-foo-bar-com')]
>>> docs[1]["spec"]["rules"][0]
{'matches': [{'path': {'type': 'PathPrefix', 'value': '/foo'}}], 'backendRefs': [{'name': 's1', 'port': 4200}]}
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from ..api.gateway import GROUP

__all__ = ["convert", "convert_cluster", "route_name", "name_from_host", "DEFAULT_CLASS", "CONVERTED_ANNOTATIONS"]

DEFAULT_CLASS = "nginx"
_ANN = "nginx.ingress.kubernetes.io/"
CONVERTED_ANNOTATIONS = (_ANN + "canary", _ANN + "canary-weight", _ANN + "canary-weight-total",
                         _ANN + "canary-by-header", _ANN + "canary-by-header-value")
_PATH_TYPES = {"Prefix": "PathPrefix", "Exact": "Exact", "ImplementationSpecific": "PathPrefix"}


def name_from_host(host: str) -> str:
    """``NameFromHost``: non-alphanumeric runs become ``-``, a leading one is dropped; no host: ``all-hosts``."""
    if not host or host == "*":
        return "all-hosts"
    return re.sub(r"^[^a-zA-Z0-9]+", "", re.sub(r"[^a-zA-Z0-9]+", "-", host))


def route_name(ingress: str, host: str) -> str:
    """``RouteName``: ``<ingress>-<name_from_host(host)>``."""
    return f"{ingress}-{name_from_host(host)}"


def _class_of(ing: Any) -> str:
    return ing.spec.ingress_class_name or ing.metadata.annotations.get("kubernetes.io/ingress.class") or DEFAULT_CLASS


def _backend_ref(ing: Any, backend: Any, services: dict[tuple[str, str], Any], notes: list[str],
                 where: str) -> dict[str, Any] | None:
    if backend is None or backend.service is None:
        notes.append(f"{ing.ref}: {where}: a resource backend does not convert (HTTPRoute backendRefs name Services)")
        return None
    svc, port = backend.service, backend.service.port
    if port is not None and port.number:
        return {"name": svc.name, "port": port.number}
    found = services.get((ing.namespace, svc.name))
    number = next((p.port for p in found.spec.ports if p.name == port.name), None) if found and port else None
    if number is None:
        notes.append(f"{ing.ref}: {where}: cannot find port with name {port.name if port else ''} in service "
                     f"{svc.name}")
        return None
    return {"name": svc.name, "port": number}


def convert(ingresses: Iterable[Any], services: Iterable[Any] = ()) -> tuple[list[dict[str, Any]], list[str]]:
    """Gateway and HTTPRoute manifests (dicts) for ``ingresses``, and the notes on what did not convert."""
    ingresses = list(ingresses)
    svc_index = {(s.namespace, s.name): s for s in services}
    notes: list[str] = []
    primaries = [i for i in ingresses if i.metadata.annotations.get(_ANN + "canary") != "true"]
    canaries = [i for i in ingresses if i.metadata.annotations.get(_ANN + "canary") == "true"]
    gateways: dict[tuple[str, str], dict[str, Any]] = {}
    routes: dict[tuple[str, str], dict[str, Any]] = {}
    rule_index: dict[tuple[str, str, str, str], dict[str, Any]] = {}  # (ns, class, host, path key) -> rule
    out_defaults: list[dict[str, Any]] = []
    for ing in ingresses:
        for ann in sorted(ing.metadata.annotations):
            if ann.startswith(_ANN) and ann not in CONVERTED_ANNOTATIONS:
                notes.append(f"{ing.ref}: annotation {ann} is not converted")
    for ing in primaries:
        cls = _class_of(ing)
        gw = gateways.setdefault((ing.namespace, cls), {
            "apiVersion": f"{GROUP}/v1", "kind": "Gateway",
            "metadata": {"name": cls, "namespace": ing.namespace},
            "spec": {"gatewayClassName": cls, "listeners": []}})
        tls_hosts = {h: t.secret_name for t in ing.spec.tls for h in t.hosts}
        for rule in ing.spec.rules:
            host = rule.host or ""
            _add_listeners(gw, host, tls_hosts.get(host) or (ing.spec.tls[0].secret_name if ing.spec.tls and not host
                                                              and len(ing.spec.tls) == 1 else None))
            key = (ing.namespace, route_name(ing.name, host))
            rt = routes.setdefault(key, {
                "apiVersion": f"{GROUP}/v1", "kind": "HTTPRoute",
                "metadata": {"name": key[1], "namespace": ing.namespace},
                "spec": {"parentRefs": [{"name": cls}], **({"hostnames": [host]} if host else {}), "rules": []}})
            for j, p in enumerate(rule.http.paths if rule.http else []):
                path_key = f"{p.path_type}/{p.path or '/'}"
                ref = _backend_ref(ing, p.backend, svc_index, notes, f"rules[{host or '*'}].paths[{j}]")
                existing = rule_index.get((ing.namespace, cls, host, path_key))
                if existing is not None and existing in rt["spec"]["rules"]:
                    if ref:
                        existing["backendRefs"].append(ref)
                    continue
                r = {"matches": [{"path": {"type": _PATH_TYPES[p.path_type], "value": p.path or "/"}}],
                     "backendRefs": [ref] if ref else []}
                if p.path_type == "ImplementationSpecific":
                    notes.append(f"{ing.ref}: path {p.path or '/'}: ImplementationSpecific becomes PathPrefix "
                                 "(as ingress-nginx reads it without use-regex)")
                rt["spec"]["rules"].append(r)
                rule_index[(ing.namespace, cls, host, path_key)] = r
        if ing.spec.default_backend is not None:
            ref = _backend_ref(ing, ing.spec.default_backend, svc_index, notes, "defaultBackend")
            if ref:
                out_defaults.append({
                    "apiVersion": f"{GROUP}/v1", "kind": "HTTPRoute",
                    "metadata": {"name": f"{ing.name}-default-backend", "namespace": ing.namespace},
                    "spec": {"parentRefs": [{"name": cls}], "rules": [{"backendRefs": [ref]}]}})
                _add_listeners(gw, "", None)
                notes.append(f"{ing.ref}: defaultBackend becomes the catch-all HTTPRoute {ing.name}-default-backend; "
                             f"it attaches to every listener of Gateway {ing.namespace}/{cls}, one without hostname "
                             "included, so it also answers hosts that no Ingress rule names")
    for ing in canaries:
        _merge_canary(ing, rule_index, routes, svc_index, notes)
    for ing in ingresses:
        if ing.spec.tls:
            notes.append(f"{ing.ref}: ingress-nginx's HTTP-to-HTTPS 308 redirect for TLS hosts is not converted "
                         "(standard-channel redirects are 301 or 302; add a RequestRedirect rule if wanted)")
    docs = list(gateways.values()) + list(routes.values()) + out_defaults
    return docs, list(dict.fromkeys(notes))


def _add_listeners(gw: dict[str, Any], host: str, secret: str | None) -> None:
    prefix = f"{name_from_host(host)}-" if host else ""
    listeners = gw["spec"]["listeners"]
    names = {ls["name"]: ls for ls in listeners}
    if prefix + "http" not in names:
        listeners.append({"name": prefix + "http", **({"hostname": host} if host else {}), "port": 80,
                          "protocol": "HTTP"})
    if secret:
        https = names.get(prefix + "https")
        if https is None:
            https = {"name": prefix + "https", **({"hostname": host} if host else {}), "port": 443,
                     "protocol": "HTTPS", "tls": {"certificateRefs": []}}
            listeners.append(https)
        refs = https["tls"]["certificateRefs"]
        if not any(r["name"] == secret for r in refs):
            refs.append({"group": "", "kind": "Secret", "name": secret})


def _merge_canary(ing: Any, rule_index: dict, routes: dict, services: dict, notes: list[str]) -> None:
    ann = ing.metadata.annotations
    cls = _class_of(ing)
    try:
        weight = int(ann.get(_ANN + "canary-weight", "0"))
        total = int(ann.get(_ANN + "canary-weight-total", "100"))
    except ValueError:
        notes.append(f"{ing.ref}: canary-weight or canary-weight-total is not a number: not converted")
        return
    weight = min(max(weight, 0), total)
    for rule in ing.spec.rules:
        host = rule.host or ""
        for j, p in enumerate(rule.http.paths if rule.http else []):
            target = rule_index.get((ing.namespace, cls, host, f"{p.path_type}/{p.path or '/'}"))
            ref = _backend_ref(ing, p.backend, services, notes, f"rules[{host or '*'}].paths[{j}]")
            if target is None or ref is None:
                notes.append(f"{ing.ref}: canary path {p.path or '/'} has no primary Ingress with the same host, "
                             "path and pathType: dropped (as ingress-nginx drops it)")
                continue
            if weight:
                for b in target["backendRefs"]:
                    b["weight"] = total - weight
                target["backendRefs"].append({**ref, "weight": weight})
            header = ann.get(_ANN + "canary-by-header")
            if header:
                match = {"path": dict(target["matches"][0]["path"]),
                         "headers": [{"name": header, "value": ann.get(_ANN + "canary-by-header-value") or "always"}]}
                for rt in routes.values():
                    rules = rt["spec"]["rules"]
                    if target in rules:
                        rules.insert(rules.index(target), {"matches": [match], "backendRefs": [dict(ref)]})
                        break


def convert_cluster(cluster: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """Every Ingress of a model cluster, converted (the cluster's Services resolve named ports)."""
    return convert(cluster.list("Ingress"), cluster.services())
