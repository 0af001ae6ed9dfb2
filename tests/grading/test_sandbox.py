"""kubelab.grading.sandbox: what code inside the grading sandbox can see, reach and change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kubelab.grading import sandbox

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.requires("bwrap")

PROBE = textwrap.dedent("""
    import json, os, socket
    out = {"uid": os.getuid(), "env": sorted(os.environ), "cwd": os.getcwd()}
    out["interfaces"] = sorted(name for _, name in socket.if_nameindex())
    def can_read(p):
        try:
            with open(p, "rb") as fh:
                fh.read(1)
            return True
        except OSError:
            return False
    def can_write(p):
        try:
            with open(p, "w") as fh:
                fh.write("x")
            return True
        except OSError:
            return False
    out["read"] = {p: can_read(p) for p in READ}
    out["exists"] = {p: os.path.exists(p) for p in EXISTS}
    out["write"] = {p: can_write(p) for p in WRITE}
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=2)
        out["net"] = "open"
    except OSError as exc:
        out["net"] = type(exc).__name__
    import kubelab.grading
    out["kubelab"] = kubelab.grading.__name__
    print(json.dumps(out))
""")


def probe(workdir: Path, read=(), exists=(), write=()) -> dict:
    code = f"READ={list(read)!r}\nEXISTS={list(exists)!r}\nWRITE={list(write)!r}\n{PROBE}"
    cmd = sandbox.bwrap_command([sys.executable, "-I", "-c", code], workdir=workdir, env=sandbox.sandbox_env())
    env = {**os.environ, "KUBELAB_TEST_SECRET": "s3cret"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_inside_the_sandbox(tmp_path):
    work = tmp_path / "submission"
    work.mkdir()
    secret = tmp_path / "instructor-only.txt"
    secret.write_text("answers")
    got = probe(work,
                read=[str(secret), "/etc/shadow", "/etc/passwd", str(REPO / "nbgrader_config.py")],
                exists=[str(REPO / "solutions"), str(REPO / "kubelab" / "grading"), "/root/.bash_history"],
                write=[str(work / "notes.txt"), "/usr/kubelab-test", "/etc/passwd", "/tmp/scratch",
                       str(REPO / "kubelab" / "kubelab-test")])
    assert got["uid"] == sandbox.SANDBOX_UID
    assert got["interfaces"] == ["lo"] and got["net"] != "open"
    assert "KUBELAB_TEST_SECRET" not in got["env"] and set(got["env"]) <= {"HOME", "PATH", "TMPDIR", "LANG", "LC_ALL",
                                                                            "TZ", "NBGRADER_EXECUTION",
                                                                            "NBGRADER_VALIDATING", "PYTHONHASHSEED", "PWD"}
    assert got["cwd"] == str(work.resolve())
    assert got["read"] == {str(secret): False, "/etc/shadow": False, "/etc/passwd": True,
                           str(REPO / "nbgrader_config.py"): False}
    assert got["exists"] == {str(REPO / "solutions"): False, str(REPO / "kubelab" / "grading"): True,
                             "/root/.bash_history": False}
    assert got["write"] == {str(work / "notes.txt"): True, "/usr/kubelab-test": False, "/etc/passwd": False,
                            "/tmp/scratch": True, str(REPO / "kubelab" / "kubelab-test"): False}
    assert got["kubelab"] == "kubelab.grading"
    assert (work / "notes.txt").read_text() == "x"  # the one writable place is the real submission folder
    assert not (REPO / "kubelab" / "kubelab-test").exists()


def test_readonly_paths_never_include_the_checkout():
    paths = sandbox.readonly_paths()
    assert str(REPO) not in paths and str(REPO / "solutions") not in paths
    assert str((REPO / "kubelab").resolve()) in paths


def test_the_command_drops_everything():
    cmd = sandbox.bwrap_command(["true"], workdir="/tmp", extra_ro=[])
    for flag in ("--unshare-all", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in cmd
    assert cmd[cmd.index("--cap-drop") + 1] == "ALL"
    assert cmd[cmd.index("--uid") + 1] == str(sandbox.SANDBOX_UID)
    assert "--share-net" not in cmd
