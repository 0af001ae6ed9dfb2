"""kubelab.proxy.chains: one Service's path through kube-proxy's chains, and the two rule syntaxes."""

from __future__ import annotations

import doctest

import pytest

import kubelab
from kubelab import proxy
from kubelab.examples import manifest
from kubelab.proxy import chains
from kubelab.proxy.chains import side_by_side, walk, why_they_differ

NODEPORT = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
"""


@pytest.fixture(scope="module")
def cluster_ip():
    return proxy.proxier_for(kubelab.Cluster(manifest("web-service", "web-pods")), "iptables", node="kind-worker")


@pytest.fixture(scope="module")
def node_port():
    return proxy.proxier_for(kubelab.Cluster(manifest("web-pods") + "\n---\n" + NODEPORT), "iptables",
                             node="kind-worker")


def _chains(rules):
    return list(dict.fromkeys(r.chain for r in rules))


def test_cluster_ip_path_is_the_services_rules_and_nothing_else(cluster_ip):
    rules = walk(cluster_ip, "PREROUTING", "default/web")
    nat = cluster_ip.full_tables()["nat"]
    assert all(r in nat.chain_rules(r.chain) for r in rules)
    assert not any("kube-dns" in (r.comment or "") or "kubernetes:https" in (r.comment or "") for r in rules)
    svc = next(s for s in cluster_ip.services if s.name.string == "default/web:http")
    dnat = sorted(r.target_option("--to-destination") for r in rules if r.target == "DNAT")
    assert dnat == sorted(ep.string for ep in svc.endpoints)
    assert "KUBE-NODEPORTS" not in _chains(rules)  # a ClusterIP Service has no node port rule
    # every chain the path jumps to is listed (once: KUBE-MARK-MASQ under its first jump)
    listed = _chains(rules)
    assert len(listed) == len(set(listed))
    assert all(r.target in listed for r in rules if r.target and r.target.startswith("KUBE-"))


def test_node_port_path_goes_through_kube_nodeports_and_kube_ext(node_port):
    rules = walk(node_port, "PREROUTING", "default/web")
    listed = [c.rsplit("-", 1)[0] if c.startswith(("KUBE-SVC-", "KUBE-SEP-", "KUBE-EXT-")) else c for c in _chains(rules)]
    assert listed[:4] == ["PREROUTING", "KUBE-SERVICES", "KUBE-SVC", "KUBE-MARK-MASQ"]
    assert listed.index("KUBE-NODEPORTS") < listed.index("KUBE-EXT")
    # KUBE-SERVICES' last rule sends local destinations to KUBE-NODEPORTS
    services = [r for r in rules if r.chain == "KUBE-SERVICES"]
    assert services[-1].target == "KUBE-NODEPORTS"
    assert services[-1] is node_port.full_tables()["nat"].chain_rules("KUBE-SERVICES")[-1]
    port = next(s for s in node_port.services if s.name.string == "default/web:http").node_port
    nodeports = [r for r in rules if r.chain == "KUBE-NODEPORTS"]
    assert [r.match("tcp").get("--dport") for r in nodeports] == [str(port)]
    ext = [r for r in rules if r.chain.startswith("KUBE-EXT-")]
    # externalTrafficPolicy Cluster: mark everything for masquerade, then the Service's chain
    assert [r.target for r in ext] == ["KUBE-MARK-MASQ", next(c for c in _chains(rules) if c.startswith("KUBE-SVC-"))]


def test_postrouting_masquerades_marked_packets_once(cluster_ip):
    rules = walk(cluster_ip, "POSTROUTING")
    assert [r.target for r in rules] == ["KUBE-POSTROUTING", "RETURN", "MARK", "MASQUERADE"]
    assert rules[1].match("mark").negated("--mark")
    assert rules[2].target_option("--xor-mark") == cluster_ip.mark
    assert ("--random-fully", None) in rules[3].target_options


def test_without_a_service_the_walk_keeps_every_service(cluster_ip):
    comments = " ".join(r.comment or "" for r in walk(cluster_ip, "PREROUTING"))
    assert "kube-system/kube-dns:dns" in comments and "default/web:http" in comments


def test_why_they_differ_is_empty_exactly_when_the_lines_are_equal(node_port):
    seen = set()
    for table in node_port.full_tables().values():
        for r in table.rules:
            reasons = why_they_differ(r)
            assert bool(reasons) == (r.restore() != r.save()), r.restore()
            seen.update(reasons)
    text = " ".join(seen)
    for part in ("--set-xmark X/X", "--set-xmark X/0x0", "/32", "31-bit", "header fields", "short hex"):
        assert part in text, part


def test_side_by_side_says_when_the_lines_are_the_same(cluster_ip):
    text = side_by_side(walk(cluster_ip, "POSTROUTING"), explain=False)
    lines = text.splitlines()
    assert lines[0].startswith("restore: -A POSTROUTING") and lines[1] == "save:    (the same)"
    assert "save:    -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0" in lines
    assert "(" not in "".join(line for line in lines if line.startswith("         "))


def test_doctests():
    result = doctest.testmod(chains, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
