"""The trace engine in iptables mode: verdicts, NAT, the backend split, affinity, failures.

Behaviour as the kernel and kube-proxy produce it (pkg/proxy/iptables/proxier.go rules,
net/netfilter xt_statistic / xt_recent), and as the chapter teaches it: iptables mode
does not retry another endpoint when the chosen one does not answer.
"""

from __future__ import annotations

import ipaddress

from collections import Counter

import pytest
import yaml

from kubelab.errors import KubelabError
from kubelab.net import Network, connect
from tests.factories import web_cluster


cluster = web_cluster  # Service web, a client pod, n_backends pods on the two workers


def test_clusterip_connection_is_dnated_to_a_backend():
    c = cluster()
    t = connect(c, "client", "web", 80, seed=1)
    assert t.verdict == "delivered" and t.backend.startswith("default/web-")
    ip, port = t.backend_address.split(":")
    assert port == "8080" and ip == c.pod(t.backend.split("/")[1]).status.pod_ip
    assert t.source_seen.startswith(c.pod("client").status.pod_ip + ":")  # pod traffic is not masqueraded
    assert any("DNAT" in s.action for h in t.hops for s in h.steps)
    assert t.rules_evaluated > 5


def test_backend_split_matches_rule_probabilities():
    c = cluster(n_backends=3)
    net = Network(c, seed=42)
    n = 3000
    counts = Counter(net.connect("client", "web", 80).backend for _ in range(n))
    assert set(counts) == {"default/web-0", "default/web-1", "default/web-2"}
    # chi-square against the uniform split the probability ladder (1/3, 1/2, 1) produces
    chi2 = sum((k - n / 3) ** 2 / (n / 3) for k in counts.values())
    assert chi2 < 13.8  # p = 0.001 for 2 degrees of freedom


def test_same_seed_same_backends():
    c = cluster()
    a = [Network(c, seed=5).connect("client", "web", 80).backend for _ in range(5)]
    b = [Network(c, seed=5).connect("client", "web", 80).backend for _ in range(5)]
    assert a == b


def test_no_endpoints_rejects():
    c = cluster(n_backends=0)
    t = connect(c, "client", "web", 80)
    assert t.verdict == "rejected" and t.backend is None
    assert any("has no endpoints" in s.rule and s.matched for h in t.hops for s in h.steps)


def test_dead_backend_times_out_in_iptables_mode():
    c = cluster(n_backends=2)
    verdicts = Counter()
    net = Network(c, seed=3, dead={"web-0"})
    for _ in range(200):
        t = net.connect("client", "web", 80)
        verdicts[(t.backend, t.verdict)] += 1
    assert verdicts[("default/web-0", "timeout")] > 50
    assert verdicts[("default/web-1", "delivered")] > 50
    assert ("default/web-0", "delivered") not in verdicts


def test_session_affinity_sticks_to_one_backend():
    c = cluster(sessionAffinity="ClientIP")
    net = Network(c, seed=9)
    backends = {net.connect("client", "web", 80).backend for _ in range(30)}
    assert len(backends) == 1


def test_nodeport_from_outside_is_masqueraded():
    c = cluster(type="NodePort", ports=[{"port": 80, "targetPort": 8080, "nodePort": 30080}])
    t = connect(c, "198.51.100.7", "172.18.0.3", 30080, seed=2)
    assert t.verdict == "delivered"
    assert not t.source_seen.startswith("198.51.100.7")  # SNAT: the client address is lost


def test_local_policy_preserves_source_and_drops_on_nodes_without_endpoints():
    c = cluster(n_backends=1, type="NodePort", externalTrafficPolicy="Local",
                ports=[{"port": 80, "targetPort": 8080, "nodePort": 30080}])
    on = connect(c, "198.51.100.7", "172.18.0.3", 30080)  # web-0 runs on kind-worker (172.18.0.3)
    assert on.verdict == "delivered" and on.source_seen.startswith("198.51.100.7:")
    off = connect(c, "198.51.100.7", "172.18.0.4", 30080)
    assert off.verdict == "dropped"


def test_node_to_clusterip_and_cross_node_route():
    c = cluster(n_backends=1)
    c.apply(yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "far"},
                            "spec": {"nodeName": "kind-worker2", "containers": [{"name": "c", "image": "x"}]}}))
    t = connect(c, "far", "web", 80)
    assert t.verdict == "delivered"
    assert any(h.kind == "route" and "kind-worker2 -> kind-worker" in h.where for h in t.hops)
    n = connect(c, "kind-worker2", "web", 80)
    # Calico IPIP (the default): the rerouted packet leaves by tunl0, whose address Calico takes from
    # the node's own block (its first address here), so MASQUERADE gives the backend that address
    tunl0 = str(ipaddress.ip_network(c.node("kind-worker2").spec.pod_cidrs[0])[0])
    assert n.verdict == "delivered" and n.source_seen.split(":")[0] == tunl0
    assert any(h.kind == "encap" and "tunl0" in h.detail for h in n.hops)


def test_masquerade_source_is_an_address_of_the_plugins_data_plane():
    """Routed without a tunnel the packet leaves by eth0 (the node's address); out of a bridge, by its gateway."""
    for cni, options in (("calico", {"encapsulation": "None"}), ("bridge", {})):
        c = cluster(n_backends=1)
        c.settings.cni = cni
        c.cni_options = options
        n = connect(c, "kind-worker2", "web", 80)
        assert n.verdict == "delivered" and n.source_seen.split(":")[0] == "172.18.0.4", cni
    c = cluster(n_backends=1)
    c.settings.cni = "bridge"
    web = next(p for p in c.pods() if p.name.startswith("web"))
    t = connect(c, web.spec.node_name, "web", 80)
    cni0 = str(ipaddress.ip_network(c.node(web.spec.node_name).spec.pod_cidrs[0])[1])
    assert t.verdict == "delivered" and t.source_seen.split(":")[0] == cni0  # out of cni0: its address


def test_wrong_port_is_refused_and_pod_ip_direct():
    c = cluster(n_backends=1)
    t = connect(c, "client", "web", 81)
    # no rule for port 81: the SYN follows the node's default route and nothing answers
    # (checked against the kernel in tests/lab/test_differential.py)
    assert t.verdict == "timeout" and t.backend is None
    direct = connect(c, "client", c.pod("web-0").status.pod_ip, 8080)
    assert direct.verdict == "delivered" and direct.backend == "default/web-0"
    closed = connect(c, "client", c.pod("web-0").status.pod_ip, 9999)
    assert closed.verdict == "refused"


def test_bad_input_is_a_kubelab_error():
    c = cluster()
    with pytest.raises(KubelabError, match='no Service "nope"'):
        connect(c, "client", "nope", 80)
    with pytest.raises(KubelabError, match='--from "ghost"'):
        connect(c, "ghost", "web", 80)


def test_cluster_connect_method():
    c = cluster()
    assert c.connect("client", "web.default.svc.cluster.local", 80, seed=1).verdict == "delivered"


def test_later_packets_skip_the_nat_table():
    c = cluster()
    net = Network(c, seed=4)
    first = net.connect("client", "web", 80)
    later = net.next_packet(first)
    assert later.verdict == "delivered" and later.backend == first.backend
    assert not any(s.table == "nat" for h in later.hops for s in h.steps)
    assert later.rules_evaluated < first.rules_evaluated
    assert not any(s.matched and "ctstate NEW" in s.rule for h in later.hops for s in h.steps)


def test_host_port_via_portmap_and_crashed_or_hairpin_or_br_netfilter_failures():
    c = cluster(n_backends=1)
    c.apply(yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hp"},
                            "spec": {"nodeName": "kind-worker2", "containers": [
                                {"name": "c", "image": "x", "ports": [{"containerPort": 80, "hostPort": 9090}]}]}}))
    t = connect(c, "198.51.100.7", "172.18.0.4", 9090)
    assert t.verdict == "delivered" and t.backend == "default/hp" and t.source_seen.startswith("198.51.100.7")
    assert connect(c, "198.51.100.7", "172.18.0.3", 9090).verdict == "refused"  # not on that node
    assert connect(c, "client", "web", 80, crashed={"web-0"}).verdict == "refused"
    c.apply(yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "near"},
                            "spec": {"nodeName": "kind-worker", "containers": [{"name": "c", "image": "x"}]}}))
    # web-0 runs on kind-worker, like client and near
    assert connect(c, "client", "web", 80).verdict == "delivered"
    assert connect(c, "client", "web", 80, br_netfilter=False).verdict == "timeout"
    assert connect(c, "web-0", "web", 80).verdict == "delivered"  # hairpin, masqueraded
    assert connect(c, "web-0", "web", 80, hairpin=False).verdict == "timeout"


def test_icmp_rate_limit_turns_rejects_into_timeouts_when_hammered():
    c = cluster(n_backends=0)
    fast = Network(c, attempt_interval=0.3)
    verdicts = [fast.connect("client", "web", 80).verdict for _ in range(20)]
    assert verdicts[:6] == ["rejected"] * 6  # the bucket of a new peer is full: a burst of 6 ...
    first_timeout = verdicts.index("timeout")  # ... refilled by 0.3 s per attempt, then it runs dry
    assert "rejected" in verdicts[first_timeout:]  # and about one a second gets through again
    slow = Network(c)  # a second apart: never limited
    assert {slow.connect("client", "web", 80).verdict for _ in range(12)} == {"rejected"}


def test_pod_whose_node_was_deleted_cannot_send_and_says_why():
    # Deleting a Node leaves its pods bound to it until PodGC removes them; a trace from one is refused
    # with the reason instead of failing inside the trace engine.
    c = cluster()
    c.delete("node", "kind-worker")
    with pytest.raises(KubelabError, match="bound to node kind-worker, which no longer exists"):
        connect(c, "client", "web", 80)
