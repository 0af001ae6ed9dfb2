"""Custom resources: defaulting and validation against a CRD's structural schema and CEL rules.

What the API server does with a custom resource on create (``apiextensions-apiserver``,
Kubernetes 1.34): strict decoding (an unknown field is ``unknown field "spec.x"``),
structural defaulting (``pkg/apiserver/schema/defaulting/algorithm.go``: a missing
property that has a ``default`` gets it, then the walk goes on *into* the defaulted
value), OpenAPI validation (``k8s.io/kube-openapi/pkg/validation/validate`` turned into
field errors by ``pkg/apiserver/validation/validation.go``) and the CEL rules of
``x-kubernetes-validations`` (``pkg/apiserver/schema/cel``: a false rule is
``<path>: Invalid value: "<type>": <message>``, the type being ``object``, ``array``,
``string`` ...).  The schema is the CRD's own ``openAPIV3Schema``, read from a bundle
in ``kubelab/data`` (regenerate with ``python -m kubelab.api.crd --write CRD.yaml...``).

Messages, as the API server prints them:

==================  ==========================================================================
keyword             message
==================  ==========================================================================
type                ``p: Invalid value: "string": p in body must be of type integer: "string"``
required            ``p.name: Required value``
enum                ``p: Unsupported value: "X": supported values: "A", "B"``
maxLength           ``p: Too long: may not be more than 253 bytes``
minLength           ``p: Invalid value: "": p in body should be at least 1 chars long``
pattern             ``p: Invalid value: "X": p in body should match '^...$'``
minimum, maximum    ``p: Invalid value: 0: p in body should be greater than or equal to 1``
maxItems            ``p: Too many: 17: must have at most 16 items``
minItems            ``p: Invalid value: 0: p in body should have at least 1 items``
list-type map       ``p[1]: Duplicate value: map[string]interface {}{"name":"http"}``
CEL rule            ``p: Invalid value: "object": <the rule's message>``
==================  ==========================================================================

Simplifications: rules that use ``oldSelf`` (transition rules) only apply to updates
and are not evaluated (the model only creates).  CEL rules are evaluated only when the
schema checks found nothing (the API server evaluates both; the first error reported
can then differ).  ``oneOf``/``anyOf``/``not`` report kube-openapi's summary line, not
the sub-schema's detail.  ``format: date-time`` is not checked.  The CEL evaluator is
``celpy`` (cel-python) with the one Kubernetes extension the bundled rules use,
``string.split``; CEL's cost limits are not modelled.  Where google-re2 has no build (the
in-browser edition), ``matches()`` runs on :mod:`kubelab.api.re2`, Python's ``re`` with RE2's
meaning for the syntax both share.

Examples
--------
>>> schema = {"type": "object", "properties": {"port": {"type": "integer", "minimum": 1},
...           "mode": {"type": "string", "default": "Terminate", "enum": ["Terminate", "Passthrough"]}},
...           "x-kubernetes-validations": [{"rule": "self.port != 22", "message": "not ssh"}]}
>>> body = {"port": 80}
>>> default(schema, body)
{'port': 80, 'mode': 'Terminate'}
>>> [str(e) for e in validate(schema, {"port": 22}, "spec")]
['spec: Invalid value: "object": not ssh']
>>> [str(e) for e in validate(schema, {"port": 0}, "spec")]
['spec.port: Invalid value: 0: spec.port in body should be greater than or equal to 1']
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FieldError

__all__ = ["CRD", "default", "validate", "load_bundle", "strip_crd", "DATA_DIR"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
_JSON_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


@dataclass(frozen=True)
class CRD:
    """One served version of a CustomResourceDefinition: names, scope, schema, printer columns."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    short_names: tuple[str, ...]
    namespaced: bool
    schema: dict[str, Any] = field(hash=False, compare=False)
    columns: tuple[dict[str, Any], ...] = field(default=(), hash=False, compare=False)
    bundle_version: str = ""
    channel: str = ""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    @property
    def spec_schema(self) -> dict[str, Any]:
        return self.schema.get("properties", {}).get("spec", {"type": "object"})

    @property
    def spec_required(self) -> bool:
        return "spec" in self.schema.get("required", [])


def strip_crd(crd: dict[str, Any]) -> dict[str, Any]:
    """A CRD without its ``description`` texts (the bundle keeps only what the checks use)."""
    def strip(node: Any, in_properties: bool = False) -> Any:
        if isinstance(node, dict):
            return {k: strip(v, k == "properties") for k, v in node.items()
                    if in_properties or k != "description"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node
    out = copy.deepcopy(crd)
    out["spec"]["versions"] = [strip(v) for v in out["spec"]["versions"]]
    return out


@functools.cache
def load_bundle(name: str) -> dict[tuple[str, str], CRD]:
    """``(apiVersion, kind) -> CRD`` for every served version of the CRDs in ``kubelab/data/<name>.json``."""
    data = json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    out: dict[tuple[str, str], CRD] = {}
    for crd in data["crds"]:
        ann = crd.get("metadata", {}).get("annotations", {})
        spec, names = crd["spec"], crd["spec"]["names"]
        for v in spec["versions"]:
            if not v.get("served"):
                continue
            c = CRD(spec["group"], v["name"], names["kind"], names["plural"], names.get("singular", ""),
                    tuple(names.get("shortNames", ())), spec["scope"] == "Namespaced",
                    v["schema"]["openAPIV3Schema"], tuple(v.get("additionalPrinterColumns", ())),
                    ann.get("gateway.networking.k8s.io/bundle-version", ""),
                    ann.get("gateway.networking.k8s.io/channel", ""))
            out[(c.api_version, c.kind)] = c
    return out


# ---------------------------------------------------------------- defaulting
def default(schema: dict[str, Any], value: Any) -> Any:
    """Apply the schema's defaults to ``value`` in place (and return it), as structural defaulting does."""
    if isinstance(value, dict):
        props = schema.get("properties")
        if props:
            for key, sub in props.items():
                if key not in value and "default" in sub:
                    value[key] = copy.deepcopy(sub["default"])
            for key, v in value.items():
                if key in props:
                    default(props[key], v)
        add = schema.get("additionalProperties")
        if isinstance(add, dict):
            for v in value.values():
                default(add, v)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for v in value:
            default(schema["items"], v)
    return value


# ---------------------------------------------------------------- OpenAPI checks
def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _type_ok(t: str, value: Any) -> bool:
    if t == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or \
            (isinstance(value, float) and value.is_integer())
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _JSON_TYPES.get(t, object))


@functools.cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _format_ok(fmt: str, value: Any) -> bool:
    import ipaddress

    if fmt == "ipv4":
        try:
            return isinstance(ipaddress.ip_address(value), ipaddress.IPv4Address) and value.count(".") == 3
        except ValueError:
            return False
    if fmt == "ipv6":
        try:
            return isinstance(ipaddress.ip_address(value), ipaddress.IPv6Address)
        except ValueError:
            return False
    if fmt == "int32":
        return -(2 ** 31) <= value < 2 ** 31
    if fmt == "int64":
        return -(2 ** 63) <= value < 2 ** 63
    return True


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _schema_errors(schema: dict[str, Any], value: Any, path: str, errs: list[FieldError]) -> None:
    t = schema.get("type")
    if t and not _type_ok(t, value):
        actual = _type_of(value)
        errs.append(FieldError.invalid(path, actual, f'{path} in body must be of type {t}: "{actual}"'))
        return
    if "enum" in schema and value not in schema["enum"]:
        errs.append(FieldError.not_supported(path, value, schema["enum"]))
    fmt = schema.get("format")
    if fmt and not _format_ok(fmt, value):
        errs.append(FieldError.invalid(path, value, f'{path} in body must be of type {fmt}: "{value}"'))
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errs.append(FieldError("TooLong", path, value, f"may not be more than {schema['maxLength']} bytes"))
        if "minLength" in schema and len(value) < schema["minLength"]:
            errs.append(FieldError.invalid(path, value, f"{path} in body should be at least "
                                                        f"{schema['minLength']} chars long"))
        if "pattern" in schema and not _regex(schema["pattern"]).search(value):
            errs.append(FieldError.invalid(path, value, f"{path} in body should match '{schema['pattern']}'"))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append(FieldError.invalid(path, value, f"{path} in body should be greater than or equal to "
                                                        f"{schema['minimum']}"))
        if "maximum" in schema and value > schema["maximum"]:
            errs.append(FieldError.invalid(path, value, f"{path} in body should be less than or equal to "
                                                        f"{schema['maximum']}"))
    elif isinstance(value, list):
        _array_errors(schema, value, path, errs)
    elif isinstance(value, dict):
        _object_errors(schema, value, path, errs)
    for word, test, text in (("oneOf", lambda n: n == 1, "must validate one and only one schema (oneOf)"),
                             ("anyOf", lambda n: n >= 1, "must validate at least one schema (anyOf)")):
        if word in schema:
            passed = sum(1 for sub in schema[word] if _passes(sub, value, path))
            if not test(passed):
                errs.append(FieldError.invalid(path, value, f"{path} in body {text}"))
    if "not" in schema and _passes(schema["not"], value, path):
        errs.append(FieldError.invalid(path, value, f"{path} in body must not validate the schema (not)"))


def _passes(sub: dict[str, Any], value: Any, path: str) -> bool:
    """Whether ``value`` satisfies a ``oneOf``/``anyOf``/``not`` branch (only what the branch says)."""
    errs: list[FieldError] = []
    branch = dict(sub)
    if isinstance(value, dict) and "properties" in branch:
        # A branch constrains the properties it names; it does not close the object.
        for key, s in branch.pop("properties").items():
            if key in value:
                _schema_errors(s, value[key], _join(path, key), errs)
        branch.pop("required", None)
        for key in sub.get("required", ()):
            if key not in value:
                errs.append(FieldError.required(_join(path, key)))
    _schema_errors(branch, value, path, errs)
    return not errs


def _array_errors(schema: dict[str, Any], value: list, path: str, errs: list[FieldError]) -> None:
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errs.append(FieldError("TooMany", path, len(value), f"must have at most {schema['maxItems']} items", True))
    if "minItems" in schema and len(value) < schema["minItems"]:
        errs.append(FieldError.invalid(path, len(value), f"{path} in body should have at least "
                                                         f"{schema['minItems']} items"))
    items = schema.get("items")
    if isinstance(items, dict):
        for i, v in enumerate(value):
            if v is None:
                continue
            _schema_errors(items, v, f"{path}[{i}]", errs)
    list_type = schema.get("x-kubernetes-list-type")
    if list_type == "set":
        seen: set[str] = set()
        for i, v in enumerate(value):
            k = json.dumps(v, sort_keys=True)
            if k in seen:
                errs.append(FieldError.duplicate(f"{path}[{i}]", v))
            seen.add(k)
    elif list_type == "map":
        keys = schema.get("x-kubernetes-list-map-keys", [])
        seen = set()
        for i, v in enumerate(value):
            if not isinstance(v, dict):
                continue
            kv = {k: v.get(k) for k in keys}
            k = json.dumps(kv, sort_keys=True, separators=(",", ":"))
            if k in seen:  # Go prints the key with %#v
                errs.append(FieldError("Duplicate", f"{path}[{i}]", None, f"map[string]interface {{}}{k}"))
            seen.add(k)


def _object_errors(schema: dict[str, Any], value: dict, path: str, errs: list[FieldError]) -> None:
    props = schema.get("properties")
    add = schema.get("additionalProperties")
    for key in schema.get("required", ()):
        if key not in value or value[key] is None:
            errs.append(FieldError.required(_join(path, key)))
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        errs.append(FieldError("TooMany", path, len(value), f"must have at most {schema['maxProperties']} items",
                               True))
    for key, v in value.items():
        sub = props.get(key) if props else None
        if sub is None and isinstance(add, dict):
            sub = add
        if sub is None:
            if not schema.get("x-kubernetes-preserve-unknown-fields"):
                close = difflib.get_close_matches(key, list(props or ()), n=1, cutoff=0.75)
                errs.append(FieldError.unknown(_join(path, key), f'did you mean "{close[0]}"?' if close else ""))
            continue
        if v is None:
            continue
        _schema_errors(sub, v, _join(path, key), errs)


# ---------------------------------------------------------------- CEL rules
def _cache_dir() -> Path | None:
    """The user's cache directory for kubelab (``$XDG_CACHE_HOME/kubelab``), or ``None`` if it cannot be made."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "kubelab"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


@functools.cache
def _celpy() -> Any:
    """cel-python, with :mod:`kubelab.api.re2` standing in for google-re2 where that has no build.

    google-re2 is compiled and has no wheel for Pyodide (the in-browser edition); cel-python
    imports it for ``matches()`` only. Where it is installed it is used, so the desktop edition
    evaluates ``matches()`` with RE2 itself.
    """
    try:
        import re2  # noqa: F401 -- google-re2, cel-python's engine for matches()
    except ImportError:
        from . import re2 as stand_in

        sys.modules["re2"] = stand_in
    import celpy
    import celpy.celtypes

    return celpy


def _cel_parser(tree_class: type) -> None:
    """Build celpy's CEL parser once, with Lark's grammar analysis cached in the user's cache directory.

    celpy builds its LALR parser from ``cel.lark`` in every process (about 2 s); Lark can keep the
    analysis in a file (``cache=``), which brings that to a few tens of milliseconds.  Same options
    as ``celpy.celparser.CELParser``; without a writable cache directory, celpy builds its own.
    """
    import re as _re
    from importlib.metadata import version

    import lark

    celpy = _celpy()  # first: it may install the stand-in for re2
    from celpy.celparser import CELParser

    if CELParser.CEL_PARSER is not None:
        return
    cache = _cache_dir()
    if cache is None:
        return
    grammar = (Path(celpy.__file__).parent / "cel.lark").read_text(encoding="utf-8")
    try:
        CELParser.CEL_PARSER = lark.Lark(
            grammar, parser="lalr", start="expr", g_regex_flags=_re.M,
            lexer_callbacks={"IDENT": CELParser.ambiguous_literals}, propagate_positions=True,
            maybe_placeholders=False, priority="invert", tree_class=tree_class,
            cache=str(cache / f"cel-lark-{version('cel-python')}-{lark.__version__}.cache"))
    except Exception:  # noqa: BLE001 - an unreadable or stale cache file: let celpy build the parser itself
        CELParser.CEL_PARSER = None


@functools.cache
def _cel_env() -> Any:
    celpy = _celpy()

    # The interpreter: celpy's CompiledRunner is ten times faster but answers some of these
    # rules wrongly (the listeners' exists_one uniqueness rule comes out false).
    _cel_parser(celpy.InterpretedRunner.tree_node_class)
    return celpy.Environment(runner_class=celpy.InterpretedRunner)


def _split(s: Any, sep: Any) -> Any:
    """The Kubernetes CEL string extension ``split`` (``k8s.io/apiserver/pkg/cel/library``, cel-go ext.Strings)."""
    celtypes = _celpy().celtypes

    return celtypes.ListType([celtypes.StringType(x) for x in str(s).split(str(sep))])


@functools.cache
def _program(rule: str) -> Any:
    env = _cel_env()
    return env.program(env.compile(rule), functions={"split": _split})


@functools.lru_cache(maxsize=65536)
def _evaluate(rule: str, value_json: str) -> tuple[bool, str]:
    """``(passed, error text)``: the rule's result for one value (cached: generated objects repeat themselves)."""
    celpy = _celpy()
    celtypes = celpy.celtypes
    try:
        result = _program(rule).evaluate({"self": celpy.json_to_cel(json.loads(value_json))})
    except Exception as exc:  # noqa: BLE001 - celpy raises its own errors (and sometimes Python ones) for failed evaluations
        return False, f"{_cel_error_text(exc)} evaluating rule: {rule}"
    if isinstance(result, celtypes.BoolType):
        return bool(result), ""
    return False, f"{result} evaluating rule: {rule}"


def _cel_error_text(exc: Exception) -> str:
    """cel-go's wording for the usual failure, a field that is absent: ``no such key: certificateRefs``."""
    missing = re.search(r"no such member in mapping: \\?'([^'\\]+)", repr(exc.args))
    if missing:
        return f"no such key: {missing[1]}"
    return str(exc.args[0]) if exc.args else str(exc)


@functools.lru_cache(maxsize=4096)
def _tokens(rule: str) -> frozenset[str]:
    """Every identifier and string literal of a rule: the only field names it can read."""
    return frozenset(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", rule))


def _project(schema: dict[str, Any], value: Any, names: frozenset[str]) -> Any:
    """``value`` without the struct fields a rule cannot name (maps and lists keep every entry).

    A CEL rule reads struct fields by name only, so two values that agree on the fields
    it names give the same result: the projection is the key of the result cache, and
    generated objects (which differ in names, hosts and ports) share their rule results.
    """
    if isinstance(value, dict):
        props = schema.get("properties")
        if props is not None:
            return {k: _project(props[k], v, names) for k, v in value.items() if k in names and k in props}
        add = schema.get("additionalProperties")
        if isinstance(add, dict):
            return {k: _project(add, v, names) for k, v in value.items()}
        return value
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_project(schema["items"], v, names) for v in value]
    return value


def _cel_errors(schema: dict[str, Any], value: Any, path: str, errs: list[FieldError]) -> None:
    rules = schema.get("x-kubernetes-validations")
    if rules:
        for r in rules:
            rule = r["rule"]
            if "oldSelf" in rule:
                continue
            whole = isinstance(value, dict) and ("size(self)" in rule or "self.size()" in rule)
            seen = value if whole else _project(schema, value, _tokens(rule))
            ok, error = _evaluate(rule, json.dumps(seen, sort_keys=True))
            if not ok:
                errs.append(FieldError.invalid(path or "<root>", _type_of(value),
                                               error or r.get("message") or f"failed rule: {rule}"))
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        add = schema.get("additionalProperties")
        for key, v in value.items():
            sub = props.get(key, add if isinstance(add, dict) else None)
            if sub is not None and v is not None:
                _cel_errors(sub, v, _join(path, key), errs)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, v in enumerate(value):
            if v is not None:
                _cel_errors(schema["items"], v, f"{path}[{i}]", errs)


def validate(schema: dict[str, Any], value: Any, path: str = "") -> list[FieldError]:
    """Every problem with ``value`` (already defaulted) under ``schema``; ``path`` is where it sits."""
    errs: list[FieldError] = []
    _schema_errors(schema, value, path, errs)
    if not errs:
        _cel_errors(schema, value, path, errs)
    # The strict decoder refuses unknown fields before validation runs: then they are the only errors.
    unknown = [e for e in errs if e.kind == "Unknown"]
    return unknown or errs


# ---------------------------------------------------------------- the bundle file
def write_bundle(name: str, paths: list[str]) -> Path:
    """Write ``kubelab/data/<name>.json`` from CRD YAML files (descriptions stripped)."""
    import yaml

    crds = []
    for p in paths:
        for doc in yaml.safe_load_all(Path(p).read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                crds.append(strip_crd(doc))
    out = DATA_DIR / f"{name}.json"
    out.write_text(json.dumps({"crds": crds}, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":  # pragma: no cover - maintainer tool
    if len(sys.argv) < 4 or sys.argv[1] != "--write":
        sys.exit("usage: python -m kubelab.api.crd --write BUNDLE-NAME CRD.yaml...")
    print(write_bundle(sys.argv[2], sys.argv[3:]))
