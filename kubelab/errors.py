"""The one exception family of kubelab.

Every mistake a user can make (a bad manifest, an unknown object, a port that
is already taken) is reported as a :class:`KubelabError` whose text reads like
kubectl's: it names the file, the object and the field.  The command line prints
``error: <text>`` and exits with status 2; notebooks show the same one line.

Examples
--------
>>> err = FieldError("Required", "spec.ports[0].port")
>>> str(err)
'spec.ports[0].port: Required value'
>>> str(ValidationError([err], source="web.yaml", obj="Service default/web"))
'web.yaml: Service default/web: spec.ports[0].port: Required value'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "KubelabError",
    "FieldError",
    "ValidationError",
    "LoadError",
    "NotFoundError",
    "ConflictError",
    "format_value",
]


def format_value(value: Any) -> str:
    """Render a bad value the way apimachinery's ``field.Error`` does.

    Strings are double-quoted (Go ``%q``), numbers and booleans are bare, lists
    and maps are shown as JSON.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    except TypeError:
        return repr(value)


class KubelabError(Exception):
    """Base class of every error kubelab reports to a user.

    Parameters
    ----------
    message
        The one-line explanation.
    source
        The file (or ``<stdin>``, ``<string>``) the object came from, if known.
    obj
        ``Kind namespace/name`` of the object concerned, if known.
    """

    def __init__(self, message: str, *, source: str | None = None, obj: str | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.obj = obj

    def __str__(self) -> str:
        parts = [p for p in (self.source, self.obj) if p]
        parts.append(self.message)
        return ": ".join(parts)


#: The apimachinery ``field.ErrorType`` strings (k8s.io/apimachinery/pkg/util/validation/field/errors.go).
_TYPE_TEXT = {
    "Required": "Required value",
    "Invalid": "Invalid value",
    "Duplicate": "Duplicate value",
    "NotSupported": "Unsupported value",
    "Forbidden": "Forbidden",
    "TooLong": "Too long",
    "TooMany": "Too many",
    "Unknown": "unknown field",
    "NotFound": "Not found",
}


@dataclass
class FieldError:
    """One problem with one field, formatted like apimachinery's ``field.Error``.

    ``kind`` is one of ``Required``, ``Invalid``, ``Duplicate``, ``NotSupported``,
    ``Forbidden``, ``TooLong``, ``TooMany`` or ``Unknown`` (an unknown field, as
    strict decoding reports it).
    """

    kind: str
    path: str
    value: Any = None
    detail: str = ""
    has_value: bool = field(default=False, repr=False)

    @classmethod
    def invalid(cls, path: str, value: Any, detail: str) -> "FieldError":
        return cls("Invalid", path, value, detail, True)

    @classmethod
    def required(cls, path: str, detail: str = "") -> "FieldError":
        return cls("Required", path, None, detail)

    @classmethod
    def duplicate(cls, path: str, value: Any) -> "FieldError":
        return cls("Duplicate", path, value, "", True)

    @classmethod
    def not_supported(cls, path: str, value: Any, supported: list[str]) -> "FieldError":
        detail = "supported values: " + ", ".join(format_value(s) for s in supported)
        return cls("NotSupported", path, value, detail, True)

    @classmethod
    def forbidden(cls, path: str, detail: str) -> "FieldError":
        return cls("Forbidden", path, None, detail)

    @classmethod
    def not_found(cls, path: str, value: Any) -> "FieldError":
        return cls("NotFound", path, value, "", True)

    @classmethod
    def unknown(cls, path: str, detail: str = "") -> "FieldError":
        return cls("Unknown", path, None, detail)

    def __str__(self) -> str:
        if self.kind == "Unknown":
            text = f'unknown field "{self.path}"'
            return f"{text}: {self.detail}" if self.detail else text
        text = f"{self.path}: {_TYPE_TEXT.get(self.kind, self.kind)}"
        if self.has_value:
            text += f": {format_value(self.value)}"
        if self.detail:
            text += f": {self.detail}"
        return text


class ValidationError(KubelabError):
    """An object (or a set of objects) failed validation.

    ``errors`` holds every :class:`FieldError`; ``str()`` shows the first one on
    one line and says how many more there are.
    """

    def __init__(self, errors: list[FieldError], *, source: str | None = None, obj: str | None = None):
        self.errors = list(errors)
        first = str(self.errors[0]) if self.errors else "invalid object"
        if len(self.errors) > 1:
            first += f" (and {len(self.errors) - 1} more)"
        super().__init__(first, source=source, obj=obj)

    def all_messages(self) -> list[str]:
        """Every problem, one formatted line each."""
        prefix = ": ".join(p for p in (self.source, self.obj) if p)
        return [f"{prefix}: {e}" if prefix else str(e) for e in self.errors]


class LoadError(KubelabError):
    """A file could not be read or parsed (not YAML/JSON, not an object, unknown kind)."""


class NotFoundError(KubelabError):
    """A named object does not exist (like kubectl's ``NotFound``)."""


class ConflictError(KubelabError):
    """An object clashes with one already in the cluster (an IP or port already allocated)."""
