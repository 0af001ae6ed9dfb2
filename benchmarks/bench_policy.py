"""Policy verdicts at scale: 1,000 pods under 200 policies, and the 100 x 100 reachability matrix.

The cluster: 10 namespaces of 100 pods (labels ``app`` one of 10, ``tier`` one of 4,
``pod: p<N>``, every pod serving 80 and 8080, the latter named ``http``), node CIDRs of
/20 so the three kind nodes hold them.  200 policies: in every namespace a default-deny
(ingress), then per namespace 15 Kubernetes policies mixing podSelector, namespaceSelector,
AND peers, ipBlock with except, numeric, named and endPort ports, egress rules; and 40
Calico policies (NetworkPolicy and GlobalNetworkPolicy: Deny below order 1000, Pass,
Log, nets, port ranges).  ``BENCH_SCALE=small``: 200 pods, 40 policies.

Figures: the cluster build; the first verdict (the index); verdicts per second under
Calico (tiers, knp.default.*) and under Cilium (Kubernetes semantics), over random pod
pairs; the 100 x 100 matrix under Kubernetes semantics (bit sets) and under Calico
(per pair, per-pod selections cached).
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kubelab import Cluster
from kubelab.policy import evaluate, reachability

SMALL = os.environ.get("BENCH_SCALE") == "small"
NAMESPACES = 10 if not SMALL else 4
PODS_PER_NS = 100 if not SMALL else 50
K8S_PER_NS = 16 if not SMALL else 6
CALICO = 40 if not SMALL else 12
VERDICTS = 20_000 if not SMALL else 4_000


def _objects() -> list[dict]:
    objs: list[dict] = []
    for n in range(NAMESPACES):
        ns = f"ns{n}"
        objs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"team": f"t{n % 3}"}}})
        for i in range(PODS_PER_NS):
            objs.append({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": f"p{i}", "namespace": ns,
                                      "labels": {"app": f"a{i % 10}", "tier": f"t{i % 4}", "pod": f"p{i}"}},
                         "spec": {"containers": [{"name": "c", "image": "i", "ports": [
                             {"containerPort": 80}, {"name": "http", "containerPort": 8080}]}]}})
        objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                     "metadata": {"name": "default-deny", "namespace": ns}, "spec": {"podSelector": {}}})
        for k in range(K8S_PER_NS - 1):
            peers = [
                {"podSelector": {"matchLabels": {"tier": f"t{k % 4}"}}},
                {"namespaceSelector": {"matchLabels": {"team": f"t{k % 3}"}}, "podSelector": {"matchLabels": {"app": f"a{k % 10}"}}},
                {"ipBlock": {"cidr": "10.244.0.0/16", "except": [f"10.244.{k % 3}.0/24"]}},
            ]
            ports = [[{"port": 80}], [{"port": "http"}], [{"port": 8000, "endPort": 8100}], []][k % 4]
            spec: dict = {"podSelector": {"matchLabels": {"app": f"a{k % 10}"}},
                          "ingress": [{"from": [peers[k % 3]], "ports": ports}]}
            if k % 5 == 0:
                spec["egress"] = [{"to": [{"namespaceSelector": {}}], "ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}]
            objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                         "metadata": {"name": f"np{k}", "namespace": ns}, "spec": spec})
    for c in range(CALICO):
        ns = f"ns{c % NAMESPACES}"
        rules = [{"action": "Log", "source": {"selector": f"tier == 't{c % 4}'"}},
                 {"action": "Deny", "protocol": "TCP", "source": {"nets": [f"10.244.{c % 3}.0/26"]},
                  "destination": {"ports": ["8000:8100"]}},
                 {"action": "Pass", "source": {"namespaceSelector": f"team == 't{c % 3}'"}}]
        spec = {"order": 100 + c * 10, "selector": f"app in {{'a{c % 10}', 'a{(c + 1) % 10}'}} && !has(canary)",
                "ingress": rules}
        if c % 2:
            objs.append({"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
                         "metadata": {"name": f"gnp{c}"}, "spec": {**spec, "namespaceSelector": f"team == 't{c % 3}'"}})
        else:
            objs.append({"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                         "metadata": {"name": f"cnp{c}", "namespace": ns}, "spec": spec})
    return objs


def _pairs(c: Cluster, n: int) -> list[tuple[str, str, int]]:
    rng = random.Random(1)
    pods = [f"{p.namespace}/{p.name}" for p in c.pods() if p.namespace.startswith("ns")]
    return [(rng.choice(pods), rng.choice(pods), rng.choice((80, 8080, 8050))) for _ in range(n)]


def _rate(c: Cluster, pairs) -> tuple[float, float, float]:
    """First verdict (index), rate while per-pod selections fill (cold), rate once they are cached (warm)."""
    t = time.perf_counter()
    evaluate(c, *pairs[0])
    first = time.perf_counter() - t
    rates = []
    for _ in range(2):
        t = time.perf_counter()
        for s, d, port in pairs:
            evaluate(c, s, d, port)
        rates.append(len(pairs) / (time.perf_counter() - t))
    return first, rates[0], rates[1]


def run() -> list[tuple[str, float, str]]:
    objs = _objects()
    npods = NAMESPACES * PODS_PER_NS
    npol = sum(1 for o in objs if "Policy" in o["kind"])
    out = []
    t = time.perf_counter()
    calico = Cluster(objs, node_cidr_mask=20)
    out.append((f"cluster build ({npods} pods, {npol} policies)", time.perf_counter() - t, "s"))
    cilium = Cluster(objs, node_cidr_mask=20, cni="cilium")
    pairs = _pairs(calico, VERDICTS)
    first, cold, warm = _rate(calico, pairs)
    out.append(("first verdict, calico (builds the index)", first * 1000, "ms"))
    out.append(("verdicts per second, calico, cold per-pod caches", cold, "verdicts/s"))
    out.append(("verdicts per second, calico (tiers, knp.default.*), warm", warm, "verdicts/s"))
    first, cold, warm = _rate(cilium, pairs)
    out.append(("verdicts per second, cilium (Kubernetes semantics), warm", warm, "verdicts/s"))
    sub = [f"ns{n}" for n in range(min(NAMESPACES, 10))]
    keep = {f"p{i}" for i in range(100 // len(sub))}
    small = [o for o in objs if o["kind"] != "Pod" or (o["metadata"]["namespace"] in sub and o["metadata"]["name"] in keep)]
    for cni in ("cilium", "calico"):
        c = Cluster(small, node_cidr_mask=20, cni=cni)
        t = time.perf_counter()
        m = reachability(c, sub, 80)
        label = "Kubernetes semantics, bit sets" if cni == "cilium" else "Calico tiers, per pair"
        out.append((f"reachability matrix {len(m.pods)} x {len(m.pods)} ({label})", time.perf_counter() - t, "s"))
    return out


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:<60} {value:>12.3f}  {unit}")
