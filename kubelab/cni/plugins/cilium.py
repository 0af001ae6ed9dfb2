"""Cilium: eBPF data path, VXLAN/Geneve tunnel or native routing, identity-based policy.

What is modelled (docs.cilium.io "Routing" (encapsulation, native routing),
"Transparent Encryption" (IPsec, WireGuard), "Kubernetes Without kube-proxy", "Terminology";
``pkg/mtu``: tunnel overhead 50 bytes):

- pods attach through ``lxc…`` veths with no bridge; eBPF programs on them do forwarding,
  load balancing and policy; ``cilium_host``/``cilium_net`` give the node an address in
  its pod CIDR;
- ``routing_mode="tunnel"`` (default), ``tunnel_protocol="vxlan"`` (``cilium_vxlan``,
  UDP 8472, the VNI carries the source's security identity) or ``"geneve"`` (UDP 6081):
  the kernel route to another node's pod CIDR points at ``cilium_host`` with the tunnel
  MTU (1450), and eBPF encapsulates to the owning node; ``routing_mode="native"``:
  routes via the node address (``autoDirectNodeRoutes``), no overhead;
- ``encryption="wireguard"`` (``cilium_wg0``, 60 bytes over IPv4, on top of the tunnel)
  or ``"ipsec"`` (ESP; its overhead depends on the cipher and is not modelled);
- ``kube_proxy_replacement=True``: Services are load-balanced by eBPF at the socket or
  the veth, so there are no KUBE-SERVICES iptables chains (the trace engine's kube-proxy
  models do not know this yet);
- policy: NetworkPolicy ingress and egress, plus CiliumNetworkPolicy (L3-L7).

Left out: cluster-pool/ENI IPAM (the cluster keeps host-local /24s), BPF host routing,
XDP, DSR, Hubble, cluster mesh, the IPsec overhead.
"""

from __future__ import annotations

from ...errors import KubelabError
from .base import ENCAPSULATIONS, Component, Encapsulation, PluginModel, Route
from .registry import register

__all__ = ["CiliumModel"]


@register("cilium")
class CiliumModel(PluginModel):
    name = "cilium"
    summary = "eBPF data path: VXLAN/Geneve tunnel or native routing, WireGuard/IPsec, kube-proxy replacement, L3-L7 policy"
    veth_prefix = "lxc"
    bridge = None
    options = ("routing_mode", "tunnel_protocol", "encryption", "kube_proxy_replacement")
    components = (
        Component("cilium-agent", "DaemonSet (one pod per node)",
                  "compiles and loads the eBPF programs, keeps the endpoint and identity maps, enforces policy"),
        Component("cilium-operator", "Deployment", "cluster-wide tasks: IPAM pools, garbage collection of identities"),
        Component("cilium-cni", "/opt/cni/bin/cilium-cni", "creates the lxc veth and asks the agent for the endpoint"),
    )

    def __init__(self, cluster, *, routing_mode: str = "tunnel", tunnel_protocol: str = "vxlan",
                 encryption: str | None = None, kube_proxy_replacement: bool = False, **kw):
        super().__init__(cluster, routing_mode=routing_mode, tunnel_protocol=tunnel_protocol, encryption=encryption,
                         kube_proxy_replacement=kube_proxy_replacement, **kw)

    def _validate(self) -> None:
        if self.routing_mode not in ("tunnel", "native"):
            raise KubelabError(f'cilium: unknown routing_mode "{self.routing_mode}": tunnel or native')
        if self.tunnel_protocol not in ("vxlan", "geneve"):
            raise KubelabError(f'cilium: unknown tunnel_protocol "{self.tunnel_protocol}": vxlan or geneve')
        if self.encryption not in (None, "wireguard", "ipsec"):
            raise KubelabError(f'cilium: unknown encryption "{self.encryption}": wireguard or ipsec')

    @property
    def encapsulation(self) -> Encapsulation | None:
        tunnel = ENCAPSULATIONS[f"cilium-{self.tunnel_protocol}"] if self.routing_mode == "tunnel" else None
        if self.encryption == "wireguard":
            over = (tunnel.overhead if tunnel else 0) + 60
            name = (tunnel.name + " + " if tunnel else "") + "WireGuard"
            outer = (tunnel.outer + ", then " if tunnel else "") + "outer IPv4 + UDP 51871 + WireGuard header"
            return Encapsulation(name, "cilium_wg0", over, outer, encrypted="WireGuard")
        if self.encryption == "ipsec":
            base = tunnel or Encapsulation("ESP", "eth0 (xfrm)", 0, "IPsec ESP")
            return Encapsulation(base.name, base.device, base.overhead, base.outer + " (ESP overhead not modelled)",
                                 encrypted="IPsec ESP")
        return tunnel

    def cilium_host_ip(self, node) -> str:
        return self.gateway(node)

    def remote_routes(self, node, other) -> list[Route]:
        if self.routing_mode == "native":
            return [Route(c, via=other.internal_ip, dev="eth0", by="cilium-agent (autoDirectNodeRoutes)")
                    for c in self.pod_cidrs(other)]
        return [Route(c, via=self.cilium_host_ip(node), dev="cilium_host", proto="kernel", src=self.cilium_host_ip(node),
                      mtu=self.mtu, by="cilium-agent; eBPF then encapsulates to " + other.name)
                for c in self.pod_cidrs(other)]

    def local_routes(self, node) -> list[Route]:
        return [Route(c, via=self.cilium_host_ip(node), dev="cilium_host", proto="kernel", src=self.cilium_host_ip(node),
                      by="cilium-agent (local endpoints are reached by eBPF redirect to their lxc veth)")
                for c in self.pod_cidrs(node)]

    def unencapsulated_note(self, a, b) -> str:
        return "native routing: the node network (or autoDirectNodeRoutes) must route pod CIDRs"
