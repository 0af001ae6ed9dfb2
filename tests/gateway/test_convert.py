"""Ingress -> Gateway + HTTPRoute (kubelab.gateway.convert, after ingress2gateway v1.1.0).

The chapter's five Ingress variants (``kubelab/data/ingress``) are converted, applied
with a GatewayClass ``nginx``, and every request the Ingress controller routes is routed
to the same Service by the Gateway -- except where the notes say the conversion differs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kubelab
from kubelab import Cluster
from kubelab.gateway import GatewayRouter
from kubelab.gateway.convert import convert_cluster, name_from_host, route_name
from kubelab.ingress import IngressController

DATA = Path(kubelab.__file__).parent / "data" / "ingress"
CLASS = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "nginx"},
         "spec": {"controllerName": "gateway.nginx.org/nginx-gateway-controller"}}

CASES = [
    ("01-single-service.yaml", "single", ["http://anything.example/", "http://x/any/path"]),
    ("02-simple-fanout.yaml", "fanout", ["http://foo.com/foo", "http://foo.com/bar/x", "http://foo.com/foobar"]),
    ("03-name-based-virtual-hosting.yaml", "vhost", ["http://foo.com/", "http://bar.com/x", "http://baz.com/"]),
    ("04-tls.yaml", "tls", ["http://ssl.foo.com/"]),
]


@pytest.mark.parametrize("name,ns,urls", CASES, ids=[c[0] for c in CASES])
def test_converted_chapter_examples_route_like_the_ingress(name, ns, urls):
    ingress_cluster = Cluster(DATA / name)
    docs, _ = convert_cluster(ingress_cluster)
    services = [s for s in ingress_cluster.services() if s.namespace == ns]
    gw_cluster = Cluster([CLASS, *docs, *services])
    router = GatewayRouter(gw_cluster, f"{ns}/nginx")
    ctl = IngressController(ingress_cluster)
    for url in urls:
        expected = ctl.route(url).target
        got = router.route(url).line
        assert got == expected, url


def test_tls_variant_gets_an_https_listener_with_the_secret():
    docs, notes = convert_cluster(Cluster(DATA / "04-tls.yaml"))
    gw = docs[0]
    https = [ls for ls in gw["spec"]["listeners"] if ls["protocol"] == "HTTPS"]
    assert https == [{"name": "ssl-foo-com-https", "hostname": "ssl.foo.com", "port": 443, "protocol": "HTTPS",
                      "tls": {"certificateRefs": [{"group": "", "kind": "Secret", "name": "secret-tls"}]}}]
    assert any("308 redirect" in n for n in notes)


def test_canary_becomes_weights_and_a_header_rule():
    c = Cluster(DATA / "05-load-balancing.yaml")
    docs, notes = convert_cluster(c)
    (route,) = [d for d in docs if d["kind"] == "HTTPRoute"]
    header_rule, weighted = route["spec"]["rules"]
    assert header_rule["matches"][0]["headers"] == [{"name": "X-Canary", "value": "always"}]
    assert weighted["backendRefs"] == [{"name": "service-1", "port": 80, "weight": 80},
                                       {"name": "service-2", "port": 80, "weight": 20}]
    gw = Cluster([CLASS, *docs, *c.services("lb")])
    assert GatewayRouter(gw, "lb/nginx").route("http://lb.example.com/", headers={"X-Canary": "always"}).line == \
        "lb/service-2:80"
    assert notes == []


def test_default_backend_becomes_a_catch_all_route_and_annotations_are_noted():
    c = Cluster("""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: mixed, annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}}
spec:
  defaultBackend: {service: {name: fallback, port: {number: 80}}}
  rules:
  - host: foo.com
    http: {paths: [{path: /app, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}]}
""")
    docs, notes = convert_cluster(c)
    assert [d["metadata"]["name"] for d in docs] == ["nginx", "mixed-foo-com", "mixed-default-backend"]
    assert any("rewrite-target is not converted" in n for n in notes)
    assert any("defaultBackend becomes the catch-all HTTPRoute mixed-default-backend" in n for n in notes)
    services = [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": n}, "spec": {"ports": [{"port": 80}]}}
                for n in ("fallback", "app")]
    router = GatewayRouter(Cluster([CLASS, *docs, *services]), "default/nginx")
    ctl = IngressController(Cluster([c.get("ingress", "mixed"), *services]))
    for url in ("http://foo.com/app/x", "http://foo.com/other"):
        assert router.route(url).line == ctl.route(url).target, url
    # The difference the note states: a host no rule names.
    assert (ctl.route("http://bar.com/").target, router.route("http://bar.com/").line) == ("404", "default/fallback:80")


@pytest.mark.parametrize("host,name", [("foo.bar.com", "foo-bar-com"), ("*.foo.com", "foo-com"), ("", "all-hosts")])
def test_names(host, name):
    assert name_from_host(host) == name
    assert route_name("web", host) == f"web-{name}"
