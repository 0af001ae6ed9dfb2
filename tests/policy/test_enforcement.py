"""Which CNI plugin enforces which policies (kubelab.policy.enforcement), as verdicts show it."""

from __future__ import annotations

import pytest

from kubelab.cluster.settings import CNI_PLUGINS
from kubelab.policy import evaluate, reachability, support

from .model import cluster, netpol

DENY_X = netpol("deny", "x", ingress=[])
CALICO_DENY = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "deny-y"},
               "spec": {"order": 10, "selector": "projectcalico.org/namespace == 'y'", "ingress": [{"action": "Deny"}]}}


def test_every_cluster_cni_has_an_entry():
    assert set(CNI_PLUGINS) <= set(__import__("kubelab.policy.enforcement", fromlist=["POLICY_SUPPORT"]).POLICY_SUPPORT)


@pytest.mark.parametrize("cni,k8s,calico", [
    ("calico", True, True), ("canal", True, True), ("cilium", True, False), ("weave", True, False),
    ("kube-router", True, False), ("flannel", False, False), ("bridge", False, False),
    ("kindnet", True, False)])  # kindnetd enforces NetworkPolicy since kind v0.24
def test_what_each_plugin_enforces(cni, k8s, calico):
    c = cluster(DENY_X, CALICO_DENY, cni=cni, pods=["x/a", "y/a", "z/a"])
    v = evaluate(c, "z/a", "x/a", 80)
    assert v.enforced is k8s and v.allowed is (not k8s) and v.policy_allowed is False
    assert evaluate(c, "z/a", "y/a", 80).allowed is (not calico)
    assert support(cni).kubernetes is k8s and support(cni).calico is calico


def test_flannel_matrix_is_all_dots_unless_asked_to_enforce():
    c = cluster(DENY_X, cni="flannel", pods=["x/a", "y/a"])
    m = reachability(c)
    assert m.blocked() == [] and not m.enforced and "Flannel" in m.note
    assert reachability(c, enforce=True).blocked() == [("y/a", "x/a")]


def test_kube_router_note_mentions_its_ingress_only_past():
    v = evaluate(cluster(DENY_X, cni="kube-router", pods=["x/a", "y/a"]), "y/a", "x/a", 80)
    assert not v.allowed and "ingress rules only" in v.note
