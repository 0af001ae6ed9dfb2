"""``kubelab doctor``: always exit 0; one line per probe of kubelab.capabilities; the IPVS verdict."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kubelab import capabilities


def test_doctor_json_reports_every_part(kubelab):
    r = kubelab("doctor", "-o", "json")
    assert r.code == 0
    checks = {c["name"]: c for c in json.loads(r.out)["checks"]}
    for name in ("python", "jupyterlab", "ipywidgets", "networkx", "nbgrader", "kubernetes", "yaml", "nbclient",
                 "widgets", "root", "netns", "iptables", "nft", "ipset", "cni plugins", "ipvs", "bwrap", "chromium",
                 "playwright", "kind context"):
        assert name in checks, name
        assert checks[name]["status"] in ("ok", "missing", "no")
    assert list(checks) == [c.name for c in capabilities.survey()]  # one line per probe, in order
    assert checks["python"]["status"] == "ok"
    assert checks["yaml"]["status"] == "ok"  # kubelab itself needs it
    assert not list(Path("/var/run/netns").glob("kl-doctor-*"))  # the probe namespace is gone


def test_doctor_reports_ipvs_as_this_kernel_has_it(kubelab):
    ipvs = [c for c in json.loads(kubelab("doctor", "-o", "json").out)["checks"] if c["name"] == "ipvs"][0]
    release = os.uname().release
    present = Path("/proc/net/ip_vs").exists() or any(Path("/lib/modules", release).glob(
        "kernel/net/netfilter/ipvs/ip_vs.ko*")) or capabilities.kernel_config("CONFIG_IP_VS") in ("y", "m")
    if present:
        assert ipvs["status"] == "ok"
    else:
        assert ipvs["status"] == "no"
        assert ipvs["detail"].startswith("not available: ")
        assert ipvs["detail"].endswith("the IPVS mode is modelled in memory only")
        if capabilities.kernel_config("CONFIG_IP_VS") == "n":
            assert ipvs["detail"] == "not available: CONFIG_IP_VS unset; the IPVS mode is modelled in memory only"


def test_ipvs_unset_in_the_kernel_config(kubelab, monkeypatch, tmp_path):
    monkeypatch.setattr(capabilities, "PROC_IP_VS", tmp_path / "ip_vs")
    monkeypatch.setattr(capabilities, "MODULES_DIR", tmp_path)
    monkeypatch.setattr(capabilities, "kernel_config", lambda option: "n")
    r = kubelab("doctor", "-o", "json")
    ipvs = [c for c in json.loads(r.out)["checks"] if c["name"] == "ipvs"][0]
    assert ipvs == {"name": "ipvs", "status": "no",
                    "detail": "not available: CONFIG_IP_VS unset; the IPVS mode is modelled in memory only"}
    text = kubelab("doctor").out
    assert "no       ipvs" in text
    monkeypatch.setattr(capabilities, "kernel_config", lambda option: "m")
    assert capabilities.probe("ipvs").status == "ok"
    from kubelab.lab.doctor import parts  # the lab reads the same probe
    assert {p.name: p for p in parts()}["kube-proxy IPVS mode"].real


def test_doctor_text_lines(kubelab, monkeypatch, tmp_path):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "config"))
    (tmp_path / "config").write_text("apiVersion: v1\nkind: Config\ncontexts: [{name: kind-kind, context: {}}]\n")
    r = kubelab("doctor")
    assert r.code == 0 and r.err == ""
    lines = r.out.splitlines()
    assert all(line.split()[0] in ("ok", "missing", "no") for line in lines)
    assert [line for line in lines if " kind context " in line][0].startswith("ok ")
    assert f"kind-kind in {tmp_path / 'config'}" in r.out


def test_a_missing_package_names_the_extra_that_installs_it(monkeypatch):
    from kubelab import capabilities
    monkeypatch.setattr(capabilities, "PYTHON_PACKAGES", {"no_such_nbgrader": "nbgrader", "no_such_core": "networkx"})
    monkeypatch.setattr(capabilities.importlib.util, "find_spec", lambda name: None)
    checks = {c.name: c for c in capabilities.python_packages()}
    assert checks["no_such_nbgrader"].detail == "not importable (pip install 'kubelab[grading]' installs nbgrader)"
    assert checks["no_such_core"].detail == "not importable (pip install -e . installs networkx)"
