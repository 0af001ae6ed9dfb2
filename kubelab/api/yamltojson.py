"""YAML read the way the Kubernetes tools read it: go-yaml v2's resolver, then ``sigs.k8s.io/yaml``'s trip to JSON.

``kubectl apply -f`` (``k8s.io/apimachinery/pkg/util/yaml`` ``YAMLOrJSONDecoder``)
and the API server's YAML serializer turn YAML into JSON with
``sigs.k8s.io/yaml`` ``YAMLToJSON`` before anything looks at the fields.
Kubernetes v1.35 (``k8s.io/apimachinery`` v0.35.0) requires ``sigs.k8s.io/yaml``
v1.6.0, which decodes with ``go.yaml.in/yaml/v2`` v2.4.3 (the maintained go-yaml
v2; its ``resolve.go`` is the one ``sigs.k8s.io/yaml`` v1.4.0 vendored as
``goyaml.v2/resolve.go``).
That resolver is neither PyYAML's YAML 1.1 nor YAML 1.2:

* booleans: ``y Y yes Yes YES true True TRUE on On ON`` and ``n N no No NO
  false False FALSE off Off OFF`` (so ``y`` and ``n`` too, which PyYAML reads
  as strings);
* null: the empty scalar, ``~``, ``null``, ``Null``, ``NULL``;
* integers: the scalar must start with a sign or a digit; every ``_`` is
  removed, then Go's ``strconv.ParseInt(s, 0, 64)`` reads it -- decimal,
  ``0x``, ``0o``, ``0b`` and C-style octal (``0755`` is 493), any size
  (``big.Int`` past 64 bits);
* floats: what ``^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$``
  (``yamlStyleFloat``) accepts after the ``_`` are removed -- so ``1e3`` and
  ``08`` are floats (1000 and 8), unlike in PyYAML -- and ``.inf``, ``.nan``
  with their spellings;
* no base-60 numbers ("Base 60 floats are a bad idea, were dropped in YAML
  1.2, and are purposefully unsupported here"): ``containerPort: 2:14:40``
  is the string ``"2:14:40"``, which PyYAML would read as 8080;
* timestamps (``2024-01-01``) stay the text they were written as when
  decoded into ``interface{}`` (go-yaml v2 ``decode.go``, "for backward
  compatibility reasons we set it as a string");
* ``<<`` is a merge key; everything else (``=`` included, which PyYAML
  cannot even construct) is a string.

Then ``sigs.k8s.io/yaml`` ``yaml.go`` ``convertToJSONableObject`` makes map
keys strings (``true``/``false``, decimal integers, floats as
``strconv.FormatFloat(f, 'g', -1, 32)``) and ``json.Marshal`` writes the
numbers: a float with an integral value below 1e21 is written without a
fraction (``8.0`` becomes ``8``), so a field typed ``int32`` accepts it -- this
module returns such floats as ``int``; NaN and the infinities make
``json.Marshal`` fail (``json: unsupported value: NaN``), a load error here.

Explicit tags are checked as go-yaml checks them (``!!int 2:14:40`` is
``cannot decode !!str `2:14:40` as a !!int``).

The parser is LibYAML's (PyYAML's ``CSafeLoader``: about ten times faster)
when PyYAML was built with it, else PyYAML's pure-Python parser (the Pyodide
edition); the resolver and constructors above are the same Python code over
either.  A document LibYAML refuses is parsed again by the pure parser, so the
messages (``mapping values are not allowed here``, line and column) are those
kubelab always printed, whichever parser is installed.

Simplifications: ``!!binary`` and other explicit tags keep PyYAML's meaning;
map keys that are not scalars or are null are left to the caller (go-yaml
refuses them: ``unsupported map key of type``); a float key is written as
Python's shortest ``repr`` (Go: ``FormatFloat(f, 'g', -1, 32)``, which differs
for exponents and for more than float32's digits); a NaN or infinite key is
refused like a NaN value.

Examples
--------
>>> parse("ports: [{containerPort: 2:14:40}, {containerPort: 0755}, {containerPort: 08}]")
[{'ports': [{'containerPort': '2:14:40'}, {'containerPort': 493}, {'containerPort': 8}]}]
>>> parse("a: [y, on, no, 'yes', ~, 1_000, 0o17, 1e3, 0.5, 2024-01-01]")
[{'a': [True, True, False, 'yes', None, 1000, 15, 1000, 0.5, '2024-01-01']}]
>>> parse("{on: 1, 2: x, 1.5: n}")
[{'true': 1, '2': 'x', '1.5': False}]
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

__all__ = ["parse", "resolve", "dump", "dump_all", "DuplicateKeyError"]

STR, INT, FLOAT, BOOL, NULL, MERGE = (f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "merge"))
MAP, SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"

#: go-yaml v2 ``resolve.go`` ``resolveMapList``: the scalars looked up by name.
_NAMED: dict[str, tuple[str, Any]] = {
    **{s: (BOOL, True) for s in ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")},
    **{s: (BOOL, False) for s in ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")},
    **{s: (NULL, None) for s in ("", "~", "null", "Null", "NULL")},
    **{s: (FLOAT, math.nan) for s in (".nan", ".NaN", ".NAN")},
    **{s: (FLOAT, math.inf) for s in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{s: (FLOAT, -math.inf) for s in ("-.inf", "-.Inf", "-.INF")},
    "<<": (MERGE, "<<"),
}
_NUMBER_START = frozenset("+-0123456789")
#: Go ``strconv.ParseInt(s, 0, 64)`` syntax (base prefixes, C-style octal after a leading 0).
_GO_INT = re.compile(r"[-+]?(?:0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
#: go-yaml v2 ``yamlStyleFloat``.
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
#: Go ``strconv.ParseFloat`` on a scalar starting with ``.`` (no ``_`` allowed there).
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")


class DuplicateKeyError(ValueError):
    """Two equal keys in one mapping (after the keys were made strings, as for JSON)."""


def resolve(value: str) -> tuple[str, Any]:
    """``(tag, value)`` of a plain scalar, as go-yaml v2 ``resolve("", value)``; timestamps stay strings.

    >>> resolve("0755"), resolve("2:14:40"), resolve("Y"), resolve("-0b101"), resolve("1_0.5")
    (('tag:yaml.org,2002:int', 493), ('tag:yaml.org,2002:str', '2:14:40'), ('tag:yaml.org,2002:bool', True), \
('tag:yaml.org,2002:int', -5), ('tag:yaml.org,2002:float', 10.5))
    """
    named = _NAMED.get(value)
    if named is not None:
        return named
    if not value:
        return STR, value
    first = value[0]
    if first == ".":
        return (FLOAT, float(value)) if _DOT_FLOAT.fullmatch(value) else (STR, value)
    if first in _NUMBER_START:
        plain = value.replace("_", "")
        if _GO_INT.fullmatch(plain):
            return INT, _go_int(plain)
        if _YAML_STYLE_FLOAT.fullmatch(plain):
            return FLOAT, float(plain)
    return STR, value


def _go_int(plain: str) -> int:
    """``strconv.ParseInt(plain, 0, 64)`` (or ``big.Int.SetString(plain, 0)``) for text matching ``_GO_INT``."""
    sign = -1 if plain[0] == "-" else 1
    digits = plain.lstrip("+-")
    if len(digits) > 1 and digits[0] == "0" and digits[1] in "01234567":
        return sign * int(digits[1:], 8)  # C-style octal: Python's int(x, 0) refuses a leading 0
    return sign * int(digits, 0)


def _json_number(value: Any, node: Any) -> Any:
    """What a number is after ``json.Marshal`` and back: integral floats below 1e21 are integers; NaN/Inf fail."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            import yaml

            text = "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot convert YAML to JSON: json: unsupported value: {text}", node.start_mark)
        if value.is_integer() and abs(value) < 1e21:
            return int(value)
    return value


def _json_key(key: Any) -> Any:
    """``convertToJSONableObject``: bool, int and float keys become the strings JSON needs."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return repr(key).removesuffix(".0")  # Go: FormatFloat(key, 'g', -1, 32); same for the usual keys
    return key


def _scalar_tag(loader: Any, node: Any) -> tuple[str, Any]:
    """The resolved value of a scalar node with an implicit or explicit int/float/bool/null tag."""
    tag, value = resolve(node.value)
    if node.tag != tag and not (node.tag == FLOAT and tag == INT):
        import yaml

        raise yaml.constructor.ConstructorError(
            None, None, f"cannot decode !!{tag.rsplit(':', 1)[1]} `{node.value}` as a !!{node.tag.rsplit(':', 1)[1]}",
            node.start_mark)
    return tag, value


def _construct_int(loader: Any, node: Any) -> int:
    return _scalar_tag(loader, node)[1]


def _construct_float(loader: Any, node: Any) -> Any:
    return _json_number(float(_scalar_tag(loader, node)[1]), node)


def _construct_bool(loader: Any, node: Any) -> bool:
    return _scalar_tag(loader, node)[1]


def _construct_null(loader: Any, node: Any) -> None:
    return _scalar_tag(loader, node)[1]


def _construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict:
    """A mapping with its keys made JSON strings; a key seen twice is ``duplicate field "k"`` (strict decoding)."""
    from yaml.constructor import ConstructorError

    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise ConstructorError(None, None, "found an unhashable key", key_node.start_mark) from None
        key = _json_key(key)
        if key in out:
            raise ConstructorError(None, None, f'duplicate field "{key}"', key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=deep)
    return out


def _configure(cls: type) -> type:
    import yaml

    scalar, sequence = yaml.ScalarNode, yaml.SequenceNode

    def resolve_node(self: Any, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        """``Resolver.resolve`` replaced: go-yaml's rules for plain scalars, strings for quoted ones."""
        if kind is scalar:
            return resolve(value)[0] if implicit[0] else STR
        return SEQ if kind is sequence else MAP

    cls.resolve = resolve_node
    cls.add_constructor(INT, _construct_int)
    cls.add_constructor(FLOAT, _construct_float)
    cls.add_constructor(BOOL, _construct_bool)
    cls.add_constructor(NULL, _construct_null)
    cls.add_constructor(MAP, _construct_mapping)
    return cls


@functools.cache
def loaders() -> tuple[type, ...]:
    """The loader classes to try in order: LibYAML's when PyYAML has it, then the pure-Python one.

    PyYAML is imported on first use: it is slow to import.
    """
    import yaml

    out = []
    c_loader = getattr(yaml, "CSafeLoader", None) if getattr(yaml, "__with_libyaml__", False) else None
    if c_loader is not None:
        out.append(_configure(type("GoYAMLCLoader", (c_loader,), {})))
    out.append(_configure(type("GoYAMLLoader", (yaml.SafeLoader,), {})))
    return tuple(out)


class _Unusual(Exception):
    """A node the direct construction leaves to PyYAML's constructors (explicit tags, odd keys, recursion, depth)."""


#: Deeper documents go through PyYAML's own (recursive) constructors, so that what happens to them
#: (a RecursionError, or the loader's depth check) does not depend on the parser installed.
_DIRECT_DEPTH = 64
_BUILDING = object()


def _direct(node: Any, memo: dict[int, Any], depth: int) -> Any:
    """The value of ``node``, built without PyYAML's generic constructor machinery (same result, ~3x faster).

    Aliases share the value of their anchor's node (``memo``), as PyYAML's
    constructors do; anything unusual raises :class:`_Unusual`.
    """
    tag = node.tag
    if tag == STR:
        return node.value
    if depth > _DIRECT_DEPTH:
        raise _Unusual
    key = id(node)
    done = memo.get(key)
    if done is not None:
        if done is _BUILDING:
            raise _Unusual  # a recursive alias: PyYAML's message
        return done
    if tag == MAP:
        memo[key] = _BUILDING
        if any(k.tag == MERGE for k, _ in node.value):
            raise _Unusual
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == STR:
                k = key_node.value
            elif key_node.tag in (INT, BOOL, FLOAT) and not key_node.value.startswith("."):
                k = _json_key(_scalar_tag(None, key_node)[1])
            else:
                raise _Unusual
            if k in out:
                from yaml.constructor import ConstructorError

                raise ConstructorError(None, None, f'duplicate field "{k}"', key_node.start_mark)
            out[k] = _direct(value_node, memo, depth + 1)
    elif tag == SEQ:
        memo[key] = _BUILDING
        out = [_direct(item, memo, depth + 1) for item in node.value]
    elif tag in (INT, BOOL, NULL):
        out = _scalar_tag(None, node)[1]
    elif tag == FLOAT:
        out = _json_number(float(_scalar_tag(None, node)[1]), node)
    else:
        raise _Unusual
    memo[key] = out
    return out


def _documents(text: str, loader_cls: type) -> list[Any]:
    """Every document: composed by ``loader_cls``, built by :func:`_direct` or, when unusual, by PyYAML."""
    loader = loader_cls(text)
    docs = []
    try:
        while loader.check_node():
            node = loader.get_node()
            try:
                docs.append(_direct(node, {}, 0))
            except _Unusual:
                docs.append(loader.construct_document(node))
    finally:
        loader.dispose()
    return docs


def parse(text: str) -> list[Any]:
    """Every document of ``text``, read as ``sigs.k8s.io/yaml`` reads it (see the module docstring).

    Raises :class:`yaml.YAMLError` with the pure-Python parser's message and
    mark, :class:`RecursionError` for very deep nesting.
    """
    import yaml

    *fast, pure = loaders()
    for loader in fast:
        try:
            return _documents(text, loader)
        except yaml.YAMLError as exc:
            first_error = exc
            break
    else:
        return _documents(text, pure)
    _documents(text, pure)  # raises with the messages kubelab always printed
    raise first_error  # LibYAML refused what the pure parser reads: keep LibYAML's reason


@functools.cache
def _dumper() -> type:
    """PyYAML's SafeDumper that quotes every string go-yaml v2 would read as something else.

    go-yaml v2's encoder (``encode.go``, ``stringv``) quotes a string whose plain form
    ``resolve`` would give another tag; PyYAML's SafeDumper only knows YAML 1.1's
    resolver, so it writes ``y``, ``n`` or ``08`` bare, which kubectl reads back as
    ``true``, ``false`` and ``8``.
    """
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def represent_str(dumper: Any, data: str) -> Any:
        if resolve(data)[0] != STR:
            return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="\'")
        return yaml.SafeDumper.represent_str(dumper, data)

    _Dumper.add_representer(str, represent_str)
    return _Dumper


def dump(doc: Any, **kwargs: Any) -> str:
    """``yaml.safe_dump`` whose output kubectl (go-yaml v2) reads back as the same values.

    >>> print(dump({"name": "y", "port": "08", "ok": True}, sort_keys=False), end="")
    name: 'y'
    port: '08'
    ok: true
    >>> parse(dump({"name": "y"}))
    [{'name': 'y'}]
    """
    import yaml

    return yaml.dump(doc, Dumper=_dumper(), **kwargs)


def dump_all(docs: Any, **kwargs: Any) -> str:
    """:func:`dump` for several documents, separated by ``---``."""
    import yaml

    return yaml.dump_all(docs, Dumper=_dumper(), **kwargs)
