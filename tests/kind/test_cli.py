"""``kubelab kind config|apply|import|compare|delete``: output and exit codes (0 / 1 differences / 2 bad input)."""

from __future__ import annotations

import json

import pytest
import yaml

from kubelab import Cluster
from kubelab.api import load_text
from kubelab.kind import client as kind_client

from .fake import fake_context, live_objects

WEB = """apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}}
spec: {containers: [{name: c, image: nginx}]}
"""


@pytest.fixture
def fake(monkeypatch):
    """Route ``connect`` to a fake kind cluster that runs the WEB model; returns the store."""
    model = Cluster(WEB)
    ctx, store = fake_context(live_objects(model), run_id="cli1")

    def connect(context, allow_non_kind=False, *, config_file=None):
        if not context.startswith("kind-") and not allow_non_kind:
            return real(context, allow_non_kind)
        ctx.context = context
        return ctx

    real = kind_client.connect
    monkeypatch.setattr(kind_client, "connect", connect)
    return store


def test_config(kubelab, manifest):
    r = kubelab("kind", "config", "-f", manifest("web.yaml", WEB), "--proxy-mode", "ipvs", "--name", "lab")
    assert r.code == 0
    cfg = yaml.safe_load(r.out)
    assert cfg["name"] == "lab" and cfg["networking"]["kubeProxyMode"] == "ipvs"
    assert [n["role"] for n in cfg["nodes"]] == ["control-plane", "worker", "worker"]


def test_config_userspace_is_bad_input(kubelab, manifest):
    r = kubelab("kind", "config", "-f", manifest("web.yaml", WEB), "--proxy-mode", "userspace")
    assert r.code == 2 and r.err_lines == [line for line in r.err_lines if line.startswith("error: ")]
    assert len(r.err_lines) == 1 and "userspace" in r.err


@pytest.mark.parametrize("action", ["apply", "import", "compare"])
def test_guard_refuses_prod_cluster(kubelab, manifest, action):
    r = kubelab("kind", action, "--context", "prod-cluster", "-f", manifest("web.yaml", WEB))
    assert r.code == 2 and r.out == ""
    assert r.err_lines == ['error: --context: refusing "prod-cluster": not a kind cluster (its name does not start '
                           'with "kind-"); kubelab creates and deletes objects there']


def test_context_required(kubelab, manifest):
    r = kubelab("kind", "compare", "-f", manifest("web.yaml", WEB))
    assert r.code == 2 and "--context is required" in r.err


def test_compare_same_and_different(kubelab, manifest, fake):
    path = manifest("web.yaml", WEB)
    r = kubelab("kind", "compare", "--context", "kind-kubelab", "-f", path)
    assert (r.code, r.out.strip()) == (0, "no differences")
    fake.objects["Pod"][:] = [p for p in fake.objects["Pod"] if p.metadata.name != "web-1"]
    r = kubelab("kind", "compare", "--context", "kind-kubelab", "-f", path)
    assert r.code == 1 and "pod default/web-1: in the model, not in the cluster" in r.out.splitlines()
    r = kubelab("kind", "compare", "--context", "kind-kubelab", "-f", path, "-o", "json")
    doc = json.loads(r.out)
    assert r.code == 1 and doc["context"] == "kind-kubelab" and doc["differences"]


def test_apply_then_delete(kubelab, manifest, fake):
    extra = WEB.replace("web", "api")
    r = kubelab("kind", "apply", "--context", "kind-kubelab", "-f", manifest("api.yaml", extra))
    assert r.code == 0 and r.out.splitlines() == ["service/api -n default created", "pod/api-1 -n default created"]
    assert "--run-id cli1" in r.err
    r = kubelab("kind", "delete", "--context", "kind-kubelab")
    assert r.code == 2 and "--run-id is required" in r.err
    r = kubelab("kind", "delete", "--context", "kind-kubelab", "--run-id", "cli1")
    assert r.code == 0 and sorted(r.out.splitlines()) == ["pod/api-1 -n default deleted",
                                                          "service/api -n default deleted"]
    assert {p.metadata.name for p in fake.objects["Pod"]} >= {"web-1"}


def test_import_prints_manifests_kubelab_loads(kubelab, fake):
    r = kubelab("kind", "import", "--context", "kind-kubelab")
    assert r.code == 0
    objs = load_text(r.out)
    pods = {o.name: o for o in objs if o.kind == "Pod"}
    assert pods["web-1"].spec.node_name == "kubelab-worker" and pods["web-1"].status.pod_ip
    r = kubelab("kind", "import", "--context", "kind-kubelab", "-o", "json")
    assert json.loads(r.out)["kind"] == "List"
