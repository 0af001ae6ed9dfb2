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

import copy
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


#: Values ``copy.deepcopy`` returns unchanged.
_SHARED = frozenset({str, int, float, bool, type(None)})


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

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        """What ``copy.deepcopy`` does for a plain object, without its ``__reduce_ex__`` detour.

        A model's state is its ``__dict__``; immutable scalars are shared, the
        rest copied (about twice as fast: ``Cluster(objects)`` copies every object
        it is given).
        """
        new = object.__new__(type(self))
        memo[id(self)] = new
        state = new.__dict__
        for key, value in self.__dict__.items():
            state[key] = value if type(value) in _SHARED else copy.deepcopy(value, memo)
        return new


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
    """Decode ``value`` as type ``tp``; problems are appended to ``errors``.

    ``None`` decodes to ``None`` whatever the type.  The work is done by a
    decoder built once per type (:func:`_decoder`).
    """
    return _decoder(tp)(value, path, errors)


# A decoder is ``(value, path, errors) -> decoded value or None`` for one type, built from the type's
# annotation once and cached, so that decoding does no typing introspection.  Along with it, each type
# has a "fast" set: the exact classes of the values its decoder returns unchanged (``str`` for ``str``,
# ``int`` and ``str`` for IntOrString ...), so that callers can keep such values without calling it.

_DECODERS: dict[Any, Any] = {}
_FAST: dict[Any, frozenset[type]] = {}
_NO_FAST: frozenset[type] = frozenset()


def _decoder(tp: Any) -> Any:
    """The decoder of ``tp`` (built on first use)."""
    try:
        return _DECODERS[tp]
    except KeyError:
        pass
    except TypeError:  # an unhashable annotation: nothing to cache it under
        return _build(tp)[0]
    dec, fast = _build(tp)
    _DECODERS[tp] = dec
    _FAST[tp] = fast
    return dec


def _fast(tp: Any) -> frozenset[type]:
    """The classes of the values ``tp``'s decoder returns unchanged (checked with ``type(v) in``)."""
    try:
        hash(tp)
    except TypeError:  # an unhashable annotation: its decoder is not cached, so always call it
        return _NO_FAST
    if tp not in _FAST:
        _decoder(tp)
    return _FAST[tp]


def _invalid(message: str) -> Any:
    def invalid(value: Any, path: str, errors: list[FieldError]) -> None:
        errors.append(FieldError.invalid(path, value, message))
    return invalid


def _decode_any(value: Any, path: str, errors: list[FieldError]) -> Any:
    return value


def _decode_str(value: Any, path: str, errors: list[FieldError]) -> Any:
    if value is None or isinstance(value, str):
        return value
    errors.append(FieldError.invalid(path, value, "must be a string"))
    return None


def _decode_bool(value: Any, path: str, errors: list[FieldError]) -> Any:
    if value is None or isinstance(value, bool):
        return value
    errors.append(FieldError.invalid(path, value, "must be a boolean"))
    return None


def _decode_int(value: Any, path: str, errors: list[FieldError]) -> Any:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    errors.append(FieldError.invalid(path, value, "must be an integer"))
    return None


def _decode_float(value: Any, path: str, errors: list[FieldError]) -> Any:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    errors.append(FieldError.invalid(path, value, "must be a number"))
    return None


def _decode_int_or_string(value: Any, path: str, errors: list[FieldError]) -> Any:
    if value is None:
        return None
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    errors.append(FieldError.invalid(path, value, "must be an integer or a string"))
    return None


def _raising(make_error: Any) -> Any:
    """A decoder for a type kubelab cannot decode: ``None`` is ``None``, any other value a programming error."""
    def unsupported(value: Any, path: str, errors: list[FieldError]) -> None:
        if value is None:
            return None
        raise make_error()
    return unsupported


def _build(tp: Any) -> tuple[Any, frozenset[type]]:
    """Build ``(decoder, fast classes)`` for ``tp``."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if set(args) == {int, str}:
            return _decode_int_or_string, frozenset((int, str))
        if len(args) == 1:  # Optional[X] decodes as X (None is None for every type)
            return _decoder(args[0]), _fast(args[0])
        return _raising(lambda: TypeError(f"unsupported union {tp}")), _NO_FAST  # a programming error in kubelab
    if tp is Any:
        return _decode_any, _NO_FAST
    if tp is str:
        return _decode_str, frozenset((str,))
    if tp is bool:
        return _decode_bool, frozenset((bool,))
    if tp is int:
        return _decode_int, frozenset((int,))
    if tp is float:
        return _decode_float, _NO_FAST
    if origin is list:
        return _list_decoder(tp), _NO_FAST
    if origin is dict:
        return _dict_decoder(tp), _NO_FAST
    if dataclasses.is_dataclass(tp):
        return _object_decoder(tp), _NO_FAST
    return _raising(lambda: TypeError(f"unsupported field type {tp!r}")), _NO_FAST  # a programming error in kubelab


def _list_decoder(tp: Any) -> Any:
    args = typing.get_args(tp)
    if len(args) != 1:  # a programming error in kubelab: fail as unpacking the arguments does
        def unpack() -> Exception:
            try:
                (_,) = args
            except ValueError as exc:
                return exc
            return TypeError(f"unsupported field type {tp!r}")  # pragma: no cover - not reached
        return _raising(unpack)
    (item,) = args
    invalid = _invalid(f"must be {_type_name(tp)}")
    dec, zero, fast = _decoder(item), _zero_factory(item), _fast(item)

    def decode_list(value: Any, path: str, errors: list[FieldError]) -> Any:
        if value is None:
            return None
        if not isinstance(value, list):
            return invalid(value, path, errors)
        out = []
        append = out.append
        for i, v in enumerate(value):
            if v is None:
                append(zero())
            elif type(v) in fast:
                append(v)
            else:
                append(dec(v, f"{path}[{i}]", errors))
        return out
    return decode_list


def _dict_decoder(tp: Any) -> Any:
    args = typing.get_args(tp)
    if len(args) != 2:  # a programming error in kubelab: fail as unpacking the arguments does
        def unpack() -> Exception:
            try:
                _, _ = args
            except ValueError as exc:
                return exc
            return TypeError(f"unsupported field type {tp!r}")  # pragma: no cover - not reached
        return _raising(unpack)
    _, vt = args
    invalid = _invalid(f"must be {_type_name(tp)}")
    # A null value is the zero value of the value type, except under Any, where it stays null.
    dec, zero, fast = _decoder(vt), (lambda: None) if vt is Any else _zero_factory(vt), _fast(vt)

    def decode_dict(value: Any, path: str, errors: list[FieldError]) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict):
            return invalid(value, path, errors)
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                errors.append(FieldError.invalid(path, k, "keys must be strings"))
                continue
            if v is None:
                out[k] = zero()
            elif type(v) in fast:
                out[k] = v
            else:
                out[k] = dec(v, f"{path}.{k}", errors)
        return out
    return decode_dict


def _object_decoder(cls: type) -> Any:
    message = f"must be {_type_name(cls)}"
    # JSON name -> (Python name, decoder, fast classes), filled on first use: the fields' decoders cannot
    # be built now, as a class may contain itself (its decoder is not cached yet).
    plan: dict[str, tuple[str, Any, frozenset[type]]] = {}

    def decode_object(value: Any, path: str, errors: list[FieldError]) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict):
            errors.append(FieldError.invalid(path, value, message))
            return None
        if not plan:
            plan.update(_plan(cls))
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, raw in value.items():
            if not isinstance(key, str):
                errors.append(FieldError.invalid(path or "<root>", key, "field names must be strings"))
                continue
            entry = plan.get(key)
            if entry is None:
                _unmodelled(cls, key, raw, path, errors, extra)
            elif raw is not None:  # None decodes to None: the field keeps its default
                name, dec, fast = entry
                if type(raw) in fast:
                    kwargs[name] = raw
                else:
                    decoded = dec(raw, f"{path}.{key}" if path else key, errors)
                    if decoded is not None:
                        kwargs[name] = decoded
        obj = cls(**kwargs)
        if extra and hasattr(obj, "extra"):
            obj.extra = extra
        return obj
    return decode_object


def _unmodelled(cls: type, key: str, raw: Any, path: str, errors: list[FieldError], extra: dict[str, Any]) -> None:
    """A field ``cls`` does not model: kept in ``extra`` if the schema knows it, else an unknown field error."""
    model = getattr(cls, "_k8s_model", None)
    known = _upstream_fields(model) if model else None
    if getattr(cls, "_open", False) or (known is not None and key in known):
        extra[key] = raw
        return
    candidates = list(_json_index(cls)) + sorted(known or ())
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.75)
    hint = f'did you mean "{close[0]}"?' if close else ""
    errors.append(FieldError.unknown(_join(path, key), hint))


def _zero(tp: Any) -> Any:
    """Go's zero value for a ``null`` inside a list or map (``[null]`` decodes to ``[{}]``)."""
    if dataclasses.is_dataclass(tp):
        return tp()
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return 0 if int in args else None
    return {str: "", int: 0, float: 0.0, bool: False}.get(tp, [] if origin is list else {} if origin is dict else None)


def _zero_factory(tp: Any) -> Any:
    """A function of no arguments returning :func:`_zero` of ``tp`` (a new object each time where it is mutable)."""
    if dataclasses.is_dataclass(tp) or typing.get_origin(tp) in (list, dict):
        return lambda: _zero(tp)
    value = _zero(tp)
    return lambda: value


@functools.cache
def _plan(cls: type) -> dict[str, tuple[str, Any, frozenset[type]]]:
    """JSON name -> (Python name, decoder, fast classes) for each field of ``cls``, in field order."""
    return {j: (n, _decoder(t), _fast(t)) for n, j, t, _ in _fields(cls)}


@functools.cache
def _pointers(cls: type) -> frozenset[str]:
    """The fields of ``cls`` typed ``dict[...] | None``: Go pointers to a struct kubelab keeps verbatim.

    Go's ``encoding/json`` omits a nil pointer under ``omitempty`` but writes a
    pointer to an empty struct as ``{}`` (Calico's ``HTTP *HTTPMatch
    `json:"http,omitempty"```, ``api/pkg/apis/projectcalico/v3/policy_common.go``),
    so ``http: {}`` stays ``http: {}``; a plain ``dict`` field is a Go map, and an
    empty map is omitted.
    """
    out = set()
    for name, _, tp, _ in _fields(cls):
        args = typing.get_args(tp) if typing.get_origin(tp) in (Union, types.UnionType) else ()
        if type(None) in args and any(typing.get_origin(a) is dict or a is dict for a in args):
            out.add(name)
    return frozenset(out)


def encode(value: Any) -> Any:
    """Encode a model object (or any nested value) into plain JSON-like data.

    ``None``, empty lists and empty dicts are omitted from objects, as the
    API server's ``omitempty`` fields are; an empty dict in a ``dict | None``
    field (a Go pointer to a struct) is kept.

    >>> from kubelab.api.calico import CalicoRule
    >>> encode(CalicoRule(action="Allow", http={}))
    {'action': 'Allow', 'source': {}, 'destination': {}, 'http': {}}
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        pointers = _pointers(type(value))
        for name, key, _, _ in _fields(type(value)):
            v = getattr(value, name)
            if v is None or (isinstance(v, (list, dict)) and not v and name not in pointers):
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
