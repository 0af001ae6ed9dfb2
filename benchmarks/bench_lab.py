"""The real-kernel lab: ``Lab.up`` and ``Lab.down`` for 2 nodes, 4 pods, 2 Services (tests/lab/small.py).

Goals: up < 5 s, down < 2 s.  ``up`` is everything ``kubelab lab up`` does:
the ``kl-`` namespaces, the fabric bridge and node veths, the real CNI plugins
(loopback, bridge + host-local + portmap) per pod, kube-proxy's rules loaded
with ``iptables-restore``, one server per pod; the phases are reported as
cumulative times.  Also the time of one ``lab.curl`` (a new client process in a
pod's namespace, one connection through a ClusterIP).  Median of
``BENCH_LAB_RUNS`` (default 3) builds.  Without root, the CNI plugins or
iptables, every figure is ``nan``.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

UP_GOAL, DOWN_GOAL = 5.0, 2.0


def _can_run() -> bool:
    return os.geteuid() == 0 and bool(shutil.which("iptables-restore")) and Path("/usr/lib/cni/bridge").exists()


def run() -> list[tuple[str, float, str]]:
    nan = float("nan")
    if not _can_run():
        return [("lab up (2 nodes, 4 pods, 2 Services)", nan, "s (n/a: needs root, iptables, CNI plugins)"),
                ("lab down", nan, "s (n/a)")]
    from kubelab.lab import Lab
    from tests.lab.small import small_cluster

    runs = int(os.environ.get("BENCH_LAB_RUNS", "3"))
    ups, downs, curls, phases = [], [], [], []
    for i in range(runs):
        lab = Lab(small_cluster(), f"bench{os.getpid() % 10000}-{i}")
        try:
            lab.up()
            ups.append(lab.timings["up"])
            phases.append(dict(lab.timings))
            t0 = time.perf_counter()
            assert lab.curl("web-0", "db", 80) == ["default/db-3"]
            curls.append(time.perf_counter() - t0)
        finally:
            downs.append(lab.down())
    up, down = statistics.median(ups), statistics.median(downs)
    out = [(f"lab up (2 nodes, 4 pods, 2 Services; goal < {UP_GOAL:.0f} s{'' if up < UP_GOAL else ': MISSED'})",
            up, "s"),
           (f"lab down (goal < {DOWN_GOAL:.0f} s{'' if down < DOWN_GOAL else ': MISSED'})", down, "s")]
    for phase in ("namespaces", "fabric", "cni", "kube-proxy"):
        out.append((f"lab up: {phase} done after", statistics.median(p[phase] for p in phases), "s"))
    out.append(("lab curl (one connection through a ClusterIP, new client process)", statistics.median(curls), "s"))
    return out


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:<80} {value:>10.3f}  {unit}")
