"""kubelab.api.crd: the schema engine and the CEL result cache.

The cache key of a rule's result is the value projected on the struct fields the rule
names; the property checked here is that projecting changes no result: every Gateway
API manifest of the tests (valid ones, and each with one field changed) gives the same
errors with and without the projection.
"""

from __future__ import annotations

import copy

import pytest

from kubelab.api import crd
from kubelab.api.loader import from_dict
from kubelab.errors import KubelabError

from .manifests import GATEWAY, HTTP_ROUTE, REFERENCE_GRANT

MUTATIONS = [
    ("listeners", lambda d: d["spec"]["listeners"].append(dict(d["spec"]["listeners"][0]))),
    ("https-passthrough", lambda d: d["spec"]["listeners"][1]["tls"].update(mode="Passthrough")),
    ("http-tls", lambda d: d["spec"]["listeners"][0].update(tls={"certificateRefs": [{"name": "x"}]})),
    ("tcp-hostname", lambda d: d["spec"]["listeners"][0].update(protocol="TCP", hostname="a.example.com")),
]
ROUTE_MUTATIONS = [
    ("exact-relative", lambda d: d["spec"]["rules"][0]["matches"][0]["path"].update(value="cart")),
    ("redirect-and-backends", lambda d: d["spec"]["rules"][1].update(backendRefs=[{"name": "w", "port": 80}])),
    ("two-modifiers", lambda d: d["spec"]["rules"][0]["filters"].append(dict(d["spec"]["rules"][0]["filters"][0]))),
    ("no-port", lambda d: d["spec"]["rules"][0]["backendRefs"][0].pop("port")),
    ("rewrite-exact", lambda d: d["spec"]["rules"][0]["filters"].append(
        {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}})),
]
CASES = ([("gateway", GATEWAY, None)] + [(n, GATEWAY, f) for n, f in MUTATIONS]
         + [("route", HTTP_ROUTE, None)] + [(n, HTTP_ROUTE, f) for n, f in ROUTE_MUTATIONS]
         + [("grant", REFERENCE_GRANT, None)])


def _errors(doc: dict) -> list[str]:
    try:
        from_dict(copy.deepcopy(doc))
    except KubelabError as exc:
        return [str(e) for e in getattr(exc, "errors", [exc])]
    return []


@pytest.mark.parametrize("name,manifest,mutate", CASES, ids=[c[0] for c in CASES])
def test_projection_changes_no_result(monkeypatch, name, manifest, mutate):
    doc = copy.deepcopy(manifest)
    if mutate:
        mutate(doc)
    crd._evaluate.cache_clear()
    projected = _errors(doc)
    monkeypatch.setattr(crd, "_project", lambda schema, value, names: value)
    crd._evaluate.cache_clear()
    whole = _errors(doc)
    crd._evaluate.cache_clear()
    assert projected == whole
    assert (projected == []) == (mutate is None)  # every mutation is an error, every original valid


def test_projection_keeps_named_fields_and_map_keys():
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"},
                                               "m": {"type": "object", "additionalProperties": {"type": "string"}}}}
    assert crd._project(schema, {"a": "1", "b": "2", "m": {"x": "y"}}, frozenset({"a", "m"})) == \
        {"a": "1", "m": {"x": "y"}}


def test_cache_dir_is_the_users_and_optional(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert crd._cache_dir() == tmp_path / "kubelab"
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert crd._cache_dir() is None
