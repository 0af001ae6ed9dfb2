"""The whole model at the Kubernetes scalability envelope: build, memory, rules per mode, one connect().

The envelope (kubernetes/community ``sig-scalability/configs-and-limits/thresholds.md``):
5,000 nodes, 150,000 pods, 10,000 Services, 100,000 endpoints.  Here:

* 5,000 declared Nodes (``node-0000`` the tainted control plane, 4,999 workers)
  without ``podCIDR`` or addresses: the cluster allocates one ``/24`` per node
  from ``--pod-cidr 10.64.0.0/11`` (8,192 ``/24`` s; the range upstream's GCE
  scripts, ``cluster/gce/config-common.sh`` ``get-cluster-ip-range``, choose
  above 4,000 nodes; it ends where the Service range ``10.96.0.0/12`` begins)
  and an InternalIP from ``172.18.0.0/16``, as kind does;
* 150,000 pods without ``nodeName`` (the scheduler places them: ~30 per
  worker): 100,000 labelled ``app: svc-NNNNN`` (10 per Service), 50,000
  labelled ``app: batch`` that no Service selects;
* 10,000 selector Services (ClusterIP allocated), so the Endpoints and
  EndpointSlice controllers write 10,000 Endpoints and 10,000 slices of 10
  ready endpoints each.

The build is three applies, timed separately: the nodes (``Cluster(nodes)``,
with the system objects), the pods, the Services (admission + the endpoint
controllers); the last two are split into :func:`kubelab.api.load` (dicts to
typed, defaulted, validated objects) and the cluster's part (what
``Cluster.apply`` does after loading).  Then, per registered mode (:data:`kubelab.proxy.PROXIERS`), for
the worker ``node-0001``: the sync time, the rendering time and size (for
iptables the ``iptables-restore`` input kube-proxy writes, as in
``bench_proxy``) and the wall time of new connections (``Network.connect``)
from a pod of that node to the Service in the middle of the Service order (so
of ``KUBE-SERVICES``).  Its ten pods run on ten other nodes, and the trace walks
the rules of the node a packet arrives at too, so a connection into a node met
for the first time syncs that node's Proxier first: those connections are
reported apart ("cold", in seconds) from those that find their nodes synced
("warm", the median of ``WARM``); the first connection of a Network is reported
alone.  When the connection budget runs out before ``WARM`` warm connections,
the nodes of the remaining backends are synced untimed (their number is
reported) and the warm connections made then.  ipvs and userspace pick backends round-robin,
so they need ten cold connections before the warm ones; iptables picks at random.

Memory: everything runs in a fresh child process (``python bench_envelope.py
--child``), so that its figures owe nothing to whatever ran before in the parent
(``benchmarks/run.py`` runs every bench in one process).  The build's peak is
the child's ``ru_maxrss`` (peak RSS, the interpreter and imports included; its
RSS after the imports is reported too).  For each later step the peak is the
RSS high-water mark (``VmHWM``) after resetting it (``echo 5 >
/proc/self/clear_refs``) minus the RSS before the step: the extra memory the
step needed on top of the cluster.  ``BENCH_SCALE=small`` runs a tenth of the
envelope.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported inside build(): the benchmark times the import apart
    from kubelab import Cluster

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NODES, PODS, SERVICES, PER_SERVICE = 5000, 150_000, 10_000, 10
POD_CIDR = "10.64.0.0/11"  # 8,192 node /24s: upstream GCE's --cluster-cidr above 4,000 nodes
NODE = "node-0001"
TARGETS = 1  # Services connected to, spread over the Service order (one: the middle of KUBE-SERVICES)
CONNECTIONS = 40  # at most, per mode
WARM = 7  # enough connections that found their nodes synced
CONNECT_BUDGET = 60  # seconds per mode: cold connections sync a node each (up to the Service's ten)
NAN = float("nan")


def scale() -> tuple[int, int, int]:
    """(nodes, pods, services): the envelope, or a tenth of it with ``BENCH_SCALE=small``."""
    if os.environ.get("BENCH_SCALE") == "small":
        return NODES // 10, PODS // 10, SERVICES // 10
    return NODES, PODS, SERVICES


def node_docs(nodes: int) -> list[dict]:
    """Declared nodes with neither podCIDR nor addresses: the cluster allocates both."""
    docs = [{"apiVersion": "v1", "kind": "Node",
             "metadata": {"name": "node-0000", "labels": {"node-role.kubernetes.io/control-plane": ""}},
             "spec": {"taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]}}]
    docs += [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"node-{n:04d}"}} for n in range(1, nodes)]
    return docs


def _pod(name: str, app: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": app}},
            "spec": {"containers": [{"name": "app", "image": "nginx", "ports": [{"containerPort": 8080}]}]}}


def pod_docs(pods: int, services: int) -> list[dict]:
    """``PER_SERVICE`` pods per Service (``svc-NNNNN-J``), then the unselected rest (``batch-N``)."""
    docs = [_pod(f"svc-{i:05d}-{j}", f"svc-{i:05d}") for i in range(services) for j in range(PER_SERVICE)]
    docs += [_pod(f"batch-{k:06d}", "batch") for k in range(pods - len(docs))]
    return docs


def service_docs(services: int) -> list[dict]:
    return [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{i:05d}", "namespace": "default"},
             "spec": {"selector": {"app": f"svc-{i:05d}"}, "ports": [{"port": 80, "targetPort": 8080}]}}
            for i in range(services)]


# ---------------------------------------------------------------- memory
def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class StepMemory:
    """Peak RSS a step adds on top of the RSS before it (VmHWM after a reset, minus VmRSS)."""

    def __enter__(self):
        self.ok = _reset_peak()
        self.before = _status_kib("VmRSS")
        return self

    def __exit__(self, *exc):
        self.extra_mib = (_status_kib("VmHWM") - self.before) / 1024 if self.ok else NAN
        return False


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# ---------------------------------------------------------------- the measured steps (child process)
def build(nodes: int, pods: int, services: int, rows: list) -> Cluster:
    from kubelab import Cluster
    from kubelab.api import load
    from kubelab.util.gc import gc_paused

    total = 0.0
    docs = node_docs(nodes)
    started = time.perf_counter()
    cluster = Cluster(docs, pod_cidr=POD_CIDR)
    seconds = time.perf_counter() - started
    total += seconds
    rows.append((f"build 1/3: {nodes} nodes (podCIDR + InternalIP allocated) + system objects", seconds, "s"))
    del docs
    for label, docs in ((f"build 2/3: {pods} pods (scheduled, pod IPs allocated)", pod_docs(pods, services)),
                        (f"build 3/3: {services} Services + Endpoints/EndpointSlice controllers",
                         service_docs(services))):
        # What Cluster.apply does, timed in two parts: kubelab.api turning the dicts into typed,
        # defaulted, validated objects, then the cluster admitting them and running its controllers.
        with gc_paused():
            started = time.perf_counter()
            objs = load(docs)
            loaded = time.perf_counter()
            cluster._apply(list(objs), objs.warnings)
            done = time.perf_counter()
        total += done - started
        rows.append((label, done - started, "s"))
        rows.append((f"  of which kubelab.api.load (decode, default, validate {len(objs)} objects)",
                     loaded - started, "s"))
        rows.append(("  of which the cluster (admission, allocation, controllers, commit)", done - loaded, "s"))
        del docs, objs
    rows.append(("build total", total, "s"))
    return cluster


def measure_mode(cluster, mode: str, cls: type, rows: list) -> None:
    from bench_proxy import _text_format  # the rendering bench_proxy measures: the restore input for iptables
    from kubelab.proxy.rendering import rule_count
    from kubelab.net import Network

    fmt = _text_format(cls)
    with StepMemory() as mem:
        started = time.perf_counter()
        proxier = cls(cluster, NODE)
        proxier.sync()
        synced = time.perf_counter()
        text = proxier.render(fmt)
        rendered = time.perf_counter()
    shown = fmt or "default"
    rows.append((f"{mode}: sync {NODE}", synced - started, "s"))
    rows.append((f"{mode}: render {shown}", rendered - synced, "s"))
    rows.append((f"{mode}: sync + render, peak RSS added", mem.extra_mib, "MiB"))
    rows.append((f"{mode}: rule text ({shown})", len(text.encode()) / 2**20, "MiB"))
    rows.append((f"{mode}: rules", rule_count(proxier, text), "rules"))
    del text
    rows += _connections(cluster, mode, proxier, Network)
    proxier.close()


def _connections(cluster, mode: str, proxier, network_cls) -> list[tuple[str, float, str]]:
    """New connections from a pod of ``NODE`` to Services spread over the Service order.

    The backends run on other nodes, whose rules the trace also walks (``filter FORWARD`` where the
    packet arrives), so a connection into a node not met before first syncs that node's Proxier.
    Such connections are reported apart ("cold") from those that find every node synced ("warm",
    what a connection costs in a cluster whose kube-proxies are all up to date).
    """
    source = next(p.name for p in cluster.pods("default") if p.spec.node_name == NODE)
    services = [s.name for s in cluster.services("default") if s.name.startswith("svc-")]
    targets = [services[len(services) * (2 * k + 1) // (2 * TARGETS)] for k in range(TARGETS)]
    net = network_cls(cluster, mode=mode, seed=1)
    net._proxiers[NODE] = proxier  # the sync just measured: Network would otherwise sync the node again
    started = time.perf_counter()
    net.evaluator(NODE)  # the client node's kernel view (built-in jumps + rules): built once, not per connection
    evaluator = time.perf_counter() - started
    first, cold, warm, verdicts, evaluated = NAN, [], [], {}, []
    deadline = time.perf_counter() + CONNECT_BUDGET
    with StepMemory() as mem:
        for k in range(CONNECTIONS):
            synced = len(net._proxiers)
            started = time.perf_counter()
            trace = net.connect(source, targets[k % len(targets)], 80)
            seconds = time.perf_counter() - started
            if k == 0:
                first = seconds  # also sets up what a Network builds once (CNI plugin model, indexes)
            else:
                (cold if len(net._proxiers) > synced else warm).append(seconds)
            evaluated.append(trace.rules_evaluated)
            verdicts[trace.verdict] = verdicts.get(trace.verdict, 0) + 1
            if len(warm) >= WARM or time.perf_counter() > deadline:
                break
        # Past the budget with too few warm connections: sync the nodes of the remaining backends and
        # build their netfilter views (untimed: that is what "cold" measures), then connect again.
        presynced = 0
        if len(warm) < WARM:
            backends = {e.node_name for target in targets for sl in cluster.endpoint_slices(target, "default")
                        for e in sl.endpoints if e.node_name}
            for node in sorted(backends - set(net._proxiers)):
                prepare = getattr(net.evaluator(node), "prepare", None)  # the node's kernel view, indexed
                if prepare is not None:
                    prepare()
                presynced += 1
            while len(warm) < WARM:
                started = time.perf_counter()
                trace = net.connect(source, targets[len(warm) % len(targets)], 80)
                warm.append(time.perf_counter() - started)
                evaluated.append(trace.rules_evaluated)
                verdicts[trace.verdict] = verdicts.get(trace.verdict, 0) + 1
    synced_nodes = len(net._proxiers)
    del net._proxiers[NODE]  # closed by the caller
    net.close()  # the other nodes' proxiers stop watching the cluster, so their tables can be freed
    outcome = ", ".join(f"{v} {n}" for n, v in sorted(verdicts.items()))

    def median(xs: list[float]) -> float:
        return statistics.median(xs) if xs else NAN

    return [
        (f"{mode}: Network's netfilter view of {NODE} (once, before its first connection)", evaluator, "s"),
        (f"{mode}: first connect() of the Network", first, "s"),
        (f"{mode}: connect() warm (nodes synced), median of {len(warm)} ({outcome} in all)", median(warm) * 1000, "ms"),
        (f"{mode}: backend nodes synced untimed for the warm connections (past the budget)", presynced, "nodes"),
        (f"{mode}: connect() cold (syncs the backend's node first), median of {len(cold)}", median(cold), "s"),
        (f"{mode}: rules evaluated per connection, median", statistics.median(evaluated), "rules"),
        (f"{mode}: connections, peak RSS added ({synced_nodes} nodes synced)", mem.extra_mib, "MiB"),
    ]


def child() -> list[tuple[str, float, str]]:
    from kubelab.proxy.rendering import proxy_modes

    modes = proxy_modes()  # every mode registered before kubelab.net is used
    import kubelab.net  # noqa: F401 - loaded before the RSS figure, as a notebook would
    rows: list[tuple[str, float, str]] = [("RSS after imports", _status_kib("VmRSS") / 1024, "MiB")]
    nodes, pods, services = scale()
    cluster = build(nodes, pods, services, rows)
    rows.append(("build peak RSS (ru_maxrss of the child)", maxrss_mib(), "MiB"))
    rows.append(("RSS after build", _status_kib("VmRSS") / 1024, "MiB"))
    rows.append(("objects in the store", len(cluster), "objects"))
    for mode, cls in modes.items():
        started = time.perf_counter()
        measure_mode(cluster, mode, cls, rows)
        print(f"# bench_envelope: {mode} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    rows.append(("child peak RSS overall (ru_maxrss)", maxrss_mib(), "MiB"))
    return rows


def run() -> list[tuple[str, float, str]]:
    """Run the measurements in a fresh child process and return its figures."""
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child"], capture_output=True,
                          text=True, env=os.environ.copy())
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"bench_envelope child failed with status {proc.returncode}")
    return [tuple(row) for row in json.loads(proc.stdout)]


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        json.dump(child(), sys.stdout)
    else:
        for name, value, unit in run():
            print(f"{name:<80} {value:>14.3f}  {unit}")
