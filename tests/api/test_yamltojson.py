"""YAML 1.1 traps, read as Kubernetes v1.35's ``sigs.k8s.io/yaml`` v1.6.0 reads them (go.yaml.in/yaml/v2 v2.4.3).

Each expected value is what go-yaml v2's ``resolve`` returns for the plain
scalar, after ``sigs.k8s.io/yaml``'s ``json.Marshal`` (an integral float is
written as an integer); the comment names the rule of ``resolve.go`` or
``yaml.go`` that gives it.  Both parsers (LibYAML's and PyYAML's pure one)
must agree on every case.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from kubelab.api import load_text
from kubelab.api.yamltojson import loaders, parse, resolve
from kubelab.errors import LoadError, ValidationError

CASES = [
    # base-60 "purposefully unsupported": a string, where PyYAML's YAML 1.1 reads 8080
    ("2:14:40", "2:14:40"),
    ("190:20:30.15", "190:20:30.15"),
    # resolveMapList booleans, y/Y/n/N included (PyYAML: strings)
    ("on", True), ("On", True), ("ON", True), ("off", False), ("yes", True), ("No", False),
    ("y", True), ("Y", True), ("n", False), ("N", False), ("True", True), ("FALSE", False),
    # not in the map: strings
    ("oN", "oN"), ("yES", "yES"), ("t", "t"), ("nO", "nO"),
    # null
    ("~", None), ("null", None), ("NULL", None), ("Nil", "Nil"),
    # strconv.ParseInt(plain, 0, 64) after every '_' is removed: C-style octal, 0o, 0x, 0b
    ("0755", 493), ("0o755", 493), ("0O17", 15), ("0x1F", 31), ("-0x1F", -31), ("0b101", 5), ("-0b101", -5),
    ("1_000", 1000), ("+_1", 1), ("0", 0), ("-0", 0), ("+12", 12),
    ("99999999999999999999", 99999999999999999999),  # big.Int past 64 bits
    # yamlStyleFloat, then json.Marshal: integral floats are written as integers
    ("08", 8), ("09.5", 9.5), ("1e3", 1000), ("1E+3", 1000), ("1.0e3", 1000), ("80.0", 80), ("0.5", 0.5),
    (".5", 0.5), (".5e1", 5), ("1.", 1), ("1e21", 1e21), ("-1.5", -1.5),
    # neither an int nor a yamlStyleFloat: strings
    ("0x", "0x"), ("089x", "089x"), ("1e", "1e"), ("+", "+"), ("_1", "_1"), ("0b2", "0b2"),
    ("+inf", "+inf"), ("-Infinity", "-Infinity"), ("0x1p-2", "0x1p-2"), ("1_0e_1", 100),
    # timestamps stay the text (decode.go: "for backward compatibility reasons we set it as a string")
    ("2024-01-01", "2024-01-01"), ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
    # '=' is a string (PyYAML cannot construct its tag:yaml.org,2002:value)
    ("=", "="),
]


@pytest.fixture(params=[loader.__name__ for loader in loaders()])
def loader(request):
    return next(cls for cls in loaders() if cls.__name__ == request.param)


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0] for c in CASES])
def test_plain_scalars_resolve_as_go_yaml_v2_then_json(loader, text, expected):
    value = yaml.load(f"v: {text}\n", Loader=loader)["v"]
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("text", ["'on'", '"0755"', "'2:14:40'", '"y"', "'1e3'"])
def test_quoted_scalars_are_strings(loader, text):
    assert yaml.load(f"v: {text}\n", Loader=loader)["v"] == text[1:-1]


def test_both_parsers_are_offered_when_libyaml_is_installed():
    names = [cls.__name__ for cls in loaders()]
    assert names[-1] == "GoYAMLLoader"  # the pure parser is always the fallback (the Pyodide edition)
    assert ("GoYAMLCLoader" in names) == bool(getattr(yaml, "__with_libyaml__", False))


def test_keys_become_json_strings():
    # sigs.k8s.io/yaml convertToJSONableObject: bool keys "true"/"false", int keys decimal
    assert parse("{on: a, off: b, 0x10: c}") == [{"true": "a", "false": "b", "16": "c"}]
    with pytest.raises(yaml.YAMLError, match='duplicate field "true"'):
        parse("{on: a, 'true': b}")


@pytest.mark.parametrize("text,shown", [(".nan", "NaN"), (".inf", "+Inf"), ("-.Inf", "-Inf")])
def test_nan_and_infinity_fail_the_trip_to_json(text, shown):
    with pytest.raises(LoadError) as info:
        load_text(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels: {{a: {text}}}\n", source="x.yaml")
    assert str(info.value) == (f"x.yaml: line 5, column 15: cannot convert YAML to JSON: json: unsupported value: "
                               f"{shown} (not valid YAML)")


def test_explicit_tags_are_checked_as_go_yaml_does():
    with pytest.raises(yaml.YAMLError, match=r"cannot decode !!str `2:14:40` as a !!int"):
        parse("v: !!int 2:14:40")
    assert parse("v: !!float 3") == [{"v": 3}]  # an int is a float where one is asked for (then 3 in JSON)
    assert parse("v: !!str 0755") == [{"v": "0755"}]


def test_container_port_traps_in_a_pod():
    """``containerPort: 0755`` is port 493 and ``08`` port 8, as kubectl sends them; ``2:14:40`` is refused."""
    pod = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx\n"
           "    ports:\n    - containerPort: {port}\n")
    assert load_text(pod.replace("{port}", "0755"))[0].spec.containers[0].ports[0].container_port == 493
    assert load_text(pod.replace("{port}", "08"))[0].spec.containers[0].ports[0].container_port == 8
    assert load_text(pod.replace("{port}", "8080.0"))[0].spec.containers[0].ports[0].container_port == 8080
    with pytest.raises(ValidationError, match=r"containerPort.*2:14:40"):
        load_text(pod.replace("{port}", "2:14:40"))


def test_a_label_value_y_is_a_boolean_and_refused():
    """``labels: {enabled: y}``: go-yaml makes ``true``, and a label value must be a string."""
    with pytest.raises(ValidationError, match=r"metadata\.labels\.enabled: Invalid value: true: must be a string"):
        load_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels: {enabled: y}\n")
    assert load_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels: {enabled: 'y'}\n")[0] \
        .metadata.labels["enabled"] == "y"


def test_libyaml_errors_are_reported_with_the_pure_parsers_message():
    """LibYAML says "mapping values are not allowed in this context"; kubelab keeps the message it always printed."""
    text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n    labels: {}\n"
    with pytest.raises(LoadError) as info:
        load_text(text, source="web.yaml")
    assert str(info.value) == "web.yaml: line 5, column 11: mapping values are not allowed here (not valid YAML)"


def test_resolve_is_the_function_both_parsers_use():
    assert resolve("0755") == ("tag:yaml.org,2002:int", 493)
    assert resolve("'x'") == ("tag:yaml.org,2002:str", "'x'")
    assert math.isnan(resolve(".NaN")[1])


MIXED = """\
base: &base {app: web, tier: 1}
svc:
  <<: *base
  ports: [{port: 0x50, targetPort: 8080.0}, {port: 1e3}]
  flags: [y, n, on, off, ~, '', 2:14:40, 2024-01-01]
  again: *base
  nested: {a: [{b: [{c: {d: [1, 2, 3]}}]}]}
  tagged: !!str 0755
  bits: !!binary aGVsbG8=
  ? [complex, key]
  : refused
---
plain: text
"""


def _through_pyyaml(text: str, loader: type) -> list:
    return list(yaml.load_all(text, Loader=loader))


@pytest.mark.parametrize("text", [MIXED.replace("  ? [complex, key]\n  : refused\n", ""), "a: 1\n---\n---\nb: [x]\n",
                                  "deep: " + "[" * 80 + "]" * 80 + "\n"])
def test_direct_construction_equals_pyyamls_constructors(loader, text):
    """:func:`_direct` builds what PyYAML's constructors build (merge keys, aliases, tags, depth)."""
    from kubelab.api.yamltojson import _documents

    assert _documents(text, loader) == _through_pyyaml(text, loader)


def test_unusual_nodes_get_pyyamls_errors(loader):
    from kubelab.api.yamltojson import _documents

    with pytest.raises(yaml.YAMLError, match="found an unhashable key"):
        _documents(MIXED, loader)
    with pytest.raises(yaml.YAMLError, match="found unconstructable recursive node"):
        _documents("k: &a {x: *a}\n", loader)
    doc = _documents("k: &a [1, *a]\n", loader)[0]  # PyYAML builds a list that holds itself (the loader refuses it)
    assert doc["k"][1] is doc["k"]


def test_aliases_share_one_value_as_pyyaml_does(loader):
    """The loader's alias accounting (go-yaml's ``allowedAliasRatio``) counts values met twice."""
    from kubelab.api.yamltojson import _documents

    doc = _documents("a: &x {k: [1]}\nb: *x\n", loader)[0]
    assert doc["a"] is doc["b"]


MANIFESTS = sorted((Path(__file__).resolve().parents[2] / "kubelab" / "data" / "manifests").glob("*.yaml"))


@pytest.mark.parametrize("path", MANIFESTS, ids=[p.name for p in MANIFESTS])
def test_every_parser_reads_the_example_manifests_alike(path):
    """LibYAML with direct construction, and the pure parser with PyYAML's constructors: the same documents."""
    from kubelab.api.yamltojson import _documents

    text = path.read_text(encoding="utf-8")
    pure = _through_pyyaml(text, loaders()[-1])
    assert pure and all(_documents(text, loader) == pure for loader in loaders())
