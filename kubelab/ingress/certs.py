"""Throwaway self-signed certificates for the Ingress TLS exercises: one call, a certificate and its key.

What ``openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -subj /CN=HOST -addext
subjectAltName=DNS:HOST`` makes, and what cert-manager's ``SelfSigned`` issuer puts in a
``kubernetes.io/tls`` Secret: a certificate whose issuer is its subject (``CN=`` the first name),
the names as DNS subjectAltNames (what clients check, RFC 6125; ingress-nginx too), an ECDSA
P-256 key, SHA-256 signature, valid from five minutes ago (clock skew) for ``days``. Made with
``cryptography`` (kubelab's ``[tls]`` extra, imported only here and only when called).

The in-browser edition has no ``cryptography`` (no Pyodide build it can load offline). There
:func:`self_signed` returns a pair made once with this module (``python -m kubelab.ingress.certs
--write``) and shipped as package data in ``kubelab/data/certs/``, for the host names the
notebooks use (:data:`SHIPPED`), valid for a century. Those keys are public: they are course
data, never a secret; :func:`can_generate` says which case applies.

Examples
--------
>>> cert_pem, key_pem = self_signed("ssl.foo.com")
>>> cert_pem.startswith("-----BEGIN CERTIFICATE-----"), "PRIVATE KEY-----" in key_pem
(True, True)
>>> tls_secret("secret-tls", "tls", cert_pem, key_pem)["type"]
'kubernetes.io/tls'
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path
from typing import Any

from ..api.secret import TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY
from ..extras import MissingExtra, available, extra_of, require
from .tls import TLS_SECRET_TYPE

__all__ = ["SHIPPED", "can_generate", "self_signed", "shipped", "tls_secret"]

#: Where the shipped pairs are: ``<first name>.crt`` and ``<first name>.key``.
CERTS_DIR = Path(__file__).resolve().parent.parent / "data" / "certs"
#: The names of the shipped pairs (the hosts of notebook 07's TLS cells).
SHIPPED: tuple[tuple[str, ...], ...] = (("ssl.foo.com",), ("www.foo.com",))
#: How long a shipped pair is valid (100 years: a course outlives a day).
SHIPPED_DAYS = 36525


def can_generate() -> bool:
    """Whether :func:`self_signed` makes a new pair here (``cryptography`` is installed).

    >>> can_generate() in (True, False)
    True
    """
    return available("cryptography")


def _generate(names: tuple[str, ...], days: int) -> tuple[str, str]:
    require("cryptography", "making a certificate")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def shipped(*names: str) -> tuple[str, str]:
    """The shipped pair for ``names`` (one of :data:`SHIPPED`): (certificate PEM, key PEM).

    >>> shipped("www.foo.com")[0].startswith("-----BEGIN CERTIFICATE-----")
    True
    """
    if tuple(names) not in SHIPPED:
        choices = ", ".join(" ".join(n) for n in SHIPPED)
        raise MissingExtra(f"a certificate for {' '.join(names)} (shipped: {choices})", "cryptography",
                           extra_of("cryptography"))
    base = CERTS_DIR / names[0]
    return (base.with_name(names[0] + ".crt").read_text(encoding="ascii"),
            base.with_name(names[0] + ".key").read_text(encoding="ascii"))


def self_signed(*names: str, days: int = 1) -> tuple[str, str]:
    """A self-signed certificate for DNS ``names`` and its private key: (certificate PEM, key PEM).

    The first name is the subject's Common Name; all are subjectAltNames. Without
    ``cryptography`` (the in-browser edition), the shipped pair for these names (valid for a
    century, whatever ``days`` says), or :class:`kubelab.extras.MissingExtra` naming ``[tls]``.

    >>> cert_pem, key_pem = self_signed("www.foo.com")
    >>> from kubelab.ingress.tls import parse_certificate
    >>> parse_certificate(cert_pem.encode()).dns_names
    ('www.foo.com',)
    """
    if not names:
        raise ValueError("self_signed: name at least one host")
    if can_generate():
        return _generate(tuple(names), days)
    return shipped(*names)


def tls_secret(name: str, namespace: str, cert_pem: str, key_pem: str,
               type_: str = TLS_SECRET_TYPE) -> dict[str, Any]:
    """A Secret manifest holding a certificate and key (``kubectl create secret tls`` makes the same).

    >>> sorted(tls_secret("s", "ns", "C", "K")["stringData"])
    ['tls.crt', 'tls.key']
    """
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
            "type": type_, "stringData": {TLS_CERT_KEY: cert_pem, TLS_PRIVATE_KEY_KEY: key_pem}}


def write_shipped() -> list[Path]:
    """Make the shipped pairs again (a maintainer's command; needs ``cryptography``)."""
    CERTS_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for names in SHIPPED:
        cert_pem, key_pem = _generate(names, SHIPPED_DAYS)
        for suffix, text in ((".crt", cert_pem), (".key", key_pem)):
            path = CERTS_DIR / (names[0] + suffix)
            path.write_text(text, encoding="ascii")
            written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    parser = argparse.ArgumentParser(prog="python -m kubelab.ingress.certs",
                                     description="write the certificates shipped for the in-browser edition")
    parser.add_argument("--write", action="store_true", required=True)
    parser.parse_args()
    for path in write_shipped():
        print(f"wrote {path}")
