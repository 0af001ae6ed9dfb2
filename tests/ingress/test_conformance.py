"""Every scenario of kubernetes-sigs/ingress-controller-conformance that kubelab can answer.

Source: kubernetes-sigs/ingress-controller-conformance, ``features/path_rules.feature``,
``features/host_rules.feature``, ``features/default_backend.feature``,
``features/ingress_class.feature`` and ``features/load_balancing.feature`` (the
Background manifests are copied as the feature files give them; each test names its
scenario).  The suite's echo services are modelled as one pod per Service, so the
controller answers 200 where the feature expects it.
"""

from __future__ import annotations

import pytest

from kubelab.ingress import IngressController, install, route

from .conftest import cluster, make_cert, pod, service, tls_secret

# ---------------------------------------------------------------- features/path_rules.feature
PATH_RULES = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: path-rules
spec:
  rules:
    - host: "exact-path-rules"
      http:
        paths:
          - path: /foo
            pathType: Exact
            backend:
              service:
                name: foo-exact
                port:
                  number: 8080

    - host: "prefix-path-rules"
      http:
        paths:
          - path: /foo
            pathType: Prefix
            backend:
              service:
                name: foo-prefix
                port:
                  number: 8080

          - path: /aaa/bbb
            pathType: Prefix
            backend:
              service:
                name: aaa-slash-bbb-prefix
                port:
                  number: 8080

          - path: /aaa
            pathType: Prefix
            backend:
              service:
                name: aaa-prefix
                port:
                  number: 8080

    - host: "mixed-path-rules"
      http:
        paths:
          - path: /foo
            pathType: Prefix
            backend:
              service:
                name: foo-prefix
                port:
                  number: 8080

          - path: /foo
            pathType: Exact
            backend:
              service:
                name: foo-exact
                port:
                  number: 8080

    - host: "trailing-slash-path-rules"
      http:
        paths:
          - path: /aaa/bbb/
            pathType: Prefix
            backend:
              service:
                name: aaa-slash-bbb-slash-prefix
                port:
                  number: 8080

          - path: /foo/
            pathType: Exact
            backend:
              service:
                name: foo-slash-exact
                port:
                  number: 8080
"""
PATH_BACKENDS = ["foo-exact", "foo-prefix", "aaa-slash-bbb-prefix", "aaa-prefix", "aaa-slash-bbb-slash-prefix",
                 "foo-slash-exact"]


@pytest.fixture(scope="module")
def path_rules():
    docs = [PATH_RULES] + [service(n) for n in PATH_BACKENDS] + [pod(f"{n}-1", n) for n in PATH_BACKENDS]
    return IngressController(cluster(*docs))


PATH_SCENARIOS = [
    # (scenario, URL, served by / 404, request path)
    ("An Ingress with exact path rules should send traffic to the matching backend service",
     "http://exact-path-rules/foo", "foo-exact", "/foo"),
    ("An Ingress with exact path rules should not match requests with trailing slash",
     "http://exact-path-rules/foo/", None, None),
    ("An Ingress with exact path rules should be case sensitive", "http://exact-path-rules/FOO", None, None),
    ("An Ingress with exact path rules should not match any other label", "http://exact-path-rules/bar", None, None),
    ("An Ingress with prefix path rules should send traffic to the matching backend service",
     "http://prefix-path-rules/foo", "foo-prefix", "/foo"),
    ("An Ingress with prefix path rules should ignore the request trailing slash and send traffic to the matching "
     "backend service", "http://prefix-path-rules/foo/", "foo-prefix", "/foo/"),
    ("An Ingress with prefix path rules should be case sensitive", "http://prefix-path-rules/FOO", None, None),
    ("An Ingress with prefix path rules should match multiple labels, match the longest path, and send traffic to "
     "the matching backend service", "http://prefix-path-rules/aaa/bbb", "aaa-slash-bbb-prefix", "/aaa/bbb"),
    ("An Ingress with prefix path rules should match multiple labels, match the longest path, and subpaths and send "
     "traffic to the matching backend service", "http://prefix-path-rules/aaa/bbb/ccc", "aaa-slash-bbb-prefix",
     "/aaa/bbb/ccc"),
    ("An Ingress with prefix path rules should and send traffic to the matching backend service",
     "http://prefix-path-rules/aaa/ccc", "aaa-prefix", "/aaa/ccc"),
    ("An Ingress with prefix path rules should match each labels string prefix",
     "http://prefix-path-rules/aaaccc", None, None),
    ("An Ingress with mixed path rules should send traffic to the matching backend service where Exact is preferred",
     "http://mixed-path-rules/foo", "foo-exact", "/foo"),
    ("An Ingress with a trailing slashes in a prefix path rule should ignore the trailing slash and send traffic to "
     "the matching backend service (/aaa/bbb)", "http://trailing-slash-path-rules/aaa/bbb",
     "aaa-slash-bbb-slash-prefix", "/aaa/bbb"),
    ("An Ingress with a trailing slashes in a prefix path rule should ignore the trailing slash and send traffic to "
     "the matching backend service (/aaa/bbb/)", "http://trailing-slash-path-rules/aaa/bbb/",
     "aaa-slash-bbb-slash-prefix", "/aaa/bbb/"),
    ("An Ingress with a trailing slashes in an exact path rule should not match requests without a trailing slash",
     "http://trailing-slash-path-rules/foo", None, None),
]


@pytest.mark.parametrize("scenario,url,served_by,request_path", PATH_SCENARIOS, ids=[s[0] for s in PATH_SCENARIOS])
def test_path_rules_feature(path_rules, scenario, url, served_by, request_path):
    d = path_rules.route(url)
    if served_by is None:
        assert (d.status, d.target, d.routed) == (404, "404", False)
    else:
        assert d.status == 200 and d.backend.service == served_by
        assert d.target == f"default/{served_by}:8080"
        assert d.path == request_path  # no rewrite: the backend sees the request path


# ---------------------------------------------------------------- features/host_rules.feature
HOST_RULES = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: host-rules
spec:
  tls:
    - hosts:
        - foo.bar.com
      secretName: conformance-tls
  rules:
    - host: "*.foo.com"
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: wildcard-foo-com
                port:
                  number: 8080

    - host: foo.bar.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: foo-bar-com
                port:
                  name: http
"""


@pytest.fixture(scope="module")
def host_rules():
    # Given a self-signed TLS secret named "conformance-tls" for the "foo.bar.com" hostname
    crt, key, _ = make_cert(["foo.bar.com"])
    docs = [HOST_RULES, tls_secret("conformance-tls", crt, key), service("wildcard-foo-com"), service("foo-bar-com"),
            pod("wildcard-1", "wildcard-foo-com"), pod("foo-bar-1", "foo-bar-com")]
    return IngressController(cluster(*docs))


def test_host_rules_tls_traffic_to_the_matching_backend(host_rules):
    """Scenario: An Ingress with a host rule should send TLS traffic to the matching backend service."""
    d = host_rules.route("https://foo.bar.com")
    assert d.tls.hostname_verified and not d.tls.fake  # the secure connection must verify the "foo.bar.com" hostname
    assert d.tls.secret == "default/conformance-tls" and d.tls.certificate.dns_names == ("foo.bar.com",)
    assert (d.status, d.backend.service, d.host) == (200, "foo-bar-com", "foo.bar.com")
    assert d.target == "default/foo-bar-com:8080"  # port "http" resolved through the Service


def test_host_rules_traffic_to_the_matching_backend(host_rules):
    """Scenario: An Ingress with a host rule should send traffic to the matching backend service.

    ingress-nginx answers plain HTTP for a host with a certificate with a 308 to https
    (ssl-redirect); the suite's client follows it to the same backend.
    """
    d = host_rules.route("http://foo.bar.com")
    assert (d.backend.service, d.host) == ("foo-bar-com", "foo.bar.com")
    assert (d.status, d.redirect) == (308, "https://foo.bar.com/")
    assert host_rules.route(d.redirect).status == 200


def test_host_rules_no_route_when_hostname_does_not_match(host_rules):
    """Scenario: An Ingress with a host rule should not route traffic when hostname does not match."""
    assert host_rules.route("http://subdomain.bar.com").status == 404


def test_host_rules_wildcard_sends_traffic_to_the_matching_backend(host_rules):
    """Scenario: An Ingress with a wildcard host rule should send traffic to the matching backend service."""
    d = host_rules.route("http://bar.foo.com")
    assert (d.status, d.backend.service, d.host) == (200, "wildcard-foo-com", "bar.foo.com")


def test_host_rules_wildcard_covers_only_one_label(host_rules):
    """Scenario: An Ingress with a wildcard host rule should not route traffic matching on more than a single dns label."""
    d = host_rules.route("http://baz.bar.foo.com")
    assert d.status == 404 and "one label" in d.why[0]


def test_host_rules_wildcard_needs_a_label(host_rules):
    """Scenario: An Ingress with a wildcard host rule should not route traffic matching no dns label."""
    assert host_rules.route("http://foo.com").status == 404


# ---------------------------------------------------------------- features/default_backend.feature
DEFAULT_BACKEND = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: default-backend}
spec:
  defaultBackend:
    service:
      name: echo-service
      port:
        number: 8080
"""
EXAMPLES = [("GET", "my-host", ""), ("GET", "my-host", "sub-path"), ("POST", "some-host", ""),
            ("PUT", "", "resource"), ("DELETE", "some-host", "resource"), ("PATCH", "my-host", "resource")]


@pytest.fixture(scope="module")
def default_backend():
    c = cluster(DEFAULT_BACKEND, service("echo-service"), pod("echo-1", "echo-service"))
    install(c)
    return IngressController(c)


@pytest.mark.parametrize("method,host,path", EXAMPLES, ids=[f"{m}-{h or 'no-host'}-{p or 'root'}" for m, h, p in EXAMPLES])
def test_default_backend_feature(default_backend, method, host, path):
    """Scenario Outline: An Ingress with no rules should send all requests to the default backend."""
    address = default_backend.addresses(default_backend.cluster.get("ingress", "default-backend"))[0]
    url = f"http://{host or address}/{path}"
    d = default_backend.route(url, method)
    assert (d.status, d.match, d.backend.service, d.method, d.path) == (200, "default-backend", "echo-service",
                                                                       method, f"/{path}")


# ---------------------------------------------------------------- features/ingress_class.feature
INVALID_CLASS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: test-ingress-class
spec:
  ingressClassName: some-invalid-class-name
  rules:
    - host: "ingress-class"
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: ingress-class-prefix
                port:
                  number: 8080
"""


def test_ingress_class_invalid_class_gets_no_address_and_no_traffic():
    """Scenario: An Ingress with an invalid ingress class should not send traffic to the matching backend service."""
    c = cluster(INVALID_CLASS, service("ingress-class-prefix"), pod("icp-1", "ingress-class-prefix"))
    install(c)
    ctl = IngressController(c)
    ing = c.get("ingress", "test-ingress-class")
    assert ctl.addresses(ing) == []  # the Ingress status should not contain the IP address or FQDN
    assert ctl.route("http://ingress-class/").status == 404
    assert "no IngressClass some-invalid-class-name exists" in ctl.not_served()["default/test-ingress-class"]


def test_ingress_status_shows_the_address_when_served(default_backend):
    """Background step of every feature: the Ingress status shows the IP address where it is exposed."""
    ing = default_backend.cluster.get("ingress", "default-backend")
    lb = default_backend.cluster.get("svc", "ingress-nginx-controller", "ingress-nginx").status.load_balancer
    assert default_backend.addresses(ing) == [lb.ingress[0].ip]


# ---------------------------------------------------------------- features/load_balancing.feature
def test_load_balancing_feature_uses_all_ten_pods():
    """Scenario Outline: 100 requests to an Ingress whose default backend has 10 pods reach 10 different pods."""
    lb = DEFAULT_BACKEND.replace("default-backend", "load-balancing")
    c = cluster(lb, service("echo-service"), *[pod(f"echo-{i}", "echo-service") for i in range(10)])
    install(c)
    ctl = IngressController(c)
    traces = [ctl.request("http://load-balancing/") for _ in range(100)]
    assert all(t.status == 200 for t in traces)
    pods = [t.backend for t in traces]
    assert len(set(pods)) == 10
    assert all(pods.count(p) == 10 for p in set(pods))  # round robin: an even split


def test_route_function_is_the_controllers_decision():
    c = cluster(DEFAULT_BACKEND, service("echo-service"))
    assert route(c, "http://x/").target == "default/echo-service:8080"
