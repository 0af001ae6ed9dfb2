"""Derived views of a cluster (:mod:`kubelab.util.views`): build time, a cached read, retained memory.

The cluster is :mod:`benchmarks.bench_envelope`'s, at a tenth of the envelope
by default (500 nodes, 15,000 pods, 1,000 Services; ``BENCH_VIEWS_SCALE=full``
for 5,000 / 150,000 / 10,000).  For each view that is cached on the cluster's
revision -- CoreDNS's records (:mod:`kubelab.dns.records`), the policy index
(:mod:`kubelab.policy.model`), the CNI plugin models' pod and node index
(:mod:`kubelab.cni.plugins.base`), the trace's node index
(:class:`kubelab.net.Network`) -- and for one kube-proxy sync per mode: the
time to build it, the time of a read that finds it current (what every packet
or query pays), the memory it keeps (``tracemalloc``, in a second build), and
the cost of ``Cluster.revision_of`` that decides whether a proxier re-syncs.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_envelope as envelope  # the same cluster as the envelope


def _scale() -> tuple[int, int, int]:
    if os.environ.get("BENCH_VIEWS_SCALE") == "full":
        return envelope.NODES, envelope.PODS, envelope.SERVICES
    return envelope.NODES // 10, envelope.PODS // 10, envelope.SERVICES // 10


def _timed(fn: Callable[[], Any], repeat: int = 1) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _retained_mib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = fn()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return (after - before) / 2 ** 20


def _views(cluster: Any) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """name -> (build a fresh view, read the cached one)."""
    from kubelab.cni.plugins import base as cni_base
    from kubelab.dns import records
    from kubelab.net import Network
    from kubelab.policy import model

    net = Network(cluster)

    def cni_build() -> Any:
        idx = cni_base._ClusterIndex()
        idx.pods(cluster)
        idx.node_named(cluster, "node-0001")
        return idx

    def trace_build() -> Any:
        net._nodes_of = None
        return net._node_index()

    return {
        "DNS records (kubelab.dns.records)": (lambda: records._Index(cluster), lambda: records._index_for(cluster)),
        "policy index (kubelab.policy.model)": (lambda: model.PolicyIndex(cluster), lambda: model.index_for(cluster)),
        "CNI plugins' pod/node index": (cni_build, lambda: cni_base._index_for(cluster).pods(cluster)),
        "trace's node index (kubelab.net.Network)": (trace_build, net._node_index),
    }


def run() -> list[tuple[str, float, str]]:
    from kubelab.proxy import proxier_for, registered_modes

    nodes, pods, services = _scale()
    rows: list[tuple[str, float, str]] = []
    cluster = envelope.build(nodes, pods, services, [])
    rows.append((f"cluster: {nodes} nodes, {pods} pods, {services} Services", len(cluster), "objects"))
    for name, (build, read) in _views(cluster).items():
        rows.append((f"{name}: build", _timed(build), "s"))
        read()
        rows.append((f"{name}: cached read, median of 1000", _timed(read, 1000) * 1e6, "us"))
        rows.append((f"{name}: memory kept", _retained_mib(build), "MiB"))
    for mode in registered_modes():
        proxier = proxier_for(cluster, mode, node="node-0001")
        rows.append((f"kube-proxy {mode}: sync node-0001", _timed(proxier.sync), "s"))
        rows.append((f"kube-proxy {mode}: ensure_synced when current, median of 1000",
                     _timed(proxier.ensure_synced, 1000) * 1e6, "us"))
    return rows


if __name__ == "__main__":
    for figure, value, unit in run():
        print(f"{figure:<72} {value:>12.3f}  {unit}")
