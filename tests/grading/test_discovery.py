"""kubelab.grading.discovery: right answers pass in any reasonable form; wrong ones say what the model does instead."""

from __future__ import annotations


import pytest

import kubelab
from kubelab import dns
from kubelab.grading import (WrongAnswer, check_ingress_conversion, check_routes, check_search_order,
                             check_service_vars, route_targets, service_vars)

SERVICES = """
apiVersion: v1
kind: Service
metadata: {name: redis-primary}
spec: {clusterIP: 10.96.0.50, ports: [{name: redis, port: 6379}, {name: metrics, port: 9121}]}
---
apiVersion: v1
kind: Service
metadata: {name: peers}
spec: {clusterIP: None, selector: {app: peers}, ports: [{port: 7000}]}
---
apiVersion: v1
kind: Service
metadata: {name: mail}
spec: {type: ExternalName, externalName: smtp.example.net}
"""

LEGACY = """
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: simple-fanout}
spec:
  rules:
  - host: foo.com
    http:
      paths:
      - {path: /foo, backend: {serviceName: service-1, servicePort: 8080}}
      - {path: /bar, backend: {serviceName: service-2, servicePort: 8080}}
"""


def v1(path_type: str = "Prefix", api: str = "networking.k8s.io/v1") -> str:
    return f"""
apiVersion: {api}
kind: Ingress
metadata: {{name: simple-fanout}}
spec:
  rules:
  - host: foo.com
    http:
      paths:
      - {{path: /foo, pathType: {path_type}, backend: {{service: {{name: service-1, port: {{number: 8080}}}}}}}}
      - {{path: /bar, pathType: {path_type}, backend: {{service: {{name: service-2, port: {{number: 8080}}}}}}}}
"""


URLS = ["foo.com/foo", "foo.com/foo/", "foo.com/foo/x", "foo.com/bar", "bar.com/foo", "foo.com/"]


@pytest.fixture(scope="module")
def cluster():
    return kubelab.Cluster(SERVICES)


def svc(cluster, name):
    return cluster.get("svc", name)


def test_service_vars_is_kubelets(cluster):
    env = service_vars(svc(cluster, "redis-primary"))
    assert env["REDIS_PRIMARY_SERVICE_PORT"] == "6379" and env["REDIS_PRIMARY_SERVICE_PORT_METRICS"] == "9121"
    assert env["REDIS_PRIMARY_PORT_9121_TCP"] == "tcp://10.96.0.50:9121"
    check_service_vars(env, svc(cluster, "redis-primary"))
    check_service_vars(lambda s: service_vars(s), svc(cluster, "redis-primary"))
    check_service_vars({}, svc(cluster, "peers"))
    check_service_vars({}, svc(cluster, "mail"))


@pytest.mark.parametrize("mutate, phrase", [
    (lambda e: {k.replace("REDIS_PRIMARY", "REDIS-PRIMARY"): v for k, v in e.items()}, "cannot contain '-'"),
    (lambda e: {k: v for k, v in e.items() if "METRICS" not in k}, "X_SERVICE_PORT_<NAME>"),
    (lambda e: {**e, "REDIS_PRIMARY_SERVICE_PORT": "9121"}, "(the first port of the Service)"),
    (lambda e: {**e, "REDIS_PRIMARY_PORT_6379_TCP_PROTO": "TCP"}, "lower case"),
    (lambda e: {k: v for k, v in e.items() if "_PORT_" not in k}, "with _PROTO, _PORT and _ADDR"),
])
def test_service_vars_feedback(cluster, mutate, phrase):
    s = svc(cluster, "redis-primary")
    with pytest.raises(WrongAnswer, match="Variables for default/redis-primary") as exc:
        check_service_vars(mutate(service_vars(s)), s)
    assert phrase in str(exc.value)


def test_no_vars_for_headless_or_externalname(cluster):
    with pytest.raises(WrongAnswer, match="headless"):
        check_service_vars({"PEERS_SERVICE_HOST": "None"}, svc(cluster, "peers"))
    with pytest.raises(WrongAnswer, match="ExternalName"):
        check_service_vars({"MAIL_SERVICE_HOST": ""}, svc(cluster, "mail"))
    with pytest.raises(WrongAnswer, match="No answer yet"):
        check_service_vars(lambda s: (_ for _ in ()).throw(NotImplementedError()), svc(cluster, "peers"))
    with pytest.raises(WrongAnswer, match="Expected a dict"):
        check_service_vars(None, svc(cluster, "peers"))


SEARCH = ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local"]


@pytest.mark.parametrize("name, ndots", [("db", 5), ("example.com", 5), ("example.com.", 5), ("a.b.c", 2),
                                         ("www", 1)])
def test_search_order_accepts_the_model_with_or_without_dots(name, ndots):
    want = dns.search_order(name, SEARCH, ndots)
    check_search_order(want, name, SEARCH, ndots)
    check_search_order([w.rstrip(".") for w in want], name, SEARCH, ndots)
    check_search_order(lambda n, s, k: dns.search_order(n, s, k), name, SEARCH, ndots)


def test_search_order_matches_a_pods_lookup():
    c = kubelab.Cluster("""
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop}
spec: {containers: [{name: c, image: busybox}]}
""")
    conf = dns.pod_resolv_conf(c, c.pod("client", "shop"))
    sent = [q.name for q in dns.lookup(c, c.pod("client", "shop"), "nothing.here").queries]
    check_search_order(sent, "nothing.here", conf.searches, conf.ndots)


@pytest.mark.parametrize("name, ndots, answer, phrase", [
    ("example.com", 5, ["example.com.", *(f"example.com.{d}." for d in SEARCH)], "in the wrong order"),
    ("example.com.", 5, [f"example.com.{d}." for d in SEARCH] + ["example.com."], "absolute: one query"),
    ("a.b.c", 2, [f"a.b.c.{d}." for d in SEARCH] + ["a.b.c."], "at least ndots (2)"),
    ("db", 5, [f"db.{d}." for d in SEARCH], "sends 4 queries, you listed 3"),
    ("db", 5, ["db.shop.", "db.svc.cluster.local.", "db.cluster.local.", "db."], "Query 1 for 'db'"),
])
def test_search_order_feedback(name, ndots, answer, phrase):
    with pytest.raises(WrongAnswer) as exc:
        check_search_order(answer, name, SEARCH, ndots)
    assert phrase in str(exc.value)


def test_routes():
    c = kubelab.Cluster(v1())
    want = route_targets(c, URLS)
    assert want["foo.com/foo/x"] == "default/service-1:8080" and want["bar.com/foo"] == "404"
    check_routes(want, c, URLS)
    check_routes({**want, "bar.com/foo": "none"}, c, URLS)
    with pytest.raises(WrongAnswer, match="right Service, but the port is 8080"):
        check_routes({**want, "foo.com/foo": "default/service-1:80"}, c, URLS)
    with pytest.raises(WrongAnswer, match="goes to 404, not default/service-1:8080: host bar.com matches no rule"):
        check_routes({**want, "bar.com/foo": "default/service-1:8080"}, c, URLS)
    with pytest.raises(WrongAnswer, match="No answer for foo.com/"):
        check_routes({u: t for u, t in want.items() if u != "foo.com/"}, c, URLS)


def test_conversion_semantic_not_textual():
    check_ingress_conversion(v1(), LEGACY, URLS)
    flow = v1().replace("{path: /foo, pathType: Prefix, backend: {service: {name: service-1, port: {number: 8080}}}}",
                        "{backend: {service: {port: {number: 8080}, name: service-1}}, pathType: Prefix, path: /foo}")
    check_ingress_conversion(flow, LEGACY, URLS)
    converted, _ = kubelab.ingress.convert_yaml(LEGACY)
    check_ingress_conversion(converted, LEGACY, URLS + ["foo.com/foobar"])


@pytest.mark.parametrize("answer, phrase", [
    (v1("Exact"), "foo.com/foo/: the chapter's Ingress sends it to default/service-1:8080, yours to 404"),
    (v1(api="extensions/v1beta1"), "no longer served since Kubernetes 1.22"),
    (v1().replace("pathType: Prefix, ", ""), "v1 requires a pathType"),
    (LEGACY.replace("extensions/v1beta1", "networking.k8s.io/v1"), "serviceName and servicePort were v1beta1"),
    ("apiVersion: [", "not valid YAML"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n", "exactly one Ingress"),
    (None, "Expected the v1 Ingress as YAML text"),
])
def test_conversion_feedback(answer, phrase):
    with pytest.raises(WrongAnswer) as exc:
        check_ingress_conversion(answer, LEGACY, URLS)
    assert phrase in str(exc.value)
    assert "503" not in str(exc.value)
