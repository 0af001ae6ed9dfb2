"""Read manifests the way ``kubectl apply -f`` does: files, directories, stdin, text, dicts.

Upstream behaviour modelled: ``k8s.io/cli-runtime/pkg/resource`` (the builder
behind ``-f``): multi-document YAML separated by ``---``, JSON, ``kind: List``
(and ``<Kind>List``) whose ``items`` are expanded, a directory means its
``.yaml``, ``.yml`` and ``.json`` files in name order (not recursive, as
without ``-R``), ``-`` means standard input; empty documents are skipped.
Every object is decoded strictly (:mod:`kubelab.api.schema`), defaulted and
validated; if any object is bad the whole load fails, so nothing is
half-applied.  Duplicate keys in one mapping are an error, as in the API
server's strict decoder (in YAML and in JSON).

Hostile input is refused with one error line instead of exhausting the machine:

* a file (or standard input) larger than :data:`MAX_INPUT_BYTES` is not read
  past the limit (``-f /dev/zero`` stops there);
* YAML aliases: go-yaml v2 (what ``sigs.k8s.io/yaml`` decodes with),
  ``decode.go`` ``allowedAliasRatio``, refuses a document where more than 99 %
  of the decoded nodes come from alias expansion (scaled down to 10 % for
  documents of 400,000 to 4,000,000 nodes): ``document contains excessive
  aliasing`` -- the billion-laughs file, whose aliases PyYAML would share but
  every later copy or ``-o json`` would expand;
* nesting deeper than :data:`MAX_DEPTH` levels (Go's ``encoding/json`` stops
  at 10,000: ``exceeded max depth``; kubelab's limit is lower because the
  model is walked recursively);
* an integer of more than 4,300 digits (Python's own limit; a Go decoder would
  fail on it as out of range for any int field).

YAML is read as the API server's YAML reader reads it (go-yaml v2), not as
YAML 1.1: no timestamps and no base-60 numbers, so ``containerPort: 2:14:40``
is the string ``"2:14:40"`` (refused: ``must be an integer``), not 8080.

Examples
--------
>>> objs = load_text('''
... apiVersion: v1
... kind: Service
... metadata: {name: web}
... spec: {selector: {app: web}, ports: [{port: 80}]}
... ''', source="web.yaml")
>>> objs[0].ref, objs[0].spec.ports[0].target_port
('Service default/web', 80)
>>> load_text("apiVersion: v1\\nkind: Service\\nmetadata: {name: web}\\nspec: {ports: [{name: x}]}", source="web.yaml")
Traceback (most recent call last):
...
kubelab.errors.ValidationError: web.yaml: Service default/web: spec.ports[0].port: Required value
"""

from __future__ import annotations

import copy
import functools
import json
import os
import sys
from pathlib import Path
from typing import Any, Iterable

from ..errors import FieldError, KubelabError, LoadError, ValidationError
from .meta import APIObject
from .registry import LEGACY, lookup, suggest
from .schema import DecodeErrors

__all__ = ["Manifests", "load", "load_text", "load_path", "load_stdin", "from_dict", "MANIFEST_SUFFIXES",
           "MAX_INPUT_BYTES", "MAX_DEPTH", "check_duplicates"]

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
#: The largest file (or standard input) kubelab reads: 64 MiB, a 200,000-pod cluster's manifests and more.
MAX_INPUT_BYTES = 64 * 1024 * 1024
#: The deepest nesting of maps and lists kubelab accepts (a Pod is about 10 deep, a CRD schema 30-odd).
MAX_DEPTH = 100
#: go-yaml v2's alias accounting (``decode.go``): ``alias_ratio_range_low``/``_high``.
_ALIAS_RANGE_LOW, _ALIAS_RANGE_HIGH = 400_000, 4_000_000


class Manifests(list):
    """A list of loaded objects that also carries the warnings the load produced."""

    def __init__(self, items: Iterable[APIObject] = (), warnings: Iterable[str] = ()):
        super().__init__(items)
        self.warnings: list[str] = list(warnings)

    def extend_from(self, other: "Manifests") -> None:
        self.extend(other)
        self.warnings.extend(other.warnings)


@functools.cache
def _strict_loader() -> type:
    """A PyYAML SafeLoader that rejects duplicate keys (PyYAML is imported on first use: it is slow to import).

    It also keeps timestamps as strings: ``sigs.k8s.io/yaml`` converts YAML to
    JSON, where an unquoted ``2024-01-01`` (a label value, a
    ``creationTimestamp``) is just a string; PyYAML would make it a ``datetime``.
    """
    import yaml

    class StrictLoader(yaml.SafeLoader):
        pass

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    StrictLoader.yaml_implicit_resolvers = {
        first: [(tag, _no_base_60(tag, regexp)) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return StrictLoader


def _no_base_60(tag: str, regexp: Any) -> Any:
    """YAML 1.1's int and float resolvers without the base-60 forms (``2:14:40``), which go-yaml v2 reads as strings."""
    import re

    if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        return re.compile(r"(?![^:]*:)" + regexp.pattern, regexp.flags)
    return regexp


def _construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict:
    import yaml

    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(None, None, "found an unhashable key",
                                                    key_node.start_mark) from None
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f'duplicate field "{key}"', key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=deep)
    return out


def _yaml_error(exc: Exception, source: str) -> LoadError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return LoadError(f"{where}{problem} (not valid YAML)", source=source)


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(f'duplicate field "{key}"')


def _parse(text: str, source: str) -> list[Any]:
    if source.endswith(".json"):
        try:
            docs = [json.loads(text, object_pairs_hook=_json_object)]
        except json.JSONDecodeError as exc:
            raise LoadError(f"line {exc.lineno}, column {exc.colno}: {exc.msg} (not valid JSON)", source=source) from None
        except RecursionError:
            raise LoadError(f"exceeded max depth: more than {MAX_DEPTH} nested maps and lists (not valid JSON "
                            "for kubelab)", source=source) from None
        except ValueError as exc:  # a duplicate key; an integer of more than 4,300 digits
            raise LoadError(f"cannot parse: {exc} (not valid JSON)", source=source) from None
    else:
        import yaml
        try:
            docs = list(yaml.load_all(text, Loader=_strict_loader()))
        except yaml.YAMLError as exc:
            raise _yaml_error(exc, source) from None
        except RecursionError:
            raise LoadError(f"exceeded max depth: more than {MAX_DEPTH} nested maps and lists (not valid YAML "
                            "for kubelab)", source=source) from None
        except (ValueError, TypeError) as exc:  # e.g. out-of-range dates, a 5,000-digit integer
            raise LoadError(f"cannot parse: {exc}", source=source) from None
    for i, doc in enumerate(docs):
        _check_shape(doc, source if len(docs) == 1 else f"{source} (document {i + 1})")
    return docs


def _allowed_alias_ratio(decodes: int) -> float:
    """go-yaml v2 ``allowedAliasRatio``: 0.99 up to 400,000 decoded nodes, 0.10 from 4,000,000, linear between."""
    if decodes <= _ALIAS_RANGE_LOW:
        return 0.99
    if decodes >= _ALIAS_RANGE_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decodes - _ALIAS_RANGE_LOW) / (_ALIAS_RANGE_HIGH - _ALIAS_RANGE_LOW)


def _check_shape(doc: Any, where: str) -> None:
    """Refuse excessive aliasing and deep nesting, walking ``doc`` as go-yaml decodes it (aliases expanded).

    A map or list seen a second time is an alias (PyYAML shares the object an
    anchor made); everything under it counts as decoded through an alias, as
    go-yaml's ``aliasDepth``.  The walk stops at the first problem, so a
    billion laughs costs a few thousand steps.
    """
    decodes = aliased = 0
    seen: set[int] = set()
    stack: list[tuple[Any, int, bool]] = [(doc, 1, False)]
    while stack:
        value, depth, in_alias = stack.pop()
        decodes += 1
        if in_alias:
            aliased += 1
        if aliased > 100 and decodes > 1000 and aliased / decodes > _allowed_alias_ratio(decodes):
            raise LoadError("document contains excessive aliasing (YAML anchors and aliases expand to too many "
                            "nodes)", source=where)
        if not isinstance(value, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            raise LoadError(f"exceeded max depth: more than {MAX_DEPTH} nested maps and lists", source=where)
        if id(value) in seen:
            in_alias = True
        else:
            seen.add(id(value))
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1, in_alias) for child in reversed(list(children)))


def _describe(doc: dict) -> str | None:
    kind = doc.get("kind")
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(kind, str):
        return None
    if not isinstance(name, str):
        return kind
    ns = meta.get("namespace") if isinstance(meta.get("namespace"), str) else None
    return f"{kind} {ns or 'default'}/{name}" if kind not in ("Node", "Namespace") else f"{kind} {name}"


def from_dict(doc: Any, source: str = "<object>", index: int | None = None) -> Manifests:
    """Turn one parsed document (a dict, possibly a ``List``) into validated objects."""
    where = source if index is None else f"{source} (document {index + 1})"
    if doc is None:
        return Manifests()
    if not isinstance(doc, dict):
        raise LoadError(f"expected a Kubernetes object (a mapping with apiVersion and kind), got {type(doc).__name__}",
                        source=where)
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if not kind or not isinstance(kind, str):
        raise ValidationError([FieldError.required("kind")], source=where, obj=_describe(doc))
    if not api_version or not isinstance(api_version, str):
        raise ValidationError([FieldError.required("apiVersion")], source=where, obj=_describe(doc))
    if kind == "List" or (kind.endswith("List") and lookup(api_version, kind[:-4])):
        items = doc.get("items")
        if items is None:
            return Manifests()
        if not isinstance(items, list):
            raise ValidationError([FieldError.invalid("items", items, "must be a list")], source=where, obj=kind)
        out = Manifests()
        for item in items:
            if isinstance(item, dict) and kind != "List":
                item = {"apiVersion": api_version, "kind": kind[:-4], **item}
            out.extend_from(from_dict(item, source))
        return out
    body = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind")}
    warnings: list[str] = []
    cls = lookup(api_version, kind)
    if cls is None and (api_version, kind) in LEGACY:
        convert, cls = LEGACY[(api_version, kind)]
        body, warning = convert(body, api_version)
        warnings.append(f"{where}: {_describe(doc)}: {warning}")
    if cls is None:
        hint = suggest(api_version, kind)
        msg = f'no matches for kind "{kind}" in version "{api_version}"' + (f" ({hint})" if hint else "")
        raise LoadError(msg, source=where, obj=_describe(doc) if _describe(doc) != kind else None)
    try:
        obj = cls.from_dict(body)
    except DecodeErrors as exc:
        raise ValidationError(exc.errors, source=where, obj=_describe(doc)) from None
    obj.default()
    obj.source = source
    errs = obj.validate()
    if errs:
        raise ValidationError(errs, source=where, obj=obj.ref)
    if hasattr(obj, "warnings"):
        warnings.extend(f"{where}: {obj.ref}: {w}" for w in obj.warnings())
    return Manifests([obj], warnings)


def load_text(text: str, source: str = "<string>") -> Manifests:
    """Load every object in a YAML (multi-document) or JSON text."""
    out = Manifests()
    docs = _parse(text, source)
    for i, doc in enumerate(docs):
        out.extend_from(from_dict(doc, source, i if len(docs) > 1 else None))
    return out


def _read_limited(stream: Any, source: str) -> str:
    """At most :data:`MAX_INPUT_BYTES` of a binary stream, decoded as UTF-8."""
    data = stream.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise LoadError(f"the input is larger than {MAX_INPUT_BYTES} bytes, kubelab's limit for one file",
                        source=source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise LoadError("the file is not UTF-8 text", source=source) from None


def load_stdin() -> Manifests:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream without bytes underneath (a test's StringIO)
        text = sys.stdin.read(MAX_INPUT_BYTES + 1)
        if len(text) > MAX_INPUT_BYTES:
            raise LoadError(f"the input is larger than {MAX_INPUT_BYTES} bytes, kubelab's limit for one file",
                            source="<stdin>")
        return load_text(text, "<stdin>")
    return load_text(_read_limited(stream, "<stdin>"), "<stdin>")


def load_path(path: str | os.PathLike) -> Manifests:
    """Load a file, or every manifest file of a directory (name order, not recursive)."""
    if str(path) == "":  # Path("") is the current directory; kubectl: the path "" does not exist
        raise LoadError("the path does not exist", source='""')
    p = Path(path)
    if str(path) == "-":
        return load_stdin()
    if p.is_dir():
        out = Manifests()
        for child in sorted(p.iterdir()):
            if child.is_file() and child.suffix in MANIFEST_SUFFIXES:
                out.extend_from(load_path(child))
        return out
    try:
        with open(p, "rb") as f:
            text = _read_limited(f, str(path))
    except FileNotFoundError:
        raise LoadError("the path does not exist", source=str(path)) from None
    except OSError as exc:
        raise LoadError(f"cannot read: {exc.strerror}", source=str(path)) from None
    return load_text(text, str(path))


def check_duplicates(objs: Iterable[APIObject]) -> None:
    """Refuse two objects of the same kind, namespace and name in one input (one would silently replace the other).

    kubectl's ``create -f`` refuses the second (``AlreadyExists``); ``apply -f``
    would apply both in turn, the last one winning -- kubelab asks which one
    was meant instead.
    """
    first: dict[Any, APIObject] = {}
    for obj in objs:
        key = obj.key
        if key in first:
            raise LoadError(f"the input has it twice (also in {first[key].source or 'the input'}): one would "
                            "silently replace the other", source=obj.source, obj=obj.ref)
        first[key] = obj


def load(*sources: Any) -> Manifests:
    """Load from any mix of paths, ``"-"``, YAML text, dicts, lists of dicts and objects.

    A string containing a newline or starting with ``{`` is taken as manifest
    text; any other string is a path.
    """
    out = Manifests()
    for src in sources:
        if isinstance(src, APIObject):
            out.append(copy.deepcopy(src))  # the caller keeps its object; the store gets its own
        elif isinstance(src, dict):
            out.extend_from(from_dict(src))
        elif isinstance(src, (list, tuple)):
            out.extend_from(load(*src))
        elif isinstance(src, str) and ("\n" in src or src.lstrip().startswith(("{", "apiVersion", "kind"))):
            out.extend_from(load_text(src))
        elif isinstance(src, (str, os.PathLike)):
            out.extend_from(load_path(src))
        else:
            raise KubelabError(f"cannot load manifests from {type(src).__name__}")
    return out
