"""IPVS mode on the Service shapes of the iptables parity tests, where they apply.

Upstream: kubernetes ``pkg/proxy/ipvs/proxier.go`` (v1.35 line) ``syncEndpoint``: a virtual
server with a Local policy gets the local endpoints, or -- when there are none -- all the
Cluster endpoints (kubernetes#97081, "allow access from local PODs even if no local endpoints
exist"); every other virtual server gets the Cluster endpoints; both lists come from
``CategorizeEndpoints`` (``pkg/proxy/topology.go``), so the terminating fallback and the
"Cluster endpoints whenever externally accessible" rule apply as in iptables mode.  IPVS
has no REJECT rule for a Service without endpoints: its virtual servers stay, empty, and
``ip_vs_leave`` answers ICMP port unreachable.  ``ipMode: Proxy`` ingress IPs get no virtual
server.  (No IPVS in this kernel: checked against the model only.)
"""

from __future__ import annotations

from kubelab.proxy import proxier_for

from .upstream_iptables import TEST_NODE, TEST_NODE_IP, endpoint, fake_cluster, service, slice_

P80 = [("p80", 80, "TCP")]


def dests(p, address: str, port: int) -> list[str]:
    p.ensure_synced()
    vs = p.vs_index[("TCP", address, port)]
    return sorted(f"{d.ip}:{d.port}" for d in vs.dests)


def nodeport(eps, **spec):
    return fake_cluster(
        service("ns1", "svc1", "172.30.0.41", [{"name": "p80", "port": 80, "protocol": "TCP", "nodePort": 3001}],
                type="NodePort", **spec),
        slice_("ns1", "svc1", 1, eps, P80))


def test_both_policies_local_without_a_local_endpoint_fall_back_to_cluster_endpoints():
    p = proxier_for(nodeport([endpoint("10.180.2.1", "node2")], externalTrafficPolicy="Local",
                             internalTrafficPolicy="Local"), "ipvs", node=TEST_NODE)
    assert dests(p, "172.30.0.41", 80) == dests(p, TEST_NODE_IP, 3001) == ["10.180.2.1:80"]
    assert p.vs_index[("TCP", TEST_NODE_IP, 3001)].local_fallback
    assert "3001" in p.ipsets["KUBE-NODE-PORT-LOCAL-TCP"].entries


def test_both_policies_local_with_a_local_endpoint():
    p = proxier_for(nodeport([endpoint("10.180.0.1", TEST_NODE), endpoint("10.180.2.1", "node2")],
                             externalTrafficPolicy="Local", internalTrafficPolicy="Local"), "ipvs", node=TEST_NODE)
    assert dests(p, "172.30.0.41", 80) == dests(p, TEST_NODE_IP, 3001) == ["10.180.0.1:80"]


def test_internal_local_cluster_ip_only_without_local_endpoints_is_empty():
    c = fake_cluster(service("ns1", "svc1", "172.30.0.41", [{"name": "p80", "port": 80, "protocol": "TCP"}],
                             internalTrafficPolicy="Local"),
                     slice_("ns1", "svc1", 1, [endpoint("10.180.2.1", "node2")], P80))
    assert dests(proxier_for(c, "ipvs", node=TEST_NODE), "172.30.0.41", 80) == []
    assert dests(proxier_for(c, "ipvs", node="node2"), "172.30.0.41", 80) == ["10.180.2.1:80"]


def test_terminating_fallback_for_the_local_policy_only():
    c = fake_cluster(
        service("ns1", "svc1", "172.30.1.1", [{"name": "p80", "port": 80, "protocol": "TCP", "nodePort": 3001}],
                status_ips=["1.2.3.4", {"ip": "5.6.7.8", "ipMode": "Proxy"}], type="LoadBalancer",
                externalTrafficPolicy="Local", healthCheckNodePort=30000),
        slice_("ns1", "svc1", 1, [endpoint("10.0.1.2", TEST_NODE, False, True, True),
                                  endpoint("10.0.1.4", TEST_NODE, False, False, True),
                                  endpoint("10.0.1.5", "host-1", True, True, False)], P80))
    p = proxier_for(c, "ipvs", node=TEST_NODE)
    assert dests(p, "172.30.1.1", 80) == ["10.0.1.5:80"]  # Cluster: the ready one
    assert dests(p, "1.2.3.4", 80) == dests(p, TEST_NODE_IP, 3001) == ["10.0.1.2:80"]  # Local: serving-terminating
    assert ("TCP", "5.6.7.8", 80) not in p.vs_index and "5.6.7.8" not in p.ipsets["KUBE-IPVS-IPS"].entries
    assert "30000" in p.ipsets["KUBE-HEALTH-CHECK-NODE-PORT"].entries


def test_no_endpoints_leave_empty_virtual_servers_on_every_entry_point():
    c = fake_cluster(service("ns1", "svc1", "172.30.0.41",
                             [{"name": "p80", "port": 80, "protocol": "TCP", "nodePort": 3001}],
                             status_ips=["1.2.3.4"], type="LoadBalancer", externalIPs=["192.168.99.11"]))
    p = proxier_for(c, "ipvs", node=TEST_NODE)
    for address, port in (("172.30.0.41", 80), ("192.168.99.11", 80), ("1.2.3.4", 80), (TEST_NODE_IP, 3001)):
        assert dests(p, address, port) == []
