"""The exit-status contract (docs/cli.md), error lines, global flags, validate, the registry."""

from __future__ import annotations

import json

import pytest

import kubelab as kubelab_package
from kubelab.cli import common
from kubelab.cli.main import MODULES, build_parser


def test_version(kubelab):
    r = kubelab("--version")
    assert (r.code, r.out) == (0, f"kubelab {kubelab_package.__version__}\n")


def test_validate_counts_manifest_objects_only(kubelab, web):
    r = kubelab("validate", "-f", web)
    assert (r.code, r.out, r.err) == (0, "ok: 7 objects\n", "")


def test_validate_json(kubelab, web):
    r = kubelab("validate", "-f", web, "-o", "json")
    assert r.code == 0
    assert json.loads(r.out) == {"ok": True, "objects": 7, "warnings": []}


def test_missing_required_field_is_one_error_line_and_exit_2(kubelab, manifest):
    path = manifest("web.yaml", """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {selector: {app: web}, ports: [{name: http}]}
        """)
    r = kubelab("validate", "-f", path)
    assert r.code == 2
    assert r.out == ""
    assert r.err == "error: web.yaml: Service default/web: spec.ports[0].port: Required value\n"


def test_yaml_syntax_error(kubelab, manifest):
    path = manifest("bad.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web\nspec: [\n")
    r = kubelab("validate", "-f", path)
    assert (r.code, r.out) == (2, "")
    assert r.err.startswith("error: bad.yaml: line 4, column 5: ")
    assert r.err.endswith("(not valid YAML)\n") and r.err.count("\n") == 1


def test_unknown_kind_has_a_hint(kubelab, manifest):
    path = manifest("kind.yaml", "apiVersion: v1\nkind: Servce\nmetadata: {name: web}\n")
    r = kubelab("get", "svc", "-f", path)
    assert (r.code, r.out) == (2, "")
    assert r.err == ('error: kind.yaml: Servce default/web: no matches for kind "Servce" in version "v1" '
                     '(did you mean kind "Service"?)\n')


def test_missing_file(kubelab, manifest):
    r = kubelab("validate", "-f", "nope.yaml")
    assert (r.code, r.err) == (2, "error: nope.yaml: the path does not exist\n")


def test_missing_filename_is_kubectls_error(kubelab):
    for argv in (["validate"], ["get", "pods"], ["describe", "pod", "web"]):
        r = kubelab(*argv)
        assert (r.code, r.out, r.err) == (2, "", "error: must specify one of -f and -k\n")


def test_usage_errors_exit_2_with_usage(kubelab):
    r = kubelab()
    assert r.code == 2 and "usage: kubelab" in r.err and "required: COMMAND" in r.err
    r = kubelab("frobnicate")
    assert r.code == 2 and "invalid choice: 'frobnicate'" in r.err
    r = kubelab("get", "pods", "-f", "x.yaml", "--bogus")
    assert r.code == 2 and "unrecognized arguments: --bogus" in r.err
    r = kubelab("--cni", "nope", "validate", "-f", "x.yaml")
    assert r.code == 2 and "argument --cni: invalid choice: 'nope'" in r.err


def test_help_exits_0(kubelab):
    r = kubelab("--help")
    assert r.code == 0
    for name in ("validate", "get", "describe", "doctor"):
        assert name in r.out


def test_global_flags_before_or_after_the_subcommand(kubelab, web):
    before = kubelab("--service-node-port-range", "40000-40100", "validate", "-f", web)
    after = kubelab("validate", "-f", web, "--service-node-port-range", "40000-40100")
    assert before.code == after.code == 2
    assert before.err == after.err == (
        "error: app.yaml: Service default/web: spec.ports[0].nodePort: Invalid value: 30080: provided port is not "
        "in the valid range. The range of valid ports is 40000-40100\n")


def test_service_cidr_accumulates_across_positions(kubelab, manifest):
    path = manifest("svc.yaml", """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {clusterIP: "fd00:10:96::5", ports: [{port: 80}]}
        """)
    assert kubelab("validate", "-f", path).code == 2  # outside 10.96.0.0/12
    # the second range must be of the other family (kube-apiserver's validateClusterIPFlags)
    r = kubelab("--service-cidr", "10.96.0.0/12", "validate", "-f", path, "--service-cidr", "fd00:10:96::/112")
    assert (r.code, r.out) == (0, "ok: 1 objects\n")


def test_bad_setting_value(kubelab, web):
    r = kubelab("validate", "-f", web, "--pod-cidr", "10.244.0.0/33")
    assert r.code == 2 and r.err.startswith('error: --pod-cidr: invalid value "10.244.0.0/33"')


def test_warnings_go_to_stderr_prefixed(kubelab, manifest):
    path = manifest("pod.yaml", """
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec: {nodeName: elsewhere, containers: [{name: c, image: nginx}]}
        """)
    r = kubelab("validate", "-f", path)
    assert (r.code, r.out) == (0, "ok: 1 objects\n")
    assert r.err == ('Warning: pod.yaml: Pod default/p: spec.nodeName: node "elsewhere" is not declared; '
                     'kubelab added it\n')


def test_stdin(kubelab, web, monkeypatch):
    import io
    from pathlib import Path

    monkeypatch.setattr("sys.stdin", io.StringIO(Path(web).read_text()))
    r = kubelab("validate", "-f", "-")
    assert (r.code, r.out) == (0, "ok: 7 objects\n")


def test_directory_and_repeated_f(kubelab, manifest, tmp_path):
    manifest("a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    manifest("b.json", '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}')
    (tmp_path / "more").mkdir()
    manifest("more/c.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n")
    r = kubelab("validate", "-f", ".", "-f", "more")
    assert (r.code, r.out) == (0, "ok: 3 objects\n")


def test_an_unexpected_exception_is_an_internal_error_without_traceback(kubelab, monkeypatch):
    def boom(args):
        raise RuntimeError("oops")
    monkeypatch.setattr(common.COMMANDS["doctor"], "run", boom)
    r = kubelab("doctor")
    assert r.code == 70
    assert r.err.startswith("error: internal error: RuntimeError: oops\n")
    assert "Traceback" not in r.err


def test_registry_has_one_module_per_command():
    help_text = build_parser().format_help()
    # every module registers the command of its own name; a module may add close relatives
    # (kubelab.cli.dns also registers resolv-conf)
    assert set(MODULES) <= set(common.COMMANDS)
    module_of = {name: cmd.run.__module__ for name, cmd in common.COMMANDS.items()}
    assert all(m.startswith("kubelab.cli.") and m.rsplit(".", 1)[1] in MODULES for m in module_of.values())
    listed = [line.split()[0] for line in help_text.split("COMMAND ...")[-1].splitlines()
              if line.startswith("    ") and line.split()[0] in common.COMMANDS]
    assert [n for n in listed if n in MODULES] == list(MODULES)
    for name in MODULES:
        assert module_of[name] == f"kubelab.cli.{name}"


def test_registering_a_name_twice_is_refused():
    with pytest.raises(ValueError):
        common.command("get", "again", lambda p: None)(lambda args: 0)
