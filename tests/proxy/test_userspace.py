"""kube-proxy userspace mode (removed in v1.26): proxy ports, portal rules, round robin, affinity, retries.

Sources: kubernetes pkg/proxy/userspace/proxier.go (release-1.25 era: iptablesInit, iptablesCommonPortalArgs,
iptablesContainerPortalArgs, iptablesHostPortalArgs, iptablesNonLocalNodePortArgs, openOnePortal,
openNodePort), roundrobin.go (shuffle on endpoint change, strict rotation, ClientIP affinity, TTL 10800),
proxysocket.go (EndpointDialTimeouts 250ms/500ms/1s/2s, sessionAffinityReset after the first failure).
"""

from __future__ import annotations

from collections import Counter


from kubelab import Cluster
from kubelab.cni.plugins import plugin_for
from kubelab.net import Network
from kubelab.proxy import UserspaceProxier, proxier_for
from kubelab.proxy.userspace import ENDPOINT_DIAL_TIMEOUTS, EPHEMERAL_PORTS
from tests.factories import web_cluster


def cluster(n=3, **spec):
    spec.setdefault("ports", [{"name": "http", "port": 80, "targetPort": 8080}])
    spec.setdefault("clusterIP", "10.96.100.5")
    return web_cluster(n, **spec)


def test_registration():
    p = proxier_for(Cluster(), "userspace", node="kind-worker")
    assert isinstance(p, UserspaceProxier) and "v1.26" in p.removed
    assert ENDPOINT_DIAL_TIMEOUTS == (250, 500, 1000, 2000)


def test_proxy_ports_are_deterministic_and_ephemeral():
    c = cluster()
    a = proxier_for(c, "userspace", node="kind-worker")
    b = proxier_for(c, "userspace", node="kind-worker")
    a.ensure_synced(), b.ensure_synced()
    ports = [p.port for p in a.proxy_ports]
    assert ports == [p.port for p in b.proxy_ports] and len(set(ports)) == len(ports)
    assert all(EPHEMERAL_PORTS[0] <= p <= EPHEMERAL_PORTS[1] for p in ports)
    table = a.render("ports").splitlines()
    assert table[0].split()[:3] == ["SERVICE", "PORT", "PROTO"]
    assert any(line.startswith("default/web:http") and "10.96.100.5:80" in line for line in table)


def test_portal_rules_as_the_old_proxier_wrote_them():
    c = cluster(type="NodePort", externalIPs=["192.0.2.50"],
                ports=[{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080}])
    p = proxier_for(c, "userspace", node="kind-worker")
    p.ensure_synced()
    port = next(x.port for x in p.proxy_ports if x.name == "default/web:http")
    cmds = p.render("commands").splitlines()
    common = "-m comment --comment default/web:http -p tcp -m tcp --dport 80"
    assert f"iptables -A KUBE-PORTALS-CONTAINER -t nat {common} -d 10.96.100.5/32 -j REDIRECT --to-ports {port}" in cmds
    assert (f"iptables -A KUBE-PORTALS-HOST -t nat {common} -d 10.96.100.5/32 -j DNAT --to-destination "
            f"172.18.0.3:{port}") in cmds
    # external IPs: a physdev rule and a dst-type LOCAL rule from containers, dst-type LOCAL from the host
    assert (f"iptables -A KUBE-PORTALS-CONTAINER -t nat {common} -d 192.0.2.50/32 -m physdev ! --physdev-is-in "
            f"-j REDIRECT --to-ports {port}") in cmds
    assert (f"iptables -A KUBE-PORTALS-HOST -t nat {common} -d 192.0.2.50/32 -m addrtype --dst-type LOCAL "
            f"-j DNAT --to-destination 172.18.0.3:{port}") in cmds
    np = "-m comment --comment default/web:http -p tcp -m tcp --dport 30080"
    assert f"iptables -A KUBE-NODEPORT-CONTAINER -t nat {np} -j REDIRECT --to-ports {port}" in cmds
    assert (f"iptables -A KUBE-NODEPORT-NON-LOCAL -t filter -m comment --comment default/web:http -p tcp -m tcp "
            f"--dport {port} -m state --state NEW -j ACCEPT") in cmds
    assert ('iptables -I PREROUTING -t nat -m comment --comment "handle ClusterIPs; NOTE: this must be before the '
            'NodePort rules" -j KUBE-PORTALS-CONTAINER') in cmds
    save = p.render("iptables")
    assert (f'-A KUBE-PORTALS-CONTAINER -d 10.96.100.5/32 -p tcp -m comment --comment "default/web:http" -m tcp '
            f"--dport 80 -j REDIRECT --to-ports {port}") in save
    assert save.splitlines()[9].endswith("-j KUBE-PORTALS-CONTAINER")  # the first PREROUTING rule


def test_round_robin_after_a_seeded_shuffle():
    c = cluster()
    seqs = []
    for seed in range(6):
        net = Network(c, mode="userspace", seed=seed)
        seqs.append([net.connect("client", "web", 80).backend for _ in range(6)])
    for s in seqs:
        assert s[:3] == s[3:] and len(set(s[:3])) == 3  # strict rotation over the shuffled list
    assert len({tuple(s[:3]) for s in seqs}) > 1  # the shuffle depends on the seed
    again = Network(c, mode="userspace", seed=0)
    assert [again.connect("client", "web", 80).backend for _ in range(6)] == seqs[0]


def test_affinity_sticks_and_is_refreshed():
    c = cluster(sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 5}})
    net = Network(c, mode="userspace", seed=2)
    first = net.connect("client", "web", 80).backend
    for _ in range(10):  # each use refreshes lastUsed: never 5 s idle
        assert net.connect("client", "web", 80).backend == first
    net.clock += 10
    assert net.connect("client", "web", 80).backend != first  # expired: the rotation continues


def test_retry_with_backoff_skips_dead_endpoint_and_ignores_affinity():
    c = cluster(sessionAffinity="ClientIP")
    net = Network(c, mode="userspace", seed=4)
    sticky = net.connect("client", "web", 80).backend
    net.dead.add(sticky.split("/")[1])
    t = net.connect("client", "web", 80)
    assert t.verdict == "delivered" and t.backend != sticky
    attempts = net.proxier("kind-worker").attempts[-1]
    assert attempts[0].by_affinity and not attempts[0].ok and attempts[0].waited_ms == 250
    assert attempts[1].ok and not attempts[1].by_affinity
    assert t.cost["proxy_dial_attempts"] == 2


def test_all_dead_closes_after_four_attempts():
    c = cluster(n=2)
    net = Network(c, mode="userspace", dead={"web-0", "web-1"})
    t = net.connect("client", "web", 80)
    assert t.verdict == "closed" and t.backend is None
    attempts = net.proxier("kind-worker").attempts[-1]
    assert [a.timeout_ms for a in attempts] == [250, 500, 1000, 2000]
    assert sum(a.waited_ms for a in attempts) == 3750
    assert "closes the accepted client connection" in str(t)


def test_no_endpoints_closes():
    t = Network(cluster(n=0), mode="userspace").connect("client", "web", 80)
    assert t.verdict == "closed"


def test_source_not_preserved_and_copies_counted():
    c = cluster()
    net = Network(c, mode="userspace", seed=1)
    for _ in range(3):
        t = net.connect("client", "web", 80)
        ip = t.source_seen.split(":")[0]
        # kube-proxy dials from the node: out of eth0 (its address) or, to a local pod, the address the
        # CNI plugin gives the node in the pod range (Calico: tunl0's)
        node = c.node(c.pod("client").spec.node_name)
        assert ip != c.pod("client").status.pod_ip
        assert ip in {node.internal_ip, *plugin_for(c).host_addresses(node)}
        assert any(h.kind == "proxy" and "accepts on port" in h.detail and "user space" in h.detail for h in t.hops)
        assert t.cost["user_kernel_copies"] == 4


def test_nodeport_from_outside_and_from_the_node():
    c = cluster(type="NodePort", ports=[{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080}])
    net = Network(c, mode="userspace", seed=1)
    t = net.connect("198.51.100.7", "172.18.0.3", 30080)
    assert t.verdict == "delivered" and not t.source_seen.startswith("198.51.100.7")
    h = net.connect("kind-worker", "web", 80)
    assert h.verdict == "delivered"
    assert Counter(net.connect("client", "web", 80).backend for _ in range(30)).most_common()[-1][1] == 10
