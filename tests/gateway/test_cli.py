"""``kubelab route URL --gateway NS/NAME``, ``kubelab get`` of Gateway API kinds, and bad Gateway API input.

Output and exit codes as docs/cli.md and issue 17 say: ``NS/SVC:PORT`` 0, ``STATUS LOCATION``
0, ``404`` 1, ``500`` 1, bad input one ``error:`` line and 2.
"""

from __future__ import annotations

import json

import pytest

from .conftest import BASE, NS

ROUTES = f"""
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: web, namespace: {NS}}}
spec:
  parentRefs: [{{name: same-namespace}}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: /old}}}}]
    filters: [{{type: RequestRedirect, requestRedirect: {{scheme: https, statusCode: 301}}}}]
  - matches: [{{path: {{type: PathPrefix, value: /broken}}}}]
    backendRefs: [{{name: nowhere, port: 80}}]
  - matches: [{{path: {{type: PathPrefix, value: /canary}}}}]
    backendRefs: [{{name: infra-backend-v1, port: 8080, weight: 1}}, {{name: infra-backend-v2, port: 8080, weight: 1}}]
  - matches: [{{path: {{type: PathPrefix, value: /}}, headers: [{{name: x-env, value: beta}}]}}]
    backendRefs: [{{name: infra-backend-v3, port: 8080}}]
  - backendRefs: [{{name: infra-backend-v1, port: 8080}}]
"""


@pytest.fixture
def files(manifest):
    return ["-f", manifest("base.yaml", BASE), "-f", manifest("routes.yaml", ROUTES)]


@pytest.mark.parametrize("argv,out,code", [
    (["http://shop.example.com/"], f"{NS}/infra-backend-v1:8080", 0),
    (["http://shop.example.com/", "-H", "x-env: beta"], f"{NS}/infra-backend-v3:8080", 0),
    (["http://10.0.0.1/", "-H", "Host: shop.example.com:8080"], f"{NS}/infra-backend-v1:8080", 0),
    (["http://shop.example.com/old/page?q=1"], "301 https://shop.example.com/old/page?q=1", 0),
    (["http://other.example.com/"], "404", 1),
    (["http://shop.example.com/broken"], "500", 1),
    (["http://shop.example.com:8080/"], "404", 1),  # no listener on 8080
])
def test_route_first_line_and_exit_code(kubelab, files, argv, out, code):
    r = kubelab("route", *argv, "--gateway", f"{NS}/same-namespace", *files)
    assert (r.out.splitlines()[0], r.code) == (out, code)


def test_route_why_names_listener_route_and_rule(kubelab, files):
    r = kubelab("route", "http://shop.example.com/x", "--gateway", f"{NS}/same-namespace", "--why", *files)
    lines = r.out.splitlines()
    assert lines[0] == f"{NS}/infra-backend-v1:8080"
    assert any("listener http" in line for line in lines[1:])
    assert any(f"HTTPRoute {NS}/web rules[4]" in line for line in lines[1:])


def test_route_count_prints_the_split(kubelab, files):
    r = kubelab("route", "http://shop.example.com/canary", "--gateway", f"{NS}/same-namespace", "--count", "40",
                "--seed", "2", *files)
    assert r.code == 0
    split = r.out.split("split over 40 requests:")[1]
    counts = {line.split()[0]: int(line.split()[1]) for line in split.strip().splitlines()[1:]}
    assert set(counts) == {f"{NS}/infra-backend-v1:8080", f"{NS}/infra-backend-v2:8080"}
    assert sum(counts.values()) == 40
    again = kubelab("route", "http://shop.example.com/canary", "--gateway", f"{NS}/same-namespace", "--count", "40",
                    "--seed", "2", *files)
    assert again.out == r.out


def test_route_json(kubelab, files):
    r = kubelab("route", "http://shop.example.com/old", "--gateway", f"{NS}/same-namespace", "-o", "json", *files)
    doc = json.loads(r.out)
    assert (doc["status"], doc["location"], doc["route"], doc["rule"]) == \
        (301, "https://shop.example.com/old", f"{NS}/web", 0)


def test_route_unknown_gateway_is_an_error(kubelab, files):
    r = kubelab("route", "http://x/", "--gateway", f"{NS}/nope", *files)
    assert r.code == 2
    assert r.err_lines == [f'error: gateways.gateway.networking.k8s.io "nope" not found in namespace "{NS}"']


def test_route_without_gateway_keeps_the_ingress_behaviour(kubelab, manifest):
    ing = manifest("ing.yaml", """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: single}
        spec: {defaultBackend: {service: {name: service-1, port: {number: 80}}}}
        """)
    r = kubelab("route", "http://anything/", "-f", ing)
    assert (r.out.splitlines()[0], r.code) == ("default/service-1:80", 0)


def test_get_gateway_api_kinds(kubelab, files):
    r = kubelab("get", "gatewayclasses,gateways,httproutes", "-n", NS, *files)
    assert r.code == 0
    tables = r.out.split("\n\n")
    assert tables[0].splitlines() == [
        "NAME                                                 CONTROLLER                           ACCEPTED   AGE",
        "gatewayclass.gateway.networking.k8s.io/conformance   kubelab.example/gateway-controller   True       "
        "<unknown>"]
    assert tables[1].splitlines()[0].split() == ["NAME", "CLASS", "ADDRESS", "PROGRAMMED", "AGE"]
    assert tables[1].splitlines()[1].split() == ["gateway.gateway.networking.k8s.io/all-namespaces", "conformance",
                                                 "True", "<unknown>"]
    assert tables[2].splitlines() == [
        "NAME                                      HOSTNAMES              AGE",
        'httproute.gateway.networking.k8s.io/web   ["shop.example.com"]   <unknown>']


def test_get_gateway_of_missing_class_shows_unknown(kubelab, manifest):
    f = manifest("gw.yaml", """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: orphan}
        spec: {gatewayClassName: nope, listeners: [{name: http, port: 80, protocol: HTTP}]}
        """)
    r = kubelab("get", "gtw", "-f", f)
    assert r.out.splitlines()[1].split() == ["orphan", "nope", "Unknown", "<unknown>"]


@pytest.mark.parametrize("body,message", [
    ("spec: {gatewayClassName: x, listeners: [{name: a, port: 80, protocol: HTTP}, {name: a, port: 81, protocol: HTTP}]}",
     'spec.listeners[1]: Duplicate value: map[string]interface {}{"name":"a"}'),
    ("spec: {gatewayClassName: x, listeners: [{name: a, port: 0, protocol: HTTP}]}",
     "spec.listeners[0].port: Invalid value: 0: spec.listeners[0].port in body should be greater than or equal to 1"),
    ("spec: {gatewayClassName: x, listeners: [{name: a, port: 80, protocol: HTTP, tls: {}}]}",
     "spec.listeners: Invalid value: \"array\": tls must not be specified for protocols ['HTTP', 'TCP', 'UDP'] "
     "(and 1 more)"),
    ("spec: {gatewayClassName: x, listener: []}", 'unknown field "spec.listener": did you mean "listeners"?'),
    ("", "spec: Required value"),
])
def test_bad_gateway_is_one_error_line_exit_2(kubelab, manifest, body, message):
    f = manifest("bad.yaml", "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\n"
                 + body + "\n")
    r = kubelab("get", "gateways", "-f", f)
    assert r.code == 2
    assert r.err_lines == [f"error: bad.yaml: Gateway default/gw: {message}"]


def test_get_yaml_carries_the_controllers_status(kubelab, files):
    import yaml

    r = kubelab("get", "httproute", "web", "-n", NS, "-o", "yaml", *files)
    doc = yaml.safe_load(r.out)
    (parent,) = doc["status"]["parents"]
    assert parent["parentRef"]["name"] == "same-namespace"
    assert {c["type"]: c["reason"] for c in parent["conditions"]} == {"Accepted": "Accepted",
                                                                       "ResolvedRefs": "BackendNotFound"}
