"""kube-proxy's nftables mode: the ``ip kube-proxy`` table it programs, and the packet path through it.

Modelled as of Kubernetes **v1.35**.  Upstream, read for this module:

* kubernetes ``pkg/proxy/nftables/proxier.go``: ``setupNFTables`` (the table,
  base chains, ``nftablesJumpChains``, ``mark-for-masquerade``/``masquerading``,
  ``cluster-ips``/``cluster-ips-check``, ``nodeport-ips``, the
  ``no-endpoint-services``/``no-endpoint-nodeports`` verdict maps and
  ``reject-chain``, ``firewall-ips``/``firewall-check``, ``service-ips``/
  ``service-nodeports`` and the ``services`` chain), ``syncProxyRules`` (per
  service port: which chains, which map elements, the internal masquerade rule,
  the ``external-`` chain's short-circuits, the ``firewall-`` chain, affinity
  sets, endpoint chains), ``writeServiceToEndpointRules`` (affinity ``goto``
  rules, then ``numgen random mod N vmap``), ``hashAndTruncate``/
  ``servicePortChainNameBase``/``servicePortEndpointChainNameBase`` (names
  ``service-ULMVA6XW-ns1/svc1/tcp/p80``: 8 base32 characters of the SHA-256 of
  the readable name, then the name).  The v1.35 line still has the
  ``mark-for-masquerade`` chain (v1.36 folds masquerading into one rule) and
  the filter chains split into ``filter-prerouting-pre-dnat``/
  ``filter-output-pre-dnat`` at priority ``dstnat-10`` and ``filter-input``/
  ``filter-forward``/``filter-output`` at priority 0 (kubernetes#132456).
* ``pkg/proxy/nftables/proxier_test.go`` (the copy stored with commit
  81810de6, the v1.35 line): ``baseRules`` and ``TestOverallNFTablesRules``
  are transcribed in ``tests/proxy/test_nftables.py`` and compared the way
  ``helpers_test.go``'s ``assertNFTablesTransactionEqual`` does.
* ``cmd/kube-proxy/app/server_linux.go`` (``platformApplyDefaults``: in
  nftables mode an empty ``nodePortAddresses`` means ``primary``, the node's
  own IP, so NodePorts are matched with ``ip daddr @nodeport-ips``).
* sigs.k8s.io/knftables: see :mod:`kubelab.proxy.knftables`.

Literals are as kube-proxy writes them, not as its tests abbreviate them: the
masquerade mark is Go's ``%#08x`` of ``1 << masqueradeBit``, ``0x00004000``
(the tests' fake proxier is built with ``"0x4000"``).

Simplifications: one full sync from scratch (no partial syncs, no stale-chain
bookkeeping: the transaction is what a first sync sends); services in name
order (kube-proxy walks a Go map, so the order of map elements in a real
``Fake.Dump()`` varies between runs -- upstream's tests sort before comparing);
a single-stack proxier of the cluster's primary family (``ip``, or ``ip6`` for
an IPv6 cluster; dual stack runs one proxier per family upstream); the
service CIDRs are the cluster's ``--service-cidr`` ranges (kube-proxy reads the
ServiceCIDR objects); topology hints ignored (as :mod:`kubelab.proxy.servicemap`).

Examples
--------
>>> from kubelab import Cluster
>>> p = NFTablesProxier(Cluster(), node="kind-worker")
>>> [l for l in p.render("dump").splitlines() if "mark-for-masquerade mark" in l]
['add rule ip kube-proxy mark-for-masquerade mark set mark or 0x00004000']
>>> service_chain("ns1", "svc1", "tcp", "p80")
'service-ULMVA6XW-ns1/svc1/tcp/p80'
"""

from __future__ import annotations

import base64
import functools
import hashlib
import ipaddress
import re
from dataclasses import dataclass, field

from ..hops import DataPlane, Hop, Trace
from ..netfilter.evaluator import ChainStep, Evaluator
from ..netfilter.packet import Packet
from .base import Proxier, register
from .knftables import Element, NftSet, Table, Transaction, concat
from .servicemap import EndpointInfo, ServicePortInfo, categorize_endpoints, service_port_map

__all__ = ["NFTablesProxier", "service_chain", "endpoint_chain_name", "hash_and_truncate", "BASE_CHAINS",
           "JUMP_CHAINS", "TABLE"]

TABLE = "kube-proxy"
SERVICES = "services"
SERVICE_IPS = "service-ips"
SERVICE_NODEPORTS = "service-nodeports"
NODEPORT_IPS = "nodeport-ips"
CLUSTER_IPS = "cluster-ips"
SERVICE_ENDPOINTS_CHECK = "service-endpoints-check"
NODEPORT_ENDPOINTS_CHECK = "nodeport-endpoints-check"
NO_ENDPOINT_SERVICES = "no-endpoint-services"
NO_ENDPOINT_NODEPORTS = "no-endpoint-nodeports"
REJECT_CHAIN = "reject-chain"
CLUSTER_IPS_CHECK = "cluster-ips-check"
FIREWALL_IPS = "firewall-ips"
FIREWALL_CHECK = "firewall-check"
MARK_MASQ = "mark-for-masquerade"
MASQUERADING = "masquerading"

#: ``nftablesBaseChains`` (v1.35): name, type, hook, priority (knftables writes ``dstnat-10`` as -110).
BASE_CHAINS = (
    ("filter-prerouting-pre-dnat", "filter", "prerouting", -110),
    ("filter-output-pre-dnat", "filter", "output", -110),
    ("filter-input", "filter", "input", 0),
    ("filter-forward", "filter", "forward", 0),
    ("filter-output", "filter", "output", 0),
    ("nat-prerouting", "nat", "prerouting", -100),
    ("nat-output", "nat", "output", -100),
    ("nat-postrouting", "nat", "postrouting", 100),
)

#: ``nftablesJumpChains`` (v1.35): (to, from, extra match), in kube-proxy's order.
JUMP_CHAINS = (
    (NODEPORT_ENDPOINTS_CHECK, "filter-input", "ct state new"),
    (SERVICE_ENDPOINTS_CHECK, "filter-input", "ct state new"),
    (SERVICE_ENDPOINTS_CHECK, "filter-forward", "ct state new"),
    (SERVICE_ENDPOINTS_CHECK, "filter-output", "ct state new"),
    (FIREWALL_CHECK, "filter-prerouting-pre-dnat", "ct state new"),
    (FIREWALL_CHECK, "filter-output-pre-dnat", "ct state new"),
    (SERVICES, "nat-output", ""),
    (SERVICES, "nat-prerouting", ""),
    (MASQUERADING, "nat-postrouting", ""),
    (CLUSTER_IPS_CHECK, "filter-forward", "ct state new"),
    (CLUSTER_IPS_CHECK, "filter-output", "ct state new"),
)

#: The base chains a packet meets at each netfilter hook, in priority order.
HOOK_CHAINS = {hook: [c for c in sorted(BASE_CHAINS, key=lambda c: c[3]) if c[2] == hook]
               for hook in ("prerouting", "input", "forward", "output", "postrouting")}

#: ``chainNameBaseLengthMax``: knftables ``NameLengthMax`` (256) minus the longest prefix (16).
NAME_BASE_MAX = 256 - 16


@functools.lru_cache(maxsize=1 << 17)
def hash_and_truncate(name: str) -> str:
    """``hashAndTruncate``: 8 base32 characters of ``sha256(name)``, a dash, the name (cut to 240).

    >>> hash_and_truncate("ns1/svc1/tcp/p80")
    'ULMVA6XW-ns1/svc1/tcp/p80'
    """
    digest = base64.b32encode(hashlib.sha256(name.encode()).digest()[:5]).decode()
    out = f"{digest}-{name}"
    return out if len(out) <= NAME_BASE_MAX else out[:NAME_BASE_MAX - 3] + "..."


def service_chain(namespace: str, name: str, protocol: str, port: str, prefix: str = "service-") -> str:
    """``servicePortChainNameBase`` with a prefix (``service-``, ``local-``, ``external-``, ``firewall-``)."""
    return prefix + hash_and_truncate(f"{namespace}/{name}/{protocol.lower()}/{port}")


def endpoint_chain_name(namespace: str, name: str, protocol: str, port: str, endpoint: EndpointInfo,
                        prefix: str = "endpoint-") -> str:
    """``servicePortEndpointChainNameBase``: ``ns/svc/proto/port__ip/port`` (IPv6 colons become dots)."""
    ip = endpoint.ip.replace(":", ".")
    return prefix + hash_and_truncate(f"{namespace}/{name}/{protocol.lower()}/{port}__{ip}/{endpoint.port}")


@dataclass
class _Names:
    cluster: str
    local: str
    external: str
    firewall: str


@dataclass
class NFTLookup:
    """One set or map lookup made while tracing (a verdict map is one lookup, not a walk)."""

    container: str
    key: str
    hit: str | None
    size: int = 0  # elements in the set or map: the lookup costs the same whatever the size


@dataclass
class _TraceState:
    steps: list = field(default_factory=list)
    lookups: list[NFTLookup] = field(default_factory=list)


@register
class NFTablesProxier(Proxier):
    """kube-proxy ``--proxy-mode=nftables`` on one node.

    After :meth:`sync`, :attr:`transaction` holds the operations a first sync pipes to
    ``nft -f -`` and :attr:`table` the resulting ``ip kube-proxy`` table (``ip6`` in an IPv6
    cluster).  Renderings: ``ruleset`` (``nft list table``, the default), ``dump``
    (``knftables.Fake.Dump()``), ``transaction`` (the text piped to ``nft``).
    """

    mode = "nftables"
    formats = ("ruleset", "dump", "transaction")

    def __init__(self, cluster, node=None, config=None):
        super().__init__(cluster, node, config)
        #: affinity set name -> {client address: last seen (model clock)}; survives re-syncs as kernel sets do
        self.affinity: dict[str, dict[str, int]] = {}

    # ------------------------------------------------------------------ the sync
    @property
    def family(self) -> str:
        primary = self.cluster.settings.service_cidrs[0]
        return "ip6" if ipaddress.ip_network(primary, strict=False).version == 6 else "ip"

    def _sync(self) -> None:
        cfg = self.config
        ipt = cfg.iptables
        self.mark = "0x" + format(1 << (ipt.masquerade_bit if ipt.masquerade_bit is not None else 14), "08x")
        v6 = self.family == "ip6"
        ip_x, addr_t = ("ip6", "ipv6_addr") if v6 else ("ip", "ipv4_addr")
        version = 6 if v6 else 4
        no_localhost = "ip6 daddr != ::1" if v6 else "ip daddr != 127.0.0.0/8"
        cidrs = [c.strip() for c in (cfg.cluster_cidr or "").split(",") if c.strip()]
        pod_cidr = next((c for c in cidrs if ipaddress.ip_network(c, strict=False).version == version), None)
        self.pod_cidr = pod_cidr
        masquerade_all = bool(ipt.masquerade_all)
        service_cidrs = ",".join(c for c in self.cluster.settings.service_cidrs
                                 if ipaddress.ip_network(c, strict=False).version == version)
        match_all, nodeport_ips = self._node_port_addresses(version)

        tx = Transaction(self.family, TABLE)
        tx.add_table(comment="rules for kube-proxy")
        for name, *_ in BASE_CHAINS:  # the one-time add+delete so base-chain properties can change
            tx.add_chain(name)
            tx.delete_chain(name)
        for name, typ, hook, prio in BASE_CHAINS:
            tx.add_chain(name, typ, hook, prio)
            tx.flush_chain(name)
        created: set[str] = set()

        def ensure(chain: str) -> None:
            if chain not in created:
                created.add(chain)
                tx.add_chain(chain)
                tx.flush_chain(chain)

        for to, frm, extra in JUMP_CHAINS:
            ensure(to)
            tx.add_rule(frm, concat(extra, "jump", to))
        for chain in (SERVICES, CLUSTER_IPS_CHECK, MASQUERADING, MARK_MASQ):
            ensure(chain)
        mark = self.mark
        tx.add_rule(MARK_MASQ, concat("mark", "set", "mark", "or", mark))
        tx.add_rule(MASQUERADING, concat("mark", "and", mark, "==", "0", "return"))
        tx.add_rule(MASQUERADING, concat("mark", "set", "mark", "xor", mark))
        tx.add_rule(MASQUERADING, "masquerade fully-random")
        tx.add_set(NftSet(CLUSTER_IPS, addr_t, comment="Active ClusterIPs"))
        tx.add_rule(CLUSTER_IPS_CHECK, concat(ip_x, "daddr", "@", CLUSTER_IPS, "reject").replace("@ ", "@"),
                    "Reject traffic to invalid ports of ClusterIPs")
        if service_cidrs:
            tx.add_rule(CLUSTER_IPS_CHECK, concat(ip_x, "daddr", "{", service_cidrs, "}", "drop"),
                        "Drop traffic to unallocated ClusterIPs")
        tx.add_set(NftSet(NODEPORT_IPS, addr_t, comment="IPs that accept NodePort traffic"))
        if match_all:
            tx.delete_set(NODEPORT_IPS)
        else:
            tx.flush_set(NODEPORT_IPS)
            for ip in nodeport_ips:
                tx.add_element(NODEPORT_IPS, Element((ip,)))
        tx.add_set(NftSet(NO_ENDPOINT_SERVICES, f"{addr_t} . inet_proto . inet_service : verdict", True,
                          comment="vmap to drop or reject packets to services with no endpoints"))
        tx.add_set(NftSet(NO_ENDPOINT_NODEPORTS, "inet_proto . inet_service : verdict", True,
                          comment="vmap to drop or reject packets to service nodeports with no endpoints"))
        tx.add_chain(REJECT_CHAIN, comment="helper for @no-endpoint-services / @no-endpoint-nodeports")
        tx.flush_chain(REJECT_CHAIN)
        tx.add_rule(REJECT_CHAIN, "reject")
        tx.add_rule(SERVICE_ENDPOINTS_CHECK, f"{ip_x} daddr . meta l4proto . th dport vmap @{NO_ENDPOINT_SERVICES}")
        if match_all:
            tx.add_rule(NODEPORT_ENDPOINTS_CHECK, f"{no_localhost} meta l4proto . th dport vmap @{NO_ENDPOINT_NODEPORTS}")
        else:
            tx.add_rule(NODEPORT_ENDPOINTS_CHECK,
                        f"{ip_x} daddr @{NODEPORT_IPS} meta l4proto . th dport vmap @{NO_ENDPOINT_NODEPORTS}")
        tx.add_set(NftSet(FIREWALL_IPS, f"{addr_t} . inet_proto . inet_service : verdict", True,
                          comment="destinations that are subject to LoadBalancerSourceRanges"))
        ensure(FIREWALL_CHECK)
        tx.add_rule(FIREWALL_CHECK, f"{ip_x} daddr . meta l4proto . th dport vmap @{FIREWALL_IPS}")
        tx.add_set(NftSet(SERVICE_IPS, f"{addr_t} . inet_proto . inet_service : verdict", True,
                          comment="ClusterIP, ExternalIP and LoadBalancer IP traffic"))
        tx.add_set(NftSet(SERVICE_NODEPORTS, "inet_proto . inet_service : verdict", True, comment="NodePort traffic"))
        tx.add_rule(SERVICES, f"{ip_x} daddr . meta l4proto . th dport vmap @{SERVICE_IPS}")
        if match_all:
            tx.add_rule(SERVICES, f"fib daddr type local {no_localhost} meta l4proto . th dport vmap @{SERVICE_NODEPORTS}")
        else:
            tx.add_rule(SERVICES, f"{ip_x} daddr @{NODEPORT_IPS} meta l4proto . th dport vmap @{SERVICE_NODEPORTS}")
        for name, is_map in ((CLUSTER_IPS, False), (SERVICE_IPS, True), (FIREWALL_IPS, True),
                             (NO_ENDPOINT_SERVICES, True), (NO_ENDPOINT_NODEPORTS, True), (SERVICE_NODEPORTS, True)):
            tx.flush_set(name, is_map)  # nftElementStorage.reset

        services = [s for s in service_port_map(self.cluster, self.node)
                    if _version(s.cluster_ip) == version]
        for svc in services:  # a single-stack proxier sees only its family's EndpointSlices
            svc.endpoints = [e for e in svc.endpoints if _version(e.ip) == version]
        self.services = services
        for svc in services:
            self._write_service(tx, svc, ip_x, addr_t, pod_cidr, masquerade_all, version)
        self.transaction = tx
        self.table = Table.run(tx)

    def _node_port_addresses(self, version: int) -> tuple[bool, list[str]]:
        """``NodePortAddresses``: ``MatchAll`` and the node IPs for the ``nodeport-ips`` set.

        An empty ``nodePortAddresses`` is ``primary`` in nftables mode (``platformApplyDefaults``).
        """
        wanted = list(self.config.node_port_addresses) or ["primary"]
        node_ip = self.node_ip
        cidrs = []
        for c in wanted:
            if c == "primary":
                if node_ip and _version(node_ip) == version:
                    cidrs.append(f"{node_ip}/{32 if version == 4 else 128}")
            elif ipaddress.ip_network(c, strict=False).version == version:
                cidrs.append(c)
        if any(ipaddress.ip_network(c, strict=False).prefixlen == 0 for c in cidrs):
            return True, []
        ips = [ip for ip in ([node_ip] if node_ip else []) if _version(ip) == version
               and any(ipaddress.ip_address(ip) in ipaddress.ip_network(c, strict=False) for c in cidrs)]
        return False, ips

    def names_of(self, svc: ServicePortInfo) -> _Names:
        n = svc.name
        return _Names(*(service_chain(n.namespace, n.name, svc.protocol, n.port, p)
                        for p in ("service-", "local-", "external-", "firewall-")))

    def _ep_chain(self, svc: ServicePortInfo, ep: EndpointInfo, prefix: str = "endpoint-") -> str:
        n = svc.name
        return endpoint_chain_name(n.namespace, n.name, svc.protocol, n.port, ep, prefix)

    def _write_service(self, tx: Transaction, svc: ServicePortInfo, ip_x: str, addr_t: str, pod_cidr: str | None,
                       masquerade_all: bool, version: int) -> None:
        """One service port of ``syncProxyRules`` (the v1.35 text)."""
        protocol = svc.protocol.lower()
        name_str = svc.name.string
        names = self.names_of(svc)
        cat = categorize_endpoints(svc)
        has_endpoints = cat.has_any
        affinity = svc.session_affinity_timeout is not None
        created: set[str] = set()

        def ensure(chain: str) -> None:
            if chain not in created:
                created.add(chain)
                tx.add_chain(chain)
                tx.flush_chain(chain)

        for ep in cat.all_reachable:
            ensure(self._ep_chain(svc, ep))
        uses_cluster = bool(cat.cluster) and svc.uses_cluster_endpoints
        if uses_cluster:
            ensure(names.cluster)
        uses_local = bool(cat.local) and svc.uses_local_endpoints
        if uses_local:
            ensure(names.local)
        internal_chain, has_internal = names.cluster, has_endpoints
        if svc.internal_policy_local:
            internal_chain = names.local
            has_internal = has_internal and bool(cat.local)
        external_policy_chain, has_external = names.cluster, has_endpoints
        if svc.external_policy_local:
            external_policy_chain = names.local
            has_external = has_external and bool(cat.local)
        external_chain = names.external
        uses_external = has_endpoints and svc.externally_accessible
        if uses_external:
            ensure(external_chain)
        if not has_endpoints:
            internal_verdict = external_verdict = f"goto {REJECT_CHAIN}"
        else:
            internal_verdict = "" if has_internal else "drop"
            external_verdict = "" if has_external else "drop"
        port = str(svc.port)
        tx.add_element(CLUSTER_IPS, Element((svc.cluster_ip,)))
        if has_internal:
            tx.add_element(SERVICE_IPS, Element((svc.cluster_ip, protocol, port), (f"goto {internal_chain}",)))
        else:
            tx.add_element(NO_ENDPOINT_SERVICES, Element((svc.cluster_ip, protocol, port), (internal_verdict,),
                                                         name_str))
        for ip in svc.external_ips:
            if _version(ip) != version:
                continue
            if has_endpoints:
                tx.add_element(SERVICE_IPS, Element((ip, protocol, port), (f"goto {external_chain}",)))
            if not has_external:
                tx.add_element(NO_ENDPOINT_SERVICES, Element((ip, protocol, port), (external_verdict,), name_str))
        lb_vips = [ip for ip in svc.load_balancer_vips if _version(ip) == version]
        ranges = [str(ipaddress.ip_network(r, strict=False)) for r in svc.load_balancer_source_ranges
                  if _valid_cidr(r, version)]
        uses_fw = bool(lb_vips) and bool(ranges)
        if uses_fw:
            ensure(names.firewall)
        for ip in lb_vips:
            if has_endpoints:
                tx.add_element(SERVICE_IPS, Element((ip, protocol, port), (f"goto {external_chain}",)))
            if uses_fw:
                tx.add_element(FIREWALL_IPS, Element((ip, protocol, port), (f"goto {names.firewall}",)))
        if not has_external:
            for ip in lb_vips:
                tx.add_element(NO_ENDPOINT_SERVICES, Element((ip, protocol, port), (external_verdict,), name_str))
        if svc.node_port:
            if has_endpoints:
                tx.add_element(SERVICE_NODEPORTS, Element((protocol, str(svc.node_port)), (f"goto {external_chain}",)))
            if not has_external:
                tx.add_element(NO_ENDPOINT_NODEPORTS, Element((protocol, str(svc.node_port)), (external_verdict,),
                                                              name_str))

        if has_internal:
            if masquerade_all:
                tx.add_rule(internal_chain, concat(ip_x, "daddr", svc.cluster_ip, "jump", MARK_MASQ))
            elif pod_cidr:
                tx.add_rule(internal_chain, concat(ip_x, "daddr", svc.cluster_ip, ip_x, "saddr", "!=", pod_cidr,
                                                   "jump", MARK_MASQ))
        if uses_external:
            if not svc.external_policy_local:
                tx.add_rule(external_chain, concat("jump", MARK_MASQ))
            else:
                if pod_cidr:
                    tx.add_rule(external_chain, concat(ip_x, "saddr", pod_cidr, "goto", names.cluster),
                                "short-circuit pod traffic")
                tx.add_rule(external_chain, concat("fib", "saddr", "type", "local", "jump", MARK_MASQ),
                            "masquerade local traffic")
                tx.add_rule(external_chain, concat("fib", "saddr", "type", "local", "goto", names.cluster),
                            "short-circuit local traffic")
            if has_external:
                tx.add_rule(external_chain, concat("goto", external_policy_chain))
        if uses_fw:
            sources: list[str] = []
            allow_from_node = False
            node_ip = self.node_ip
            for cidr in ranges:
                if sources:
                    sources.append(",")
                sources.append(cidr)
                if node_ip and _version(node_ip) == version and \
                        ipaddress.ip_address(node_ip) in ipaddress.ip_network(cidr):
                    allow_from_node = True
            if allow_from_node:
                for ip in lb_vips:
                    sources += [",", ip]
            tx.add_rule(names.firewall, concat(ip_x, "saddr", "!=", "{", sources, "}", "drop"))
        if affinity:
            for ep in cat.all_reachable:
                tx.add_set(NftSet(self._ep_chain(svc, ep, "affinity-"), addr_t, flags=("dynamic", "timeout"),
                                  timeout=svc.session_affinity_timeout))
        if uses_cluster:
            self._service_to_endpoints(tx, svc, names.cluster, cat.cluster, ip_x)
        if uses_local:
            self._service_to_endpoints(tx, svc, names.local, cat.local, ip_x)
        for ep in cat.all_reachable:
            chain = self._ep_chain(svc, ep)
            tx.add_rule(chain, concat(ip_x, "saddr", ep.ip, "jump", MARK_MASQ))
            if affinity:
                tx.add_rule(chain, concat("update", f"@{self._ep_chain(svc, ep, 'affinity-')}", "{", ip_x, "saddr", "}"))
            tx.add_rule(chain, concat("meta l4proto", protocol, "dnat to", ep.string))

    def _service_to_endpoints(self, tx: Transaction, svc: ServicePortInfo, chain: str, endpoints: list[EndpointInfo],
                              ip_x: str) -> None:
        """``writeServiceToEndpointRules``: affinity ``goto`` rules, then one ``numgen`` verdict map."""
        if svc.session_affinity_timeout is not None:
            for ep in endpoints:
                tx.add_rule(chain, concat(ip_x, "saddr", f"@{self._ep_chain(svc, ep, 'affinity-')}",
                                          "goto", self._ep_chain(svc, ep)))
        elements = []
        for i, ep in enumerate(endpoints):
            if elements:
                elements.append(",")
            elements += [str(i), ":", "goto", self._ep_chain(svc, ep)]
        tx.add_rule(chain, concat("numgen random mod", len(endpoints), "vmap", "{", elements, "}"))

    # ------------------------------------------------------------------ renderings
    def _render(self, format: str | None) -> str:
        self.ensure_synced()
        fmt = format or "ruleset"
        if fmt == "ruleset":
            return self.table.ruleset()
        if fmt == "dump":
            return self.table.dump()
        if fmt == "transaction":
            return self.transaction.text()
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(self.formats)}")

    @property
    def rule_count(self) -> int:
        """Rules in the table (map and set elements are not rules: see :attr:`element_count`)."""
        self.ensure_synced()
        return self.table.rule_count

    @property
    def element_count(self) -> int:
        self.ensure_synced()
        return self.table.element_count

    # ------------------------------------------------------------------ the data path
    def trace_hook(self, network: DataPlane, trace: Trace, pkt: Packet, node: str, hook: str) -> bool:
        """The packet through the ``kube-proxy`` table's base chains, hook by hook (nft evaluates each
        base chain of a hook in priority order; a verdict map is one lookup).

        No iptables rules exist on the node in this mode, so the whole netfilter path is here.
        """
        self.ensure_synced()
        local_ips = network.local_ips(node)
        st = _TraceState()
        first = ("prerouting",) if hook == "PREROUTING" else ("output",)
        verdict = self._run_hook(first[0], pkt, local_ips, network, st, nat_only=False, trace=trace, node=node)
        self._lookups(trace, st)
        network.conntrack[id(trace)] = (node, pkt.copy(), hook)
        if verdict in ("drop", "reject"):
            return self._end(network, trace, node, verdict)
        if not pkt.dnat and pkt.dst in local_ips:
            network._portmap(trace, pkt, node)
        local = pkt.dst in local_ips
        if hook == "OUTPUT":
            second = None
        else:
            second = "input" if local else "forward"
        if second:
            st = _TraceState()
            verdict = self._run_hook(second, pkt, local_ips, network, st, trace=trace, node=node)
            self._lookups(trace, st)
            if verdict in ("drop", "reject"):
                return self._end(network, trace, node, verdict)
        if local:
            trace.verdict = "refused"
            trace.hops.append(Hop("deliver", node, f"{pkt.dst}:{pkt.dport} is this node's own address and no "
                                  "service matched: nothing listens there in the model"))
            return True
        st = _TraceState()
        verdict = self._run_hook("postrouting", pkt, local_ips, network, st, trace=trace, node=node)
        self._lookups(trace, st)
        network._deliver(trace, pkt, node)
        return True

    @staticmethod
    def _lookups(trace: Trace, st: _TraceState) -> None:
        if st.lookups:
            trace.extra_cost["nft_lookups"] = trace.extra_cost.get("nft_lookups", 0) + len(st.lookups)

    def _end(self, network: DataPlane, trace: Trace, node: str, verdict: str) -> bool:
        if verdict == "reject" and not network._icmp_allowed(node, network._origin[1]):
            trace.verdict = "timeout"
            trace.hops.append(Hop("deliver", node, f"reject, but the node's ICMP rate limit for {network._origin[1]} "
                                  "(net.ipv4.icmp_ratelimit: a burst of 6, then one per second) swallowed the "
                                  "port-unreachable: the client hears nothing and times out"))
            return True
        if verdict == "reject":
            trace.verdict = "rejected"
            trace.hops.append(Hop("deliver", node, "the client gets ICMP port-unreachable (nft reject): connection "
                                  "refused at once"))
        else:
            trace.verdict = "dropped"
            trace.hops.append(Hop("deliver", node, "dropped silently: the client retries until it times out"))
        return True

    def _run_hook(self, hook: str, pkt: Packet, local_ips: set[str], network: DataPlane, st: _TraceState, *,
                  trace: Trace, node: str, nat_only: bool = False) -> str:
        """Every base chain of the table at ``hook``, by priority; ``accept`` unless one drops or rejects."""
        for name, typ, _, prio in HOOK_CHAINS[hook]:
            if typ == "nat" and pkt.dnat and hook != "postrouting":
                continue
            start = len(st.steps)
            lookups = len(st.lookups)
            verdict = self._run_chain(name, pkt, local_ips, network, st)
            detail = f"{self.family} {TABLE} {name} (hook {hook}, priority {prio}): {verdict}"
            if verdict == "dnat":
                detail += f" to {pkt.dst}:{pkt.dport}"
            if verdict == "masquerade":
                egress = network._egress_ip(node, pkt.dst)
                detail += f" {pkt.src} -> {egress}"
                pkt.src = egress
            n = len(st.lookups) - lookups
            if n:
                detail += f"; {n} set/map lookup{'s' if n > 1 else ''} (a verdict map is one hash lookup, not a " \
                          "walk of its elements): " + "; ".join(
                              f"@{lk.container} ({lk.size} element{'' if lk.size == 1 else 's'}) [{lk.key}] -> "
                              f"{lk.hit or 'no match'}" for lk in st.lookups[lookups:])
            trace.hops.append(Hop("netfilter", node, detail, st.steps[start:]))
            if verdict in ("drop", "reject"):
                return verdict
        return "accept"

    def _run_chain(self, chain: str, pkt: Packet, local_ips: set[str], network: DataPlane, st: _TraceState,
                   depth: int = 0) -> str:
        """Run ``chain``; returns a terminal verdict (accept, drop, reject, dnat, masquerade) or ``continue``."""
        if depth > 32:
            return "drop"
        for rule, comment in self.table.chains[chain].rules:
            shown = rule + (f' comment "{comment}"' if comment else "")
            outcome = self._eval_rule(rule, pkt, local_ips, network, st)
            if outcome is None:
                st.steps.append(ChainStep(TABLE, chain, shown, False))
                continue
            kind, arg = outcome
            st.steps.append(ChainStep(TABLE, chain, shown, True, arg if kind == "next" else f"{kind} {arg}".strip()))
            if kind == "jump":
                v = self._run_chain(arg, pkt, local_ips, network, st, depth + 1)
                if v != "continue" and v != "return":
                    return v
                continue
            if kind == "goto":
                v = self._run_chain(arg, pkt, local_ips, network, st, depth + 1)
                return "continue" if v == "return" else v
            if kind == "return":
                return "return"
            if kind == "next":
                continue
            return kind
        return "continue" if depth else "accept"

    # -- one rule: the clauses kube-proxy writes, left to right (as helpers_test.go's nftablesTracer)
    def _eval_rule(self, rule: str, pkt: Packet, local_ips: set[str], network: DataPlane,
                   st: _TraceState) -> tuple[str, str] | None:
        proto = pkt.proto.lower()
        rest = rule
        while rest:
            rest = rest.lstrip()
            m = _CLAUSE.match(rest)
            if m is None:
                raise ValueError(f"nftables model cannot evaluate {rest!r}")
            kind = m.lastgroup
            g = m.groupdict()
            rest = rest[m.end():]
            if kind == "ctnew":
                continue
            if kind == "dlookup3":
                hit = self._lookup(st, g["dmap3"], (pkt.dst, proto, str(pkt.dport)))
                if hit is None:
                    return None
                rest = hit.value[0] + rest
            elif kind == "plookup":
                hit = self._lookup(st, g["pmap"], (proto, str(pkt.dport)))
                if hit is None:
                    return None
                rest = hit.value[0] + rest
            elif kind == "dset":
                if self._lookup(st, g["dset_name"], (pkt.dst,)) is None:
                    return None
            elif kind == "sset":
                name = g["sset_name"]
                seen = self.affinity.get(name, {})
                st.lookups.append(NFTLookup(name, pkt.src, "member" if pkt.src in seen else None, len(seen)))
                last = seen.get(pkt.src)
                timeout = self.table.sets[name].timeout or 0
                if last is None or network.clock - last > timeout:
                    return None
            elif kind == "daddr":
                if not _addr_match(pkt.dst, g["daddr_v"], g["dneg"]):
                    return None
            elif kind == "saddr":
                if not _addr_match(pkt.src, g["saddr_v"], g["sneg"]):
                    return None
            elif kind == "fib":
                addr = pkt.src if g["fib_dir"] == "saddr" else pkt.dst
                if addr not in local_ips:
                    return None
            elif kind == "numgen":
                n = int(g["mod"])
                pick = (network.rng.getrandbits(32) * n) >> 32  # nft_ng_random: reciprocal_scale
                targets = dict(item.split(" : goto ") for item in g["items"].split(" , "))
                st.lookups.append(NFTLookup(f"numgen random mod {n}: anonymous map", str(pick), targets[str(pick)],
                                            len(targets)))
                return ("goto", targets[str(pick)])
            elif kind == "update":
                self.affinity.setdefault(g["upd"], {})[pkt.src] = network.clock
                return ("next", f"{pkt.src} recorded in @{g['upd']}")
            elif kind == "markor":
                pkt.mark |= int(g["m1"], 16)
                return ("next", f"mark {pkt.mark:#x}")
            elif kind == "markxor":
                pkt.mark ^= int(g["m2"], 16)
                return ("next", f"mark {pkt.mark:#x}")
            elif kind == "markzero":
                if pkt.mark & int(g["m3"], 16):
                    return None
                return ("return", "")
            elif kind == "masq":
                return ("masquerade", "")
            elif kind == "dnat":
                if g["dproto"] != proto:
                    return None
                host, _, port = g["to"].rpartition(":")
                pkt.dst, pkt.dport, pkt.dnat = host.strip("[]"), int(port), True
                return ("dnat", g["to"])
            elif kind == "verdict":
                word, target = g["vword"], g["vtarget"] or ""
                return (word, target)
        return ("next", "")

    def _lookup(self, st: _TraceState, name: str, key: tuple[str, ...]) -> Element | None:
        container = self.table.maps.get(name) or self.table.sets.get(name)
        hit = container.lookup(key) if container is not None else None
        st.lookups.append(NFTLookup(name, " . ".join(key), (" : ".join(hit.value) or "member") if hit else None,
                                    len(container.elements) if container is not None else 0))
        return hit

    def make_evaluator(self, tables, local_ips, rng):
        """No iptables rules on an nftables-mode node: an empty netfilter for later packets."""
        return Evaluator({}, local_ips, rng)


_CLAUSE = re.compile(r"""
    (?P<ctnew>ct\ state\ new)
  | (?P<dlookup3>ip6?\ daddr\ \.\ meta\ l4proto\ \.\ th\ dport\ vmap\ @(?P<dmap3>\S+))
  | (?P<plookup>meta\ l4proto\ \.\ th\ dport\ vmap\ @(?P<pmap>\S+))
  | (?P<dset>ip6?\ daddr\ @(?P<dset_name>\S+))
  | (?P<sset>ip6?\ saddr\ @(?P<sset_name>\S+))
  | (?P<daddr>ip6?\ daddr\ (?P<dneg>!=\ )?(?P<daddr_v>\{[^}]*\}|\S+))
  | (?P<saddr>ip6?\ saddr\ (?P<sneg>!=\ )?(?P<saddr_v>\{[^}]*\}|\S+))
  | (?P<fib>fib\ (?P<fib_dir>saddr|daddr)\ type\ local)
  | (?P<numgen>numgen\ random\ mod\ (?P<mod>\d+)\ vmap\ \{\ (?P<items>[^}]*)\ \})
  | (?P<update>update\ @(?P<upd>\S+)\ \{\ ip6?\ saddr\ \})
  | (?P<markor>mark\ set\ mark\ or\ (?P<m1>0x[0-9a-f]+))
  | (?P<markxor>mark\ set\ mark\ xor\ (?P<m2>0x[0-9a-f]+))
  | (?P<markzero>mark\ and\ (?P<m3>0x[0-9a-f]+)\ ==\ 0\ return)
  | (?P<masq>masquerade\ fully-random)
  | (?P<dnat>meta\ l4proto\ (?P<dproto>tcp|udp|sctp)\ dnat\ to\ (?P<to>\S+))
  | (?P<verdict>(?P<vword>jump|goto|drop|reject|return|accept)(?:\ (?P<vtarget>\S+))?)
""", re.VERBOSE)


def _addr_match(ip: str, spec: str, neg: str | None) -> bool:
    items = [x.strip() for x in spec.strip("{} ").split(",") if x.strip()] if spec.startswith("{") else [spec]
    try:
        addr = ipaddress.ip_address(ip)
        hit = any(addr in ipaddress.ip_network(x, strict=False) for x in items)
    except ValueError:
        hit = False
    return not hit if neg else hit


def _version(ip: str) -> int:
    try:
        return ipaddress.ip_address(ip).version
    except ValueError:
        return 0


def _valid_cidr(text: str, version: int) -> bool:
    try:
        return ipaddress.ip_network(text.strip(), strict=False).version == version
    except ValueError:
        return False
