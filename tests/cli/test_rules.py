"""``kubelab rules``: the text of each registered proxy mode, the default node, formats, -o json, errors."""

from __future__ import annotations

import json

import pytest

from kubelab import Cluster
from kubelab.proxy.rendering import formats_of, proxy_modes, render_rules
from kubelab.proxy import proxier_for

from .conftest import WEB

MODES = list(proxy_modes())


def test_iptables_save_is_nat_then_filter_on_the_first_schedulable_node(kubelab, web):
    r = kubelab("rules", "-f", web, "--mode", "iptables")
    assert (r.code, r.err) == (0, "")
    assert r.out.startswith("*nat\n:PREROUTING ACCEPT [0:0]\n")
    assert r.out.index("*filter\n") > r.out.index("COMMIT\n")
    assert '-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080' in r.out
    assert r.out.rstrip("\n") == proxier_for(Cluster(WEB), "iptables", node="kind-worker").render("save").rstrip("\n")


def test_restore_format_and_node(kubelab, web):
    r = kubelab("rules", "-f", web, "--mode", "iptables", "--format", "restore", "--node", "kind-worker2")
    assert r.code == 0 and r.out.startswith("*filter\n")
    expected = proxier_for(Cluster(WEB), "iptables", node="kind-worker2").render("restore")
    assert r.out.rstrip("\n") == expected.rstrip("\n")


def test_json_document(kubelab, web):
    r = kubelab("rules", "-f", web, "--mode", "iptables", "-o", "json")
    doc = json.loads(r.out)
    assert set(doc) == {"mode", "node", "format", "text", "rule_count"}
    assert (doc["mode"], doc["node"], doc["format"]) == ("iptables", "kind-worker", "save")
    assert doc["rule_count"] == proxier_for(Cluster(WEB), "iptables").rule_count > 0
    assert doc["text"].startswith("*nat\n")


def test_mode_defaults_to_the_clusters(kubelab, web):
    assert kubelab("rules", "-f", web).out == kubelab("rules", "-f", web, "--mode", "iptables").out


@pytest.mark.parametrize("mode", MODES)
def test_every_registered_mode_renders(kubelab, web, mode):
    r = kubelab("rules", "-f", web, "--mode", mode, "-o", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["mode"] == mode and doc["text"].strip() and doc["rule_count"] > 0
    formats = formats_of(proxy_modes()[mode])
    if formats:
        assert doc["format"] == ("save" if "save" in formats else formats[0])
    for fmt in formats:
        assert kubelab("rules", "-f", web, "--mode", mode, "--format", fmt).code == 0


def test_help_lists_the_registered_modes(kubelab):
    r = kubelab("rules", "--help")
    assert r.code == 0
    assert "|".join(MODES) in r.out.replace("\n", "").replace(" ", "")
    assert "restore" in r.out


def test_unknown_node_is_one_error_line(kubelab, web):
    r = kubelab("rules", "-f", web, "--node", "x")
    assert (r.code, r.out) == (2, "")
    assert r.err_lines == ['error: node "x" not found (nodes: kind-control-plane, kind-worker, kind-worker2)']


def test_unknown_format_and_mode(kubelab, web):
    r = kubelab("rules", "-f", web, "--format", "yaml")
    assert r.code == 2 and r.err_lines == [
        'error: --format: iptables mode has no "yaml" rendering: use one of save, restore, save-nft']
    r = kubelab("rules", "-f", web, "--mode", "nope")
    assert r.code == 2 and "invalid choice" in r.err


def test_render_rules_closes_its_proxier():
    c = Cluster(WEB)
    render_rules(c, "iptables")
    assert not c._watchers
