"""Fixtures for kubelab.viz: a few pods and a cluster, and widgets out of nbgrader's quiet mode."""

from __future__ import annotations

import pytest

from kubelab.api import load_text

TWO_CONTAINERS = """
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  nodeName: kind-worker
  volumes: [{name: shared, emptyDir: {medium: Memory}}]
  containers:
  - {name: app, image: nginx, ports: [{containerPort: 8080}], volumeMounts: [{name: shared, mountPath: /data}]}
  - {name: proxy, image: envoy, ports: [{containerPort: 9090}],
     volumeMounts: [{name: shared, mountPath: /in, readOnly: true}]}
"""


@pytest.fixture
def pod():
    return load_text(TWO_CONTAINERS)[0]


@pytest.fixture(autouse=True)
def not_grading(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
