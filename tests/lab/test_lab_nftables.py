"""The lab in nftables mode: kube-proxy's table really DNATs the lab's traffic; the CLI follows --proxy-mode."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kubelab import Cluster
from kubelab.cli.main import main
from kubelab.lab import Lab, list_lab_namespaces, plan
from kubelab.lab.doctor import parts
from tests.lab.small import small_cluster

pytestmark = [pytest.mark.requires("root", "cni", "iptables", "nft"), pytest.mark.usefixtures("host_unchanged")]


def name(tag: str) -> str:
    return f"{tag}{os.getpid() % 100000}"


def nft_cluster() -> Cluster:
    c = small_cluster()
    c.apply({"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration", "mode": "nftables",
             "clusterCIDR": c.settings.pod_cidr})
    return c


def test_nftables_lab_dnats_with_nft_and_has_no_iptables_rules():
    with Lab(nft_cluster(), name("n")) as lab:
        assert lab.mode == "nftables" and lab.status()["mode"] == "nftables"
        assert set(lab.curl("web-0", "web", 80, count=30)) == {"default/web-0", "default/web-1", "default/web-2"}
        assert lab.curl("kind-worker", "db", 80) == ["default/db-3"]  # from the node itself: nat-output
        for node in ("kind-worker", "kind-worker2"):
            tables = lab.node_exec(node, ["nft", "list", "tables"]).stdout.split("\n")
            assert "table ip kube-proxy" in tables
            assert "KUBE-" not in lab.node_exec(node, ["iptables-save"]).stdout
        # take the table away: the ClusterIP is no longer translated, and the connection goes nowhere
        lab.node_exec("kind-worker", ["nft", "delete", "table", "ip", "kube-proxy"])
        assert lab.curl("web-0", "web", 80, timeout=0.5) == ["timeout"]
    assert plan(nft_cluster(), "p").skipped == []


def test_cli_lab_up_with_proxy_mode_nftables(capsys):
    lab_name = name("c")
    try:
        assert main(["--proxy-mode", "nftables", "lab", "up", "--name", lab_name, "-f",
                     str(Path(__file__).parent / "scenarios.yaml"), "-o", "json"]) == 0
        up = json.loads(capsys.readouterr().out)
        assert up["mode"] == "nftables"
        assert main(["lab", "curl", "--name", lab_name, "--from", "client", "web:80", "--count", "5"]) == 0
        assert "default/web-" in capsys.readouterr().out
        assert main(["lab", "status", "--name", lab_name]) == 0
        assert "kube-proxy: nftables mode" in capsys.readouterr().out
    finally:
        main(["lab", "down", "--name", lab_name])
    assert not [ns for ns in list_lab_namespaces() if ns.startswith(f"kl-{lab_name}-")]


def test_doctor_says_the_nftables_mode_is_real():
    part = {p.name: p for p in parts()}["kube-proxy nftables mode"]
    assert part.real and "nft" in part.why
