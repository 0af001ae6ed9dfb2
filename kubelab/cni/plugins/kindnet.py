"""kindnet: kind's default plugin -- ptp veths and plain routes to the other nodes.

What is modelled (kubernetes-sigs/kind ``images/kindnetd``, its CNI template: ``ptp`` +
``host-local`` with the node's podCIDR; kind release v0.24.0, Aug 2024: kindnetd ships
NetworkPolicy through kube-network-policies): each pod gets a veth with a ``/32`` host
route (no bridge); kindnetd adds, for every other node, ``<podCIDR> via <node IP>`` on
``eth0`` -- kind's nodes share one docker network, so no encapsulation; NetworkPolicy
ingress and egress since kind v0.24.0 (none before).

Left out: kindnetd's masquerade agent (ip-masq), IPv6/dual stack, its DNS cache and NAT64.
"""

from __future__ import annotations

from .base import Component, PluginModel, Route
from .registry import register

__all__ = ["KindnetModel"]


@register("kindnet")
class KindnetModel(PluginModel):
    name = "kindnet"
    summary = "kind's default: ptp veths, a route per other node via its address, no encapsulation"
    veth_prefix = "veth"
    bridge = None
    pod_route_scope = "host"
    components = (
        Component("kindnetd", "DaemonSet (one pod per node)",
                  "writes the CNI config (ptp + host-local), adds routes to the other nodes' pod CIDRs, masquerades"),
        Component("ptp + host-local CNI binaries", "/opt/cni/bin", "one veth per pod with a /32 host route"),
    )

    def remote_routes(self, node, other) -> list[Route]:
        return [Route(c, via=other.internal_ip, dev="eth0", by="kindnetd") for c in self.pod_cidrs(other)]

    def unencapsulated_note(self, a, b) -> str:
        return "kind's nodes share one docker network: kindnetd's route via the node address is enough"
