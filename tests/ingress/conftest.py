"""Fixtures for the Ingress tests: manifests as text, clusters, throwaway certificates.

Certificates are made at test time with ``cryptography`` (EC P-256 keys: fast); the keys
live only in the test process and in the Secret manifests written for it.
"""

from __future__ import annotations

import base64
import datetime
import textwrap

import pytest

from kubelab import Cluster
from tests import factories


def make_cert(names: list[str], *, cn: str | None = None, key=None, days: int = 30,
              issuer_key=None) -> tuple[bytes, bytes, object]:
    """A self-signed (or ``issuer_key``-signed) certificate for DNS ``names``: ``(cert PEM, key PEM, key)``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn or (names[0] if names else "no-san"))])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
               .not_valid_after(now + datetime.timedelta(days=days)))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem, key


def tls_secret(name: str, cert_pem: bytes, key_pem: bytes, namespace: str = "default",
               type_: str = "kubernetes.io/tls") -> str:
    """A Secret manifest holding a key pair (base64, as ``kubectl create secret tls`` writes it)."""
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return textwrap.dedent(f"""\
        apiVersion: v1
        kind: Secret
        metadata: {{name: {name}, namespace: {namespace}}}
        type: {type_}
        data:
          tls.crt: {b64(cert_pem)}
          tls.key: {b64(key_pem)}
        """)


@pytest.fixture(scope="session")
def cert_factory():
    return make_cert


def cluster(*docs: str, **kw) -> Cluster:
    return Cluster("\n---\n".join(textwrap.dedent(d).strip() for d in docs), **kw) if docs else Cluster(**kw)


def service(name: str, *, namespace: str = "default", port: int = 8080, port_name: str = "http",
            app: str | None = None, target: int = 8080) -> str:
    return factories.to_yaml(factories.service(name, namespace=namespace, selector={"app": app or name},
                                               ports=[{"name": port_name, "port": port, "targetPort": target}]))


def pod(name: str, app: str, *, namespace: str = "default", port: int = 8080) -> str:
    return factories.to_yaml(factories.pod(name, namespace=namespace, labels={"app": app}, image="agnhost",
                                           ports=[port]))
