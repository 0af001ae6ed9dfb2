"""The reference ``bridge`` plugin alone (with host-local): a node-local bridge, nothing more.

What is modelled (containernetworking/plugins ``plugins/main/bridge``; kubenet, which the
chapter names as Kubernetes' default before CNI, is a bridge ``cbr0`` + host-local with
routes programmed by the cloud): pods attach to ``cni0`` and get the gateway ``.1``; the
plugin knows nothing of other nodes, so the routes to their pod CIDRs must come from
elsewhere -- the cloud's route table (kubenet), static routes, or another agent.  kubelab
shows them as static routes via the node address, "added outside the plugin".

Left out: ``isGateway``/``ipMasq``/``hairpinMode`` options, VLANs, the cloud route
controller; the ``bridge`` plugin itself is modelled in :mod:`kubelab.cni`.
"""

from __future__ import annotations

from .base import Component, PluginModel, Route
from .registry import register

__all__ = ["BridgeModel"]


@register("bridge")
class BridgeModel(PluginModel):
    name = "bridge"
    summary = "node-local bridge cni0 + host-local; routes between nodes come from outside the plugin"
    veth_prefix = "veth"
    bridge = "cni0"
    components = (
        Component("bridge + host-local CNI binaries", "/opt/cni/bin, run by the container runtime",
                  "create cni0, a veth per pod and its address; nothing between nodes"),
    )

    def remote_routes(self, node, other) -> list[Route]:
        return [Route(c, via=other.internal_ip, dev="eth0", proto="static",
                      by="someone else (cloud routes, kubenet's route controller, or by hand)")
                for c in self.pod_cidrs(other)]

    def unencapsulated_note(self, a, b) -> str:
        return "a static route via the node address, which the bridge plugin does not add itself"
