"""kubelab.ingress.certs: one call makes a certificate the Ingress model serves; without
cryptography (the in-browser edition) the shipped pairs stand in, and other names say what is missing."""

from __future__ import annotations

import datetime

import pytest

from kubelab import Cluster
from kubelab.extras import MissingExtra
from kubelab.ingress import certs, route, tls


def parse(cert_pem: str) -> tls.CertificateInfo:
    return tls.parse_certificate(cert_pem.encode())


def test_a_new_pair_names_every_host_and_is_its_own_issuer():
    pytest.importorskip("cryptography")
    cert_pem, key_pem = certs.self_signed("ssl.foo.com", "*.foo.com", days=3)
    info = parse(cert_pem)
    assert info.dns_names == ("ssl.foo.com", "*.foo.com")
    assert info.common_name == "ssl.foo.com" and info.self_signed
    after = datetime.datetime.fromisoformat(info.not_after.replace("Z", "+00:00"))
    now = datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(days=2, hours=23) < after - now <= datetime.timedelta(days=3)
    assert tls._key_matches(cert_pem.encode(), key_pem.encode()) is None
    other_cert, _ = certs.self_signed("ssl.foo.com")
    assert other_cert != cert_pem, "a new key and serial every call"


@pytest.mark.parametrize("names", certs.SHIPPED)
@pytest.mark.parametrize("reader", ["cryptography", "pure"])
def test_the_shipped_pairs_are_valid_for_a_century_and_match(names, reader, monkeypatch):
    if reader == "cryptography":
        pytest.importorskip("cryptography")
    else:
        monkeypatch.setattr(tls, "_has_cryptography", lambda: False)
    cert_pem, key_pem = certs.shipped(*names)
    info = parse(cert_pem)
    assert info.dns_names == names and info.self_signed
    assert info.not_after > "2120-01-01"
    assert tls._key_matches(cert_pem.encode(), key_pem.encode()) is None
    other = next(n for n in certs.SHIPPED if n != names)
    assert tls._key_matches(cert_pem.encode(), certs.shipped(*other)[1].encode()) is not None


def test_without_cryptography_the_notebooks_hosts_get_the_shipped_pairs(monkeypatch):
    monkeypatch.setattr(certs, "can_generate", lambda: False)
    monkeypatch.setattr(tls, "_has_cryptography", lambda: False)
    assert certs.self_signed("ssl.foo.com") == certs.shipped("ssl.foo.com")
    with pytest.raises(MissingExtra, match=r"certificate for other\.example .*cryptography"):
        certs.self_signed("other.example")


def test_without_cryptography_the_ingress_model_serves_the_shipped_certificate(monkeypatch):
    """Notebook 07's TLS cell in the browser: the Secret's certificate, not the fake one."""
    from importlib.resources import files

    monkeypatch.setattr(certs, "can_generate", lambda: False)
    monkeypatch.setattr(tls, "_has_cryptography", lambda: False)
    cluster = Cluster((files("kubelab") / "data" / "ingress" / "04-tls.yaml").read_text())
    cluster.apply(certs.tls_secret("secret-tls", "tls", *certs.self_signed("ssl.foo.com")))
    decision = route(cluster, "https://ssl.foo.com/", seed=0)
    assert not decision.tls.fake and decision.tls.hostname_verified
    assert decision.tls.certificate.dns_names == ("ssl.foo.com",)


def test_no_name_is_refused():
    with pytest.raises(ValueError, match="at least one host"):
        certs.self_signed()


def test_the_secret_is_what_kubectl_create_secret_tls_makes():
    cluster = Cluster()
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tls"}})
    cluster.apply(certs.tls_secret("s", "tls", "CERT", "KEY"))
    secret = cluster.get("Secret", "s", "tls")
    assert secret.type == "kubernetes.io/tls"
    assert secret.value("tls.crt") == b"CERT" and secret.value("tls.key") == b"KEY"
