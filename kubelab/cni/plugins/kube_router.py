"""kube-router: BGP routes between nodes, IPIP across subnets, IPVS services, policy.

What is modelled (cloudnativelabs/kube-router ``docs/user-guide.md``, ``docs/ipv6.md``,
``docs/how-it-works.md``; the chapter, after the 2019 benchmark: "kube-router only supports
ingress network policies"):

- pods attach to the ``kube-bridge`` bridge (CNI ``bridge`` + ``host-local``, the node's podCIDR);
- kube-router's routing controller advertises each node's pod CIDR over BGP (GoBGP, full
  mesh by default) and installs the peers' routes ``via <node IP> dev eth0 proto 17``;
- ``--enable-overlay`` (default true) with ``--overlay-type=subnet`` (default): peers in
  another subnet are reached through an IPIP tunnel ``tun-…`` (20 bytes); ``full``: all peers;
- ``--run-service-proxy``: Services by IPVS (see :mod:`kubelab.proxy.ipvs`), with a dummy
  ``kube-dummy-if`` holding the VIPs;
- ``--run-firewall``: NetworkPolicy by iptables + ipset, ingress and egress. Egress support
  was merged in October 2017 (kube-router PR #186); the 2019 benchmark (Figure 2.9) still
  lists ingress only -- :mod:`kubelab.cni.plugins.matrix` keeps both, with their dates.

Left out: external BGP peers, route reflectors, DSR, IPv6, hairpin mode, the tunnel name
(real: derived from the peer address; here ``tun-`` + its digits, cut to 15 characters).
"""

from __future__ import annotations

from ...errors import KubelabError
from .base import ENCAPSULATIONS, Component, Encapsulation, PluginModel, Route
from .registry import register

__all__ = ["KubeRouterModel"]


@register("kube-router")
class KubeRouterModel(PluginModel):
    name = "kube-router"
    summary = "BGP-routed pod CIDRs (IPIP only across subnets), IPVS service proxy, iptables/ipset NetworkPolicy"
    veth_prefix = "veth"
    bridge = "kube-bridge"
    options = ("enable_overlay", "overlay_type", "run_service_proxy")
    components = (
        Component("kube-router", "DaemonSet (one pod per node), three controllers in one binary",
                  "routing (GoBGP), service proxy (IPVS), network policy (iptables, ipset)"),
        Component("bridge + host-local CNI binaries", "/opt/cni/bin", "attach pods to kube-bridge"),
    )

    def __init__(self, cluster, *, enable_overlay: bool = True, overlay_type: str = "subnet",
                 run_service_proxy: bool = True, **kw):
        super().__init__(cluster, enable_overlay=enable_overlay, overlay_type=overlay_type,
                         run_service_proxy=run_service_proxy, **kw)

    def _validate(self) -> None:
        if self.overlay_type not in ("subnet", "full"):
            raise KubelabError(f'kube-router: unknown --overlay-type "{self.overlay_type}": subnet or full')

    @property
    def encapsulation(self) -> Encapsulation | None:
        return ENCAPSULATIONS["kube-router-ipip"] if self.enable_overlay and self.overlay_type == "full" else None

    @property
    def mtu(self) -> int:
        # kube-bridge takes the node's MTU, minus the tunnel when an overlay may be used
        return self.network_mtu - (20 if self.enable_overlay else 0)

    def tunnel_device(self, other) -> str:
        return ("tun-" + (self.node_ip(other) or "").replace(".", ""))[:15]

    def tunnel(self, a, b) -> Encapsulation | None:
        if not self.enable_overlay or (self.overlay_type == "subnet" and self.same_subnet(a, b)):
            return None
        base = ENCAPSULATIONS["kube-router-ipip"]
        return Encapsulation(base.name, self.tunnel_device(b), base.overhead, base.outer)

    def remote_routes(self, node, other) -> list[Route]:
        enc = self.tunnel(node, other)
        if enc is None:
            return [Route(c, via=other.internal_ip, dev="eth0", proto="17", by="kube-router, learnt over BGP from "
                          + other.name) for c in self.pod_cidrs(other)]
        return [Route(c, dev=enc.device, proto="17", src=node.internal_ip,
                      by=f"kube-router (overlay-type {self.overlay_type}: IPIP to {other.internal_ip})")
                for c in self.pod_cidrs(other)]

    def unencapsulated_note(self, a, b) -> str:
        return "kube-router's BGP route: both nodes share a subnet, so no tunnel"
