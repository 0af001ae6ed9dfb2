"""The lab's life cycle: up, status, curl, down, clean; clean-up on exceptions, Ctrl-C and SIGTERM.

Every test runs under ``host_unchanged``: the host's links, addresses, routes and
iptables rules are read before the module and must be identical after it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kubelab import Cluster
from kubelab.cli.main import main
from kubelab.lab import Lab, clean, list_lab_namespaces, load_lab, plan
from kubelab.lab.doctor import modelled_only, parts
from tests.lab.small import small_cluster

pytestmark = [pytest.mark.requires("root", "cni", "iptables"), pytest.mark.usefixtures("host_unchanged")]

REPO = Path(__file__).resolve().parents[2]


def name(tag: str) -> str:
    return f"{tag}{os.getpid() % 100000}"


def ours(lab: str) -> list[str]:
    return [ns for ns in list_lab_namespaces() if ns.startswith(f"kl-{lab}-")]


def test_plan_is_data():
    t = plan(small_cluster(), "x")
    assert t.namespaces == ["kl-x-fabric", "kl-x-kind-worker", "kl-x-kind-worker2", "kl-x-p0", "kl-x-p1", "kl-x-p2",
                            "kl-x-p3"]
    assert [p.ip for p in t.pods] == ["10.244.0.2", "10.244.1.2", "10.244.0.3", "10.244.1.3"]
    bridge = plan(small_cluster(), "x", hairpin=False).conflist(t.nodes[0])["plugins"][0]
    assert bridge["hairpinMode"] is False and bridge["ipam"]["ranges"] == [[{"subnet": "10.244.0.0/24"}]]
    assert t.skipped == [] and t.node("kind-worker").routes == [("10.244.1.0/24", "172.18.0.4")]
    assert plan(Cluster(proxy_mode="ipvs"), "y").skipped[-1].startswith("kube-proxy mode ipvs: modelled only")
    netpol = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny"},
              "spec": {"podSelector": {}}}
    assert "not enforced in the lab" in plan(Cluster([netpol]), "z").skipped[-1]


def test_up_curl_down(capsys):
    lab_name = name("u")
    with Lab(small_cluster(), lab_name) as lab:
        assert len(ours(lab_name)) == 7
        assert set(lab.curl("web-0", "web", 80, count=30)) == {"default/web-0", "default/web-1", "default/web-2"}
        assert lab.curl("kind-worker", "db", 80) == ["default/db-3"]  # from the node itself (OUTPUT)
        st = lab.status()
        assert all(p["server"] == "running" for p in st["pods"]) and all(n["up"] for n in st["nodes"])
        assert lab.timings["up"] < 10
    assert ours(lab_name) == [] and not lab.state_dir.exists()


def test_cli_up_status_curl_down(tmp_path, capsys):
    lab_name = name("c")
    f = tmp_path / "m.json"
    f.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": []}))
    try:
        assert main(["lab", "up", "-f", str(f), "--name", lab_name]) == 0
        assert "kind-worker" in capsys.readouterr().out
        assert main(["lab", "status", "--name", lab_name, "-o", "json"]) == 0
        st = json.loads(capsys.readouterr().out)
        dns = next(p for p in st["pods"] if "coredns" in p["pod"])
        assert dns["server"] == "running"
        assert main(["lab", "curl", "--name", lab_name, "--from", dns["pod"], "kube-dns.kube-system:53",
                     "--proto", "UDP"]) == 0
        assert capsys.readouterr().out.strip().startswith("kube-system/coredns-")
        assert main(["lab", "curl", "--name", lab_name, "--from", "fabric", "http://10.96.0.10:53"]) == 1  # no route
        capsys.readouterr()
        assert main(["lab", "curl", "--name", lab_name, "--from", "nowhere", "10.96.0.10:53"]) == 2
        assert main(["lab", "up", "-f", str(f), "--name", lab_name]) == 2  # already up
    finally:
        assert main(["lab", "down", "--name", lab_name]) == 0
    assert ours(lab_name) == []
    assert main(["lab", "status", "--name", lab_name]) == 1
    assert main(["lab", "down", "--name", lab_name]) == 1


def test_exception_and_ctrl_c_remove_everything():
    for exc in (RuntimeError("boom"), KeyboardInterrupt()):
        lab_name = name("e")
        with pytest.raises(type(exc)):
            with Lab(small_cluster(), lab_name):
                assert len(ours(lab_name)) == 7
                raise exc
        assert ours(lab_name) == []


def test_failure_during_up_removes_what_was_built(monkeypatch):
    lab_name = name("f")

    def broken(self):
        raise RuntimeError("iptables-restore failed")
    monkeypatch.setattr(Lab, "_kube_proxy", broken)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(RuntimeError):
        with Lab(small_cluster(), lab_name):
            pass
    assert ours(lab_name) == [] and signal.getsignal(signal.SIGTERM) is before


def test_signal_handlers_restored():
    before = signal.getsignal(signal.SIGTERM)
    with Lab(small_cluster(), name("h")):
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_clean_up(sig):
    lab_name = name("s")
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from kubelab.lab import Lab
        from tests.lab.small import small_cluster
        with Lab(small_cluster(), {lab_name!r}):
            print("up", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert proc.stdout.readline().strip() == "up"
        assert len(ours(lab_name)) == 7
        proc.send_signal(sig)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert ours(lab_name) == []


def test_clean_removes_a_lab_left_running():
    lab_name = name("k")
    lab = Lab(small_cluster(), lab_name).up()  # as `kubelab lab up` leaves it
    pids = list(lab.pids.values())
    again = load_lab(lab_name)
    assert again.curl("web-0", "db", 80) == ["default/db-3"]
    removed = clean(lab_name)
    assert sorted(removed) == sorted(lab.topology.namespaces) and ours(lab_name) == []
    time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() and b"kubelab-lab-server" in Path(f"/proc/{pid}/cmdline")
                   .read_bytes() for pid in pids)


def test_doctor_says_what_is_modelled_only():
    names = {p.name: p for p in parts()}
    assert names["CNI bridge/host-local/loopback/portmap"].real
    if not Path("/proc/net/ip_vs").exists():
        ipvs = names["kube-proxy IPVS mode"]
        assert not ipvs.real and "ip_vs" in ipvs.why
    assert all(not p.real and p.why for p in modelled_only())
    assert main(["lab", "modelled"]) == 0


def test_kill_9_then_clean_restores_a_clean_state():
    """A process killed with SIGKILL cannot clean up: its namespaces stay until `lab clean` removes them."""
    lab_name = name("9")
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from kubelab.lab import Lab
        from tests.lab.small import small_cluster
        with Lab(small_cluster(), {lab_name!r}):
            print("up", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert proc.stdout.readline().strip() == "up"
        proc.kill()
        proc.wait(timeout=20)
        assert len(ours(lab_name)) == 7  # left behind, as after a real kill -9
    finally:
        removed = clean(lab_name)
    assert len(removed) == 7 and ours(lab_name) == []
