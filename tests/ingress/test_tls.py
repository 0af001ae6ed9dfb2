"""TLS: certificates from Secrets, RFC 6125 names, SNI, the controller's fake certificate.

Sources: ingress-nginx ``createServers``/``extractTLSSecretName`` (which Secret a server
gets, hostname verification, "Using default certificate"), ``CreateDefaultSSLCertificate``
(``O=Acme Co, CN=Kubernetes Ingress Controller Fake Certificate``, SAN ``ingress.local``),
RFC 6125 section 6.4.3.  Certificates are generated per test run (conftest.make_cert).
"""

from __future__ import annotations

import base64
import json

import pytest

from kubelab.api import load_text
from kubelab.errors import ValidationError
from kubelab.ingress import FAKE_CERTIFICATE, IngressController, name_matches, parse_certificate
from kubelab.ingress.tls import load_tls_secret

from .conftest import cluster, make_cert, pod, service, tls_secret

INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop}
spec:
  tls:
  - hosts: [shop.example.com]
    secretName: shop-tls
  - hosts: ['*.apps.example.com']
    secretName: apps-tls
  rules:
  - host: shop.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 8080}}}}]}
  - host: '*.apps.example.com'
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 8080}}}}]}
  - host: plain.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 8080}}}}]}
"""


@pytest.fixture(scope="module")
def certs():
    shop = make_cert(["shop.example.com"])
    apps = make_cert(["*.apps.example.com"])
    return shop, apps


def controller(*extra: str) -> IngressController:
    return IngressController(cluster(INGRESS, service("web"), pod("web-1", "web"), *extra))


@pytest.mark.parametrize("pattern,host,ok", [
    ("shop.example.com", "shop.example.com", True),
    ("SHOP.example.com", "shop.EXAMPLE.com", True),
    ("*.example.com", "shop.example.com", True),
    ("*.example.com", "a.shop.example.com", False),  # one label only
    ("*.example.com", "example.com", False),
    ("f*.example.com", "foo.example.com", False),  # partial-label wildcards: not honoured
    ("*.*.example.com", "a.b.example.com", False),
])
def test_rfc6125_name_matching(pattern, host, ok):
    assert name_matches(pattern, host) is ok


def test_sni_picks_the_servers_certificate(certs):
    (crt, key, _), (acrt, akey, _) = certs
    ctl = controller(tls_secret("shop-tls", crt, key), tls_secret("apps-tls", acrt, akey))
    d = ctl.route("https://shop.example.com/cart").tls
    assert (d.fake, d.hostname_verified, d.secret, d.server) == (False, True, "default/shop-tls", "shop.example.com")
    assert d.certificate.dns_names == ("shop.example.com",) and d.certificate.self_signed
    w = ctl.route("https://api.apps.example.com/").tls
    assert (w.fake, w.hostname_verified, w.secret, w.server) == (False, True, "default/apps-tls", "*.apps.example.com")


def test_sni_chooses_the_certificate_host_header_chooses_the_route(certs):
    (crt, key, _), (acrt, akey, _) = certs
    ctl = controller(tls_secret("shop-tls", crt, key), tls_secret("apps-tls", acrt, akey))
    d = ctl.route("https://shop.example.com/", headers={"Host": "plain.example.com"})
    assert d.tls.secret == "default/shop-tls" and d.host == "plain.example.com" and d.match == "rule"


@pytest.mark.parametrize("url,reason", [
    ("https://172.18.255.200/", "no SNI"),  # connected by IP address
    ("https://unknown.example.com/", "matches no rule host"),
    ("https://plain.example.com/", "has spec.tls, but no entry for plain.example.com"),
])
def test_hosts_that_get_the_fake_certificate(certs, url, reason):
    (crt, key, _), (acrt, akey, _) = certs
    ctl = controller(tls_secret("shop-tls", crt, key), tls_secret("apps-tls", acrt, akey))
    d = ctl.route(url).tls
    assert d.fake and d.certificate is FAKE_CERTIFICATE and not d.hostname_verified
    assert reason in " ".join(d.why)


def test_fake_certificate_is_ingress_nginxs():
    assert FAKE_CERTIFICATE.subject == "CN=Kubernetes Ingress Controller Fake Certificate,O=Acme Co"
    assert FAKE_CERTIFICATE.self_signed and FAKE_CERTIFICATE.dns_names == ("ingress.local",)
    assert FAKE_CERTIFICATE.covers("ingress.local") and not FAKE_CERTIFICATE.covers("shop.example.com")


def test_missing_secret_means_fake_certificate():
    d = controller().route("https://shop.example.com/").tls
    assert d.fake and "Secret default/shop-tls not found" in " ".join(d.why)


def test_secret_of_the_wrong_type_is_refused(certs):
    (crt, key, _), _ = certs
    d = controller(tls_secret("shop-tls", crt, key, type_="Opaque")).route("https://shop.example.com/").tls
    assert d.fake and "has type Opaque, not kubernetes.io/tls" in " ".join(d.why)


def test_key_that_does_not_match_the_certificate(certs):
    (crt, _, _), (_, other_key, _) = certs
    d = controller(tls_secret("shop-tls", crt, other_key)).route("https://shop.example.com/").tls
    assert d.fake and "private key does not match public key" in " ".join(d.why)


def test_certificate_that_does_not_cover_the_host():
    crt, key, _ = make_cert(["other.example.com"])
    d = controller(tls_secret("shop-tls", crt, key)).route("https://shop.example.com/").tls
    assert d.fake and "does not cover shop.example.com" in " ".join(d.why)


def test_tls_entry_not_listing_the_host_still_serves_a_covering_certificate():
    """ingress-nginx's extractTLSSecretName: a TLS entry of the same Ingress whose certificate covers the host."""
    crt, key, _ = make_cert(["shop.example.com", "plain.example.com"])
    ctl = controller(tls_secret("shop-tls", crt, key))
    d = ctl.route("https://plain.example.com/").tls
    assert not d.fake and d.secret == "default/shop-tls" and "not listed in hosts" in " ".join(d.why)


def test_cn_only_certificate_accepted_by_the_controller_rejected_by_clients():
    crt, key, _ = make_cert([], cn="shop.example.com")
    d = controller(tls_secret("shop-tls", crt, key)).route("https://shop.example.com/").tls
    assert not d.fake and not d.hostname_verified  # Go, browsers: SANs only


def test_http_is_redirected_when_the_server_has_a_certificate(certs):
    (crt, key, _), _ = certs
    ctl = controller(tls_secret("shop-tls", crt, key))
    d = ctl.route("http://shop.example.com/cart?x=1")
    assert (d.status, d.redirect, d.target) == (308, "https://shop.example.com/cart", "default/web:8080")
    assert ctl.route("http://plain.example.com/").status == 200


def test_parse_certificate_reads_names_and_validity(certs):
    (crt, _, _), _ = certs
    info = parse_certificate(crt)
    assert info.dns_names == ("shop.example.com",) and info.common_name == "shop.example.com"
    assert info.not_before < info.not_after and len(info.sha256.split(":")) == 32


def test_no_key_material_in_decisions_or_reprs(certs):
    (crt, key, _), _ = certs
    secret_yaml = tls_secret("shop-tls", crt, key)
    ctl = controller(secret_yaml)
    doc = json.dumps(ctl.route("https://shop.example.com/").to_dict())
    key_b64 = base64.b64encode(key).decode()
    assert "PRIVATE KEY" not in doc and key_b64[:40] not in doc and key_b64[:40] not in secret_yaml.split("tls.crt")[0]
    secret = ctl.cluster.get("secret", "shop-tls")
    assert key_b64[:20] not in repr(secret) and "tls.key" in repr(secret)
    info, problem = load_tls_secret(secret)
    assert problem == "" and "PRIVATE" not in repr(info)


def test_secret_values_never_in_validation_errors():
    with pytest.raises(ValidationError) as exc:
        load_text("""
apiVersion: v1
kind: Secret
metadata: {name: s}
data: {password: 'c2VjcmV0!!'}
""")
    assert "c2VjcmV0" not in str(exc.value) and "data[password]" in str(exc.value)
    assert "illegal base64 data at input byte 8" in str(exc.value)
