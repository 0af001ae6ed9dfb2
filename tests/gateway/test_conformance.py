"""Routing cases transcribed from the Gateway API v1.4.0 conformance suite (``conformance/tests``).

Each test names its upstream file; the routes are those files' HTTPRoutes, the requests
and expected answers those of the Go test's ``testCases``.  The base objects are in
``conftest.BASE`` (``conformance/base/manifests.yaml``).
"""

from __future__ import annotations

import pytest

from kubelab.gateway import GatewayRouter

from .conftest import NS


def _route(name: str, gateway: str, body: str) -> str:
    return f"""
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: {NS}}}
spec:
  parentRefs: [{{name: {gateway}}}]
{body}
"""


# httproute-matching.yaml
MATCHING = _route("matching", "same-namespace", """
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
""")


@pytest.mark.parametrize("path,headers,backend", [
    ("/", {}, "v1"), ("/example", {}, "v1"), ("/", {"Version": "one"}, "v1"),
    ("/v2", {}, "v2"), ("/v2/example", {}, "v2"), ("/", {"Version": "two"}, "v2"), ("/v2/", {}, "v2"),
    ("/v2example", {}, "v1"),  # not a path-element prefix of /v2
    ("/foo/v2/example", {}, "v1"),
])
def test_httproute_matching(cluster, path, headers, backend):
    router = GatewayRouter(cluster(MATCHING), f"{NS}/same-namespace")
    assert router.route(f"http://gw{path}", headers=headers).target == f"{NS}/infra-backend-{backend}:8080"


# httproute-matching-across-routes.yaml
ACROSS = _route("matching-part1", "same-namespace", """
  hostnames: [example.com, example.net]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
""") + "---" + _route("matching-part2", "same-namespace", """
  hostnames: [example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
""")


@pytest.mark.parametrize("host,path,headers,backend", [
    ("example.com", "/", {}, "v1"), ("example.com", "/example", {}, "v1"), ("example.net", "/example", {}, "v1"),
    ("example.com", "/example", {"Version": "one"}, "v1"), ("example.com", "/v2", {}, "v2"),
    ("example.net", "/v2", {}, "v1"),  # v2 matches are limited to example.com
    ("example.com", "/v2/example", {}, "v2"), ("example.com", "/", {"Version": "two"}, "v2"),
])
def test_httproute_matching_across_routes(cluster, host, path, headers, backend):
    router = GatewayRouter(cluster(ACROSS), f"{NS}/same-namespace")
    assert router.route(f"http://{host}{path}", headers=headers).target == f"{NS}/infra-backend-{backend}:8080"


# httproute-hostname-intersection.yaml
INTERSECTION = f"""
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: httproute-hostname-intersection, namespace: {NS}}}
spec:
  gatewayClassName: conformance
  listeners:
  - {{name: listener-1, port: 80, protocol: HTTP, hostname: very.specific.com}}
  - {{name: listener-2, port: 80, protocol: HTTP, hostname: "*.wildcard.io"}}
  - {{name: listener-3, port: 80, protocol: HTTP, hostname: "*.anotherwildcard.io"}}
""" + "".join("---" + _route(name, "httproute-hostname-intersection", f"""
  hostnames: {hosts}
  rules:
  - matches: [{{path: {{type: PathPrefix, value: {prefix}}}}}]
    backendRefs: [{{name: infra-backend-{backend}, port: 8080}}]
""") for name, hosts, prefix, backend in [
    ("specific-host-matches-listener-specific-host", '[non.matching.com, "*.nonmatchingwildcard.io", very.specific.com]',
     "/s1", "v1"),
    ("specific-host-matches-listener-wildcard-host",
     "[non.matching.com, wildcard.io, foo.wildcard.io, bar.wildcard.io, foo.bar.wildcard.io]", "/s2", "v2"),
    ("wildcard-host-matches-listener-specific-host", '[non.matching.com, "*.specific.com"]', "/s3", "v3"),
    ("wildcard-host-matches-listener-wildcard-host", '["*.anotherwildcard.io"]', "/s4", "v1"),
    ("no-intersecting-hosts", "[specific.but.wrong.com, wildcard.io]", "/s5", "v2"),
])


@pytest.mark.parametrize("host,path,backend", [
    ("very.specific.com", "/s1", "v1"), ("very.specific.com:1234", "/s1", "v1"),
    ("non.matching.com", "/s1", None), ("foo.nonmatchingwildcard.io", "/s1", None), ("foo.wildcard.io", "/s1", None),
    ("very.specific.com", "/non-matching-prefix", None),
    ("foo.wildcard.io", "/s2", "v2"), ("bar.wildcard.io", "/s2", "v2"), ("foo.bar.wildcard.io", "/s2", "v2"),
    ("non.matching.com", "/s2", None), ("wildcard.io", "/s2", None), ("very.specific.com", "/s2", None),
    ("foo.wildcard.io", "/non-matching-prefix", None),
    ("very.specific.com", "/s3", "v3"), ("non.matching.com", "/s3", None), ("foo.specific.com", "/s3", None),
    ("foo.wildcard.io", "/s3", None),
    ("foo.anotherwildcard.io", "/s4", "v1"), ("bar.anotherwildcard.io", "/s4", "v1"),
    ("foo.bar.anotherwildcard.io", "/s4", "v1"), ("anotherwildcard.io", "/s4", None), ("foo.wildcard.io", "/s4", None),
    ("very.specific.com", "/s4", None),
    ("specific.but.wrong.com", "/s5", None), ("wildcard.io", "/s5", None),
])
def test_httproute_hostname_intersection(cluster, host, path, backend):
    router = GatewayRouter(cluster(INTERSECTION), f"{NS}/httproute-hostname-intersection")
    d = router.route(f"http://gw{path}", headers={"Host": host})
    assert d.line == (f"{NS}/infra-backend-{backend}:8080" if backend else "404")


def test_httproute_hostname_intersection_status(cluster):
    from kubelab.gateway import state_of

    c = cluster(INTERSECTION)
    status = state_of(c).status(c.get("httproute", f"{NS}/no-intersecting-hosts"))
    (parent,) = status["parents"]
    accepted = next(x for x in parent["conditions"] if x["type"] == "Accepted")
    assert (accepted["status"], accepted["reason"]) == ("False", "NoMatchingListenerHostname")
    assert parent["controllerName"] == "kubelab.example/gateway-controller"


# httproute-redirect-port-and-scheme.yaml
def _redirects(gateway: str, cases: list[tuple[str, str]]) -> str:
    rules = "".join(f"""
  - matches: [{{path: {{type: PathPrefix, value: {path}}}}}]
    filters: [{{type: RequestRedirect, requestRedirect: {{hostname: example.org{extra}}}}}]""" for path, extra in cases)
    return _route(f"route-{gateway}", gateway, "  rules:" + rules)


GW_8080 = f"""
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: same-namespace-with-http-listener-on-8080, namespace: {NS}}}
spec:
  gatewayClassName: conformance
  listeners: [{{name: http, port: 8080, protocol: HTTP}}]
"""
REDIRECTS = GW_8080 + "---" + _redirects("same-namespace", [
    ("/scheme-nil-and-port-nil", ""), ("/scheme-nil-and-port-80", ", port: 80"),
    ("/scheme-nil-and-port-8080", ", port: 8080"), ("/scheme-https-and-port-nil", ", scheme: https"),
    ("/scheme-https-and-port-443", ", scheme: https, port: 443"),
    ("/scheme-https-and-port-8443", ", scheme: https, port: 8443"),
]) + "---" + _redirects("same-namespace-with-http-listener-on-8080", [
    ("/scheme-nil-and-port-nil", ""), ("/scheme-nil-and-port-80", ", port: 80"),
    ("/scheme-https-and-port-nil", ", scheme: https"),
]) + "---" + _redirects("same-namespace-with-https-listener", [
    ("/scheme-nil-and-port-nil", ""), ("/scheme-nil-and-port-443", ", port: 443"),
    ("/scheme-nil-and-port-8443", ", port: 8443"), ("/scheme-http-and-port-nil", ", scheme: http"),
    ("/scheme-http-and-port-80", ", scheme: http, port: 80"),
    ("/scheme-http-and-port-8080", ", scheme: http, port: 8080"),
])


@pytest.mark.parametrize("gateway,url,location", [
    ("same-namespace", "http://gw/scheme-nil-and-port-nil", "http://example.org/scheme-nil-and-port-nil"),
    ("same-namespace", "http://gw/scheme-nil-and-port-80", "http://example.org/scheme-nil-and-port-80"),
    ("same-namespace", "http://gw/scheme-nil-and-port-8080", "http://example.org:8080/scheme-nil-and-port-8080"),
    ("same-namespace", "http://gw/scheme-https-and-port-nil", "https://example.org/scheme-https-and-port-nil"),
    ("same-namespace", "http://gw/scheme-https-and-port-443", "https://example.org/scheme-https-and-port-443"),
    ("same-namespace", "http://gw/scheme-https-and-port-8443",
     "https://example.org:8443/scheme-https-and-port-8443"),
    ("same-namespace-with-http-listener-on-8080", "http://gw:8080/scheme-nil-and-port-nil",
     "http://example.org:8080/scheme-nil-and-port-nil"),
    ("same-namespace-with-http-listener-on-8080", "http://gw:8080/scheme-nil-and-port-80",
     "http://example.org/scheme-nil-and-port-80"),
    ("same-namespace-with-http-listener-on-8080", "http://gw:8080/scheme-https-and-port-nil",
     "https://example.org/scheme-https-and-port-nil"),
    ("same-namespace-with-https-listener", "https://gw/scheme-nil-and-port-nil",
     "https://example.org/scheme-nil-and-port-nil"),
    ("same-namespace-with-https-listener", "https://gw/scheme-nil-and-port-443",
     "https://example.org/scheme-nil-and-port-443"),
    ("same-namespace-with-https-listener", "https://gw/scheme-nil-and-port-8443",
     "https://example.org:8443/scheme-nil-and-port-8443"),
    ("same-namespace-with-https-listener", "https://gw/scheme-http-and-port-nil",
     "http://example.org/scheme-http-and-port-nil"),
    ("same-namespace-with-https-listener", "https://gw/scheme-http-and-port-80",
     "http://example.org/scheme-http-and-port-80"),
    ("same-namespace-with-https-listener", "https://gw/scheme-http-and-port-8080",
     "http://example.org:8080/scheme-http-and-port-8080"),
])
def test_httproute_redirect_port_and_scheme(cluster, gateway, url, location):
    d = GatewayRouter(cluster(REDIRECTS), f"{NS}/{gateway}").route(url)
    assert (d.status, d.location, d.line) == (302, location, f"302 {location}")


# httproute-query-param-matching.yaml, httproute-method-matching.yaml (abridged)
QUERY_METHOD = _route("query-method", "same-namespace", """
  rules:
  - matches: [{queryParams: [{name: animal, value: whale}]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{queryParams: [{name: animal, value: dolphin}]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches: [{queryParams: [{name: animal, value: dolphin}, {name: color, value: blue}]}]
    backendRefs: [{name: infra-backend-v3, port: 8080}]
  - matches: [{method: POST, path: {type: PathPrefix, value: /m}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{method: GET, path: {type: PathPrefix, value: /m}}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
""")


@pytest.mark.parametrize("url,method,expected", [
    ("http://gw/?animal=whale", "GET", "v1"), ("http://gw/?animal=dolphin", "GET", "v2"),
    ("http://gw/?animal=dolphin&color=blue", "GET", "v3"),  # more query matches win
    ("http://gw/?ANIMAL=whale", "GET", None),  # names are case-sensitive
    ("http://gw/?animal=whale&animal=dolphin", "GET", "v1"),  # only the first value counts
    ("http://gw/m", "POST", "v1"), ("http://gw/m", "GET", "v2"), ("http://gw/m", "HEAD", None),
])
def test_query_param_and_method_matching(cluster, url, method, expected):
    d = GatewayRouter(cluster(QUERY_METHOD), f"{NS}/same-namespace").route(url, method)
    assert d.line == (f"{NS}/infra-backend-{expected}:8080" if expected else "404")
