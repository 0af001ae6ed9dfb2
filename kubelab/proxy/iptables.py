"""kube-proxy's iptables mode: the exact rules it programs on a node.

Upstream: kubernetes ``pkg/proxy/iptables/proxier.go`` (``syncProxyRules``,
``writeServiceToEndpointRules``, ``servicePortPolicyClusterChain`` and friends,
``iptablesJumpChains``, ``iptablesKubeletJumpChains``, ``appendServiceCommentLocked``,
``probability``) and its tests ``proxier_test.go`` (``TestOverallIPTablesRules``,
``TestLoadBalancer``, ``TestInternalTrafficPolicy``, the terminating-endpoint
tests), as of Kubernetes v1.35; ``pkg/proxy/topology.go`` (``CategorizeEndpoints``);
``pkg/proxy/util/localdetector.go`` (cluster-CIDR local detection);
``pkg/proxy/util/nodeport_addresses.go`` (``ContainsIPv4Loopback``: with
``nodePortAddresses`` that exclude 127.0.0.1, ``localhostNodePorts`` is off).

What is modelled, per service port:

* chain names ``KUBE-SVC-``/``KUBE-SVL-``/``KUBE-EXT-``/``KUBE-FW-`` + the first 16
  characters of ``base32(sha256(servicePortName + lower(protocol)))``, and
  ``KUBE-SEP-`` + the same over ``servicePortName + protocol + "ip:port"``;
* ClusterIP, externalIPs, LoadBalancer ingress IPs (with
  ``loadBalancerSourceRanges`` through a ``KUBE-FW-`` chain and the
  ``KUBE-PROXY-FIREWALL`` drop), NodePorts, healthCheckNodePorts;
* ``externalTrafficPolicy``/``internalTrafficPolicy`` Local (``KUBE-SVL-``, the
  pod/LOCAL short-circuits, DROP when no local endpoint), terminating-endpoint
  fallback;
* no usable endpoints: no nat chains at all, REJECT in the filter table;
* masquerading (``KUBE-MARK-MASQ``, ``KUBE-POSTROUTING``, the off-cluster rule
  when ``clusterCIDR`` is set or ``masqueradeAll``, hairpin in each SEP chain);
* ClientIP session affinity with ``-m recent``;
* probabilities ``%0.10f`` of ``1/(n-i)``; endpoints in string order of ``ip:port``;
* "large cluster mode" (no per-endpoint comments past 1000 endpoints);
* the jump rules kube-proxy ensures in the built-in chains on every full sync
  (``-I``, so the last ensured comes first), including ``INPUT``/``OUTPUT`` →
  ``KUBE-FIREWALL`` whatever ``localhostNodePorts`` says; the ``KUBE-FIREWALL``
  localnet rule itself only with ``localhostNodePorts``, written ahead of every
  other filter rule (before ``KUBE-FORWARD``'s), as in the restore input.

Simplifications (said here and in the notebook): services are written in
sorted order (kube-proxy walks a Go map, so the real order varies between
syncs; upstream tests sort too); IPv4 only; the ``nfacct`` counters are left
out (they appear only where the kernel has ``xt_nfacct``): the
``-m nfacct`` match on the INVALID drop and the extra
``-d 127.0.0.0/8 … -m nfacct`` rule per NodePort; stale-chain ``-X`` lines of
partial syncs are not written, because every kubelab sync is a full one.
The text compared is the modern ``proxier.go`` (nfacct counters, the
``PreferSameTrafficDistribution`` era of ``topology.go``); the tests that
transcribe ``proxier_test.go`` say how its fake proxier differs from a node
(``tests/proxy/upstream_iptables.py``, ``docs/iptables-parity.md``).

Examples
--------
>>> service_port_chain("KUBE-SVC-", "ns1/svc1:p80", "TCP")
'KUBE-SVC-XPGD46QRK7WJZT7O'
>>> endpoint_chain("ns1/svc1:p80", "TCP", "10.180.0.1:80")
'KUBE-SEP-SXIVWICOYRO3J4NJ'
>>> probability(3)
'0.3333333333'
"""

from __future__ import annotations

import base64
import functools
import hashlib
import ipaddress
from dataclasses import dataclass

from ..netfilter.xtables import Rule, Table
from .base import Proxier, register
from .servicemap import ServicePortInfo, categorize_endpoints, service_port_map

__all__ = ["IPTablesProxier", "service_port_chain", "endpoint_chain", "probability", "masquerade_mark",
           "LARGE_CLUSTER_ENDPOINTS", "JUMP_CHAINS", "KUBELET_JUMP_CHAINS"]

KUBE_SERVICES = "KUBE-SERVICES"
KUBE_EXTERNAL_SERVICES = "KUBE-EXTERNAL-SERVICES"
KUBE_NODEPORTS = "KUBE-NODEPORTS"
KUBE_POSTROUTING = "KUBE-POSTROUTING"
KUBE_MARK_MASQ = "KUBE-MARK-MASQ"
KUBE_FORWARD = "KUBE-FORWARD"
KUBE_PROXY_FIREWALL = "KUBE-PROXY-FIREWALL"
KUBE_FIREWALL = "KUBE-FIREWALL"
#: ``largeClusterEndpointsThreshold``
LARGE_CLUSTER_ENDPOINTS = 1000

#: ``iptablesJumpChains``: (table, chain, from built-in chain, comment, extra args); each is
#: ensured with ``-I`` (prepend), so the last one ends up first in the built-in chain.
JUMP_CHAINS = (
    ("filter", KUBE_EXTERNAL_SERVICES, "INPUT", "kubernetes externally-visible service portals",
     ["-m", "conntrack", "--ctstate", "NEW"]),
    ("filter", KUBE_EXTERNAL_SERVICES, "FORWARD", "kubernetes externally-visible service portals",
     ["-m", "conntrack", "--ctstate", "NEW"]),
    ("filter", KUBE_NODEPORTS, "INPUT", "kubernetes health check service ports", []),
    ("filter", KUBE_SERVICES, "FORWARD", "kubernetes service portals", ["-m", "conntrack", "--ctstate", "NEW"]),
    ("filter", KUBE_SERVICES, "OUTPUT", "kubernetes service portals", ["-m", "conntrack", "--ctstate", "NEW"]),
    ("filter", KUBE_FORWARD, "FORWARD", "kubernetes forwarding rules", []),
    ("filter", KUBE_PROXY_FIREWALL, "INPUT", "kubernetes load balancer firewall", ["-m", "conntrack", "--ctstate", "NEW"]),
    ("filter", KUBE_PROXY_FIREWALL, "OUTPUT", "kubernetes load balancer firewall", ["-m", "conntrack", "--ctstate", "NEW"]),
    ("filter", KUBE_PROXY_FIREWALL, "FORWARD", "kubernetes load balancer firewall", ["-m", "conntrack", "--ctstate", "NEW"]),
    ("nat", KUBE_SERVICES, "OUTPUT", "kubernetes service portals", []),
    ("nat", KUBE_SERVICES, "PREROUTING", "kubernetes service portals", []),
    ("nat", KUBE_POSTROUTING, "POSTROUTING", "kubernetes postrouting rules", []),
)


#: ``iptablesKubeletJumpChains``: duplicates of the chain kubelet also creates
#: (``kubelet_network_linux.go``), ensured the same way (no comment) on every full sync,
#: whatever ``localhostNodePorts`` says.
KUBELET_JUMP_CHAINS = (
    ("filter", KUBE_FIREWALL, "INPUT", "", []),
    ("filter", KUBE_FIREWALL, "OUTPUT", "", []),
)


def _contains_ipv4_loopback(node_port_addresses: list[str] | None) -> bool:
    """``NodePortAddresses.ContainsIPv4Loopback``: no IPv4 CIDR means 0.0.0.0/0 (which contains it)."""
    cidrs = [c for c in node_port_addresses or [] if c != "primary" and ":" not in c]
    if not cidrs and "primary" not in (node_port_addresses or []):
        return True
    return any(ipaddress.ip_address("127.0.0.1") in ipaddress.ip_network(c, strict=False) for c in cidrs)


@functools.lru_cache(maxsize=1 << 17)  # a sync names each chain several times; nodes share the names
def _hash16(text: str) -> str:
    """The first 16 base32 characters of the SHA-256 of ``text`` (base32 turns each 5 bytes into 8
    characters, so the first 10 bytes of the digest give exactly those 16)."""
    return base64.b32encode(hashlib.sha256(text.encode()).digest()[:10]).decode()


def service_port_chain(prefix: str, svc_port_name: str, protocol: str) -> str:
    """``servicePortPolicyClusterChain`` and friends: prefix + hash of name + lower-case protocol."""
    return prefix + _hash16(svc_port_name + protocol.lower())


def endpoint_chain(svc_port_name: str, protocol: str, endpoint: str) -> str:
    """``servicePortEndpointChainName``: ``KUBE-SEP-`` + hash of name + protocol + ``ip:port``."""
    return "KUBE-SEP-" + _hash16(svc_port_name + protocol.lower() + endpoint)


def probability(n: int) -> str:
    """``proxier.probability(n)``: ``1/n`` with ten decimals, as kube-proxy writes it."""
    return f"{1.0 / n:0.10f}"


def masquerade_mark(bit: int) -> str:
    """The masquerade mark for ``iptables.masqueradeBit`` (Go ``%#08x`` of ``1 << bit``: ``0x00004000``)."""
    return "0x" + format(1 << bit, "08x")


def _q(text: str) -> str:
    return f'"{text}"'


@dataclass
class _Chains:
    svc: str
    svl: str
    ext: str
    fw: str


@register
class IPTablesProxier(Proxier):
    """kube-proxy ``--proxy-mode=iptables`` on one node.

    After :meth:`sync`, ``tables`` holds the ``filter`` and ``nat`` tables kube-proxy
    passes to ``iptables-restore``; :meth:`render` prints them.
    """

    mode = "iptables"

    def _sync(self) -> None:
        cfg = self.config
        ipt = cfg.iptables
        mark = masquerade_mark(ipt.masquerade_bit if ipt.masquerade_bit is not None else 14)
        self.mark = mark
        cluster_cidr = (cfg.cluster_cidr or "").split(",")[0].strip() or None
        masquerade_all = bool(ipt.masquerade_all)
        # NewProxier: localhostNodePorts only when nodePortAddresses lets 127.0.0.1 through
        localhost_node_ports = ipt.localhost_node_ports is not False and _contains_ipv4_loopback(cfg.node_port_addresses)
        self.localhost_node_ports = localhost_node_ports
        services = service_port_map(self.cluster, self.node)
        total_endpoints = sum(len(s.endpoints) for s in services)
        self.large_cluster_mode = total_endpoints > LARGE_CLUSTER_ENDPOINTS
        self.services = services

        filt, nat = Table("filter"), Table("nat")
        for c in (KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL):
            filt.declare(c)
        for c in (KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ):
            nat.declare(c)
        nat.append(KUBE_POSTROUTING, ["-m", "mark", "!", "--mark", f"{mark}/{mark}", "-j", "RETURN"])
        nat.append(KUBE_POSTROUTING, ["-j", "MARK", "--xor-mark", mark])
        nat.append(KUBE_POSTROUTING, ["-m", "comment", "--comment", "kubernetes service traffic requiring SNAT",
                                      "-j", "MASQUERADE", "--random-fully"])
        nat.append(KUBE_MARK_MASQ, ["-j", "MARK", "--or-mark", mark])
        if localhost_node_ports:
            # written before any service rule: the restore input has it ahead of KUBE-FORWARD's rules
            filt.declare(KUBE_FIREWALL)
            filt.append(KUBE_FIREWALL, ["-m", "comment", "--comment", "block incoming localnet connections",
                                        "-d", "127.0.0.0/8", "!", "-s", "127.0.0.0/8",
                                        "-m", "conntrack", "!", "--ctstate", "RELATED,ESTABLISHED,DNAT", "-j", "DROP"])

        for svc in services:
            self._write_service(svc, filt, nat, cluster_cidr, masquerade_all)

        # The tail call to the NodePorts chain (nodePortAddresses unset: every local address).
        if not cfg.node_port_addresses:
            dest = ["-m", "addrtype", "--dst-type", "LOCAL"]
            if not localhost_node_ports:
                dest += ["!", "-d", "127.0.0.0/8"]
            nat.append(KUBE_SERVICES, ["-m", "comment", "--comment",
                                       "kubernetes service nodeports; NOTE: this must be the last rule in this chain",
                                       *dest, "-j", KUBE_NODEPORTS])
        else:
            for ip in self._node_port_ips(cfg.node_port_addresses):
                if ip.startswith("127.") and not localhost_node_ports:
                    continue  # "--nodeport-addresses includes localhost but --iptables-localhost-nodeports=false"
                nat.append(KUBE_SERVICES, ["-m", "comment", "--comment",
                                           "kubernetes service nodeports; NOTE: this must be the last rule in this chain",
                                           "-d", ip, "-j", KUBE_NODEPORTS])
        filt.append(KUBE_FORWARD, ["-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP"])
        filt.append(KUBE_FORWARD, ["-m", "comment", "--comment", "kubernetes forwarding rules",
                                   "-m", "mark", "--mark", f"{mark}/{mark}", "-j", "ACCEPT"])
        filt.append(KUBE_FORWARD, ["-m", "comment", "--comment", "kubernetes forwarding conntrack rule",
                                   "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"])
        self.tables = {"filter": filt, "nat": nat}

    def _node_port_ips(self, cidrs: list[str]) -> list[str]:
        candidates = [ip for ip in (self.node_ip, "127.0.0.1") if ip]
        out = []
        for ip in candidates:
            for c in cidrs:
                if c == "primary" and ip == self.node_ip or c != "primary" and \
                        ipaddress.ip_address(ip) in ipaddress.ip_network(c, strict=False):
                    out.append(ip)
                    break
        return out

    def chains_of(self, svc: ServicePortInfo) -> _Chains:
        name, proto = svc.name.string, svc.protocol
        return _Chains(*(service_port_chain(p, name, proto) for p in ("KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-")))

    def _comment(self, text: str) -> list[str]:
        """``appendServiceCommentLocked``: per-endpoint comments vanish in large cluster mode."""
        return [] if self.large_cluster_mode else ["-m", "comment", "--comment", text]

    def _write_service(self, svc: ServicePortInfo, filt: Table, nat: Table, cluster_cidr: str | None,
                       masquerade_all: bool) -> None:
        name = svc.name.string
        proto = svc.protocol.lower()
        ch = self.chains_of(svc)
        cat = categorize_endpoints(svc)
        has_endpoints = cat.has_any
        internal_chain, has_internal = ch.svc, has_endpoints
        if svc.internal_policy_local:
            internal_chain = ch.svl
            has_internal = has_internal and bool(cat.local)
        external_policy_chain, has_external = ch.svc, has_endpoints
        if svc.external_policy_local:
            external_policy_chain = ch.svl
            has_external = has_external and bool(cat.local)
        uses_cluster_chain = bool(cat.cluster) and svc.uses_cluster_endpoints
        uses_local_chain = bool(cat.local) and svc.uses_local_endpoints
        uses_ext_chain = has_endpoints and svc.externally_accessible
        uses_fw = has_endpoints and bool(svc.load_balancer_vips) and bool(svc.load_balancer_source_ranges)
        lb_chain = ch.fw if uses_fw else ch.ext

        if not has_endpoints:
            int_target = ext_target = "REJECT"
            int_comment = ext_comment = f"{name} has no endpoints"
        else:
            int_target = ext_target = ""
            int_comment = ext_comment = ""
            if not has_internal:
                int_target, int_comment = "DROP", f"{name} has no local endpoints"
            if not has_external:
                ext_target, ext_comment = "DROP", f"{name} has no local endpoints"

        port = str(svc.port)
        match = ["-m", proto, "-p", proto]
        if has_internal:
            nat.append(KUBE_SERVICES, ["-m", "comment", "--comment", f"{name} cluster IP", *match,
                                       "-d", svc.cluster_ip, "--dport", port, "-j", internal_chain])
        else:
            filt.append(KUBE_SERVICES, ["-m", "comment", "--comment", int_comment, *match,
                                        "-d", svc.cluster_ip, "--dport", port, "-j", int_target])
        for ip in svc.external_ips:
            if has_endpoints:
                nat.append(KUBE_SERVICES, ["-m", "comment", "--comment", f"{name} external IP", *match,
                                           "-d", ip, "--dport", port, "-j", ch.ext])
            if not has_external:
                filt.append(KUBE_EXTERNAL_SERVICES, ["-m", "comment", "--comment", ext_comment, *match,
                                                     "-d", ip, "--dport", port, "-j", ext_target])
        for ip in svc.load_balancer_vips:
            if has_endpoints:
                nat.append(KUBE_SERVICES, ["-m", "comment", "--comment", f"{name} loadbalancer IP", *match,
                                           "-d", ip, "--dport", port, "-j", lb_chain])
            if uses_fw:
                filt.append(KUBE_PROXY_FIREWALL, ["-m", "comment", "--comment", f"{name} traffic not accepted by {ch.fw}",
                                                  *match, "-d", ip, "--dport", port, "-j", "DROP"])
        if not has_external:
            for ip in svc.load_balancer_vips:
                filt.append(KUBE_EXTERNAL_SERVICES, ["-m", "comment", "--comment", ext_comment, *match,
                                                     "-d", ip, "--dport", port, "-j", ext_target])
        if svc.node_port:
            if has_endpoints:
                nat.append(KUBE_NODEPORTS, ["-m", "comment", "--comment", name, *match,
                                            "--dport", str(svc.node_port), "-j", ch.ext])
            if not has_external:
                filt.append(KUBE_EXTERNAL_SERVICES, ["-m", "comment", "--comment", ext_comment,
                                                     "-m", "addrtype", "--dst-type", "LOCAL", *match,
                                                     "--dport", str(svc.node_port), "-j", ext_target])
        if svc.health_check_node_port:
            filt.append(KUBE_NODEPORTS, ["-m", "comment", "--comment", f"{name} health check node port",
                                         "-m", "tcp", "-p", "tcp", "--dport", str(svc.health_check_node_port),
                                         "-j", "ACCEPT"])

        # Internal (ClusterIP) traffic: masquerade what comes from outside the cluster.
        if has_internal:
            args = ["-m", "comment", "--comment", f"{name} cluster IP", *match, "-d", svc.cluster_ip, "--dport", port]
            if masquerade_all:
                nat.append(internal_chain, [*args, "-j", KUBE_MARK_MASQ])
            elif cluster_cidr:
                nat.append(internal_chain, [*args, "!", "-s", cluster_cidr, "-j", KUBE_MARK_MASQ])

        if uses_ext_chain:
            nat.declare(ch.ext)
            if not svc.external_policy_local:
                nat.append(ch.ext, ["-m", "comment", "--comment", f"masquerade traffic for {name} external destinations",
                                    "-j", KUBE_MARK_MASQ])
            else:
                if cluster_cidr:
                    nat.append(ch.ext, ["-m", "comment", "--comment", f"pod traffic for {name} external destinations",
                                        "-s", cluster_cidr, "-j", ch.svc])
                nat.append(ch.ext, ["-m", "comment", "--comment",
                                    f"masquerade LOCAL traffic for {name} external destinations",
                                    "-m", "addrtype", "--src-type", "LOCAL", "-j", KUBE_MARK_MASQ])
                nat.append(ch.ext, ["-m", "comment", "--comment", f"route LOCAL traffic for {name} external destinations",
                                    "-m", "addrtype", "--src-type", "LOCAL", "-j", ch.svc])
            if has_external:
                nat.append(ch.ext, ["-j", external_policy_chain])

        if uses_fw:
            nat.declare(ch.fw)
            head = ["-m", "comment", "--comment", f"{name} loadbalancer IP"]
            allow_from_node = False
            for cidr in svc.load_balancer_source_ranges:
                nat.append(ch.fw, [*head, "-s", cidr, "-j", ch.ext])
                if self.node_ip and ipaddress.ip_address(self.node_ip) in ipaddress.ip_network(cidr, strict=False):
                    allow_from_node = True
            if allow_from_node:
                for ip in svc.load_balancer_vips:
                    nat.append(ch.fw, [*head, "-s", ip, "-j", ch.ext])
            nat.append(ch.fw, ["-m", "comment", "--comment",
                               f"other traffic to {name} will be dropped by {KUBE_PROXY_FIREWALL}"])

        if uses_cluster_chain:
            nat.declare(ch.svc)
            self._service_to_endpoints(nat, svc, ch.svc, cat.cluster)
        if uses_local_chain:
            nat.declare(ch.svl)
            self._service_to_endpoints(nat, svc, ch.svl, cat.local)

        for ep in cat.all_reachable:
            sep = endpoint_chain(name, svc.protocol, ep.string)
            nat.declare(sep)
            base = self._comment(name)
            nat.append(sep, [*base, "-s", ep.ip, "-j", KUBE_MARK_MASQ])
            args = list(base)
            if svc.session_affinity_timeout is not None:
                args += ["-m", "recent", "--name", sep, "--set"]
            nat.append(sep, [*args, *match, "-j", "DNAT", "--to-destination", ep.string])

    def _service_to_endpoints(self, nat: Table, svc: ServicePortInfo, chain: str, endpoints) -> None:
        """``writeServiceToEndpointRules``: affinity checks first, then the probability ladder."""
        name = svc.name.string
        if svc.session_affinity_timeout is not None:
            for ep in endpoints:
                sep = endpoint_chain(name, svc.protocol, ep.string)
                nat.append(chain, [*self._comment(f"{name} -> {ep.string}"), "-m", "recent", "--name", sep,
                                   "--rcheck", "--seconds", str(svc.session_affinity_timeout), "--reap", "-j", sep])
        n = len(endpoints)
        for i, ep in enumerate(endpoints):
            sep = endpoint_chain(name, svc.protocol, ep.string)
            args = self._comment(f"{name} -> {ep.string}")
            if i < n - 1:
                args += ["-m", "statistic", "--mode", "random", "--probability", probability(n - i)]
            nat.append(chain, [*args, "-j", sep])

    # ------------------------------------------------------------------ renderings
    def restore_text(self) -> str:
        """Exactly the text kube-proxy passes to ``iptables-restore --noflush``: filter, then nat."""
        self.ensure_synced()
        out = []
        for t in (self.tables["filter"], self.tables["nat"]):
            out.append(f"*{t.name}")
            out += [f":{c} - [0:0]" for c in t.chains]
            out += [r.restore() for r in t.rules]
            out.append("COMMIT")
        return "\n".join(out) + "\n"

    def jump_rules(self) -> dict[str, list[Rule]]:
        """The rules kube-proxy ensures in the built-in chains on every full sync, in their final order.

        ``iptablesJumpChains`` then ``iptablesKubeletJumpChains`` (``INPUT``/``OUTPUT`` →
        ``KUBE-FIREWALL``, whatever ``localhostNodePorts`` says), each with ``EnsureChain`` and
        ``EnsureRule(Prepend)``: in a namespace where kube-proxy is alone (the lab, the real-kernel
        tests) the last one ensured ends up first.  On a real node kubelet usually came first:
        ``pkg/kubelet/kubelet_network_linux.go`` still ensures the same ``KUBE-FIREWALL`` chain, its
        two jumps and the localnet rule (IPv4, whatever kube-proxy's settings), so there the
        ``KUBE-FIREWALL`` jumps sit after kube-proxy's own and the rule is always present.
        """
        out: dict[str, list[Rule]] = {"filter": [], "nat": []}
        for table, chain, builtin, comment, extra in reversed((*JUMP_CHAINS, *KUBELET_JUMP_CHAINS)):
            args = [*extra, "-m", "comment", "--comment", comment] if comment else list(extra)
            out[table].append(Rule.parse(builtin, [*args, "-j", chain]))
        return out

    def save_text(self, backend: str = "legacy") -> str:
        """What ``iptables-save`` prints on the node afterwards (without its ``#`` date lines).

        ``backend="legacy"`` lists the nat table first (docs/cli.md; the legacy back end prints
        tables in the order the kernel registered them, which varies between hosts);
        ``"nft"`` lists filter first, as ``iptables-nft-save`` does.  The rule text is the same.
        """
        full = self.full_tables()
        texts = {name: full[name].save() for name in ("nat", "filter")}
        order = ("nat", "filter") if backend == "legacy" else ("filter", "nat")
        return "".join(texts[n] for n in order)

    def full_tables(self) -> dict[str, Table]:
        """The tables as they are in the kernel after the sync: built-in jumps plus kube-proxy's chains."""
        self.ensure_synced()
        if getattr(self, "_full", None) is None or self._full_from is not self.tables:
            jumps = self.jump_rules()
            self._full = {}
            for name, t in self.tables.items():
                ensured = [r.target for r in jumps[name]]  # EnsureChain: exist even when the restore skips them
                self._full[name] = Table(name, list(dict.fromkeys([*t.chains, *ensured])), [*jumps[name], *t.rules])
            self._full_from = self.tables
        return self._full

    def _render(self, format: str | None) -> str:
        fmt = format or "save"
        if fmt == "restore":
            return self.restore_text()
        if fmt == "save":
            return self.save_text()
        if fmt == "save-nft":
            return self.save_text("nft")
        raise ValueError(f"unknown format {fmt!r}: use save or restore")

    @property
    def rule_count(self) -> int:
        self.ensure_synced()
        return sum(len(t.rules) for t in self.tables.values())
