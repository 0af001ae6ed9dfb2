"""``kubelab rules``/``trace``/``kind config`` with the nftables mode, and modes refused at argument parsing."""

from __future__ import annotations

import json

from kubelab import Cluster
from kubelab.proxy import proxier_for, registered_modes

from .conftest import WEB


def test_rules_nftables_defaults_to_the_nft_list_ruleset(kubelab, web):
    r = kubelab("rules", "-f", web, "--mode", "nftables")
    assert (r.code, r.err) == (0, "")
    assert r.out.startswith('table ip kube-proxy {\n\tcomment "rules for kube-proxy"\n')
    assert r.out.rstrip("\n") == proxier_for(Cluster(WEB), "nftables", node="kind-worker").render("ruleset").rstrip()


def test_rules_nftables_dump_and_transaction(kubelab, web):
    dump = kubelab("rules", "-f", web, "--mode", "nftables", "--format", "dump", "--node", "kind-worker2")
    assert dump.code == 0 and dump.out.startswith('add table ip kube-proxy { comment "rules for kube-proxy" ; }\n')
    assert "add rule ip kube-proxy mark-for-masquerade mark set mark or 0x00004000\n" in dump.out
    assert "add element ip kube-proxy nodeport-ips { 172.18.0.4 }\n" in dump.out  # kind-worker2's own IP
    tx = kubelab("rules", "-f", web, "--mode", "nftables", "--format", "transaction")
    assert tx.code == 0 and "flush chain ip kube-proxy services\n" in tx.out
    doc = json.loads(kubelab("rules", "-f", web, "--mode", "nftables", "-o", "json").out)
    assert (doc["mode"], doc["format"]) == ("nftables", "ruleset")
    assert doc["rule_count"] == proxier_for(Cluster(WEB), "nftables").rule_count > 0


def test_unknown_format_is_refused_naming_the_formats(kubelab, web):
    r = kubelab("rules", "-f", web, "--mode", "nftables", "--format", "restore")
    assert r.code == 2 and r.out == ""
    assert r.err.strip().splitlines()[-1] == ('error: --format: nftables mode has no "restore" rendering: '
                                              "use one of ruleset, dump, transaction")


def test_unregistered_mode_is_refused_at_argument_parsing(kubelab, web):
    listed = ", ".join(f"'{m}'" for m in registered_modes())
    for argv, flag in ((("rules", "-f", web, "--mode", "ebpf"), "--mode"),
                       (("trace", "-f", web, "--from", "kind-worker", "--to", "web:80", "--mode", "ebpf"), "--mode"),
                       (("--proxy-mode", "ebpf", "rules", "-f", web), "--proxy-mode")):
        r = kubelab(*argv)
        assert r.code == 2 and r.out == "", argv
        assert f"argument {flag}: invalid choice: 'ebpf' (choose from {listed})" in r.err, argv
        assert "Traceback" not in r.err


def test_trace_nftables_reports_the_lookups(kubelab, web):
    r = kubelab("trace", "-f", web, "--mode", "nftables", "--from", "kind-worker2", "--to", "web:80")
    assert r.code == 0, r.err
    assert "ip kube-proxy nat-output (hook output, priority -100): dnat to " in r.out
    assert "a verdict map is one hash lookup, not a walk of its elements" in r.out
    assert "cost: nft lookups 5" in r.out


def test_proxy_mode_nftables_everywhere(kubelab, web):
    r = kubelab("--proxy-mode", "nftables", "rules", "-f", web)
    assert r.code == 0 and r.out.startswith("table ip kube-proxy {")
    kind = kubelab("--proxy-mode", "nftables", "kind", "config", "-f", web)
    assert kind.code == 0 and "kubeProxyMode: nftables" in kind.out
    userspace = kubelab("--proxy-mode", "userspace", "kind", "config", "-f", web)
    assert userspace.code == 2 and "supported: iptables, ipvs, nftables" in userspace.err
