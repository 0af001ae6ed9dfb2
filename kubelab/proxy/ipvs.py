"""kube-proxy's IPVS mode: virtual servers, ipsets, the few iptables rules, and the IPVS data path.

**Deprecated**: the IPVS mode is deprecated since Kubernetes v1.35 (KEP-5495);
nftables is its successor.  **Modelled only**: this machine's kernel has no
IPVS (``CONFIG_IP_VS``), so nothing here was executed against a real
``ip_vs``; the ipset text was checked against the real ``ipset`` (see
:mod:`kubelab.proxy.ipset`).

Upstream, read for this module:

* kubernetes ``pkg/proxy/ipvs/proxier.go`` (the modern text with
  ``KUBE-IPVS-FILTER``/``KUBE-IPVS-OUT-FILTER`` and
  ``KUBE-SOURCE-RANGES-FIREWALL``): ``syncProxyRules`` (one virtual server per
  ClusterIP, externalIP, LoadBalancer ingress IP and, for NodePorts, per node
  address; ClusterIP/externalIP/LB IPs bound to ``kube-ipvs0`` unless already
  a node address; real servers of weight 1; ``persistent`` = ClientIP affinity
  timeout; the ``mh`` source-hash flag), ``syncEndpoint`` (``Local`` policy:
  the local endpoints, or *all* cluster endpoints when there is none --
  kubernetes#97081), ``writeIptablesRules``, ``acceptIPVSTraffic``,
  ``createAndLinkKubeChain`` (``iptablesJumpChain``, ``iptablesChains``,
  ``ipsetWithIptablesChain``); ``ipset.go`` (set names and comments);
  ``netlink_linux.go`` (``GetAllLocalAddressesExcept``: NodePorts listen on
  every local address except loopback and ``kube-ipvs0``'s).
* Linux ``net/netfilter/ipvs`` (``ip_vs_core.c``: the service lookup is a hash
  of (protocol, address, port), ``ip_vs_leave`` answers ICMP port unreachable
  when no destination is available; ``ip_vs_ctl.c``: new destinations go to the
  head of the list; connection counters), schedulers in
  :mod:`kubelab.proxy.schedulers`.
* ipvsadm ``ipvsadm.c`` (``list_all``, ``print_title``, ``print_service_entry``:
  service ``"%s  %s"`` cut at 33 characters then ``" %s"`` scheduler and
  ``" persistent %u"``; destination ``"  -> %-28s %-7s %-6d %-10u %-10u"``) and
  ``libipvs/libipvs.c`` (``ipvs_cmp_services``/``ipvs_cmp_dests``: by
  protocol, then ``ntohl(a) - ntohl(b)`` *as a C int*, then port -- so an
  address more than 2^31 above another sorts before it: ``172.18.0.3``
  before ``10.96.0.1``).

From memory, not from a file read for this module: the header values
``1.2.1``/``size=4096`` (kernel defaults, as FIDELITY.md §2 records); the
scheduler-flag text `` (mh-port)`` after the scheduler name (ipvsadm 1.29+);
the ``iptables-save`` text of the rarely written ``-m ipvs`` rule (kept as
kube-proxy writes it).

Simplifications: IPv4 only; services in sorted order (kube-proxy walks a Go
map) and destinations added in ``ip:port`` order (kube-proxy adds them in Go
map order, so the real rr rotation order varies); sets listed in kube-proxy's
``ipsetInfo`` order; NodePort virtual servers on the node's InternalIP (the
model's node has no other non-loopback address); no graceful termination of
removed real servers; IPVS connection states reduced to active (an
established TCP connection) and inactive (UDP, or a TCP connection that never
completed); template/connection expiry by the model clock.

Examples
--------
>>> from kubelab import Cluster
>>> p = IPVSProxier(Cluster(), node="kind-worker")
>>> print(p.render("ipvsadm").splitlines()[3])
TCP  10.96.0.1:443 rr
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ..hops import DataPlane, Hop, Trace
from ..netfilter.packet import Packet
from ..netfilter.xtables import Rule, Table
from .base import Proxier, register
from .ipset import IPSet, KubeProxyEvaluator, append
from .iptables import masquerade_mark
from .schedulers import ConnInfo, Scheduler, make_scheduler
from .servicemap import ServicePortInfo, categorize_endpoints, service_port_map

__all__ = ["IPVSProxier", "VirtualServer", "RealServer", "IPVSDecision", "IPSET_INFO", "DUMMY_DEVICE",
           "IPVSADM_HEADER", "DEPRECATION"]

DUMMY_DEVICE = "kube-ipvs0"
DEPRECATION = "the IPVS proxy mode is deprecated since Kubernetes v1.35 (KEP-5495); nftables is its successor"
IPVSADM_HEADER = ("IP Virtual Server version 1.2.1 (size=4096)\n"
                  "Prot LocalAddress:Port Scheduler Flags\n"
                  "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
PROTO_NUMBERS = {"TCP": 6, "UDP": 17, "SCTP": 132}

KUBE_SERVICES = "KUBE-SERVICES"
KUBE_POSTROUTING = "KUBE-POSTROUTING"
KUBE_MARK_MASQ = "KUBE-MARK-MASQ"
KUBE_NODE_PORT = "KUBE-NODE-PORT"
KUBE_LOAD_BALANCER = "KUBE-LOAD-BALANCER"
KUBE_FORWARD = "KUBE-FORWARD"
KUBE_PROXY_FIREWALL = "KUBE-PROXY-FIREWALL"
KUBE_SOURCE_RANGES_FIREWALL = "KUBE-SOURCE-RANGES-FIREWALL"
KUBE_IPVS_FILTER = "KUBE-IPVS-FILTER"
KUBE_IPVS_OUT_FILTER = "KUBE-IPVS-OUT-FILTER"

#: ``ipsetInfo``: (name, type, comment) in kube-proxy's order.
IPSET_INFO = (
    ("KUBE-LOOP-BACK", "hash:ip,port,ip", "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose"),
    ("KUBE-CLUSTER-IP", "hash:ip,port", "Kubernetes service cluster ip + port for masquerade purpose"),
    ("KUBE-EXTERNAL-IP", "hash:ip,port", "Kubernetes service external ip + port for masquerade and filter purpose"),
    ("KUBE-EXTERNAL-IP-LOCAL", "hash:ip,port", "Kubernetes service external ip + port with externalTrafficPolicy=local"),
    ("KUBE-LOAD-BALANCER", "hash:ip,port", "Kubernetes service lb portal"),
    ("KUBE-LOAD-BALANCER-FW", "hash:ip,port",
     "Kubernetes service load balancer ip + port for load balancer with sourceRange"),
    ("KUBE-LOAD-BALANCER-LOCAL", "hash:ip,port",
     "Kubernetes service load balancer ip + port with externalTrafficPolicy=local"),
    ("KUBE-LOAD-BALANCER-SOURCE-IP", "hash:ip,port,ip",
     "Kubernetes service load balancer ip + port + source IP for packet filter purpose"),
    ("KUBE-LOAD-BALANCER-SOURCE-CIDR", "hash:ip,port,net",
     "Kubernetes service load balancer ip + port + source cidr for packet filter purpose"),
    ("KUBE-NODE-PORT-TCP", "bitmap:port", "Kubernetes nodeport TCP port for masquerade purpose"),
    ("KUBE-NODE-PORT-LOCAL-TCP", "bitmap:port", "Kubernetes nodeport TCP port with externalTrafficPolicy=local"),
    ("KUBE-NODE-PORT-UDP", "bitmap:port", "Kubernetes nodeport UDP port for masquerade purpose"),
    ("KUBE-NODE-PORT-LOCAL-UDP", "bitmap:port", "Kubernetes nodeport UDP port with externalTrafficPolicy=local"),
    ("KUBE-NODE-PORT-SCTP-HASH", "hash:ip,port",
     "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'"),
    ("KUBE-NODE-PORT-LOCAL-SCTP-HASH", "hash:ip,port",
     "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'"),
    ("KUBE-HEALTH-CHECK-NODE-PORT", "bitmap:port", "Kubernetes health check node port"),
    ("KUBE-IPVS-IPS", "hash:ip", "Addresses on the ipvs interface"),
)

#: ``ipsetWithIptablesChain``: (set, table, from chain, to, match type, protocol match).
IPSET_WITH_CHAIN = (
    ("KUBE-LOOP-BACK", "nat", KUBE_POSTROUTING, "MASQUERADE", "dst,dst,src", ""),
    ("KUBE-LOAD-BALANCER", "nat", KUBE_SERVICES, KUBE_LOAD_BALANCER, "dst,dst", ""),
    ("KUBE-LOAD-BALANCER-LOCAL", "nat", KUBE_LOAD_BALANCER, "RETURN", "dst,dst", ""),
    ("KUBE-NODE-PORT-LOCAL-TCP", "nat", KUBE_NODE_PORT, "RETURN", "dst", "tcp"),
    ("KUBE-NODE-PORT-TCP", "nat", KUBE_NODE_PORT, KUBE_MARK_MASQ, "dst", "tcp"),
    ("KUBE-NODE-PORT-LOCAL-UDP", "nat", KUBE_NODE_PORT, "RETURN", "dst", "udp"),
    ("KUBE-NODE-PORT-UDP", "nat", KUBE_NODE_PORT, KUBE_MARK_MASQ, "dst", "udp"),
    ("KUBE-NODE-PORT-LOCAL-SCTP-HASH", "nat", KUBE_NODE_PORT, "RETURN", "dst,dst", "sctp"),
    ("KUBE-NODE-PORT-SCTP-HASH", "nat", KUBE_NODE_PORT, KUBE_MARK_MASQ, "dst,dst", "sctp"),
    ("KUBE-LOAD-BALANCER-FW", "filter", KUBE_PROXY_FIREWALL, KUBE_SOURCE_RANGES_FIREWALL, "dst,dst", ""),
    ("KUBE-LOAD-BALANCER-SOURCE-CIDR", "filter", KUBE_SOURCE_RANGES_FIREWALL, "RETURN", "dst,dst,src", ""),
    ("KUBE-LOAD-BALANCER-SOURCE-IP", "filter", KUBE_SOURCE_RANGES_FIREWALL, "RETURN", "dst,dst,src", ""),
)

#: ``iptablesJumpChain``: (table, from, to, comment); each ensured with ``-I`` (the last ends up first).
JUMP_CHAINS = (
    ("nat", "OUTPUT", KUBE_SERVICES, "kubernetes service portals"),
    ("nat", "PREROUTING", KUBE_SERVICES, "kubernetes service portals"),
    ("nat", "POSTROUTING", KUBE_POSTROUTING, "kubernetes postrouting rules"),
    ("filter", "FORWARD", KUBE_FORWARD, "kubernetes forwarding rules"),
    ("filter", "INPUT", KUBE_NODE_PORT, "kubernetes health check rules"),
    ("filter", "INPUT", KUBE_PROXY_FIREWALL, "kube-proxy firewall rules"),
    ("filter", "FORWARD", KUBE_PROXY_FIREWALL, "kube-proxy firewall rules"),
    ("filter", "INPUT", KUBE_IPVS_FILTER, "kubernetes ipvs access filter"),
    ("filter", "OUTPUT", KUBE_IPVS_OUT_FILTER, "kubernetes ipvs access filter"),
)
NAT_CHAINS = (KUBE_SERVICES, KUBE_POSTROUTING, KUBE_NODE_PORT, KUBE_LOAD_BALANCER, KUBE_MARK_MASQ)
FILTER_CHAINS = (KUBE_FORWARD, KUBE_NODE_PORT, KUBE_PROXY_FIREWALL, KUBE_SOURCE_RANGES_FIREWALL, KUBE_IPVS_FILTER,
                 KUBE_IPVS_OUT_FILTER)


def _c_int(v: int) -> int:
    """A C ``int`` from an unsigned 32-bit difference (libipvs compares ``ntohl(a) - ntohl(b)``)."""
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


@functools.lru_cache(maxsize=1 << 17)  # the sorts of ipvsadm -Ln compare each address many times
def _ip(ip: str) -> int:
    return int(ipaddress.IPv4Address(ip))


@dataclass
class RealServer:
    """A destination of a virtual server (``ipvsadm``'s ``-> RemoteAddress:Port``)."""

    ip: str
    port: int
    weight: int = 1
    forward: str = "Masq"
    active: int = 0
    inactive: int = 0
    pod: str | None = None
    node_name: str | None = None

    @property
    def key(self) -> str:
        return f"{self.ip}:{self.port}"

    def __str__(self) -> str:
        return self.key


@dataclass
class VirtualServer:
    """One IPVS service: (protocol, address, port) with its scheduler and destinations (kernel list order)."""

    protocol: str
    address: str
    port: int
    scheduler: str
    kind: str  # "cluster IP", "external IP", "load balancer IP", "node port"
    service: ServicePortInfo
    timeout: int | None = None  # persistent N (ClientIP affinity)
    sched_flags: str = ""
    bound: bool = False  # address bound to kube-ipvs0
    local_only: bool = False  # externalTrafficPolicy=Local
    local_fallback: bool = False  # Local policy without local endpoints: all cluster endpoints (#97081)
    dests: list[RealServer] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.protocol, self.address, self.port)

    @property
    def name(self) -> str:
        return f"{self.protocol} {self.address}:{self.port}"

    def ipvsadm(self) -> list[str]:
        svc_name = f"{self.protocol}  {self.address}:{self.port}"[:33]
        line = f"{svc_name} {self.scheduler}"
        if self.sched_flags:
            line += f" ({self.sched_flags})"
        if self.timeout is not None:
            line += f" persistent {self.timeout}"
        out = [line]
        for d in sorted(self.dests, key=functools.cmp_to_key(_cmp_dests)):
            out.append("  -> %-28s %-7s %-6d %-10u %-10u" % (d.key[:28], d.forward, d.weight, d.active, d.inactive))
        return out


def _cmp_services(a: VirtualServer, b: VirtualServer) -> int:
    r = PROTO_NUMBERS[a.protocol] - PROTO_NUMBERS[b.protocol]
    if r:
        return r
    r = _c_int(_ip(a.address) - _ip(b.address))
    if r:
        return r
    return a.port - b.port


def _cmp_dests(a: RealServer, b: RealServer) -> int:
    r = _c_int(_ip(a.ip) - _ip(b.ip))
    return r if r else a.port - b.port


@dataclass
class IPVSDecision:
    """What IPVS did with one new connection: the lookup, the scheduler's choice and why."""

    virtual_server: str
    client: str
    scheduler: str
    dest: str | None
    reason: str
    lookups: int
    persistent: bool = False


@register
class IPVSProxier(Proxier):
    """kube-proxy ``--proxy-mode=ipvs`` on one node.

    After :meth:`sync`: ``virtual_servers`` (the IPVS table), ``bound`` (the
    addresses on ``kube-ipvs0``), ``ipsets`` (by name) and ``tables`` (the
    ``nat``/``filter`` rules kube-proxy restores).  Connection counters and
    scheduler state survive re-syncs, as the kernel keeps them.
    """

    mode = "ipvs"
    formats = ("all", "ipvsadm", "ipset", "iptables", "restore", "ipset-save")
    deprecation = DEPRECATION

    def __init__(self, *args: Any, **kwargs: Any):
        self._dests: dict[tuple, RealServer] = {}
        self._schedulers: dict[tuple, Scheduler] = {}
        self._templates: dict[tuple, dict[str, tuple[str, int]]] = {}
        self.decisions: list[IPVSDecision] = []
        super().__init__(*args, **kwargs)

    # ------------------------------------------------------------------ sync
    @property
    def scheduler(self) -> str:
        return self.config.ipvs.effective_scheduler

    def node_addresses(self) -> list[str]:
        """``GetAllLocalAddressesExcept(kube-ipvs0)`` minus loopback, filtered by ``nodePortAddresses``."""
        ips = [self.node_ip] if self.node_ip else []
        cidrs = self.config.node_port_addresses
        if not cidrs:
            return ips
        return [ip for ip in ips if any(c == "primary" or ipaddress.ip_address(ip) in
                                        ipaddress.ip_network(c, strict=False) for c in cidrs)]

    def _sync(self) -> None:
        cfg = self.config
        ipt = cfg.iptables
        self.mark = masquerade_mark(ipt.masquerade_bit if ipt.masquerade_bit is not None else 14)
        cluster_cidr = (cfg.cluster_cidr or "").split(",")[0].strip() or None
        masquerade_all = bool(ipt.masquerade_all)
        sched = self.scheduler
        services = service_port_map(self.cluster, self.node)
        self.services = services
        sets = {name: IPSet(name, typ, comment) for name, typ, comment in IPSET_INFO}
        node_ips = self.node_addresses()
        has_node_port = any(s.node_port for s in services)
        vss: list[VirtualServer] = []
        bound: list[str] = []
        self.lb_no_node_access: list[tuple[str, str, int]] = []

        def add_vs(svc: ServicePortInfo, address: str, port: int, kind: str, only_local: bool, bind: bool) -> None:
            vs = VirtualServer(svc.protocol, address, port, sched, kind, svc, timeout=svc.session_affinity_timeout,
                               sched_flags="mh-port" if sched == "mh" else "", bound=bind, local_only=only_local)
            cat = categorize_endpoints(svc)
            if only_local:
                eps = cat.local if cat.local else cat.cluster
                vs.local_fallback = not cat.local and bool(eps) and svc.external_policy_local
            else:
                eps = cat.cluster
            # kube-proxy adds destinations one by one; the kernel puts each new one at the head of the list.
            dests = []
            for ep in eps:
                key = (vs.key, ep.string)
                d = self._dests.get(key)
                if d is None:
                    d = self._dests[key] = RealServer(ep.ip, ep.port, pod=ep.pod, node_name=ep.node_name)
                d.weight = 1
                dests.insert(0, d)
            vs.dests = dests
            s = self._schedulers.get(vs.key)
            if s is None or s.name != sched:
                self._schedulers[vs.key] = make_scheduler(sched, dests)
            elif [x.key for x in s.dests] != [x.key for x in dests]:
                s.update(dests)
            vss.append(vs)
            if bind and address not in bound:
                bound.append(address)

        for svc in services:
            proto = svc.protocol.lower()
            for ep in svc.endpoints:
                if ep.is_local and ep.ip and ep.port:
                    sets["KUBE-LOOP-BACK"].add(f"{ep.ip},{proto}:{ep.port},{ep.ip}")
            sets["KUBE-CLUSTER-IP"].add(f"{svc.cluster_ip},{proto}:{svc.port}")
            add_vs(svc, svc.cluster_ip, svc.port, "cluster IP", svc.internal_policy_local, True)
            for ip in svc.external_ips:
                name = "KUBE-EXTERNAL-IP-LOCAL" if svc.external_policy_local else "KUBE-EXTERNAL-IP"
                sets[name].add(f"{ip},{proto}:{svc.port}")
                add_vs(svc, ip, svc.port, "external IP", svc.external_policy_local, ip not in node_ips)
            for ip in svc.load_balancer_vips:
                entry = f"{ip},{proto}:{svc.port}"
                sets["KUBE-LOAD-BALANCER"].add(entry)
                if svc.external_policy_local:
                    sets["KUBE-LOAD-BALANCER-LOCAL"].add(entry)
                if svc.load_balancer_source_ranges:
                    sets["KUBE-LOAD-BALANCER-FW"].add(entry)
                    allow_from_node = False
                    for cidr in svc.load_balancer_source_ranges:
                        net = ipaddress.ip_network(cidr, strict=False)
                        sets["KUBE-LOAD-BALANCER-SOURCE-CIDR"].add(f"{entry},{net}")
                        if self.node_ip and ipaddress.ip_address(self.node_ip) in net:
                            allow_from_node = True
                    if allow_from_node:
                        sets["KUBE-LOAD-BALANCER-SOURCE-IP"].add(f"{entry},{ip}")
                    else:
                        self.lb_no_node_access.append((ip, proto, svc.port))
                add_vs(svc, ip, svc.port, "load balancer IP", svc.external_policy_local, ip not in node_ips)
            if svc.node_port and has_node_port and node_ips:
                local_suffix = "LOCAL-" if svc.external_policy_local else ""
                if proto == "sctp":
                    for ip in node_ips:
                        sets["KUBE-NODE-PORT-SCTP-HASH"].add(f"{ip},sctp:{svc.node_port}")
                        if svc.external_policy_local:
                            sets["KUBE-NODE-PORT-LOCAL-SCTP-HASH"].add(f"{ip},sctp:{svc.node_port}")
                else:
                    sets[f"KUBE-NODE-PORT-{proto.upper()}"].add(str(svc.node_port))
                    if local_suffix:
                        sets[f"KUBE-NODE-PORT-LOCAL-{proto.upper()}"].add(str(svc.node_port))
                for ip in node_ips:
                    add_vs(svc, ip, svc.node_port, "node port", svc.external_policy_local, False)
            if svc.health_check_node_port:
                sets["KUBE-HEALTH-CHECK-NODE-PORT"].add(str(svc.health_check_node_port))
        for ip in bound:
            sets["KUBE-IPVS-IPS"].add(ip)

        self.virtual_servers = vss
        self.vs_index = {vs.key: vs for vs in vss}
        self.bound = bound
        self.ipsets = sets
        live = {(vs.key, d.key) for vs in vss for d in vs.dests}
        self._dests = {k: v for k, v in self._dests.items() if k in live}
        self.tables = self._write_iptables(sets, cluster_cidr, masquerade_all)
        refs = {name: 0 for name in sets}
        for t in self.tables.values():
            for r in t.rules:
                m = r.match("set")
                if m is not None:
                    refs[(m.get("--match-set") or "").split(" ")[0]] += 1
        for name, s in sets.items():
            s.references = refs.get(name, 0)

    def _write_iptables(self, sets: dict[str, IPSet], cluster_cidr: str | None, masquerade_all: bool) -> dict:
        """``writeIptablesRules``: the rules IPVS mode still needs, in kube-proxy's order."""
        nat, filt = Table("nat"), Table("filter")
        for c in NAT_CHAINS:
            nat.declare(c)
        for c in FILTER_CHAINS:
            filt.declare(c)
        mark = self.mark
        append(nat, KUBE_SERVICES, ["-s", "127.0.0.0/8", "-j", "RETURN"])
        for name, table, chain, to, match_type, proto in IPSET_WITH_CHAIN:
            s = sets[name]
            if s.is_empty:
                continue
            args = ["-p", proto] if proto else []
            args += ["-m", "comment", "--comment", s.comment, "-m", "set", "--match-set", name, match_type, "-j", to]
            append(nat if table == "nat" else filt, chain, args)
        cip = sets["KUBE-CLUSTER-IP"]
        if not cip.is_empty:
            head = ["-m", "comment", "--comment", cip.comment, "-m", "set", "--match-set", cip.name]
            if masquerade_all:
                append(nat, KUBE_SERVICES, [*head, "dst,dst", "-j", KUBE_MARK_MASQ])
            elif cluster_cidr:
                append(nat, KUBE_SERVICES, [*head, "dst,dst", "!", "-s", cluster_cidr, "-j", KUBE_MARK_MASQ])
            else:
                append(nat, KUBE_SERVICES, [*head, "src,dst", "-j", KUBE_MARK_MASQ])
        for name, masq in (("KUBE-EXTERNAL-IP", True), ("KUBE-EXTERNAL-IP-LOCAL", False)):
            s = sets[name]
            if s.is_empty:
                continue
            head = ["-m", "comment", "--comment", s.comment, "-m", "set", "--match-set", name, "dst,dst"]
            if masq:
                append(nat, KUBE_SERVICES, [*head, "-j", KUBE_MARK_MASQ])
            append(nat, KUBE_SERVICES, [*head, "-m", "physdev", "!", "--physdev-is-in",
                                        "-m", "addrtype", "!", "--src-type", "LOCAL", "-j", "ACCEPT"])
            append(nat, KUBE_SERVICES, [*head, "-m", "addrtype", "--dst-type", "LOCAL", "-j", "ACCEPT"])
        append(nat, KUBE_SERVICES, ["-m", "addrtype", "--dst-type", "LOCAL", "-j", KUBE_NODE_PORT])
        append(nat, KUBE_LOAD_BALANCER, ["-j", KUBE_MARK_MASQ])
        append(filt, KUBE_SOURCE_RANGES_FIREWALL, ["-j", "DROP"])
        for ip, proto, port in self.lb_no_node_access:
            append(filt, KUBE_IPVS_OUT_FILTER, ["-s", ip, "-m", "ipvs", "--vaddr", ip, "--vproto", proto,
                                                "--vport", str(port), "-j", "DROP"])
        for name in ("KUBE-CLUSTER-IP", "KUBE-LOAD-BALANCER"):  # acceptIPVSTraffic
            if not sets[name].is_empty:
                append(nat, KUBE_SERVICES, ["-m", "set", "--match-set", name, "dst,dst", "-j", "ACCEPT"])
        append(filt, KUBE_FORWARD, ["-m", "comment", "--comment", "kubernetes forwarding rules",
                                    "-m", "mark", "--mark", f"{mark}/{mark}", "-j", "ACCEPT"])
        append(filt, KUBE_FORWARD, ["-m", "comment", "--comment", "kubernetes forwarding conntrack rule",
                                    "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"])
        hc = sets["KUBE-HEALTH-CHECK-NODE-PORT"]
        append(filt, KUBE_NODE_PORT, ["-m", "comment", "--comment", hc.comment, "-m", "set", "--match-set",
                                      hc.name, "dst", "-j", "ACCEPT"])
        for name, flags in (("KUBE-LOAD-BALANCER", "dst,dst"), ("KUBE-CLUSTER-IP", "dst,dst"),
                            ("KUBE-EXTERNAL-IP", "dst,dst"), ("KUBE-EXTERNAL-IP-LOCAL", "dst,dst"),
                            ("KUBE-HEALTH-CHECK-NODE-PORT", "dst")):
            append(filt, KUBE_IPVS_FILTER, ["-m", "set", "--match-set", name, flags, "-j", "RETURN"])
        append(filt, KUBE_IPVS_FILTER, ["-m", "conntrack", "--ctstate", "NEW", "-m", "set", "--match-set",
                                        "KUBE-IPVS-IPS", "dst", "-j", "REJECT"])
        append(nat, KUBE_POSTROUTING, ["-m", "mark", "!", "--mark", f"{mark}/{mark}", "-j", "RETURN"])
        append(nat, KUBE_POSTROUTING, ["-j", "MARK", "--xor-mark", mark])
        append(nat, KUBE_POSTROUTING, ["-m", "comment", "--comment", "kubernetes service traffic requiring SNAT",
                                       "-j", "MASQUERADE", "--random-fully"])
        append(nat, KUBE_MARK_MASQ, ["-j", "MARK", "--or-mark", mark])
        return {"nat": nat, "filter": filt}

    # ------------------------------------------------------------------ renderings
    def jump_rules(self) -> dict[str, list[Rule]]:
        out: dict[str, list[Rule]] = {"filter": [], "nat": []}
        for table, builtin, to, comment in reversed(JUMP_CHAINS):
            out[table].append(Rule.parse(builtin, ["-m", "comment", "--comment", comment, "-j", to]))
        return out

    def full_tables(self) -> dict[str, Table]:
        """The tables in the kernel after the sync: the built-in jumps plus kube-proxy's chains."""
        self.ensure_synced()
        if getattr(self, "_full_from", None) is not self.tables:
            jumps = self.jump_rules()
            self._full = {n: Table(n, list(t.chains), [*jumps[n], *t.rules]) for n, t in self.tables.items()}
            self._full_from = self.tables
        return self._full

    def ipvsadm(self) -> str:
        """``ipvsadm -Ln``."""
        self.ensure_synced()
        lines = []
        for vs in sorted(self.virtual_servers, key=functools.cmp_to_key(_cmp_services)):
            lines += vs.ipvsadm()
        return IPVSADM_HEADER + "".join(line + "\n" for line in lines)

    def ipset_list(self) -> str:
        """``ipset list`` of kube-proxy's sets (a blank line between sets, as ipset prints them)."""
        self.ensure_synced()
        return "\n".join(s.list() for s in self.ipsets.values())

    def ipset_save(self) -> str:
        self.ensure_synced()
        return "".join(s.save() for s in self.ipsets.values())

    def restore_text(self) -> str:
        """What kube-proxy passes to ``iptables-restore --noflush``: nat chains and rules, then filter."""
        self.ensure_synced()
        out = []
        for t in (self.tables["nat"], self.tables["filter"]):
            out.append(f"*{t.name}")
            out += [f":{c} - [0:0]" for c in t.chains]
            out += [r.restore() for r in t.rules]
            out.append("COMMIT")
        return "\n".join(out) + "\n"

    def save_text(self) -> str:
        """``iptables-save`` (legacy back end: nat first) of the two tables kube-proxy writes."""
        full = self.full_tables()
        return full["nat"].save() + full["filter"].save()

    def _render(self, format: str | None) -> str:
        fmt = format or "all"
        if fmt == "ipvsadm":
            return self.ipvsadm()
        if fmt == "ipset":
            return self.ipset_list()
        if fmt == "ipset-save":
            return self.ipset_save()
        if fmt in ("iptables", "save"):
            return self.save_text()
        if fmt == "restore":
            return self.restore_text()
        if fmt == "all":
            return self.ipvsadm() + "\n" + self.ipset_list() + "\n" + self.save_text()
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(self.formats)}")

    @property
    def rule_count(self) -> int:
        self.ensure_synced()
        return sum(len(t.rules) for t in self.tables.values())

    # ------------------------------------------------------------------ the data path
    def make_evaluator(self, tables, local_ips, rng) -> KubeProxyEvaluator:
        """The node's netfilter, aware of the ipsets; ``kube-ipvs0``'s addresses are local."""
        self.ensure_synced()
        node = self.cluster.node(self.node)
        return KubeProxyEvaluator(tables, set(local_ips) | set(self.bound), rng, ipsets=self.ipsets,
                                  bridged=set(node.spec.pod_cidrs))

    def connections(self, vs: VirtualServer | None = None) -> dict[str, tuple[int, int]]:
        """``{"ip:port": (active, inactive)}`` for one virtual server (or all, summed)."""
        self.ensure_synced()
        out: dict[str, tuple[int, int]] = {}
        for v in ([vs] if vs else self.virtual_servers):
            for d in v.dests:
                a, i = out.get(d.key, (0, 0))
                out[d.key] = (a + d.active, i + d.inactive)
        return out

    def set_connections(self, address: str, port: int, dest: str, active: int, inactive: int = 0,
                        protocol: str = "TCP") -> None:
        """Seed a destination's counters (for experiments: what would lc/wlc pick now?)."""
        self.ensure_synced()
        vs = self.vs_index[(protocol, address, port)]
        d = next(d for d in vs.dests if d.key == dest)
        d.active, d.inactive = active, inactive

    def close_connections(self) -> None:
        """Every open connection ends: active ones move to the inactive (TIME_WAIT) count."""
        self.ensure_synced()
        for vs in self.virtual_servers:
            for d in vs.dests:
                d.inactive += d.active
                d.active = 0

    def schedule(self, vs: VirtualServer, conn: ConnInfo, clock: int) -> IPVSDecision:
        """``ip_vs_schedule``/``ip_vs_sched_persist``: template first when persistent, then the scheduler."""
        lookups = 2  # the service table, then the connection table (a miss: this is a new connection)
        sched = self._schedulers[vs.key]
        by_key = {d.key: d for d in vs.dests}
        if vs.timeout is not None:
            lookups += 1
            templates = self._templates.setdefault(vs.key, {})
            t = templates.get(conn.saddr)
            if t is not None:
                d = by_key.get(t[0])
                if d is not None and d.weight > 0 and clock - t[1] <= vs.timeout:
                    templates[conn.saddr] = (d.key, clock)
                    return IPVSDecision(vs.name, conn.saddr, vs.scheduler, d.key,
                                        f"persistence template {conn.saddr} -> {d.key} (persistent {vs.timeout}s)",
                                        lookups, persistent=True)
        d, reason = sched.schedule(conn)
        if d is not None and vs.timeout is not None:
            self._templates[vs.key][conn.saddr] = (d.key, clock)
            reason += f"; new persistence template for {conn.saddr} ({vs.timeout}s)"
        return IPVSDecision(vs.name, conn.saddr, vs.scheduler, d.key if d else None, reason, lookups)

    def trace_hook(self, network: DataPlane, trace: Trace, pkt: Packet, node: str, hook: str) -> bool:
        self.ensure_synced()
        ev = network.evaluator(node)
        ev.ipvs_vip = None
        client_src = pkt.src
        node_ip = self.node_ip
        if hook == "OUTPUT" and pkt.dst in self.bound and pkt.src == node_ip:
            pkt.src = pkt.dst
            trace.hops.append(Hop("route", node, f"{pkt.dst} is bound to {DUMMY_DEVICE}: the local route picks it "
                                  f"as the source address (source {client_src} -> {pkt.src})"))
        nat = ev.run("nat", hook, pkt)
        trace.hops.append(Hop("netfilter", node, f"nat {hook}", nat.steps))
        vs = self.vs_index.get((pkt.proto, pkt.dst, pkt.dport))
        local = ev.is_local(pkt.dst)
        if hook == "OUTPUT":
            if vs is not None:
                return self._ipvs(network, trace, pkt, node, hook, ev, vs, client_src)
            chain = "OUTPUT"
        else:
            chain = "INPUT" if local else "FORWARD"
        flt = ev.run("filter", chain, pkt)
        trace.hops.append(Hop("netfilter", node, f"filter {chain}: {flt.verdict}", flt.steps))
        if self._filtered(trace, flt, node):
            return True
        if vs is not None:
            return self._ipvs(network, trace, pkt, node, hook, ev, vs, client_src)
        if local:
            trace.verdict = "refused"
            trace.hops.append(Hop("deliver", node, f"{pkt.dst}:{pkt.dport} is a local address with no IPVS virtual "
                                  "server for this port: nothing listens there in the model"))
            return True
        self._postrouting(trace, pkt, node, ev, network)
        network._deliver(trace, pkt, node)
        return True

    @staticmethod
    def _filtered(trace, flt, node) -> bool:
        if flt.verdict == "REJECT":
            trace.verdict = "rejected"
            trace.hops.append(Hop("deliver", node, f"the client gets ICMP {flt.reject_with}: connection refused at once"))
            return True
        if flt.verdict == "DROP":
            trace.verdict = "dropped"
            trace.hops.append(Hop("deliver", node, "dropped silently: the client retries until it times out"))
            return True
        return False

    def _postrouting(self, trace, pkt, node, ev, network) -> bool:
        post = ev.run("nat", "POSTROUTING", pkt)
        detail = "nat POSTROUTING"
        masq = post.verdict == "MASQUERADE"
        if masq:
            egress = network._egress_ip(node, pkt.dst)
            detail += f": MASQUERADE {pkt.src} -> {egress}"
            pkt.src = egress
        trace.hops.append(Hop("netfilter", node, detail, post.steps))
        return masq

    def _ipvs(self, network, trace, pkt, node, hook, ev, vs: VirtualServer, client_src: str) -> bool:
        where = "LOCAL_OUT" if hook == "OUTPUT" else "LOCAL_IN"
        conn = ConnInfo(pkt.proto, pkt.src, pkt.sport, pkt.dst, pkt.dport)
        decision = self.schedule(vs, conn, network.clock)
        self.decisions.append(decision)
        head = (f"IPVS ({where}): {decision.lookups} hash lookups (service table by proto/VIP/port, connection "
                f"table{', persistence template' if vs.timeout is not None else ''}) -- the same cost with "
                f"{len(self.virtual_servers)} virtual servers or 100000; virtual server {vs.name} ({vs.kind} of "
                f"{vs.service.name}), scheduler {vs.scheduler}")
        if decision.dest is None:
            trace.verdict = "rejected"
            trace.hops.append(Hop("ipvs", node, f"{head}: no destination available ({decision.reason}); "
                                  "ip_vs_leave answers ICMP port unreachable"))
            return True
        dest = next(d for d in vs.dests if d.key == decision.dest)
        trace.hops.append(Hop("ipvs", node, f"{head}: {decision.reason} -> real server {dest.key} "
                              f"(Masq: DNAT {pkt.dst}:{pkt.dport} -> {dest.key})"))
        trace.extra_cost["ipvs_hash_lookups"] = decision.lookups
        ev.ipvs_vip = (vs.address, vs.protocol.lower(), vs.port)
        pkt.dst, pkt.dport, pkt.dnat = dest.ip, dest.port, True
        if hook == "OUTPUT":
            flt = ev.run("filter", "OUTPUT", pkt)
            trace.hops.append(Hop("netfilter", node, f"filter OUTPUT: {flt.verdict}", flt.steps))
            if self._filtered(trace, flt, node):
                dest.inactive += 1
                return True
        masq = self._postrouting(trace, pkt, node, ev, network)
        network.conntrack[id(trace)] = (node, pkt.copy(), hook)
        network._deliver(trace, pkt, node)
        if trace.verdict == "delivered" and vs.local_only and not masq and dest.node_name != node \
                and hook != "OUTPUT" and not self._on_node(client_src, node):
            trace.verdict = "timeout"
            trace.hops.append(Hop("deliver", trace.backend or dest.key, f"the reply leaves {dest.node_name} straight "
                                  f"for {client_src} from {dest.key}, not from the address the client called (no "
                                  f"local endpoint on {node}: IPVS used a remote one, kubernetes#97081, without SNAT); "
                                  "the client drops it and times out"))
        if trace.verdict == "delivered" and pkt.proto == "TCP":
            dest.active += 1
        else:
            dest.inactive += 1
        return True

    def _on_node(self, ip: str, node: str) -> bool:
        n = self.cluster.node(node)
        if ip == n.internal_ip:
            return True
        return any(ipaddress.ip_address(ip) in ipaddress.ip_network(c, strict=False) for c in n.spec.pod_cidrs)
