"""Filters and weighted backends (Gateway API v1.4.0 ``apis/v1/httproute_types.go``).

The ReplacePrefixMatch table is the one in the comment of ``HTTPPathModifier``; the
rewrite and header cases follow ``conformance/tests/httproute-rewrite-path.yaml``,
``httproute-request-header-modifier.yaml`` and ``httproute-weight.yaml``.
"""

from __future__ import annotations

from collections import Counter

import pytest

from kubelab.gateway import GatewayRouter
from kubelab.gateway.filters import modify_headers, replace_prefix

from .conftest import NS


@pytest.mark.parametrize("path,prefix,replacement,expected", [
    ("/foo/bar", "/foo", "/xyz", "/xyz/bar"), ("/foo/bar", "/foo", "/xyz/", "/xyz/bar"),
    ("/foo/bar", "/foo/", "/xyz", "/xyz/bar"), ("/foo/bar", "/foo/", "/xyz/", "/xyz/bar"),
    ("/foo", "/foo", "/xyz", "/xyz"), ("/foo/", "/foo", "/xyz", "/xyz/"),
    ("/foo/bar", "/foo", "", "/bar"), ("/foo/", "/foo", "", "/"), ("/foo", "/foo", "", "/"),
    ("/foo/", "/foo", "/", "/"), ("/foo", "/foo", "/", "/"),
])
def test_replace_prefix_match_table(path, prefix, replacement, expected):
    assert replace_prefix(path, prefix, replacement) == expected


def test_header_modifier_set_add_remove():
    out = modify_headers({"set": [{"name": "X-Set", "value": "new"}], "add": [{"name": "X-Add", "value": "b"}],
                          "remove": ["X-Gone"]}, {"x-set": "old", "x-add": "a", "x-gone": "1", "keep": "k"})
    assert out == {"x-set": "new", "x-add": "a,b", "keep": "k"}


REWRITE = f"""
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: rewrite-path, namespace: {NS}}}
spec:
  parentRefs: [{{name: same-namespace}}]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: /prefix/one}}}}]
    filters: [{{type: URLRewrite, urlRewrite: {{path: {{type: ReplacePrefixMatch, replacePrefixMatch: /one}}}}}}]
    backendRefs: [{{name: infra-backend-v1, port: 8080}}]
  - matches: [{{path: {{type: PathPrefix, value: /full/one}}}}]
    filters: [{{type: URLRewrite, urlRewrite: {{hostname: one.example.org, path: {{type: ReplaceFullPath, replaceFullPath: /one}}}}}}]
    backendRefs: [{{name: infra-backend-v1, port: 8080}}]
  - matches: [{{path: {{type: PathPrefix, value: /headers}}}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {{set: [{{name: X-Header-Set, value: set-overwrites-values}}], remove: [X-Header-Remove]}}
    - type: ResponseHeaderModifier
      responseHeaderModifier: {{add: [{{name: X-Header-Add, value: header-val-1}}]}}
    - type: RequestMirror
      requestMirror: {{backendRef: {{name: infra-backend-v2, port: 8080}}}}
    backendRefs: [{{name: infra-backend-v1, port: 8080}}]
"""


@pytest.mark.parametrize("path,forwarded,host", [
    ("/prefix/one/two", "/one/two", "gw"), ("/prefix/one", "/one", "gw"),
    ("/full/one/two", "/one", "one.example.org"),
])
def test_url_rewrite(cluster, path, forwarded, host):
    d = GatewayRouter(cluster(REWRITE), f"{NS}/same-namespace").route(f"http://gw{path}")
    assert (d.target, d.path, d.host) == (f"{NS}/infra-backend-v1:8080", forwarded, host)


def test_header_modifiers_and_mirror(cluster):
    d = GatewayRouter(cluster(REWRITE), f"{NS}/same-namespace").route(
        "http://gw/headers", headers={"X-Header-Set": "old", "X-Header-Remove": "x", "Other": "o"})
    assert d.request_headers == {"x-header-set": "set-overwrites-values", "other": "o", "host": "gw"}
    assert d.response_headers == {"x-header-add": "header-val-1"}
    assert d.mirrors == [f"{NS}/infra-backend-v2:8080"]


def test_replace_prefix_match_with_an_exact_match_is_refused_by_the_crd(cluster):
    from kubelab.errors import ValidationError

    with pytest.raises(ValidationError) as err:
        cluster(REWRITE.replace("{type: PathPrefix, value: /prefix/one}", "{type: Exact, value: /prefix/one}"))
    assert str(err.value).endswith('spec.rules[0]: Invalid value: "object": When using URLRewrite filter with '
                                   'path.replacePrefixMatch, exactly one PathPrefix match must be specified')


WEIGHTS = f"""
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: weighted-backends, namespace: {NS}}}
spec:
  parentRefs: [{{name: same-namespace}}]
  rules:
  - backendRefs:
    - {{name: infra-backend-v1, port: 8080, weight: 70}}
    - {{name: infra-backend-v2, port: 8080, weight: 30}}
    - {{name: infra-backend-v3, port: 8080, weight: 0}}
"""


def test_weights_split_traffic_and_weight_zero_never_serves(cluster):
    router = GatewayRouter(cluster(WEIGHTS), f"{NS}/same-namespace", seed=7)
    counts = Counter(router.route("http://gw/").target for _ in range(2000))
    assert counts[f"{NS}/infra-backend-v3:8080"] == 0
    share = counts[f"{NS}/infra-backend-v1:8080"] / 2000
    assert 0.66 < share < 0.74  # 70 % of 2000 draws: 3 standard deviations is about 0.03


def test_weighted_draw_is_deterministic_per_seed(cluster):
    c = cluster(WEIGHTS)
    r1, r2 = GatewayRouter(c, f"{NS}/same-namespace", seed=5), GatewayRouter(c, f"{NS}/same-namespace", seed=5)
    first = [r1.route("http://gw/").target for _ in range(50)]
    assert first == [r2.route("http://gw/").target for _ in range(50)]
    assert len(set(first)) == 2  # both weighted backends drawn, in the same order


def test_all_weights_zero_is_500(cluster):
    c = cluster(WEIGHTS.replace("weight: 70", "weight: 0").replace("weight: 30", "weight: 0"))
    assert GatewayRouter(c, f"{NS}/same-namespace").route("http://gw/").line == "500"


def test_invalid_backend_gets_its_share_of_500s(cluster):
    c = cluster(WEIGHTS.replace("name: infra-backend-v2", "name: missing"))
    router = GatewayRouter(c, f"{NS}/same-namespace", seed=3)
    lines = Counter(router.route("http://gw/").line for _ in range(1000))
    assert set(lines) == {f"{NS}/infra-backend-v1:8080", "500"}
    assert 0.25 < lines["500"] / 1000 < 0.35


def test_precedence_exact_over_longer_prefix_and_oldest_route(cluster):
    c = cluster(f"""
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: b-older, namespace: {NS}}}
spec:
  parentRefs: [{{name: same-namespace}}]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: /api/v1}}}}]
    backendRefs: [{{name: infra-backend-v1, port: 8080}}]
  - matches: [{{path: {{type: PathPrefix, value: /same}}}}]
    backendRefs: [{{name: infra-backend-v1, port: 8080}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: a-newer, namespace: {NS}}}
spec:
  parentRefs: [{{name: same-namespace}}]
  rules:
  - matches: [{{path: {{type: Exact, value: /api/v1}}}}]
    backendRefs: [{{name: infra-backend-v2, port: 8080}}]
  - matches: [{{path: {{type: PathPrefix, value: /same}}}}]
    backendRefs: [{{name: infra-backend-v2, port: 8080}}]
  - matches: [{{path: {{type: PathPrefix, value: /api}}, headers: [{{name: x, value: "1"}}]}}]
    backendRefs: [{{name: infra-backend-v3, port: 8080}}]
""")
    router = GatewayRouter(c, f"{NS}/same-namespace")
    assert router.route("http://gw/api/v1").target.endswith("v2:8080")  # Exact wins
    assert router.route("http://gw/api/v1/x").target.endswith("v1:8080")  # longer prefix beats a header match
    assert router.route("http://gw/same").target.endswith("v1:8080")  # tie: the oldest route (applied first)


def test_creation_timestamp_decides_the_oldest_route(cluster):
    routes = "".join(f"""---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: {NS}, creationTimestamp: "{ts}"}}
spec:
  parentRefs: [{{name: same-namespace}}]
  rules: [{{backendRefs: [{{name: infra-backend-{v}, port: 8080}}]}}]
""" for name, ts, v in [("first-applied", "2026-02-01T00:00:00Z", "v1"), ("older", "2026-01-01T00:00:00Z", "v2")])
    router = GatewayRouter(cluster(routes), f"{NS}/same-namespace")
    assert router.route("http://gw/").target.endswith("v2:8080")
