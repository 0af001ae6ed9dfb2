"""The plugin models index a cluster once per state: a change to the pods or nodes must show at once.

Each test warms the index of a cluster (routes, lookups, paths, traces), changes the cluster,
then compares everything the models answer with a fresh cluster built in the final state
directly, with nothing looked up before the comparison.
"""

from __future__ import annotations

import pytest

from kubelab import Cluster
from kubelab.cni.plugins import names, plugin_for
from kubelab.cni.plugins.base import PluginModel
from tests import factories


node = factories.node


def pod(name: str, on: str, *, host_network: bool = False) -> dict:
    return factories.pod(name, namespace="default", labels={"app": "web"}, node=on, ports=[8080],
                         **({"hostNetwork": True} if host_network else {}))


SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}
NODES = [node(f"n{i}") for i in range(4)]
PODS = [pod("a0", "n0"), pod("a1", "n0"), pod("b0", "n1"), pod("c0", "n2"), pod("h0", "n1", host_network=True)]


def build(cni: str, *applies: list) -> Cluster:
    c = Cluster(NODES, cni=cni)
    for docs in applies:
        c.apply(docs)
    return c


def answers(c: Cluster, **options) -> list[str]:
    """What the plugin model says about every node and pod address, and traces between the pods."""
    m = plugin_for(c, **options)
    nodes = [n.name for n in c.nodes()]
    pods = [p for p in c.pods("default") if p.status.pod_ip and c.node_of(p) is not None]
    ips = sorted({p.status.pod_ip for p in pods}) + ["10.244.2.77", "10.244.9.1", "172.18.0.3", "8.8.8.8"]
    out = []
    for n in nodes:
        out += [f"{n}: {r}" for r in m.node_routes(n)]
        out += [f"{n} lookup {ip}: {m.lookup(n, ip)}" for ip in ips]
        out.append(f"{n} local: {[p.name for p in m.local_pods(n)]}")
    out += [f"owner {ip}: {getattr(m.owner_of(ip), 'name', None)}" for ip in ips]
    out += [f"pod_at {ip}: {getattr(m.pod_at(ip), 'name', None)}" for ip in ips]
    for p in pods:
        out += [f"path {p.name} {ip}: {m.path(p.name, ip)}" for ip in ips]
        out += [f"path {n} {ip}: {m.path(n, ip)}" for n in nodes[:2] for ip in ips]
        if not p.spec.host_network:
            out += [f"trace {p.name} {q.name}: {c.connect(p.name, q.status.pod_ip, 8080, seed=1)}" for q in pods]
            if any(s.name == "web" for s in c.services("default")):
                out.append(f"trace {p.name} web: {c.connect(p.name, 'web', 80, seed=1)}")
    return out


CHANGES = {  # name -> (applies before the first look, then the change, as manifests)
    "pod added on a node with pods": ([PODS], [[pod("a2", "n0")]]),
    "pod added on an empty node": ([PODS], [[pod("d0", "n3")]]),
    "pod added on the host network": ([PODS], [[pod("h1", "n0", host_network=True)]]),
    "node added, then a pod on it": ([PODS], [[node("n4")], [pod("e0", "n4")]]),
    "service added": ([PODS], [[SERVICE]]),
}


@pytest.mark.parametrize("cni", names())
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_added_objects_show_at_once(cni, change):
    first, then = CHANGES[change]
    c = build(cni, *first)
    before = answers(c)
    for docs in then:
        c.apply(docs)
    after = answers(c)
    assert after == answers(build(cni, *first, *then))
    assert after != before or change == "service added"


@pytest.mark.parametrize("cni", names())
def test_deleted_pod_and_node_show_at_once(cni):
    c = build(cni, PODS, [pod("x0", "n2")], [node("n4")], [pod("e0", "n4")])
    answers(c)
    c.delete("pod", "e0")
    answers(c)
    c.delete("node", "n4")
    gone = answers(c)
    c.delete("pod", "x0")
    assert gone == answers(build(cni, PODS, [pod("x0", "n2")]))
    assert answers(c) == answers(build(cni, PODS))


@pytest.mark.parametrize("cni", ["calico", "kindnet", "flannel"])
def test_a_new_node_in_a_freed_pod_cidr_gets_the_routes(cni):
    """A node deleted and another added: the new one is given the freed pod CIDR, and the routes
    (and lookups) to that CIDR now lead to it."""
    c = build(cni, PODS)
    m = plugin_for(c)
    cidr = c.node("n3").spec.pod_cidrs[0]
    inside = cidr.replace(".0/24", ".9")
    assert m.owner_of(inside).name == "n3"
    assert m.lookup("n0", inside).via in (c.node("n3").internal_ip, cidr.replace(".0/24", ".0"))
    c.delete("node", "n3")
    c.apply([node("n9")])
    assert c.node("n9").spec.pod_cidrs == [cidr]
    assert m.owner_of(inside).name == "n9"
    route = m.lookup("n0", inside)
    assert route is not None and route.via in (c.node("n9").internal_ip, cidr.replace(".0/24", ".0"))
    fresh = build(cni, PODS)
    fresh.delete("node", "n3")
    fresh.apply([node("n9")])
    assert answers(c) == answers(fresh)


def test_options_do_not_share_answers():
    """Two models of one cluster with different options each answer for themselves."""
    c = build("calico", PODS)
    ip = c.pod("b0").status.pod_ip
    ipip, vxlan = plugin_for(c), plugin_for(c, encapsulation="VXLAN")
    assert ipip.lookup("n0", ip).dev == "tunl0"
    assert vxlan.lookup("n0", ip).dev == "vxlan.calico"
    assert ipip.lookup("n0", ip).dev == "tunl0"
    assert answers(c, encapsulation="VXLAN") == answers(build("calico", PODS), encapsulation="VXLAN")


EXTRA_OPTIONS = [("calico", {"wireguard": True}), ("calico", {"encapsulation": "VXLANCrossSubnet"}),
                 ("flannel", {"backend": "udp"}), ("kube-router", {"overlay_type": "full"})]


@pytest.mark.parametrize("cni, options", [(n, {}) for n in names()] + EXTRA_OPTIONS)
def test_lookup_is_the_longest_match_over_the_whole_table(cni, options):
    """The targeted lookup gives what a scan of node_routes gives, for every node and address."""
    c = build(cni, PODS, [SERVICE])
    m = plugin_for(c, **options)

    class Scanning(type(m)):  # overriding node_routes makes lookup scan the whole table
        def node_routes(self, node):
            return super().node_routes(node)

    full = Scanning.__new__(Scanning)
    full.__dict__.update(m.__dict__)
    ips = [p.status.pod_ip for p in c.pods() if p.status.pod_ip] + ["10.244.3.250", "10.244.200.1", "1.1.1.1"]
    for n in c.nodes():
        for ip in ips:
            try:
                expected = full.lookup(n.name, ip)
            except ValueError as exc:  # Calico's WireGuard "default" route is not a CIDR: both raise alike
                with pytest.raises(ValueError, match=str(exc)):
                    m.lookup(n.name, ip)
                continue
            assert m.lookup(n.name, ip) == expected
    assert type(m).node_routes is PluginModel.node_routes
