"""``kubelab env``: KEY=VALUE lines sorted by key, declared variables, --services-only, JSON, exit codes."""

from __future__ import annotations

import json

import pytest

APP = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Service
metadata: {name: redis-primary}
spec: {clusterIP: 10.96.100.20, ports: [{name: redis, port: 6379}]}
---
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: shop}
spec: {containers: [{name: app, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  containers:
  - name: app
    image: busybox
    env: [{name: REDIS, value: "$(REDIS_PRIMARY_SERVICE_HOST):$(REDIS_PRIMARY_SERVICE_PORT_REDIS)"}]
  - {name: side, image: busybox}
"""

KUBERNETES = ["KUBERNETES_PORT=tcp://10.96.0.1:443", "KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443",
              "KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1", "KUBERNETES_PORT_443_TCP_PORT=443",
              "KUBERNETES_PORT_443_TCP_PROTO=tcp", "KUBERNETES_SERVICE_HOST=10.96.0.1",
              "KUBERNETES_SERVICE_PORT=443", "KUBERNETES_SERVICE_PORT_HTTPS=443"]
REDIS = ["REDIS_PRIMARY_PORT=tcp://10.96.100.20:6379", "REDIS_PRIMARY_PORT_6379_TCP=tcp://10.96.100.20:6379",
         "REDIS_PRIMARY_PORT_6379_TCP_ADDR=10.96.100.20", "REDIS_PRIMARY_PORT_6379_TCP_PORT=6379",
         "REDIS_PRIMARY_PORT_6379_TCP_PROTO=tcp", "REDIS_PRIMARY_SERVICE_HOST=10.96.100.20",
         "REDIS_PRIMARY_SERVICE_PORT=6379", "REDIS_PRIMARY_SERVICE_PORT_REDIS=6379"]


@pytest.fixture
def app(manifest):
    return manifest("app.yaml", APP)


def test_lines_sorted_with_declared_expanded(kubelab, app):
    r = kubelab("env", "app", "-f", app)
    assert (r.code, r.err) == (0, "")
    assert r.out.splitlines() == KUBERNETES + ["REDIS=10.96.100.20:6379"] + REDIS


def test_other_container_and_services_only(kubelab, app):
    side = kubelab("env", "app", "-f", app, "-c", "side")
    assert side.out.splitlines() == KUBERNETES + REDIS
    only = kubelab("env", "app", "-f", app, "--services-only")
    assert only.out == side.out


def test_other_namespace_sees_only_the_master_service(kubelab, app):
    for argv in (("env", "shop/app", "-f", app), ("env", "app", "-n", "shop", "-f", app)):
        r = kubelab(*argv)
        assert (r.code, r.out.splitlines()) == (0, KUBERNETES)


def test_json(kubelab, app):
    doc = json.loads(kubelab("env", "app", "-f", app, "-o", "json").out)
    assert doc["pod"] == "default/app" and doc["container"] == "app"
    assert doc["env"]["REDIS"] == "10.96.100.20:6379" and list(doc["env"]) == sorted(doc["env"])


def test_missing_pod_is_not_found_exit_1(kubelab, app):
    r = kubelab("env", "nope", "-f", app)
    assert (r.code, r.out, r.err) == (1, "", 'Error from server (NotFound): pods "nope" not found\n')


def test_unknown_container_exit_2(kubelab, app):
    r = kubelab("env", "app", "-f", app, "-c", "nope")
    assert r.code == 2
    assert r.err == 'error: container "nope" not found in pod default/app (containers: app, side)\n'
