"""Name, label, port and address checks, with the API server's own messages.

Upstream: ``k8s.io/apimachinery/pkg/util/validation/validation.go``
(``IsDNS1123Label``, ``IsDNS1123Subdomain``, ``IsDNS1035Label``,
``IsQualifiedName``, ``IsValidLabelValue``, ``IsValidPortNum``,
``IsValidPortName``) and ``k8s.io/kubernetes/pkg/apis/core/validation``.
Each function returns a list of detail strings (empty = valid), exactly as the
Go functions do, so callers can wrap them in ``FieldError.invalid``.

Examples
--------
>>> is_dns1123_label("web")
[]
>>> is_valid_port_num(0)
['must be between 1 and 65535, inclusive']
"""

from __future__ import annotations

import ipaddress
import re

__all__ = [
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_dns1035_label",
    "is_qualified_name",
    "is_valid_label_value",
    "is_valid_port_num",
    "is_valid_port_name",
    "is_valid_ip",
    "is_valid_cidr",
]

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_PORT_NAME_CHARS = re.compile(r"^[-a-z0-9]+$")
_HAS_LETTER = re.compile(r"[a-z]")


def _regex_msg(what: str, fmt: str, examples: list[str]) -> str:
    """apimachinery's ``RegexError``, including its odd ``'a',  or 'b', `` joining of examples."""
    ex = " or ".join(f"'{e}', " for e in examples)
    return f"{what} (e.g. {ex}regex used for validation is '{fmt}')"


def is_dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if _DNS1123_LABEL.match(value):
        pass
    elif _DNS1123_SUBDOMAIN.match(value):
        errs.append("must not contain dots")  # a valid subdomain, and the length was checked: it must be dots
    else:
        errs.append(_regex_msg(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
            "and must start and end with an alphanumeric character",
            "[a-z0-9]([-a-z0-9]*[a-z0-9])?", ["my-name", "123-abc"]))
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not _DNS1123_SUBDOMAIN.match(value):
        errs.append(_regex_msg(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
            "and must start and end with an alphanumeric character",
            r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", ["example.com"]))
    return errs


def is_dns1035_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1035_LABEL.match(value):
        errs.append(_regex_msg(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
            "alphabetic character, and end with an alphanumeric character",
            "[a-z]([-a-z0-9]*[a-z0-9])?", ["my-name", "abc-123"]))
    return errs


def is_qualified_name(value: str) -> list[str]:
    """A label or annotation key: optional DNS-subdomain prefix, ``/``, a name of <= 63 chars."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return [_regex_msg(
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character", "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]",
            ["MyName", "my.name", "123-abc"]) + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if name and not _QUALIFIED_NAME.match(name):
        errs.append("name part " + _regex_msg(
            "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character", "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]", ["MyName", "my.name", "123-abc"]))
    return errs


def is_valid_label_value(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _LABEL_VALUE.match(value):
        errs.append(_regex_msg(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character",
            "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", ["MyValue", "my_value", "12345"]))
    return errs


def is_valid_port_num(port: int) -> list[str]:
    if 1 <= port <= 65535:
        return []
    return ["must be between 1 and 65535, inclusive"]


def is_valid_port_name(name: str) -> list[str]:
    """An IANA_SVC_NAME: at most 15 characters, lower-case letters, digits and '-'."""
    errs = []
    if len(name) > 15:
        errs.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARS.match(name):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _HAS_LETTER.search(name):
        errs.append("must contain at least one letter (a-z)")
    if "--" in name:
        errs.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def is_valid_ip(value: str) -> list[str]:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]
    if "." in value and any(len(p) > 1 and p.startswith("0") for p in value.split(".")):
        return ["must not have leading 0s"]
    return []


def is_valid_cidr(value: str) -> list[str]:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return ["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"]
    if "/" not in value:
        return ["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"]
    return []
