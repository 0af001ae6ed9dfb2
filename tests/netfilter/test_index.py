"""The destination index of long chains gives the linear walk's trace: same rules looked at, same verdict, same count.

Random clusters (seeded: the same ones on every run) with Services of every
kind of rule kube-proxy writes for them (ClusterIP, NodePort, session
affinity, externalIPs, no endpoints), connections from pods and nodes to
Services, NodePorts, pods and addresses nobody has; each trace is made twice,
once with the index (chains of 32 rules and more) and once walking every
chain rule by rule, in every registered proxy mode.
"""

from __future__ import annotations

import random

import pytest

from kubelab import Cluster
from kubelab.proxy.rendering import proxy_modes
from kubelab.net import Network
from kubelab.netfilter import evaluator as netfilter
from kubelab.netfilter.evaluator import ChainStep, Steps

MODES = list(proxy_modes())


def random_cluster(seed: int) -> tuple[Cluster, list[tuple[str, str, int]]]:
    """Services of random shapes and the connections to try (source, host, port)."""
    rng = random.Random(seed)
    docs = []
    services = rng.randint(30, 60)
    for i in range(services):
        name = f"svc-{i:03d}"
        backends = rng.choice([0, 1, 2, 3])
        for j in range(backends):
            docs.append({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": f"{name}-{j}", "labels": {"app": name}},
                         "spec": {"containers": [{"name": "c", "image": "nginx",
                                                  "ports": [{"containerPort": 8080}]}]}})
        spec = {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}
        shape = rng.choice(["ClusterIP", "NodePort", "affinity", "external", "two-ports"])
        if shape == "NodePort":
            spec["type"] = "NodePort"
        elif shape == "affinity":
            spec["sessionAffinity"] = "ClientIP"
        elif shape == "external":
            spec["externalIPs"] = [f"203.0.113.{i + 1}"]
        elif shape == "two-ports":
            spec["ports"] = [{"name": "a", "port": 80, "targetPort": 8080}, {"name": "b", "port": 81, "targetPort": 9}]
        docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec})
    docs.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
                 "spec": {"containers": [{"name": "c", "image": "curl"}]}})
    cluster = Cluster(docs)
    svcs = [s for s in cluster.services("default") if s.name.startswith("svc-")]
    targets = []
    for _ in range(16):
        svc = rng.choice(svcs)
        port = rng.choice([p.port for p in svc.spec.ports] * 4 + [8])
        source = rng.choice(["client", "client", cluster.nodes()[1].name])
        host = rng.choice([svc.spec.cluster_ip] * 4 + [*svc.spec.external_ips, "10.96.255.254", "10.244.9.9"])
        targets.append((source, host, port))
        if svc.spec.type == "NodePort":
            targets.append((source, cluster.nodes()[1].internal_ip, svc.spec.ports[0].node_port))
    return cluster, targets


def traces(cluster: Cluster, mode: str, targets: list) -> list[tuple[str, str, int, list[str]]]:
    net = Network(cluster, mode=mode, seed=7)
    try:
        out = []
        for source, host, port in targets:
            t = net.connect(source, host, port)
            out.append((t.verdict, t.backend, t.rules_evaluated, t.lines()))
        return out
    finally:
        net.close()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_indexed_walk_equals_linear_walk(monkeypatch, mode, seed):
    cluster, targets = random_cluster(seed)
    indexed = traces(cluster, mode, targets)
    monkeypatch.setattr(netfilter, "INDEXED_CHAIN", 10**9)  # every chain walked rule by rule
    linear = traces(cluster, mode, targets)
    assert indexed == linear
    assert {v for v, *_ in indexed} >= {"delivered"}  # the clusters do deliver, so the walks went past the index


def test_the_index_skips_rules_but_counts_them():
    """A Service in the middle of a long ``KUBE-SERVICES``: most rules are skipped, all are counted."""
    docs = [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"s{i:03d}"},
             "spec": {"selector": {"app": f"s{i:03d}"}, "ports": [{"port": 80}]}} for i in range(200)]
    docs += [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i:03d}", "labels": {"app": f"s{i:03d}"}},
              "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}]}}
             for i in range(200)]
    cluster = Cluster(docs)
    net = Network(cluster, mode="iptables", seed=1)
    node = cluster.get("Pod", "p000").spec.node_name
    chain = net.proxier(node).full_tables()["nat"].chain_rules("KUBE-SERVICES")
    target = [r.dst for r in chain if r.dst and (r.target or "").startswith("KUBE-SVC-")]
    target = target[len(target) // 2].split("/")[0]  # a Service in the middle of KUBE-SERVICES
    trace = net.connect("p000", target, 80)
    nat = next(h for h in trace.hops if h.kind == "netfilter" and h.detail.startswith("nat PREROUTING"))
    assert isinstance(nat.steps, Steps)
    skipped = [p for p in nat.steps._parts if not isinstance(p, ChainStep)]
    assert sum(len(p) for p in skipped) > 100  # the rules before it were not looked at in Python
    services = [s for s in nat.steps if s.chain == "KUBE-SERVICES"]  # ...but are steps of the trace
    assert sum(1 for s in services if not s.matched) > 100 and services[-1].matched
    assert trace.verdict == "delivered"
    net.close()
