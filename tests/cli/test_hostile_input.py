"""Hostile and careless input (issue 14, items 4, 5 and 10): one ``error:`` line and exit 2, never 70.

The memory bombs run in a subprocess under ``RLIMIT_AS`` so that a regression fails the test
instead of exhausting the machine.
"""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: c, image: busybox}]}
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {selector: {app: web}, ports: [{port: 80}]}
"""
MEMORY_CAP = 1 << 30  # 1 GiB of address space for a kubelab process fed a bomb


def billion_laughs(levels: int = 9) -> str:
    """Ten-way aliases, ``levels`` deep, under ``spec.affinity`` (an unmodelled field kubelab keeps verbatim)."""
    lines = ["  affinity:", "    a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"    a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    return POD.replace("spec: {containers: [{name: c, image: busybox}]}",
                       "spec:\n  containers: [{name: c, image: busybox}]\n" + "\n".join(lines)) + "\n"


def env_bomb(n: int = 10) -> str:
    """Each variable references the previous one ten times: 10**n characters once expanded."""
    env = [f'    - {{name: V0, value: "{"x" * 10}"}}']
    env += [f'    - {{name: V{i}, value: "{f"$(V{i - 1})" * 10}"}}' for i in range(1, n)]
    return ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: busybox\n"
            "    env:\n" + "\n".join(env) + "\n")


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_capped(*argv: str, cwd) -> subprocess.CompletedProcess:
    code = "import sys; from kubelab.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=cwd, capture_output=True, text=True, timeout=120,
                          preexec_fn=_limit)


def one_error(r, code: int = 2) -> str:
    """The one ``error:`` line of a run (in-process ``Result`` or ``CompletedProcess``) that exited ``code``."""
    if isinstance(r, subprocess.CompletedProcess):
        status, lines = r.returncode, r.stderr.splitlines()
    else:
        status, lines = r.code, r.err_lines
    assert status == code, lines
    assert len(lines) == 1 and lines[0].startswith("error: ") and "internal error" not in lines[0], lines
    return lines[0]


# ---------------------------------------------------------------- item 4: memory bombs
def test_billion_laughs_is_refused_at_load(tmp_path):
    (tmp_path / "laughs.yaml").write_text(billion_laughs())
    for argv in (["validate"], ["get", "pods", "-o", "json"]):
        r = run_capped(*argv, "-f", "laughs.yaml", cwd=tmp_path)
        assert r.returncode == 2 and r.stdout == ""
        assert one_error(r) == "error: laughs.yaml: document contains excessive aliasing (YAML anchors and " \
                               "aliases expand to too many nodes)"


def test_a_few_aliases_are_fine(kubelab, manifest):
    path = manifest("pod.yaml", billion_laughs(levels=2))
    r = kubelab("get", "pod", "p", "-o", "json", "-f", path)
    assert r.code == 0 and r.out.count('"x"') == 110  # a0 (10) and a1 (10 x 10), expanded in the output


def test_env_expansion_stops_at_the_kernels_limit(tmp_path):
    (tmp_path / "pod.yaml").write_text(env_bomb())
    r = run_capped("env", "p", "-f", "pod.yaml", cwd=tmp_path)
    assert r.stdout == ""
    assert one_error(r) == ("error: pod.yaml: Pod default/p: container \"c\": env V5: the expanded value is longer "
                            "than 131072 bytes with its name (Linux's MAX_ARG_STRLEN): the container would not "
                            "start (execve: argument list too long)")


def test_env_expansion_is_done_once_not_recursively(kubelab, manifest):
    path = manifest("pod.yaml", """\
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
          - name: c
            image: busybox
            env:
            - {name: A, value: "$$(B)"}
            - {name: B, value: "b"}
            - {name: C, value: "$(A)"}
            - {name: D, value: "$(D)"}
        """)
    r = kubelab("env", "p", "-f", path)
    env = dict(line.split("=", 1) for line in r.out.splitlines() if line[:2] in ("A=", "B=", "C=", "D="))
    # A is "$(B)" after its own expansion; C takes A's value as it is, without expanding it again
    assert env == {"A": "$(B)", "B": "b", "C": "$(B)", "D": "$(D)"}


def test_dev_zero_stops_at_the_input_limit(tmp_path):
    r = run_capped("validate", "-f", "/dev/zero", cwd=tmp_path)
    assert one_error(r) == "error: /dev/zero: the input is larger than 67108864 bytes, kubelab's limit for one file"


def test_stdin_stops_at_the_input_limit(monkeypatch):
    import io

    import kubelab.api.loader as loader

    monkeypatch.setattr(loader, "MAX_INPUT_BYTES", 100)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"#" * 101)))
    with pytest.raises(loader.LoadError, match="<stdin>: the input is larger than 100 bytes"):
        loader.load_stdin()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"#" * 100)))
    assert loader.load_stdin() == []  # a comment: no objects


@pytest.mark.parametrize(("argv", "message"), [
    (["trace", "--from", "p", "--to", "s:80", "--count", "10001"], 'error: --count "10001": must be between 1 and 10000'),
    (["route", "http://x/", "--count", "1000000000"], 'error: --count "1000000000": must be between 1 and 10000'),
])
def test_counts_are_capped(kubelab, manifest, argv, message):
    manifest("all.yaml", POD + "---\n" + SERVICE)
    assert one_error(kubelab(*argv, "-f", "all.yaml")) == message


# ---------------------------------------------------------------- item 5: exit 70 on bad input
@pytest.mark.parametrize(("name", "text", "message"), [
    ("deep.json", "[" * 200_000 + "]" * 200_000,
     "error: deep.json: exceeded max depth: more than 100 nested maps and lists (not valid JSON for kubelab)"),
    ("deep.yaml", "a: " + "[" * 150 + "]" * 150 + "\n",
     "error: deep.yaml: exceeded max depth: more than 100 nested maps and lists"),
    ("big.json", '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": '
                 '[{"name": "c", "image": "x", "ports": [{"containerPort": ' + "9" * 5000 + "}]}]}}",
     "error: big.json: cannot parse: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 "
     "digits; use sys.set_int_max_str_digits() to increase the limit (not valid JSON)"),
    ("big.yaml", POD.replace("image: busybox", "image: busybox, ports: [{containerPort: " + "9" * 5000 + "}]"),
     "error: big.yaml: cannot parse: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 "
     "digits; use sys.set_int_max_str_digits() to increase the limit"),
])
def test_unparseable_shapes(kubelab, manifest, name, text, message):
    path = manifest(name, text)
    assert one_error(kubelab("validate", "-f", path)) == message


@pytest.mark.parametrize(("flags", "message"), [
    (["--service-cidr", "10.96.0.0/29"],
     "error: --service-cidr 10.96.0.0/29: subnet with 8 address(es) is too small: kubeadm puts the DNS Service at "
     "its address 10"),
    (["--service-cidr", "0.0.0.0/0"],
     "error: --service-cidr 0.0.0.0/0: specified service range is too large; for 32-bit addresses, the mask must "
     "be >= 12"),
    (["--service-cidr", "fd00::/64"],
     "error: --service-cidr fd00::/64: specified service range is too large; for 128-bit addresses, the mask must "
     "be >= 108"),
    (["--service-cidr", "10.96.0.0/16", "--service-cidr", "fd00::/108", "--service-cidr", "10.97.0.0/16"],
     "error: --service-cidr: must not contain more than two entries (one per IP family)"),
    (["--service-cidr", "10.96.0.0/16", "--service-cidr", "10.97.0.0/16"],
     "error: --service-cidr: the two ranges must be of different IP family"),
    (["--service-cidr", "10.244.0.0/16"],
     "error: --service-cidr 10.244.0.0/16 overlaps --pod-cidr 10.244.0.0/16: a cluster's service, pod and node "
     "ranges must not share addresses"),
    (["--pod-cidr", "172.16.0.0/12"],
     "error: --pod-cidr 172.16.0.0/12 overlaps the node network (kind's docker network) 172.18.0.0/16: a cluster's "
     "service, pod and node ranges must not share addresses"),
    (["--cluster-domain", "Bad_Domain!"],
     "error: --cluster-domain: invalid value \"Bad_Domain!\": a lowercase RFC 1123 subdomain must consist of lower "
     "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
     "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
])
def test_cluster_flags_the_components_refuse(kubelab, manifest, flags, message):
    manifest("svc.yaml", SERVICE)
    assert one_error(kubelab("get", "svc", "-f", "svc.yaml", *flags)) == message


def test_a_dual_stack_pair_and_a_slash_28_are_fine(kubelab, manifest):
    manifest("svc.yaml", SERVICE)
    assert kubelab("get", "svc", "-f", "svc.yaml", "--service-cidr", "10.96.0.0/28").code == 0
    assert kubelab("get", "svc", "-f", "svc.yaml", "--service-cidr", "10.96.0.0/12",
                   "--service-cidr", "fd00:10:96::/112").code == 0


@pytest.mark.parametrize(("argv", "message"), [
    (["route", "http://[fd00::zz]/"], "error: URL \"http://[fd00::zz]/\": 'fd00::zz' does not appear to be an IPv4 "
                                       "or IPv6 address"),
    (["route", "http://foo:70000/"], 'error: URL "http://foo:70000/": port out of range 1-65535'),
    (["route", "http://foo:0/"], 'error: URL "http://foo:0/": port out of range 1-65535'),
    (["route", "http://foo:http/"], "error: URL \"http://foo:http/\": port could not be cast to integer value as "
                                    "'http'"),
    (["route", "foo/bar"], 'error: URL "foo/bar": want http://HOST/PATH or https://HOST/PATH (the scheme is not '
                           'optional)'),
    (["route", "http:///x"], 'error: URL "http:///x": no host'),
    (["dns", ""], 'error: NAME "": an empty name; give the name to look up (e.g. web.default.svc)'),
    (["dns", "a..b"], 'error: NAME "a..b": is not a legal name (empty label)'),
    (["dns", "x" * 64 + ".svc"], f'error: NAME "{"x" * 64}.svc": is not a legal name (label too long)'),
    (["get", ""], 'error: the server doesn\'t have a resource type ""'),
    (["get", ","], 'error: the server doesn\'t have a resource type ","'),
])
def test_bad_arguments(kubelab, manifest, argv, message):
    manifest("svc.yaml", SERVICE)
    assert one_error(kubelab(*argv, "-f", "svc.yaml")) == message


# ---------------------------------------------------------------- item 10: what an API server refuses
def test_an_empty_path_is_not_the_current_directory(kubelab, manifest):
    manifest("svc.yaml", SERVICE)  # the working directory has a valid manifest: "" must not load it
    assert one_error(kubelab("get", "svc", "-f", "")) == 'error: "": the path does not exist'


def test_the_same_object_twice_is_refused(kubelab, manifest):
    manifest("a.yaml", POD)
    manifest("b.yaml", POD.replace("busybox", "nginx"))
    assert one_error(kubelab("validate", "-f", "a.yaml", "-f", "b.yaml")) == (
        "error: b.yaml: Pod default/p: the input has it twice (also in a.yaml): one would silently replace the other")
    manifest("c.yaml", POD.replace("name: p}", "name: p, namespace: other}"))
    assert kubelab("validate", "-f", "a.yaml", "-f", "c.yaml").out == "ok: 2 objects\n"  # another namespace


def test_json_duplicate_keys(kubelab, manifest):
    path = manifest("pod.json", '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "name": "q"}, '
                                '"spec": {"containers": [{"name": "c", "image": "x"}]}}')
    assert one_error(kubelab("validate", "-f", path)) == \
        'error: pod.json: cannot parse: duplicate field "name" (not valid JSON)'


def test_annotations_over_256_kib_in_total(kubelab, manifest):
    half = "x" * (128 * 1024)
    path = manifest("pod.yaml", POD.replace("{name: p}", f"{{name: p, annotations: {{a: {half}, b: {half}}}}}"))
    assert one_error(kubelab("validate", "-f", path)) == \
        "error: pod.yaml: Pod default/p: metadata.annotations: Too long: must have at most 262144 bytes"
    ok = manifest("ok.yaml", POD.replace("{name: p}", f"{{name: p, annotations: {{a: {half[:-2]}}}}}"))
    assert kubelab("validate", "-f", ok).code == 0


@pytest.mark.parametrize(("value", "message"), [
    ("2:14:40", 'Invalid value: "2:14:40": must be an integer'),
    ("190:20:30.15", 'Invalid value: "190:20:30.15": must be an integer'),
])
def test_yaml_base_60_is_a_string(kubelab, manifest, value, message):
    path = manifest("pod.yaml", POD.replace("image: busybox", f"image: busybox, ports: [{{containerPort: {value}}}]"))
    assert one_error(kubelab("validate", "-f", path)) == \
        f"error: pod.yaml: Pod default/p: spec.containers[0].ports[0].containerPort: {message}"


def test_yaml_integers_go_yaml_reads_are_still_integers(kubelab, manifest):
    path = manifest("pod.yaml", POD.replace("image: busybox", "image: busybox, ports: [{containerPort: 8_080}]"))
    r = kubelab("get", "pod", "p", "-o", "json", "-f", path)
    assert '"containerPort": 8080' in r.out


@pytest.mark.parametrize(("spec", "message"), [
    ("ipFamilies: [IPv6], ipFamilyPolicy: SingleStack",
     'spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster'),
    ("ipFamilyPolicy: RequireDualStack",
     'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services'),
    ("ipFamilyPolicy: RequireDualStack, ipFamilies: [IPv6]",
     'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services'
     " (and 1 more)"),
])
def test_ip_families_the_cluster_does_not_serve(kubelab, manifest, spec, message):
    path = manifest("svc.yaml", SERVICE.replace("spec: {", f"spec: {{{spec}, "))
    assert one_error(kubelab("validate", "-f", path)) == f"error: svc.yaml: Service default/s: {message}"


def test_ip_families_a_dual_stack_cluster_serves(kubelab, manifest):
    path = manifest("svc.yaml", SERVICE.replace("spec: {", "spec: {ipFamilyPolicy: RequireDualStack, "))
    assert kubelab("validate", "-f", path, "--service-cidr", "10.96.0.0/12", "--service-cidr",
                   "fd00:10:96::/112").code == 0
    headless = manifest("headless.yaml", SERVICE.replace("spec: {", "spec: {clusterIP: None, ipFamilies: [IPv6], "))
    assert kubelab("validate", "-f", headless).code == 0  # upstream's special case: headless is not checked


@pytest.mark.parametrize(("conf", "extra", "message"), [
    ("deep.conflist", [], "error: deep.conflist: not valid JSON: nested too deep"),
    ("/dev/zero", [], "error: error reading /dev/zero: larger than 67108864 bytes, kubelab's limit for one file"),
    ("ok.conflist", ["--capability-args", "[1]"],
     "error: --capability-args: want a JSON object, e.g. '{\"portMappings\": [...]}', not list"),
    ("ok.conflist", ["--capability-args", "[" * 20000 + "]" * 20000],
     "error: --capability-args: not valid JSON: maximum recursion depth exceeded while decoding a JSON array from a "
     "unicode string"),
])
def test_cni_configuration_files_and_arguments(kubelab, manifest, monkeypatch, tmp_path, conf, extra, message):
    monkeypatch.setenv("KUBELAB_CNI_DIR", str(tmp_path / "state"))
    manifest("deep.conflist", "[" * 20000 + "]" * 20000)
    manifest("ok.conflist", '{"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": "loopback"}]}')
    assert one_error(kubelab("cni", "add", "--conf", conf, *extra)) == message
