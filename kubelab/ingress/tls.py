"""TLS for Ingress: which certificate the controller presents for a server name (SNI).

Upstream: the Ingress API (``spec.tls[].hosts``, ``secretName``; the Secret lives in the
Ingress's namespace and holds ``tls.crt`` and ``tls.key``), ingress-nginx
(``createServers``: for each host of an Ingress's rules, the TLS entry listing that host,
else any TLS entry of the same Ingress whose certificate covers it
(``extractTLSSecretName``); the certificate must verify for the host, else "Using
default certificate"; the first, oldest Ingress to give a server a certificate keeps it;
a server without one, and the catch-all server ``_``, present the controller's default
certificate, generated at start-up: ``O=Acme Co, CN=Kubernetes Ingress Controller Fake
Certificate``, SAN ``ingress.local``), and RFC 6125 section 6.4.3 for names: a ``*``
wildcard is the whole left-most label and stands for exactly one label.

So the fake certificate is what a client sees when it sends no SNI (it connected by IP
address), when its SNI matches no rule host, when that host's Ingresses have no TLS
entry for it, and when the Secret is missing, is not ``kubernetes.io/tls``, lacks a key,
holds something that does not parse, a key that does not match the certificate, or a
certificate that does not cover the host.  The first-match rules of nginx mean SNI
chooses the certificate while the ``Host`` header chooses the route.

Departure, on purpose: ingress-nginx reads any Secret with ``tls.crt``/``tls.key`` keys
whatever its ``type``; kubelab requires ``type: kubernetes.io/tls`` (what the API server
checks the keys of), and says so in the decision.

Certificates and keys are read with ``cryptography`` (the ``[tls]`` extra); where it is missing
(the in-browser edition), with the pure reader of :mod:`kubelab.ingress.x509` (its docstring says
what it cannot check).

Private keys are parsed only to compare their public half with the certificate's, then
dropped: no key material is kept, returned or printed, and Secret values never appear in
messages.

Examples
--------
>>> name_matches("*.foo.com", "bar.foo.com"), name_matches("*.foo.com", "a.bar.foo.com")
(True, False)
>>> FAKE_CERTIFICATE.subject
'CN=Kubernetes Ingress Controller Fake Certificate,O=Acme Co'
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from ..api.secret import TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY

__all__ = ["CertificateInfo", "TLSDecision", "ServerCertificate", "FAKE_CERTIFICATE", "parse_certificate", "name_matches",
           "server_certificates", "choose_certificate",
           "load_tls_secret", "TLS_SECRET_TYPE"]

TLS_SECRET_TYPE = "kubernetes.io/tls"


def name_matches(pattern: str, host: str) -> bool:
    """RFC 6125 6.4.3: exact (case-insensitive) or ``*.`` + the rest, ``*`` standing for exactly one label.

    Partial-label wildcards (``f*.example.com``) are not honoured, as browsers do not.
    """
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        label, dot, rest = host.partition(".")
        return bool(label) and bool(dot) and rest == pattern[2:] and "*" not in label
    return "*" not in pattern and pattern == host


@dataclass(frozen=True)
class CertificateInfo:
    """What a client learns from a certificate: names, issuer, validity, fingerprint.  No key material."""

    subject: str
    issuer: str
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    common_name: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    serial: str | None = None
    sha256: str | None = None
    fake: bool = False

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer

    def covers(self, host: str) -> bool:
        """Whether a modern client accepts this certificate for ``host`` (SANs only, RFC 6125)."""
        return any(name_matches(n, host) for n in self.dns_names) or host in self.ip_addresses

    def controller_accepts(self, host: str) -> bool:
        """ingress-nginx's check: the SANs, then (deprecated) the Common Name."""
        return self.covers(host) or bool(self.common_name and name_matches(self.common_name, host))

    def to_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "issuer": self.issuer, "dns_names": list(self.dns_names),
                "ip_addresses": list(self.ip_addresses), "not_before": self.not_before, "not_after": self.not_after,
                "serial": self.serial, "sha256": self.sha256, "self_signed": self.self_signed, "fake": self.fake}


#: ingress-nginx's default certificate (``CreateDefaultSSLCertificate``); its key and dates are made at start-up.
FAKE_CERTIFICATE = CertificateInfo(
    subject="CN=Kubernetes Ingress Controller Fake Certificate,O=Acme Co",
    issuer="CN=Kubernetes Ingress Controller Fake Certificate,O=Acme Co",
    dns_names=("ingress.local",), common_name="Kubernetes Ingress Controller Fake Certificate", fake=True)


def _iso(value: datetime.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _has_cryptography() -> bool:
    """Whether ``cryptography`` reads certificates here (else :mod:`kubelab.ingress.x509`)."""
    from ..extras import available

    return available("cryptography")


def parse_certificate(pem: bytes) -> CertificateInfo:
    """The first certificate of a PEM chain (``tls.crt``); ``ValueError`` if there is none.

    Read with ``cryptography`` (the ``[tls]`` extra), else with :mod:`kubelab.ingress.x509`'s
    pure reader (the in-browser edition).
    """
    if not _has_cryptography():
        from .x509 import certificate_fields

        return CertificateInfo(**certificate_fields(pem))
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    certs = x509.load_pem_x509_certificates(pem)
    cert = certs[0]
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns, ips = (), ()
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    cn = cns[0].value if cns else None
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(), dns_names=dns, ip_addresses=ips,
        common_name=cn if isinstance(cn, str) else None,
        not_before=_iso(cert.not_valid_before_utc), not_after=_iso(cert.not_valid_after_utc),
        serial=format(cert.serial_number, "x"), sha256=cert.fingerprint(hashes.SHA256()).hex(":"))


def _key_matches(cert_pem: bytes, key_pem: bytes) -> str | None:
    """``None`` when the private key is the certificate's, else the reason (never the key)."""
    if not _has_cryptography():
        from .x509 import key_matches

        return key_matches(cert_pem, key_pem)
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        return "tls.key is not an unencrypted PEM private key"
    except Exception:  # noqa: BLE001 -- unsupported algorithms raise their own types
        return "tls.key holds an unsupported private key"
    cert = x509.load_pem_x509_certificates(cert_pem)[0]
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    mine = key.public_key().public_bytes(serialization.Encoding.DER, pub)
    theirs = cert.public_key().public_bytes(serialization.Encoding.DER, pub)
    del key
    return None if mine == theirs else "private key does not match public key (tls.key is not tls.crt's key)"


def load_tls_secret(secret: Any, require_type: bool = True) -> tuple[CertificateInfo | None, str]:
    """``(certificate, "")`` for a usable TLS Secret, else ``(None, why not)``."""
    ref = f"Secret {secret.namespace or 'default'}/{secret.name}"
    if require_type and secret.type != TLS_SECRET_TYPE:
        return None, (f"{ref} has type {secret.type}, not {TLS_SECRET_TYPE} (kubelab requires it; ingress-nginx "
                      "itself only looks for the tls.crt and tls.key keys)")
    crt, key = secret.value(TLS_CERT_KEY), secret.value(TLS_PRIVATE_KEY_KEY)
    if not crt or not key:
        return None, f"{ref} contains no keypair ({TLS_CERT_KEY} and {TLS_PRIVATE_KEY_KEY})"
    try:
        info = parse_certificate(crt)
    except ValueError:
        return None, f"{ref}: {TLS_CERT_KEY} holds no PEM certificate"
    problem = _key_matches(crt, key)
    if problem:
        return None, f"{ref}: {problem}"
    return info, ""


@dataclass
class TLSDecision:
    """The certificate presented for one TLS handshake, and whether the client would accept its name."""

    sni: str | None
    server: str  # the nginx server whose certificate is used ("_" for the default server)
    certificate: CertificateInfo
    secret: str | None = None  # "namespace/name"
    ingress: str | None = None
    hostname_verified: bool = False
    why: list[str] = field(default_factory=list)

    @property
    def fake(self) -> bool:
        return self.certificate.fake

    def to_dict(self) -> dict[str, Any]:
        return {"sni": self.sni, "server": self.server, "secret": self.secret, "ingress": self.ingress,
                "fake_certificate": self.fake, "hostname_verified": self.hostname_verified,
                "certificate": self.certificate.to_dict(), "why": list(self.why)}


@dataclass
class ServerCertificate:
    """The certificate one nginx server was given (``None``: the default one), and the story of the choice."""

    certificate: CertificateInfo | None
    secret: str | None = None
    ingress: str | None = None
    why: list[str] = field(default_factory=list)


def _cert_accepts(info: CertificateInfo, host: str) -> bool:
    if host.startswith("*."):  # a wildcard server: the certificate must carry that same wildcard
        return host in {n.lower() for n in info.dns_names} or (info.common_name or "").lower() == host
    return info.controller_accepts(host)


def server_certificates(ingresses: list[Any], get_secret: Any, require_type: bool = True) -> dict[str, ServerCertificate]:
    """What certificate each server (rule host) gets, as ingress-nginx's ``createServers`` decides it.

    ``ingresses`` are the served Ingresses, oldest first; ``get_secret(namespace, name)``
    returns a Secret or ``None``.  Servers without an entry present the default certificate.
    """
    out: dict[str, ServerCertificate] = {}
    loaded: dict[tuple[str, str], tuple[CertificateInfo | None, str]] = {}

    def load(ns: str, name: str) -> tuple[CertificateInfo | None, str]:
        if (ns, name) not in loaded:
            secret = get_secret(ns, name)
            loaded[(ns, name)] = (None, f"Secret {ns}/{name} not found") if secret is None else \
                load_tls_secret(secret, require_type)
        return loaded[(ns, name)]

    for ing in ingresses:
        ns = ing.namespace or "default"
        ref = f"{ns}/{ing.name}"
        for rule in ing.spec.rules:
            host = (rule.host or "").lower()
            if not host or (host in out and out[host].certificate is not None):
                continue  # the catch-all server keeps the default certificate; the first Ingress to give one wins
            if not ing.spec.tls:
                continue
            entry = next((t for t in ing.spec.tls if host in {h.lower() for h in t.hosts}), None)
            how = f"spec.tls of Ingress {ref} lists {host}"
            if entry is None:  # ingress-nginx also takes a TLS entry of the same Ingress whose certificate covers it
                for t in ing.spec.tls:
                    info, _ = load(ns, t.secret_name) if t.secret_name else (None, "")
                    if info is not None and _cert_accepts(info, host):
                        entry, how = t, f"Secret {ns}/{t.secret_name} of Ingress {ref} covers {host} (not listed in hosts)"
                        break
            if entry is None:
                out.setdefault(host, ServerCertificate(None, why=[f"Ingress {ref} has spec.tls, but no entry for {host}"]))
                continue
            if not entry.secret_name:
                out[host] = ServerCertificate(None, None, ref, [f"{how} with an empty secretName: default certificate"])
                continue
            info, problem = load(ns, entry.secret_name)
            secret_ref = f"{ns}/{entry.secret_name}"
            if info is None:
                out[host] = ServerCertificate(None, secret_ref, ref, [how, f"{problem}: default certificate"])
                continue
            if not _cert_accepts(info, host):
                out[host] = ServerCertificate(None, secret_ref, ref, [
                    how, f"the certificate in Secret {secret_ref} (names {', '.join(info.dns_names) or 'none'}) "
                         f"does not cover {host}: default certificate"])
                continue
            out[host] = ServerCertificate(info, secret_ref, ref, [how, f"Secret {secret_ref}: {info.subject}"])
    return out


def choose_certificate(sni: str | None, certs: dict[str, ServerCertificate], table: Any) -> TLSDecision:
    """The certificate nginx presents for ``sni``: the server chosen by SNI (exact, then wildcard), else ``_``."""
    from .matching import CATCH_ALL, normalize_host

    host = normalize_host(sni) if sni else ""
    if not host or _is_ip(host):
        reason = "no SNI (the client connected by IP address)" if not host else f"{host} is an IP address: no SNI"
        return TLSDecision(None, CATCH_ALL, FAKE_CERTIFICATE, why=[
            f"{reason}: the default server _ presents the controller's fake certificate"],
            hostname_verified=bool(host) and FAKE_CERTIFICATE.covers(host))
    server, _ = table.select_server(host)
    if server.name == CATCH_ALL:
        return TLSDecision(host, CATCH_ALL, FAKE_CERTIFICATE, why=[
            f"SNI {host} matches no rule host: the default server _ presents the controller's fake certificate"],
            hostname_verified=FAKE_CERTIFICATE.covers(host))
    sc = certs.get(server.name)
    why = [f"SNI {host} selects server {server.name}"]
    if sc is None or sc.certificate is None:
        why += sc.why if sc else [f"no Ingress with a rule for {server.name} has a TLS entry for it"]
        why.append("the controller's fake certificate is presented (CN=Kubernetes Ingress Controller Fake Certificate)")
        return TLSDecision(host, server.name, FAKE_CERTIFICATE, sc.secret if sc else None, sc.ingress if sc else None,
                           FAKE_CERTIFICATE.covers(host), why)
    ok = sc.certificate.covers(host)
    why += sc.why
    why.append(f"a client verifying names {'accepts' if ok else 'rejects'} it for {host} "
               f"(SANs: {', '.join(sc.certificate.dns_names) or 'none'})")
    return TLSDecision(host, server.name, sc.certificate, sc.secret, sc.ingress, ok, why)


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False
