"""Decoding and encoding of API objects: dicts (from YAML/JSON) <-> dataclasses.

This plays the part of the API server's strict JSON decoder
(``k8s.io/apimachinery/pkg/runtime/serializer/json``, ``sigs.k8s.io/json``
``UnmarshalStrict``): a field of the wrong type or a field that does not exist
is an error naming the field path, as ``kubectl apply`` (field validation
``Strict``, the default since Kubernetes 1.27) reports it.

Each model class is a dataclass.  A field's JSON name is its Python name in
lowerCamelCase unless ``json=`` overrides it (``podCIDR``, ``clusterIP`` ...).
Fields kubelab does not model are kept verbatim in the ``extra`` dict of the
object that holds them, so nothing a manifest says is lost: before a field is
kept that way, its name is checked against the official schema (the
``attribute_map`` of the ``kubernetes`` client's model class named by
``_k8s_model``, stored in :mod:`kubelab.api.upstream`), so a typo is still an
``unknown field`` error.

Simplification: unmodelled fields (``extra``) are checked for their name only,
not for their type or content.

Deviations in the messages: a value of the wrong type is ``spec.ports[0].port:
Invalid value: "eighty": must be an integer`` (the API server: ``json: cannot
unmarshal string into Go struct field ServicePort.spec.ports.port of type
int32``), and an unknown field may carry a hint, ``unknown field
"spec.selectr": did you mean "selector"?`` (the API server: ``strict decoding
error: unknown field "spec.selectr"``).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import types
import typing
from typing import Any, Union

from ..errors import FieldError

__all__ = ["spec_field", "decode", "encode", "Model", "IntOrString", "DecodeErrors"]

#: A field that takes an integer or a string (``intstr.IntOrString``).
IntOrString = Union[int, str]


def spec_field(default: Any = dataclasses.MISSING, *, json: str | None = None, factory: Any = None):
    """A dataclass field with an optional explicit JSON name."""
    meta = {"json": json} if json else {}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    if default is dataclasses.MISSING:
        default = None
    return dataclasses.field(default=default, metadata=meta)


def _camel(name: str) -> str:
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


class Model:
    """Mixin for model dataclasses: ``from_dict``, ``to_dict`` and ``extra``."""

    #: The kubernetes client model class whose attribute names are the schema
    #: for fields kubelab does not model (``None``: no such check, unknown = error).
    _k8s_model: typing.ClassVar[str | None] = None
    #: Accept any unknown field (free-form objects such as annotations-heavy CRDs).
    _open: typing.ClassVar[bool] = False

    @classmethod
    def from_dict(cls, data: Any, path: str = "") -> Any:
        errors: list[FieldError] = []
        obj = decode(cls, data, path, errors)
        if errors:
            raise DecodeErrors(errors)
        return obj

    def to_dict(self) -> dict[str, Any]:
        return encode(self)


class DecodeErrors(Exception):
    """Internal: raised by ``Model.from_dict`` with the collected field errors."""

    def __init__(self, errors: list[FieldError]):
        super().__init__(str(errors[0]))
        self.errors = errors


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, str, Any, dataclasses.Field], ...]:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if f.name == "extra":
            continue
        out.append((f.name, f.metadata.get("json") or _camel(f.name), hints[f.name], f))
    return tuple(out)


@functools.cache
def _json_index(cls: type) -> dict[str, tuple[str, Any]]:
    return {j: (n, t) for n, j, t, _ in _fields(cls)}


def _upstream_fields(model: str) -> frozenset[str] | None:
    from .upstream import fields
    return fields(model)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if tp is str:
        return "a string"
    if tp is bool:
        return "a boolean"
    if tp is int:
        return "an integer"
    if tp is float:
        return "a number"
    if origin is list:
        return "a list"
    if origin is dict or dataclasses.is_dataclass(tp):
        return "an object"
    if tp == IntOrString:
        return "an integer or a string"
    return str(tp)


def decode(tp: Any, value: Any, path: str, errors: list[FieldError]) -> Any:
    """Decode ``value`` as type ``tp``; problems are appended to ``errors``."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        if set(args) == {int, str}:
            if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
                return value
            errors.append(FieldError.invalid(path, value, "must be an integer or a string"))
            return None
        if len(args) == 1:
            return decode(args[0], value, path, errors)
        raise TypeError(f"unsupported union {tp}")  # a programming error in kubelab
    if tp is Any:
        return value
    if value is None:
        return None
    if tp is str:
        if isinstance(value, str):
            return value
    elif tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif origin is list:
        (item,) = typing.get_args(tp)
        if isinstance(value, list):
            return [_zero(item) if v is None else decode(item, v, f"{path}[{i}]", errors)
                    for i, v in enumerate(value)]
    elif origin is dict:
        _, vt = typing.get_args(tp)
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    errors.append(FieldError.invalid(path, k, "keys must be strings"))
                    continue
                out[k] = _zero(vt) if v is None and vt is not Any else decode(vt, v, f"{path}.{k}", errors)
            return out
    elif dataclasses.is_dataclass(tp):
        if isinstance(value, dict):
            return _decode_object(tp, value, path, errors)
    else:  # pragma: no cover - a programming error in kubelab
        raise TypeError(f"unsupported field type {tp!r}")
    errors.append(FieldError.invalid(path, value, f"must be {_type_name(tp)}"))
    return None


def _zero(tp: Any) -> Any:
    """Go's zero value for a ``null`` inside a list or map (``[null]`` decodes to ``[{}]``)."""
    if dataclasses.is_dataclass(tp):
        return tp()
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return 0 if int in args else None
    return {str: "", int: 0, float: 0.0, bool: False}.get(tp, [] if origin is list else {} if origin is dict else None)


def _decode_object(cls: type, value: dict, path: str, errors: list[FieldError]) -> Any:
    index = _json_index(cls)
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, raw in value.items():
        if not isinstance(key, str):
            errors.append(FieldError.invalid(path or "<root>", key, "field names must be strings"))
            continue
        if key in index:
            name, tp = index[key]
            decoded = decode(tp, raw, _join(path, key), errors)
            if decoded is not None:
                kwargs[name] = decoded
            continue
        model = getattr(cls, "_k8s_model", None)
        known = _upstream_fields(model) if model else None
        if getattr(cls, "_open", False) or (known is not None and key in known):
            extra[key] = raw
            continue
        candidates = list(index) + sorted(known or ())
        close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.75)
        hint = f'did you mean "{close[0]}"?' if close else ""
        errors.append(FieldError.unknown(_join(path, key), hint))
    obj = cls(**kwargs)
    if extra and hasattr(obj, "extra"):
        obj.extra = extra
    return obj


def encode(value: Any) -> Any:
    """Encode a model object (or any nested value) into plain JSON-like data.

    ``None``, empty lists and empty dicts are omitted from objects, as the
    API server's ``omitempty`` fields are.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for name, key, _, _ in _fields(type(value)):
            v = getattr(value, name)
            if v is None or (isinstance(v, (list, dict)) and not v):
                continue
            out[key] = encode(v)
        extra = getattr(value, "extra", None)
        if extra:
            for k, v in extra.items():
                out.setdefault(k, v)
        return out
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value
