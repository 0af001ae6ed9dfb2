"""The small lab the lifecycle tests and benchmarks/bench_lab.py build: 2 nodes, 4 pods, 2 Services."""

from __future__ import annotations

from kubelab import Cluster
from kubelab.cluster.system import node_manifest


def small_cluster() -> Cluster:
    docs: list = [node_manifest("kind-worker", "172.18.0.3", False), node_manifest("kind-worker2", "172.18.0.4", False)]
    for i in range(4):
        app = "web" if i < 3 else "db"
        docs.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"{app}-{i}", "labels": {"app": app}},
                     "spec": {"nodeName": "kind-worker" if i % 2 == 0 else "kind-worker2",
                              "containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 8080}]}]}})
    for app in ("web", "db"):
        docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app},
                     "spec": {"selector": {"app": app}, "ports": [{"port": 80, "targetPort": 8080}]}})
    return Cluster(docs, system=False)
