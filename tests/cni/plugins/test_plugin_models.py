"""Each plugin model's routes and cross-node path: devices, encapsulation, overhead and MTU.

Expected numbers: IPIP 20 bytes and VXLAN 50 bytes (Calico "Configure MTU": 1480/1450 on a
1500-byte network; RFC 7348 for VXLAN's 50), Calico WireGuard 60 (1440), Flannel VXLAN
``flannel.1`` MTU 1450 and udp ``flannel0`` 1472 (flannel backends.md), Weave Net's default
MTU 1376, Cilium's tunnel overhead 50 (``pkg/mtu``).
"""

from __future__ import annotations

import pytest

from kubelab.cni.plugins import PLUGINS, get, names, plugin_for
from kubelab.cni.plugins.base import host_veth_name
from kubelab.errors import KubelabError

EXPECTED = {  # plugin -> (encapsulation device between kind nodes, overhead, pod MTU)
    "calico": ("tunl0", 20, 1480),
    "flannel": ("flannel.1", 50, 1450),
    "canal": ("flannel.1", 50, 1450),
    "weave": ("vxlan-6784", 50, 1376),
    "cilium": ("cilium_vxlan", 50, 1450),
    "kube-router": (None, 0, 1480),
    "kindnet": (None, 0, 1500),
    "bridge": (None, 0, 1500),
}


def test_every_cluster_cni_has_a_registered_model():
    from kubelab.cluster.settings import CNI_PLUGINS
    assert set(names()) == set(CNI_PLUGINS) == set(EXPECTED)
    assert all(PLUGINS[n].name == n for n in names())


def test_unknown_plugin_and_option_are_one_line_errors(two_pods):
    with pytest.raises(KubelabError, match='unknown CNI plugin "calcio" \\(did you mean "calico"\\?\\)'):
        get("calcio")
    with pytest.raises(KubelabError, match="unknown option 'backend'"):
        plugin_for(two_pods("calico"), backend="vxlan")
    with pytest.raises(KubelabError, match='unknown encapsulation "GRE"'):
        plugin_for(two_pods("calico"), encapsulation="GRE")


@pytest.mark.parametrize("cni", sorted(EXPECTED))
def test_cross_node_path_shows_encapsulation_and_mtu(two_pods, cni):
    c = two_pods(cni)
    m = plugin_for(c)
    a, b = c.pod("a"), c.pod("b")
    p = m.path(a, b.status.pod_ip)
    device, overhead, mtu = EXPECTED[cni]
    assert m.mtu == mtu and p.mtu <= mtu
    assert p.overhead == overhead
    assert not p.same_node
    assert p.hops[0].kind == "veth" and p.hops[-1].kind == "veth"
    assert any(h.kind == "route" and h.where == "kind-worker -> kind-worker2" for h in p.hops)
    if device is None:
        assert p.encapsulation is None and p.outer is None
        assert not any(h.kind == "encap" for h in p.hops)
    else:
        assert p.encapsulation.device == device
        assert p.outer == ("172.18.0.3", "172.18.0.4")  # node IP -> node IP
        encap = next(h for h in p.hops if h.kind == "encap")
        assert f"+{overhead} bytes" in encap.detail and f"pod MTU is {p.mtu}" in encap.detail
        kinds = [h.kind for h in p.hops]
        assert kinds.index("encap") < kinds.index("underlay") < kinds.index("decap")


@pytest.mark.parametrize("cni", sorted(EXPECTED))
def test_same_node_path_has_no_encapsulation(two_pods, cni):
    c = two_pods(cni)
    c.apply(__import__("tests.cni.plugins.conftest", fromlist=["pod"]).pod("a2", "kind-worker"))
    p = plugin_for(c).path("a", c.pod("a2").status.pod_ip)
    assert p.same_node and p.encapsulation is None
    assert [h.kind for h in p.hops] == ["veth", "route", "veth"]


def test_calico_routes_ipip_bgp_vxlan(two_pods):
    c = two_pods("calico")
    a = c.pod("a")
    ipip = [str(r) for r in plugin_for(c).node_routes("kind-worker")]
    assert f"{a.status.pod_ip} dev {host_veth_name('cali', 'default', 'a')} scope link" in ipip
    assert "10.244.2.0/24 via 172.18.0.4 dev tunl0 proto bird onlink" in ipip
    bgp = [str(r) for r in plugin_for(c, encapsulation="None").node_routes("kind-worker")]
    assert "10.244.2.0/24 via 172.18.0.4 dev eth0 proto bird" in bgp
    vx = plugin_for(c, encapsulation="VXLAN")
    assert "10.244.2.0/24 via 10.244.2.0 dev vxlan.calico proto 80 onlink" in [str(r) for r in vx.node_routes("kind-worker")]
    assert (vx.mtu, vx.encapsulation.overhead) == (1450, 50)
    wg = plugin_for(c, wireguard=True)
    assert (wg.mtu, wg.encapsulation.encrypted is not None) == (1440, True)
    # the WireGuard route is "default" (as ip route prints it): a lookup must read it as 0.0.0.0/0
    b = next(p for p in c.pods() if p.spec.node_name == "kind-worker2")
    assert wg.lookup("kind-worker", "203.0.113.9").dev == "wireguard.cali"
    path = wg.path(a, b.status.pod_ip)  # a cross-node path is drawn (it raised before), encrypted
    assert not path.same_node and path.encapsulation.encrypted is not None


def test_calico_veth_name_is_cali_plus_11_hex_of_sha1():
    import hashlib
    name = host_veth_name("cali", "default", "web-0")
    assert name == "cali" + hashlib.sha1(b"default.web-0").hexdigest()[:11] and len(name) == 15


def test_calico_cross_subnet_encapsulates_only_between_subnets(two_pods):
    c = two_pods("calico")
    subnets = {"kind-control-plane": "172.18.0.0/24", "kind-worker": "172.18.0.0/24", "kind-worker2": "172.18.0.0/24"}
    same = plugin_for(c, encapsulation="IPIPCrossSubnet", node_subnets=subnets)
    assert same.path("a", c.pod("b").status.pod_ip).encapsulation is None
    split = dict(subnets, **{"kind-worker2": "172.18.1.0/24"})
    cross = plugin_for(c, encapsulation="VXLANCrossSubnet", node_subnets=split)
    p = cross.path("a", c.pod("b").status.pod_ip)
    assert p.encapsulation.device == "vxlan.calico" and p.mtu == 1450
    assert "via 172.18.0.2 dev eth0 proto bird" in " ".join(str(r) for r in cross.node_routes("kind-worker"))


def test_calico_components_include_the_chapters_three():
    from kubelab.cni.plugins import CalicoModel
    chapter = [c.name for c in CalicoModel.components if c.in_chapter]
    assert chapter == ["calico/node", "calico and calico-ipam CNI binaries", "calico-kube-controllers"]
    assert {"Felix", "BIRD", "confd", "Typha"} <= {c.name for c in CalicoModel.components}
    assert CalicoModel.enforces == ("Ingress", "Egress")


def test_flannel_backends(two_pods):
    c = two_pods("flannel")
    routes = [str(r) for r in plugin_for(c).node_routes("kind-worker")]
    assert "10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1" in routes
    assert "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink" in routes
    assert "FLANNEL_MTU=1450" in plugin_for(c).subnet_env("kind-worker")
    hostgw = plugin_for(c, backend="host-gw")
    assert hostgw.mtu == 1500 and "10.244.2.0/24 via 172.18.0.4 dev eth0" in [str(r) for r in hostgw.node_routes("kind-worker")]
    udp = plugin_for(c, backend="udp")
    assert (udp.mtu, udp.encapsulation.device) == (1472, "flannel0")
    assert plugin_for(c).enforces == ()


def test_weave_is_one_l2_network_with_encryption_kinds(two_pods):
    c = two_pods("weave")
    m = plugin_for(c)
    assert [str(r) for r in m.node_routes("kind-worker")][1:] == ["10.244.0.0/16 dev weave proto kernel scope link src 10.244.1.1"]
    assert "IPsec" in plugin_for(c, encryption=True).encapsulation.encrypted
    assert "NaCl" in plugin_for(c, mode="sleeve", encryption=True).encapsulation.encrypted


def test_cilium_modes(two_pods):
    c = two_pods("cilium")
    assert "10.244.2.0/24 via 10.244.1.1 dev cilium_host proto kernel src 10.244.1.1 mtu 1450" in [
        str(r) for r in plugin_for(c).node_routes("kind-worker")]
    native = plugin_for(c, routing_mode="native")
    assert native.encapsulation is None and native.mtu == 1500
    assert plugin_for(c, tunnel_protocol="geneve").encapsulation.device == "cilium_geneve"
    wg = plugin_for(c, encryption="wireguard")
    assert wg.mtu == 1500 - 50 - 60 and wg.encapsulation.encrypted == "WireGuard"


def test_kube_router_tunnels_only_across_subnets(two_pods):
    c = two_pods("kube-router")
    split = {"kind-control-plane": "172.18.0.0/24", "kind-worker": "172.18.0.0/24", "kind-worker2": "172.18.1.0/24"}
    m = plugin_for(c, node_subnets=split)
    p = m.path("a", c.pod("b").status.pod_ip)
    assert p.encapsulation.name == "IPIP" and p.encapsulation.device.startswith("tun-") and p.mtu == 1480
    assert len(p.encapsulation.device) <= 15
    assert "10.244.0.0/24 via 172.18.0.2 dev eth0 proto 17" in [str(r) for r in m.node_routes("kind-worker")]


def test_kindnet_ptp_routes(two_pods):
    c = two_pods("kindnet")
    routes = [str(r) for r in plugin_for(c).node_routes("kind-worker")]
    assert f"{c.pod('a').status.pod_ip} dev {host_veth_name('veth', 'default', 'a')} scope host" in routes
    assert "10.244.2.0/24 via 172.18.0.4 dev eth0" in routes


def test_path_errors_and_non_pod_destinations(two_pods):
    c = two_pods("calico")
    m = plugin_for(c)
    with pytest.raises(KubelabError, match="no pod or node"):
        m.path("ghost", "10.244.2.2")
    with pytest.raises(KubelabError, match="not an IP"):
        m.path("a", "web")
    p = m.path("kind-worker", "8.8.8.8")
    assert p.hops[-1].kind == "route" and "not a pod address" in p.hops[-1].detail
    assert m.path("kind-worker", "10.244.2.200").hops[-1].kind == "deliver"  # in a CIDR, no pod
