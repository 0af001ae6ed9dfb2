"""kube-proxy IPVS mode: ipvsadm text, ipsets, the iptables rules it keeps, and the IPVS schedulers.

Sources named per test: kubernetes pkg/proxy/ipvs/proxier.go (syncProxyRules, writeIptablesRules,
acceptIPVSTraffic, iptablesJumpChain), pkg/proxy/ipvs/ipset.go and ipset/ipset.go (Entry.String),
ipvsadm.c (print_title, print_service_entry) and libipvs.c (ipvs_cmp_services), Linux
net/netfilter/ipvs/ip_vs_*.c for the schedulers.  The ipset list/save layout was checked against
ipset 7.17 on Linux 6.18; IPVS itself is not in this kernel, so ipvsadm text is modelled.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest
import yaml

from kubelab import Cluster
from kubelab.net import Network
from kubelab.proxy import SCHEDULERS, IPVSProxier, proxier_for
from kubelab.proxy.ipset import IPSet, parse_rule
from kubelab.proxy.schedulers import MH_TABLE_SIZE, ConnInfo, dh_bucket, make_scheduler, sh_bucket
from tests import factories


def svc(name, ns="default", **spec):
    spec.setdefault("ports", [{"name": "p80", "port": 80, "targetPort": 80}])
    return factories.to_yaml(factories.service(name, namespace=ns, **spec))


def pod(name, ip, node, labels, ns="default", ports=None):
    return factories.to_yaml(factories.pod(name, namespace=ns, labels=labels, node=node, container="c",
                                           ports=ports or None, phase="Running", ip=ip))


def kpc(**ipvs):
    return yaml.safe_dump({"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration",
                           "mode": "ipvs", "clusterCIDR": "10.244.0.0/16", "ipvs": ipvs})


def test_registered_and_deprecated():
    c = Cluster()
    p = proxier_for(c, "ipvs", node="kind-worker")
    assert isinstance(p, IPVSProxier)
    assert "v1.35" in p.deprecation and "KEP-5495" in p.deprecation
    assert sorted(SCHEDULERS) == sorted(["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh"])


# ----------------------------------------------------------------------------- ipvsadm -Ln
def web_cluster(**spec):
    labels = {"app": "web"}
    docs = [svc("web", selector=labels, clusterIP="10.96.100.5", **spec),
            pod("w0", "10.244.1.9", "kind-worker", labels), pod("w1", "10.244.1.10", "kind-worker", labels),
            pod("w2", "10.244.2.5", "kind-worker2", labels)]
    return Cluster("---\n".join(docs))


def test_ipvsadm_text_exact_widths_trailing_spaces_and_sort():
    # ipvsadm.c print_service_entry: "%s  %s" (two spaces after the protocol), then " %s" scheduler,
    # then " persistent %u"; destinations "  -> %-28s %-7s %-6d %-10u %-10u" -- note the trailing spaces.
    # libipvs.c ipvs_cmp_services sorts by protocol number first (TCP 6 < UDP 17 < SCTP 132).
    labels = {"app": "web"}
    docs = [svc("web", selector=labels, clusterIP="10.96.100.5", type="NodePort", sessionAffinity="ClientIP",
                sessionAffinityConfig={"clientIP": {"timeoutSeconds": 600}},
                ports=[{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080},
                       {"name": "q", "port": 5000, "targetPort": 5000, "protocol": "UDP", "nodePort": 30500},
                       {"name": "s", "port": 7000, "targetPort": 7000, "protocol": "SCTP"}]),
            pod("w0", "10.244.1.9", "kind-worker", labels), pod("w1", "10.244.1.10", "kind-worker", labels)]
    c = Cluster("---\n".join(docs))
    p = proxier_for(c, "ipvs", node="kind-worker")
    text = p.render("ipvsadm")
    expected = (
        "IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port Scheduler Flags\n"
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
        # 172.18.0.3 - 10.96.0.1 overflows a C int: the node address sorts first (libipvs quirk)
        "TCP  172.18.0.3:30080 rr persistent 600\n"
        "  -> 10.244.1.9:8080              Masq    1      0          0         \n"
        "  -> 10.244.1.10:8080             Masq    1      0          0         \n"
        "TCP  10.96.0.1:443 rr\n"
        "  -> 172.18.0.2:6443              Masq    1      0          0         \n")
    assert text.startswith(expected)
    lines = text.splitlines()
    protos = [line.split()[0] for line in lines[3:] if not line.startswith("  ->")]
    assert protos == sorted(protos, key=lambda x: {"TCP": 6, "UDP": 17, "SCTP": 132}[x])
    assert "UDP  172.18.0.3:30500 rr persistent 600" in lines
    assert "UDP  10.96.100.5:5000 rr persistent 600" in lines
    assert lines[-3] == "SCTP  10.96.100.5:7000 rr persistent 600"
    # destinations sorted numerically by address (10.244.1.9 before 10.244.1.10), unlike iptables mode's
    # string order of "ip:port"
    i = lines.index("TCP  10.96.100.5:80 rr persistent 600")
    assert [x.split()[1] for x in lines[i + 1:i + 3]] == ["10.244.1.9:8080", "10.244.1.10:8080"]
    assert all(len(x) == 70 for x in lines if x.startswith("  -> ") and x != lines[2])


def test_ipvsadm_counts_follow_connections_and_mh_flag():
    c = web_cluster()
    c.apply(kpc(scheduler="mh"))
    p = proxier_for(c, "ipvs", node="kind-worker")
    assert "TCP  10.96.100.5:80 mh (mh-port)" in p.render("ipvsadm")
    c2 = web_cluster()
    net = Network(c2, mode="ipvs", seed=1)
    for _ in range(6):
        assert net.connect("kind-worker", "web", 80).ok
    text = net.proxier("kind-worker").render("ipvsadm")
    i = text.splitlines().index("TCP  10.96.100.5:80 rr")
    rows = text.splitlines()[i + 1:i + 4]
    assert [r.split()[4] for r in rows] == ["2", "2", "2"]  # ActiveConn: rr spread 6 connections 2/2/2
    net.proxier("kind-worker").close_connections()
    rows = net.proxier("kind-worker").render("ipvsadm").splitlines()[i + 1:i + 4]
    assert [(r.split()[4], r.split()[5]) for r in rows] == [("0", "2")] * 3


# ----------------------------------------------------------------------------- dummy device, virtual servers
def test_virtual_servers_per_address_and_kube_ipvs0():
    # syncProxyRules: ClusterIP, externalIPs and LB ingress IPs are bound to kube-ipvs0; NodePort virtual
    # servers listen on the node's addresses (GetAllLocalAddressesExcept kube-ipvs0, loopback excluded).
    labels = {"app": "web"}
    docs = [svc("web", selector=labels, clusterIP="10.96.100.5", type="LoadBalancer", externalIPs=["192.0.2.50"],
                ports=[{"name": "http", "port": 80, "targetPort": 80, "nodePort": 30080}],
                status={"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}]}}),
            pod("w0", "10.244.1.9", "kind-worker", labels)]
    p = proxier_for(Cluster("---\n".join(docs)), "ipvs", node="kind-worker")
    p.ensure_synced()
    mine = {(vs.address, vs.port, vs.kind) for vs in p.virtual_servers if vs.service.name.name == "web"}
    assert mine == {("10.96.100.5", 80, "cluster IP"), ("192.0.2.50", 80, "external IP"),
                    ("203.0.113.9", 80, "load balancer IP"), ("172.18.0.3", 30080, "node port")}
    assert "127.0.0.1" not in {vs.address for vs in p.virtual_servers}
    assert {"10.96.100.5", "192.0.2.50", "203.0.113.9", "10.96.0.1", "10.96.0.10"} == set(p.bound)
    assert "172.18.0.3" not in p.bound
    assert all(d.weight == 1 and d.forward == "Masq" for vs in p.virtual_servers for d in vs.dests)


# ----------------------------------------------------------------------------- ipsets
def test_ipset_entries_in_kube_proxy_formats():
    # ipset/ipset.go Entry.String: hash:ip,port "ip,proto:port"; hash:ip,port,ip "ip,proto:port,ip";
    # hash:ip,port,net "ip,proto:port,cidr"; bitmap:port "port".
    labels = {"app": "web"}
    docs = [svc("web", selector=labels, clusterIP="10.96.100.5", type="LoadBalancer",
                externalIPs=["192.0.2.50"], loadBalancerSourceRanges=["198.51.100.0/24"],
                ports=[{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080}],
                status={"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}]}}),
            svc("dns", selector={"app": "dns"}, clusterIP="10.96.100.53", type="NodePort",
                externalTrafficPolicy="Local",
                ports=[{"name": "d", "port": 53, "targetPort": 53, "protocol": "UDP", "nodePort": 30053}]),
            svc("lbl", selector=labels, clusterIP="10.96.100.7", type="LoadBalancer", externalTrafficPolicy="Local",
                healthCheckNodePort=31999,
                ports=[{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30081}]),
            pod("w0", "10.244.1.9", "kind-worker", labels), pod("w1", "10.244.2.5", "kind-worker2", labels),
            pod("d0", "10.244.1.20", "kind-worker", {"app": "dns"})]
    p = proxier_for(Cluster("---\n".join(docs)), "ipvs", node="kind-worker")
    p.ensure_synced()
    s = p.ipsets
    assert "10.96.100.5,tcp:80" in s["KUBE-CLUSTER-IP"].entries
    assert "10.96.100.53,udp:53" in s["KUBE-CLUSTER-IP"].entries
    assert s["KUBE-EXTERNAL-IP"].entries == {"192.0.2.50,tcp:80"}
    assert "203.0.113.9,tcp:80" in s["KUBE-LOAD-BALANCER"].entries
    assert s["KUBE-LOAD-BALANCER-FW"].entries == {"203.0.113.9,tcp:80"}
    assert s["KUBE-LOAD-BALANCER-SOURCE-CIDR"].entries == {"203.0.113.9,tcp:80,198.51.100.0/24"}
    assert s["KUBE-LOAD-BALANCER-SOURCE-IP"].is_empty  # the node (172.18.0.3) is not in the source range
    assert s["KUBE-NODE-PORT-TCP"].entries == {"30080", "30081"}
    assert s["KUBE-NODE-PORT-UDP"].entries == {"30053"} and s["KUBE-NODE-PORT-LOCAL-UDP"].entries == {"30053"}
    # the hairpin set holds only this node's endpoints
    assert {"10.244.1.9,tcp:8080,10.244.1.9", "10.244.1.20,udp:53,10.244.1.20"} == s["KUBE-LOOP-BACK"].entries
    assert "203.0.113.9" in s["KUBE-IPVS-IPS"].entries and "10.96.100.5" in s["KUBE-IPVS-IPS"].entries
    # only a LoadBalancer with externalTrafficPolicy=Local has a health check node port
    assert s["KUBE-HEALTH-CHECK-NODE-PORT"].entries == {"31999"}
    assert s["KUBE-NODE-PORT-LOCAL-TCP"].entries == {"30081"}
    # the node is not in the LB source ranges: KUBE-IPVS-OUT-FILTER blocks the LB VIP from the node
    out = [r.restore() for r in p.tables["filter"].chain_rules("KUBE-IPVS-OUT-FILTER")]
    assert out == ["-A KUBE-IPVS-OUT-FILTER -s 203.0.113.9 -m ipvs --vaddr 203.0.113.9 --vproto tcp --vport 80 -j DROP"]


def test_ipset_list_and_save_layout_as_ipset_7_prints_it():
    # Layout checked against ipset 7.17 (ipset list / ipset save) on Linux 6.18.
    s = IPSet("KUBE-NODE-PORT-TCP", "bitmap:port", "Kubernetes nodeport TCP port for masquerade purpose")
    s.add("30080")
    s.add("30007")
    assert s.list() == ("Name: KUBE-NODE-PORT-TCP\nType: bitmap:port\nRevision: 3\nHeader: range 0-65535\n"
                        "Size in memory: 8264\nReferences: 0\nNumber of entries: 2\nMembers:\n30007\n30080\n")
    h = IPSet("KUBE-CLUSTER-IP", "hash:ip,port")
    for e in ("10.96.0.1,tcp:443", "10.96.0.10,udp:53", "10.96.0.10,tcp:53"):
        h.add(e)
    lines = h.list().splitlines()
    assert lines[:3] == ["Name: KUBE-CLUSTER-IP", "Type: hash:ip,port", "Revision: 7"]
    assert lines[3].startswith("Header: family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x")
    assert lines[4] == "Size in memory: 360"  # measured: 216 + 48 per entry
    assert lines[-4:] == ["Members:", "10.96.0.1,tcp:443", "10.96.0.10,tcp:53", "10.96.0.10,udp:53"]
    assert h.save().splitlines()[1] == "add KUBE-CLUSTER-IP 10.96.0.1,tcp:443"


def test_ipset_membership_directions():
    lb = IPSet("KUBE-LOAD-BALANCER-SOURCE-CIDR", "hash:ip,port,net")
    lb.add("203.0.113.9,tcp:80,198.51.100.0/24")
    assert lb.contains(src="198.51.100.7", dst="203.0.113.9", proto="TCP", dport=80, flags="dst,dst,src")
    assert not lb.contains(src="192.0.2.1", dst="203.0.113.9", proto="TCP", dport=80, flags="dst,dst,src")
    np = IPSet("KUBE-NODE-PORT-TCP", "bitmap:port")
    np.add("30080")
    assert np.contains(dport=30080, flags="dst") and not np.contains(dport=30081, flags="dst")


# ----------------------------------------------------------------------------- iptables rules in IPVS mode
def test_iptables_rules_ipvs_mode_keeps():
    c = web_cluster(type="NodePort", ports=[{"name": "http", "port": 80, "targetPort": 80, "nodePort": 30080}])
    p = proxier_for(c, "ipvs", node="kind-worker")
    restore = p.render("restore")
    assert restore.startswith("*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-NODE-PORT - [0:0]\n")
    lines = restore.splitlines()
    svcs = [x for x in lines if x.startswith("-A KUBE-SERVICES")]
    assert svcs == [
        "-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN",
        '-A KUBE-SERVICES -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" '
        "-m set --match-set KUBE-CLUSTER-IP dst,dst ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ",
        "-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT",
        "-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT"]
    assert ('-A KUBE-NODE-PORT -p tcp -m comment --comment "Kubernetes nodeport TCP port for masquerade purpose" '
            "-m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ") in lines
    assert "-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000" in lines
    assert ("-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT"
            in lines)
    save = p.render("iptables")
    assert "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000" in save
    assert ("-A KUBE-SERVICES ! -s 10.244.0.0/16 -m comment --comment \"Kubernetes service cluster ip + port for "
            "masquerade purpose\" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ") in save
    # iptablesJumpChain is ensured with -I: the last one (KUBE-IPVS-FILTER) ends up first in INPUT
    inputs = [x for x in save.splitlines() if x.startswith("-A INPUT")]
    assert [x.rsplit(" ", 1)[1] for x in inputs] == ["KUBE-IPVS-FILTER", "KUBE-PROXY-FIREWALL", "KUBE-NODE-PORT"]
    full = p.render()
    assert full.index("IP Virtual Server") < full.index("Name: KUBE-LOOP-BACK") < full.index("*nat")


def test_no_cluster_cidr_masquerades_src_dst():
    # writeIptablesRules without a local-traffic detector: masquerade traffic *from* a VIP (node-originated).
    c = web_cluster()
    c.apply(yaml.safe_dump({"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration",
                            "mode": "ipvs"}))
    text = proxier_for(c, "ipvs", node="kind-worker").render("restore")
    assert "-m set --match-set KUBE-CLUSTER-IP src,dst -j KUBE-MARK-MASQ" in text


def test_set_match_parses_and_saves():
    r = parse_rule("KUBE-SERVICES", ["-m", "set", "!", "--match-set", "KUBE-CLUSTER-IP", "dst,dst", "-j", "ACCEPT"])
    assert r.save() == "-A KUBE-SERVICES -m set ! --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT"
    assert r.restore() == "-A KUBE-SERVICES -m set ! --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT"


# ----------------------------------------------------------------------------- schedulers (ip_vs_*.c)
@dataclass
class D:
    ip: str
    port: int = 80
    weight: int = 1
    active: int = 0
    inactive: int = 0

    @property
    def key(self):
        return f"{self.ip}:{self.port}"


def conn(src="10.244.1.2", sport=40000, dst="10.96.0.5", dport=80):
    return ConnInfo("TCP", src, sport, dst, dport)


def test_rr_rotates_in_kernel_list_order():
    # ip_vs_rr.c: the next destination after svc->sched_data, skipping weight 0.
    ds = [D("10.0.0.3"), D("10.0.0.2", weight=0), D("10.0.0.1")]
    s = make_scheduler("rr", ds)
    assert [s.schedule(conn())[0].ip for _ in range(4)] == ["10.0.0.3", "10.0.0.1", "10.0.0.3", "10.0.0.1"]


def test_wrr_weights_3_1():
    # ip_vs_wrr.c: cw starts at the max weight, drops by gcd each pass -> A A A B per cycle.
    s = make_scheduler("wrr", [D("10.0.0.1", weight=3), D("10.0.0.2", weight=1)])
    assert [s.schedule(conn())[0].ip[-1] for _ in range(8)] == list("11121112")


def test_lc_least_overhead_activeconns_times_256():
    # ip_vs.h ip_vs_dest_conn_overhead: activeconns*256 + inactconns; lc picks the least, first on ties.
    ds = [D("10.0.0.1", active=1), D("10.0.0.2", inactive=300), D("10.0.0.3", inactive=10)]
    d, why = make_scheduler("lc", ds).schedule(conn())
    assert d.ip == "10.0.0.3" and "= 10" in why
    tie = [D("10.0.0.1", inactive=5), D("10.0.0.2", inactive=5)]
    assert make_scheduler("lc", tie).schedule(conn())[0].ip == "10.0.0.1"


def test_wlc_sed_nq_weighted_choices():
    # ip_vs_wlc.c: loh * w_dest > doh * w_least; ip_vs_sed.c: overhead activeconns + 1; ip_vs_nq.c: idle first.
    ds = [D("10.0.0.1", weight=1, active=1), D("10.0.0.2", weight=3, active=2)]
    assert make_scheduler("wlc", ds).schedule(conn())[0].ip == "10.0.0.2"  # 256/1 > 512/3
    ds = [D("10.0.0.1", weight=1, active=0), D("10.0.0.2", weight=3, active=1)]
    assert make_scheduler("sed", ds).schedule(conn())[0].ip == "10.0.0.2"  # (0+1)/1 > (1+1)/3
    d, why = make_scheduler("nq", ds).schedule(conn())
    assert d.ip == "10.0.0.1" and "idle" in why  # never queue: the idle server wins at once


def test_sh_and_dh_hashing_is_stable():
    # ip_vs_sh.c: bucket = hash_32(ntohl(saddr), 8), buckets filled round the destination list.
    assert sh_bucket("10.244.1.5") == ((0x0AF40105 * 0x61C88647) & 0xFFFFFFFF) >> 24
    assert dh_bucket("10.96.0.5") == (0x0A600005 * 2654435761) & 0xFF
    ds = [D("10.0.0.1"), D("10.0.0.2"), D("10.0.0.3")]
    sh = make_scheduler("sh", ds)
    picks = {src: sh.schedule(conn(src=src))[0].ip for src in (f"10.244.{i}.{j}" for i in range(3) for j in range(2, 40))}
    again = {src: sh.schedule(conn(src=src, sport=50000))[0].ip for src in picks}
    assert picks == again and len(set(picks.values())) == 3
    assert picks["10.244.1.5"] == ds[sh_bucket("10.244.1.5") % 3].ip
    dh = make_scheduler("dh", ds)
    assert len({dh.schedule(conn(src=f"10.244.1.{i}"))[0].ip for i in range(2, 50)}) == 1  # one VIP, one server


def test_lblc_keeps_locality_until_overloaded():
    ds = [D("10.0.0.1", weight=1), D("10.0.0.2", weight=1)]
    s = make_scheduler("lblc", ds)
    first = s.schedule(conn())[0]
    first.active = 5  # overloaded: activeconns > weight while the other runs below half its weight
    assert s.schedule(conn())[0] is not first
    ds2 = [D("10.0.0.1", weight=10), D("10.0.0.2", weight=10)]
    s2 = make_scheduler("lblc", ds2)
    a = s2.schedule(conn())[0]
    a.active = 3
    assert s2.schedule(conn())[0] is a  # not overloaded: locality wins over the emptier server


def test_mh_table_balanced_and_stable():
    ds = [D("10.0.0.1"), D("10.0.0.2"), D("10.0.0.3")]
    s = make_scheduler("mh", ds)
    counts = Counter(d.ip for d in s.lookup)
    assert sum(counts.values()) == MH_TABLE_SIZE == 4093
    assert max(counts.values()) - min(counts.values()) <= 1
    assert s.schedule(conn(sport=41000))[0] is s.schedule(conn(sport=41000))[0]


# ----------------------------------------------------------------------------- schedulers through the trace engine
def test_rr_exact_rotation_through_network():
    c = web_cluster()
    net = Network(c, mode="ipvs", seed=7)
    seq = [net.connect("kind-worker", "web", 80).backend for _ in range(9)]
    assert seq[:3] == seq[3:6] == seq[6:9] and len(set(seq[:3])) == 3
    # kube-proxy adds endpoints in ip:port order and the kernel puts each at the list head: reverse order
    assert seq[:3] == ["default/w2", "default/w0", "default/w1"]
    assert Counter(seq) == {"default/w0": 3, "default/w1": 3, "default/w2": 3}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_every_scheduler_delivers(name):
    c = web_cluster()
    c.apply(kpc(scheduler=name))
    net = Network(c, mode="ipvs", seed=3)
    traces = [net.connect("kind-worker", "web", 80) for _ in range(12)]
    assert all(t.ok for t in traces)
    decision = net.proxier("kind-worker").decisions[-1]
    assert decision.scheduler == name and decision.dest and decision.reason


def test_lc_with_seeded_connection_counts():
    c = web_cluster()
    c.apply(kpc(scheduler="lc"))
    net = Network(c, mode="ipvs")
    p = net.proxier("kind-worker")
    p.set_connections("10.96.100.5", 80, "10.244.1.9:80", active=3)
    p.set_connections("10.96.100.5", 80, "10.244.1.10:80", active=0, inactive=200)
    p.set_connections("10.96.100.5", 80, "10.244.2.5:80", active=1)
    t = net.connect("kind-worker", "web", 80)
    assert t.backend == "default/w1"  # overhead 200 < 256 < 768
    t = net.connect("kind-worker", "web", 80)  # w1 now 256+200: w2 (256) is least
    assert t.backend == "default/w2"


def test_random_like_scheduler_split_mh_many_clients():
    c = web_cluster()
    c.apply(kpc(scheduler="mh"))
    net = Network(c, mode="ipvs")
    counts = Counter(net.connect("kind-worker", "web", 80).backend for _ in range(600))
    chi2 = sum((k - 200) ** 2 / 200 for k in counts.values())
    assert set(counts) == {"default/w0", "default/w1", "default/w2"} and chi2 < 13.8


def test_persistence_template_then_expiry():
    c = web_cluster(sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 30}})
    net = Network(c, mode="ipvs")
    first = net.connect("kind-worker", "web", 80).backend
    assert all(net.connect("kind-worker", "web", 80).backend == first for _ in range(5))
    assert net.proxier("kind-worker").decisions[-1].persistent
    net.clock += 100  # the template expired: the scheduler chooses again (rr moves on)
    assert net.connect("kind-worker", "web", 80).backend != first


# ---------------------------------------------------------------- the real kernel
@pytest.mark.requires("root", "ipset", "iptables")
def test_real_ipset_restore_and_iptables_rules_match_the_model():
    """The model's `ipset save` text restores into the real kernel and lists back as modelled;
    the IPVS mode's iptables rules (which reference the sets) load with the real iptables-restore."""
    from kubelab.lab import NetNS
    p = proxier_for(web_cluster(type="NodePort", externalIPs=["192.0.2.7"], sessionAffinity="ClientIP"),
                    "ipvs", node="kind-worker")
    p.sync()
    with NetNS() as ns:
        restored = ns.run(["ipset", "restore"], input=p.render("ipset-save"), check=False)
        assert restored.returncode == 0, restored.stderr
        for name, model in p.ipsets.items():
            real = ns.run(["ipset", "list", name]).stdout
            lines, mine = real.splitlines(), model.list().splitlines()
            cut, mcut = lines.index("Members:"), mine.index("Members:")
            # the header fields as the kernel keeps them (size in memory depends on the kernel's buckets)
            strip = lambda ls: [l for l in ls if not l.startswith(("Size in memory", "References"))]  # noqa: E731
            assert strip(lines[:cut]) == strip(mine[:mcut]), name
            assert sorted(lines[cut + 1:]) == sorted(mine[mcut + 1:]), name  # the kernel's order is its hash order
        loaded = ns.run(["iptables-nft-restore", "--noflush"], input=p.render("restore"), check=False)
        assert loaded.returncode == 0, loaded.stderr
