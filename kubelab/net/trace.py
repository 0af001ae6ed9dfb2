"""The trace engine: follow one connection hop by hop through the modelled cluster.

``connect(cluster, src, host, port)`` starts a new connection (a fresh source
port, so conntrack sees it as NEW) from a pod, a node or an outside client,
and records every hop: the pod's ``eth0`` and veth, the node's netfilter hooks
(each chain entered, every rule evaluated and whether it matched, NAT done),
routing between nodes, and delivery into the backend pod.  The verdict says
what the client sees: ``delivered``, ``rejected`` (ICMP port unreachable),
``dropped`` (silence: the client times out), ``timeout`` (the chosen backend
does not answer), ``refused`` (nothing listens on the port), ``closed`` (a user-space
proxy accepted the connection, then closed it: no endpoint answered) or ``no route``.

The kernel path modelled is the one of a Linux node with kube-proxy in
iptables mode and ``br_netfilter`` on: traffic from a local pod enters the
node's ``PREROUTING``, traffic a node process sends enters ``OUTPUT``; after NAT
the routing decision sends it to ``INPUT`` (local) or ``FORWARD``, then
``POSTROUTING``.  Upstream: ``net/ipv4/ip_input.c``/``ip_forward.c``/``ip_output.c``
hook order, ``nf_nat`` (first packet only), conntrack (later packets of the
connection reuse the first packet's NAT decision).

Simplifications (also stated in the notebooks): pod-to-pod routing between
nodes follows the cluster's CNI plugin model (:mod:`kubelab.cni.plugins`: the
route, and the encapsulation with its overhead and MTU); a pod port is taken to
be open when a container declares it, or when the pod declares no ports at all;
a connection is traced by its first packet (replies follow conntrack and are
not traced); the other proxy modes plug in through :meth:`Proxier.trace`.
"""

from __future__ import annotations

import functools
import ipaddress
import random
from typing import Any

from ..api import Node, Pod
from ..cluster import Cluster
from ..cluster.hostports import host_port_claims
from ..cni.plugins import plugin_for
from ..errors import KubelabError
from ..hops import Hop, Trace
from ..netfilter.evaluator import Evaluator
from ..netfilter.packet import Packet
from ..policy import policy_hop
from ..proxy import proxier_for
from ..util.gc import gc_paused

__all__ = ["Network", "connect"]

class Network:
    """The data plane of a cluster: one netfilter state per node, conntrack, a seeded RNG.

    Keep one ``Network`` to make many connections in one model: ``xt_recent``
    (session affinity) and the random stream carry over, as on real nodes.
    """

    def __init__(self, cluster: "Cluster", mode: str | None = None, seed: int | None = None,
                 dead: set[str] | None = None, *, crashed: set[str] | None = None, hairpin: bool = True,
                 br_netfilter: bool = True, attempt_interval: float = 1.0):
        self.cluster = cluster
        self.mode = mode or cluster.kube_proxy_config.effective_mode
        self.rng = random.Random(seed if seed is not None else 0)
        #: pods that accept nothing and answer nothing (a hung process): the client times out
        self.dead = set(dead or ())
        #: pods whose server process is gone: their kernel answers a SYN with RST (refused)
        self.crashed = set(crashed or ())
        #: the bridge ports' hairpin mode (the bridge plugin's hairpinMode; kubelet's hairpin-veth)
        self.hairpin = hairpin
        #: net.bridge.bridge-nf-call-iptables on the nodes
        self.br_netfilter = br_netfilter
        self._origin: tuple[str, str, Any, Any] = ("", "", None, None)
        #: seconds between two successive connections (the model's wall clock, for ICMP rate limiting)
        self.attempt_interval = attempt_interval
        self.wall = 0.0
        self._icmp_tokens: dict[tuple[str, str], tuple[float, float]] = {}  # (node, client) -> (tokens, last)
        self._proxiers: dict[str, Any] = {}
        self._evaluators: dict[str, Evaluator] = {}
        self._next_port = 40000
        self.clock = 0
        #: traced connection (by trace id) -> (first node, packet after NAT, hook it entered by)
        self.conntrack: dict[int, tuple[str, Packet, str]] = {}

    # -- the parts
    def close(self) -> None:
        """Nothing to do: kept for callers of kubelab 0.2, whose proxiers watched the cluster.

        Proxiers now compare the cluster's revision when they are used
        (:meth:`kubelab.proxy.Proxier.ensure_synced`), so nothing refers from the cluster to a network.
        """

    def proxier(self, node: str):
        if node not in self._proxiers:
            self._proxiers[node] = proxier_for(self.cluster, self.mode, node=node)
        p = self._proxiers[node]
        p.ensure_synced()
        return p

    def evaluator(self, node: str) -> Evaluator:
        p = self.proxier(node)
        ev = self._evaluators.get(node)
        tables = p.full_tables() if hasattr(p, "full_tables") else {}
        if ev is None or ev.tables is not tables:  # the proxier re-synced: new rules, same xt_recent state
            recent = ev.recent if ev else {}
            make = getattr(p, "make_evaluator", Evaluator)  # a mode may extend netfilter (ipsets, REDIRECT)
            ev = make(tables, self.local_ips(node), self.rng)
            ev.recent = recent
            self._evaluators[node] = ev
        ev.clock = self.clock
        return ev

    def local_ips(self, node_name: str) -> set[str]:
        node = self.cluster.node(node_name)
        return {node.internal_ip or "", *plugin_for(self.cluster).host_addresses(node)}

    def pod_by_ip(self, ip: str) -> "Pod | None":
        return self.cluster.pod_by_ip(ip)

    def node_by_ip(self, ip: str) -> "Node | None":
        """The first node (in node order) whose InternalIP is ``ip``."""
        return self._node_index()[0].get(ip)

    def node_for_ip(self, ip: str) -> "Node | None":
        """The node whose pod CIDR holds ``ip`` (where a route for it leads): the first in node order."""
        try:
            addr = _address(ip)
        except ValueError:
            return None
        best = None
        for (version, prefix), nets in self._node_index()[1].items():
            if version != addr.version:
                continue
            found = nets.get(int(addr) >> (addr.max_prefixlen - prefix))
            if found is not None and (best is None or found[0] < best[0]):
                best = found
        return best[1] if best else None

    def _node_index(self) -> tuple[dict[str, "Node"], dict[tuple[int, int], dict[int, tuple[int, "Node"]]]]:
        """InternalIP -> first node, and per (IP version, prefix length) pod CIDR -> first (node order, node).

        Built once per revision of the cluster's nodes (:meth:`~kubelab.cluster.Cluster.revision_of`),
        so that routing a packet costs a few dictionary lookups instead of a pass over every node.
        """
        revision_of = getattr(self.cluster, "revision_of", None)
        revision = revision_of("nodes") if revision_of is not None else None
        if revision is None or getattr(self, "_nodes_of", None) != revision:
            by_ip: dict[str, Node] = {}
            by_cidr: dict[tuple[int, int], dict[int, tuple[int, Node]]] = {}
            for i, n in enumerate(self.cluster.nodes()):
                if n.internal_ip is not None:
                    by_ip.setdefault(n.internal_ip, n)
                for c in n.spec.pod_cidrs:
                    try:
                        net = _network(c)
                    except ValueError:
                        continue
                    key = int(net.network_address) >> (net.max_prefixlen - net.prefixlen)
                    by_cidr.setdefault((net.version, net.prefixlen), {}).setdefault(key, (i, n))
            self._nodes, self._nodes_of = (by_ip, by_cidr), revision
        return self._nodes

    # -- resolving what the user typed
    def resolve_source(self, src: str) -> tuple[str, str, "Pod | None", "Node | None"]:
        """``(kind, ip, pod, node)`` for a pod (``ns/name`` or ``name``), a node name, or an IP."""
        c = self.cluster
        ns, _, name = src.rpartition("/")
        try:
            found = [c.pod(name, ns or "default")] if name else []
        except KubelabError:
            found = []
        for p in found:
            if p.name == name:
                if not p.status.pod_ip:
                    raise KubelabError(f"{p.ref} has no IP yet (phase {p.status.phase}): it cannot send")
                node = c.node_of(p)
                if node is None:  # the Node object was deleted; the pod stays until PodGC removes it
                    raise KubelabError(f"{p.ref} is bound to node {p.spec.node_name}, which no longer exists: "
                                       "it cannot send (the pod garbage collector deletes such orphaned pods)")
                return ("node" if p.spec.host_network else "pod", p.status.pod_ip, p, node)
        for n in c.nodes():
            if n.name == src:
                return ("node", n.internal_ip or "", None, n)
        try:
            ipaddress.ip_address(src)
        except ValueError:
            raise KubelabError(f'--from "{src}": no pod, node or IP address of that name') from None
        pod = self.pod_by_ip(src)
        if pod is not None:
            return ("pod", src, pod, c.node_of(pod))
        node = self.node_by_ip(src)
        if node is not None:
            return ("node", src, None, node)
        return ("external", src, None, None)

    def resolve_destination(self, host: str) -> str:
        """An IP, or a Service name (``name``, ``ns/name`` or ``name.ns.svc[.domain]``) -> its ClusterIP."""
        try:
            ipaddress.ip_address(host)
            return host
        except ValueError:
            pass
        domain = self.cluster.settings.cluster_domain
        name, ns = host, "default"
        if "/" in host:
            ns, name = host.split("/", 1)
        elif "." in host:
            parts = host.rstrip(".").split(".")
            if len(parts) >= 3 and parts[2] == "svc" and ".".join(parts[3:]) in ("", domain):
                name, ns = parts[0], parts[1]
            elif len(parts) == 2:
                name, ns = parts
            else:
                raise KubelabError(f'cannot resolve "{host}": not a Service name in this cluster')
        try:
            svc = self.cluster.service(name, ns)
        except KubelabError:
            raise KubelabError(f'cannot resolve "{host}": no Service "{name}" in namespace "{ns}"') from None
        if not svc.spec.cluster_ip or svc.spec.cluster_ip == "None":
            raise KubelabError(f"{svc.ref} has no ClusterIP (headless or ExternalName): connect to a pod IP")
        return svc.spec.cluster_ip

    # -- later packets of a connection
    def next_packet(self, trace: Trace) -> Trace:
        """A later packet of a traced connection: conntrack already knows it.

        The kernel looks the packet up in the conntrack table and applies the NAT decided for the
        first packet; the ``nat`` table is not consulted again.  The ``filter`` chains are still
        walked, but kube-proxy's jumps there match only ``--ctstate NEW``, so they cost little.
        """
        conn = self.conntrack.get(id(trace))
        later = Trace(src=trace.src, dst=trace.dst, mode=self.mode)
        if conn is None or trace.verdict != "delivered":
            later.verdict = trace.verdict
            later.hops.append(Hop("conntrack", "-", "no established connection: nothing to send"))
            return later
        node, pkt, hook = conn
        pkt = pkt.copy()
        ev = self.evaluator(node)
        later.hops.append(Hop("conntrack", node, f"ESTABLISHED: {trace.dst} was translated to "
                              f"{trace.backend_address} for the first packet; the nat table is skipped"))
        chain = "OUTPUT" if hook == "OUTPUT" else "FORWARD"
        flt = ev.run("filter", chain, pkt, new=False)
        later.hops.append(Hop("netfilter", node, f"filter {chain}: {flt.verdict}", flt.steps))
        later.verdict, later.backend = "delivered", trace.backend
        later.backend_address, later.source_seen = trace.backend_address, trace.source_seen
        return later

    # -- the walk
    def connect(self, src: str, host: str, port: int, proto: str = "TCP") -> Trace:
        """Trace a new connection from ``src`` to ``host:port``: every hop, and the verdict."""
        with gc_paused():  # a trace into a large cluster: GC walks of it would dominate
            return self._connect(src, host, port, proto)

    def _connect(self, src: str, host: str, port: int, proto: str) -> Trace:
        proto = proto.upper()
        kind, src_ip, src_pod, src_node = self.resolve_source(src)
        self._origin = (kind, src_ip, src_pod, src_node)
        dst_ip = self.resolve_destination(host)
        self._next_port += 1
        self.clock += 1
        self.wall += self.attempt_interval
        pkt = Packet(src_ip, self._next_port, dst_ip, int(port), proto)
        trace = Trace(src=f"{src} ({src_ip})", dst=f"{host}:{port}/{proto}", mode=self.mode)
        trace.hops.append(Hop("send", src_pod.ref if src_pod else (src_node.name if src_node else "client"),
                              f"new connection {pkt}"))
        if kind == "pod":
            trace.hops.append(Hop("veth", f"{src_node.name}", f"out of {src_pod.name}'s eth0 through its veth "
                                  f"into the node's network namespace"))
            self._node(trace, pkt, src_node.name, "PREROUTING")
        elif kind == "node":
            self._node(trace, pkt, src_node.name, "OUTPUT")
        else:
            target = self._entry_node(trace, dst_ip, pkt)
            if target is None:
                return trace
            self._node(trace, pkt, target, "PREROUTING")
        return trace

    def _entry_node(self, trace: Trace, dst_ip: str, pkt: Packet) -> str | None:
        """Where traffic from outside the cluster enters it, or ``None`` (with the verdict set).

        A node address: that node.  A load balancer address (``status.loadBalancer.ingress``):
        the cloud load balancer forwards to one of its healthy nodes, keeping the client address
        (a VIP-style balancer); nodes labelled ``node.kubernetes.io/exclude-from-external-load-balancers``
        (kubeadm labels the control plane) are not in its pool, and with
        ``externalTrafficPolicy: Local`` its health check on ``healthCheckNodePort`` passes only on
        nodes with a local endpoint.  An external IP: the outside network must route it to a node;
        kubelab assumes it reaches the first schedulable node.  Anything else (a ClusterIP, a pod
        IP) has no route from outside: those ranges exist only inside the cluster.
        """
        node = self.node_by_ip(dst_ip)
        if node is not None:
            trace.hops.append(Hop("route", node.name, f"the outside network delivers {dst_ip} to {node.name}"))
            return node.name
        for svc in self.cluster.services(None):
            lb = svc.status.load_balancer
            if svc.spec.type == "LoadBalancer" and lb and any(i.ip == dst_ip for i in lb.ingress):
                return self._cloud_load_balancer(trace, svc, dst_ip, pkt)
            if dst_ip in svc.spec.external_ips:
                workers = [n for n in self.cluster.nodes() if n.schedulable] or self.cluster.nodes()
                name = workers[0].name
                trace.hops.append(Hop("route", name, f"{dst_ip} is an externalIP of {svc.ref}: the outside network "
                                      f"routes it to {name} (kube-proxy on every node captures it)"))
                return name
        trace.verdict = "no route"
        trace.hops.append(Hop("route", "outside", f"no route to {dst_ip} from outside the cluster: ClusterIPs and "
                              "pod IPs are reachable only from nodes and pods"))
        return None

    def _cloud_load_balancer(self, trace: Trace, svc, vip: str, pkt: Packet) -> str | None:
        exclude = "node.kubernetes.io/exclude-from-external-load-balancers"
        pool = [n for n in self.cluster.nodes() if exclude not in n.metadata.labels
                and not any(t.key == "node-role.kubernetes.io/control-plane" for t in n.spec.taints)]
        healthy = pool
        detail = ""
        if svc.spec.external_traffic_policy == "Local":
            local_nodes = {e.node_name for sl in self.cluster.endpoint_slices(svc.name, svc.namespace)
                           for e in sl.endpoints if e.conditions.ready and e.node_name}
            healthy = [n for n in pool if n.name in local_nodes]
            detail = (f"; health check on healthCheckNodePort {svc.spec.health_check_node_port} passes on "
                      f"{', '.join(n.name for n in healthy) or 'no node'}")
        ranges = svc.spec.load_balancer_source_ranges
        if not healthy:
            trace.verdict = "dropped"
            trace.hops.append(Hop("route", f"load balancer {vip}", f"no healthy node in the pool{detail}: the "
                                  "cloud load balancer drops the connection"))
            return None
        node = healthy[self.rng.randrange(len(healthy))]
        note = f" (loadBalancerSourceRanges {', '.join(ranges)} also filter on the node)" if ranges else ""
        trace.hops.append(Hop("route", f"load balancer {vip}",
                              f"the cloud load balancer of {svc.ref} forwards to {node.name} ({node.internal_ip}), "
                              f"client address kept{detail}{note}"))
        return node.name

    def _node(self, trace: Trace, pkt: Packet, node: str, hook: str) -> None:
        """Netfilter on ``node`` from ``hook`` (PREROUTING or OUTPUT), then routing onwards."""
        proxier = self.proxier(node)
        if hasattr(proxier, "trace_hook"):
            handled = proxier.trace_hook(self, trace, pkt, node, hook)
            if handled:
                return
        ev = self.evaluator(node)
        nat = ev.run("nat", hook, pkt)
        self.conntrack[id(trace)] = (node, pkt, hook)
        trace.hops.append(Hop("netfilter", node, f"nat {hook}" + (f": DNAT to {pkt.dst}:{pkt.dport}" if pkt.dnat else ""),
                              nat.steps))
        if not pkt.dnat and ev.is_local(pkt.dst):
            self._portmap(trace, pkt, node)
        local = ev.is_local(pkt.dst)
        filter_chain = "OUTPUT" if hook == "OUTPUT" else ("INPUT" if local else "FORWARD")
        flt = ev.run("filter", filter_chain, pkt)
        trace.hops.append(Hop("netfilter", node, f"filter {filter_chain}: {flt.verdict}", flt.steps))
        if flt.verdict == "REJECT" and not self._icmp_allowed(node, self._origin[1]):
            trace.verdict = "timeout"
            trace.hops.append(Hop("deliver", node, f"REJECT, but the node's ICMP rate limit for {self._origin[1]} "
                                  "(net.ipv4.icmp_ratelimit: a burst of 6, then one per second) swallowed the "
                                  "port-unreachable: the client hears nothing and times out"))
            return
        if flt.verdict == "REJECT":
            trace.verdict = "rejected"
            trace.hops.append(Hop("deliver", node, f"the client gets ICMP {flt.reject_with}: connection refused at once"))
            return
        if flt.verdict == "DROP":
            trace.verdict = "dropped"
            trace.hops.append(Hop("deliver", node, "dropped silently: the client retries until it times out"))
            return
        if local and hook != "OUTPUT" or (hook == "OUTPUT" and local):
            trace.verdict = "refused"
            trace.hops.append(Hop("deliver", node, f"{pkt.dst}:{pkt.dport} is this node's own address and no "
                                  "service rule matched: nothing listens there in the model"))
            return
        post = ev.run("nat", "POSTROUTING", pkt)
        masq = post.verdict == "MASQUERADE"
        detail = "nat POSTROUTING"
        egress = self._egress_ip(node, pkt.dst)
        if masq:
            detail += f": MASQUERADE {pkt.src} -> {egress}"
            pkt.src = egress
        trace.hops.append(Hop("netfilter", node, detail, post.steps))
        self._deliver(trace, pkt, node)

    def _icmp_allowed(self, node: str, client: str, ratelimit: float = 1.0, burst: int = 6) -> bool:
        """The kernel's per-destination ICMP error rate limit (``inet_peer_xrlim_allow``).

        A token bucket of ``burst`` x ``net.ipv4.icmp_ratelimit`` (1000 ms), full for a new peer,
        refilled with time; each ICMP error costs one ``ratelimit``.  With the default attempt
        interval of one second it never runs dry.
        """
        tokens, last = self._icmp_tokens.get((node, client), (burst * ratelimit, self.wall))
        tokens = min(tokens + (self.wall - last), burst * ratelimit)
        allowed = tokens >= ratelimit
        if allowed:
            tokens -= ratelimit
        self._icmp_tokens[(node, client)] = (tokens, self.wall)
        return allowed

    def _portmap(self, trace: Trace, pkt: Packet, node: str) -> None:
        """A pod's ``hostPort``: the portmap CNI plugin's ``CNI-HOSTPORT-DNAT`` rule on its node.

        Upstream: containernetworking/plugins ``plugins/meta/portmap`` (a DNAT per mapping, matched
        on ``--dst-type LOCAL``, the hostIP when one is given, protocol and port); the rules
        themselves are rendered by :mod:`kubelab.cni.memory.portmap`.
        """
        for pod in self.cluster.pods():
            if pod.spec.node_name != node or pod.spec.host_network or not pod.status.pod_ip:
                continue
            for (ip, proto, port), container in host_port_claims(pod):
                if proto == pkt.proto and port == pkt.dport and ip in ("0.0.0.0", pkt.dst):
                    cport = next(p.container_port for c in pod.spec.all_containers() if c.name == container
                                 for p in c.ports if (p.host_port or p.container_port) == port
                                 and (p.protocol or "TCP") == proto)
                    trace.hops.append(Hop("netfilter", node, f"portmap CNI-HOSTPORT-DNAT: hostPort {port}/{proto} "
                                          f"of {pod.ref}: DNAT {pkt.dst}:{pkt.dport} -> {pod.status.pod_ip}:{cport}"))
                    pkt.dst, pkt.dport, pkt.dnat = pod.status.pod_ip, cport, True
                    return

    def _egress_ip(self, node: str, dst: str) -> str:
        """The MASQUERADE source towards ``dst``: the outgoing interface's address, as the CNI plugin set it up."""
        return plugin_for(self.cluster).masquerade_source(node, dst)

    def _deliver(self, trace: Trace, pkt: Packet, node: str) -> None:
        other = self.node_by_ip(pkt.dst)
        if other is not None and other.name != node:
            if sum(1 for h in trace.hops if h.kind == "route") > 4:
                trace.verdict = "no route"
                trace.hops.append(Hop("route", node, "routing loop: given up"))
                return
            trace.hops.append(Hop("route", f"{node} -> {other.name}",
                                  f"{pkt.dst} is {other.name}'s address: sent over the node network"))
            self._node(trace, pkt, other.name, "PREROUTING")  # a new connection for that node's conntrack
            return
        pod = self.pod_by_ip(pkt.dst)
        owner = self.node_for_ip(pkt.dst)
        if owner is not None and owner.name != node:
            for h in plugin_for(self.cluster).cross_node(node, owner.name, pkt.src, pkt.dst):
                trace.hops.append(Hop(h.kind, h.where, h.detail))
            ev = self.evaluator(owner.name)
            fwd = ev.run("filter", "FORWARD", pkt)
            trace.hops.append(Hop("netfilter", owner.name, f"filter FORWARD: {fwd.verdict}", fwd.steps))
            if fwd.verdict in ("DROP", "REJECT"):
                trace.verdict = "dropped" if fwd.verdict == "DROP" else "rejected"
                return
            node = owner.name
        if pod is None:
            trace.verdict = "timeout"
            where = "no pod has" if owner is not None else "no pod, node or rule claims"
            trace.hops.append(Hop("deliver", node, f"{where} {pkt.dst}: the node sends the packet on (its default "
                                  "route) and nothing answers; the client times out"))
            return
        kind, origin_ip, origin_pod, origin_node = self._origin
        if kind == "pod" and pkt.dnat and pod.status.pod_ip == origin_ip and not self.hairpin:
            trace.verdict = "timeout"
            trace.hops.append(Hop("deliver", node, f"hairpin: {pod.name} reached itself through a Service, but the "
                                  "bridge port's hairpin mode is off, so the bridge will not send the frame back out "
                                  "of the port it came in by; the client times out"))
            return
        if (kind == "pod" and not self.br_netfilter and pkt.dnat and origin_node is not None
                and origin_node.name == node and pkt.src == origin_ip and pod.status.pod_ip != origin_ip):
            trace.verdict = "timeout"
            trace.hops.append(Hop("deliver", node, f"br_netfilter is off: {pod.name}'s reply to {origin_ip} is "
                                  "bridged straight to the client without passing conntrack, so it is never "
                                  "translated back to the Service address; the client drops it and times out"))
            return
        hop = policy_hop(self, trace, pkt, pod)
        if hop is not None:
            trace.hops.append(hop)
            if trace.verdict == "dropped":
                return
        trace.hops.append(Hop("veth", node, f"through {pod.name}'s veth into its network namespace (eth0 {pkt.dst})"))
        trace.backend = f"{pod.namespace}/{pod.name}"
        trace.backend_address = f"{pkt.dst}:{pkt.dport}"
        trace.source_seen = f"{pkt.src}:{pkt.sport}"
        if trace.backend in self.dead or pod.name in self.dead:
            trace.verdict = "timeout"
            trace.hops.append(Hop("deliver", pod.ref, "the pod does not answer: the client waits until it times "
                                  f"out ({self.mode} mode does not retry another endpoint)"))
            return
        if trace.backend in self.crashed or pod.name in self.crashed:
            trace.verdict = "refused"
            trace.hops.append(Hop("deliver", pod.ref, "the pod's server process is gone: its kernel answers the "
                                  "SYN with RST (connection refused)"))
            return
        declared = {(p.container_port, p.protocol or "TCP") for c in pod.spec.containers for p in c.ports}
        if declared and (pkt.dport, pkt.proto) not in declared:
            trace.verdict = "refused"
            trace.hops.append(Hop("deliver", pod.ref, f"nothing listens on {pkt.dport}/{pkt.proto}: TCP RST"))
            return
        trace.verdict = "delivered"
        trace.hops.append(Hop("deliver", pod.ref, f"accepted on {pkt.dport}/{pkt.proto}"))


@functools.lru_cache(maxsize=4096)
def _network(cidr: str):
    return ipaddress.ip_network(cidr, strict=False)


@functools.lru_cache(maxsize=4096)
def _gateway(cidr: str) -> str:
    return str(_network(cidr)[1])


@functools.lru_cache(maxsize=65536)
def _address(ip: str):
    return ipaddress.ip_address(ip)


def connect(cluster: "Cluster", src: str, host: str, port: int, proto: str = "TCP", *, mode: str | None = None,
            seed: int | None = None, dead: set[str] | None = None, **options: Any) -> Trace:
    """Trace one new connection; see :class:`Network` to make several in one model (and for ``options``)."""
    return Network(cluster, mode=mode, seed=seed, dead=dead, **options).connect(src, host, port, proto)
