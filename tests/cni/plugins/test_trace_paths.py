"""connect() traces follow the cluster's CNI plugin between nodes (kubelab.net.trace hook)."""

from __future__ import annotations

import pytest

from kubelab import Cluster
from kubelab.net import connect

from .conftest import pod


@pytest.mark.parametrize("cni,device,mtu", [("calico", "tunl0", 1480), ("flannel", "flannel.1", 1450),
                                            ("cilium", "cilium_vxlan", 1450), ("weave", "vxlan-6784", 1376)])
def test_cross_node_trace_shows_the_overlay(cni, device, mtu):
    c = Cluster([pod("a", "kind-worker"), pod("b", "kind-worker2")], cni=cni)
    t = connect(c, "a", c.pod("b").status.pod_ip, 8080)
    assert t.verdict == "delivered" and t.backend == "default/b"
    kinds = [h.kind for h in t.hops]
    assert "encap" in kinds and "decap" in kinds
    encap = next(h for h in t.hops if h.kind == "encap")
    assert encap.where == "kind-worker" and device in encap.detail and f"pod MTU is {mtu}" in encap.detail
    assert "172.18.0.3 -> 172.18.0.4" in encap.detail
    route = next(h for h in t.hops if h.kind == "route")
    assert route.where == "kind-worker -> kind-worker2"


def test_routed_plugin_trace_has_no_encapsulation():
    c = Cluster([pod("a", "kind-worker"), pod("b", "kind-worker2")], cni="kindnet")
    t = connect(c, "a", c.pod("b").status.pod_ip, 8080)
    assert t.verdict == "delivered"
    assert not any(h.kind == "encap" for h in t.hops)
    assert any(h.kind == "underlay" and "no encapsulation" in h.detail for h in t.hops)


def test_cluster_cni_options_reach_the_trace():
    c = Cluster([pod("a", "kind-worker"), pod("b", "kind-worker2")], cni="calico")
    c.cni_options = {"encapsulation": "None"}
    t = connect(c, "a", c.pod("b").status.pod_ip, 8080)
    assert t.verdict == "delivered" and not any(h.kind == "encap" for h in t.hops)
    assert any("proto bird" in h.detail for h in t.hops if h.kind == "route")
