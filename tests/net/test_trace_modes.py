"""The trace engine in the three proxy modes: the same cluster, three data paths.

The chapter's lessons, each as upstream behaviour makes it: iptables and IPVS pick a backend in the
kernel and never retry (a dead backend means a client timeout), the userspace proxy retries another
endpoint (proxysocket.go TryConnectEndpoints) at the price of user/kernel copies and a lost client
address; IPVS finds a service by hash lookup (ip_vs_core.c), so its cost does not grow with the number of
services, while iptables walks KUBE-SERVICES rule by rule.
"""

from __future__ import annotations

from collections import Counter

import pytest

from kubelab.net import Network, connect
from tests.factories import web_cluster

MODES = ("iptables", "ipvs", "userspace")


cluster = web_cluster  # Service web, a client pod, n_backends pods on the two workers


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_delivers_clusterip_traffic(mode):
    t = connect(cluster(), "client", "web", 80, mode=mode, seed=1)
    assert t.mode == mode and t.verdict == "delivered" and t.backend.startswith("default/web-")


def test_dead_first_backend_only_userspace_still_delivers():
    """The chapter's lesson: a backend that does not answer."""
    c = cluster(n_backends=3)
    outcomes = {}
    for mode in MODES:
        net = Network(c, mode=mode, seed=11, dead={"web-0"})
        outcomes[mode] = Counter(net.connect("client", "web", 80).verdict for _ in range(60))
    assert outcomes["iptables"]["timeout"] > 5
    assert outcomes["ipvs"]["timeout"] == 20  # rr: exactly every third connection lands on the dead pod
    assert outcomes["userspace"] == {"delivered": 60}  # kube-proxy dials again, another endpoint


def test_ipvs_cost_is_constant_iptables_grows():
    small, big = cluster(), cluster(extra_services=60)
    costs = {}
    for name, c in (("small", small), ("big", big)):
        for mode in ("iptables", "ipvs"):
            t = connect(c, "client", "web", 80, mode=mode)
            costs[(name, mode)] = t.cost
    assert costs[("small", "ipvs")]["ipvs_hash_lookups"] == costs[("big", "ipvs")]["ipvs_hash_lookups"] == 2
    assert costs[("small", "ipvs")]["rules_evaluated"] == costs[("big", "ipvs")]["rules_evaluated"]
    # "web" sorts after the 60 "other-NNN" services: iptables walks past their KUBE-SERVICES rules first
    assert costs[("big", "iptables")]["rules_evaluated"] > costs[("small", "iptables")]["rules_evaluated"] + 50
    hop = next(h for h in connect(big, "client", "web", 80, mode="ipvs").hops if h.kind == "ipvs")
    assert "hash lookups" in hop.detail and "scheduler rr" in hop.detail


def test_no_endpoints_in_each_mode():
    c = cluster(n_backends=0)
    assert connect(c, "client", "web", 80, mode="iptables").verdict == "rejected"
    t = connect(c, "client", "web", 80, mode="ipvs")
    assert t.verdict == "rejected" and "ICMP port unreachable" in str(t)  # ip_vs_leave
    assert connect(c, "client", "web", 80, mode="userspace").verdict == "closed"


def test_ipvs_wrong_port_on_a_vip_is_rejected_by_kube_ipvs_filter():
    # KUBE-IPVS-FILTER (kubernetes#72236): a NEW connection to a kube-ipvs0 address that is not a service port.
    t = connect(cluster(), "client", "web", 81, mode="ipvs")
    assert t.verdict == "rejected"
    assert any("KUBE-IPVS-IPS dst -j REJECT" in s.rule and s.matched for h in t.hops for s in h.steps)


def test_ipvs_masquerade_rules():
    c = cluster(type="NodePort", ports=[{"port": 80, "targetPort": 8080, "nodePort": 30080}])
    net = Network(c, mode="ipvs", seed=2)
    pod_client = net.connect("client", "web", 80)
    assert pod_client.source_seen.startswith(c.pod("client").status.pod_ip + ":")  # in-cluster: no SNAT
    outside = net.connect("198.51.100.7", "172.18.0.3", 30080)
    assert outside.ok and not outside.source_seen.startswith("198.51.100.7")  # KUBE-NODE-PORT-TCP -> MASQ
    node = net.connect("kind-worker2", "web", 80)
    assert node.ok and any("bound to kube-ipvs0" in h.detail for h in node.hops)
    assert not node.source_seen.startswith("10.96.")  # the VIP source was masqueraded


def test_ipvs_local_policy_without_local_endpoint_breaks_replies():
    # syncEndpoint: no local endpoint -> all cluster endpoints (kubernetes#97081), and no SNAT for Local:
    # the reply bypasses the node the client called, so an outside client times out.
    c = cluster(n_backends=1, type="NodePort", externalTrafficPolicy="Local",
                ports=[{"port": 80, "targetPort": 8080, "nodePort": 30080}])
    on = connect(c, "198.51.100.7", "172.18.0.3", 30080, mode="ipvs")  # web-0 runs on kind-worker
    assert on.ok and on.source_seen.startswith("198.51.100.7:")  # source preserved
    off = connect(c, "198.51.100.7", "172.18.0.4", 30080, mode="ipvs")
    assert off.verdict == "timeout" and "97081" in str(off)
    assert connect(c, "198.51.100.7", "172.18.0.4", 30080, mode="iptables").verdict == "dropped"


def test_later_packets_use_conntrack_in_ipvs_mode():
    net = Network(cluster(), mode="ipvs")
    first = net.connect("client", "web", 80)
    later = net.next_packet(first)
    assert later.verdict == "delivered" and later.backend == first.backend
