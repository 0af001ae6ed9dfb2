"""Attachment and the status the model's controller writes (Gateway API v1.4.0).

Cases from ``conformance/tests``: ``httproute-invalid-cross-namespace-backend-ref.yaml``,
``httproute-reference-grant.yaml``, ``httproute-invalid-backendref-nonexistent.yaml``,
``httproute-invalid-parentref-not-matching-section-name.yaml``,
``httproute-invalid-cross-namespace-parent-ref.yaml``, ``gateway-invalid-route-kind.yaml``,
``httproute-disallowed-kind.yaml`` (listener kinds); and the controller rule of this
model: every GatewayClass is served, a Gateway of a missing class is not.
"""

from __future__ import annotations

import pytest

from kubelab.gateway import GatewayRouter, state_of

from .conftest import NS


def _conditions(status: dict) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}


def _parent(cluster, route: str) -> dict[str, tuple[str, str]]:
    (parent,) = state_of(cluster).status(cluster.get("httproute", route))["parents"]
    return _conditions(parent)


CROSS_NS = f"""
apiVersion: v1
kind: Service
metadata: {{name: web-backend, namespace: gateway-conformance-web-backend}}
spec: {{ports: [{{port: 8080}}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: reference-grant, namespace: {NS}}}
spec:
  parentRefs: [{{name: same-namespace}}]
  rules:
  - backendRefs: [{{name: web-backend, namespace: gateway-conformance-web-backend, port: 8080}}]
"""
GRANT = """
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: reference-grant, namespace: gateway-conformance-web-backend}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: gateway-conformance-infra}]
  to: [{group: "", kind: Service, name: %s}]
"""


def test_cross_namespace_backend_without_grant_is_500_and_ref_not_permitted(cluster):
    c = cluster(CROSS_NS)
    assert GatewayRouter(c, f"{NS}/same-namespace").route("http://gw/").line == "500"
    conds = _parent(c, f"{NS}/reference-grant")
    assert conds["Accepted"] == ("True", "Accepted")
    assert conds["ResolvedRefs"] == ("False", "RefNotPermitted")


def test_reference_grant_allows_the_named_service_only(cluster):
    c = cluster(CROSS_NS + "---" + GRANT % "web-backend")
    assert GatewayRouter(c, f"{NS}/same-namespace").route("http://gw/").line == \
        "gateway-conformance-web-backend/web-backend:8080"
    assert _parent(c, f"{NS}/reference-grant")["ResolvedRefs"] == ("True", "ResolvedRefs")
    other = cluster(CROSS_NS + "---" + GRANT % "not-the-backend")
    assert GatewayRouter(other, f"{NS}/same-namespace").route("http://gw/").line == "500"


def test_grant_in_the_route_namespace_does_not_count(cluster):
    misplaced = (GRANT % "web-backend").replace("namespace: gateway-conformance-web-backend", f"namespace: {NS}")
    c = cluster(CROSS_NS + "---" + misplaced)
    assert GatewayRouter(c, f"{NS}/same-namespace").route("http://gw/").line == "500"


def test_nonexistent_backend_is_500_and_backend_not_found(cluster):
    c = cluster(f"""
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: nonexistent, namespace: {NS}}}
spec:
  parentRefs: [{{name: same-namespace}}]
  rules: [{{backendRefs: [{{name: nonexistent, port: 8080}}]}}]
""")
    d = GatewayRouter(c, f"{NS}/same-namespace").route("http://gw/")
    assert d.line == "500" and "BackendNotFound" in d.why[-1]
    assert _parent(c, f"{NS}/nonexistent")["ResolvedRefs"] == ("False", "BackendNotFound")


def test_section_name_that_does_not_exist_is_no_matching_parent(cluster):
    c = cluster(f"""
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: r, namespace: {NS}}}
spec:
  parentRefs: [{{name: same-namespace, sectionName: nonexistent}}]
  rules: [{{backendRefs: [{{name: infra-backend-v1, port: 8080}}]}}]
""")
    assert _parent(c, f"{NS}/r")["Accepted"] == ("False", "NoMatchingParent")
    assert GatewayRouter(c, f"{NS}/same-namespace").route("http://gw/").line == "404"


@pytest.mark.parametrize("gateway,route_ns,accepted", [
    ("same-namespace", "gateway-conformance-web-backend", False),  # from: Same
    ("all-namespaces", "gateway-conformance-web-backend", True),  # from: All
    ("backend-namespaces", "gateway-conformance-web-backend", True),  # from: Selector, labelled backend
    ("backend-namespaces", NS, False),  # the infra namespace is labelled infra
])
def test_allowed_routes_namespaces(cluster, gateway, route_ns, accepted):
    c = cluster(f"""
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {route_ns}}}
spec: {{ports: [{{port: 8080}}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: r, namespace: {route_ns}}}
spec:
  parentRefs: [{{name: {gateway}, namespace: {NS}}}]
  rules: [{{backendRefs: [{{name: web, port: 8080}}]}}]
""")
    conds = _parent(c, f"{route_ns}/r")
    assert conds["Accepted"] == (("True", "Accepted") if accepted else ("False", "NotAllowedByListeners"))
    line = GatewayRouter(c, f"{NS}/{gateway}").route("http://gw/").line
    assert line == (f"{route_ns}/web:8080" if accepted else "404")
    attached = state_of(c).status(c.get("gateway", f"{NS}/{gateway}"))["listeners"][0]["attachedRoutes"]
    assert attached == (1 if accepted else 0)


def test_invalid_route_kind_on_listener(cluster):
    c = cluster(f"""
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: gateway-only-invalid-route-kind, namespace: {NS}}}
spec:
  gatewayClassName: conformance
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes: {{kinds: [{{kind: InvalidRoute}}]}}
""")
    status = state_of(c).status(c.get("gateway", f"{NS}/gateway-only-invalid-route-kind"))
    (listener,) = status["listeners"]
    assert listener["supportedKinds"] == []
    assert _conditions(listener)["ResolvedRefs"] == ("False", "InvalidRouteKinds")
    assert _conditions(status)["Accepted"] == ("False", "ListenersNotValid")


def test_every_class_is_served_whatever_its_controller_name(cluster):
    c = cluster()
    gc = state_of(c).status(c.get("gatewayclass", "conformance"))
    assert _conditions(gc)["Accepted"] == ("True", "Accepted")
    assert "kubelab.example/gateway-controller" in gc["conditions"][0]["message"]


def test_gateway_of_a_missing_class_is_not_programmed_and_routes_nothing(cluster):
    c = cluster(f"""
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: orphan, namespace: {NS}}}
spec:
  gatewayClassName: does-not-exist
  listeners: [{{name: http, port: 80, protocol: HTTP}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: r, namespace: {NS}}}
spec:
  parentRefs: [{{name: orphan}}]
  rules: [{{backendRefs: [{{name: infra-backend-v1, port: 8080}}]}}]
""")
    status = state_of(c).status(c.get("gateway", f"{NS}/orphan"))
    assert _conditions(status) == {"Accepted": ("Unknown", "Pending"), "Programmed": ("Unknown", "Pending")}
    d = GatewayRouter(c, f"{NS}/orphan").route("http://gw/")
    assert d.line == "404" and "does-not-exist" in d.why[0]
    assert state_of(c).status(c.get("httproute", f"{NS}/r"))["parents"] == []


def test_https_listener_without_a_tls_secret_is_not_programmed(cluster):
    c = cluster(f"""
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: tls, namespace: {NS}}}
spec:
  gatewayClassName: conformance
  listeners:
  - {{name: https, port: 443, protocol: HTTPS, tls: {{certificateRefs: [{{name: missing}}]}}}}
  - {{name: tcp, port: 9000, protocol: TCP}}
""")
    status = state_of(c).status(c.get("gateway", f"{NS}/tls"))
    https, tcp = status["listeners"]
    assert _conditions(https)["ResolvedRefs"] == ("False", "InvalidCertificateRef")
    assert _conditions(https)["Programmed"] == ("False", "Invalid")
    assert _conditions(tcp)["Accepted"] == ("False", "UnsupportedProtocol")
    assert _conditions(status)["Programmed"] == ("False", "Invalid")


def test_protocol_conflict_on_one_port(cluster):
    c = cluster(f"""
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: clash, namespace: {NS}}}
spec:
  gatewayClassName: conformance
  listeners:
  - {{name: http, port: 8443, protocol: HTTP}}
  - name: https
    port: 8443
    protocol: HTTPS
    tls: {{certificateRefs: [{{name: tls-validity-checks-certificate}}]}}
""")
    for listener in state_of(c).status(c.get("gateway", f"{NS}/clash"))["listeners"]:
        assert _conditions(listener)["Conflicted"] == ("True", "ProtocolConflict")


@pytest.mark.parametrize("parent,accepted", [
    ("{name: same-namespace, port: 81}", ("False", "NoMatchingParent")),  # ...-not-matching-listener-port.yaml
    ("{name: same-namespace, port: 80}", ("True", "Accepted")),
    ("{name: same-namespace, sectionName: http, port: 80}", ("True", "Accepted")),
])
def test_parent_ref_port(cluster, parent, accepted):
    c = cluster(f"""
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: r, namespace: {NS}}}
spec:
  parentRefs: [{parent}]
  rules: [{{backendRefs: [{{name: infra-backend-v1, port: 8080}}]}}]
""")
    assert _parent(c, f"{NS}/r")["Accepted"] == accepted


def test_mirror_to_a_missing_service_is_an_unresolved_ref(cluster):
    c = cluster(f"""
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: r, namespace: {NS}}}
spec:
  parentRefs: [{{name: same-namespace}}]
  rules:
  - filters: [{{type: RequestMirror, requestMirror: {{backendRef: {{name: nowhere, port: 80}}}}}}]
    backendRefs: [{{name: infra-backend-v1, port: 8080}}]
""")
    assert _parent(c, f"{NS}/r")["ResolvedRefs"] == ("False", "BackendNotFound")
    assert GatewayRouter(c, f"{NS}/same-namespace").route("http://gw/").line == f"{NS}/infra-backend-v1:8080"
