"""kube-proxy at the Kubernetes scalability envelope: every registered mode, one node, 10,000 Services.

The envelope (kubernetes/community ``sig-scalability/configs-and-limits/thresholds.md``):
10,000 Services, 100,000 endpoints in all; here 10 endpoints per Service, 100
pods per node (so 1,000 nodes), plus a 1,000-Service / 10,000-endpoint point to
show the growth.  ``BENCH_SCALE=small`` runs only the 1,000 point.

Per point: the cluster build time, two ways -- pods behind selector Services
(the EndpointSlice controller writes the slices; this is the cluster measured)
and selector-less Services with user-written EndpointSlices (no pods: cheaper
to build, but a connection then finds no pod behind the endpoint IP).  Per
registered mode (:data:`kubelab.proxy.PROXIERS`, every module of
:mod:`kubelab.proxy` imported first): the time to sync one node, its peak
memory (tracemalloc, a second sync: tracemalloc slows allocation-heavy code
about 4x), the bytes and rule count of the rule text (the mode's default
rendering, but for iptables the ``iptables-restore`` input kube-proxy writes
rather than the ``iptables-save`` text), for iptables the real
``iptables-restore --noflush`` time of that text in a throwaway ``kl-`` netns
(root and iptables-restore only, else ``nan`` with "n/a"), and the wall time
of one new connection (``Network.connect``, median over up to 200 in one
Network, from a pod to Services spread over the whole ``KUBE-SERVICES`` order
whose backends share the client's node) with the modelled rules evaluated.

Steps that exceed their time budget are cut off and reported as ``nan`` with
"timed out"; at 1,000 Services the ``iptables-save`` rendering is timed too
(``Table.save`` is quadratic, see the notes on issues).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kubelab import Cluster
from kubelab.proxy.rendering import formats_of, proxy_modes, rule_count

proxy_modes()  # every mode registered (each module of kubelab.proxy imported) before kubelab.net
from kubelab.net import Network  # noqa: E402

PER_SERVICE = 10
PODS_PER_NODE = 100
POD_CIDR = "100.64.0.0/10"  # room for 1,000 node /24s, clear of the 10.96.0.0/12 Service range
CONNECTIONS = 200
#: seconds per step before it is cut off (the brief: about three minutes per mode at the envelope)
SYNC_BUDGET = 600
MEMORY_BUDGET = 900
RESTORE_BUDGET = int(os.environ.get("BENCH_RESTORE_BUDGET", "600"))  # the kernel side can be slow
SAVE_BUDGET = 180
CONNECT_BUDGET = 90
NAN = float("nan")


def scales() -> list[int]:
    return [1000] if os.environ.get("BENCH_SCALE") == "small" else [1000, 10000]


class Timeout(Exception):
    pass


@contextmanager
def budget(seconds: float):
    """Raise :class:`Timeout` in the block after ``seconds`` (SIGALRM: main thread only)."""
    def expire(signum, frame):
        raise Timeout
    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def manifests(services: int, *, pods: bool) -> list[dict]:
    """Nodes, Services and their backends as dicts.  Service ``i``'s pods all run on node ``i % nodes + 1``."""
    nodes = services * PER_SERVICE // PODS_PER_NODE
    base = ipaddress.ip_address("100.64.0.0")
    docs: list[dict] = [{
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "control-plane", "labels": {"node-role.kubernetes.io/control-plane": ""}},
        "spec": {"podCIDR": f"{base}/24",
                 "taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]},
        "status": {"addresses": [{"type": "InternalIP", "address": "172.16.0.2"}]}}]
    for n in range(1, nodes + 1):
        docs.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"node-{n:04d}"},
                     "spec": {"podCIDR": f"{base + 256 * n}/24"},
                     "status": {"addresses": [{"type": "InternalIP",
                                               "address": str(ipaddress.ip_address("172.16.0.2") + n)}]}})
    for i in range(services):
        name, node = f"svc-{i:05d}", i % nodes + 1
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
               "spec": {"clusterIP": str(ipaddress.ip_address("10.96.16.0") + i),
                        "ports": [{"port": 80, "targetPort": 8080}]}}
        if pods:
            svc["spec"]["selector"] = {"app": name}
            docs += [{"apiVersion": "v1", "kind": "Pod",
                      "metadata": {"name": f"{name}-{j}", "namespace": "default", "labels": {"app": name}},
                      "spec": {"nodeName": f"node-{node:04d}",
                               "containers": [{"name": "app", "image": "nginx", "ports": [{"containerPort": 8080}]}]}}
                     for j in range(PER_SERVICE)]
        else:
            first = base + 256 * node + 2 + (i // nodes) * PER_SERVICE
            docs.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                         "metadata": {"name": f"{name}-1", "namespace": "default",
                                      "labels": {"kubernetes.io/service-name": name}},
                         "addressType": "IPv4", "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
                         "endpoints": [{"addresses": [str(first + j)], "conditions": {"ready": True},
                                        "nodeName": f"node-{node:04d}"} for j in range(PER_SERVICE)]})
        docs.append(svc)
    return docs


def build(services: int, *, pods: bool) -> tuple[Cluster, float]:
    docs = manifests(services, pods=pods)
    started = time.perf_counter()
    cluster = Cluster(docs, pod_cidr=POD_CIDR)
    return cluster, time.perf_counter() - started


def _text_format(cls: type) -> str | None:
    """The rendering measured: the mode's default, but the restore input instead of ``iptables-save`` text."""
    formats = formats_of(cls)
    if not formats:
        return None
    return "restore" if formats[0] == "save" and "restore" in formats else formats[0]


def iptables_restore_seconds(text: str) -> tuple[float, str]:
    """``iptables-restore --noflush`` of ``text`` in a fresh ``kl-`` netns, or ``nan`` and why not."""
    if os.geteuid() != 0:
        return NAN, "s (n/a: not root)"
    if not shutil.which("iptables-restore") or not shutil.which("ip"):
        return NAN, "s (n/a: no iptables-restore)"
    from kubelab.lab import NetNS

    try:
        with NetNS() as ns:
            started = time.perf_counter()
            proc = subprocess.run(["ip", "netns", "exec", ns.name, "iptables-restore", "--noflush"], input=text,
                                  text=True, capture_output=True, timeout=RESTORE_BUDGET)
            seconds = time.perf_counter() - started
    except subprocess.TimeoutExpired:
        return NAN, f"s (timed out after {RESTORE_BUDGET} s)"
    except (OSError, subprocess.CalledProcessError) as exc:
        return NAN, f"s (n/a: {exc})"
    if proc.returncode != 0:
        return NAN, f"s (n/a: iptables-restore failed: {proc.stderr.strip()[:80]})"
    return seconds, "s"


def measure_mode(cluster: Cluster, mode: str, cls: type, services: int, label: str) -> list[tuple[str, float, str]]:
    rows: list[tuple[str, float, str]] = []
    node = "node-0001"
    proxier = cls(cluster, node)
    try:
        with budget(SYNC_BUDGET):
            started = time.perf_counter()
            proxier.sync()
            rows.append((f"{label} {mode}: sync one node", time.perf_counter() - started, "s"))
    except Timeout:
        rows.append((f"{label} {mode}: sync one node", NAN, f"s (timed out after {SYNC_BUDGET} s)"))
        proxier.close()
        return rows

    memory = cls(cluster, node)
    try:
        with budget(MEMORY_BUDGET):
            tracemalloc.start()
            memory.sync()
            peak = tracemalloc.get_traced_memory()[1]
        rows.append((f"{label} {mode}: sync peak memory (tracemalloc)", peak / 2**20, "MiB"))
    except Timeout:
        rows.append((f"{label} {mode}: sync peak memory (tracemalloc)", NAN,
                     f"MiB (timed out after {MEMORY_BUDGET} s)"))
    finally:
        tracemalloc.stop()
        memory.close()

    fmt = _text_format(cls)
    started = time.perf_counter()
    text = proxier.render(fmt)
    shown = fmt or "default"
    rows.append((f"{label} {mode}: render {shown}", time.perf_counter() - started, "s"))
    rows.append((f"{label} {mode}: rule text ({shown})", len(text.encode()), "bytes"))
    rows.append((f"{label} {mode}: rules", rule_count(proxier, text), "rules"))
    if mode == "iptables":
        seconds, unit = iptables_restore_seconds(text)
        rows.append((f"{label} {mode}: iptables-restore in a kl- netns", seconds, unit))
        if services <= 1000 and "save" in formats_of(cls):
            try:
                with budget(SAVE_BUDGET):
                    started = time.perf_counter()
                    saved = proxier.render("save")
                    rows.append((f"{label} {mode}: render save (iptables-save text, {len(saved)} bytes)",
                                 time.perf_counter() - started, "s"))
            except Timeout:
                rows.append((f"{label} {mode}: render save", NAN, f"s (timed out after {SAVE_BUDGET} s)"))
    del text

    rows += _connections(cluster, mode, proxier, node, services, label)
    proxier.close()
    return rows


def _connections(cluster: Cluster, mode: str, proxier, node: str, services: int,
                 label: str) -> list[tuple[str, float, str]]:
    """Median wall time of one new connection, from a pod of ``node`` to Services whose pods share it."""
    nodes = services * PER_SERVICE // PODS_PER_NODE
    targets = [f"svc-{i:05d}" for i in range(0, services, nodes)]  # spread over the KUBE-SERVICES order
    source = "svc-00000-0"
    net = Network(cluster, mode=mode, seed=1)
    net._proxiers[node] = proxier  # the sync just measured: Network would otherwise sync the node again
    times, evaluated, verdicts = [], [], {}
    deadline = time.perf_counter() + CONNECT_BUDGET
    try:
        with budget(CONNECT_BUDGET * 3):
            for k in range(CONNECTIONS):
                started = time.perf_counter()
                trace = net.connect(source, targets[k % len(targets)], 80)
                times.append(time.perf_counter() - started)
                evaluated.append(trace.rules_evaluated)
                verdicts[trace.verdict] = verdicts.get(trace.verdict, 0) + 1
                if time.perf_counter() > deadline and k >= 19:
                    break
    except Timeout:
        pass
    if not times:
        return [(f"{label} {mode}: connect()", NAN, f"ms (timed out after {CONNECT_BUDGET * 3} s)")]
    outcome = ", ".join(f"{v} {n}" for n, v in sorted(verdicts.items()))
    return [
        (f"{label} {mode}: connect() median of {len(times)} ({outcome})", statistics.median(times) * 1000, "ms"),
        (f"{label} {mode}: rules evaluated per connection, median", statistics.median(evaluated), "rules"),
        (f"{label} {mode}: rules evaluated per connection, max", max(evaluated), "rules"),
    ]


def run() -> list[tuple[str, float, str]]:
    rows: list[tuple[str, float, str]] = []
    modes = proxy_modes()
    for services in scales():
        label = f"{services} svc/{services * PER_SERVICE} ep"
        slices, seconds = build(services, pods=False)
        rows.append((f"{label}: build, selector-less Services + EndpointSlices", seconds, "s"))
        del slices
        cluster, seconds = build(services, pods=True)
        rows.append((f"{label}: build, pods + selector Services (measured below)", seconds, "s"))
        for mode, cls in modes.items():
            started = time.perf_counter()
            rows += measure_mode(cluster, mode, cls, services, label)
            print(f"# bench_proxy: {label} {mode} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        del cluster
    return rows


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:<80} {value:>14.3f}  {unit}")
