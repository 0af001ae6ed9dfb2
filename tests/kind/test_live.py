"""Against a real kind cluster: collected only when KUBELAB_KIND_CONTEXT names its context (tests/kind/conftest.py).

This is a choice of the person running the tests (it creates and deletes
objects in that cluster), not a capability of the machine, so it is a plain
``pytest.skip`` and KUBELAB_STRICT does not turn it into a failure.  An
instructor creates the cluster from ``kubelab kind config`` and runs
``KUBELAB_KIND_CONTEXT=kind-kubelab make test PYTEST_ARGS=tests/kind``.
"""

from __future__ import annotations

import os
import time

import pytest

from kubelab import Cluster
from kubelab.kind import apply, compare, connect, delete_created, import_cluster, read_live

MODEL = """
apiVersion: v1
kind: Service
metadata: {name: kubelab-web}
spec: {selector: {app: kubelab-web}, ports: [{port: 80, targetPort: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: kubelab-web-1, labels: {app: kubelab-web}}
spec: {containers: [{name: c, image: "nginx:1.27"}]}
"""


@pytest.fixture
def ctx():
    context = os.environ.get("KUBELAB_KIND_CONTEXT")
    if not context:
        pytest.skip("KUBELAB_KIND_CONTEXT is not set: no kind cluster to test against (see docs/instructors.md, "
                    "'Checking the model against a kind cluster')")
    return connect(context)


@pytest.fixture
def applied(ctx):
    model = Cluster(MODEL)
    apply(model, ctx)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            pod = ctx.core.read_namespaced_pod("kubelab-web-1", "default")
            if pod.status.phase == "Running" and pod.status.pod_ip:
                break
            time.sleep(2)
        time.sleep(3)  # the EndpointSlice controller
        yield model
    finally:
        delete_created(ctx)


def test_import_reads_the_nodes(ctx):
    cluster = import_cluster(ctx)
    assert cluster.nodes()
    for node in cluster.nodes():
        assert any(a.type == "InternalIP" for a in node.status.addresses), node.name
    assert cluster.service("kubernetes").spec.cluster_ip in {s.spec.cluster_ip for s in read_live(ctx)["Service"]}


def test_apply_compare_delete(ctx, applied):
    live = read_live(ctx)
    mine = [p for p in live["Pod"] if p.name == "kubelab-web-1"]
    assert mine and mine[0].metadata.labels["app.kubernetes.io/managed-by"] == "kubelab"
    assert compare(applied, ctx, dns=True, iptables=True) == []


def test_delete_leaves_the_rest(ctx):
    before = {(p.namespace, p.name) for p in read_live(ctx)["Pod"]}
    model = Cluster(MODEL)
    apply(model, ctx)
    delete_created(ctx)
    after = {(p.namespace, p.name) for p in read_live(ctx)["Pod"] if p.name != "kubelab-web-1"}
    assert after == before - {("default", "kubelab-web-1")}
