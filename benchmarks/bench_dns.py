"""The cluster DNS at the 10,000-Service envelope: build time, index time, queries answered per second.

The cluster: 10,000 selector-less Services over 10 namespaces (1 in 4 headless),
each with a user-written EndpointSlice of 3 ready endpoints (the headless
ones with hostnames), plus one client pod -- selector-less Services and user
slices keep the build about the Services and slices rather than the
scheduler.  ``BENCH_SCALE=small`` builds 1,000 Services.

Figures: the cluster build (``Cluster(manifests)``), the DNS index build (the
first query after a change: CoreDNS's informer caches), then queries per
second, each over a fixed sample of names (seeded): ClusterIP A, headless A (3
records), headless ``<hostname>.<svc>`` A, named-port SRV, ClusterIP PTR,
NXDOMAIN, and whole lookups from a pod (glibc search-list expansion: a short
name answered by the first search domain, and an outside name that costs 4
queries).
"""

from __future__ import annotations

import ipaddress
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kubelab import Cluster
from kubelab.dns import ClusterDNS, lookup, reverse_name

NAMESPACES = 10
ENDPOINTS = 3
SAMPLE = 2000
MIN_SECONDS = 1.0
ENDPOINT_BASE = ipaddress.ip_address("10.200.0.0")
SERVICE_BASE = ipaddress.ip_address("10.96.16.0")


def scale() -> int:
    return 1000 if os.environ.get("BENCH_SCALE") == "small" else 10000


def manifests(services: int) -> list[dict]:
    docs: list[dict] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"ns-{n}"}}
                        for n in range(NAMESPACES)]
    for i in range(services):
        name, ns = f"svc-{i:05d}", f"ns-{i % NAMESPACES}"
        headless = i % 4 == 0
        spec: dict = {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}
        spec["clusterIP"] = "None" if headless else str(SERVICE_BASE + i)
        docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                     "spec": spec})
        first = ENDPOINT_BASE + ENDPOINTS * i
        endpoints = []
        for j in range(ENDPOINTS):
            ep: dict = {"addresses": [str(first + j)], "conditions": {"ready": True}}
            if headless:
                ep["hostname"] = f"{name}-{j}"
            endpoints.append(ep)
        docs.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                     "metadata": {"name": f"{name}-1", "namespace": ns,
                                  "labels": {"kubernetes.io/service-name": name}},
                     "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
                     "endpoints": endpoints})
    docs.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client", "namespace": "ns-1"},
                 "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    return docs


def rate(fn, items: list) -> float:
    """Calls per second of ``fn(item)`` over ``items``, repeated for at least MIN_SECONDS."""
    done, started = 0, time.perf_counter()
    while True:
        for item in items:
            fn(item)
        done += len(items)
        elapsed = time.perf_counter() - started
        if elapsed >= MIN_SECONDS:
            return done / elapsed


def run() -> list[tuple[str, float, str]]:
    n = scale()
    docs = manifests(n)
    started = time.perf_counter()
    cluster = Cluster(docs)
    build = time.perf_counter() - started
    dns = ClusterDNS(cluster, upstream={"example.com": "93.184.215.14"})
    started = time.perf_counter()
    dns.query("kubernetes.default.svc.cluster.local")
    index = time.perf_counter() - started

    rng = random.Random(0)
    picks = [rng.randrange(n) for _ in range(SAMPLE)]
    cluster_ip = [i for i in picks if i % 4][:SAMPLE]
    headless = [i for i in picks if i % 4 == 0] or [0]

    def fqdn(i: int) -> str:
        return f"svc-{i:05d}.ns-{i % NAMESPACES}.svc.cluster.local."

    a_names = [fqdn(i) for i in cluster_ip]
    assert dns.query(a_names[0]).found
    figures = [(f"cluster build ({n} Services + {n} EndpointSlices)", build, "s"),
               ("DNS index build (first query)", index, "s")]
    cases = [
        ("A, ClusterIP Service", a_names, "A"),
        ("A, headless Service (3 records)", [fqdn(i) for i in headless], "A"),
        ("A, <hostname>.<headless Service>", [f"svc-{i:05d}-1." + fqdn(i) for i in headless], "A"),
        ("SRV, _http._tcp (ClusterIP)", ["_http._tcp." + fqdn(i) for i in cluster_ip], "SRV"),
        ("PTR, ClusterIP", [reverse_name(str(SERVICE_BASE + i)) for i in cluster_ip], "PTR"),
        ("NXDOMAIN, unknown Service", [f"nope-{i}.ns-1.svc.cluster.local." for i in picks], "A"),
    ]
    for label, names, qtype in cases:
        figures.append((f"queries/s: {label}", rate(lambda q, t=qtype: dns.query(q, t), names), "queries/s"))
    pod = cluster.pod("client", "ns-1")
    short = [f"svc-{i:05d}" for i in picks if i % NAMESPACES == 1 and i % 4] or ["svc-00001"]
    assert len(lookup(cluster, pod, short[0]).queries) == 1
    figures.append(("lookups/s from a pod: short name (1 query)",
                    rate(lambda q: lookup(cluster, pod, q, upstream={}), short), "lookups/s"))
    figures.append(("lookups/s from a pod: example.com (4 queries)",
                    rate(lambda q: lookup(cluster, pod, q, upstream={"example.com": "93.184.215.14"}),
                         ["example.com"] * 200), "lookups/s"))
    return figures


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:<55} {value:>14.3f} {unit}")
