"""Reading a certificate and a private key in pure Python, where ``cryptography`` is missing.

:mod:`kubelab.ingress.tls` reads the ``tls.crt`` and ``tls.key`` of a Secret with ``cryptography``
(kubelab's ``[tls]`` extra). The in-browser edition cannot load it, so there the same fields come
from ``asn1crypto`` 1.5.1 (pure Python, kubelab's ``[browser]`` extra): subject and issuer as
RFC 4514 strings, written the way ``cryptography.x509.Name.rfc4514_string`` writes them
(cryptography 50, ``src/cryptography/x509/name.py``: the RDNs last to first, the short names
``CN L ST O OU C STREET DC UID``, other types as dotted OIDs, RFC 4514 section 2.4 escaping,
binary values as ``#`` and hex), the DNS and IP subjectAltNames, validity, serial, SHA-256
fingerprint; and whether a private key is the certificate's, by comparing public halves.

Simplifications: a key's public half is taken from the key itself -- RSA's modulus and exponent,
the public point an EC key carries (PKCS #8 and SEC 1 keys written by OpenSSL and cryptography
do) -- so an EC key without its public point, and Ed25519/Ed448 keys, are reported as keys this
edition cannot check (the desktop edition derives the public half). Malformed DER that
``cryptography`` would refuse may be read more leniently.

>>> from kubelab.ingress.certs import shipped
>>> cert_pem, key_pem = shipped("ssl.foo.com")
>>> certificate_fields(cert_pem.encode())["dns_names"], key_matches(cert_pem.encode(), key_pem.encode())
(('ssl.foo.com',), None)
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from ..extras import require

__all__ = ["certificate_fields", "key_matches", "rfc4514"]

#: cryptography's ``_NAMEOID_TO_NAME``: the RFC 4514 short names it writes.
SHORT_NAMES = {"2.5.4.3": "CN", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
               "2.5.4.6": "C", "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC",
               "0.9.2342.19200300.100.1.1": "UID"}


def _asn1() -> Any:
    """asn1crypto with the submodules used here (``asn1crypto.x509``, ``.keys``, ``.pem``)."""
    what = "reading a certificate without the cryptography package"
    for module in ("asn1crypto.x509", "asn1crypto.keys", "asn1crypto.pem"):
        require(module, what)
    import asn1crypto

    return asn1crypto


def _escape(value: str) -> str:
    """RFC 4514 section 2.4, as cryptography escapes an attribute value."""
    if not value:
        return ""
    for ch in ("\\", '"', "+", ",", ";", "<", ">"):
        value = value.replace(ch, "\\" + ch)
    value = value.replace("\0", "\\00")
    if value[0] in ("#", " "):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value


def rfc4514(name: Any) -> str:
    """An ``asn1crypto.x509.Name`` as ``cryptography``'s ``rfc4514_string()`` writes it.

    >>> from asn1crypto import x509
    >>> rfc4514(x509.Name.build({"common_name": "a, b", "organization_name": "Acme Co"}))
    'CN=a\\\\, b,O=Acme Co'
    """
    rdns = []
    for rdn in name.chosen:
        parts = []
        for attribute in rdn:
            oid = attribute["type"].dotted
            value = attribute["value"]
            native = value.native
            if isinstance(native, str):
                text = _escape(native)
            else:  # not a string type: the DER of the value, as '#' and hex
                text = "#" + value.dump().hex()
            parts.append(f"{SHORT_NAMES.get(oid, oid)}={text}")
        rdns.append("+".join(parts))
    return ",".join(reversed(rdns))


def _iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _first_certificate(pem: bytes) -> Any:
    asn1 = _asn1()
    pem_codec = asn1.pem
    for kind, _headers, der in pem_codec.unarmor(pem, multiple=True) if pem_codec.detect(pem) else ():
        if kind == "CERTIFICATE":
            return asn1.x509.Certificate.load(der), der
    raise ValueError("no PEM certificate")


def certificate_fields(pem: bytes) -> dict[str, Any]:
    """The fields of :class:`kubelab.ingress.tls.CertificateInfo` for the first certificate of ``pem``.

    ``ValueError`` when there is no certificate, as ``cryptography``'s loader raises.
    """
    try:
        cert, der = _first_certificate(pem)
        tbs = cert["tbs_certificate"]
        dns: tuple[str, ...] = ()
        ips: tuple[str, ...] = ()
        san = cert.subject_alt_name_value
        if san is not None:
            dns = tuple(g.native for g in san if g.name == "dns_name")
            ips = tuple(str(g.native) for g in san if g.name == "ip_address")
        cns = [a["value"].native for rdn in tbs["subject"].chosen for a in rdn if a["type"].dotted == "2.5.4.3"]
        validity = tbs["validity"]
        return {"subject": rfc4514(tbs["subject"]), "issuer": rfc4514(tbs["issuer"]),
                "dns_names": dns, "ip_addresses": ips,
                "common_name": cns[0] if cns and isinstance(cns[0], str) else None,
                "not_before": _iso(validity["not_before"].native), "not_after": _iso(validity["not_after"].native),
                "serial": format(tbs["serial_number"].native, "x"),
                "sha256": hashlib.sha256(der).digest().hex(":")}
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 -- asn1crypto raises assorted errors on malformed DER
        raise ValueError(f"not a certificate: {exc}") from None


def _public_half(key_pem: bytes) -> tuple[str, Any] | str:
    """``(algorithm, public half)`` of an unencrypted PEM private key, else why not."""
    asn1 = _asn1()
    pem_codec = asn1.pem
    try:
        kind, _headers, der = pem_codec.unarmor(key_pem)
    except Exception:  # noqa: BLE001 -- not PEM at all
        return "tls.key is not an unencrypted PEM private key"
    try:
        if kind == "PRIVATE KEY":
            info = asn1.keys.PrivateKeyInfo.load(der)
            algorithm, key = info.algorithm, info["private_key"].parsed
        elif kind == "RSA PRIVATE KEY":
            algorithm, key = "rsa", asn1.keys.RSAPrivateKey.load(der)
        elif kind == "EC PRIVATE KEY":
            algorithm, key = "ec", asn1.keys.ECPrivateKey.load(der)
        else:
            return "tls.key is not an unencrypted PEM private key"
        if algorithm == "rsa":
            return "rsa", (key["modulus"].native, key["public_exponent"].native)
        if algorithm == "ec":
            point = key["public_key"].native
            if point is None:
                return "tls.key holds an EC key without its public point, which this edition cannot check"
            return "ec", point
    except Exception:  # noqa: BLE001 -- malformed DER
        return "tls.key is not an unencrypted PEM private key"
    return "tls.key holds an unsupported private key"


def key_matches(cert_pem: bytes, key_pem: bytes) -> str | None:
    """``None`` when ``key_pem`` is the private key of ``cert_pem``'s first certificate, else why not.

    The same answers and wording as :func:`kubelab.ingress.tls._key_matches`; no key material
    is kept or returned.
    """
    half = _public_half(key_pem)
    if isinstance(half, str):
        return half
    algorithm, public = half
    cert, _der = _first_certificate(cert_pem)
    spki = cert.public_key
    theirs: Any = None
    if spki.algorithm == algorithm == "rsa":
        parsed = spki["public_key"].parsed
        theirs = (parsed["modulus"].native, parsed["public_exponent"].native)
    elif spki.algorithm == algorithm == "ec":
        theirs = spki["public_key"].native
    del half
    return None if public == theirs else "private key does not match public key (tls.key is not tls.crt's key)"
