"""kube-proxy's userspace mode (legacy): iptables redirects to a proxy socket per service port.

**Removed** in Kubernetes v1.26 (kubernetes/website commit 448e807); kubelab
models it because it explains why the kernel-only modes came to be.  In this
mode kube-proxy itself is on the data path: every service port gets a
listening socket on the node (a "proxy port"), iptables sends service
traffic there, and kube-proxy opens a *new* connection to a backend and
copies bytes between the two sockets.

Upstream, read for this module: kubernetes ``pkg/proxy/userspace/proxier.go``
(release-1.25 era text: ``iptablesInit`` -- chains ``KUBE-PORTALS-CONTAINER``,
``KUBE-PORTALS-HOST``, ``KUBE-NODEPORT-CONTAINER``, ``KUBE-NODEPORT-HOST``,
``KUBE-NODEPORT-NON-LOCAL`` and their jump rules and comments;
``iptablesCommonPortalArgs`` -- ``-m comment --comment <svcPort> -p <proto>
-m <proto> --dport <port> [-d <ip>/32] [-m physdev ! --physdev-is-in] [-m
addrtype --dst-type LOCAL]``; ``iptablesContainerPortalArgs`` -- ``-j REDIRECT
--to-ports <proxyPort>`` when kube-proxy listens on 0.0.0.0;
``iptablesHostPortalArgs``/``iptablesHostNodePortArgs`` -- ``-j DNAT
--to-destination <hostIP>:<proxyPort>``; ``iptablesNonLocalNodePortArgs`` --
``... --dport <proxyPort> -m state --state NEW -j ACCEPT``; ``openPortal``,
``openOnePortal``, ``openNodePort``), ``roundrobin.go`` (commit 0096f4a4:
endpoints shuffled when they change, then strict rotation; ClientIP affinity
keyed on the client IP, ``ttlSeconds`` default 10800, ``lastUsed`` refreshed on
use, skipped once ``sessionAffinityReset``), ``proxysocket.go`` (commit
051f8e4e: ``EndpointDialTimeouts = 250ms, 500ms, 1s, 2s`` -- one dial per
timeout, affinity ignored after the first failure, the accepted client
connection closed when all fail).

Simplifications: the proxy port is drawn deterministically from Linux's
ephemeral range 32768-60999 (kube-proxy asks the kernel for port 0, so real
ports are random); the endpoint shuffle draws from the trace's seeded random
stream; UDP is proxied like TCP (no per-client UDP session cache); the rules
are listed in sorted service order.

Examples
--------
>>> from kubelab import Cluster
>>> p = UserspaceProxier(Cluster(), node="kind-worker")
>>> "KUBE-PORTALS-CONTAINER" in p.render("iptables")
True
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ..cni.plugins import plugin_for
from ..hops import DataPlane, Hop, Trace
from ..netfilter.packet import Packet
from ..netfilter.xtables import Rule, Table
from ..util.table import format_table
from .base import Proxier, register
from .ipset import KubeProxyEvaluator, append
from .servicemap import ServicePortInfo, service_port_map

__all__ = ["UserspaceProxier", "ProxyPort", "DialAttempt", "ENDPOINT_DIAL_TIMEOUTS", "EPHEMERAL_PORTS",
           "REMOVED"]

REMOVED = "the userspace proxy mode was removed in Kubernetes v1.26"
#: ``proxysocket.go`` ``EndpointDialTimeouts`` (milliseconds): one dial attempt per entry.
ENDPOINT_DIAL_TIMEOUTS = (250, 500, 1000, 2000)
#: Linux ``net.ipv4.ip_local_port_range`` default.
EPHEMERAL_PORTS = (32768, 60999)

PORTALS_CONTAINER = "KUBE-PORTALS-CONTAINER"
PORTALS_HOST = "KUBE-PORTALS-HOST"
NODEPORT_CONTAINER = "KUBE-NODEPORT-CONTAINER"
NODEPORT_HOST = "KUBE-NODEPORT-HOST"
NODEPORT_NON_LOCAL = "KUBE-NODEPORT-NON-LOCAL"
PORTALS_COMMENT = "handle ClusterIPs; NOTE: this must be before the NodePort rules"
NODEPORTS_COMMENT = "handle service NodePorts; NOTE: this must be the last rule in the chain"
NON_LOCAL_COMMENT = "Ensure that non-local NodePort traffic can flow"


@dataclass
class ProxyPort:
    """One service port's listening socket in kube-proxy, and its round-robin state (``balancerState``)."""

    service: ServicePortInfo
    port: int
    endpoints: list[str] = field(default_factory=list)  # shuffled order
    index: int = 0
    shuffled_from: tuple[str, ...] | None = None
    affinity: dict[str, tuple[str, int]] = field(default_factory=dict)  # client IP -> (endpoint, lastUsed)

    @property
    def name(self) -> str:
        return self.service.name.string


@dataclass
class DialAttempt:
    endpoint: str
    timeout_ms: int
    ok: bool
    waited_ms: int
    why: str
    by_affinity: bool = False


@register
class UserspaceProxier(Proxier):
    """kube-proxy ``--proxy-mode=userspace`` (removed in v1.26) on one node, listening on 0.0.0.0."""

    mode = "userspace"
    formats = ("all", "ports", "iptables", "commands")
    removed = REMOVED

    def __init__(self, *args: Any, **kwargs: Any):
        self._ports: dict[str, ProxyPort] = {}
        self.attempts: list[list[DialAttempt]] = []
        super().__init__(*args, **kwargs)

    # ------------------------------------------------------------------ sync
    def _proxy_port(self, name: str, taken: set[int]) -> int:
        lo, hi = EPHEMERAL_PORTS
        span = hi - lo + 1
        start = int(hashlib.sha256(f"{self.node}/{name}".encode()).hexdigest(), 16) % span
        for i in range(span):
            p = lo + (start + i) % span
            if p not in taken:
                return p
        raise RuntimeError("ephemeral port range exhausted")  # pragma: no cover

    def _sync(self) -> None:
        services = service_port_map(self.cluster, self.node)
        self.services = services
        taken: set[int] = set()
        ports: dict[str, ProxyPort] = {}
        for svc in services:
            name = svc.name.string + "/" + svc.protocol
            old = self._ports.get(name)
            port = old.port if old else self._proxy_port(name, taken | {p.port for p in self._ports.values()})
            taken.add(port)
            pp = old or ProxyPort(svc, port)
            pp.service = svc
            ports[name] = pp
        self._ports = ports
        self.proxy_ports = list(ports.values())
        self.by_port = {(p.service.protocol, p.port): p for p in self.proxy_ports}
        self.tables = self._write_iptables()

    def _common(self, svc: ServicePortInfo, port: int, dest_ip: str | None = None, physdev: bool = False,
                dst_local: bool = False) -> list[str]:
        proto = svc.protocol.lower()
        args = ["-m", "comment", "--comment", svc.name.string, "-p", proto, "-m", proto, "--dport", str(port)]
        if dest_ip:
            args += ["-d", f"{dest_ip}/32"]
        if physdev:
            args += ["-m", "physdev", "!", "--physdev-is-in"]
        if dst_local:
            args += ["-m", "addrtype", "--dst-type", "LOCAL"]
        return args

    def _write_iptables(self) -> dict[str, Table]:
        nat, filt = Table("nat"), Table("filter")
        for c in (PORTALS_CONTAINER, PORTALS_HOST, NODEPORT_CONTAINER, NODEPORT_HOST):
            nat.declare(c)
        filt.declare(NODEPORT_NON_LOCAL)
        host = self.node_ip or "127.0.0.1"
        for pp in self.proxy_ports:
            svc, pport = pp.service, str(pp.port)
            redirect = ["-j", "REDIRECT", "--to-ports", pport]
            dnat = ["-j", "DNAT", "--to-destination", f"{host}:{pport}"]
            portals = [(svc.cluster_ip, False)] + [(ip, True) for ip in svc.external_ips] + \
                      [(ip, False) for ip in svc.load_balancer_vips]
            for ip, external in portals:  # openOnePortal
                append(nat, PORTALS_CONTAINER, [*self._common(svc, svc.port, ip, physdev=external), *redirect])
                if external:
                    append(nat, PORTALS_CONTAINER, [*self._common(svc, svc.port, ip, dst_local=True), *redirect])
                    append(nat, PORTALS_HOST, [*self._common(svc, svc.port, ip, dst_local=True), *dnat])
                else:
                    append(nat, PORTALS_HOST, [*self._common(svc, svc.port, ip), *dnat])
            if svc.node_port:  # openNodePort
                append(nat, NODEPORT_CONTAINER, [*self._common(svc, svc.node_port), *redirect])
                append(nat, NODEPORT_HOST, [*self._common(svc, svc.node_port), *dnat])
                append(filt, NODEPORT_NON_LOCAL, [*self._common(svc, pp.port), "-m", "state", "--state", "NEW",
                                                  "-j", "ACCEPT"])
        return {"nat": nat, "filter": filt}

    # ------------------------------------------------------------------ renderings
    def jump_rules(self) -> dict[str, list[Rule]]:
        """``iptablesInit``: portals prepended, NodePorts appended, the non-local accept prepended."""
        portal = ["-m", "comment", "--comment", PORTALS_COMMENT]
        nodeports = ["-m", "addrtype", "--dst-type", "LOCAL", "-m", "comment", "--comment", NODEPORTS_COMMENT]
        return {
            "nat": [Rule.parse("PREROUTING", [*portal, "-j", PORTALS_CONTAINER]),
                    Rule.parse("PREROUTING", [*nodeports, "-j", NODEPORT_CONTAINER]),
                    Rule.parse("OUTPUT", [*portal, "-j", PORTALS_HOST]),
                    Rule.parse("OUTPUT", [*nodeports, "-j", NODEPORT_HOST])],
            "filter": [Rule.parse("INPUT", ["-m", "comment", "--comment", NON_LOCAL_COMMENT, "-j",
                                            NODEPORT_NON_LOCAL])],
        }

    def full_tables(self) -> dict[str, Table]:
        self.ensure_synced()
        if getattr(self, "_full_from", None) is not self.tables:
            jumps = self.jump_rules()
            self._full = {n: Table(n, list(t.chains), [*jumps[n], *t.rules]) for n, t in self.tables.items()}
            self._full_from = self.tables
        return self._full

    def ports_table(self) -> str:
        """The proxy-port table: which socket kube-proxy holds for which service port."""
        self.ensure_synced()
        rows = []
        for pp in self.proxy_ports:
            s = pp.service
            eps = [e.string for e in s.endpoints if e.ready]
            rows.append((pp.name, s.protocol, f"{s.cluster_ip}:{s.port}", str(s.node_port or "-"),
                         f"0.0.0.0:{pp.port}", ",".join(eps) or "<none>"))
        header = ("SERVICE PORT", "PROTO", "PORTAL", "NODE PORT", "PROXY PORT", "ENDPOINTS")
        return format_table(header, rows) + "\n"

    def commands(self) -> str:
        """The ``iptables`` commands kube-proxy ran, in order (``EnsureChain``/``EnsureRule`` of
        ``pkg/util/iptables``: ``OP CHAIN -t TABLE ARGS``; this mode never used ``iptables-restore``).
        The ``-w`` wait flag kube-proxy adds depends on the iptables version and is left out."""
        self.ensure_synced()
        out = []
        jumps = self.jump_rules()

        def cmd(op: str, rule: Rule, table: str) -> str:
            return f"iptables {op} {rule.chain} -t {table} " + rule.restore().split(" ", 2)[2]

        for table, chains in (("nat", (PORTALS_CONTAINER, PORTALS_HOST, NODEPORT_CONTAINER, NODEPORT_HOST)),
                              ("filter", (NODEPORT_NON_LOCAL,))):
            for c in chains:
                out.append(f"iptables -N {c} -t {table}")
            out += [cmd("-A" if NODEPORTS_COMMENT in r.args else "-I", r, table) for r in jumps[table]]
        for t in (self.tables["nat"], self.tables["filter"]):
            out += [cmd("-A", r, t.name) for r in t.rules]
        return "\n".join(out) + "\n"

    def save_text(self) -> str:
        full = self.full_tables()
        return full["nat"].save() + full["filter"].save()

    def _render(self, format: str | None) -> str:
        fmt = format or "all"
        if fmt == "ports":
            return self.ports_table()
        if fmt in ("iptables", "save"):
            return self.save_text()
        if fmt == "commands":
            return self.commands()
        if fmt == "all":
            return self.ports_table() + "\n" + self.save_text()
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(self.formats)}")

    @property
    def rule_count(self) -> int:
        self.ensure_synced()
        return sum(len(t.rules) for t in self.tables.values())

    # ------------------------------------------------------------------ the load balancer (roundrobin.go)
    def next_endpoint(self, pp: ProxyPort, client_ip: str, reset: bool, clock: int, rng) -> tuple[str | None, bool]:
        """``LoadBalancerRR.NextEndpoint``: ``(endpoint, chosen_by_affinity)``."""
        current = tuple(e.string for e in pp.service.endpoints if e.ready)
        if current != pp.shuffled_from:  # OnEndpointsUpdate: a changed list is shuffled, the index reset
            eps = list(current)
            rng.shuffle(eps)
            pp.endpoints, pp.index, pp.shuffled_from = eps, 0, current
            pp.affinity = {k: v for k, v in pp.affinity.items() if v[0] in current}
        if not pp.endpoints:
            return None, False
        ttl = pp.service.session_affinity_timeout
        if ttl is not None and not reset:
            seen = pp.affinity.get(client_ip)
            if seen is not None and clock - seen[1] < ttl:
                pp.affinity[client_ip] = (seen[0], clock)
                return seen[0], True
        ep = pp.endpoints[pp.index]
        pp.index = (pp.index + 1) % len(pp.endpoints)
        if ttl is not None:
            pp.affinity[client_ip] = (ep, clock)
        return ep, False

    # ------------------------------------------------------------------ the data path
    def make_evaluator(self, tables, local_ips, rng) -> KubeProxyEvaluator:
        node = self.cluster.node(self.node)
        return KubeProxyEvaluator(tables, set(local_ips), rng, bridged=set(node.spec.pod_cidrs))

    def trace_hook(self, network: DataPlane, trace: Trace, pkt: Packet, node: str, hook: str) -> bool:
        self.ensure_synced()
        ev = network.evaluator(node)
        n = self.cluster.node(node)
        # REDIRECT goes to the primary address of the interface the packet came in on: the pod bridge
        # (or ptp veth) for a local pod, the node's address for traffic from outside.  Simplification:
        # a plugin whose pod-side interfaces have no address (Calico's cali veths) gets its own
        # pod-range address (tunl0's) instead of the kernel's drop.
        ev.redirect_ip = n.internal_ip
        for cidr in n.spec.pod_cidrs:
            if ipaddress.ip_address(pkt.src) in ipaddress.ip_network(cidr, strict=False):
                ev.redirect_ip = next(iter(plugin_for(self.cluster).host_addresses(n)), n.internal_ip)
        nat = ev.run("nat", hook, pkt)
        trace.hops.append(Hop("netfilter", node, f"nat {hook}" + (f": to {pkt.dst}:{pkt.dport}" if pkt.dnat else ""),
                              nat.steps))
        local = ev.is_local(pkt.dst)
        chain = "OUTPUT" if hook == "OUTPUT" else ("INPUT" if local else "FORWARD")
        flt = ev.run("filter", chain, pkt)
        trace.hops.append(Hop("netfilter", node, f"filter {chain}: {flt.verdict}", flt.steps))
        if flt.verdict in ("REJECT", "DROP"):
            trace.verdict = "rejected" if flt.verdict == "REJECT" else "dropped"
            return True
        pp = self.by_port.get((pkt.proto, pkt.dport)) if (local or hook == "OUTPUT") else None
        if pp is None or not pkt.dnat:
            if local:
                trace.verdict = "refused"
                trace.hops.append(Hop("deliver", node, f"{pkt.dst}:{pkt.dport} is this node's own address and no "
                                      "portal rule matched: nothing listens there in the model"))
                return True
            post = ev.run("nat", "POSTROUTING", pkt)
            trace.hops.append(Hop("netfilter", node, "nat POSTROUTING", post.steps))
            network._deliver(trace, pkt, node)
            return True
        client = f"{pkt.src}:{pkt.sport}"
        trace.hops.append(Hop("proxy", node, f"kube-proxy accepts on port {pp.port} (user space): the kernel "
                              f"completes the client's handshake with the proxy socket of {pp.name}; from here every "
                              "byte is copied kernel -> kube-proxy -> kernel (two copies and two context switches "
                              "per read/write pair, each way)"))
        attempts: list[DialAttempt] = []
        self.attempts.append(attempts)
        reset = False
        for timeout in ENDPOINT_DIAL_TIMEOUTS:
            ep, sticky = self.next_endpoint(pp, pkt.src, reset, network.clock, network.rng)
            if ep is None:
                trace.verdict = "closed"
                trace.hops.append(Hop("proxy", node, f"no endpoint for {pp.name}: kube-proxy closes the accepted "
                                      "connection (the client sees it open, then closed)"))
                return True
            ok, why = self._answers(network, ep, pkt.proto)
            waited = 0 if ok or why.startswith("refused") else timeout
            attempts.append(DialAttempt(ep, timeout, ok, waited, why, sticky))
            choice = "session affinity" if sticky else "round robin"
            if ok:
                trace.hops.append(Hop("proxy", node, f"dial {ep} ({choice}, timeout {timeout} ms): connected"))
                break
            trace.hops.append(Hop("proxy", node, f"dial {ep} ({choice}, timeout {timeout} ms): {why}; "
                                  f"waited {waited} ms" + ("" if reset else "; affinity is ignored from now on")))
            reset = True
        else:
            trace.extra_cost["proxy_dial_attempts"] = len(attempts)
            total = sum(a.waited_ms for a in attempts)
            trace.verdict = "closed"
            trace.hops.append(Hop("proxy", node, f"all {len(attempts)} dial attempts failed after {total} ms: "
                                  "kube-proxy closes the accepted client connection"))
            return True
        ip, _, port = ep.rpartition(":")
        src = network._egress_ip(node, ip)
        network._next_port += 1
        out = Packet(src, network._next_port, ip, int(port), pkt.proto)
        trace.hops.append(Hop("proxy", node, f"new connection {out} from kube-proxy: the backend sees the node "
                              f"({src}), not the client {client}"))
        # two copies each way (client socket -> kube-proxy -> backend socket, and back) per request/response
        trace.extra_cost["user_kernel_copies"] = 4
        trace.extra_cost["proxy_dial_attempts"] = len(attempts)
        network.conntrack[id(trace)] = (node, out.copy(), "OUTPUT")
        network._deliver(trace, out, node)
        return True

    def _answers(self, network: DataPlane, endpoint: str, proto: str) -> tuple[bool, str]:
        ip, _, port = endpoint.rpartition(":")
        pod = network.pod_by_ip(ip)
        if pod is None and network.node_by_ip(ip) is not None:
            # as in the other modes: a node address has no listener in the model (TCP RST at once)
            return False, f"refused: nothing listens on {endpoint} (a node address) in the model"
        if pod is None:
            return False, "no answer (no pod has this address)"
        if pod.ref.split(" ")[-1] in network.dead or f"{pod.namespace}/{pod.name}" in network.dead \
                or pod.name in network.dead:
            return False, f"no answer from {pod.namespace}/{pod.name} (dead)"
        declared = {(p.container_port, p.protocol or "TCP") for c in pod.spec.containers for p in c.ports}
        if declared and (int(port), proto) not in declared:
            return False, f"refused: nothing listens on {port}/{proto} in {pod.namespace}/{pod.name}"
        return True, "connected"
