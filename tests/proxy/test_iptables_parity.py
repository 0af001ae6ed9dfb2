"""iptables mode at upstream parity on every Service shape (kube-proxy v1.35).

Each test names the upstream test of kubernetes ``pkg/proxy/iptables/proxier_test.go`` it
transcribes; expected rules are written out as kube-proxy's ``syncProxyRules``
(``pkg/proxy/iptables/proxier.go``) writes them, with the chain names its hash gives
(fixtures in :mod:`tests.proxy.upstream_iptables`).
"""

from __future__ import annotations

import pytest

from kubelab.proxy import endpoint_chain, proxier_for, service_port_chain

from .upstream_iptables import (OVERALL_EXPECTED, TEST_NODE, by_chain, endpoint, fake_cluster, overall_cluster,
                                real_node, service, slice_)

P80 = [("p80", 80, "TCP")]
NAME = "ns1/svc1:p80"
SVC, SVL, EXT, FW = (service_port_chain(p, NAME, "TCP") for p in ("KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-"))


def sep(ep: str, name: str = NAME, proto: str = "TCP") -> str:
    return endpoint_chain(name, proto, ep)


def rules(p, table: str, chain: str) -> list[str]:
    p.ensure_synced()
    return [r.restore() for r in p.tables[table].chain_rules(chain)]


def restore_of(cluster, node: str = TEST_NODE) -> str:
    return proxier_for(cluster, "iptables", node=node).render("restore")


def ladder(chain: str, eps: list[str], name: str = NAME) -> list[str]:
    """``writeServiceToEndpointRules`` without affinity: 1/(n-i) for all but the last."""
    out = []
    for i, ep in enumerate(eps):
        prob = f"-m statistic --mode random --probability {1.0 / (len(eps) - i):0.10f} " if i < len(eps) - 1 else ""
        out.append(f'-A {chain} -m comment --comment "{name} -> {ep}" {prob}-j {sep(ep, name)}')
    return out


def test_overall_iptables_rules_equal_upstream_expected_text():
    """TestOverallIPTablesRules: the whole restore input, chain by chain (the upstream test sorts too)."""
    got = by_chain(restore_of(overall_cluster()))
    want = by_chain(real_node(OVERALL_EXPECTED))
    assert got == want


# ------------------------------------------------------------------ traffic policies
def both_local(endpoints):
    return fake_cluster(
        service("ns1", "svc1", "172.30.0.41", [{"name": "p80", "port": 80, "protocol": "TCP", "nodePort": 3001}],
                type="NodePort", externalTrafficPolicy="Local", internalTrafficPolicy="Local"),
        slice_("ns1", "svc1", 1, endpoints, P80))


def test_both_policies_local_keep_the_cluster_chain_for_the_short_circuit():
    """ETP and ITP Local, no local endpoint: UsesClusterEndpoints is true because the Service is
    externally accessible, so KUBE-SVC- exists for the KUBE-EXT- short-circuit (the issue's finding 1)."""
    p = proxier_for(both_local([endpoint("10.180.2.1", "node2")]), "iptables", node=TEST_NODE)
    remote = "10.180.2.1:80"
    assert rules(p, "nat", EXT) == [
        f'-A {EXT} -m comment --comment "pod traffic for {NAME} external destinations" -s 10.0.0.0/8 -j {SVC}',
        f'-A {EXT} -m comment --comment "masquerade LOCAL traffic for {NAME} external destinations" '
        "-m addrtype --src-type LOCAL -j KUBE-MARK-MASQ",
        f'-A {EXT} -m comment --comment "route LOCAL traffic for {NAME} external destinations" '
        f"-m addrtype --src-type LOCAL -j {SVC}"]
    assert rules(p, "nat", SVC) == ladder(SVC, [remote])  # no cluster-IP masquerade rule: ClusterIP goes to SVL
    assert rules(p, "nat", sep(remote))[-1].endswith(f"-j DNAT --to-destination {remote}")
    assert rules(p, "filter", "KUBE-SERVICES") == [
        f'-A KUBE-SERVICES -m comment --comment "{NAME} has no local endpoints" -m tcp -p tcp -d 172.30.0.41 '
        "--dport 80 -j DROP"]
    assert rules(p, "filter", "KUBE-EXTERNAL-SERVICES") == [
        f'-A KUBE-EXTERNAL-SERVICES -m comment --comment "{NAME} has no local endpoints" -m addrtype --dst-type LOCAL '
        "-m tcp -p tcp --dport 3001 -j DROP"]
    assert SVL not in p.render("restore")
    declared = {line[1:].split()[0] for line in p.render("restore").splitlines() if line.startswith(":")}
    jumps = {r.target for t in p.tables.values() for r in t.rules if r.target.startswith("KUBE-")}
    assert jumps <= declared


def test_both_policies_local_with_a_local_endpoint():
    p = proxier_for(both_local([endpoint("10.180.0.1", TEST_NODE), endpoint("10.180.2.1", "node2")]), "iptables",
                    node=TEST_NODE)
    local, remote = "10.180.0.1:80", "10.180.2.1:80"
    assert rules(p, "nat", "KUBE-SERVICES")[0] == (
        f'-A KUBE-SERVICES -m comment --comment "{NAME} cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j {SVL}')
    assert rules(p, "nat", SVL)[1:] == ladder(SVL, [local])
    assert rules(p, "nat", SVC) == ladder(SVC, [local, remote])
    assert rules(p, "nat", EXT)[-1] == f"-A {EXT} -j {SVL}"
    assert rules(p, "filter", "KUBE-SERVICES") == rules(p, "filter", "KUBE-EXTERNAL-SERVICES") == []


@pytest.mark.parametrize("nodes, want", [
    # TestInternalTrafficPolicy's four cases: (endpoint nodes, endpoints the ClusterIP reaches)
    ((TEST_NODE, "node1", "node2"), None),
    ((TEST_NODE, "node1", "node2"), ["10.0.1.1:80"]),
    ((TEST_NODE, TEST_NODE, "node2"), ["10.0.1.1:80", "10.0.1.2:80"]),
    (("node0", "node1", "node2"), "DROP"),
], ids=["cluster", "local-one", "local-multiple", "local-none"])
def test_internal_traffic_policy(nodes, want):
    """TestInternalTrafficPolicy: Local sends ClusterIP traffic to local endpoints only, DROPs without any."""
    itp = "Cluster" if want is None else "Local"
    eps = [endpoint(f"10.0.1.{i + 1}", n, ready=True) for i, n in enumerate(nodes)]
    c = fake_cluster(service("ns1", "svc1", "172.30.1.1", [{"port": 80, "protocol": "TCP"}],
                             internalTrafficPolicy=itp),
                     slice_("ns1", "svc1", 1, eps, [("", 80, "TCP")]))
    p = proxier_for(c, "iptables", node=TEST_NODE)
    name = "ns1/svc1"
    svc, svl = (service_port_chain(x, name, "TCP") for x in ("KUBE-SVC-", "KUBE-SVL-"))
    if want is None:
        assert rules(p, "nat", svc)[1:] == ladder(svc, ["10.0.1.1:80", "10.0.1.2:80", "10.0.1.3:80"], name)
    elif want == "DROP":
        assert rules(p, "filter", "KUBE-SERVICES") == [
            f'-A KUBE-SERVICES -m comment --comment "{name} has no local endpoints" -m tcp -p tcp -d 172.30.1.1 '
            "--dport 80 -j DROP"]
        assert "KUBE-SEP-" not in p.render("restore") and svc not in p.render("restore")
    else:
        assert rules(p, "nat", svl)[1:] == ladder(svl, want, name)
        assert svc not in p.render("restore")  # not externally accessible: no Cluster endpoints at all
    # "endpoints deleted": REJECT, whatever the policy
    c.delete("endpointslice", "svc1-1", "ns1")
    assert rules(p, "filter", "KUBE-SERVICES") == [
        f'-A KUBE-SERVICES -m comment --comment "{name} has no endpoints" -m tcp -p tcp -d 172.30.1.1 '
        "--dport 80 -j REJECT"]


# ------------------------------------------------------------------ terminating endpoints
def lb_local(*eps):
    """TestTerminatingEndpointsTrafficPolicyLocal's Service: LoadBalancer, ETP Local, LB IP 1.2.3.4."""
    return fake_cluster(
        service("ns1", "svc1", "172.30.1.1", [{"port": 80, "protocol": "TCP", "targetPort": 80, "nodePort": 3001}],
                status_ips=["1.2.3.4"], type="LoadBalancer", externalTrafficPolicy="Local",
                healthCheckNodePort=30000),
        slice_("ns1", "svc1", 1, list(eps), [("", 80, "TCP")]))


def reached(p, chain: str) -> list[str]:
    """The endpoints a policy chain sends to (its SEP jumps, as ip:port)."""
    p.ensure_synced()
    seps = {r.target for r in p.tables["nat"].chain_rules(chain) if r.target.startswith("KUBE-SEP-")}
    return sorted(r.args[-1] for s in seps for r in p.tables["nat"].chain_rules(s) if r.target == "DNAT")


@pytest.mark.parametrize("eps, cluster, local", [
    # ready endpoints exist: terminating ones are not used
    ([endpoint("10.0.1.1", TEST_NODE, True, True, False), endpoint("10.0.1.2", TEST_NODE, True, True, False),
      endpoint("10.0.1.3", TEST_NODE, False, True, True), endpoint("10.0.1.4", TEST_NODE, False, False, True),
      endpoint("10.0.1.5", "host-1", True, True, False)],
     ["10.0.1.1:80", "10.0.1.2:80", "10.0.1.5:80"], ["10.0.1.1:80", "10.0.1.2:80"]),
    # only terminating endpoints on this node: the local policy falls back to them, the cluster one does not
    ([endpoint("10.0.1.2", TEST_NODE, False, True, True), endpoint("10.0.1.3", TEST_NODE, False, True, True),
      endpoint("10.0.1.4", TEST_NODE, False, False, True), endpoint("10.0.1.5", "host-1", True, True, False)],
     ["10.0.1.5:80"], ["10.0.1.2:80", "10.0.1.3:80"]),
    # terminating everywhere: both fall back; not-serving endpoints are skipped
    ([endpoint("10.0.1.2", TEST_NODE, False, True, True), endpoint("10.0.1.4", TEST_NODE, False, False, True),
      endpoint("10.0.1.5", "host-1", False, True, True)],
     ["10.0.1.2:80", "10.0.1.5:80"], ["10.0.1.2:80"]),
    # a remote ready endpoint only: no local endpoint at all
    ([endpoint("10.0.1.5", "host-1", True, True, False)], ["10.0.1.5:80"], []),
], ids=["ready-exist", "local-terminating-only", "all-terminating", "remote-only"])
def test_terminating_endpoints_fall_back_independently_for_cluster_and_local(eps, cluster, local):
    """TestTerminatingEndpointsTrafficPolicyLocal / CategorizeEndpoints: ready first, else serving-terminating,
    chosen separately for KUBE-SVC- (Cluster) and KUBE-SVL- (Local); every reachable endpoint gets its SEP."""
    p = proxier_for(lb_local(*eps), "iptables", node=TEST_NODE)
    name = "ns1/svc1"
    svc, svl = (service_port_chain(x, name, "TCP") for x in ("KUBE-SVC-", "KUBE-SVL-"))
    assert reached(p, svc) == cluster
    assert reached(p, svl) == local
    seps = sorted(r.args[-1] for r in p.tables["nat"].rules if r.target == "DNAT")
    assert seps == sorted(set(cluster) | set(local))
    ext = rules(p, "filter", "KUBE-EXTERNAL-SERVICES")
    assert bool(ext) == (not local) and all(line.endswith("-j DROP") for line in ext)
    # healthCheckNodePort: always open, whether this node has local endpoints or not
    assert rules(p, "filter", "KUBE-NODEPORTS") == [
        f'-A KUBE-NODEPORTS -m comment --comment "{name} health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT']


def test_not_serving_endpoints_alone_mean_no_endpoints():
    c = lb_local(endpoint("10.0.1.4", TEST_NODE, False, False, True))
    text = restore_of(c)
    assert "KUBE-SEP-" not in text and text.count('has no endpoints" ') == 3  # clusterIP, LB IP, NodePort: REJECT


def test_partially_ready_endpoints():
    """Not-ready, not-terminating endpoints are left out of the ladder; the rest share 1/n."""
    c = fake_cluster(service("ns1", "svc1", "172.30.0.41", [{"name": "p80", "port": 80, "protocol": "TCP"}]),
                     slice_("ns1", "svc1", 1, [endpoint("10.180.0.1", ready=True), endpoint("10.180.0.2", ready=False),
                                               endpoint("10.180.0.3")], P80))
    p = proxier_for(c, "iptables", node=TEST_NODE)
    assert rules(p, "nat", SVC)[1:] == ladder(SVC, ["10.180.0.1:80", "10.180.0.3:80"])


# ------------------------------------------------------------------ load balancers, external IPs
def test_load_balancer_source_ranges_and_the_node_ip_rule():
    """TestLoadBalancer: two LB IPs, two source ranges (one padded), one containing the node IP 192.168.0.2:
    kube-proxy also accepts the LB IPs as sources (a node's own request, SNATted to the VIP)."""
    c = fake_cluster(
        service("ns1", "svc1", "172.30.0.41", [{"name": "p80", "port": 80, "protocol": "TCP", "nodePort": 3001}],
                status_ips=["1.2.3.4", "5.6.7.8"], type="LoadBalancer",
                loadBalancerSourceRanges=["192.168.0.0/24", " 203.0.113.0/25"]),
        slice_("ns1", "svc1", 1, [endpoint("10.180.0.1")], P80))
    p = proxier_for(c, "iptables", node=TEST_NODE)
    head = f'-A {FW} -m comment --comment "{NAME} loadbalancer IP"'
    assert rules(p, "nat", FW) == [
        f"{head} -s 192.168.0.0/24 -j {EXT}", f"{head} -s 203.0.113.0/25 -j {EXT}",
        f"{head} -s 1.2.3.4 -j {EXT}", f"{head} -s 5.6.7.8 -j {EXT}",
        f'-A {FW} -m comment --comment "other traffic to {NAME} will be dropped by KUBE-PROXY-FIREWALL"']
    assert rules(p, "filter", "KUBE-PROXY-FIREWALL") == [
        f'-A KUBE-PROXY-FIREWALL -m comment --comment "{NAME} traffic not accepted by {FW}" -m tcp -p tcp '
        f"-d {ip} --dport 80 -j DROP" for ip in ("1.2.3.4", "5.6.7.8")]
    # NodePorts bypass loadBalancerSourceRanges
    assert rules(p, "nat", "KUBE-NODEPORTS") == [
        f"-A KUBE-NODEPORTS -m comment --comment {NAME} -m tcp -p tcp --dport 3001 -j {EXT}"]


def test_source_rule_only_when_a_range_holds_the_node_ip():
    c = fake_cluster(
        service("ns1", "svc1", "172.30.0.41", [{"name": "p80", "port": 80, "protocol": "TCP", "nodePort": 3001}],
                status_ips=["1.2.3.4"], type="LoadBalancer", loadBalancerSourceRanges=["203.0.113.0/25"]),
        slice_("ns1", "svc1", 1, [endpoint("10.180.0.1")], P80))
    assert rules(proxier_for(c, "iptables", node=TEST_NODE), "nat", FW) == [
        f'-A {FW} -m comment --comment "{NAME} loadbalancer IP" -s 203.0.113.0/25 -j {EXT}',
        f'-A {FW} -m comment --comment "other traffic to {NAME} will be dropped by KUBE-PROXY-FIREWALL"']


def test_ip_mode_proxy_ingress_is_not_programmed():
    """IsVIPMode: an ingress with ``ipMode: Proxy`` is the load balancer's own address; kube-proxy leaves it alone."""
    c = fake_cluster(
        service("ns1", "svc1", "172.30.0.41", [{"name": "p80", "port": 80, "protocol": "TCP", "nodePort": 3001}],
                status_ips=[{"ip": "1.2.3.4", "ipMode": "VIP"}, {"ip": "5.6.7.8", "ipMode": "Proxy"}],
                type="LoadBalancer"),
        slice_("ns1", "svc1", 1, [endpoint("10.180.0.1")], P80))
    text = restore_of(c)
    assert f'"{NAME} loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j {EXT}' in text
    assert "5.6.7.8" not in text


def test_no_endpoints_reject_on_every_entry_point():
    """TestNoEndpointsReject: clusterIP, external IP, NodePort and LB IP are all REJECTed in filter; no nat chains."""
    c = fake_cluster(service("ns1", "svc1", "172.30.0.41",
                             [{"name": "p80", "port": 80, "protocol": "TCP", "nodePort": 3001}],
                             status_ips=["1.2.3.4"], type="LoadBalancer", externalIPs=["192.168.99.11"]))
    p = proxier_for(c, "iptables", node=TEST_NODE)
    comment = f'-m comment --comment "{NAME} has no endpoints"'
    assert rules(p, "filter", "KUBE-SERVICES") == [
        f"-A KUBE-SERVICES {comment} -m tcp -p tcp -d 172.30.0.41 --dport 80 -j REJECT"]
    assert rules(p, "filter", "KUBE-EXTERNAL-SERVICES") == [
        f"-A KUBE-EXTERNAL-SERVICES {comment} -m tcp -p tcp -d 192.168.99.11 --dport 80 -j REJECT",
        f"-A KUBE-EXTERNAL-SERVICES {comment} -m tcp -p tcp -d 1.2.3.4 --dport 80 -j REJECT",
        f"-A KUBE-EXTERNAL-SERVICES {comment} -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j REJECT"]
    assert not any(c.startswith(("KUBE-SVC-", "KUBE-EXT-", "KUBE-FW-", "KUBE-SEP-")) for c in p.tables["nat"].chains)


def test_several_ports_and_protocols_across_several_slices():
    """TestClusterIPGeneral's ns2/svc2 (http, https→8443, dns over UDP, TCP→5353 and SCTP), its endpoints
    split over two EndpointSlices: each service port gets its own chains and both endpoints."""
    ports = [("http", 80, "TCP", 80), ("https", 443, "TCP", 8443), ("dns-udp", 53, "UDP", 53),
             ("dns-tcp", 53, "TCP", 5353), ("dns-sctp", 53, "SCTP", 53)]
    slice_ports = [(n, target, proto) for n, _, proto, target in ports]
    c = fake_cluster(
        service("ns2", "svc2", "172.30.0.42", [{"name": n, "port": port, "protocol": proto, "targetPort": target}
                                               for n, port, proto, target in ports]),
        slice_("ns2", "svc2", 1, [endpoint("10.180.0.1", TEST_NODE)], slice_ports),
        slice_("ns2", "svc2", 2, [endpoint("10.180.2.1", "node2")], slice_ports))
    p = proxier_for(c, "iptables", node=TEST_NODE)
    for n, port, proto, target in ports:
        name = f"ns2/svc2:{n}"
        svc = service_port_chain("KUBE-SVC-", name, proto)
        p_ = proto.lower()
        assert (f'-A KUBE-SERVICES -m comment --comment "{name} cluster IP" -m {p_} -p {p_} -d 172.30.0.42 '
                f"--dport {port} -j {svc}") in rules(p, "nat", "KUBE-SERVICES")
        assert reached(p, svc) == [f"10.180.0.1:{target}", f"10.180.2.1:{target}"]
        for ip in ("10.180.0.1", "10.180.2.1"):
            assert rules(p, "nat", sep(f"{ip}:{target}", name, proto))[-1] == (
                f"-A {sep(f'{ip}:{target}', name, proto)} -m comment --comment {name} -m {p_} -p {p_} "
                f"-j DNAT --to-destination {ip}:{target}")


# ------------------------------------------------------------------ KUBE-FIREWALL
@pytest.mark.parametrize("proxy, rule", [
    ({}, True),
    ({"iptables": {"localhostNodePorts": False}}, False),
    ({"nodePortAddresses": ["192.168.0.0/24"]}, False),  # TestNodePorts: no loopback, no localnet rule
    ({"nodePortAddresses": ["192.168.0.0/24", "127.0.0.1/32"]}, True),
], ids=["default", "localhost-off", "no-loopback-address", "loopback-address"])
def test_kube_firewall_jumps_on_every_sync_and_its_rule_first(proxy, rule):
    c = fake_cluster(service("ns1", "svc1", "172.30.0.41", [{"name": "p80", "port": 80, "protocol": "TCP"}]),
                     slice_("ns1", "svc1", 1, [endpoint("10.180.0.1")], P80), proxy=proxy)
    p = proxier_for(c, "iptables", node=TEST_NODE)
    jumps = [r.restore() for r in p.jump_rules()["filter"]]
    assert jumps[:2] == ["-A OUTPUT -j KUBE-FIREWALL", "-A INPUT -j KUBE-FIREWALL"]
    filter_text = p.render("restore").split("COMMIT")[0]
    first = next(line for line in filter_text.splitlines() if line.startswith("-A "))
    assert first.startswith("-A KUBE-FIREWALL ") == rule
    assert (":KUBE-FIREWALL - [0:0]" in filter_text) == rule
    save = p.render("save")
    assert ":KUBE-FIREWALL - [0:0]" in save and "-A INPUT -j KUBE-FIREWALL" in save
