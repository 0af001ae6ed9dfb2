"""Helpers for the command-line tests: run ``kubelab.cli.main`` in-process and write manifests to tmp_path."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pytest

from kubelab.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        """stderr without the ``Warning:`` lines."""
        return [line for line in self.err.splitlines() if not line.startswith("Warning: ")]


@pytest.fixture
def kubelab(capsys):
    """``kubelab("get", "pods", "-f", "x.yaml") -> Result(code, out, err)``."""
    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)
    return run


@pytest.fixture
def manifest(tmp_path, monkeypatch):
    """``manifest("web.yaml", text) -> "web.yaml"``: written in tmp_path, which is the working directory."""
    monkeypatch.chdir(tmp_path)

    def write(name: str, text: str) -> str:
        (tmp_path / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return name
    return write


WEB = """
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}}
spec:
  shareProcessNamespace: true
  volumes: [{name: sock, emptyDir: {}}]
  containers:
  - name: app
    image: nginx
    ports: [{containerPort: 8080, hostPort: 80}]
    volumeMounts: [{name: sock, mountPath: /run}]
  - name: log
    image: busybox
    volumeMounts: [{name: sock, mountPath: /in, readOnly: true}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, labels: {app: web}}
spec: {containers: [{name: app, image: nginx, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-3, labels: {app: web}}
spec: {containers: [{name: app, image: nginx, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  clusterIP: 10.96.100.10
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080, nodePort: 30080}
  - {name: https, port: 443, targetPort: 8080, nodePort: 30443}
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec: {type: LoadBalancer, clusterIP: 10.96.100.11, selector: {app: web}, ports: [{port: 80, targetPort: 8080, nodePort: 31000}]}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: 10.96.100.12, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: example.com}
"""


@pytest.fixture
def web(manifest) -> str:
    """Three web pods (web-1 with two containers sharing a PID namespace), four Services."""
    return manifest("app.yaml", WEB)
