"""kubelab.grading.cni: right answers pass; wrong ones say what the model does instead, and why."""

from __future__ import annotations


import pytest

import kubelab
from kubelab.cni.plugins import matrix
from kubelab.grading import (WrongAnswer, check_calico_override, check_cni_config, check_host_local,
                             check_network_policy, check_plugin_choice, chosen_plugins, host_local_addresses)
from kubelab.grading import cni as gcni

SHOP = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {nodeName: kind-worker, containers: [{name: app, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {nodeName: kind-worker, containers: [{name: app, image: example/api}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {nodeName: kind-worker2, containers: [{name: db, image: postgres}]}
"""
OTHER = """
---
apiVersion: v1
kind: Pod
metadata: {name: intruder, namespace: other, labels: {app: api}}
spec: {nodeName: kind-worker2, containers: [{name: app, image: busybox}]}
"""
DENY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
"""
API_TO_DB = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-to-db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: 5432}]}]
"""
BOTH_TO_DB = API_TO_DB.replace("api-to-db", "both-to-db").replace(
    "[{podSelector: {matchLabels: {app: api}}}]", "[{podSelector: {matchLabels: {app: api}}}, "
    "{podSelector: {matchLabels: {app: web}}}]")
CALICO = """
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: no-web-to-db, namespace: shop}
spec:
  order: 100
  selector: app == 'db'
  types: [Ingress]
  ingress: [{action: Deny, source: {selector: app == 'web'}}]
"""
ALLOWED = [("shop/api", "shop/db", 5432)]
FIXED = gcni.CHAPTER_CONFIG.replace("'", '"')


def test_config_fixed_passes_and_the_chapters_fails():
    check_cni_config(FIXED)
    check_cni_config(FIXED.replace('"0.3.0"', '"1.0.0"'))
    with pytest.raises(WrongAnswer, match="JSON needs double quotes"):
        check_cni_config(gcni.CHAPTER_CONFIG)
    with pytest.raises(WrongAnswer, match="No answer yet"):
        check_cni_config("")


@pytest.mark.parametrize("mutate, phrase", [
    (lambda t: t.replace('"portMappings": true', '"portMappings": "true"'), "JSON boolean true"),
    (lambda t: t.replace('"policy": {\n        "type": "k8s"\n      },\n', ""), "policy is missing"),
    (lambda t: t.replace('"usePodCidr"', '"10.244.0.0/16"'), "the chapter has \"usePodCidr\""),
])
def test_config_strict_names_the_difference(mutate, phrase):
    changed = mutate(FIXED)
    assert changed != FIXED
    check_cni_config(changed, strict=False)
    with pytest.raises(WrongAnswer, match="It loads, but") as exc:
        check_cni_config(changed)
    assert phrase in str(exc.value)


def test_config_other_network():
    other = FIXED.replace('"k8s-pod-network"', '"mine"')
    with pytest.raises(WrongAnswer, match="another network"):
        check_cni_config(other, strict=False)


def test_host_local_reference_is_the_plugin():
    assert host_local_addresses("10.1.2.0/29", ["ADD a", "ADD b", "DEL a", "ADD c"]) == \
        ["10.1.2.2", "10.1.2.3", "10.1.2.4"]
    assert host_local_addresses("10.1.2.0/30", ["ADD a", "ADD b"]) == ["10.1.2.2", "error"]
    with pytest.raises(ValueError):
        host_local_addresses("10.1.2.0/29", ["START a"])


@pytest.mark.parametrize("subnet, ops, answer, phrase", [
    ("10.1.2.0/29", ["ADD a"], ["10.1.2.1"], "is the gateway"),
    ("10.1.2.0/29", ["ADD a", "ADD b", "DEL a", "ADD c"], ["10.1.2.2", "10.1.2.3", "10.1.2.2"],
     "does not hand out a freed address at once"),
    ("10.1.2.0/30", ["ADD a", "ADD b"], ["10.1.2.2", "10.1.2.3"], "the ADD fails"),
    ("10.1.2.0/29", ["ADD a", "ADD b", "ADD c", "ADD d", "ADD e", "DEL b", "ADD f"],
     ["10.1.2.2", "10.1.2.3", "10.1.2.4", "10.1.2.5", "10.1.2.6", "error"], "wraps around"),
    ("10.1.2.0/29", ["ADD a", "ADD b"], ["10.1.2.2"], "so 2 answers"),
])
def test_host_local_feedback(subnet, ops, answer, phrase):
    with pytest.raises(WrongAnswer) as exc:
        check_host_local(answer, subnet, ops)
    assert phrase in str(exc.value)


def test_host_local_accepts_prefixes_and_functions():
    check_host_local(["10.1.2.2/29", "10.1.2.3/29"], "10.1.2.0/29", ["ADD a", "ADD b"])
    check_host_local(host_local_addresses, "10.1.2.0/29", ["ADD a", "DEL a", "ADD b"])


def test_plugin_choice():
    req = {"policy_egress": True, "encryption": True, "as_of": "2019-04"}
    want = chosen_plugins(req)
    assert want == {c.plugin for c in matrix.choose(req) if c.kept}
    check_plugin_choice(sorted(want), req)
    check_plugin_choice({p.upper() for p in want}, req)
    with pytest.raises(WrongAnswer, match="calico does not qualify: no encryption"):
        check_plugin_choice(want | {"calico"}, req)
    with pytest.raises(WrongAnswer, match="you left out"):
        check_plugin_choice(set(list(want)[:1]), req)
    with pytest.raises(WrongAnswer, match="Not in the feature matrix: contiv"):
        check_plugin_choice({"contiv"}, req)
    with pytest.raises(WrongAnswer, match="Expected a set"):
        check_plugin_choice(None, req)


def _displayed_matrix(as_of=None):
    """plugin -> column -> cell text, parsed from the HTML table the chapter notebook shows."""
    import html
    import re

    from kubelab import viz

    page = viz.feature_matrix_html(as_of)
    head = [html.unescape(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", page)]
    rows = [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
            for tr in re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1])]
    return {r[0]: dict(zip(head[1:], r[1:])) for r in rows}


@pytest.mark.parametrize("team", ["A", "B", "C"])
def test_a04_q3_answers_follow_from_the_displayed_matrix(team):
    """Each team's graded set is what a learner reads off viz.feature_matrix_html (a04 question 3)."""
    teams = {"A": {"policy_egress": True, "encryption": True, "as_of": "2019-04"},
             "B": {"policy_ingress": True, "no_overlay": True}, "C": {"encryption": "WireGuard"}}
    req = teams[team]
    shown = _displayed_matrix(req.get("as_of"))

    def yes(cell):
        return not cell.startswith(("no ", "none ", "no fact"))

    read = set()
    for plugin, cells in shown.items():
        ok = True
        for key in ("policy_ingress", "policy_egress"):
            if req.get(key):
                ok &= yes(cells[key])
        if req.get("encryption") is True:
            ok &= yes(cells["encryption"])
        elif req.get("encryption"):
            ok &= yes(cells["encryption"]) and req["encryption"].lower() in cells["encryption"].lower()
        if req.get("no_overlay"):
            ok &= "native routing" in cells["overlay"]
        if ok:
            read.add(plugin)
    assert read == chosen_plugins(req)
    check_plugin_choice(read, req)


def test_team_b_old_answer_loses_points_with_the_matrix_words():
    req = {"policy_ingress": True, "no_overlay": True}
    with pytest.raises(WrongAnswer) as e:
        check_plugin_choice({"calico", "kube-router", "kindnet"}, req)
    # One mistake explained at a time (the first left out, by name order), the rest counted.
    assert "you left out canal" in str(e.value) and "1 more thing to fix" in str(e.value)
    assert "cilium" not in str(e.value)
    with pytest.raises(WrongAnswer) as e:
        check_plugin_choice({"calico", "canal", "kube-router", "kindnet"}, req)
    assert "you left out cilium" in str(e.value) and "native routing (routingMode: native)" in str(e.value)
    with pytest.raises(WrongAnswer, match="weave does not qualify: needs an overlay: VXLAN fast datapath"):
        check_plugin_choice(chosen_plugins(req) | {"weave"}, req)


@pytest.fixture(scope="module")
def shop():
    return kubelab.Cluster(SHOP)


@pytest.fixture(scope="module")
def wider():
    return kubelab.Cluster(SHOP + OTHER)


def test_network_policy_graded_by_reachability(shop, wider):
    good = DENY + "---" + API_TO_DB
    check_network_policy(good, shop, ALLOWED, "shop", [5432, 80])
    check_network_policy(good, wider, ALLOWED, "shop", [5432, 80])
    # the same matrix from another text: one policy per pod
    other_text = good.replace("podSelector: {}", "podSelector: {matchExpressions: [{key: app, operator: Exists}]}")
    check_network_policy(other_text, wider, ALLOWED, "shop", [5432])


def test_network_policy_feedback(shop, wider):
    with pytest.raises(WrongAnswer, match="no policy of yours selects shop/web") as exc:
        check_network_policy(API_TO_DB, shop, ALLOWED, "shop", [5432])
    assert "default-deny" in str(exc.value)
    open_ns = (DENY + "---" + API_TO_DB).replace("[{podSelector: {matchLabels: {app: api}}}]",
                                               "[{namespaceSelector: {}, podSelector: {matchLabels: {app: api}}}]")
    check_network_policy(open_ns, shop, ALLOWED, "shop", [5432])
    with pytest.raises(WrongAnswer, match="other/intruder -> shop/db") as exc:
        check_network_policy(open_ns, wider, ALLOWED, "shop", [5432])
    assert "namespaceSelector" in str(exc.value)
    any_port = (DENY + "---" + API_TO_DB).replace(", ports: [{port: 5432}]", "")
    with pytest.raises(WrongAnswer, match="on port 22 should be denied") as exc:
        check_network_policy(any_port, shop, ALLOWED, "shop", [5432, 22])
    assert "ports" in str(exc.value)
    with pytest.raises(WrongAnswer, match="should be allowed, your policies deny it"):
        check_network_policy(DENY, shop, ALLOWED, "shop", [5432])
    with pytest.raises(WrongAnswer, match="Only policies"):
        check_network_policy(DENY + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n", shop, ALLOWED,
                             "shop", [5432])
    with pytest.raises(WrongAnswer, match="does not load"):
        check_network_policy("kind: [", shop, ALLOWED, "shop", [5432])


def test_calico_override():
    c = kubelab.Cluster(SHOP + "---" + DENY + "---" + BOTH_TO_DB)
    unchanged = [("shop/api", "shop/db"), ("shop/db", "shop/web")]
    check_calico_override(CALICO, c, "shop/web", "shop/db", 5432, unchanged=unchanged)
    with pytest.raises(WrongAnswer, match="below 1000"):
        check_calico_override(CALICO.replace("order: 100", "order: 2000"), c, "shop/web", "shop/db", 5432)
    with pytest.raises(WrongAnswer, match="below 1000"):
        check_calico_override(CALICO.replace("  order: 100\n", ""), c, "shop/web", "shop/db", 5432)
    broad = CALICO.replace(", source: {selector: app == 'web'}", "")
    check_calico_override(broad, c, "shop/web", "shop/db", 5432)
    with pytest.raises(WrongAnswer, match="also changes shop/api -> shop/db"):
        check_calico_override(broad, c, "shop/web", "shop/db", 5432, unchanged=unchanged)
    with pytest.raises(WrongAnswer, match="allow-list"):
        check_calico_override(DENY, c, "shop/web", "shop/db", 5432)
