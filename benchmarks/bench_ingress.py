"""Ingress routing at the Kubernetes scalability envelope: 10,000 Services behind 10,000 Ingress rules.

The cluster: 10,000 Services (the envelope of kubernetes/community
``sig-scalability/configs-and-limits/thresholds.md``), each the backend of one
Ingress with one host rule (``svc-N.example.com``, Prefix ``/``), so 10,000 rules
and 10,000 nginx servers; no pods (endpoints cost nothing to decide with: the
decision then ends in 503, after the same lookups).  ``BENCH_SCALE=small``: 1,000.

Figures: the cluster build; the controller build (class filter, the server table,
certificates); route decisions per second for hosts spread over all servers, for
unknown hosts (404 through the catch-all), and for one server holding every rule as a
path (``/p/N``, the worst case for the per-server scan, which is linear in that
server's paths); and the end-to-end request (two kube-proxy traces) at a smaller
point, with pods.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kubelab import Cluster
from kubelab.ingress import IngressController, install

DECISIONS = 20_000
POD_CIDR = "100.64.0.0/10"


def _services(n: int) -> list[dict]:
    return [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{i}"},
             "spec": {"selector": {"app": f"a{i}"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}
            for i in range(n)]


def _host_ingresses(n: int) -> list[dict]:
    return [{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": f"ing-{i}"},
             "spec": {"rules": [{"host": f"svc-{i}.example.com", "http": {"paths": [
                 {"path": "/", "pathType": "Prefix",
                  "backend": {"service": {"name": f"svc-{i}", "port": {"number": 80}}}}]}}]}}
            for i in range(n)]


def _one_host_ingress(n: int) -> list[dict]:
    paths = [{"path": f"/p/{i}", "pathType": "Prefix" if i % 2 else "Exact",
              "backend": {"service": {"name": f"svc-{i}", "port": {"number": 80}}}} for i in range(n)]
    return [{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "big"},
             "spec": {"rules": [{"host": "big.example.com", "http": {"paths": paths}}]}}]


def _rate(fn, urls: list[str]) -> float:
    started = time.perf_counter()
    for u in urls:
        fn(u)
    return len(urls) / (time.perf_counter() - started)


def run() -> list[tuple[str, float, str]]:
    n = 1_000 if os.environ.get("BENCH_SCALE") == "small" else 10_000
    out: list[tuple[str, float, str]] = []

    started = time.perf_counter()
    c = Cluster([*_services(n), *_host_ingresses(n)], pod_cidr=POD_CIDR)
    out.append((f"cluster build, {n} Services + {n} Ingresses", time.perf_counter() - started, "s"))
    started = time.perf_counter()
    ctl = IngressController(c)
    out.append((f"controller build ({ctl.table.rule_count} rules)", time.perf_counter() - started, "s"))
    step = max(1, n // DECISIONS) if n > DECISIONS else 1
    urls = [f"http://svc-{(i * 7919) % n}.example.com/a/b" for i in range(0, DECISIONS, step)]
    assert ctl.route(urls[0]).backend is not None
    out.append((f"route decisions, hosts over {n} servers", _rate(ctl.route, urls), "decisions/s"))
    misses = [f"http://nope-{i}.example.org/" for i in range(DECISIONS // 4)]
    out.append(("route decisions, unknown host (404)", _rate(ctl.route, misses), "decisions/s"))

    started = time.perf_counter()
    c1 = Cluster([*_services(n), *_one_host_ingress(n)], pod_cidr=POD_CIDR)
    ctl1 = IngressController(c1)
    out.append((f"build, one host with {n} paths", time.perf_counter() - started, "s"))
    urls1 = [f"http://big.example.com/p/{(i * 7919) % n}/x" for i in range(200)]
    out.append((f"route decisions, one server of {n} paths", _rate(ctl1.route, urls1), "decisions/s"))

    # End to end (two kube-proxy traces per request) on a small cluster with pods.
    small = 100
    pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}", "labels": {"app": f"a{i}"}},
             "spec": {"containers": [{"name": "c", "image": "agnhost", "ports": [{"containerPort": 8080}]}]}}
            for i in range(small)]
    c2 = Cluster([*_services(small), *_host_ingresses(small), *pods], pod_cidr=POD_CIDR)
    install(c2)
    ctl2 = IngressController(c2)
    urls2 = [f"http://svc-{i % small}.example.com/" for i in range(50)]
    assert ctl2.request(urls2[0]).status == 200
    out.append((f"end-to-end requests ({small} Services, iptables)", _rate(ctl2.request, urls2), "requests/s"))
    return out


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:<55} {value:>12.3f}  {unit}")
