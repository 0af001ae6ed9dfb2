"""Per-callback time of the discovery and Ingress widgets (kubelab.viz.discovery, kubelab.viz.ingress).

Driven by kubelab.viz.interact like benchmarks/bench_widgets_proxy.py; each
figure is the median (and the worst) of the callbacks the app timed itself.
The resolver walk runs one kubelab.dns.lookup per change; the service type
explorer traces a whole reachability matrix the first time a (type, policy)
choice is seen and reuses it after (first and repeated visits are reported
apart), once from a ClusterIP Service and once from notebook 06's LoadBalancer
Service (its CPU time too: on a shared machine the wall-clock worst case
mostly measures the other processes); the route explorer asks kubelab.ingress.route once per change and
redraws the route table.  The aim is under 50 ms per callback; this is for
reading, not asserting.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from pathlib import Path

#: Notebook 06's cluster when its explorer starts: ``shop/web`` is a LoadBalancer Service (the explorer
#: switches it to NodePort and ClusterIP too), next to a database Service and its pod.
SHOP = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {selector: {app: db}, ports: [{name: pg, port: 5432}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: shop, labels: {app: db}}
spec: {nodeName: kind-worker2, containers: [{name: pg, image: postgres, ports: [{containerPort: 5432}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec: {nodeName: kind-worker, containers: [{name: app, image: nginx, ports: [{containerPort: 8080}]}]}
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
    import kubelab
    from kubelab import viz

    from kubelab.examples import manifest

    # The course's example, as tests/viz/test_discovery_ingress.py: web-1..3 behind web, a client.
    cluster = kubelab.Cluster(manifest("web-service", "web-pods"))
    out = []
    app = viz.resolver_walk(cluster, "client", "web", upstream={"example.com": "198.51.100.7"})
    for i in range(ROUNDS):
        for name in ("db", "db.other", "example.com", "example.com."):
            viz.interact(app, Name=name)
        viz.interact(app, ndots=1 + i % 5)
    out += _figures("resolver_walk name/ndots", app.timings)

    for label, c, service, namespace in (("", cluster, "web", "default"),
                                         (" (notebook 06: from LoadBalancer)", kubelab.Cluster(SHOP), "web", "shop")):
        app = viz.service_type_explorer(c, service, namespace)
        cpu = []  # CPU time of the same callbacks: what the work costs when other processes share the cores
        for stype in ("NodePort", "LoadBalancer", "ClusterIP"):
            for policy in ("Local", "Cluster"):
                for control, value in (("Type", stype), ("externalTrafficPolicy", policy)):
                    before, started = len(app.timings), time.thread_time()
                    viz.interact(app, **{control: value})
                    if len(app.timings) > before:
                        cpu.append(time.thread_time() - started)
        first = list(app.timings)
        app.timings.clear()
        for _ in range(ROUNDS):
            for stype in ("NodePort", "LoadBalancer", "ClusterIP"):
                viz.interact(app, Type=stype)
            viz.interact(app, externalTrafficPolicy="Local")
            viz.interact(app, externalTrafficPolicy="Cluster")
        out += _figures(f"service_type_explorer{label} first visit (matrix traced)", first)
        out += _figures(f"service_type_explorer{label} first visit, CPU time", cpu)
        out += _figures(f"service_type_explorer{label} repeated visit", app.timings)

    data = Path(kubelab.__file__).parent / "data" / "ingress"
    clusters = {p.name: kubelab.Cluster(p.read_text()) for p in sorted(data.glob("*.yaml"))}
    app = viz.route_explorer(clusters)
    for _ in range(ROUNDS // 2):
        for name in clusters:
            viz.interact(app, Ingress=name)
            viz.interact(app, Host="foo.com", Path="/foo", Scheme="http")
            viz.interact(app, Path="/bar/x")
            viz.interact(app, Host="ssl.foo.com", Scheme="https", Path="/")
    out += _figures("route_explorer variant/host/path/scheme", app.timings)
    return out


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:55s} {value:8.2f} {unit}")
