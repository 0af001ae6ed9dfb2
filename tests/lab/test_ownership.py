"""What a lab owns, and nothing else (issue 14 item 6): clean by state file, the lock, status, careless flags.

The namespaces these tests make are empty ``kl-`` namespaces named after the test's pid; a
fake state file lists some of them, as ``kubelab lab up`` would have.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from kubelab import Cluster
from kubelab.cli import main
from kubelab.errors import KubelabError
from kubelab.lab import build, list_lab_namespaces, plan
from kubelab.lab.topology import MAX_LAB_PODS
from tests.lab.small import small_cluster

PID = os.getpid() % 100000


def fake_state(root, lab: str, namespaces: list[str]) -> None:
    """The state file of a lab whose fabric is ``namespaces[0]`` and whose node namespaces are the rest."""
    topology = {"lab": lab, "fabric": namespaces[0], "pods": [], "skipped": [], "hairpin": True,
                "nodes": [{"name": f"n{i}", "netns": ns, "ip": f"172.18.0.{i + 2}", "pod_cidr": f"10.244.{i}.0/24",
                           "fabric_port": f"n{i}", "routes": []} for i, ns in enumerate(namespaces[1:])]}
    (root / lab).mkdir(parents=True)
    (root / lab / "state.json").write_text(json.dumps({"topology": topology, "services": {}, "pids": {},
                                                       "timings": {}}))


@pytest.fixture
def namespaces():
    """Make ``kl-`` namespaces on demand; whatever is left is deleted afterwards."""
    made: list[str] = []

    def make(*names: str) -> list[str]:
        for n in names:
            subprocess.run(["ip", "netns", "add", n], check=True, capture_output=True)
            made.append(n)
        return list(names)
    yield make
    for n in made:
        subprocess.run(["ip", "netns", "del", n], capture_output=True)


@pytest.mark.requires("root")
def test_clean_removes_only_what_a_state_file_lists(tmp_path, namespaces, monkeypatch, capsys):
    monkeypatch.setattr(build, "STATE_ROOT", tmp_path)
    a, b = f"oa{PID}", f"ob{PID}"
    listed_a = namespaces(f"kl-{a}-fabric", f"kl-{a}-n0")
    listed_b = namespaces(f"kl-{b}-fabric", f"kl-{b}-n0")
    strangers = namespaces(f"kl-{a}-other", f"kl-{PID}-someone-elses")  # no state lists them
    fake_state(tmp_path, a, listed_a)
    fake_state(tmp_path, b, listed_b)

    assert main(["lab", "clean", "--name", a]) == 0
    assert sorted(capsys.readouterr().out.split()) == sorted(["removed"] * 2 + listed_a)
    left = set(list_lab_namespaces())
    assert not left & set(listed_a) and set(listed_b) | set(strangers) <= left
    assert not (tmp_path / a).exists() and (tmp_path / b / "state.json").exists()

    assert build.clean(None, tmp_path) == listed_b  # every lab with a state file: only b is left
    left = set(list_lab_namespaces())
    assert not left & set(listed_b) and set(strangers) <= left
    assert tmp_path.is_dir()


def test_clean_never_removes_what_kubelab_did_not_write(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "state.json").write_text('{"not": "a lab"}')
    (tmp_path / "lab2").mkdir()
    (tmp_path / "lab2" / "state.json").write_text(json.dumps({"topology": {"lab": "another-name"}}))
    fake_state(tmp_path, "lab3", [f"kl-lab3-{PID}-fabric-gone"])
    (tmp_path / "lab3" / "my-file").write_text("kept")  # not one of STATE_FILES

    assert build.clean(None, tmp_path) == []
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "project" / "state.json").exists() and (tmp_path / "lab2" / "state.json").exists()
    assert not (tmp_path / "lab3" / "state.json").exists() and (tmp_path / "lab3" / "my-file").read_text() == "kept"


def test_the_cli_clean_honours_the_state_root(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(build, "STATE_ROOT", tmp_path)
    (tmp_path / "keep.txt").write_text("x")
    assert main(["lab", "clean"]) == 0
    assert capsys.readouterr().out == "nothing to clean\n" and (tmp_path / "keep.txt").exists()
    assert main(["lab", "clean", "--name", "../.."]) == 2


def test_a_lab_being_built_cannot_be_built_again(tmp_path):
    lab_name = f"lk{PID}"
    with build.lab_lock(lab_name, tmp_path):
        with pytest.raises(KubelabError, match=f'lab "{lab_name}" is busy'):
            build.Lab(small_cluster(), lab_name, state_root=tmp_path).up()
        with pytest.raises(KubelabError, match="is busy"):
            build.Lab(small_cluster(), lab_name, state_root=tmp_path).down()
    assert list(tmp_path.iterdir()) == [tmp_path / f".{lab_name}.lock"]  # nothing built, nothing removed


def test_the_lock_is_held_by_an_open_descriptor_only(tmp_path):
    with build.lab_lock("x", tmp_path):
        pass
    with build.lab_lock("x", tmp_path):  # released when the block ended
        pass
    code = ("import sys, time; from pathlib import Path; from kubelab.lab import build\n"
            "with build.lab_lock('x', Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(30)\n")
    proc = subprocess.Popen([os.sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(KubelabError, match="busy"):  # another process holds it
            with build.lab_lock("x", tmp_path):
                pass
    finally:
        proc.kill()
        proc.wait()
    with build.lab_lock("x", tmp_path):  # the kernel released it with the process
        pass


@pytest.mark.requires("root")
def test_status_of_a_half_built_lab_is_not_zero(tmp_path, monkeypatch, namespaces, capsys):
    monkeypatch.setattr(build, "STATE_ROOT", tmp_path)
    lab_name = f"hb{PID}"
    listed = [f"kl-{lab_name}-fabric", f"kl-{lab_name}-n0", f"kl-{lab_name}-n1"]
    namespaces(*listed[:2])  # the second node's namespace was never made
    fake_state(tmp_path, lab_name, listed)
    assert main(["lab", "status", "--name", lab_name]) == 1
    namespaces(listed[2])
    assert main(["lab", "status", "--name", lab_name]) == 0
    state = json.loads((tmp_path / lab_name / "state.json").read_text())
    state["topology"]["pods"] = [{"ref": "default/web", "netns": listed[1], "node": "n0", "ip": "10.244.0.2",
                                  "container_id": "c", "ports": [[8080, "TCP"]], "host_ports": []}]
    (tmp_path / lab_name / "state.json").write_text(json.dumps(state))
    capsys.readouterr()
    assert main(["lab", "status", "--name", lab_name]) == 1  # a pod whose server is not running
    assert "none" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["lab", "curl", "--from", "web-0", "--timeout", "-1", "http://web/"],
     'error: --timeout "-1": must be more than 0 and at most 60 seconds'),
    (["lab", "curl", "--from", "web-0", "--timeout", "nan", "http://web/"],
     'error: --timeout "nan": must be more than 0 and at most 60 seconds'),
    (["lab", "curl", "--from", "web-0", "--count", "0", "http://web/"],
     'error: --count "0": must be between 1 and 10000'),
    (["lab", "up", "--name", "../../x"],
     'error: --name "../../x": a lab name is lowercase letters, digits and dashes (at most 20)'),
    (["lab", "status", "--name", "../../x"],
     'error: --name "../../x": a lab name is lowercase letters, digits and dashes (at most 20)'),
    (["lab", "curl", "--from", "web-0", "http://[zz]/"],
     'error: "http://[zz]/": want a URL with a host (and a port unless http/https)'),
    (["lab", "curl", "--from", "web-0", "web:" + "9" * 5000], None),
])
def test_careless_flags_are_one_error_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "STATE_ROOT", tmp_path)
    if argv[1] == "curl":  # a lab that exists, so that only the flag can be wrong
        fake_state(tmp_path, "lab", ["kl-lab-never-made"])
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "internal" not in err[0]
    if message:
        assert err == [message]


def test_a_node_name_too_long_for_a_namespace_name_gets_an_index():
    c = Cluster([{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n" * 251}}])
    t = plan(c, "x")
    assert [n.netns for n in t.nodes] == ["kl-x-n0"] and all(len(ns) <= 64 for ns in t.namespaces)


def test_the_lab_runs_at_most_max_lab_pods():
    pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}"},
             "spec": {"containers": [{"name": "c", "image": "x"}]}} for i in range(MAX_LAB_PODS + 1)]
    with pytest.raises(KubelabError, match=f"lab: {MAX_LAB_PODS + 1} pods: a lab runs at most {MAX_LAB_PODS}"):
        plan(Cluster(pods, system=False), "x")


@pytest.mark.requires("root", "cni", "iptables")
def test_a_lab_up_with_a_251_character_node_name(tmp_path):
    node = "n" * 251
    c = Cluster([{"apiVersion": "v1", "kind": "Node", "metadata": {"name": node}},
                 {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                  "spec": {"nodeName": node, "containers": [{"name": "c", "image": "x",
                                                              "ports": [{"containerPort": 8080}]}]}}], system=False)
    lab_name = f"ln{PID}"
    with build.Lab(c, lab_name, state_root=tmp_path) as lab:
        st = lab.status()
        assert st["nodes"][0]["netns"] == f"kl-{lab_name}-n0" and st["nodes"][0]["up"]
        assert lab.curl(node, st["pods"][0]["ip"], 8080) == ["default/web"]  # from the node itself
    assert not [ns for ns in list_lab_namespaces() if ns.startswith(f"kl-{lab_name}-")]
