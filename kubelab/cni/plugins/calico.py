"""Calico: routed pod networking (BGP), optional IPIP/VXLAN, policy by Felix.

What is modelled (Calico Open Source docs, "Component architecture"
https://docs.tigera.io/calico/latest/reference/architecture/overview, "IP pool"
https://docs.tigera.io/calico/latest/reference/resources/ippool, "Configure MTU"
https://docs.tigera.io/calico/latest/networking/configuring/mtu; the chapter's
"Calico" section):

- no bridge: each pod's host-side veth is ``cali`` + 11 hex digits of SHA-1("ns.pod"),
  and Felix programs a ``/32`` route per local pod (``10.244.1.5 dev cali… scope link``);
  the host answers the pod's ARP for its gateway (``169.254.1.1``) by proxy ARP;
- routes to the other nodes' pod blocks: BIRD (BGP, full mesh) installs them ``proto bird``
  via the peer's address on ``eth0`` (no encapsulation: the chapter's flat network),
  or on ``tunl0 … onlink`` with IPIP (outer IPv4 header, 20 bytes); with VXLAN Felix
  installs them ``proto 80`` via the peer's tunnel address on ``vxlan.calico`` (50 bytes);
  ``CrossSubnet`` modes encapsulate only between nodes of different subnets; WireGuard
  (``wireguard.cali``, 60 bytes over IPv4) encrypts node-to-node pod traffic.  Simplified:
  real Felix puts WireGuard's routes in routing table 1 (consulted first by an ``ip rule``);
  the model has one main table, where the BGP routes to the other blocks win the
  longest-prefix match and its ``default dev wireguard.cali`` route catches only the rest,
  while paths between nodes still carry the WireGuard encapsulation;
- the MTU: the network's minus the overhead (1480 IPIP, 1450 VXLAN, 1440 WireGuard on 1500);
- the components: the chapter's three (``calico/node`` with Felix, BIRD and confd; the
  ``calico`` and ``calico-ipam`` CNI binaries; ``calico-kube-controllers``), and Typha;
- policy: Kubernetes NetworkPolicy ingress and egress, plus Calico's own ordered policies
  with Deny (evaluated by :mod:`kubelab.policy`, not here);
- :func:`calico_ipam`: what ``calico-ipam`` WOULD assign -- ``/26`` blocks (``blockSize``)
  claimed by nodes from the IP pool, addresses taken lowest first, a tunnel address
  per node when IPIP/VXLAN is on, borrowing from another node's block when the pool has
  no free block (``strictAffinity: false``).

The cluster keeps its host-local addresses: the chapter's own CNI configuration runs
Calico with ``"ipam": {"type": "host-local", "subnet": "usePodCidr"}``, which is what
:class:`~kubelab.cluster.Cluster` does (one ``/24`` per node), so the routes and paths use
each node's pod CIDR.  The Calico IPAM view is a separate model; it never changes a pod IP.

Left out: route reflectors and BGP peering with the fabric, IPv6, the eBPF and VPP data
planes, ``natOutgoing`` (SNAT to outside the pool), IP pool node selectors, Typha's fan-out
protocol, confd's BIRD configuration text.  The default encapsulation is ``IPIP`` (mode
Always), as in the ``calico.yaml`` manifest and kops' Calico; an IPPool created by hand
defaults to no encapsulation (``ipipMode: Never``).  Real Calico starts its search for a
free block at a random place in the pool; :func:`calico_ipam` claims them in order.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ...api import Node
from ...cluster import Cluster
from ...errors import KubelabError
from .base import ENCAPSULATIONS, Component, Encapsulation, PluginModel, Route
from .registry import register

__all__ = ["CalicoModel", "CalicoIPAM", "calico_ipam", "CALICO_ENCAPSULATIONS", "DEFAULT_BLOCK_SIZE"]

#: encapsulation setting -> (ipipMode, vxlanMode) of the IPPool it stands for
CALICO_ENCAPSULATIONS = {
    "None": ("Never", "Never"),
    "IPIP": ("Always", "Never"),
    "IPIPCrossSubnet": ("CrossSubnet", "Never"),
    "VXLAN": ("Never", "Always"),
    "VXLANCrossSubnet": ("Never", "CrossSubnet"),
}
DEFAULT_BLOCK_SIZE = 26
CALICO_GATEWAY = "169.254.1.1"


@register("calico")
class CalicoModel(PluginModel):
    """Calico with the chapter's CNI configuration (host-local ``usePodCidr`` IPAM)."""

    name = "calico"
    summary = "routed L3 pod network: BGP (BIRD) between nodes, optional IPIP/VXLAN, Felix programs routes and policy"
    veth_prefix = "cali"
    bridge = None
    options = ("encapsulation", "wireguard", "typha")
    option_attrs = {"encapsulation": "encapsulation_mode"}
    components = (
        Component("calico/node", "DaemonSet (one pod per node)",
                  "programs routes and the local filtering rules policy needs, and shares routes with the other "
                  "nodes", in_chapter=True),
        Component("Felix", "in calico/node", "programs routes, ACLs (iptables) and interfaces for the local pods"),
        Component("BIRD", "in calico/node", "BGP daemon: advertises this node's pod routes to its peers and "
                  "installs theirs (proto bird)"),
        Component("confd", "in calico/node", "renders BIRD's configuration from the datastore"),
        Component("calico and calico-ipam CNI binaries", "/opt/cni/bin on every node, run by the container runtime",
                  "add each pod to the Calico network (veth, route) and give it an address", in_chapter=True),
        Component("calico-kube-controllers", "Deployment (one pod)",
                  "watches the Kubernetes API to keep Calico in step (nodes, namespaces, policies, IPAM)",
                  in_chapter=True),
        Component("Typha", "Deployment (optional, for clusters of more than 50 nodes)",
                  "fans datastore updates out to Felix, so the API server is not watched by every node"),
    )

    encapsulation_mode: str

    def __init__(self, cluster: "Cluster", *, encapsulation: str = "IPIP", wireguard: bool = False,
                 typha: bool | None = None, **kw):
        super().__init__(cluster, encapsulation=encapsulation, wireguard=wireguard, typha=typha, **kw)

    def _validate(self) -> None:
        mode = self.encapsulation_mode
        if mode not in CALICO_ENCAPSULATIONS:
            raise KubelabError(f'calico: unknown encapsulation "{mode}": one of {", ".join(CALICO_ENCAPSULATIONS)}')
        if self.typha is None:
            self.typha = len(self.cluster.nodes()) > 50

    @property
    def ipip_mode(self) -> str:
        return CALICO_ENCAPSULATIONS[self.encapsulation_mode][0]

    @property
    def vxlan_mode(self) -> str:
        return CALICO_ENCAPSULATIONS[self.encapsulation_mode][1]

    @property
    def encapsulation(self) -> Encapsulation | None:  # type: ignore[override]
        if self.wireguard:
            return ENCAPSULATIONS["calico-wireguard"]
        if self.ipip_mode != "Never":
            return ENCAPSULATIONS["calico-ipip"]
        if self.vxlan_mode != "Never":
            return ENCAPSULATIONS["calico-vxlan"]
        return None

    def tunnel(self, a, b) -> Encapsulation | None:
        if self.wireguard:
            return ENCAPSULATIONS["calico-wireguard"]
        if "CrossSubnet" in self.encapsulation_mode and self.same_subnet(a, b):
            return None
        return self.encapsulation

    @property
    def running_components(self) -> tuple[Component, ...]:
        """The components this cluster runs (Typha only when enabled)."""
        return tuple(c for c in self.components if c.name != "Typha" or self.typha)

    def tunnel_address(self, node: "str | Node") -> str | None:
        """The address Calico gives ``tunl0``/``vxlan.calico``: the first of the node's pod range."""
        if self.encapsulation_mode == "None":
            return None
        cidrs = self.pod_cidrs(node)
        return str(ipaddress.ip_network(cidrs[0], strict=False)[0]) if cidrs else None

    def host_addresses(self, node: "str | Node") -> list[str]:
        """Calico puts no pod-range address on the pods' side (``cali`` veths have none; the pods'
        gateway ``169.254.1.1`` is answered by proxy ARP); only ``tunl0``/``vxlan.calico`` has one."""
        t = self.tunnel_address(node)
        return [t] if t else []

    def masquerade_source(self, node: "str | Node", dst_ip: str) -> str:
        """Out of ``tunl0``/``vxlan.calico``: the tunnel address; out of ``eth0``: the node's address.

        Simplification: a masqueraded packet to a pod on the same node leaves by its ``cali`` veth,
        which has no IPv4 address, so the kernel takes another interface's address; the model
        takes the tunnel address when there is one (the node's InternalIP otherwise).
        """
        n = self._node(node)
        tunnel = self.tunnel_address(n)
        if tunnel is None:
            return n.internal_ip or ""
        owner = self.owner_of(dst_ip)
        if owner is not None and (owner.name == n.name or self.tunnel(n, owner) is not None):
            return tunnel
        return n.internal_ip or ""

    def remote_routes(self, node: "Node", other: "Node") -> list[Route]:
        enc = None if self.wireguard else self.tunnel(node, other)
        routes = []
        for cidr in self.pod_cidrs(other):
            if enc is None:
                routes.append(Route(cidr, via=other.internal_ip, dev="eth0", proto="bird",
                                    by="BIRD, learnt over BGP from " + other.name))
            elif enc.name == "IPIP":
                routes.append(Route(cidr, via=other.internal_ip, dev="tunl0", proto="bird", onlink=True,
                                    by="BIRD, learnt over BGP from " + other.name))
            else:
                routes.append(Route(cidr, via=self.tunnel_address(other), dev="vxlan.calico", proto="80",
                                    onlink=True, by="Felix (VXLAN routes do not need BGP)"))
        return routes

    def extra_routes(self, node) -> list[Route]:
        if self.wireguard:
            return [Route("default", dev="wireguard.cali", by="Felix, in routing table 1 for traffic to "
                          "other nodes' pods (ip rule: not from fwmark 0x100000)")]
        return []

    def unencapsulated_note(self, a, b) -> str:
        if "CrossSubnet" in self.encapsulation_mode:
            return f"{self.encapsulation_mode}: both nodes are in {self.node_subnet(a)}, so BIRD routes it plainly"
        return "Calico's flat network: the next hop is the peer learnt over BGP, every pod IP is routable"

    def leave_pod(self, node, pod):
        hop = super().leave_pod(node, pod)
        hop.detail += f"; the pod's default route is via {CALICO_GATEWAY}, answered by the host with proxy ARP"
        return hop


# ---------------------------------------------------------------------- Calico IPAM (a separate view)
@dataclass
class CalicoIPAM:
    """What ``calico-ipam`` would assign in this cluster (the cluster's pod IPs are not changed)."""

    pool: str
    block_size: int
    #: node name -> the blocks it has an affinity for, in the order it claimed them
    blocks: dict[str, list[str]] = field(default_factory=dict)
    #: "namespace/pod" -> address
    addresses: dict[str, str] = field(default_factory=dict)
    #: node name -> the tunnel (tunl0/vxlan.calico) address
    tunnel_addresses: dict[str, str] = field(default_factory=dict)
    #: "namespace/pod" of pods whose address came from another node's block
    borrowed: list[str] = field(default_factory=list)

    def block_of(self, ip: str) -> str | None:
        addr = ipaddress.ip_address(ip)
        for blocks in self.blocks.values():
            for b in blocks:
                if addr in ipaddress.ip_network(b):
                    return b
        return None

    def routes(self, node: str) -> list[Route]:
        """What BIRD would advertise and install with these blocks: a blackhole per own block."""
        return [Route(b, blackhole=True, proto="bird", by="BIRD: unused addresses of an own block go nowhere")
                for b in self.blocks.get(node, [])]

    def lines(self) -> list[str]:
        out = [f"IP pool {self.pool}, blockSize {self.block_size} "
               f"({2 ** (32 - self.block_size)} addresses a block)"]
        for node, blocks in self.blocks.items():
            tun = self.tunnel_addresses.get(node)
            out.append(f"{node}: " + ", ".join(blocks) + (f" (tunnel address {tun})" if tun else ""))
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def calico_ipam(cluster: "Cluster", *, pool: str | None = None, block_size: int = DEFAULT_BLOCK_SIZE,
                tunnel_addresses: bool = True) -> CalicoIPAM:
    """Calico's block IPAM applied to the cluster's nodes and pods (creation order).

    ``pool`` defaults to the cluster's pod CIDR (the operator takes kubeadm's ``podSubnet``;
    the ``calico.yaml`` manifest's own default is ``192.168.0.0/16``).  Each node claims a
    free block of ``/block_size`` when it needs an address and has none left in its blocks;
    addresses are taken lowest first (all addresses of a block are usable: pods get ``/32``
    routes, there is no broadcast address).  When no block is free the address is borrowed
    from another node's block, as Calico does without ``strictAffinity``.

    >>> from kubelab import Cluster
    >>> ipam = calico_ipam(Cluster())
    >>> ipam.blocks["kind-control-plane"], ipam.tunnel_addresses["kind-worker"]
    (['10.244.0.0/26'], '10.244.0.64')
    """
    pool_cidr = pool or cluster.settings.pod_cidr
    try:
        net = ipaddress.ip_network(pool_cidr)
    except ValueError as exc:
        raise KubelabError(f'calico IPAM: invalid pool "{pool_cidr}": {exc}') from None
    if net.version != 4:
        raise KubelabError("calico IPAM: the model handles IPv4 pools only")
    if not 20 <= block_size <= 32:
        raise KubelabError(f"calico IPAM: blockSize {block_size} is outside 20-32 (IPv4)")
    if block_size < net.prefixlen:
        raise KubelabError(f"calico IPAM: pool {pool_cidr} is smaller than one /{block_size} block")
    ipam = CalicoIPAM(pool=str(net), block_size=block_size)
    free_blocks = list(net.subnets(new_prefix=block_size))
    free_blocks.reverse()  # pop() takes the lowest
    used: dict[str, set[int]] = {}  # block -> used ordinals

    def claim(node: str) -> str | None:
        if not free_blocks:
            return None
        b = str(free_blocks.pop())
        ipam.blocks.setdefault(node, []).append(b)
        used[b] = set()
        return b

    def take(node: str) -> tuple[str, bool] | None:
        for b in ipam.blocks.get(node, []):
            ip = _lowest_free(b, used[b])
            if ip:
                return ip, False
        b = claim(node)
        if b is not None:
            return _lowest_free(b, used[b]), False
        for other, blocks in ipam.blocks.items():  # borrow
            for b in blocks:
                ip = _lowest_free(b, used[b])
                if ip:
                    return ip, True
        return None

    def _lowest_free(block: str, taken: set[int]) -> str | None:
        bnet = ipaddress.ip_network(block)
        for i in range(bnet.num_addresses):
            if i not in taken:
                taken.add(i)
                return str(bnet[i])
        return None

    for n in cluster.nodes():
        ipam.blocks.setdefault(n.name, [])
        if tunnel_addresses:
            got = take(n.name)
            if got:
                ipam.tunnel_addresses[n.name] = got[0]
    for p in cluster.pods():
        if p.spec.host_network or not p.spec.node_name or not p.status.pod_ip:
            continue
        got = take(p.spec.node_name)
        if got is None:
            raise KubelabError(f"calico IPAM: pool {net} is exhausted: no address for {p.namespace}/{p.name}")
        ipam.addresses[f"{p.namespace}/{p.name}"] = got[0]
        if got[1]:
            ipam.borrowed.append(f"{p.namespace}/{p.name}")
    return ipam
