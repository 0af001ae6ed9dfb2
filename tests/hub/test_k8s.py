"""The Zero-to-JupyterHub deployment (deploy/k8s/) against the one-server hub (deploy/hub/), without a cluster."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
HUB = REPO / "deploy" / "hub"


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((K8S / "values.yaml").read_text())


def test_values_yaml_is_what_render_writes():
    import render
    assert (K8S / "values.yaml").read_text() == render.render(HUB / "roster.example.yaml"), \
        "run python deploy/k8s/render.py"


def test_every_student_file_is_embedded_byte_for_byte(values):
    files = values["singleuser"]["extraFiles"]
    by_mount = {f["mountPath"]: f["stringData"] for f in files.values()}
    # A student's server reads the learner view of `make lab` (etc/learner/) and the common files.
    learner = [p for p in (REPO / "etc" / "learner").rglob("*") if p.is_file() and p.name != "README.md"]
    common = [p for p in (HUB / "jupyter" / "common").rglob("*") if p.is_file()]
    assert len(learner) + len(common) == len(by_mount) >= 3
    for path in learner:
        rel = path.relative_to(REPO / "etc" / "learner").as_posix()
        assert by_mount[f"/etc/kubelab/jupyter/student/{rel}"] == path.read_text(), rel
    for path in common:
        rel = path.relative_to(HUB / "jupyter").as_posix()
        assert by_mount[f"/etc/kubelab/jupyter/{rel}"] == path.read_text(), rel
    assert not (HUB / "jupyter" / "student").exists(), "the hub's student view is etc/learner/, kept once"
    # The servers look for them where the mounts put them.
    config_path = values["singleuser"]["extraEnv"]["JUPYTER_CONFIG_PATH"].split(":")
    assert config_path == ["/etc/kubelab/jupyter/student", "/etc/kubelab/jupyter/common"]


def load_hub_config(tmp_path: Path, roster: dict, **env: str):
    """deploy/hub/jupyterhub_config.py as JupyterHub loads it, for ``roster``."""
    from traitlets.config.loader import PyFileConfigLoader
    path = tmp_path / "roster.yaml"
    path.write_text(yaml.safe_dump(roster))
    saved = dict(os.environ)
    os.environ.update(KUBELAB_HUB_ROSTER=str(path), KUBELAB_HUB_HOME=str(tmp_path), **env)
    try:
        return PyFileConfigLoader("jupyterhub_config.py", path=str(HUB)).load_config()
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.mark.parametrize("shared_uid", ["0", "1"])
def test_the_hub_and_the_chart_grant_the_same(tmp_path, values, shared_uid):
    roster = yaml.safe_load((HUB / "roster.example.yaml").read_text())
    roster["grader"] = "root"  # an account that exists here (the real-accounts mode looks it up)
    cfg = load_hub_config(tmp_path, roster, KUBELAB_HUB_SHARED_UID=shared_uid)
    import policy
    assert cfg.JupyterHub.load_roles == policy.roles(roster)
    assert cfg.JupyterHub.load_groups == policy.groups(roster)
    assert cfg.Spawner.server_token_scopes == policy.SERVER_TOKEN_SCOPES
    assert "inherit" not in cfg.Spawner.server_token_scopes
    assert cfg.Authenticator.admin_users == set()
    assert cfg.JupyterHub.ip == "127.0.0.1" and cfg.JupyterHub.hub_ip == "127.0.0.1"
    (service,) = cfg.JupyterHub.services
    assert service["name"] == policy.service_name("kubelab")
    assert ("user" in service) == (shared_uid == "0")
    # The chart: the same roles, groups and scopes for the example roster.
    example = yaml.safe_load((HUB / "roster.example.yaml").read_text())
    assert values["hub"]["loadRoles"] == {r["name"]: {k: v for k, v in r.items() if k != "name"}
                                          for r in policy.roles(example)}
    assert values["hub"]["config"]["JupyterHub"]["load_groups"] == policy.groups(example)
    assert values["hub"]["config"]["Spawner"]["server_token_scopes"] == policy.SERVER_TOKEN_SCOPES
    assert set(values["hub"]["services"]) == {service["name"]}


def test_formgrader_manifests_load_into_the_kubernetes_client(values):
    from kubernetes.client import ApiClient

    client = ApiClient()
    kinds = {"PersistentVolumeClaim": "V1PersistentVolumeClaim", "Deployment": "V1Deployment",
             "Service": "V1Service"}
    objects = {}
    for doc in yaml.safe_load_all((K8S / "formgrader.yaml").read_text()):
        obj = client.deserialize(json.dumps(doc), kinds[doc["kind"]], "application/json")
        assert type(obj).__name__ == kinds[doc["kind"]]
        objects[(doc["kind"], doc["metadata"]["name"])] = obj
    service = next(iter(values["hub"]["services"]))
    deploy = objects[("Deployment", service)]
    env = {e.name: e.value for e in deploy.spec.template.spec.containers[0].env}
    assert env["JUPYTERHUB_SERVICE_NAME"] == service
    assert env["JUPYTERHUB_SERVICE_PREFIX"] == f"/services/{service}/"
    assert values["hub"]["services"][service]["url"].endswith(f"{objects[('Service', service)].metadata.name}:8888")
    # The image copies deploy/hub/jupyter/ and etc/learner/ (as student/) there.
    dockerfile = (REPO / "deploy" / "k8s" / "Dockerfile").read_text()
    assert "COPY etc/learner /etc/kubelab/jupyter/student" in dockerfile
    for folder in env["JUPYTER_CONFIG_PATH"].split(":"):
        assert (HUB / "jupyter" / Path(folder).name).is_dir(), folder
    claims = {v.persistent_volume_claim.claim_name for v in deploy.spec.template.spec.volumes}
    assert claims <= {name for kind, name in objects if kind == "PersistentVolumeClaim"}
    assert "ReadWriteMany" in objects[("PersistentVolumeClaim", "nbgrader-exchange")].spec.access_modes


def test_kubespawner_mounts_each_student_their_own_inbox_and_nothing_else(values, monkeypatch):
    """KubeSpawner 7 expands the chart's volume mounts per user: the inbox must be the raw user name,
    which is what nbgrader submits under (JUPYTERHUB_USER) -- ``{username}`` would be a slug."""
    from types import SimpleNamespace

    import kubespawner.spawner
    from kubespawner import KubeSpawner

    from kubelab.hub.exchange import inbox

    # No cluster here: the spawner's client configuration (kube config / in-cluster) is not needed
    # to expand a template.
    monkeypatch.setattr(kubespawner.spawner, "load_config", lambda *a, **k: None)
    monkeypatch.setattr(kubespawner.spawner, "shared_client", lambda *a, **k: None)
    mounts = values["singleuser"]["storage"]["extraVolumeMounts"]
    for name in ("alice", "Bob.Smith@example.org", "x-y_z"):
        user = SimpleNamespace(name=name, id=7, url=f"/user/{name}/", server=None)
        spawner = KubeSpawner(user=user, _mock=True)
        expanded = spawner._expand_all(mounts)
        writable = [m for m in expanded if not m.get("readOnly")]
        assert len(writable) == 1
        root = values["singleuser"]["extraEnv"]["KUBELAB_EXCHANGE_ROOT"]
        assert writable[0]["mountPath"] == inbox(root, "kubelab", name)
        assert writable[0]["subPath"] == f"kubelab/inbound/{name}"
        assert {m["subPath"] for m in expanded if m.get("readOnly")} == {"kubelab/outbound", "kubelab/feedback"}
