"""Calico policy evaluation: order, Allow/Deny/Log/Pass, tiers, knp.default.* at 1000, entity rules.

Sources: Calico v3 API reference (NetworkPolicy, GlobalNetworkPolicy, Rule, EntityRule),
the Tier reference ("How policy is evaluated"), libcalico-go ``lib/backend/k8s/conversion``.
"""

from __future__ import annotations

import pytest

from kubelab import Cluster
from kubelab.errors import ValidationError
from kubelab.policy import evaluate, reachability

from .model import cluster, netpol


def cnp(name: str, ns: str, spec: dict) -> dict:
    return {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def gnp(name: str, spec: dict) -> dict:
    return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": name},
            "spec": spec}


FROM_Y = {"namespaceSelector": "kubernetes.io/metadata.name == 'y'"}


def test_calico_deny_below_1000_overrides_a_kubernetes_allow():
    allow_all = netpol("allow-all", "x", ingress=[{}])
    deny_y = cnp("deny-y", "x", {"order": 100, "selector": "pod == 'a'", "ingress": [{"action": "Deny", "source": FROM_Y}]})
    c = cluster(allow_all, deny_y)
    v = evaluate(c, "y/a", "x/a", 80)
    assert not v.allowed
    assert v.decided_by[-1].policy == "NetworkPolicy.projectcalico.org x/deny-y" and v.decided_by[-1].rule == 0
    ok = evaluate(c, "z/a", "x/a", 80)  # deny-y applies but does not match: on to knp.default.allow-all
    assert ok.allowed and ok.decided_by[-1].policy == "NetworkPolicy.projectcalico.org x/knp.default.allow-all"
    late = cnp("deny-y", "x", {"order": 2000, "selector": "pod == 'a'", "ingress": [{"action": "Deny", "source": FROM_Y}]})
    assert evaluate(cluster(allow_all, late), "y/a", "x/a", 80).allowed  # after 1000: the Kubernetes allow wins


def test_cilium_ignores_calico_policies_and_says_so():
    c = cluster(netpol("allow-all", "x", ingress=[{}]),
                cnp("deny-y", "x", {"order": 100, "ingress": [{"action": "Deny", "source": FROM_Y}]}), cni="cilium")
    v = evaluate(c, "y/a", "x/a", 80)
    assert v.allowed and v.engine == "kubernetes" and "1 Calico policy ignored" in v.note


def test_calico_allow_in_the_same_tier_beats_a_kubernetes_default_deny():
    """knp.default.deny has no rule to match: the tier goes on to order 1100."""
    c = cluster(netpol("deny", "x", ingress=[]),
                cnp("allow-y", "x", {"order": 1100, "ingress": [{"action": "Allow", "source": FROM_Y}]}))
    assert evaluate(c, "y/a", "x/a", 80).allowed
    v = evaluate(c, "z/a", "x/a", 80)
    assert not v.allowed and "end of tier default" in v.decided_by[-1].why


def test_pass_skips_the_rest_of_the_tier_to_the_profile():
    c = cluster(netpol("deny", "x", ingress=[]),
                cnp("pass-y", "x", {"order": 10, "ingress": [{"action": "Pass", "source": FROM_Y}]}))
    v = evaluate(c, "y/a", "x/a", 80)
    assert v.allowed and [d.policy for d in v.decided_by] == ["NetworkPolicy.projectcalico.org x/pass-y",
                                                              "Profile kns.x"]
    assert not evaluate(c, "z/a", "x/a", 80).allowed


def test_pass_from_an_earlier_tier_reaches_the_default_tier():
    security = gnp("security", {"tier": "security", "order": 1, "selector": "all()",
                                "ingress": [{"action": "Pass", "source": FROM_Y}, {"action": "Deny"}]})
    c = cluster(security, netpol("only-b", "x", ingress=[{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"pod": "b"}}}]}]))
    assert evaluate(c, "y/b", "x/a", 80).allowed  # passed, then knp allows pod b
    assert not evaluate(c, "y/a", "x/a", 80).allowed  # passed, then end of tier default
    assert not evaluate(c, "z/b", "x/a", 80).allowed  # denied in tier security before knp
    assert not evaluate(c, "z/b", "y/a", 80).allowed  # the GNP applies in every namespace


def test_log_is_not_terminal():
    c = cluster(cnp("log-then-deny", "x", {"order": 10, "ingress": [{"action": "Log"}, {"action": "Deny", "source": FROM_Y}, {"action": "Allow"}]}))
    v = evaluate(c, "y/a", "x/a", 80)
    assert not v.allowed and [d.why.split(" ")[0] for d in v.decided_by] == ["Log", "Deny"]
    assert evaluate(c, "z/a", "x/a", 80).allowed


def test_order_omitted_is_last_and_ties_go_by_name():
    deny = {"ingress": [{"action": "Deny"}]}
    allow = {"ingress": [{"action": "Allow"}]}
    assert not evaluate(cluster(cnp("a-deny", "x", deny), cnp("b-allow", "x", allow)), "y/a", "x/a", 80).allowed
    assert evaluate(cluster(cnp("b-deny", "x", deny), cnp("a-allow", "x", allow)), "y/a", "x/a", 80).allowed
    assert evaluate(cluster(cnp("a-deny", "x", deny), cnp("z-allow", "x", {**allow, "order": 5})), "y/a", "x/a", 80).allowed
    assert not evaluate(cluster(cnp("a-deny", "x", {**deny, "order": 5}), cnp("z-allow", "x", {**allow, "order": 5})),
                        "y/a", "x/a", 80).allowed


def test_calico_types_default_egress_only_does_not_isolate_ingress():
    """Calico: egress rules only -> types [Egress]; Kubernetes would add Ingress (FIDELITY surprise 8)."""
    c = cluster(cnp("no-z", "x", {"selector": "pod == 'a'", "egress": [{"action": "Deny", "destination": {"namespaceSelector": "kubernetes.io/metadata.name == 'z'"}}, {"action": "Allow"}]}))
    assert c.get("networkpolicies.projectcalico.org", "no-z", "x").spec.types == ["Egress"]
    assert evaluate(c, "y/a", "x/a", 80).allowed
    assert not evaluate(c, "x/a", "z/a", 80).allowed and evaluate(c, "x/a", "y/a", 80).allowed


def test_namespaced_selector_stays_in_its_namespace_global_does_not():
    rule = {"action": "Allow", "source": {"selector": "pod == 'b'"}}
    c = cluster(cnp("b-only", "x", {"selector": "pod == 'a'", "ingress": [rule]}))
    assert evaluate(c, "x/b", "x/a", 80).allowed and not evaluate(c, "y/b", "x/a", 80).allowed
    c = cluster(gnp("b-only", {"selector": "pod == 'a'", "namespaceSelector": "kubernetes.io/metadata.name == 'x'",
                               "ingress": [rule]}))
    assert evaluate(c, "y/b", "x/a", 80).allowed and not evaluate(c, "y/c", "x/a", 80).allowed
    assert evaluate(c, "y/c", "y/a", 80).allowed  # the GNP's namespaceSelector keeps it off namespace y


def test_nets_not_nets_port_ranges_and_named_ports():
    ip_yb = cluster().pod("b", "y").status.pod_ip
    c = cluster(cnp("egress", "x", {"selector": "pod == 'a'", "types": ["Egress"], "egress": [
        {"action": "Allow", "protocol": "TCP", "destination": {"nets": ["10.244.0.0/16"], "notNets": [ip_yb + "/32"],
                                                               "ports": ["80:81"]}},
        {"action": "Allow", "protocol": "UDP", "destination": {"ports": ["serve-81-udp"]}}]}))
    assert evaluate(c, "x/a", "y/a", 81).allowed
    assert not evaluate(c, "x/a", "y/a", 82).allowed
    assert not evaluate(c, "x/a", "y/b", 80).allowed  # notNets
    assert not evaluate(c, "x/a", "1.1.1.1", 80).allowed  # outside nets
    assert evaluate(c, "x/a", "y/b", 81, "UDP").allowed  # named port on the destination
    assert not evaluate(c, "x/a", "y/b", 80, "UDP").allowed


def test_calico_matrix_uses_felix_order():
    c = cluster(netpol("allow-all", "x", ingress=[{}]),
                cnp("deny-y", "x", {"order": 100, "ingress": [{"action": "Deny", "source": FROM_Y}]}),
                pods=["x/a", "y/a", "z/a"])
    assert reachability(c).blocked() == [("y/a", "x/a")]


@pytest.mark.parametrize("selector,field,column", [
    ("app == db", "spec.selector", 8),
    ("app in {'a' 'b'}", "spec.selector", 13),
    ("has(app", "spec.selector", 8),
])
def test_selector_syntax_errors_name_the_field_and_the_column(selector, field, column):
    with pytest.raises(ValidationError) as exc:
        Cluster([cnp("bad", "x", {"selector": selector})])
    assert f"{field}: Invalid value: \"{selector}\": column {column}:" in str(exc.value)


def test_rule_selector_errors_are_reported_with_their_path():
    with pytest.raises(ValidationError) as exc:
        Cluster([gnp("bad", {"ingress": [{"action": "Allow", "source": {"namespaceSelector": "name = 'x'"}}]})])
    assert "spec.ingress[0].source.namespaceSelector" in str(exc.value) and "column 6" in str(exc.value)
