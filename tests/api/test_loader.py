"""Loading manifests the way ``kubectl apply -f`` does (kubelab.api.loader).

Upstream behaviour: ``k8s.io/cli-runtime/pkg/resource`` (visitors behind
``-f``: files, directories in name order without ``-R``, ``-`` for stdin,
multi-document YAML, ``kind: List``), ``sigs.k8s.io/yaml`` (YAML→JSON:
duplicate keys are an error, timestamps stay strings) and the API server's
strict field validation (``strict decoding error: unknown field "..."``).

kubelab's one-line errors name file, object and field; where they differ from
kubectl's wording the loader and schema docstrings say so.
"""

from __future__ import annotations

import io
import json

import pytest

from kubelab.api import Manifests, Service, load, load_path, load_stdin, load_text
from kubelab.api.registry import suggest
from kubelab.errors import KubelabError, LoadError, ValidationError

from .manifests import NAMESPACE, POD, SERVICE, fresh

SVC = "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec: {{ports: [{{port: 80}}]}}\n"


def test_multi_document_yaml_with_empty_documents_skipped():
    text = "---\n" + SVC.format(name="a") + "---\n---\n# only a comment\n---\n" + SVC.format(name="b") + "...\n"
    objs = load_text(text, source="two.yaml")
    assert [o.ref for o in objs] == ["Service default/a", "Service default/b"]
    assert all(o.source == "two.yaml" for o in objs)


def test_empty_text_is_no_objects():
    assert load_text("") == [] and load_text("---\n---\n") == []


def test_json_file(tmp_path):
    f = tmp_path / "ns.json"
    f.write_text(json.dumps(NAMESPACE))
    (obj,) = load_path(f)
    assert obj.ref == "Namespace shop"


def test_json_file_syntax_error_names_line_and_column(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text('{\n  "apiVersion": "v1",\n  "kind": "Namespace"\n  "metadata": {}\n}')
    with pytest.raises(LoadError, match=r"bad\.json: line 4, column 3: Expecting ',' delimiter \(not valid JSON\)"):
        load_path(f)


def test_kind_list_expands_items():
    doc = {"apiVersion": "v1", "kind": "List", "items": [fresh(SERVICE), fresh(POD)]}
    assert [o.kind for o in load(doc)] == ["Service", "Pod"]


def test_typed_list_gives_items_their_kind():
    """``PodList`` items need not repeat apiVersion/kind, as in ``kubectl get pods -o yaml``."""
    text = """
apiVersion: v1
kind: PodList
items:
- metadata: {name: a}
  spec: {containers: [{name: c, image: nginx}]}
- metadata: {name: b}
  spec: {containers: [{name: c, image: nginx}]}
"""
    objs = load_text(text)
    assert [o.ref for o in objs] == ["Pod default/a", "Pod default/b"]


def test_list_without_items_and_with_bad_items():
    assert load({"apiVersion": "v1", "kind": "List"}) == []
    with pytest.raises(ValidationError, match="items: Invalid value: 5: must be a list"):
        load({"apiVersion": "v1", "kind": "List", "items": 5})


def test_directory_in_name_order_not_recursive(tmp_path):
    (tmp_path / "b.yaml").write_text(SVC.format(name="b"))
    (tmp_path / "a.yml").write_text(SVC.format(name="a"))
    (tmp_path / "c.json").write_text(json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "c"}}))
    (tmp_path / "notes.txt").write_text("not a manifest")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.yaml").write_text(SVC.format(name="d"))
    assert [o.name for o in load_path(tmp_path)] == ["a", "b", "c"]


def test_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(SVC.format(name="from-stdin")))
    (obj,) = load_path("-")
    assert obj.ref == "Service default/from-stdin" and obj.source == "<stdin>"
    monkeypatch.setattr("sys.stdin", io.StringIO(SVC.format(name="again")))
    assert load_stdin()[0].name == "again"


def test_load_mixes_paths_text_dicts_and_objects(tmp_path):
    f = tmp_path / "a.yaml"
    f.write_text(SVC.format(name="a"))
    svc = load_text(SVC.format(name="obj"))[0]
    objs = load(str(f), SVC.format(name="text"), fresh(SERVICE), [svc])
    assert [o.name for o in objs] == ["a", "text", "web", "obj"]
    assert isinstance(objs, Manifests)
    with pytest.raises(KubelabError, match="cannot load manifests from int"):
        load(5)


def test_missing_file():
    with pytest.raises(LoadError, match=r"^nope\.yaml: the path does not exist$"):
        load_path("nope.yaml")


def test_not_utf8(tmp_path):
    f = tmp_path / "bin.yaml"
    f.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(LoadError, match="the file is not UTF-8 text"):
        load_path(f)


def test_duplicate_keys_are_an_error():
    # sigs.k8s.io/yaml (strict): 'duplicate field "name"'.
    text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\nspec: {ports: [{port: 80}]}\n"
    with pytest.raises(LoadError) as info:
        load_text(text, source="dup.yaml")
    assert str(info.value) == 'dup.yaml: line 5, column 3: duplicate field "name" (not valid YAML)'


def test_yaml_syntax_error_names_line_and_column():
    text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n    labels: {}\n"
    with pytest.raises(LoadError) as info:
        load_text(text, source="web.yaml")
    assert str(info.value) == "web.yaml: line 5, column 11: mapping values are not allowed here (not valid YAML)"


def test_unquoted_timestamps_stay_strings():
    """sigs.k8s.io/yaml goes through JSON, where ``2024-01-01`` is a string; PyYAML alone would make a date."""
    text = ("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels: {since: 2024-01-01}\n"
            "  creationTimestamp: 2024-05-01T12:00:00Z\n")
    (ns,) = load_text(text)
    assert ns.labels["since"] == "2024-01-01"
    assert ns.metadata.extra["creationTimestamp"] == "2024-05-01T12:00:00Z"


def test_exact_one_line_error_format():
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{name: x}]}\n"
    with pytest.raises(ValidationError) as info:
        load_text(text, source="web.yaml")
    assert str(info.value) == "web.yaml: Service default/web: spec.ports[0].port: Required value"
    assert info.value.source == "web.yaml" and info.value.obj == "Service default/web"


def test_document_number_in_multi_document_errors():
    text = SVC.format(name="ok") + "---\n" + SVC.format(name="Bad")
    with pytest.raises(ValidationError) as info:
        load_text(text, source="two.yaml")
    assert str(info.value).startswith('two.yaml (document 2): Service default/Bad: metadata.name: Invalid value: "Bad"')


def test_more_errors_are_counted_and_all_listed():
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 0}, {port: 70000}]}\n"
    with pytest.raises(ValidationError) as info:
        load_text(text, source="web.yaml")
    # port and the targetPort defaulted from it are both reported, as upstream (validateServicePort).
    assert str(info.value).endswith("(and 5 more)")
    assert info.value.all_messages()[0] == "web.yaml: Service default/web: spec.ports[0].name: Required value"
    assert ("web.yaml: Service default/web: spec.ports[1].port: Invalid value: 70000: "
            "must be between 1 and 65535, inclusive") in info.value.all_messages()


@pytest.mark.parametrize("api_version,kind,hint", [
    ("v1", "Servce", 'did you mean kind "Service"?'),
    ("v1", "service", 'did you mean kind "Service"? (kinds are case-sensitive)'),
    ("networking.k8s.io/v1", "Service", 'did you mean apiVersion "v1"?'),
    ("v1", "Ingress", 'did you mean apiVersion "networking.k8s.io/v1"?'),
    ("v1", "NetworkPolicy", 'known apiVersions for this kind: "networking.k8s.io/v1", "projectcalico.org/v3"'),
    ("v1", "Deployment", ""),
])
def test_unknown_kind_with_near_miss_hint(api_version, kind, hint):
    # kubectl: 'no matches for kind "X" in version "Y"' (k8s.io/apimachinery/pkg/api/meta NoKindMatchError).
    assert suggest(api_version, kind) == hint
    doc = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "web"}}
    with pytest.raises(LoadError) as info:
        load_text(json.dumps(doc), source="web.yaml")
    expected = f'no matches for kind "{kind}" in version "{api_version}"' + (f" ({hint})" if hint else "")
    assert str(info.value).endswith(expected)


def test_missing_kind_and_api_version():
    with pytest.raises(ValidationError, match=r"^x\.yaml: kind: Required value$"):
        load_text("apiVersion: v1\nmetadata: {name: a}\n", source="x.yaml")
    with pytest.raises(ValidationError, match=r"^x\.yaml: Service: apiVersion: Required value$"):
        load_text("kind: Service\n", source="x.yaml")


def test_not_an_object():
    with pytest.raises(LoadError, match="expected a Kubernetes object .* got list"):
        load_text("- a\n- b\n")


def test_unknown_field_with_did_you_mean():
    # API server, fieldValidation=Strict: 'strict decoding error: unknown field "spec.ports[0].targetPrt"'.
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80, targetPrt: 80}]}\n"
    with pytest.raises(ValidationError) as info:
        load_text(text, source="web.yaml")
    assert str(info.value) == ('web.yaml: Service default/web: unknown field "spec.ports[0].targetPrt": '
                               'did you mean "targetPort"?')


def test_unknown_field_checked_against_upstream_names():
    """Unmodelled but real fields are kept; a typo of one is still unknown, with a hint from the full list."""
    m = fresh(POD)
    m["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(ValidationError, match=r'unknown field "spec.containers\[0\].readinesProbe": '
                                              r'did you mean "readinessProbe"\?'):
        load(m)
    m = fresh(POD)
    m["spec"]["zzz"] = 1
    with pytest.raises(ValidationError, match=r'unknown field "spec.zzz"$'):
        load(m)


@pytest.mark.parametrize("spec,message", [
    ("{ports: [{port: eighty}]}", 'spec.ports[0].port: Invalid value: "eighty": must be an integer'),
    ("{ports: {port: 80}}", 'spec.ports: Invalid value: {"port": 80}: must be a list'),
    ("{ports: [{port: 80}], selector: [app]}", 'spec.selector: Invalid value: ["app"]: must be an object'),
    ("{ports: [{port: 80, targetPort: true}]}",
     "spec.ports[0].targetPort: Invalid value: true: must be an integer or a string"),
    ("{ports: [{port: 80.5}]}", "spec.ports[0].port: Invalid value: 80.5: must be an integer"),
    ("{ports: [{port: 80}], publishNotReadyAddresses: 'yes'}",
     'spec.publishNotReadyAddresses: Invalid value: "yes": must be a boolean'),
])
def test_wrong_type(spec, message):
    # Deviation (see kubelab.api.schema): the API server says 'json: cannot unmarshal string into Go
    # struct field ServicePort.spec.ports.port of type int32'; kubelab names the field path and the type.
    text = f"apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec: {spec}\n"
    with pytest.raises(ValidationError) as info:
        load_text(text, source="web.yaml")
    assert str(info.value) == f"web.yaml: Service default/web: {message}"


def test_whole_numbers_written_as_floats_are_integers():
    (svc,) = load_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80.0}]}\n")
    assert svc.spec.ports[0].port == 80 and isinstance(svc.spec.ports[0].port, int)


def test_null_in_a_list_is_the_zero_value():
    """``ports: [null]`` decodes to ``[{}]`` as in Go, then fails validation like an empty port."""
    with pytest.raises(ValidationError, match=r"spec.ports\[0\].port: Required value"):
        load_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [null]}\n")


def test_nothing_is_half_loaded(tmp_path):
    (tmp_path / "a.yaml").write_text(SVC.format(name="a"))
    (tmp_path / "b.yaml").write_text(SVC.format(name="B"))
    with pytest.raises(ValidationError, match="b.yaml"):
        load_path(tmp_path)


def test_loaded_objects_are_typed():
    (svc,) = load_text(SVC.format(name="web"))
    assert isinstance(svc, Service) and svc.spec.ports[0].port == 80


def test_deepcopy_of_a_model_equals_and_shares_nothing_mutable():
    """``Model.__deepcopy__`` (the fast path ``Cluster(objects)`` copies with) keeps everything and shares no list."""
    import copy

    pod = load_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {a: b}}\n"
                    "spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}\n")[0]
    twin = copy.deepcopy(pod)
    assert twin == pod and twin.to_dict() == pod.to_dict() and type(twin) is type(pod)
    assert twin.spec.containers is not pod.spec.containers and twin.metadata.labels is not pod.metadata.labels
    twin.metadata.labels["a"] = "changed"
    assert pod.metadata.labels["a"] == "b"


def test_handed_over_manifests_are_not_copied():
    objs = load_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    assert load(objs)[0] is not objs[0] and load(objs.handed_over())[0] is objs[0]
    assert not objs.taken_as_is  # the mark is on the handed-over list only
