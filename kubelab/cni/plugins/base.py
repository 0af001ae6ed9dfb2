"""What every CNI plugin model shares: routes, encapsulation, the path of a packet.

A plugin model answers, for a :class:`~kubelab.cluster.Cluster`, the questions a
learner asks with ``ip route``, ``ip -d link`` and ``tcpdump`` on a node:

- :meth:`PluginModel.node_routes` -- the routing table the plugin programs on a node
  (``ip route`` text through ``str(route)``);
- :meth:`PluginModel.path` -- the hops a packet takes from a pod (or a node) to an
  address, with the encapsulation shown: the outer header node IP -> node IP, the
  bytes it costs and the MTU that is left for the pod;
- :attr:`PluginModel.mtu`, :attr:`PluginModel.encapsulation`,
  :attr:`PluginModel.enforces` (NetworkPolicy directions), :attr:`PluginModel.components`.

The addresses are the cluster's own: pods keep the host-local addresses the Cluster
gave them (one ``/24`` per node, ``spec.podCIDRs``), so every model routes the
cluster's real pod CIDRs.  Plugin-specific address management (Calico's ``/26``
blocks, Weave's ring-based allocator) is a separate view (see
:func:`kubelab.cni.plugins.calico.calico_ipam`), never a change to the cluster.

At the scale of thousands of nodes, a node's pods, the pod at an address and the nodes whose pod
CIDRs hold an address come from an index built once per state of the cluster (a new one after
any apply or delete), and :meth:`PluginModel.lookup` builds only the routes that can match
instead of the whole table.

Simplifications: IPv4 only; one underlay interface ``eth0`` per node; the node
subnets (for "CrossSubnet" decisions) come from the ``node_subnets`` option, else
the ``/16`` around each node address (kind's docker network is ``172.18.0.0/16``);
the MTU is that of the pod's ``eth0`` (underlay MTU minus the encapsulation), MSS
clamping and PMTU discovery are not modelled.
"""

from __future__ import annotations

import hashlib
import ipaddress
import weakref
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...api import Node, Pod
from ...cluster import Cluster
from ...errors import KubelabError, NotFoundError
from ...policy.enforcement import support

__all__ = ["Route", "Encapsulation", "PathHop", "Path", "Component", "PluginModel", "ENCAPSULATIONS"]


@dataclass(frozen=True)
class Route:
    """One entry of a node's main routing table, rendered as ``ip route`` prints it."""

    dst: str
    dev: str | None = None
    via: str | None = None
    proto: str | None = None
    scope: str | None = None
    src: str | None = None
    onlink: bool = False
    blackhole: bool = False
    mtu: int | None = None
    #: who programs it (for the learner, not part of the kernel's text)
    by: str = ""

    @property
    def network(self) -> ipaddress.IPv4Network:
        """The destination as a network; ``default`` is ``0.0.0.0/0``, as ``ip route`` means it."""
        return ipaddress.ip_network("0.0.0.0/0" if self.dst == "default" else self.dst, strict=False)

    def __str__(self) -> str:
        dst = self.dst[:-3] if self.dst.endswith("/32") else self.dst
        parts = ["blackhole", dst] if self.blackhole else [dst]
        if self.via:
            parts += ["via", self.via]
        if self.dev and not self.blackhole:
            parts += ["dev", self.dev]
        if self.proto:
            parts += ["proto", self.proto]
        if self.scope:
            parts += ["scope", self.scope]
        if self.src:
            parts += ["src", self.src]
        if self.mtu:
            parts += ["mtu", str(self.mtu)]
        if self.onlink:
            parts.append("onlink")
        return " ".join(parts)


@dataclass(frozen=True)
class Encapsulation:
    """How a plugin wraps a pod packet to cross the node network.

    ``overhead`` is what the encapsulation adds inside the underlay MTU: IPIP an outer
    IPv4 header (20 bytes); VXLAN outer IPv4 (20) + UDP (8) + VXLAN (8) + the inner
    Ethernet header (14) = 50 (RFC 7348; Calico's and Cilium's MTU pages use the same
    numbers); WireGuard 60 bytes over IPv4 (Calico MTU docs).
    """

    name: str
    device: str
    overhead: int
    outer: str  # what the outer header says: protocol, port, VNI
    encrypted: str | None = None

    def describe(self) -> str:
        enc = f", encrypted with {self.encrypted}" if self.encrypted else ""
        return f"{self.name} on {self.device} ({self.outer}{enc}), {self.overhead} bytes of overhead"


#: The encapsulations the models use (kernel devices named as the plugins name them).
ENCAPSULATIONS = {
    "calico-ipip": Encapsulation("IPIP", "tunl0", 20, "outer IPv4 header, protocol 4 (IP-in-IP)"),
    "calico-vxlan": Encapsulation("VXLAN", "vxlan.calico", 50, "outer IPv4 + UDP 4789 + VXLAN header, VNI 4096"),
    "calico-wireguard": Encapsulation("WireGuard", "wireguard.cali", 60, "outer IPv4 + UDP 51820 + WireGuard header",
                                      encrypted="WireGuard (ChaCha20-Poly1305)"),
    "flannel-vxlan": Encapsulation("VXLAN", "flannel.1", 50, "outer IPv4 + UDP 8472 + VXLAN header, VNI 1"),
    "flannel-udp": Encapsulation("UDP", "flannel0", 28, "outer IPv4 + UDP 8285, flanneld in user space (TUN)"),
    "weave-fastdp": Encapsulation("VXLAN (fast datapath)", "vxlan-6784", 50,
                                  "outer IPv4 + UDP 6784 + VXLAN header, Open vSwitch kernel datapath"),
    "weave-sleeve": Encapsulation("sleeve", "weave (router in user space)", 28,
                                  "outer IPv4 + UDP 6783, the weave router captures frames with pcap"),
    "cilium-vxlan": Encapsulation("VXLAN", "cilium_vxlan", 50, "outer IPv4 + UDP 8472 + VXLAN header, VNI = "
                                  "the source's security identity"),
    "cilium-geneve": Encapsulation("Geneve", "cilium_geneve", 50, "outer IPv4 + UDP 6081 + Geneve header"),
    "kube-router-ipip": Encapsulation("IPIP", "tun-<peer>", 20, "outer IPv4 header, protocol 4 (IP-in-IP)"),
}


@dataclass
class PathHop:
    """One step of :meth:`PluginModel.path`; the trace engine turns it into a ``Hop``."""

    kind: str  # veth, bridge, route, encap, underlay, decap, deliver
    where: str
    detail: str
    route: Route | None = None
    outer: tuple[str, str] | None = None  # outer source, outer destination (node IPs)
    overhead: int = 0

    def __str__(self) -> str:
        return f"[{self.kind}] {self.where}: {self.detail}"


@dataclass
class Path:
    """The hops of one packet, with what the encapsulation cost."""

    src: str
    dst: str
    hops: list[PathHop] = field(default_factory=list)
    encapsulation: Encapsulation | None = None
    mtu: int = 1500
    same_node: bool = False

    @property
    def overhead(self) -> int:
        return self.encapsulation.overhead if self.encapsulation else 0

    @property
    def outer(self) -> tuple[str, str] | None:
        return next((h.outer for h in self.hops if h.outer), None)

    def lines(self) -> list[str]:
        return [str(h) for h in self.hops]

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass(frozen=True)
class Component:
    """A process or binary the plugin runs, where it runs, and what it does."""

    name: str
    runs_as: str
    role: str
    #: the chapter's own words name it (its three Calico components)
    in_chapter: bool = False


def host_veth_name(prefix: str, namespace: str, name: str) -> str:
    """A host-side veth name derived from the pod: ``prefix`` + 11 hex digits of SHA-1("ns.name").

    Calico names workload interfaces this way (``cali`` + the first 11 hex digits of the
    SHA-1 of ``<namespace>.<pod>``, 15 characters: the kernel's IFNAMSIZ limit); kubelab
    uses the same scheme, with each plugin's prefix, for every plugin.
    """
    return prefix + hashlib.sha1(f"{namespace}.{name}".encode()).hexdigest()[:11]


class _Enforces:
    """``PluginModel.enforces``: the NetworkPolicy directions the plugin enforces ("Ingress", "Egress"),
    read from the one table of :mod:`kubelab.policy.enforcement` (works on the class and on instances)."""

    def __get__(self, obj: Any, owner: type) -> tuple[str, ...]:
        return tuple(d.capitalize() for d in support(owner.name).directions())


class PluginModel:
    """Base class: a plugin model of one cluster.  Subclasses register by name.

    Parameters
    ----------
    cluster
        The modelled cluster; its nodes' ``spec.podCIDRs`` and InternalIPs are used as they are.
    network_mtu
        MTU of the node network (``eth0``), 1500 unless said otherwise.
    node_subnets
        ``{node name: CIDR}`` of the node network, for CrossSubnet decisions.
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    enforces = _Enforces()
    #: the host-side veth prefix
    veth_prefix: ClassVar[str] = "veth"
    #: the bridge pods attach to, or None (routed veths, as Calico and Cilium do)
    bridge: ClassVar[str | None] = "cni0"
    #: scope of the per-pod host route when there is no bridge (ptp uses "host", Felix "link")
    pod_route_scope: ClassVar[str] = "link"
    components: ClassVar[tuple[Component, ...]] = ()
    #: extra options a subclass accepts
    options: ClassVar[tuple[str, ...]] = ()
    #: option name -> attribute it is stored in (when the name is taken by a property)
    option_attrs: ClassVar[dict[str, str]] = {}

    def __init__(self, cluster: "Cluster", *, network_mtu: int = 1500,
                 node_subnets: dict[str, str] | None = None, **options: Any):
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            allowed = ", ".join(self.options) or "none"
            raise KubelabError(f"CNI plugin {self.name}: unknown option {unknown[0]!r} (options: {allowed})")
        if not 576 <= int(network_mtu) <= 65535:
            raise KubelabError(f"CNI plugin {self.name}: network_mtu {network_mtu} is outside 576-65535")
        self.cluster = cluster
        self.network_mtu = int(network_mtu)
        self.node_subnets = dict(node_subnets or {})
        for key, value in options.items():
            setattr(self, self.option_attrs.get(key, key), value)
        self._validate()

    def _validate(self) -> None:
        """Check subclass options (raise a one-line KubelabError)."""

    # ------------------------------------------------------------ the cluster
    def _node(self, name_or_node: "str | Node") -> "Node":
        if not isinstance(name_or_node, str):
            return name_or_node
        return self.cluster.node(name_or_node)

    def node_ip(self, node: "str | Node") -> str:
        return self._node(node).internal_ip or ""

    def node_subnet(self, node: "str | Node") -> ipaddress.IPv4Network:
        n = self._node(node)
        if n.name in self.node_subnets:
            return ipaddress.ip_network(self.node_subnets[n.name], strict=False)
        return ipaddress.ip_network(f"{n.internal_ip}/16", strict=False)

    def same_subnet(self, a: "str | Node", b: "str | Node") -> bool:
        return self.node_subnet(a) == self.node_subnet(b)

    def pod_cidrs(self, node: "str | Node") -> list[str]:
        return list(self._node(node).spec.pod_cidrs)

    def gateway(self, node: "str | Node") -> str:
        """The bridge address pods use as their default gateway (host-local's ``.1``)."""
        cidrs = self.pod_cidrs(node)
        return str(ipaddress.ip_network(cidrs[0], strict=False)[1]) if cidrs else ""

    def host_addresses(self, node: "str | Node") -> list[str]:
        """Addresses in the pod range that the plugin puts on the node itself.

        A bridge plugin gives its bridge the gateway (``cni0 10.244.1.1``); ``ptp`` gives the same
        gateway to the host end of every pod's veth.  Plugins whose pods' gateway is not a host
        address (Calico's ``169.254.1.1`` answered by proxy ARP) override this.
        """
        g = self.gateway(node)
        return [g] if g else []

    def masquerade_source(self, node: "str | Node", dst_ip: str) -> str:
        """The address ``MASQUERADE`` gives a packet the node sends to ``dst_ip``: its outgoing interface's.

        Upstream: ``net/netfilter/nf_nat_masquerade.c`` picks ``inet_select_addr(out, nexthop,
        RT_SCOPE_UNIVERSE)``, the primary address of the interface the route leaves by.  Here: a
        local pod is reached out of the bridge or the ptp veth, which hold the gateway; anything
        else leaves by ``eth0``, the node's InternalIP.
        """
        n = self._node(node)
        addr = ipaddress.ip_address(dst_ip)
        if any(addr in ipaddress.ip_network(c, strict=False) for c in self.pod_cidrs(n)):
            return self.gateway(n)
        return n.internal_ip or ""

    def local_pods(self, node: "str | Node") -> list["Pod"]:
        """The node's pods that have an address of their own (not on the host network), in creation order."""
        name = self._node(node).name
        idx = _index_for(self.cluster)
        if idx is not None:
            return list(idx.pods(self.cluster)[0].get(name, ()))
        return [p for p in self.cluster.pods() if p.spec.node_name == name and p.status.pod_ip
                and not p.spec.host_network]

    def owner_of(self, ip: str) -> "Node | None":
        """The node whose pod CIDR holds ``ip`` (the first in node order)."""
        addr = ipaddress.ip_address(ip)
        idx = _index_for(self.cluster)
        owners = idx.owners(self.cluster, addr) if idx is not None else None
        if owners is not None:
            return owners[0] if owners else None
        for n in self.cluster.nodes():
            if any(addr in ipaddress.ip_network(c, strict=False) for c in n.spec.pod_cidrs):
                return n
        return None

    def pod_at(self, ip: str) -> "Pod | None":
        """The first pod (creation order, not on the host network) whose address is ``ip``."""
        idx = _index_for(self.cluster)
        if idx is not None:
            return idx.pods(self.cluster)[1].get(ip)
        for p in self.cluster.pods():
            if p.status.pod_ip == ip and not p.spec.host_network:
                return p
        return None

    def host_veth(self, pod: "Pod") -> str:
        return host_veth_name(self.veth_prefix, pod.namespace or "default", pod.name)

    # ------------------------------------------------------------ what a plugin decides
    @property
    def encapsulation(self) -> Encapsulation | None:
        """The encapsulation used between nodes (None: routed as they are)."""
        return None

    def tunnel(self, a: "str | Node", b: "str | Node") -> Encapsulation | None:
        """The encapsulation between two given nodes (CrossSubnet modes differ per pair)."""
        return self.encapsulation

    @property
    def mtu(self) -> int:
        """MTU of the pods' ``eth0``: the node network's minus the encapsulation overhead."""
        enc = self.encapsulation
        return self.network_mtu - (enc.overhead if enc else 0)

    def local_routes(self, node: "Node") -> list[Route]:
        """Routes to this node's own pods."""
        if self.bridge:
            return [Route(c, dev=self.bridge, proto="kernel", scope="link", src=self.gateway(node),
                          by=f"the kernel, for the address {self.name} gives the {self.bridge} bridge")
                    for c in self.pod_cidrs(node)]
        return [Route(f"{p.status.pod_ip}/32", dev=self.host_veth(p), scope=self.pod_route_scope,
                      by=f"{self.name} for {p.namespace}/{p.name}") for p in self.local_pods(node)]

    def remote_routes(self, node: "Node", other: "Node") -> list[Route]:
        """Routes on ``node`` to ``other``'s pods.  Default: via the other node's address.

        A subclass returns routes whose destinations lie inside ``other``'s pod CIDRs (or none):
        :meth:`lookup` asks only the nodes whose pod CIDRs hold the address it looks up.
        """
        return [Route(c, via=other.internal_ip, dev="eth0", by=self.name) for c in self.pod_cidrs(other)]

    def extra_routes(self, node: "Node") -> list[Route]:
        """Routes the plugin adds after those to the pod CIDRs (a default route, a whole-network device)."""
        return []

    def _own_routes(self, n: "Node") -> list[Route]:
        """The node's link route for eth0, then its routes to its own pods."""
        routes = [Route(str(self.node_subnet(n)), dev="eth0", proto="kernel", scope="link", src=n.internal_ip,
                        by="the kernel, for eth0's address")]
        return routes + self.local_routes(n)

    def node_routes(self, node: "str | Node") -> list[Route]:
        """The routing table the plugin programs on ``node`` (plus the node's own link route)."""
        n = self._node(node)
        routes = self._own_routes(n)
        for other in self.cluster.nodes():
            if other.name != n.name:
                routes += self.remote_routes(n, other)
        return routes + self.extra_routes(n)

    def lookup(self, node: "str | Node", ip: str) -> Route | None:
        """Longest-prefix match of ``ip`` in :meth:`node_routes` (blackholes included; the first of equals).

        Only the routes that can hold ``ip`` are built: the node's own, those to the nodes whose pod
        CIDRs hold it (see :meth:`remote_routes`) and the extra ones, in :meth:`node_routes` order.
        The whole table is scanned instead when a subclass overrides :meth:`node_routes` or a node's
        pod CIDR, InternalIP or ``node_subnets`` entry does not parse (whatever that raises, it raises).
        """
        addr = ipaddress.ip_address(ip)
        owners = None
        if type(self).node_routes is PluginModel.node_routes and self._subnets_parse():
            idx = _index_for(self.cluster)
            if idx is not None:
                owners = idx.owners(self.cluster, addr, with_ips=True)
        if owners is None:
            return _longest_match(self.node_routes(node), addr)
        n = self._node(node)
        routes = self._own_routes(n)
        for other in owners:
            if other.name != n.name:
                routes += self.remote_routes(n, other)
        return _longest_match(routes + self.extra_routes(n), addr)

    def _subnets_parse(self) -> bool:
        try:
            for cidr in self.node_subnets.values():
                ipaddress.ip_network(cidr, strict=False)
        except (TypeError, ValueError):
            return False
        return True

    # ------------------------------------------------------------ the path
    def cross_node(self, a: "str | Node", b: "str | Node", src_ip: str, dst_ip: str) -> list[PathHop]:
        """The hops from node ``a`` to node ``b`` for a pod packet ``src_ip -> dst_ip``.

        The first hop is a ``route`` hop named ``"a -> b"`` (the trace engine relies on it).
        """
        na, nb = self._node(a), self._node(b)
        route = self.lookup(na, dst_ip)
        enc = self.tunnel(na, nb)
        shown = f"`{route}`" if route else "(no route)"
        by = f", programmed by {route.by}" if route and route.by else ""
        hops = [PathHop("route", f"{na.name} -> {nb.name}",
                        f"{dst_ip} matches {shown} on {na.name}{by}", route=route)]
        if enc is None:
            hops.append(PathHop("underlay", f"{na.name} -> {nb.name}",
                                f"sent as it is, no encapsulation: {src_ip} -> {dst_ip} crosses the node network "
                                f"from {na.internal_ip} to {nb.internal_ip} ({self.unencapsulated_note(na, nb)}); "
                                f"MTU {self.path_mtu(na, nb)}"))
            return hops
        mtu = self.path_mtu(na, nb)
        hops.append(PathHop("encap", na.name,
                            f"{enc.device}: {enc.name} wraps {src_ip} -> {dst_ip} in an outer header "
                            f"{na.internal_ip} -> {nb.internal_ip} ({enc.outer}"
                            + (f", encrypted with {enc.encrypted}" if enc.encrypted else "")
                            + f"): +{enc.overhead} bytes, so the pod MTU is {mtu} on a {self.network_mtu}-byte network",
                            outer=(na.internal_ip or "", nb.internal_ip or ""), overhead=enc.overhead))
        hops.append(PathHop("underlay", f"{na.name} -> {nb.name}",
                            f"the node network carries {na.internal_ip} -> {nb.internal_ip}; it never sees "
                            "the pod addresses", outer=(na.internal_ip or "", nb.internal_ip or "")))
        hops.append(PathHop("decap", nb.name, f"{enc.device} on {nb.name} strips the outer header"
                            + (" and decrypts" if enc.encrypted else "") + f": {src_ip} -> {dst_ip} again"))
        return hops

    def unencapsulated_note(self, a: "Node", b: "Node") -> str:
        return "the next hop is the other node's address"

    def path_mtu(self, a: "str | Node", b: "str | Node") -> int:
        """What a pod packet between the two nodes can carry: the pod MTU, or less if the tunnel needs it."""
        enc = self.tunnel(a, b)
        return min(self.mtu, self.network_mtu - (enc.overhead if enc else 0))

    def _source(self, src: "str | Pod | Node") -> tuple[str, "Node", "Pod | None"]:
        if isinstance(src, Pod):
            node = self.cluster.node_of(src)
            if node is None or not src.status.pod_ip:
                raise KubelabError(f"{src.ref} is not running on a node: it has no path")
            return src.status.pod_ip, node, (None if src.spec.host_network else src)
        if isinstance(src, Node):
            return src.internal_ip or "", src, None
        idx = _index_for(self.cluster) if isinstance(src, str) else None
        if idx is not None:
            n = idx.node_named(self.cluster, src)
            if n is not None:
                return n.internal_ip or "", n, None
            ns, _, name = src.rpartition("/")
            try:
                named = self.cluster.pod(name, ns or "default")  # one key: (namespace, name)
            except NotFoundError:
                named = None
            if named is not None:
                return self._source(named)
        else:
            for n in self.cluster.nodes():
                if src in (n.name, n.internal_ip):
                    return n.internal_ip or "", n, None
            ns, _, name = src.rpartition("/")
            for p in self.cluster.pods(ns or "default"):
                if p.name == name:
                    return self._source(p)
        pod = self.pod_at(src) if _is_ip(src) else None
        if pod is not None:
            return self._source(pod)
        raise KubelabError(f'"{src}": no pod or node of that name in the cluster')

    def path(self, src: "str | Pod | Node", dst_ip: str) -> Path:
        """The hops a packet takes from ``src`` (a pod, a node, their name or IP) to ``dst_ip``."""
        if not _is_ip(dst_ip):
            raise KubelabError(f'"{dst_ip}" is not an IP address')
        src_ip, node, pod = self._source(src)
        path = Path(src=f"{pod.namespace}/{pod.name} ({src_ip})" if pod else f"{node.name} ({src_ip})", dst=dst_ip)
        if pod is not None:
            path.hops.append(self.leave_pod(node, pod))
        owner = self.owner_of(dst_ip)
        dst_pod = self.pod_at(dst_ip)
        if owner is None:
            route = self.lookup(node, dst_ip)
            path.hops.append(PathHop("route", node.name, f"{dst_ip} is not a pod address: "
                                     + (f"`{route}`" if route else "the node's default route") + " takes it", route))
            path.mtu = self.network_mtu if pod is None else self.mtu
            return path
        if owner.name == node.name:
            path.same_node = True
            path.mtu = self.mtu if pod is not None else self.network_mtu
            route = self.lookup(node, dst_ip)
            path.hops.append(PathHop("route", node.name, f"{dst_ip} matches `{route}`: a pod on this node, "
                                     "no encapsulation", route))
        else:
            path.hops.extend(self.cross_node(node, owner, src_ip, dst_ip))
            path.encapsulation = self.tunnel(node, owner)
            path.mtu = self.path_mtu(node, owner)
        if dst_pod is not None:
            path.hops.append(self.enter_pod(owner, dst_pod))
        else:
            path.hops.append(PathHop("deliver", owner.name, f"no pod has {dst_ip}: the packet goes nowhere"))
        return path

    def leave_pod(self, node: "Node", pod: "Pod") -> PathHop:
        if self.bridge:
            detail = (f"out of {pod.name}'s eth0 (MTU {self.mtu}) to its gateway {self.gateway(node)}, through "
                      f"{self.host_veth(pod)} into the {self.bridge} bridge")
        else:
            detail = (f"out of {pod.name}'s eth0 (MTU {self.mtu}) through {self.host_veth(pod)} into the node's "
                      "routing table (no bridge)")
        return PathHop("veth", node.name, detail)

    def enter_pod(self, node: "Node", pod: "Pod") -> PathHop:
        via = f"the {self.bridge} bridge and " if self.bridge else ""
        return PathHop("veth", node.name, f"through {via}{self.host_veth(pod)} into {pod.name}'s eth0 "
                       f"({pod.status.pod_ip})")


def _longest_match(routes: list[Route], addr: "ipaddress.IPv4Address | ipaddress.IPv6Address") -> Route | None:
    """The route of ``routes`` with the longest prefix holding ``addr``, the first of equals."""
    best, best_len = None, -1
    for r in routes:
        net = r.network  # parsed once a route
        if addr in net and net.prefixlen > best_len:
            best, best_len = r, net.prefixlen
    return best


class _ClusterIndex:
    """What the models look up in one state of a cluster, built on first use.

    A :class:`~kubelab.cluster.Cluster` stores a new state (``cluster._s``) on every apply or delete
    and never changes a stored object in place, so an index built for one state holds until the
    cluster stores another (:func:`_index_for` compares them).  It only reads the cluster, and keeps
    no reference to it (the cluster is the key of the cache that holds the index).
    """

    def __init__(self) -> None:
        self._pods: tuple[dict[str, list["Pod"]], dict[Any, "Pod"]] | None = None
        self._nodes: list["Node"] = []
        self._named: dict[str, "Node"] = {}
        self._cidrs: dict[tuple[int, int], dict[int, list[int]]] | None = None
        self._cidrs_parse = True  # every node's pod CIDRs parse
        self._ips_parse = True  # every node has an InternalIP that parses

    def pods(self, cluster: "Cluster") -> tuple[dict[str, list["Pod"]], dict[Any, "Pod"]]:
        """(node name -> its pods with an address, not on the host network; pod IP -> first such pod),
        both in creation order."""
        if self._pods is None:
            by_node: dict[str, list[Pod]] = {}
            by_ip: dict[Any, Pod] = {}
            for p in cluster.pods():
                if p.spec.host_network:
                    continue
                ip = p.status.pod_ip
                by_ip.setdefault(ip, p)
                if ip and p.spec.node_name:
                    by_node.setdefault(p.spec.node_name, []).append(p)
            self._pods = (by_node, by_ip)
        return self._pods

    def _build_nodes(self, cluster: "Cluster") -> dict[tuple[int, int], dict[int, list[int]]]:
        if self._cidrs is None:
            self._nodes = nodes = cluster.nodes()
            named: dict[str, Node] = {}
            cidrs: dict[tuple[int, int], dict[int, list[int]]] = {}
            for i, n in enumerate(nodes):
                named.setdefault(n.name, n)
                ip = n.internal_ip
                if ip is not None:
                    named.setdefault(ip, n)
                try:
                    ipaddress.ip_address(ip)  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    self._ips_parse = False
                for c in n.spec.pod_cidrs:
                    try:
                        net = ipaddress.ip_network(c, strict=False)
                    except (TypeError, ValueError):
                        self._cidrs_parse = False
                        continue
                    key = int(net.network_address) >> (net.max_prefixlen - net.prefixlen)
                    orders = cidrs.setdefault((net.version, net.prefixlen), {}).setdefault(key, [])
                    if not orders or orders[-1] != i:
                        orders.append(i)
            self._named, self._cidrs = named, cidrs
        return self._cidrs

    def node_named(self, cluster: "Cluster", ref: str) -> "Node | None":
        """The first node (node order) whose name or InternalIP is ``ref``."""
        self._build_nodes(cluster)
        return self._named.get(ref)

    def owners(self, cluster: "Cluster", addr: "ipaddress.IPv4Address | ipaddress.IPv6Address", *,
               with_ips: bool = False) -> list["Node"] | None:
        """The nodes whose pod CIDRs hold ``addr``, in node order; None when a pod CIDR (or, with
        ``with_ips``, an InternalIP) does not parse: the caller then scans the nodes as they are."""
        cidrs = self._build_nodes(cluster)
        if not self._cidrs_parse or (with_ips and not self._ips_parse):
            return None
        found: set[int] = set()
        value = int(addr)
        for (version, prefixlen), nets in cidrs.items():
            if version == addr.version:
                found.update(nets.get(value >> (addr.max_prefixlen - prefixlen), ()))
        return [self._nodes[i] for i in sorted(found)]


_INDEXES: "weakref.WeakKeyDictionary[Any, tuple[weakref.ref, _ClusterIndex]]" = weakref.WeakKeyDictionary()


def _index_for(cluster: "Cluster") -> _ClusterIndex | None:
    """The index of the cluster's current state (a new one after any apply or delete); None for an
    object that does not keep its state as a :class:`~kubelab.cluster.Cluster` does."""
    state = getattr(cluster, "_s", None)
    if state is None:
        return None
    try:
        hit = _INDEXES.get(cluster)
    except TypeError:  # pragma: no cover - not weak-referenceable
        return None
    if hit is not None and hit[0]() is state:
        return hit[1]
    idx = _ClusterIndex()
    try:
        _INDEXES[cluster] = (weakref.ref(state), idx)
    except TypeError:  # pragma: no cover - a state that cannot be weakly referenced: no caching
        return None
    return idx


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False
