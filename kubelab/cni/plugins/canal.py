"""Canal: Flannel's networking with Calico's policy enforcement.

What is modelled (Calico docs "Install Calico for policy and flannel (aka Canal) for
networking" https://docs.tigera.io/calico/latest/getting-started/kubernetes/flannel/install-for-flannel;
the 2019 benchmark's "Canal (which is in fact Flannel for network + Calico for firewalling)"):
pods are attached by the ``calico`` CNI plugin (routed ``cali…`` veths, no bridge, a /32
route per pod), flanneld carries traffic between nodes (VXLAN ``flannel.1``, MTU 1450),
and Felix (calico/node without BIRD) enforces NetworkPolicy ingress and egress.

Left out: everything the Flannel and Calico models leave out.
"""

from __future__ import annotations

from .base import Component
from .flannel import FlannelModel
from .registry import register

__all__ = ["CanalModel"]


@register("canal")
class CanalModel(FlannelModel):
    name = "canal"
    summary = "Flannel overlay between nodes, Calico's Felix for NetworkPolicy (ingress and egress)"
    veth_prefix = "cali"
    bridge = None
    components = (
        Component("calico-node (policy only)", "container of the canal DaemonSet",
                  "Felix: per-pod routes and the iptables rules of NetworkPolicy; no BIRD (no BGP)"),
        Component("kube-flannel", "container of the canal DaemonSet", "the subnet lease and the VXLAN overlay"),
        Component("calico CNI binary", "/opt/cni/bin/calico", "attaches pods (cali veths, host-local addresses)"),
    )
