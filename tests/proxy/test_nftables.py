"""kube-proxy nftables mode (v1.35): the table kube-proxy programs, against upstream's own expected dumps.

The expected text of ``TestOverallNFTablesRules`` (kubernetes ``pkg/proxy/nftables/proxier_test.go``,
v1.35 line) is transcribed in ``data/nft_overall_v1.35.txt`` and compared the way upstream's
``helpers_test.go`` ``assertNFTablesTransactionEqual`` compares: blank and ``#`` lines dropped,
lines sorted by object type (table, chain, rule, set, map, element) then object name, rules kept
in their order within a chain.  The packet-flow cases follow ``TestNoEndpointsReject``,
``TestClusterIPGeneral`` and ``TestLoadBalancer`` of the same file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubelab import Cluster
from kubelab.net import Network
from kubelab.proxy import PROXIERS, proxier_for
from kubelab.proxy.knftables import Table, Transaction
from kubelab.proxy.nftables import NFTablesProxier, endpoint_chain_name, hash_and_truncate, service_chain
from kubelab.proxy.servicemap import EndpointInfo

from .nft_fixtures import NODE, pod_yaml, svc_yaml, upstream_cluster, upstream_overall, web

DATA = Path(__file__).parent / "data"

#: helpers_test.go ``objectOrder`` (higher sorts first)
OBJECT_ORDER = {"table": 10, "chain": 9, "rule": 8, "set": 7, "map": 6, "element": 5}


def sort_transaction(text: str) -> list[str]:
    """``sortNFTablesTransaction``: drop blank and ``#`` lines; by object type, then name; rules
    keep their order within a chain; other lines with the same type and name sort whole."""
    import functools

    lines = [line for line in text.splitlines() if line and not line.startswith("#")]

    def cmp(a: str, b: str) -> int:
        wa, wb = a.split(" "), b.split(" ")
        if wa[1] != wb[1]:
            return -1 if OBJECT_ORDER.get(wa[1], 0) > OBJECT_ORDER.get(wb[1], 0) else 1
        if wa[4] != wb[4]:
            return -1 if wa[4] < wb[4] else 1
        if wa[1] == "rule":
            return 0
        return (a > b) - (a < b)

    return sorted(lines, key=functools.cmp_to_key(cmp))


def upstream_expected() -> str:
    text = (DATA / "nft_overall_v1.35.txt").read_text()
    # the test's fake proxier is built with masqueradeMark "0x4000"; kube-proxy writes %#08x
    return text.replace("0x4000", "0x00004000")


def test_overall_rules_equal_upstream_expected_dump():
    """TestOverallNFTablesRules: six Services, every line of upstream's expected dump, nothing more."""
    p = proxier_for(upstream_overall(), "nftables", node=NODE)
    assert sort_transaction(p.render("dump")) == sort_transaction(upstream_expected())


def test_mark_is_written_as_kube_proxy_writes_it_not_as_the_tests_abbreviate_it():
    dump = proxier_for(upstream_overall(), "nftables", node=NODE).render("dump")
    assert "add rule ip kube-proxy mark-for-masquerade mark set mark or 0x00004000\n" in dump
    assert "0x4000 " not in dump and not dump.count("0x4000\n")
    c = upstream_overall()
    c.apply(yaml.safe_dump({"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration",
                            "mode": "nftables", "clusterCIDR": "10.0.0.0/8", "iptables": {"masqueradeBit": 0}}))
    assert "mark and 0x00000001 == 0 return" in proxier_for(c, "nftables", node=NODE).render("dump")


def test_chain_names_match_upstream_test_vectors():
    """Names from proxier_test.go: the hash is 8 base32 characters of sha256 of the readable name."""
    assert hash_and_truncate("ns1/svc1/tcp/p80") == "ULMVA6XW-ns1/svc1/tcp/p80"
    assert service_chain("ns2", "svc2", "TCP", "p80") == "service-42NFTM6N-ns2/svc2/tcp/p80"
    assert service_chain("ns2", "svc2", "TCP", "p80", "external-") == "external-42NFTM6N-ns2/svc2/tcp/p80"
    assert service_chain("ns5", "svc5", "TCP", "p80", "firewall-") == "firewall-HVFWP5L3-ns5/svc5/tcp/p80"
    ep = EndpointInfo("10.180.0.1", 80, True, True, False, None, False)
    assert endpoint_chain_name("ns1", "svc1", "TCP", "p80", ep) == "endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80"
    assert endpoint_chain_name("ns5", "svc5", "TCP", "p80", EndpointInfo("10.180.0.3", 80, True, True, False, None,
                                                                           False), "affinity-") \
        == "affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80"
    v6 = EndpointInfo("fd00:10::5", 8080, True, True, False, None, False)
    assert endpoint_chain_name("ns", "s", "udp", "", v6).endswith("-ns/s/udp/__fd00.10..5/8080")


def test_dump_is_in_fake_dump_order():
    """knftables Fake.Dump(): the table; chains by name, each with its rules; sets by name; maps by name."""
    lines = proxier_for(web(type="NodePort"), "nftables").render("dump").splitlines()
    kinds = [line.split(" ")[1] for line in lines]
    assert kinds[0] == "table"
    first_set = kinds.index("set")
    first_map = kinds.index("map")
    assert set(kinds[1:first_set]) == {"chain", "rule"}
    assert set(kinds[first_set:first_map]) <= {"set", "element"} and set(kinds[first_map:]) <= {"map", "element"}
    chains = [line.split(" ")[4] for line in lines if line.startswith("add chain ")]
    assert chains == sorted(chains)
    maps = [line.split(" ")[4] for line in lines if line.startswith("add map ")]
    assert maps == sorted(maps) == ["firewall-ips", "no-endpoint-nodeports", "no-endpoint-services", "service-ips",
                                    "service-nodeports"]


def test_dump_holds_exactly_what_the_transaction_adds():
    """The transaction (flushes and the one-time add+delete of base chains aside) adds the dump's lines."""
    p = proxier_for(upstream_overall(), "nftables", node=NODE)
    tx = p.render("transaction").splitlines()
    dump = p.render("dump").splitlines()
    added = [line for line in tx if line.startswith("add ")]
    # the base chains are first added bare and deleted (kube-proxy's `flushed` step), then re-added
    bare_base = {f"add chain ip kube-proxy {name}" for name in
                 ("filter-prerouting-pre-dnat", "filter-output-pre-dnat", "filter-input", "filter-forward",
                  "filter-output", "nat-prerouting", "nat-output", "nat-postrouting")}
    assert sorted(line for line in added if line not in bare_base) == sorted(dump)
    assert tx[0] == 'add table ip kube-proxy { comment "rules for kube-proxy" ; }'
    assert tx[1:3] == ["add chain ip kube-proxy filter-prerouting-pre-dnat",
                       "delete chain ip kube-proxy filter-prerouting-pre-dnat"]


def test_endpoints_in_string_order_in_the_numgen_map():
    dump = proxier_for(web(), "nftables").render("dump")
    rule = next(line for line in dump.splitlines() if "numgen random mod 3" in line)
    assert rule.index("10.244.1.10/80") < rule.index("10.244.1.9/80") < rule.index("10.244.2.5/80")
    assert " vmap { 0 : goto endpoint-" in rule and " , 1 : goto endpoint-" in rule


def test_no_endpoints_is_a_reject_verdict_in_a_map_and_no_service_chain():
    c = Cluster()
    c.apply(svc_yaml("empty", selector={"app": "none"}, type="NodePort"))
    p = proxier_for(c, "nftables")
    dump = p.render("dump")
    assert "default/empty" not in "".join(line for line in dump.splitlines() if line.startswith("add chain"))
    assert '. tcp . 80 comment "default/empty:p80" : goto reject-chain }' in dump
    np = c.service("empty").spec.ports[0].node_port
    assert f'add element ip kube-proxy no-endpoint-nodeports {{ tcp . {np} comment "default/empty:p80" : ' \
           f'goto reject-chain }}' in dump


def test_internal_traffic_policy_local_without_local_endpoint_drops():
    c = web(internalTrafficPolicy="Local")
    on_worker2 = proxier_for(c, "nftables", node="kind-control-plane").render("dump")
    assert 'comment "default/web:p80" : drop }' in on_worker2
    on_worker = proxier_for(c, "nftables", node="kind-worker").render("dump")
    assert "local-" in on_worker and "numgen random mod 2 vmap" in on_worker


def test_external_traffic_policy_local_keeps_cluster_chain_for_short_circuits():
    """nftables syncProxyRules: the external- chain short-circuits pod and node traffic to the
    cluster chain, and sends the rest to the local- chain (or drops it where there is none)."""
    c = web(type="NodePort", externalTrafficPolicy="Local")
    dump = proxier_for(c, "nftables", node="kind-worker2").render("dump")
    ext = [line for line in dump.splitlines() if line.startswith("add rule ip kube-proxy external-")]
    assert [line.split(" ", 5)[5] for line in ext] == [
        f"ip saddr 10.244.0.0/16 goto {service_chain('default', 'web', 'tcp', 'p80')} "
        'comment "short-circuit pod traffic"',
        'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"',
        f"fib saddr type local goto {service_chain('default', 'web', 'tcp', 'p80')} "
        'comment "short-circuit local traffic"',
        f"goto {service_chain('default', 'web', 'tcp', 'p80', 'local-')}"]
    none_local = proxier_for(c, "nftables", node="kind-control-plane").render("dump")
    np = c.service("web").spec.ports[0].node_port
    assert f'no-endpoint-nodeports {{ tcp . {np} comment "default/web:p80" : drop }}' in none_local


def test_ipv6_cluster_uses_the_ip6_table():
    c = Cluster(service_cidrs="fd00:10:96::/112", pod_cidr="fd00:10:244::/56", node_cidr_mask=64)
    p = proxier_for(c, "nftables")
    dump = p.render("dump")
    assert dump.startswith("add table ip6 kube-proxy")
    assert "add set ip6 kube-proxy cluster-ips { type ipv6_addr ;" in dump
    assert "ip6 daddr { fd00:10:96::/112 } drop" in dump


def test_registered_and_declares_its_formats():
    assert PROXIERS["nftables"] is NFTablesProxier
    assert NFTablesProxier.formats[0] == "ruleset"
    p = proxier_for(web(), "nftables")
    with pytest.raises(ValueError, match="ruleset, dump, transaction"):
        p.render("save")


def test_ruleset_prints_what_nft_list_prints():
    """The text nft 1.0.6 prints (checked against the real nft in test_nftables_real.py)."""
    text = proxier_for(upstream_overall(), "nftables", node=NODE).render("ruleset")
    assert text.startswith('table ip kube-proxy {\n\tcomment "rules for kube-proxy"\n\tset cluster-ips {\n')
    assert "\t\ttype filter hook prerouting priority dstnat - 10; policy accept;\n" in text
    assert "\t\ttype filter hook output priority -110; policy accept;\n" in text
    assert "\t\ttype filter hook input priority filter; policy accept;\n" in text
    assert "\t\ttype nat hook postrouting priority srcnat; policy accept;\n" in text
    assert "\t\tmeta mark set meta mark | 0x00004000\n" in text
    assert "\t\tip daddr 172.30.0.0/16 drop comment" in text  # one-element anonymous set: no braces
    assert "\t\tsize 65535\n\t\tflags dynamic,timeout\n\t\ttimeout 3h\n" in text
    assert "\t\telements = { 172.30.0.41, 172.30.0.42,\n\t\t\t     172.30.0.43, 172.30.0.44," in text


def test_knftables_fake_add_replaces_an_element_with_the_same_key():
    tx = Transaction("ip", "t")
    tx.add_table()
    from kubelab.proxy.knftables import Element, NftSet
    tx.add_set(NftSet("m", "inet_service : verdict", True))
    tx.add_element("m", Element(("80",), ("drop",)))
    tx.add_element("m", Element(("80",), ("accept",)))
    assert Table.run(tx).dump().splitlines()[-1] == "add element ip t m { 80 : accept }"


# ---------------------------------------------------------------- packet flows (upstream's runPacketFlowTests)
def flows(cluster: Cluster, cases: list[tuple[str, str, int, str]], proto: str = "TCP") -> None:
    net = Network(cluster, mode="nftables")
    for src, dst, port, want in cases:
        t = net.connect(src, dst, port, proto)
        got = t.backend if t.verdict == "delivered" else t.verdict
        assert got == want or (want == "delivered" and t.verdict == "delivered"), f"{src} -> {dst}:{port}\n{t}"


def test_flow_no_endpoints_rejects_cluster_ip_external_ip_nodeport_and_lb():
    """TestNoEndpointsReject."""
    c = Cluster()
    c.apply(svc_yaml("svc1", type="LoadBalancer", selector={"app": "none"}, externalIPs=["192.0.2.11"]))
    np = c.service("svc1").spec.ports[0].node_port
    c.apply(pod_yaml("client", "10.244.1.50", "kind-worker", {"app": "client"}))
    ip = c.service("svc1").spec.cluster_ip
    flows(c, [("client", ip, 80, "rejected"), ("client", "172.18.0.3", np, "rejected"),
              ("203.0.113.2", "172.18.0.3", np, "rejected"), ("203.0.113.2", "192.0.2.11", 80, "rejected"),
              ("client", c.service("svc1").status.load_balancer.ingress[0].ip, 80, "rejected")])


def test_flow_cluster_ip_general():
    """TestClusterIPGeneral: a service port, another Service's port on the same IP, an unallocated IP."""
    c = web()
    c.apply(pod_yaml("client", "10.244.1.50", "kind-worker", {"app": "client"}))
    ip = c.service("web").spec.cluster_ip
    flows(c, [("client", ip, 80, "delivered"),
              ("client", ip, 443, "rejected"),  # cluster-ips-check: reject traffic to invalid ports
              ("client", "10.96.200.200", 80, "dropped")])  # drop traffic to unallocated ClusterIPs
    flows(c, [("client", ip, 80, "rejected")], proto="UDP")  # a TCP-only port does not take UDP


def test_flow_load_balancer_source_ranges():
    """TestLoadBalancer: sources outside loadBalancerSourceRanges are dropped before DNAT; NodePorts
    are not subject to the ranges."""
    c = web(type="LoadBalancer", loadBalancerSourceRanges=["203.0.113.0/25"])
    vip = c.service("web").status.load_balancer.ingress[0].ip
    np = c.service("web").spec.ports[0].node_port
    flows(c, [("203.0.113.2", vip, 80, "delivered"),
              ("203.0.113.130", vip, 80, "dropped"),
              ("203.0.113.130", "172.18.0.3", np, "delivered")])


def test_trace_counts_a_verdict_map_as_one_lookup_whatever_the_number_of_services():
    """The packet's cost in lookups and rules does not grow with the number of Services."""
    def cost(n: int) -> tuple[int, int]:
        c = web()
        for i in range(n):
            c.apply(svc_yaml(f"extra{i}", selector={"app": "web"}))
        c.apply(pod_yaml("client", "10.244.1.50", "kind-worker", {"app": "client"}))
        net = Network(c, mode="nftables")
        t = net.connect("client", "web", 80)
        assert t.verdict == "delivered"
        return t.extra_cost["nft_lookups"], t.rules_evaluated

    assert cost(0) == cost(40)
    text = "\n".join(Network(web(), mode="nftables").connect("kind-worker", "web", 80).lines())
    assert "@service-ips (5 elements) [" in text and "a verdict map is one hash lookup" in text


def test_session_affinity_sends_a_client_back_to_the_same_endpoint():
    c = web(sessionAffinity="ClientIP")
    c.apply(pod_yaml("client", "10.244.1.50", "kind-worker", {"app": "client"}))
    net = Network(c, mode="nftables", seed=3)
    backends = {net.connect("client", "web", 80).backend for _ in range(8)}
    assert len(backends) == 1
    free = Network(web(), mode="nftables", seed=3)
    assert len({free.connect("kind-worker", "web", 80).backend for _ in range(12)}) > 1


def test_node_to_nodeport_and_hairpin_masquerade():
    c = web(type="NodePort")
    np = c.service("web").spec.ports[0].node_port
    t = Network(c, mode="nftables").connect("203.0.113.9", "172.18.0.4", np)
    # Cluster policy: external traffic is masqueraded to the address of the interface it leaves by
    # towards the backend: the node's, or one the CNI plugin's data plane gives it (tunl0 on Calico)
    from kubelab.cni.plugins import plugin_for
    assert t.verdict == "delivered" and not t.source_seen.startswith("203.0.113.9:")
    backend_ip = c.pod(t.backend.split("/")[1]).status.pod_ip
    masq = plugin_for(c).masquerade_source("kind-worker2", backend_ip)
    assert t.source_seen.split(":")[0] == masq
    assert masq in {"172.18.0.4", *plugin_for(c).host_addresses("kind-worker2")}
    hair = Network(c, mode="nftables", seed=0)
    seen = []
    for _ in range(10):
        t = hair.connect("w0", "web", 80)
        if t.backend == "default/w0":
            seen.append(t.source_seen)
    assert seen and all(not s.startswith("10.244.1.9:") for s in seen)  # hairpin: SNAT to the bridge


def test_flow_external_traffic_policy_local_nodeport():
    """TestExternalTrafficPolicyLocal's shape: no local endpoint -> drop; a local one -> the client's own
    address kept (no masquerade); pods and the node itself short-circuit to the cluster chain."""
    c = web(type="NodePort", externalTrafficPolicy="Local")
    np = c.service("web").spec.ports[0].node_port
    net = Network(c, mode="nftables")
    assert net.connect("203.0.113.9", "172.18.0.2", np).verdict == "dropped"  # kind-control-plane: none local
    t = net.connect("203.0.113.9", "172.18.0.3", np)  # kind-worker: w0 and w1 are local
    assert t.verdict == "delivered" and t.backend in ("default/w0", "default/w1")
    assert t.source_seen.startswith("203.0.113.9:")
    c.apply(pod_yaml("client", "10.244.0.50", "kind-control-plane", {"app": "client"}))
    net = Network(c, mode="nftables")
    assert net.connect("client", "172.18.0.2", np).verdict == "delivered"  # pod traffic: short-circuit


def test_repeated_syncs_follow_the_cluster_like_upstream():
    """TestSyncProxyRulesRepeated: each state's dump is baseRules plus upstream's expected text."""
    from .nft_fixtures import _slice, _svc

    base = upstream_expected().split("# svc1\n")[0]
    states = {}
    for block in (DATA / "nft_repeated_v1.35.txt").read_text().split("=== ")[1:]:
        title, _, body = block.partition("\n")
        states[title] = base + body
    c = upstream_cluster([
        _svc("ns1", "svc1", clusterIP="172.30.0.41", ports=[{"name": "p80", "port": 80, "protocol": "TCP"}]),
        _svc("ns2", "svc2", clusterIP="172.30.0.42", ports=[{"name": "p8080", "port": 8080, "protocol": "TCP"}]),
        _slice("ns1", "svc1", [{"addresses": ["10.0.1.1"]}]),
        _slice("ns2", "svc2", [{"addresses": ["10.0.2.1"]}], port=8080, port_name="p8080"),
    ])
    p = proxier_for(c, "nftables", node=NODE)
    assert sort_transaction(p.render("dump")) == sort_transaction(states["svc1 and svc2"])
    c.apply(yaml.safe_dump_all([
        _svc("ns3", "svc3", clusterIP="172.30.0.43", ports=[{"name": "p80", "port": 80, "protocol": "TCP"}]),
        _slice("ns3", "svc3", [{"addresses": ["10.0.3.1"]}])]))
    assert sort_transaction(p.render("dump")) == sort_transaction(states["svc3 added"])
    c.delete("service", "svc2", "ns2")
    assert sort_transaction(p.render("dump")) == sort_transaction(states["svc2 deleted, stale chains aged out"])
    assert p.syncs == 3
