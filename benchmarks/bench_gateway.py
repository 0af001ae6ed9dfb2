"""Gateway API routing with 10,000 HTTPRoutes, beside the Ingress figure for the same shape.

The cluster: 10,000 Services, one Gateway (class ``model``, one HTTP listener, routes from
all namespaces) and 10,000 HTTPRoutes, each with one hostname ``svc-N.example.com`` and one
rule (PathPrefix ``/``) to its Service -- the shape of ``bench_ingress.py``'s host case,
which is run here too (10,000 Ingresses, same hosts) so the two figures sit side by side.
A second case puts a fifth as many routes on one hostname with a path each (``/p/N``:
Exact and PathPrefix alternating), the worst case for the precedence scan (a fifth: every
route then has its own path, so its CEL checks share no cached result, about 20 ms a
route).  ``BENCH_SCALE=small``: 1,000.  Figures: loading (the CRD schema and CEL checks of every route), the router
build (attachment, status, the per-hostname tables) and decisions per second; and the
route explorer widget's callback (one decision and the rule table) on a Gateway with 50
routes, median and worst of 60 control changes (the course's budget is 50 ms).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kubelab import Cluster
from kubelab.gateway import GatewayRouter
from kubelab.ingress import IngressController

DECISIONS = 20_000
POD_CIDR = "100.64.0.0/10"
GW = "gateway.networking.k8s.io/v1"
INFRA = [
    {"apiVersion": GW, "kind": "GatewayClass", "metadata": {"name": "model"},
     "spec": {"controllerName": "kubelab.example/gateway"}},
    {"apiVersion": GW, "kind": "Gateway", "metadata": {"name": "gw"},
     "spec": {"gatewayClassName": "model", "listeners": [
         {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}}]}},
]


def _services(n: int) -> list[dict]:
    return [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{i}"},
             "spec": {"selector": {"app": f"a{i}"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}
            for i in range(n)]


def _host_routes(n: int) -> list[dict]:
    return [{"apiVersion": GW, "kind": "HTTPRoute", "metadata": {"name": f"route-{i}"},
             "spec": {"parentRefs": [{"name": "gw"}], "hostnames": [f"svc-{i}.example.com"],
                      "rules": [{"backendRefs": [{"name": f"svc-{i}", "port": 80}]}]}} for i in range(n)]


def _path_routes(n: int) -> list[dict]:
    return [{"apiVersion": GW, "kind": "HTTPRoute", "metadata": {"name": f"route-{i}"},
             "spec": {"parentRefs": [{"name": "gw"}], "hostnames": ["big.example.com"],
                      "rules": [{"matches": [{"path": {"type": "PathPrefix" if i % 2 else "Exact",
                                                       "value": f"/p/{i}"}}],
                                 "backendRefs": [{"name": f"svc-{i}", "port": 80}]}]}} for i in range(n)]


def _host_ingresses(n: int) -> list[dict]:
    return [{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": f"ing-{i}"},
             "spec": {"rules": [{"host": f"svc-{i}.example.com", "http": {"paths": [
                 {"path": "/", "pathType": "Prefix",
                  "backend": {"service": {"name": f"svc-{i}", "port": {"number": 80}}}}]}}]}}
            for i in range(n)]


def _rate(fn, urls: list[str]) -> float:
    started = time.perf_counter()
    for u in urls:
        fn(u)
    return len(urls) / (time.perf_counter() - started)


def run() -> list[tuple[str, float, str]]:
    n = 1_000 if os.environ.get("BENCH_SCALE") == "small" else 10_000
    out: list[tuple[str, float, str]] = []
    urls = [f"http://svc-{(i * 7919) % n}.example.com/a/b" for i in range(DECISIONS)]

    started = time.perf_counter()
    c = Cluster([*INFRA, *_services(n), *_host_routes(n)], pod_cidr=POD_CIDR)
    out.append((f"cluster build, {n} Services + {n} HTTPRoutes (CRD checks)", time.perf_counter() - started, "s"))
    started = time.perf_counter()
    router = GatewayRouter(c, "default/gw", seed=0)
    out.append(("gateway router build (attachment, status, tables)", time.perf_counter() - started, "s"))
    assert router.route(urls[0]).target is not None
    out.append((f"gateway route decisions, hosts over {n} HTTPRoutes", _rate(router.route, urls), "decisions/s"))
    misses = [f"http://nope-{i}.example.org/" for i in range(DECISIONS // 4)]
    out.append(("gateway route decisions, unknown host (404)", _rate(router.route, misses), "decisions/s"))

    ci = Cluster([*_services(n), *_host_ingresses(n)], pod_cidr=POD_CIDR)
    ctl = IngressController(ci)
    out.append((f"ingress route decisions, hosts over {n} Ingresses (same shape)", _rate(ctl.route, urls),
                "decisions/s"))

    m = n // 5
    started = time.perf_counter()
    c1 = Cluster([*INFRA, *_services(m), *_path_routes(m)], pod_cidr=POD_CIDR)
    router1 = GatewayRouter(c1, "default/gw")
    out.append((f"cluster + router build, {m} HTTPRoutes on one hostname", time.perf_counter() - started, "s"))
    paths = [f"http://big.example.com/p/{(i * 7919) % m}" for i in range(DECISIONS // 20)]
    assert router1.route(paths[1]).target is not None
    out.append((f"gateway route decisions, one hostname, {m} path rules", _rate(router1.route, paths),
                "decisions/s"))
    out.extend(_explorer())
    return out


def _explorer() -> list[tuple[str, float, str]]:
    import statistics

    os.environ.pop("NBGRADER_EXECUTION", None)
    from kubelab.viz.gateway import gateway_explorer

    c = Cluster([*INFRA, *_services(50), *_host_routes(50)])
    app = gateway_explorer(c, "default/gw", host="svc-1.example.com")
    for i in range(60):
        app.controls["Host" if i % 2 else "Path"].value = f"svc-{i % 50}.example.com" if i % 2 else f"/p/{i}"
    ms = [t * 1000 for t in app.timings]
    return [("route explorer callback, median (50 routes)", statistics.median(ms), "ms"),
            ("route explorer callback, worst of 60", max(ms), "ms")]


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:70} {value:12.1f} {unit}")
