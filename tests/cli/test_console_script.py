"""The installed ``kubelab`` console script, as a shell sees it: exit statuses and streams."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("kubelab")

pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason=f"no console script at {SCRIPT} (pip install -e .)")


def run(*argv: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *argv], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=60)


def test_ok_found_and_not_found(tmp_path):
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
                                       "spec: {containers: [{name: c, image: nginx}]}\n")
    ok = run("validate", "-f", "pod.yaml", cwd=tmp_path)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "ok: 1 objects\n", "")
    found = run("get", "pod", "web", "-f", "-", cwd=tmp_path, stdin=(tmp_path / "pod.yaml").read_text())
    assert found.returncode == 0 and found.stdout.startswith("NAME   READY   STATUS")
    missing = run("get", "pod", "db", "-f", "pod.yaml", cwd=tmp_path)
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        1, "", 'Error from server (NotFound): pods "db" not found\n')


def test_bad_input_is_one_line_exit_2(tmp_path):
    (tmp_path / "web.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
                                       "spec: {ports: [{name: x}]}\n")
    r = run("validate", "-f", "web.yaml", cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (
        2, "", "error: web.yaml: Service default/web: spec.ports[0].port: Required value\n")


def test_usage_error_and_version(tmp_path):
    r = run("get", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("error: you must specify the type of resource")
    r = run("--version", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("kubelab ")
