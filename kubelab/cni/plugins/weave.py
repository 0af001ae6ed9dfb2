"""Weave Net: a layer-2 mesh between nodes (fast datapath or sleeve), optional encryption.

What is modelled (weaveworks/weave docs: "How Fast Datapath Works", "Sleeve", "Encryption",
"Configuring Weave Net: MTU"; the 2019 benchmark: Weave Net supports ingress and egress
NetworkPolicy and encryption):

- every node has the ``weave`` bridge; pods attach through ``vethwepl…`` veths; the whole
  pod network is one layer-2 segment, so each node has a single route for it
  (``<pod CIDR> dev weave``) and there is no per-node route table to program;
- between nodes the weave router sets up the fast datapath: the Open vSwitch kernel
  datapath encapsulates in VXLAN on UDP 6784 (``vxlan-6784``); when it cannot, "sleeve"
  mode: the router captures frames with pcap and sends them over UDP 6783 in user space;
- the MTU: Weave Net's default is 1376 bytes (``WEAVE_MTU``), leaving room for VXLAN and
  for IPsec when encryption is on;
- encryption (``encryption=True``, a password): fast datapath uses IPsec ESP in the kernel,
  sleeve uses NaCl in user space;
- weave-npc enforces NetworkPolicy, ingress and egress.

The cluster keeps its host-local addresses (a /24 per node); real Weave Net allocates from
``10.32.0.0/12`` with its own ring-based IPAM, not per-node CIDRs.
Left out: gossip/topology, multicast, the ``weave`` proxy, IPAM consensus, mixed-mode peers.
"""

from __future__ import annotations

from ...errors import KubelabError
from .base import ENCAPSULATIONS, Component, Encapsulation, PluginModel, Route
from .registry import register

__all__ = ["WeaveModel", "WEAVE_MTU"]

WEAVE_MTU = 1376


@register("weave")
class WeaveModel(PluginModel):
    name = "weave"
    summary = "one layer-2 network over all nodes: fast datapath (VXLAN, UDP 6784) or sleeve (UDP 6783); IPsec/NaCl"
    veth_prefix = "vethwepl"
    bridge = "weave"
    options = ("mode", "encryption", "weave_mtu")
    components = (
        Component("weave (router)", "container of the weave-net DaemonSet",
                  "peer discovery and gossip, sets up the fast datapath or runs sleeve, allocates addresses"),
        Component("weave-npc", "container of the weave-net DaemonSet", "NetworkPolicy controller (iptables, ipset)"),
        Component("weave-net CNI binary", "/opt/cni/bin/weave-net", "attaches pods to the weave bridge"),
    )

    def __init__(self, cluster, *, mode: str = "fastdp", encryption: bool = False, weave_mtu: int = WEAVE_MTU, **kw):
        super().__init__(cluster, mode=mode, encryption=encryption, weave_mtu=weave_mtu, **kw)

    def _validate(self) -> None:
        if self.mode not in ("fastdp", "sleeve"):
            raise KubelabError(f'weave: unknown mode "{self.mode}": fastdp or sleeve')

    @property
    def encapsulation(self) -> Encapsulation:
        enc = ENCAPSULATIONS["weave-fastdp" if self.mode == "fastdp" else "weave-sleeve"]
        if self.encryption:
            kind = "IPsec ESP (kernel)" if self.mode == "fastdp" else "NaCl (weave router, user space)"
            enc = Encapsulation(enc.name, enc.device, enc.overhead, enc.outer, encrypted=kind)
        return enc

    @property
    def mtu(self) -> int:
        return min(int(self.weave_mtu), self.network_mtu - self.encapsulation.overhead)

    def path_mtu(self, a, b) -> int:
        return self.mtu

    def gateway(self, node) -> str:
        return super().gateway(node)

    def local_routes(self, node) -> list[Route]:
        return [Route(self.cluster.settings.pod_cidr, dev="weave", proto="kernel", scope="link",
                      src=self.gateway(node), by="the kernel, for the weave bridge's address: one layer-2 "
                      "network over all nodes")]

    def remote_routes(self, node, other) -> list[Route]:
        return []
