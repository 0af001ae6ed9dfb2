"""The ``policy`` hop of :meth:`kubelab.Cluster.connect` (the trace engine calls :func:`kubelab.policy.policy_hop`)."""

from __future__ import annotations

from .model import cluster, netpol

A = {"matchLabels": {"pod": "a"}}
ONLY_FROM_B = netpol("only-from-b", "x", A, ingress=[{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"pod": "b"}}}]}])
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc-a", "namespace": "x"},
           "spec": {"selector": {"pod": "a"}, "ports": [{"port": 8080, "targetPort": 80}]}}


def policy_hops(trace):
    return [h for h in trace.hops if h.kind == "policy"]


def test_denied_connection_is_dropped_with_the_deciding_policy():
    c = cluster(ONLY_FROM_B)
    ip = c.pod("a", "x").status.pod_ip
    t = c.connect("y/a", ip, 80)
    assert t.verdict == "dropped" and t.backend is None
    (hop,) = policy_hops(t)
    assert "denied into Pod x/a" in hop.detail and "knp.default.only-from-b" in hop.detail
    assert t.hops[-1] is hop  # nothing enters the pod


def test_allowed_connection_names_the_rule_and_is_delivered():
    c = cluster(ONLY_FROM_B)
    t = c.connect("y/b", c.pod("a", "x").status.pod_ip, 80)
    assert t.verdict == "delivered"
    (hop,) = policy_hops(t)
    assert "allowed into Pod x/a" in hop.detail and "ingress rule 0" in hop.detail


def test_policy_sees_the_backend_after_dnat():
    c = cluster(ONLY_FROM_B, extra=[SERVICE])
    assert c.connect("y/a", "x/svc-a", 8080).verdict == "dropped"
    t = c.connect("z/b", "x/svc-a", 8080)
    assert t.verdict == "delivered" and t.backend == "x/a"


def test_flannel_does_not_enforce_and_the_trace_says_so():
    c = cluster(ONLY_FROM_B, cni="flannel")
    t = c.connect("y/a", c.pod("a", "x").status.pod_ip, 80)
    assert t.verdict == "delivered"
    (hop,) = policy_hops(t)
    assert hop.detail.startswith("not enforced (Flannel has no policy agent") and "would deny" in hop.detail


def test_no_policy_no_hop():
    c = cluster()
    t = c.connect("y/a", c.pod("a", "x").status.pod_ip, 80)
    assert t.verdict == "delivered" and policy_hops(t) == []


def test_node_to_local_pod_passes_a_default_deny():
    c = cluster(netpol("deny", "x", ingress=[]))
    a = c.pod("a", "x")
    t = c.connect(a.spec.node_name, a.status.pod_ip, 80)
    assert t.verdict == "delivered" and "kubelet" in policy_hops(t)[0].detail
    other = next(n.name for n in c.nodes() if n.name != a.spec.node_name and n.schedulable)
    assert c.connect(other, a.status.pod_ip, 80).verdict == "dropped"
