"""kubelab.ingress.x509, the pure reader of the in-browser edition: the same CertificateInfo and the
same key verdicts as cryptography gives, on certificates cryptography makes."""

from __future__ import annotations

import datetime
import ipaddress

import pytest

from kubelab.ingress import tls, x509 as reader

from .conftest import make_cert

crypto = pytest.importorskip("cryptography", reason="cryptography is the reference the reader is held to")
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def both(pem: bytes) -> tuple[tls.CertificateInfo, tls.CertificateInfo]:
    return tls.parse_certificate(pem), tls.CertificateInfo(**reader.certificate_fields(pem))


def odd_certificate() -> bytes:
    """RSA, a multi-valued RDN, values RFC 4514 escapes, an OID with no short name, IP SANs, a chain."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "NL")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ' Acme, "Co" <x>+;'),
                                        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "#ops ")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.SERIAL_NUMBER, "42")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, "caf\u00e9.example")]),
    ])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example CA"),
                        x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "example")])
    start = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(0x0ABCDEF).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("a.example"), x509.IPAddress(ipaddress.ip_address("10.0.0.1")),
                x509.DNSName("*.b.example"), x509.IPAddress(ipaddress.ip_address("2001:db8::1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    second, _, _ = make_cert(["second.example"])
    return pem + second


@pytest.mark.parametrize("make", [lambda: make_cert(["ssl.foo.com", "www.foo.com"])[0],
                                  lambda: make_cert([], cn="cn-only.example")[0], odd_certificate],
                         ids=["ec-two-names", "cn-only", "rsa-odd-names-chain"])
def test_the_reader_reads_what_cryptography_reads(make):
    expected, got = both(make())
    assert got == expected
    assert got.subject and got.sha256 and got.not_after


def test_the_odd_names_are_escaped_as_cryptography_escapes_them():
    pem = odd_certificate()
    info = tls.CertificateInfo(**reader.certificate_fields(pem))
    assert info.subject == x509.load_pem_x509_certificates(pem)[0].subject.rfc4514_string()
    assert "O=\\ Acme\\, \\\"Co\\\" \\<x\\>\\+\\;" in info.subject and "OU=\\#ops\\ " in info.subject
    assert info.subject.startswith("CN=caf\u00e9.example,2.5.4.5=42,") and info.subject.endswith(",C=NL")
    assert info.ip_addresses == ("10.0.0.1", "2001:db8::1")
    assert info.serial == "abcdef"


def test_no_certificate_is_a_value_error():
    for pem in (b"", b"not pem", make_cert(["x.example"])[1]):
        with pytest.raises(ValueError):
            reader.certificate_fields(pem)


def pkcs8(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def test_key_verdicts_are_cryptographys():
    cert, key_pem, key = make_cert(["a.example"])
    other_cert, other_key_pem, _ = make_cert(["b.example"])
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_cert, _, _ = make_cert(["r.example"], key=rsa_key)
    traditional = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption())
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(b"secret"))
    cases = [(cert, key_pem), (cert, other_key_pem), (other_cert, other_key_pem), (cert, traditional),
             (rsa_cert, pkcs8(rsa_key)), (rsa_cert, key_pem), (cert, pkcs8(rsa_key)),
             (rsa_cert, rsa_key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.TraditionalOpenSSL,
                                              serialization.NoEncryption())),
             (cert, encrypted), (cert, b"garbage")]
    for cert_pem, k in cases:
        assert reader.key_matches(cert_pem, k) == tls._key_matches(cert_pem, k), (cert_pem[:40], k[:40])
    assert [reader.key_matches(c, k) is None for c, k in cases[:5]] == [True, False, True, True, True]


def test_what_the_reader_cannot_check_it_says():
    ed = ed25519.Ed25519PrivateKey.generate()
    cert, _, _ = make_cert(["a.example"])
    assert reader.key_matches(cert, pkcs8(ed)) == "tls.key holds an unsupported private key"
    # a SEC 1 EC key written without its public point
    from asn1crypto import keys, pem

    key = ec.generate_private_key(ec.SECP256R1())
    sec1 = keys.ECPrivateKey.load(key.private_bytes(serialization.Encoding.DER,
                                                    serialization.PrivateFormat.TraditionalOpenSSL,
                                                    serialization.NoEncryption()))
    bare = keys.ECPrivateKey({"version": sec1["version"].native, "private_key": sec1["private_key"].native,
                              "parameters": sec1["parameters"]})
    assert "cannot check" in reader.key_matches(cert, pem.armor("EC PRIVATE KEY", bare.dump()))


def test_the_ingress_model_gives_the_same_decisions_without_cryptography(monkeypatch):
    """The TLS tests' scenarios, with tls reading through the pure reader."""
    cert, key_pem, _ = make_cert(["ssl.foo.com"])
    secret = type("S", (), {"namespace": "tls", "name": "s", "type": "kubernetes.io/tls",
                            "value": lambda self, k: {"tls.crt": cert, "tls.key": key_pem}[k]})()
    expected = tls.load_tls_secret(secret)
    monkeypatch.setattr(tls, "_has_cryptography", lambda: False)
    assert tls.load_tls_secret(secret) == expected
    assert expected[0] is not None and expected[1] == ""
