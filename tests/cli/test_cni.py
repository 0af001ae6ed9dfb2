"""``kubelab cni``: add/check/del/version with the in-memory plugins, exit codes, and ``cni exec``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CONFLIST = {"cniVersion": "1.0.0", "name": "kubenet", "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": True,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.1.0/30"}]]}},
    {"type": "portmap", "capabilities": {"portMappings": True}}]}


@pytest.fixture
def conf(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBELAB_CNI_DIR", str(tmp_path / "state"))
    path = tmp_path / "10-kubenet.conflist"
    path.write_text(json.dumps(CONFLIST))
    return str(path)


def test_add_check_del(kubelab, conf, tmp_path):
    r = kubelab("cni", "add", "--conf", conf, "--container-id", "c1", "--netns", "/run/netns/p1")
    assert r.code == 0, r.err
    result = json.loads(r.out)
    assert result["ips"] == [{"address": "10.244.1.2/30", "gateway": "10.244.1.1", "interface": 2}]
    assert list(result) == sorted(result)  # printed by libcni 1.1: keys sorted, empty dns dropped
    assert (tmp_path / "state" / "networks" / "kubenet" / "10.244.1.2").read_bytes() == b"c1\r\neth0"
    assert (tmp_path / "state" / "results" / "kubenet-c1-eth0").exists()
    # the /30 has one usable address besides the gateway: the next ADD is a plugin error, exit 1
    r2 = kubelab("cni", "add", "--conf", conf, "--container-id", "c2", "--netns", "/run/netns/p2")
    assert r2.code == 1
    assert json.loads(r2.out) == {"code": 999, "msg": "failed to allocate for range 0: no IP addresses available in "
                                                      "range set: 10.244.1.1-10.244.1.2"}
    assert r2.err.startswith('error: plugin type="bridge" failed (add): ')
    assert kubelab("cni", "check", "--conf", conf, "--container-id", "c1", "--netns", "/run/netns/p1").code == 0
    assert kubelab("cni", "del", "--conf", conf, "--container-id", "c1", "--netns", "/run/netns/p1").code == 0
    assert not (tmp_path / "state" / "networks" / "kubenet" / "10.244.1.2").exists()
    assert not (tmp_path / "state" / "results" / "kubenet-c1-eth0").exists()


def test_version(kubelab, conf):
    r = kubelab("cni", "version", "--conf", conf)
    assert r.code == 0
    assert [json.loads(line)["cniVersion"] for line in r.out.splitlines()] == ["1.0.0", "1.0.0"]


def test_bad_input_exit_2(kubelab, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBELAB_CNI_DIR", str(tmp_path / "state"))
    bad = tmp_path / "chapter.conflist"
    bad.write_text("{\n  'name': 'k8s-pod-network'\n}")
    r = kubelab("cni", "add", "--conf", str(bad))
    assert r.code == 2
    assert "line 2, column 3: not valid JSON" in r.err and "write \"name\", not 'name'" in r.err
    assert kubelab("cni", "add").code == 2
    assert kubelab("cni", "exec").code == 2


def test_incompatible_version_is_a_plugin_error(kubelab, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBELAB_CNI_DIR", str(tmp_path / "state"))
    path = tmp_path / "x.conflist"
    path.write_text(json.dumps({**CONFLIST, "cniVersion": "1.1.0"}))
    r = kubelab("cni", "add", "--conf", str(path), "--netns", "/p")
    assert r.code == 1 and json.loads(r.out)["code"] == 1


def test_exec_host_local(tmp_path):
    kubelab_bin = Path(sys.executable).with_name("kubelab")
    conf = json.dumps({"cniVersion": "0.3.1", "name": "n",
                       "ipam": {"type": "host-local", "subnet": "10.9.0.0/24", "dataDir": str(tmp_path)}})
    env = {**os.environ, "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c1", "CNI_NETNS": "/x", "CNI_IFNAME": "eth0",
           "CNI_PATH": "/opt/cni/bin"}
    p = subprocess.run([str(kubelab_bin), "cni", "exec", "host-local"], input=conf.encode(), env=env,
                       capture_output=True)
    assert p.returncode == 0
    assert json.loads(p.stdout)["ips"] == [{"version": "4", "address": "10.9.0.2/24", "gateway": "10.9.0.1"}]
    assert not p.stdout.endswith(b"\n")  # as the Go binary: no trailing newline
    p = subprocess.run([str(kubelab_bin), "cni", "exec", "host-local"], input=b"{", env=env, capture_output=True)
    assert p.returncode == 1 and json.loads(p.stdout)["code"] == 6
    p = subprocess.run([str(kubelab_bin), "cni", "exec", "host-local"], input=b"",
                       env={k: v for k, v in env.items() if k != "CNI_COMMAND"}, capture_output=True)
    assert p.returncode == 0 and p.stderr.startswith(b"CNI host-local plugin version unknown")
