"""core/v1 Secret: typed key/value data, base64 in ``data``, plain text in ``stringData``.

Upstream: ``k8s.io/api/core/v1/types.go`` (``Secret``, the ``SecretType*``
constants and their required keys), ``pkg/apis/core/validation``
(``ValidateSecret``: keys are config-map keys, the total decoded size is at
most 1 MiB, typed secrets need their keys) and the v1 conversion, which merges
``stringData`` into ``data`` (``stringData`` wins on a clash) so that a Secret
read back never shows ``stringData``.  Simplification: the ``kubernetes.io/tls``
key pair is not parsed here (the API server does not parse it either);
:mod:`kubelab.ingress.tls` does, where a controller would.

Secret values are credentials: they never appear in an error message or in
``repr()`` -- only the keys do.

Examples
--------
>>> s = Secret.from_dict({"metadata": {"name": "db"}, "stringData": {"password": "hunter2"}})
>>> s.default(); s.type, s.data, s.string_data
('Opaque', {'password': 'aHVudGVyMg=='}, {})
>>> s
Secret(default/db, type=Opaque, keys=['password'])
>>> bad = Secret.from_dict({"metadata": {"name": "t"}, "type": "kubernetes.io/tls", "data": {"tls.crt": "eA=="}})
>>> [str(e) for e in bad.validate()]
['data[tls.key]: Required value']
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import ClassVar

from ..errors import FieldError
from .meta import APIObject, ObjectMeta
from .validation import _regex_msg

__all__ = ["Secret", "SECRET_TYPES", "MAX_SECRET_SIZE", "TLS_CERT_KEY", "TLS_PRIVATE_KEY_KEY", "is_config_map_key"]

MAX_SECRET_SIZE = 1024 * 1024
TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY = "tls.crt", "tls.key"
#: type -> the data keys the API server requires for it (``ValidateSecret``).
SECRET_TYPES: dict[str, tuple[str, ...]] = {
    "Opaque": (),
    "kubernetes.io/service-account-token": (),  # needs the service-account.name annotation instead
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/basic-auth": (),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/tls": (TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY),
    "bootstrap.kubernetes.io/token": (),
}
_SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def is_config_map_key(key: str) -> list[str]:
    """apimachinery ``IsConfigMapKey`` (Secret keys obey it too)."""
    errs = []
    if len(key) > 253:
        errs.append("must be no more than 253 characters")
    if not _CONFIG_KEY.match(key):
        errs.append(_regex_msg("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                               "[-._a-zA-Z0-9]+", ["key.name", "KEY_NAME", "key-name"]))
    if key == ".":
        errs.append("must not be '.'")
    elif key == "..":
        errs.append("must not be '..'")
    elif key.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def _decoded_size(value: str) -> int | str:
    """The byte length of a base64 value, or the decoder's complaint (never the value itself)."""
    try:
        return len(base64.b64decode(value.encode("ascii"), validate=True))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        bad = next((i for i, ch in enumerate(value) if not (ch.isascii() and (ch.isalnum() or ch in "+/="))), None)
        at = bad if bad is not None else len(value)
        return f"illegal base64 data at input byte {at}"


@dataclass(repr=False)
class Secret(APIObject):
    """A Secret (v1).  ``data`` holds base64 text, as in YAML; :meth:`value` decodes one key."""

    api_version: ClassVar[str] = "v1"
    kind: ClassVar[str] = "Secret"
    plural: ClassVar[str] = "secrets"
    _k8s_model: ClassVar[str] = "V1Secret"
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    type: str | None = None
    data: dict[str, str] = field(default_factory=dict)
    string_data: dict[str, str] = field(default_factory=dict)
    immutable: bool | None = None

    def __repr__(self) -> str:  # the values are secret: keys only
        return f"Secret({self.namespace or 'default'}/{self.name}, type={self.type}, keys={sorted(self.keys())})"

    __str__ = __repr__

    def keys(self) -> list[str]:
        return sorted({*self.data, *self.string_data})

    def value(self, key: str) -> bytes | None:
        """The decoded bytes under ``key`` (``stringData`` first, as the API server merges it), or ``None``."""
        if key in self.string_data:
            return self.string_data[key].encode("utf-8")
        if key in self.data:
            try:
                return base64.b64decode(self.data[key].encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError, ValueError):
                return None
        return None

    def default(self) -> None:
        super().default()
        if not self.type:
            self.type = "Opaque"
        if self.string_data:  # the v1 conversion: stringData is write-only and overrides data
            merged = dict(self.data)
            for k, v in self.string_data.items():
                merged[k] = base64.b64encode(v.encode("utf-8")).decode("ascii")
            self.data, self.string_data = merged, {}

    def validate(self) -> list[FieldError]:
        errs = super().validate()
        total = 0
        for key, value in {**self.data, **{k: "" for k in self.string_data}}.items():
            path = f"data[{key}]"
            errs.extend(FieldError.invalid(path, key, m) for m in is_config_map_key(key))
            if key in self.string_data:
                total += len(self.string_data[key].encode("utf-8"))
                continue
            size = _decoded_size(value) if isinstance(value, str) else "must be a base64 string"
            if isinstance(size, str):
                errs.append(FieldError("Invalid", path, None, size))  # no value: it is a credential
            else:
                total += size
        if total > MAX_SECRET_SIZE:
            errs.append(FieldError("TooLong", "data", None, f"must have at most {MAX_SECRET_SIZE} bytes"))
        keys = set(self.keys())
        for key in SECRET_TYPES.get(self.type or "Opaque", ()):
            if key not in keys:
                errs.append(FieldError.required(f"data[{key}]"))
        if self.type == "kubernetes.io/service-account-token" and not self.metadata.annotations.get(_SA_NAME_ANNOTATION):
            errs.append(FieldError.required(f"metadata.annotations[{_SA_NAME_ANNOTATION}]"))
        return errs
