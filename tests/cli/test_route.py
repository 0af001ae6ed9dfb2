"""``kubelab route``: the target or 404, exit codes, -H Host:, --why, -o json, --trace, bad input.

Cases follow ingress-controller-conformance ``features/path_rules.feature`` and
``host_rules.feature`` and the chapter's five variants (``kubelab/data/ingress``).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

import kubelab

DATA = Path(kubelab.__file__).parent / "data" / "ingress"

FANOUT = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: fanout}
spec:
  rules:
  - host: foo.com
    http:
      paths:
      - {path: /foo, pathType: Prefix, backend: {service: {name: service-1, port: {number: 8080}}}}
      - {path: /foo, pathType: Exact, backend: {service: {name: service-exact, port: {number: 8080}}}}
      - {path: /bar, pathType: Prefix, backend: {service: {name: service-2, port: {name: http}}}}
---
apiVersion: v1
kind: Service
metadata: {name: service-2}
spec: {selector: {app: two}, ports: [{name: http, port: 80, targetPort: 8080}]}
"""


@pytest.fixture
def fanout(manifest) -> str:
    return manifest("fanout.yaml", FANOUT)


@pytest.mark.parametrize("url,out,code", [
    ("http://foo.com/foo", "default/service-exact:8080", 0),  # Exact preferred
    ("http://foo.com/foo/x", "default/service-1:8080", 0),
    ("http://foo.com/bar", "default/service-2:80", 0),  # port name resolved through the Service
    ("http://foo.com/foobar", "404", 1),
    ("http://foo.com/FOO", "404", 1),
    ("http://bar.com/foo", "404", 1),
])
def test_target_or_404(kubelab, fanout, url, out, code):
    r = kubelab("route", url, "-f", fanout)
    assert (r.code, r.out, r.err) == (code, out + "\n", "")


def test_host_header_overrides_the_url_host(kubelab, fanout):
    r = kubelab("route", "http://172.18.255.200/foo/", "-f", fanout, "-H", "Host: foo.com")
    assert (r.code, r.out) == (0, "default/service-1:8080\n")


def test_why_lines(kubelab, fanout):
    r = kubelab("route", "http://foo.com/foobar", "-f", fanout, "--why")
    lines = r.out.splitlines()
    assert r.code == 1 and lines[0] == "404"
    assert "  no path of server foo.com matches /foobar" in lines
    assert lines[-1] == "  the controller's default backend answers 404"


def test_json_decision(kubelab, fanout):
    r = kubelab("route", "http://foo.com/bar/baz", "-f", fanout, "-o", "json")
    doc = json.loads(r.out)
    assert r.code == 0 and doc["target"] == "default/service-2:80" and doc["match"] == "rule"
    assert doc["rule"] == {"host": "foo.com", "path": "/bar", "pathType": "Prefix",
                           "field": "spec.rules[0].http.paths[2]"}
    assert doc["backend"]["port"] == "http" and doc["backend"]["port_number"] == 80
    assert doc["status"] == 503 and doc["tls"] is None  # no pods behind service-2
    assert doc["ingress"] == "default/fanout" and doc["why"][0].startswith("host foo.com matches")


def test_json_tls_with_a_generated_certificate(kubelab, manifest):
    from tests.ingress.conftest import make_cert, tls_secret

    crt, key, _ = make_cert(["ssl.foo.com"])
    secret = manifest("secret.yaml", tls_secret("secret-tls", crt, key, namespace="tls"))
    r = kubelab("route", "https://ssl.foo.com/", "-f", str(DATA / "04-tls.yaml"), "-f", secret, "-o", "json")
    doc = json.loads(r.out)
    assert r.code == 0 and doc["target"] == "tls/service-1:443" and doc["status"] == 200
    tls = doc["tls"]
    assert tls["secret"] == "tls/secret-tls" and not tls["fake_certificate"] and tls["hostname_verified"]
    assert tls["certificate"]["dns_names"] == ["ssl.foo.com"]
    assert "PRIVATE KEY" not in r.out and base64.b64encode(key).decode()[:40] not in r.out
    r = kubelab("route", "http://ssl.foo.com/", "-f", str(DATA / "04-tls.yaml"), "-f", secret, "-o", "json")
    assert json.loads(r.out)["status"] == 308


def test_tls_without_secret_gets_the_fake_certificate(kubelab):
    r = kubelab("route", "https://ssl.foo.com/", "-f", str(DATA / "04-tls.yaml"), "--why")
    assert r.code == 0 and r.out.splitlines()[0] == "tls/service-1:443"
    assert "  tls: Secret tls/secret-tls not found: default certificate" in r.out.splitlines()


@pytest.mark.parametrize("name,url,headers,out", [
    ("01-single-service.yaml", "http://anything.example/any/path", [], "single/service-1:80"),
    ("02-simple-fanout.yaml", "http://foo.com/foo", [], "fanout/service-1:8080"),
    ("02-simple-fanout.yaml", "http://foo.com/bar/x", [], "fanout/service-2:8080"),
    ("02-simple-fanout.yaml", "http://foo.com/foobar", [], "404"),
    ("03-name-based-virtual-hosting.yaml", "http://foo.com/", [], "vhost/service-1:80"),
    ("03-name-based-virtual-hosting.yaml", "http://10.0.0.1/", ["-H", "Host: bar.com"], "vhost/service-2:80"),
    ("03-name-based-virtual-hosting.yaml", "http://baz.com/", [], "404"),
    ("05-load-balancing.yaml", "http://lb.example.com/", ["-H", "X-Canary: always"], "lb/service-2:80"),
    ("05-load-balancing.yaml", "http://lb.example.com/", ["-H", "X-Canary: never"], "lb/service-1:80"),
])
def test_the_chapters_variants(kubelab, name, url, headers, out):
    r = kubelab("route", url, "-f", str(DATA / name), *headers)
    assert r.out == out + "\n" and r.code == (1 if out == "404" else 0)


def test_canary_weight_is_seeded(kubelab):
    runs = [kubelab("route", "http://lb.example.com/", "-f", str(DATA / "05-load-balancing.yaml"), "--seed", str(s)).out
            for s in range(40)]
    assert set(runs) == {"lb/service-1:80\n", "lb/service-2:80\n"}
    assert runs == [kubelab("route", "http://lb.example.com/", "-f", str(DATA / "05-load-balancing.yaml"), "--seed",
                            str(s)).out for s in range(40)]


def test_legacy_yaml_routes_with_the_retirement_warning(kubelab):
    r = kubelab("route", "http://x/testpath", "-f", str(DATA / "legacy" / "seed-variants.yaml"))
    assert (r.code, r.out) == (0, "default/service-1:80\n")
    assert "extensions/v1beta1 Ingress is deprecated in v1.14+, unavailable in v1.22+" in r.err


def test_trace_end_to_end(kubelab):
    r = kubelab("route", "http://lb.example.com/", "-f", str(DATA / "05-load-balancing.yaml"), "--trace",
                "-H", "X-Canary: never")
    lines = r.out.splitlines()
    assert r.code == 0 and lines[0] == "GET http://lb.example.com/"
    assert "== client -> ingress controller ==" in lines
    assert any(line.startswith("== ingress-nginx in ingress-nginx/ingress-nginx-controller-") for line in lines)
    assert any(line.startswith("== controller -> endpoint ") for line in lines)
    assert lines[-1].startswith("status: 200 from lb/stable-1 at ")


def test_trace_json(kubelab):
    r = kubelab("route", "http://foo.com/", "-f", str(DATA / "03-name-based-virtual-hosting.yaml"), "--trace",
                "-o", "json")
    doc = json.loads(r.out)
    assert r.code == 0 and doc["status"] == 200 and doc["backend"] == "vhost/one-1"
    assert [leg["verdict"] for leg in doc["legs"]] == ["delivered", "delivered"]
    assert doc["decision"]["target"] == "vhost/service-1:80"


@pytest.mark.parametrize("argv,message", [
    (["ftp://foo.com/"], 'error: URL "ftp://foo.com/": an Ingress routes http:// and https:// requests only'),
    (["http://foo.com/", "-H", "NoColon"], 'error: -H "NoColon": want NAME: VALUE'),
    (["http://foo.com/"], "error: must specify one of -f and -k"),
])
def test_bad_input_is_exit_2(kubelab, fanout, argv, message):
    args = ["route", *argv] + (["-f", fanout] if "NoColon" in argv or "ftp" in argv[0] else [])
    r = kubelab(*args)
    assert r.code == 2 and r.err.startswith(message)


def test_count_shows_the_canary_split(kubelab):
    r = kubelab("route", "http://lb.example.com/", "-f", str(DATA / "05-load-balancing.yaml"), "--count", "500",
                "-o", "json")
    doc = json.loads(r.out)
    split = {s["outcome"]: s["count"] for s in doc["split"]}
    assert r.code == 0 and sum(split.values()) == 500 and 70 <= split["lb/service-2:80"] <= 130  # weight 20 of 100
    text = kubelab("route", "http://lb.example.com/", "-f", str(DATA / "05-load-balancing.yaml"), "--count", "5").out
    assert text.splitlines()[5] == "split over 5 requests:"
    assert kubelab("route", "http://x/", "-f", str(DATA / "05-load-balancing.yaml"), "--count", "0").code == 2
