"""Gateway API kinds: the CRD defaults and validation (Gateway API v1.4.0, ``config/crd/standard``).

Defaults and messages are the CRDs' own (``default:`` values, ``x-kubernetes-validations``
rule messages); the schema checks print as the API server prints them (kubelab.api.crd).
"""

from __future__ import annotations

import pytest

from kubelab.api import load_text
from kubelab.api.crd import load_bundle
from kubelab.api.gateway import BUNDLE
from kubelab.errors import ValidationError

HEAD = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\n"


def _route(spec: str):
    return load_text(HEAD + "spec: " + spec, source="r.yaml")[0]


def test_bundle_is_v1_4_0_standard():
    crds = load_bundle(BUNDLE)
    assert {c.bundle_version for c in crds.values()} == {"v1.4.0"}
    assert {c.channel for c in crds.values()} == {"standard"}
    assert sorted(k for _, k in crds) == sorted(["GatewayClass", "GatewayClass", "Gateway", "Gateway", "HTTPRoute",
                                                 "HTTPRoute", "ReferenceGrant"])


def test_route_defaults():
    r = _route("{parentRefs: [{name: gw}], rules: [{matches: [{headers: [{name: a, value: b}]}], "
               "backendRefs: [{name: web, port: 80}]}, {filters: [{type: RequestRedirect, requestRedirect: {}}]}]}")
    rule = r.spec["rules"][0]
    assert r.spec["parentRefs"] == [{"name": "gw", "group": "gateway.networking.k8s.io", "kind": "Gateway"}]
    assert rule["matches"] == [{"headers": [{"name": "a", "value": "b", "type": "Exact"}],
                                "path": {"type": "PathPrefix", "value": "/"}}]
    assert rule["backendRefs"] == [{"name": "web", "port": 80, "group": "", "kind": "Service", "weight": 1}]
    assert r.spec["rules"][1]["filters"][0]["requestRedirect"] == {"statusCode": 302}


def test_route_without_rules_gets_the_catch_all_rule():
    assert _route("{parentRefs: [{name: gw}]}").spec["rules"] == [
        {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}]}]


def test_gateway_listener_defaults_allowed_routes_same_namespace():
    gw = load_text("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\n"
                   "spec: {gatewayClassName: c, listeners: [{name: h, port: 80, protocol: HTTP}]}")[0]
    assert gw.spec["listeners"][0]["allowedRoutes"] == {"namespaces": {"from": "Same"}}


@pytest.mark.parametrize("spec,message", [
    ("{rules: [{matches: [{path: {type: Exact, value: foo}}]}]}",
     "spec.rules[0].matches[0].path: Invalid value: \"object\": value must be an absolute path and start with '/' "
     "when type one of ['Exact', 'PathPrefix']"),
    ("{rules: [{matches: [{path: {type: PathPrefix, value: /a//b}}]}]}",
     "spec.rules[0].matches[0].path: Invalid value: \"object\": must not contain '//' when type one of "
     "['Exact', 'PathPrefix']"),
    ("{rules: [{backendRefs: [{name: web}]}]}",
     'spec.rules[0].backendRefs[0]: Invalid value: "object": Must have port for Service reference'),
    ("{rules: [{backendRefs: [{name: web, port: 80, weight: 1000001}]}]}",
     "spec.rules[0].backendRefs[0].weight: Invalid value: 1000001: spec.rules[0].backendRefs[0].weight in body "
     "should be less than or equal to 1000000"),
    ("{hostnames: [\"*.*.example.com\"]}",
     "spec.hostnames[0]: Invalid value: \"*.*.example.com\": spec.hostnames[0] in body should match "
     "'^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'"),
    ("{rules: [{filters: [{type: RequestRedirect, requestRedirect: {statusCode: 307}}]}]}",
     'spec.rules[0].filters[0].requestRedirect.statusCode: Unsupported value: 307: supported values: 301, 302'),
    ("{rules: [{filters: [{type: URLRewrite}]}]}",
     'spec.rules[0].filters[0]: Invalid value: "object": filter.urlRewrite must be specified for URLRewrite '
     'filter.type'),
    ("{parentRefs: [" + ", ".join(f"{{name: g{i}}}" for i in range(33)) + "]}",
     "spec.parentRefs: Too many: 33: must have at most 32 items"),
])
def test_route_validation_messages(spec, message):
    with pytest.raises(ValidationError) as err:
        _route(spec)
    assert str(err.value).split(" (and ")[0] == f"r.yaml: HTTPRoute default/r: {message}"


def test_reference_grant_requires_from_and_to():
    with pytest.raises(ValidationError) as err:
        load_text("apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: g}\n"
                  "spec: {from: [{group: gateway.networking.k8s.io, kind: HTTPRoute}]}", source="g.yaml")
    assert [str(e) for e in err.value.errors] == ["spec.to: Required value", "spec.from[0].namespace: Required value"]


def test_reference_grant_is_not_served_as_v1():
    from kubelab.errors import LoadError

    with pytest.raises(LoadError, match='no matches for kind "ReferenceGrant" in version '
                                        '"gateway.networking.k8s.io/v1"'):
        load_text("apiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata: {name: g}\nspec: {}")


def test_status_in_a_manifest_is_ignored():
    gc = load_text("apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: c}\n"
                   "spec: {controllerName: example.com/x}\nstatus: {conditions: []}")[0]
    assert gc.status == {}
