"""Per-callback time of the course widgets (kubelab.viz.widgets), driven by kubelab.viz.interact.

Each figure is the median (and the worst) of the callbacks the app itself timed
with time.perf_counter: a checkbox toggle in the namespace explorer recomputes
linuxns.describe/channels, the tables and the SVG; a button in the port
playground re-validates the pod, recomputes port_conflicts, the table and the SVG.
The aim is under 50 ms, so a learner never waits; this is for reading, not asserting.
"""

from __future__ import annotations

import gc
import os
import statistics

POD = """
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  nodeName: kind-worker
  volumes: [{name: shared, emptyDir: {medium: Memory}}]
  containers:
  - {name: app, image: nginx, ports: [{containerPort: 8080}], volumeMounts: [{name: shared, mountPath: /data}]}
  - {name: proxy, image: envoy, ports: [{containerPort: 9090}], volumeMounts: [{name: shared, mountPath: /in}]}
  - {name: logger, image: fluent-bit}
"""

ROUNDS = 10


def _figures(name: str, timings: list[float]) -> list[tuple[str, float, str]]:
    ms = [t * 1000 for t in timings]
    return [(f"{name} median", statistics.median(ms), "ms"), (f"{name} max", max(ms), "ms")]


def run() -> list[tuple[str, float, str]]:
    os.environ.pop("NBGRADER_EXECUTION", None)
    # Garbage left by the modules benchmarks/run.py ran before (executed notebooks, autograde) would make
    # the collector walk that whole heap in the middle of some callback: start from a collected heap.
    gc.collect()
    from kubelab import viz

    out = []
    for focus in ("namespaces", "channels"):
        app = viz.namespace_explorer(POD, focus=focus)
        for i in range(ROUNDS):
            for option in ("shareProcessNamespace", "hostNetwork", "hostPID", "hostIPC"):
                viz.interact(app, **{option: i % 2 == 0})
        out += _figures(f"namespace_explorer({focus}) toggle", app.timings)
    app = viz.port_playground()
    nodes = ["kind-worker", "kind-worker2"]
    for i in range(ROUNDS):
        viz.interact(app, Node=nodes[i % 2], containerPort=80, **{"hostPort (0 = none)": 80 if i % 3 else 0},
                     Add="click")
    adds = list(app.timings)
    out += _figures(f"port_playground add (up to {ROUNDS} pods)", adds)
    for _ in range(3):
        viz.interact(app, Remove="click")
    out += _figures("port_playground remove", app.timings[len(adds):])
    return out


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:55s} {value:8.2f} {unit}")
