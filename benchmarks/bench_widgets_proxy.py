"""Per-callback time of the Services and kube-proxy widgets (kubelab.viz.trace, kubelab.viz.scaling).

Driven by kubelab.viz.interact like benchmarks/bench_widgets.py; each figure is
the median (and the worst) of the callbacks the app timed itself.  The
trace stepper traces a connection the first time a (mode, service, pod down)
choice is seen and reuses it after; the scaling explorer only draws from
points computed once per process (the one-off cost is reported separately);
the endpoint explorer applies or deletes pods and re-runs the controllers.
The aim is under 50 ms per callback; this is for reading, not asserting.
"""

from __future__ import annotations

import gc
import os
import statistics
import time

ROUNDS = 10


def _figures(name: str, timings: list[float]) -> list[tuple[str, float, str]]:
    ms = [t * 1000 for t in timings]
    return [(f"{name} median", statistics.median(ms), "ms"), (f"{name} max", max(ms), "ms")]


def run() -> list[tuple[str, float, str]]:
    os.environ.pop("NBGRADER_EXECUTION", None)
    # Garbage left by the modules benchmarks/run.py ran before (executed notebooks, autograde) would make
    # the collector walk that whole heap in the middle of some callback: start from a collected heap.
    gc.collect()
    import kubelab
    from kubelab import viz
    from kubelab.viz import scaling

    from kubelab.examples import manifest

    # The course's example, as tests/viz/test_trace_scaling.py: web-1..3 behind web, a client.
    cluster = kubelab.Cluster(manifest("web-service", "web-pods"))
    out = []
    app = viz.trace_stepper(cluster, "client", [("web", 80), ("kube-system/kube-dns", 53)])
    for mode in viz.available_modes():
        viz.interact(app, Mode=mode)
        for _ in range(8):
            viz.interact(app, Next="click")
        viz.interact(app, **{"Pod down": "web-1"})
        viz.interact(app, Service="kube-system/kube-dns:53")
        viz.interact(app, Service="web:80")
    out += _figures(f"trace_stepper ({len(viz.available_modes())} modes) any control", app.timings)
    scaling.scaling_curve.cache_clear()
    scaling.scaling_cluster.cache_clear()
    t0 = time.perf_counter()
    app = viz.scaling_explorer()
    out.append(("scaling_explorer first display (curves computed)", (time.perf_counter() - t0) * 1000, "ms"))
    for i in range(ROUNDS):
        viz.interact(app, Services=scaling.SIZES[i % len(scaling.SIZES)])
        viz.interact(app, Figure="rules" if i % 2 else "evaluated")
    out += _figures("scaling_explorer slider/figure", app.timings)
    app = viz.endpoint_explorer(cluster, "web")
    for i in range(ROUNDS):
        viz.interact(app, Replicas=(i % 5) + 1)
        viz.interact(app, **{"Toggle ready": "click"})
    out += _figures("endpoint_explorer scale/readiness", app.timings)
    return out


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:55s} {value:8.2f} {unit}")
