"""Who can reach a Service, and how: a matrix of real traces, not a lookup table.

For one Service port, every cell is a :meth:`~kubelab.net.trace.Network.connect`
through the modelled kube-proxy: from a pod on each node, from each node, and
from a client outside the cluster, to each address the Service has — its
ClusterIP, its NodePort on every node, its load balancer address, its external
IPs.  The verdict, the backend and the client address the backend sees come
from the trace, so ``externalTrafficPolicy: Local`` (source kept, nodes without
a local endpoint drop), ``internalTrafficPolicy: Local``, the ClusterIP being
unreachable from outside, and the CVE-2020-8554 lesson (a Service's externalIP
captures traffic that pods send to that address, whoever owns it) all show up
as they would on a cluster.

Simplification: a probe pod is added on each schedulable node of a copy of the
cluster to stand for "a pod on that node"; the client outside is ``203.0.113.10``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..cluster import Cluster
from ..errors import KubelabError
from ..util.table import format_table
from .trace import Network, Trace

__all__ = ["Cell", "Reachability", "reachability", "OUTSIDE_CLIENT"]

OUTSIDE_CLIENT = "203.0.113.10"
PROBE = "reachability-probe"


@dataclass
class Cell:
    source: str
    target: str
    verdict: str
    backend: str | None
    source_seen: str | None
    trace: Trace = field(repr=False)

    def short(self) -> str:
        if self.verdict != "delivered":
            return self.verdict
        seen = (self.source_seen or "").rsplit(":", 1)[0]
        return f"ok -> {self.backend.split('/')[-1]} (sees {seen})"


@dataclass
class Reachability:
    service: str
    port: int
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)

    def cell(self, source: str, target: str) -> Cell:
        for c in self.cells:
            if c.source == source and c.target == target:
                return c
        raise KeyError((source, target))

    def table(self) -> str:
        """An aligned text table: one row per source, one column per target."""
        header = ["from \\ to", *self.targets]
        rows = [[s, *(self.cell(s, t).short() for t in self.targets)] for s in self.sources]
        return "\n".join([f"{self.service} port {self.port}", format_table(header, rows), *self.notes])

    def legend(self) -> str:
        """What the rows, the columns and each cell of :meth:`table` mean, naming only the verdicts it shows."""
        meaning = {"no route": "nothing on the way routes that address (a ClusterIP exists only in the nodes' rules)",
                   "dropped": "a rule or a missing route dropped the packet; the client hears nothing",
                   "rejected": "a REJECT rule answered at once (a Service without endpoints)",
                   "refused": "the pod's kernel answered with a reset: nothing listens on that port",
                   "timeout": "no answer: the client gives up after its timeout"}
        shown = [v for v in meaning if any(c.verdict == v for c in self.cells)]
        lines = ["rows: where the new connection starts (a pod on each node, each node, a client outside the cluster)",
                 "columns: the address and port it is sent to",
                 "ok -> POD (sees ADDR): delivered to POD, which sees ADDR as the source: the client's own address, "
                 "or a node's address when the connection was masqueraded"]
        lines += [f"{v}: {meaning[v]}" for v in shown]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "port": self.port, "notes": self.notes,
                "cells": [{"from": c.source, "to": c.target, "verdict": c.verdict, "backend": c.backend,
                           "source_seen": c.source_seen} for c in self.cells]}

    def __str__(self) -> str:
        return self.table()


def reachability(cluster: "Cluster", name: str, namespace: str = "default", port: int | None = None, *,
                 mode: str | None = None, seed: int = 0) -> Reachability:
    """The reachability matrix of one Service port (its first port by default)."""
    return _reachability(cluster, name, namespace, port, mode=mode, seed=seed, private=False)


def _probes(cluster: "Cluster", namespace: str) -> list[tuple[str, str, dict[str, Any]]]:
    """``(source label, ns/name, manifest)`` of the probe pod on each schedulable node (each node if none is)."""
    workers = [n for n in cluster.nodes() if n.schedulable] or cluster.nodes()
    return [(f"pod on {n.name}", f"{namespace}/{PROBE}-{n.name}",
             {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"{PROBE}-{n.name}", "namespace": namespace},
              "spec": {"nodeName": n.name, "containers": [{"name": "probe", "image": "busybox"}]}})
            for n in workers]


def _reachability(cluster: "Cluster", name: str, namespace: str = "default", port: int | None = None, *,
                  mode: str | None = None, seed: int = 0, private: bool = False,
                  changes: tuple[Any, ...] = ()) -> Reachability:
    """:func:`reachability`; ``private=True`` says ``cluster`` is a throwaway copy already, so the
    probe pods go into it (no second copy of the store), and ``changes`` (manifests) are applied to
    it in the same apply as the probe pods, before anything is read."""
    probed = None
    if changes:
        if not private:
            raise ValueError("changes need a private cluster")
        probed = _probes(cluster, namespace)
        cluster.apply(*changes, *(doc for _, _, doc in probed))  # one run of the controllers for all
    svc = cluster.service(name, namespace)
    ports = svc.spec.ports
    sp = ports[0] if port is None and ports else next((p for p in ports if p.port == port), None)
    result = Reachability(svc.ref, sp.port if sp else (port or 0))
    if svc.spec.type == "ExternalName":
        result.notes.append(f"ExternalName: DNS answers a CNAME to {svc.spec.external_name}; nothing is proxied, "
                            "so there is nothing to reach inside the cluster")
        return result
    if svc.is_headless:
        result.notes.append("headless: no virtual IP; clients get the pod IPs from DNS and connect to them directly")
        return result
    if sp is None:
        raise KubelabError(f"{svc.ref} has no port {port}")
    copy = cluster if private else cluster.copy()
    if probed is None:
        probed = _probes(copy, namespace)
        if probed:
            copy.apply(*(doc for _, _, doc in probed))  # one apply, one run of the controllers, for all the probes
    probes = [(label, ref) for label, ref, _ in probed]
    sources = [*probes, *((f"node {n.name}", n.name) for n in copy.nodes()), (f"outside ({OUTSIDE_CLIENT})", OUTSIDE_CLIENT)]
    targets = [(f"ClusterIP {svc.spec.cluster_ip}:{sp.port}", svc.spec.cluster_ip, sp.port)]
    if sp.node_port:
        targets += [(f"NodePort {n.internal_ip}:{sp.node_port}", n.internal_ip, sp.node_port) for n in copy.nodes()]
    lb = svc.status.load_balancer
    for ing in (lb.ingress if lb and svc.spec.type == "LoadBalancer" else []):
        if ing.ip:
            targets.append((f"LoadBalancer {ing.ip}:{sp.port}", ing.ip, sp.port))
    targets += [(f"externalIP {ip}:{sp.port}", ip, sp.port) for ip in svc.spec.external_ips]
    result.sources = [label for label, _ in sources]
    result.targets = [label for label, _, _ in targets]
    net = Network(copy, mode=mode, seed=seed)
    for s_label, src in sources:
        for t_label, ip, p in targets:
            t = net.connect(src, ip, p, sp.protocol or "TCP")
            result.cells.append(Cell(s_label, t_label, t.verdict, t.backend, t.source_seen, t))
    if svc.spec.type == "LoadBalancer" and not (lb and lb.ingress):
        result.notes.append("LoadBalancer: no address yet (EXTERNAL-IP <pending>)")
    return result
