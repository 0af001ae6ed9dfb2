"""The ingress-nginx model: install, classes, canary, round robin to endpoints, the request end to end.

Sources: ingress-nginx ``deploy/static/provider/cloud`` (the install), ``internal/ingress/controller``
(class filter, ``mergeAlternativeBackends``), ``rootfs/etc/nginx/lua/balancer.lua``
(``route_to_alternative_balancer``: header, then cookie, then weight) and ``balancer/round_robin.lua``;
the canary annotations' documentation; the Kubernetes docs' "Default IngressClass".
"""

from __future__ import annotations

from collections import Counter

import pytest

from kubelab.ingress import CONTROLLER_NAMESPACE, CONTROLLER_SERVICE, IngressController, install
from kubelab.ingress.classes import served_by

from .conftest import cluster, pod, service

PRIMARY = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: primary}
spec:
  rules:
  - host: lb.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: stable, port: {number: 8080}}}}]}
"""


def canary(annotations: dict[str, str], host: str = "lb.example.com", path: str = "/") -> str:
    ann = "".join(f'\n    {k}: "{v}"' for k, v in {"nginx.ingress.kubernetes.io/canary": "true", **annotations}.items())
    return f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: canary
  annotations:{ann}
spec:
  rules:
  - host: {host}
    http: {{paths: [{{path: {path}, pathType: Prefix, backend: {{service: {{name: preview, port: {{number: 8080}}}}}}}}]}}
"""


def shop(*extra: str, stable: int = 3):
    return cluster(PRIMARY, service("stable"), service("preview"),
                   *[pod(f"stable-{i}", "stable") for i in range(1, stable + 1)], pod("preview-1", "preview"), *extra)


A = "nginx.ingress.kubernetes.io/"


def test_install_creates_pods_service_class():
    c = cluster()
    install(c, replicas=2)
    pods = c.pods(CONTROLLER_NAMESPACE)
    assert len(pods) == 2 and all(p.name.startswith("ingress-nginx-controller-") for p in pods)
    assert all(c.is_ready(p) for p in pods)
    svc = c.get("svc", CONTROLLER_SERVICE, CONTROLLER_NAMESPACE)
    assert svc.spec.type == "LoadBalancer" and svc.spec.external_traffic_policy == "Local"
    assert [p.port for p in svc.spec.ports] == [80, 443] and svc.status.load_balancer.ingress[0].ip
    cls = c.get("ingressclass", "nginx")
    assert cls.spec.controller == "k8s.io/ingress-nginx" and cls.is_default


def test_canary_weight_splits_by_the_seeded_draw():
    c = shop(canary({A + "canary-weight": "20"}))
    ctl = IngressController(c, seed=7)
    picks = Counter(ctl.route("http://lb.example.com/").backend.service for _ in range(2000))
    assert 0.17 < picks["preview"] / 2000 < 0.23
    assert _replay(c, 7, 50) == _replay(c, 7, 50)  # seeded: the same split every run
    assert _replay(c, 7, 50) != _replay(c, 8, 50)


def _replay(c, seed, n):
    ctl = IngressController(c, seed=seed)
    return [ctl.route("http://lb.example.com/").backend.service for _ in range(n)]


def test_canary_weight_total_and_edges():
    c = shop(canary({A + "canary-weight": "1", A + "canary-weight-total": "1000"}))
    ctl = IngressController(c, seed=1)
    d = ctl.route("http://lb.example.com/")
    assert d.canary["total"] == 1000 and d.canary["weight"] == 1
    assert all(IngressController(shop(canary({A + "canary-weight": "100"}))).route(
        "http://lb.example.com/").backend.service == "preview" for _ in range(3))
    assert IngressController(shop(canary({}))).route("http://lb.example.com/").backend.service == "stable"


@pytest.mark.parametrize("headers,expected", [
    ({"X-Canary": "always"}, "preview"),
    ({"X-Canary": "never"}, "stable"),  # never wins over the weight of 100
    ({"x-canary": "ALWAYS"}, "preview"),  # weight 100 decides: only exact "always" is the header rule
    ({"Cookie": "beta=always"}, "preview"),
    ({"Cookie": "a=b; beta=never"}, "stable"),
    ({"X-Canary": "never", "Cookie": "beta=always"}, "stable"),  # header before cookie
])
def test_canary_header_then_cookie_then_weight(headers, expected):
    c = shop(canary({A + "canary-by-header": "X-Canary", A + "canary-by-cookie": "beta", A + "canary-weight": "100"}))
    assert IngressController(c).route("http://lb.example.com/", headers=headers).backend.service == expected


def test_canary_header_value():
    c = shop(canary({A + "canary-by-header": "X-Region", A + "canary-by-header-value": "eu"}))
    ctl = IngressController(c)
    assert ctl.route("http://lb.example.com/", headers={"X-Region": "eu"}).backend.service == "preview"
    assert ctl.route("http://lb.example.com/", headers={"X-Region": "always"}).backend.service == "stable"


def test_canary_without_a_primary_is_dropped_and_never_a_server():
    c = shop(canary({A + "canary-weight": "100"}, host="other.example.com"))
    ctl = IngressController(c)
    assert ctl.route("http://other.example.com/").status == 404
    assert ctl.route("http://lb.example.com/").backend.service == "stable"


def test_round_robin_over_endpoints_not_the_clusterip():
    c = shop()
    install(c)
    ctl = IngressController(c)
    traces = [ctl.request("http://lb.example.com/") for _ in range(6)]
    assert [t.backend for t in traces] == ["default/stable-1", "default/stable-2", "default/stable-3"] * 2
    svc_ip = c.get("svc", "stable").spec.cluster_ip
    last = traces[0].legs[-1][1]
    assert not last.dst.startswith(svc_ip) and last.dst.startswith(c.pod("stable-1").status.pod_ip)
    assert not any("DNAT" in h.detail for h in last.hops)  # no kube-proxy translation on this leg
    assert "not the ClusterIP" in traces[0].legs[-1][0]


def test_end_to_end_through_kube_proxy_both_legs():
    c = shop()
    install(c)
    t = IngressController(c).request("http://lb.example.com/")
    assert (t.status, t.verdict, t.ok) == (200, "delivered", True)
    (title1, first), (title2, second) = t.legs
    assert first.ok and first.backend.startswith("ingress-nginx/ingress-nginx-controller-")
    assert any(h.kind == "route" and "load balancer" in h.where for h in first.hops)
    assert any("DNAT" in h.detail for h in first.hops)  # kube-proxy: LB -> node -> controller pod
    assert second.ok and second.src.startswith(first.backend)
    assert t.backend == second.backend and t.backend_address.endswith(":8080")
    text = str(t)
    assert "== ingress-nginx in ingress-nginx/" in text and text.splitlines()[-1].startswith("status: 200 from")


def test_service_upstream_goes_through_kube_proxy():
    c = shop(PRIMARY.replace("metadata: {name: primary}", "metadata: {name: primary, annotations: "
                             "{nginx.ingress.kubernetes.io/service-upstream: 'true'}}"))
    install(c)
    t = IngressController(c).request("http://lb.example.com/")
    leg = t.legs[-1][1]
    assert t.status == 200 and "ClusterIP" in t.legs[-1][0]
    assert any("DNAT" in h.detail for h in leg.hops)


def test_dead_endpoint_is_retried_on_the_next_one():
    c = shop()
    install(c)
    t = IngressController(c).request("http://lb.example.com/", dead={"default/stable-1"})
    assert t.status == 200 and t.backend == "default/stable-2"
    assert [leg.verdict for _, leg in t.legs[1:]] == ["timeout", "delivered"]


def test_all_endpoints_dead_is_504():
    c = shop(stable=2)
    install(c)
    t = IngressController(c).request("http://lb.example.com/", dead={"default/stable-1", "default/stable-2"})
    assert (t.status, len(t.legs)) == (504, 3) and not t.ok


def test_missing_service_or_endpoints_is_503():
    c = cluster(PRIMARY)
    assert IngressController(c).route("http://lb.example.com/").status == 503
    c = cluster(PRIMARY, service("stable"))
    d = IngressController(c).route("http://lb.example.com/")
    assert d.status == 503 and "no ready endpoint" in d.why[-1]


def test_404_is_answered_by_the_controller():
    c = shop()
    install(c)
    t = IngressController(c).request("http://nothing.example.com/")
    assert (t.status, t.verdict, len(t.legs)) == (404, "delivered", 1)


def test_nodeport_install_entry_is_a_node():
    c = shop()
    install(c, service_type="NodePort")
    ctl = IngressController(c)
    ip, port, how = ctl.entry("http://lb.example.com/")
    assert 30000 <= port <= 32767 and "NodePort" in how
    assert ctl.request("http://lb.example.com/").status == 200


def test_no_controller_installed_is_an_error():
    with pytest.raises(Exception, match="no ingress controller"):
        IngressController(shop()).request("http://lb.example.com/")


# ---------------------------------------------------------------- classes
CLASSES = """
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: traefik, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
spec: {controller: traefik.io/ingress-controller}
"""


def _ing(name: str, cls: str | None = None, annotation: str | None = None) -> str:
    spec_cls = f"ingressClassName: {cls}, " if cls else ""
    ann = f", annotations: {{kubernetes.io/ingress.class: {annotation}}}" if annotation else ""
    return f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}{ann}}}
spec: {{{spec_cls}defaultBackend: {{service: {{name: web, port: {{number: 80}}}}}}}}
"""


def test_which_controller_serves_which_ingress():
    c = cluster(CLASSES, _ing("mine", "nginx"), _ing("theirs", "traefik"), _ing("default-class"),
                _ing("legacy", annotation="nginx"), _ing("missing", "nope"))
    ctl = IngressController(c)
    assert sorted(i.name for i in ctl.ingresses) == ["legacy", "mine"]
    why = ctl.not_served()
    assert "names controller traefik.io/ingress-controller" in why["default/theirs"]
    assert "the default IngressClass traefik" in why["default/default-class"]
    assert "no IngressClass nope exists" in why["default/missing"]


def test_two_default_classes_would_refuse_classless_ingresses():
    text = CLASSES.replace("metadata: {name: nginx}",
                           'metadata: {name: nginx, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}')
    c = cluster(text, _ing("classless"))
    ok, why = served_by(c.get("ingress", "classless"), c.list("ingressclasses"))
    assert not ok and "2 default IngressClasses were found, only 1 allowed" in why


def test_no_class_at_all_is_served_by_the_implied_default_nginx_class():
    c = cluster(_ing("plain"))
    assert [i.name for i in IngressController(c).ingresses] == ["plain"]
    c = cluster(CLASSES.split("---")[0], _ing("plain"))  # nginx class exists, not default: ignored
    assert IngressController(c).ingresses == []
    assert IngressController(c, watch_without_class=True).ingresses[0].name == "plain"
