"""Read manifests the way ``kubectl apply -f`` does: files, directories, stdin, text, dicts.

Upstream behaviour modelled: ``k8s.io/cli-runtime/pkg/resource`` (the builder
behind ``-f``): multi-document YAML separated by ``---``, JSON, ``kind: List``
(and ``<Kind>List``) whose ``items`` are expanded, a directory means its
``.yaml``, ``.yml`` and ``.json`` files in name order (not recursive, as
without ``-R``), ``-`` means standard input; empty documents are skipped.
Every object is decoded strictly (:mod:`kubelab.api.schema`), defaulted and
validated; if any object is bad the whole load fails, so nothing is
half-applied.  Duplicate keys in one mapping are an error, as in the API
server's strict decoder.

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

__all__ = ["Manifests", "load", "load_text", "load_path", "load_stdin", "from_dict", "MANIFEST_SUFFIXES"]

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


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
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return StrictLoader


def _construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict:
    import yaml

    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(None, None, "found an unhashable key", key_node.start_mark)
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


def _parse(text: str, source: str) -> list[Any]:
    if source.endswith(".json"):
        try:
            return [json.loads(text)]
        except json.JSONDecodeError as exc:
            raise LoadError(f"line {exc.lineno}, column {exc.colno}: {exc.msg} (not valid JSON)", source=source) from None
    import yaml
    try:
        return list(yaml.load_all(text, Loader=_strict_loader()))
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source) from None
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. out-of-range dates, deep nesting
        raise LoadError(f"cannot parse: {exc}", source=source) from None


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


def load_stdin() -> Manifests:
    return load_text(sys.stdin.read(), "<stdin>")


def load_path(path: str | os.PathLike) -> Manifests:
    """Load a file, or every manifest file of a directory (name order, not recursive)."""
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
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LoadError("the path does not exist", source=str(path)) from None
    except UnicodeDecodeError:
        raise LoadError("the file is not UTF-8 text", source=str(path)) from None
    except OSError as exc:
        raise LoadError(f"cannot read: {exc.strerror}", source=str(path)) from None
    return load_text(text, str(path))


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
