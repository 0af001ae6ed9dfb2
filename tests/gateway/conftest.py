"""Fixtures of the Gateway API tests: the conformance suite's base objects, a cluster builder, the CLI runner.

``BASE`` transcribes the parts of Gateway API v1.4.0 ``conformance/base/manifests.yaml``
the tests use (namespace ``gateway-conformance-infra``, the Gateways ``same-namespace``,
``all-namespaces``, ``backend-namespaces``, ``same-namespace-with-https-listener``, the
Services ``infra-backend-v1..v3`` and their TLS Secret), with a GatewayClass of our own.
"""

from __future__ import annotations

import base64

import pytest

from kubelab import Cluster
from tests.cli.conftest import kubelab, manifest  # noqa: F401 (fixtures)

NS = "gateway-conformance-infra"
_CERT = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").decode()

BASE = f"""
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: conformance}}
spec: {{controllerName: kubelab.example/gateway-controller}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: {NS}, labels: {{gateway-conformance: infra}}}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: gateway-conformance-web-backend, labels: {{gateway-conformance: backend}}}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: gateway-conformance-app-backend, labels: {{gateway-conformance: backend}}}}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata: {{name: same-namespace, namespace: {NS}}}
spec:
  gatewayClassName: conformance
  listeners: [{{name: http, port: 80, protocol: HTTP, allowedRoutes: {{namespaces: {{from: Same}}}}}}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata: {{name: all-namespaces, namespace: {NS}}}
spec:
  gatewayClassName: conformance
  listeners: [{{name: http, port: 80, protocol: HTTP, allowedRoutes: {{namespaces: {{from: All}}}}}}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata: {{name: backend-namespaces, namespace: {NS}}}
spec:
  gatewayClassName: conformance
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes: {{namespaces: {{from: Selector, selector: {{matchLabels: {{gateway-conformance: backend}}}}}}}}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: Gateway
metadata: {{name: same-namespace-with-https-listener, namespace: {NS}}}
spec:
  gatewayClassName: conformance
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    allowedRoutes: {{namespaces: {{from: Same}}}}
    tls: {{certificateRefs: [{{group: "", kind: Secret, name: tls-validity-checks-certificate, namespace: {NS}}}]}}
---
apiVersion: v1
kind: Secret
metadata: {{name: tls-validity-checks-certificate, namespace: {NS}}}
type: kubernetes.io/tls
data: {{tls.crt: {_CERT}, tls.key: {_CERT}}}
""" + "".join(f"""---
apiVersion: v1
kind: Service
metadata: {{name: infra-backend-v{i}, namespace: {NS}}}
spec:
  selector: {{app: infra-backend-v{i}}}
  ports: [{{name: first-port, port: 8080, targetPort: 3000}}]
""" for i in (1, 2, 3))


@pytest.fixture
def cluster():
    """``cluster(extra_yaml) -> Cluster`` with BASE and the extra objects."""
    def build(extra: str = "") -> Cluster:
        return Cluster(BASE + "\n---\n" + extra if extra else BASE)
    return build
