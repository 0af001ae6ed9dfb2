"""kube-proxy's packet-flow tests, run through the model's netfilter evaluator.

Upstream: kubernetes ``pkg/proxy/iptables/proxier_test.go`` (v1.35 line), ``runPacketFlowTests``:
a packet from ``sourceIP`` to ``destIP:destPort`` goes through ``nat`` PREROUTING (OUTPUT when
the source is a node address), the ``filter`` chain (INPUT for a local destination, else
FORWARD; OUTPUT from the node), then ``nat`` POSTROUTING; the outcome is the set of endpoints it
can be DNATed to (every branch of the probability ladder), ``DROP``/``REJECT``, or ``""`` when
no service rule applies, and whether it is masqueraded.  Each test below names the upstream
test whose flows it transcribes (same services, endpoints, addresses and expected outcomes).
"""

from __future__ import annotations

import random

import pytest

from kubelab.netfilter.evaluator import Evaluator
from kubelab.netfilter.packet import Packet
from kubelab.proxy import proxier_for

from .upstream_iptables import TEST_NODE, TEST_NODE_IP, endpoint, fake_cluster, service, slice_

EXTERNAL_CLIENT = "203.0.113.2"  # testExternalClient
EXTERNAL_CLIENT_BLOCKED = "203.0.113.130"  # testExternalClientBlocked
POD = "10.0.0.2"
NODE_IPS = {TEST_NODE_IP, "192.168.1.2"}  # testNodeIP, testNodeIPAlt
RUNS = 48  # enough draws of the ladder to see every endpoint of these small Services


def flow(p, src: str, dst: str, dport: int, proto: str = "TCP") -> tuple[str, bool]:
    """``(output, masq)`` as ``runPacketFlowTests`` reports them."""
    tables = p.full_tables()
    hook = "OUTPUT" if src in NODE_IPS or src.startswith("127.") else "PREROUTING"
    outputs, masq = set(), set()
    for seed in range(RUNS):
        ev = Evaluator(tables, NODE_IPS, random.Random(seed))
        pkt = Packet(src, 40000 + seed, dst, dport, proto)
        ev.run("nat", hook, pkt)
        chain = "OUTPUT" if hook == "OUTPUT" else ("INPUT" if ev.is_local(pkt.dst) else "FORWARD")
        verdict = ev.run("filter", chain, pkt).verdict
        if verdict in ("DROP", "REJECT"):
            outputs.add(verdict)
            continue
        outputs.add(f"{pkt.dst}:{pkt.dport}" if pkt.dnat else "")
        masq.add(ev.run("nat", "POSTROUTING", pkt).verdict == "MASQUERADE")
    assert len(masq) <= 1, "some branches masquerade and others do not"
    return ", ".join(sorted(outputs)), masq == {True}


def lb(etp: str, ep1_node=None, **spec):
    """TestExternalTrafficPolicyLocal/Cluster's Service: LB 1.2.3.4, external IP 192.168.99.11, NodePort 3001;
    endpoint 10.180.0.1 elsewhere, 10.180.2.1 on this node."""
    return fake_cluster(
        service("ns1", "svc1", "172.30.0.41",
                [{"name": "p80", "port": 80, "protocol": "TCP", "nodePort": 3001, "targetPort": 80}],
                status_ips=["1.2.3.4"], type="LoadBalancer", externalTrafficPolicy=etp,
                externalIPs=["192.168.99.11"], **spec),
        slice_("ns1", "svc1", 1, [endpoint("10.180.0.1", ep1_node), endpoint("10.180.2.1", TEST_NODE)],
               [("p80", 80, "TCP")]))


BOTH = "10.180.0.1:80, 10.180.2.1:80"
LOCAL = "10.180.2.1:80"


@pytest.mark.parametrize("src, dst, port, output, masq", [
    (POD, "172.30.0.41", 80, BOTH, False),
    (POD, "192.168.99.11", 80, BOTH, False),
    (EXTERNAL_CLIENT, "192.168.99.11", 80, LOCAL, False),
    (POD, "1.2.3.4", 80, BOTH, False),
    (EXTERNAL_CLIENT, "1.2.3.4", 80, LOCAL, False),
    (POD, TEST_NODE_IP, 3001, BOTH, False),
    (EXTERNAL_CLIENT, TEST_NODE_IP, 3001, LOCAL, False),
])
def test_external_traffic_policy_local(src, dst, port, output, masq):
    """TestExternalTrafficPolicyLocal: pods are short-circuited to every endpoint, outside clients reach only
    the local one, and nobody is masqueraded (the client address is kept)."""
    p = proxier_for(lb("Local", healthCheckNodePort=30000), "iptables", node=TEST_NODE)
    assert flow(p, src, dst, port) == (output, masq)


@pytest.mark.parametrize("src, dst, port, output, masq", [
    (POD, "172.30.0.41", 80, BOTH, False),
    (POD, "192.168.99.11", 80, BOTH, True),
    (EXTERNAL_CLIENT, "192.168.99.11", 80, BOTH, True),
    (POD, "1.2.3.4", 80, BOTH, True),
    (EXTERNAL_CLIENT, "1.2.3.4", 80, BOTH, True),
    (POD, TEST_NODE_IP, 3001, BOTH, True),
    (EXTERNAL_CLIENT, TEST_NODE_IP, 3001, BOTH, True),
])
def test_external_traffic_policy_cluster(src, dst, port, output, masq):
    """TestExternalTrafficPolicyCluster: every entry point reaches both endpoints; external ones masquerade."""
    p = proxier_for(lb("Cluster"), "iptables", node=TEST_NODE)
    assert flow(p, src, dst, port) == (output, masq)


@pytest.mark.parametrize("src, dst, port, output, masq", [
    (POD, "172.30.0.41", 80, "10.180.0.1:80", False),
    (EXTERNAL_CLIENT, TEST_NODE_IP, 3001, "10.180.0.1:80", True),
    (EXTERNAL_CLIENT_BLOCKED, TEST_NODE_IP, 3001, "10.180.0.1:80", True),  # NodePort bypasses the ranges
    (EXTERNAL_CLIENT, "1.2.3.4", 80, "10.180.0.1:80", True),
    (EXTERNAL_CLIENT, "5.6.7.8", 80, "10.180.0.1:80", True),
    (EXTERNAL_CLIENT_BLOCKED, "1.2.3.4", 80, "DROP", False),
    (EXTERNAL_CLIENT_BLOCKED, "5.6.7.8", 80, "DROP", False),
    (POD, "1.2.3.4", 80, "DROP", False),
    (POD, "5.6.7.8", 80, "DROP", False),
    (TEST_NODE_IP, "1.2.3.4", 80, "10.180.0.1:80", True),
    (TEST_NODE_IP, "5.6.7.8", 80, "10.180.0.1:80", True),
    ("1.2.3.4", "1.2.3.4", 80, "10.180.0.1:80", True),  # same node, SNATted to the VIP
    ("5.6.7.8", "5.6.7.8", 80, "10.180.0.1:80", True),
])
def test_load_balancer_source_ranges_flows(src, dst, port, output, masq):
    """TestLoadBalancer: loadBalancerSourceRanges 192.168.0.0/24 and 203.0.113.0/25 on two LB IPs."""
    c = fake_cluster(
        service("ns1", "svc1", "172.30.0.41", [{"name": "p80", "port": 80, "protocol": "TCP", "nodePort": 3001}],
                status_ips=["1.2.3.4", "5.6.7.8"], type="LoadBalancer",
                loadBalancerSourceRanges=["192.168.0.0/24", " 203.0.113.0/25"]),
        slice_("ns1", "svc1", 1, [endpoint("10.180.0.1")], [("p80", 80, "TCP")]))
    assert flow(proxier_for(c, "iptables", node=TEST_NODE), src, dst, port) == (output, masq)


@pytest.mark.parametrize("src, dst, port", [
    (POD, "172.30.0.41", 80), (EXTERNAL_CLIENT, "192.168.99.11", 80), (POD, TEST_NODE_IP, 3001),
    (EXTERNAL_CLIENT, TEST_NODE_IP, 3001), (POD, "1.2.3.4", 80), (EXTERNAL_CLIENT, "1.2.3.4", 80),
])
def test_no_endpoints_reject_flows(src, dst, port):
    """TestNoEndpointsReject: every entry point of a Service without endpoints answers REJECT."""
    c = fake_cluster(service("ns1", "svc1", "172.30.0.41",
                             [{"name": "p80", "port": 80, "protocol": "TCP", "nodePort": 3001}],
                             status_ips=["1.2.3.4"], type="LoadBalancer", externalIPs=["192.168.99.11"]))
    assert flow(proxier_for(c, "iptables", node=TEST_NODE), src, dst, port) == ("REJECT", False)


@pytest.mark.parametrize("src, dst, port, output, masq", [
    (POD, "172.30.0.41", 80, "DROP", False),  # internalTrafficPolicy Local, nothing local
    (POD, TEST_NODE_IP, 3001, "10.180.2.1:80", False),  # the short-circuit reaches the remote endpoint
    (TEST_NODE_IP, TEST_NODE_IP, 3001, "10.180.2.1:80", True),  # from the node: short-circuit, masqueraded
    (EXTERNAL_CLIENT, TEST_NODE_IP, 3001, "DROP", False),  # externalTrafficPolicy Local, nothing local
])
def test_both_policies_local_on_a_node_without_local_endpoints(src, dst, port, output, masq):
    """The issue's Service (no upstream test has it): NodePort, both policies Local, one remote endpoint."""
    c = fake_cluster(
        service("ns1", "svc1", "172.30.0.41", [{"name": "p80", "port": 80, "protocol": "TCP", "nodePort": 3001}],
                type="NodePort", externalTrafficPolicy="Local", internalTrafficPolicy="Local"),
        slice_("ns1", "svc1", 1, [endpoint("10.180.2.1", "node2")], [("p80", 80, "TCP")]))
    assert flow(proxier_for(c, "iptables", node=TEST_NODE), src, dst, port) == (output, masq)
