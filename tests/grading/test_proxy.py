"""kubelab.grading.proxy: right answers pass in any reasonable form; wrong ones say what kube-proxy does instead."""

from __future__ import annotations


import pytest

import kubelab
from kubelab import proxy
from kubelab.grading import (WrongAnswer, check_backend, check_dead_pod_outcomes, check_probability_ladder,
                             check_service_chain, dead_pod_outcomes, dnat_targets, probability_ladder,
                             service_chain_name)
from kubelab.grading import proxy as gproxy

SHOP = """
apiVersion: v1
kind: Service
metadata: {name: shop}
spec: {selector: {app: shop}, ports: [{name: http, port: 80, targetPort: http}]}
---
apiVersion: v1
kind: Pod
metadata: {name: shop-1, labels: {app: shop}}
spec: {nodeName: kind-worker, containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: shop-2, labels: {app: shop}}
spec: {nodeName: kind-worker2, containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec: {nodeName: kind-worker, containers: [{name: c, image: curl}]}
"""


@pytest.fixture(scope="module")
def cluster():
    return kubelab.Cluster(SHOP)


@pytest.fixture(scope="module")
def dump(cluster):
    return proxy.proxier_for(cluster, "iptables", node="kind-worker").render("save")


def raises(fn, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, WrongAnswer)
    return str(info.value)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 10])
def test_ladder_matches_the_rules_kube_proxy_writes(n):
    c = kubelab.Cluster([{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                          "spec": {"selector": {"app": "s"}, "ports": [{"port": 80}]}}] +
                        [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}", "labels": {"app": "s"}},
                          "spec": {"containers": [{"name": "c", "image": "nginx"}]}} for i in range(n)])
    p = proxy.proxier_for(c, "iptables", node="kind-worker")
    chain = service_chain_name("default", "s", None, "TCP")
    for text, saved in ((p.render("restore"), False), (p.render("save"), True)):
        got = [line.split("--probability ")[1].split()[0] for line in text.splitlines()
               if line.startswith(f"-A {chain} ") and "--probability" in line]
        assert got == probability_ladder(n, saved=saved)
        check_probability_ladder(got, n, saved=saved)
        check_probability_ladder(tuple(f" {x} " for x in got), n, saved=saved)


@pytest.mark.parametrize("answer, n, saved, phrase", [
    (["0.3333333333", "0.3333333333"], 3, False, "1/(n-i) of what is left"),
    (["0.33333333333", "0.5"], 3, False, "exactly ten decimals"),
    (["0.3333333333", "0.5000000000"], 3, True, "fixed-point value"),
    (["0.3333333333", "0.5000000000", "1.0000000000"], 3, False, "The last rule has no probability"),
    ([0.5], 2, False, "the number of decimals matters"),
    ("0.5000000000", 2, False, "Expected a list"),
    (None, 2, False, "No answer yet"),
])
def test_ladder_feedback(answer, n, saved, phrase):
    assert phrase in raises(check_probability_ladder, answer, n, saved=saved)


@pytest.mark.parametrize("args, chain", [
    (("kube-system", "kube-dns", "dns", "UDP"), "KUBE-SVC-TCOU7JCQXEZGVUNU"),
    (("kube-system", "kube-dns", "dns-tcp", "TCP"), "KUBE-SVC-ERIFXISQEP7F7OF4"),
    (("default", "kubernetes", "https", "TCP"), "KUBE-SVC-NPX46M4PTMTKRN6Y"),
    (("ns1", "svc1", "p80", "TCP"), "KUBE-SVC-XPGD46QRK7WJZT7O"),
])
def test_service_chain_known_names(args, chain):
    assert service_chain_name(*args) == chain
    check_service_chain(chain, *args)
    check_service_chain(lambda *a: chain, *args)


def test_service_chain_feedback(dump):
    right = service_chain_name("default", "shop", "http", "TCP")
    assert right in dump
    upper = "KUBE-SVC-" + gproxy._b32("default/shop:httpTCP")
    assert "lower case" in raises(check_service_chain, upper, "default", "shop", "http", "TCP")
    colon = "KUBE-SVC-" + gproxy._b32("default/shop:tcp")
    assert "adds no ':'" in raises(check_service_chain, colon, "default", "shop", None, "TCP")
    assert "starts with 'KUBE-SVC-'" in raises(check_service_chain, "KUBE-SEP-X", "default", "shop", "http", "TCP")

    def todo(*_a):
        raise NotImplementedError()
    assert "No answer yet" in raises(check_service_chain, todo, "default", "shop", "http", "TCP")


def test_backend_reading(cluster, dump):
    targets = dnat_targets(dump)
    shop = {c: t for c, t in targets.items() if t.endswith(":8080")}
    assert sorted(shop.values()) == sorted(f"{p.status.pod_ip}:8080" for p in cluster.pods() if p.name != "client"
                                           and p.namespace == "default")
    chain, target = sorted(shop.items())[0]
    check_backend(target, dump, chain)
    check_backend(lambda d, c: dnat_targets(d)[c], dump, chain)
    assert "The port matters too" in raises(check_backend, target.split(":")[0], dump, chain)
    other_chain, other = sorted(shop.items())[1]
    assert f"is where {other_chain} sends" in raises(check_backend, other, dump, chain)
    with pytest.raises(ValueError):
        check_backend(target, dump, "KUBE-SEP-NOSUCHCHAIN")


def test_dead_pod_outcomes(cluster):
    got = dead_pod_outcomes(cluster, "client", "shop", 80, ["userspace", "iptables", "ipvs"])
    assert got["iptables"] == "timeout" and got["ipvs"] == "timeout" and got["userspace"] == "delivered"
    ready = dead_pod_outcomes(cluster, "client", "shop", 80, ["userspace", "iptables", "ipvs"], not_ready=True)
    assert set(ready.values()) == {"delivered"}
    check_dead_pod_outcomes({"userspace": "Delivered", "iptables": "times out", "ipvs": "timeout"},
                            cluster, "client", "shop", 80)
    text = raises(check_dead_pod_outcomes, {"userspace": "timeout", "iptables": "retries", "ipvs": "timeout"},
                  cluster, "client", "shop", 80)
    assert "iptables mode has no retry" in text and "retries another endpoint" in text
    assert "only sends new connections to ready endpoints" in raises(
        check_dead_pod_outcomes, {"userspace": "delivered", "iptables": "timeout", "ipvs": "timeout"},
        cluster, "client", "shop", 80, not_ready=True)
    assert "ipvs missing" in raises(check_dead_pod_outcomes, {"userspace": "x", "iptables": "timeout"},
                                    cluster, "client", "shop", 80)
    assert "not an outcome I know" in raises(check_dead_pod_outcomes,
                                             {"userspace": "maybe", "iptables": "timeout", "ipvs": "timeout"},
                                             cluster, "client", "shop", 80)
    assert cluster.is_ready(cluster.pod("shop-1")) and cluster.is_ready(cluster.pod("shop-2"))  # not changed
