"""Graph builders: model state in, a plain ``networkx`` graph out.

Every builder asks the model (:mod:`kubelab.linuxns`, :class:`kubelab.Cluster`)
and only arranges its answers; nothing here decides what Kubernetes would do.

Conventions, shared with :mod:`.describe` and :mod:`.svg`:

* node attributes: ``kind`` (what it is: ``container``, ``pause``,
  ``ns-pod``, ``ns-node``, ``ns-container``, ``netns-node``, ``netns-pod``,
  ``netns-host``, ``port``, ``process``, ``node``, ``pod``, ``pod-host``,
  ``service``), ``label`` (may hold ``\\n``), ``layer`` (column, for the
  layered layout), ``order`` (position in its column) and ``detail`` (a
  sentence for the text description);
* edge attributes: ``kind`` (``shares``, ``owns``, ``network``, ``ipc``,
  ``volume``, ``signal``, ``in``, ``binds``, ``publishes``, ``conflict``,
  ``runs-on``, ``selects``, ``not-ready``) and ``label``;
* graph attributes: ``title``, ``layout`` (``layers`` or ``circle``) and
  ``notes`` (sentences about what is *not* drawn: unavailable channels, the
  absence of conflicts).
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import networkx as nx

from .. import linuxns
from ..api.pod import Pod
from ..linuxns.sandbox import pod_key

__all__ = ["pod_graph", "channel_graph", "port_graph", "docker_port_graph", "process_port_graph",
           "cluster_graph"]

_SCOPE_WORD = {"ns-pod": "pod", "ns-node": "node", "ns-container": "own"}


def pod_graph(pod: Pod, node_name: str | None = None) -> nx.Graph:
    """The pause container, the pod's containers and the namespaces each one is in.

    Each distinct namespace is one node (``ns:KIND:INODE``); an edge
    ``shares`` joins a container to a namespace it shares with others (pod or
    node level), an edge ``owns`` to one that is its own.

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> pod = Pod.from_dict({"metadata": {"name": "web", "namespace": "default"},
    ...     "spec": {"nodeName": "n1", "containers": [{"name": "app"}, {"name": "proxy"}]}})
    >>> g = pod_graph(pod)
    >>> g.nodes["ns:net:4026532163"]["label"], sorted(g["ns:net:4026532163"])
    ('net:[4026532163] (pod)', ['container:app', 'container:pause', 'container:proxy'])
    """
    table = linuxns.describe(pod, node_name)
    sb = table.sandbox
    g = nx.Graph(title=f"Linux namespaces of pod {sb.pod} on node {sb.node}", layout="layers", notes=[])
    members = [sb.pause, *sb.containers]
    for i, m in enumerate(members):
        kind = "pause" if m.role == "pause" else "container"
        g.add_node(f"container:{m.name}", kind=kind, label=m.name, layer=0, order=i,
                   detail=f"{m.role} container, image {m.image or 'unspecified'}, PID 1 in its PID namespace is "
                          f"{m.pid1}")
    order = 0
    for row in table.rows:
        first = True
        seen: dict[int, list[str]] = {}
        for m in members:
            seen.setdefault(m.namespaces[row.kind].inode, []).append(m.name)
        for inode, names in seen.items():
            ns = next(m.namespaces[row.kind] for m in members if m.name == names[0])
            kind = "ns-node" if ns.is_host else ("ns-pod" if len(names) > 1 else "ns-container")
            nid = f"ns:{row.kind}:{inode}"
            # Shared namespaces to the right of the containers, private ones to the left.
            g.add_node(nid, kind=kind, label=f"{ns} ({_SCOPE_WORD[kind]})", layer=1 if len(names) > 1 else -1,
                       order=order,
                       detail=f"{row.kind} namespace created by {ns.owner} (CRI mode {row.mode})"
                              + (f"; it isolates {row.isolates}" if first else ""))
            order += 1
            first = False
            for name in names:
                g.add_edge(f"container:{name}", nid, kind="shares" if len(names) > 1 else "owns", label="")
    g.graph["notes"] = [f"Shared by every container: {', '.join(sorted(table.shared_kinds()))}.",
                        f"The pause container runs {table.pause_image}."]
    return g


def _short_channel(ch: linuxns.Channel) -> str:
    if ch.kind == "volume":
        return f"volume {ch.volume} ({ch.direction})"
    return {"network": "network", "ipc": "IPC", "signal": "signals"}[ch.kind]


def channel_graph(*pods: Pod) -> nx.MultiGraph:
    """Containers as nodes, one edge per available channel between two of them (``linuxns.channels``).

    With one pod, the containers of that pod; with several, every pair of
    containers across all of them.  Unavailable channels are not drawn: they
    are listed, with the reason, in ``graph["notes"]``.
    """
    if not pods:
        raise ValueError("channel_graph needs at least one pod")
    several = len(pods) > 1
    title = (f"Channels between the containers of {pod_key(pods[0])}" if not several else
             "Channels between the containers of " + ", ".join(pod_key(p) for p in pods))
    g = nx.MultiGraph(title=title, layout="circle", notes=[])
    entries = []
    for p in pods:
        for c in p.spec.all_containers():
            nid = f"{pod_key(p)}/{c.name}"
            label = f"{p.name}/{c.name}" if several else (c.name or "?")
            g.add_node(nid, kind="container", label=label, layer=0, order=len(entries),
                       detail=f"container {c.name} of pod {pod_key(p)}" + (f", image {c.image}" if c.image else ""))
            entries.append((p, c.name, nid))
    for i, (pa, a, ua) in enumerate(entries):
        for pb, b, ub in entries[i + 1:]:
            found = linuxns.channels(pa, a, b, other_pod=None if pb is pa else pb)
            for ch in found:
                if ch.available:
                    key = f"volume:{ch.volume}" if ch.kind == "volume" else ch.kind
                    g.add_edge(ua, ub, key=key, kind=ch.kind, label=_short_channel(ch), how=ch.how, why=ch.why,
                               security=ch.security)
                else:
                    g.graph["notes"].append(f"No {ch.kind} channel between {g.nodes[ua]['label']} and "
                                            f"{g.nodes[ub]['label']}: {ch.why}.")
    return g


def _failed(bindings: list[linuxns.PortBinding], conflicts: list[linuxns.PortConflict]) -> dict[int, Any]:
    """Which bindings (by index) lose to an earlier one, according to ``port_conflicts``."""
    out: dict[int, Any] = {}
    for c in conflicts:
        for i, b in enumerate(bindings):
            scope = "pod" if b.netns.startswith("pod ") else "node"
            if (i not in out and b.owner == c.second and b.port == c.port and b.protocol == c.protocol
                    and b.ip == c.second_ip and scope == c.scope and b.node == c.node):
                out[i] = c
                break
    return out


def port_graph(pods: Iterable[Pod], *, node_name: str | None = None) -> nx.DiGraph:
    """Network namespaces, the ports bound in them and the containers that bind them, with conflicts.

    Bindings and conflicts come from :func:`kubelab.linuxns.bind` and
    :func:`kubelab.linuxns.port_conflicts`: a container's own port in its
    pod's namespace (``containerPort``), a ``hostPort`` rule or a
    ``hostNetwork`` socket in the node's.  A binding that loses is drawn as a
    ``conflict`` edge to the port that was already taken.
    """
    pods = list(pods)
    bindings = linuxns.bind(pods, node_name=node_name)
    conflicts = linuxns.port_conflicts(pods, node_name=node_name)
    failed = _failed(bindings, conflicts)
    g = nx.DiGraph(title="Ports: who listens where, and who collides", layout="layers", notes=[])
    order = {"ns": 0, "port": 0, "c": 0}
    for p in pods:
        for c in p.spec.all_containers():
            owner = f"{pod_key(p)}/{c.name}"
            where = "the node's network namespace (hostNetwork)" if p.spec.host_network else \
                "its pod's network namespace"
            g.add_node(owner, kind="container", label=owner, layer=2, order=order["c"],
                       detail=f"container {c.name} of pod {pod_key(p)} on node "
                              f"{p.spec.node_name or node_name or 'unscheduled'}, in {where}")
            order["c"] += 1
    for i, b in enumerate(bindings):
        ns_id = f"netns:{b.netns}"
        if ns_id not in g:
            kind = "netns-node" if b.netns.startswith("node ") else "netns-pod"
            g.add_node(ns_id, kind=kind, label=f"{b.netns}\nnetwork namespace", layer=0, order=order["ns"],
                       detail="the node's own network namespace (hostPort rules, hostNetwork sockets)"
                       if kind == "netns-node" else "the pod's network namespace, held by its pause container")
            order["ns"] += 1
        port_id = f"port:{b.netns}:{b}"
        if port_id not in g:
            g.add_node(port_id, kind="port", label=str(b), layer=1, order=order["port"],
                       detail=f"port {b.port}/{b.protocol} on {b.ip} in {b.netns}")
            order["port"] += 1
            g.add_edge(ns_id, port_id, kind="in", label="")
        label = b.source if b.source != "hostPort" else f"hostPort -> {b.container_port}"
        if i in failed:
            c = failed[i]
            held = next((f"port:{x.netns}:{x}" for x in bindings if x.owner == c.first and x.port == c.port
                         and x.protocol == c.protocol and x.netns == b.netns), port_id)
            g.add_edge(b.owner, held, kind="conflict", label="CONFLICT", error=c.error, reason=c.reason)
        else:
            g.add_edge(b.owner, port_id, kind="binds", label=label)
    g.graph["conflicts"] = conflicts
    g.graph["notes"] = [f"Conflict: {c.reason}: {c.error}." for c in conflicts] or \
        ["No conflicts: every listener got its port."]
    return g


def docker_port_graph(mappings: Sequence[Sequence[Any]], *, host: str = "docker-host") -> nx.DiGraph:
    """Plain Docker: containers with their own IPs publishing host ports (``docker run -p H:C``).

    Conflicts come from :func:`kubelab.linuxns.docker_host_ports`.
    """
    conflicts = linuxns.docker_host_ports(mappings, host=host)
    g = nx.DiGraph(title=f"Published ports on Docker host {host}", layout="layers", notes=[])
    g.add_node("netns:host", kind="netns-host", label=f"{host}\nhost network namespace", layer=0, order=0,
               detail="the host's network namespace, where published ports are bound")
    lost = {(c.second, c.port, c.protocol): c for c in conflicts}
    for i, m in enumerate(mappings):
        name, cport, hport = m[0], m[1], m[2]
        proto = (m[3] if len(m) > 3 else "TCP").upper()
        pid = f"hostport:{hport}/{proto}"
        if pid not in g:
            g.add_node(pid, kind="port", label=f"0.0.0.0:{hport}/{proto}", layer=1, order=i,
                       detail=f"host port {hport}/{proto} on every address of {host}")
            g.add_edge("netns:host", pid, kind="in", label="")
        cid = f"container:{name}"
        g.add_node(cid, kind="container", label=f"{name}\nown IP, :{cport}/{proto}", layer=2, order=i,
                   detail=f"container {name}, in its own network namespace, listening on {cport}/{proto}")
        c = lost.get((name, hport, proto))
        if c is not None:
            g.add_edge(cid, pid, kind="conflict", label="CONFLICT", error=c.error, reason=c.reason)
        else:
            g.add_edge(cid, pid, kind="publishes", label=f"-p {hport}:{cport}")
    g.graph["conflicts"] = conflicts
    g.graph["notes"] = [f"Conflict: {c.reason}: {c.error}." for c in conflicts] or \
        ["No conflicts: every published host port is different."]
    return g


def process_port_graph(processes: Sequence[Sequence[Any]], *, host: str = "host") -> nx.DiGraph:
    """Programs listening directly on one machine, without containers (the oldest form of the problem).

    Each process is ``(name, port[, protocol[, ip]])``; conflicts come from
    :func:`kubelab.linuxns.host_process_ports`.
    """
    conflicts = linuxns.host_process_ports(processes, host=host)
    g = nx.DiGraph(title=f"Programs listening on machine {host}", layout="layers", notes=[])
    g.add_node("netns:host", kind="netns-host", label=f"{host}\none IP, one port space", layer=0, order=0,
               detail="the machine's only network namespace")
    lost = {(c.second, c.port, c.protocol): c for c in conflicts}
    for i, p in enumerate(processes):
        name, port = p[0], p[1]
        proto = (p[2] if len(p) > 2 else "TCP").upper()
        ip = p[3] if len(p) > 3 else "0.0.0.0"
        pid = f"port:{ip}:{port}/{proto}"
        c = lost.get((name, port, proto))
        if c is not None and pid not in g:
            pid = next((n for n in g if n.startswith("port:") and n.endswith(f":{port}/{proto}")), pid)
        if pid not in g:
            g.add_node(pid, kind="port", label=f"{ip}:{port}/{proto}", layer=1, order=i,
                       detail=f"port {port}/{proto} on {ip}")
            g.add_edge("netns:host", pid, kind="in", label="")
        g.add_node(f"process:{name}", kind="process", label=name, layer=2, order=i, detail=f"program {name}")
        if c is not None:
            g.add_edge(f"process:{name}", pid, kind="conflict", label="CONFLICT", error=c.error, reason=c.reason)
        else:
            g.add_edge(f"process:{name}", pid, kind="binds", label="listen")
    g.graph["conflicts"] = conflicts
    g.graph["notes"] = [f"Conflict: {c.reason}: {c.error}." for c in conflicts] or ["No conflicts."]
    return g


def cluster_graph(cluster: Any, *, system: bool = False) -> nx.DiGraph:
    """Nodes (IP, pod CIDR), pods (IP) on them, and Services with the pods their EndpointSlices list.

    ``system=False`` leaves out the ``kube-system`` namespace and the
    ``kubernetes`` Service, whose endpoint is the API server, not a pod.
    """
    g = nx.DiGraph(title="Cluster: nodes, pods and services", layout="layers", notes=[])
    nodes = cluster.nodes()
    for i, n in enumerate(nodes):
        cidr = n.spec.pod_cidr or "no pod CIDR"
        g.add_node(f"node:{n.name}", kind="node", label=f"{n.name}\n{n.internal_ip or '?'}\npods {cidr}",
                   layer=0, order=i, detail=f"node {n.name}, node IP {n.internal_ip or 'unknown'}, pod IPs from "
                                             f"{cidr}")
    index = {n.name: i for i, n in enumerate(nodes)}

    def visible(obj: Any) -> bool:
        return system or obj.namespace not in ("kube-system",)

    pods = sorted((p for p in cluster.pods() if visible(p)),
                  key=lambda p: (index.get(p.spec.node_name or "", len(index)), cluster.creation_index(p)))
    for i, p in enumerate(pods):
        kind = "pod-host" if p.spec.host_network else "pod"
        ip = p.status.pod_ip or "no IP yet"
        g.add_node(f"pod:{pod_key(p)}", kind=kind, label=f"{pod_key(p)}\n{ip}", layer=1, order=i,
                   detail=f"pod {pod_key(p)}, IP {ip}" + (" (the node's IP: hostNetwork)" if p.spec.host_network
                                                          else ""))
        if p.spec.node_name:
            g.add_edge(f"pod:{pod_key(p)}", f"node:{p.spec.node_name}", kind="runs-on", label="")
        else:
            g.graph["notes"].append(f"Pod {pod_key(p)} is not scheduled on any node.")
    pod_order = {f"pod:{pod_key(p)}": i for i, p in enumerate(pods)}
    services = [s for s in cluster.services() if visible(s) and not (s.namespace == "default"
                                                                      and s.name == "kubernetes" and not system)]
    rows = []
    for s in services:
        sid = f"svc:{s.namespace}/{s.name}"
        ports = ", ".join(f"{p.port}/{p.protocol or 'TCP'}" for p in s.spec.ports)
        stype = s.spec.type or "ClusterIP"
        targets = []
        for sl in cluster.endpoint_slices(s.name, s.namespace):
            sl_ports = ", ".join(str(p.port) for p in sl.ports)
            for ep in sl.endpoints:
                ref = ep.target_ref
                if ref is None or ref.kind != "Pod":
                    continue
                pid = f"pod:{ref.namespace}/{ref.name}"
                if pid in g:
                    ready = ep.conditions.ready is not False
                    targets.append((pid, "selects" if ready else "not-ready",
                                    f"{', '.join(ep.addresses)} :{sl_ports}"))
        rows.append((min((pod_order.get(t[0], 0) for t in targets), default=len(pods)), sid, s, stype, ports, targets))
    for i, (_, sid, s, stype, ports, targets) in enumerate(sorted(rows, key=lambda r: r[0])):
        g.add_node(sid, kind="service", label=f"svc {s.namespace}/{s.name}\n{stype} {s.spec.cluster_ip}\n{ports}",
                   layer=2, order=i, detail=f"Service {s.namespace}/{s.name}, type {stype}, ClusterIP "
                                            f"{s.spec.cluster_ip}, ports {ports or 'none'}")
        for pid, kind, label in targets:
            g.add_edge(sid, pid, kind=kind, label=label)
        if not targets:
            g.graph["notes"].append(f"Service {s.namespace}/{s.name} has no endpoints: no ready pod matches its "
                                    f"selector.")
    return g
