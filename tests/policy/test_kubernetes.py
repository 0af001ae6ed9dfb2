"""Kubernetes NetworkPolicy semantics beyond the e2e tables (website ``network-policies.md``)."""

from __future__ import annotations

import pytest

from kubelab.policy import evaluate, reachability

from .model import cluster, netpol, ns_sel

A = {"matchLabels": {"pod": "a"}}


@pytest.fixture(params=["calico", "cilium"])
def cni(request):
    return request.param


def test_and_vs_or_peers(cni):
    """One peer with both selectors = AND; two list items = OR (the website's "be careful" example)."""
    and_ = netpol("and", "x", A, ingress=[{"from": [{"namespaceSelector": ns_sel("y"), "podSelector": {"matchLabels": {"pod": "b"}}}]}])
    or_ = netpol("or", "x", A, ingress=[{"from": [{"namespaceSelector": ns_sel("y")}, {"podSelector": {"matchLabels": {"pod": "b"}}}]}])
    c = cluster(and_, cni=cni)
    assert [evaluate(c, s, "x/a", 80).allowed for s in ("y/b", "y/a", "x/b")] == [True, False, False]
    c = cluster(or_, cni=cni)
    assert [evaluate(c, s, "x/a", 80).allowed for s in ("y/b", "y/a", "x/b", "z/b", "x/c")] == [True, True, True, False, False]


def test_egress_only_gotcha_isolates_ingress_too():
    """Egress rules, no policyTypes: Kubernetes defaults to [Ingress, Egress] (FIDELITY surprise 8)."""
    pol = netpol("egress-only", "x", A, egress=[{"to": [{"namespaceSelector": ns_sel("y")}]}])
    c = cluster(pol)
    assert c.get("networkpolicies", "egress-only", "x").spec.policy_types == ["Ingress", "Egress"]
    assert evaluate(c, "x/a", "y/a", 80).allowed
    assert not evaluate(c, "x/a", "z/a", 80).allowed
    v = evaluate(c, "y/a", "x/a", 80)
    assert not v.allowed and v.decided_by[0].direction == "ingress"  # the gotcha: nobody may connect to x/a now
    explicit = netpol("egress-only", "x", A, egress=[{"to": [{"namespaceSelector": ns_sel("y")}]}], types=["Egress"])
    assert evaluate(cluster(explicit), "y/a", "x/a", 80).allowed


def test_ipblock_except_is_a_carve_out_only(cni):
    c0 = cluster()
    ip_b = c0.pod("b", "x").status.pod_ip
    pol = netpol("cidr", "x", A, types=["Egress"],
                 egress=[{"to": [{"ipBlock": {"cidr": "10.244.0.0/16", "except": [ip_b + "/32"]}}]}])
    c = cluster(pol, cni=cni)
    assert not evaluate(c, "x/a", "x/b", 80).allowed
    assert evaluate(c, "x/a", "x/c", 80).allowed
    assert not evaluate(c, "x/a", "8.8.8.8", 53, "UDP").allowed  # outside the cidr
    other = netpol("pods-b", "x", A, types=["Egress"], egress=[{"to": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}])
    assert evaluate(cluster(pol, other, cni=cni), "x/a", "x/b", 80).allowed  # another policy still allows it


def test_namespace_selector_all_means_pods_not_external_ips(cni):
    pol = netpol("all-pods", "x", A, types=["Egress"], egress=[{"to": [{"namespaceSelector": {}}]}])
    c = cluster(pol, cni=cni)
    assert evaluate(c, "x/a", "z/c", 80).allowed
    assert not evaluate(c, "x/a", "1.1.1.1", 443).allowed
    ingress = netpol("all-pods-in", "x", A, ingress=[{"from": [{"namespaceSelector": {}}]}])
    c = cluster(ingress, cni=cni)
    assert evaluate(c, "z/c", "x/a", 80).allowed and not evaluate(c, "203.0.113.9", "x/a", 80).allowed


def test_named_port_resolves_on_the_destination_pod(cni):
    web = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "y", "labels": {"pod": "web"}},
           "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"name": "http", "containerPort": 8080}]}]}}
    pol = netpol("named", "x", A, types=["Egress"], egress=[{"ports": [{"port": "http"}]}])
    c = cluster(pol, cni=cni, extra=[web])
    assert evaluate(c, "x/a", "y/web", 8080).allowed
    assert not evaluate(c, "x/a", "y/web", 80).allowed
    assert not evaluate(c, "x/a", "y/a", 8080).allowed  # y/a has no port named http
    assert not evaluate(c, "x/a", "y/web", 8080, "UDP").allowed  # named port is TCP


def test_end_port_is_inclusive(cni):
    pol = netpol("range", "x", A, ingress=[{"ports": [{"port": 32000, "endPort": 32768}]}])
    c = cluster(pol, cni=cni)
    assert [evaluate(c, "y/a", "x/a", p).allowed for p in (31999, 32000, 32768, 32769)] == [False, True, True, False]


def test_default_deny_ingress_and_allow_all_precedence(cni):
    deny = netpol("default-deny", "x", ingress=[])
    c = cluster(deny, cni=cni)
    assert not evaluate(c, "y/a", "x/b", 80).allowed
    assert evaluate(c, "x/b", "y/a", 80).allowed  # egress not isolated
    c = cluster(deny, netpol("allow-all", "x", ingress=[{}]), cni=cni)
    assert evaluate(c, "y/a", "x/b", 80).allowed  # policies only add: allow-all wins whatever the order


def test_node_to_local_pod_is_always_allowed_but_remote_node_is_not(cni):
    c = cluster(netpol("default-deny", "x", ingress=[]), cni=cni)
    a = c.pod("a", "x")
    local = c.node(a.spec.node_name)
    other = next(n for n in c.nodes() if n.name != local.name)
    v = evaluate(c, local.name, "x/a", 80)
    assert v.allowed and "kubelet" in v.note
    assert not evaluate(c, other.internal_ip, "x/a", 80).allowed


def test_pod_to_itself_is_always_allowed(cni):
    c = cluster(netpol("deny-all", "x", ingress=[], egress=[], types=["Ingress", "Egress"]), cni=cni)
    assert evaluate(c, "x/a", "x/a", 80).allowed
    assert not evaluate(c, "x/a", "x/b", 80).allowed


def test_both_ends_must_allow_and_the_decisions_name_the_rules(cni):
    eg = netpol("eg", "x", A, types=["Egress"], egress=[{"to": [{"namespaceSelector": ns_sel("y")}], "ports": [{"port": 80}]}])
    ing = netpol("in", "y", A, ingress=[{"from": [{"namespaceSelector": ns_sel("x")}]}])
    c = cluster(eg, ing, cni=cni)
    v = evaluate(c, "x/a", "y/a", 80)
    assert v.allowed and {(d.direction, d.rule) for d in v.decided_by} == {("egress", 0), ("ingress", 0)}
    assert not evaluate(c, "z/a", "y/a", 80).allowed
    assert not evaluate(c, "x/a", "y/a", 81).allowed


def test_matrix_prints_like_upstream():
    c = cluster(netpol("deny", "x", A, ingress=[]), pods=["x/a", "x/b", "y/a"])
    assert str(reachability(c)).splitlines() == ["-\tx/a\tx/b\ty/a", "x/a\t.\t.\t.", "x/b\tX\t.\t.", "y/a\tX\t.\t."]
