"""kubelab.viz.cni: the IPAM explorer, the plugin chooser and the policy playground say what the model answered.

Callback timings are recorded by benchmarks/bench_widgets_cni.py, not asserted here.
"""

from __future__ import annotations


import pytest

import kubelab
from kubelab import policy, viz
from kubelab.cni.plugins import matrix
from kubelab.examples import manifest
from kubelab.viz import cni as vcni

# Notebook 08's shop (benchmarks/bench_widgets_cni.py too): web and api on kind-worker, db on kind-worker2.
SHOP = manifest("shop")
DENY_ALL = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
"""
SETS = {"none": "", "deny": DENY_ALL}


def test_lazy_exports():
    for name in ("ipam_explorer", "attachment_graph", "feature_matrix_html", "plugin_chooser", "policy_matrix_html",
                 "policy_playground"):
        assert getattr(viz, name) is getattr(vcni, name)


def test_ipam_explorer_runs_add_and_del_through_host_local():
    app = viz.ipam_explorer("10.244.1.0/29", attach=3)
    assert [a.address for a in app.attachments] == ["10.244.1.2/29", "10.244.1.3/29", "10.244.1.4/29"]
    viz.interact(app, **{"Pod to detach": "pod-2"}, Detach="click")
    html = viz.interact(app, Attach="click")
    assert app.attachments[-1].address == "10.244.1.5/29"  # no immediate reuse of .3
    assert "last_reserved_ip.0" in html and "10.244.1.0/29 dev cni0" in html
    assert "&quot;cniVersion&quot;: &quot;1.0.0&quot;" in html  # the Result JSON of the last ADD
    viz.interact(app, Attach="click")
    html = viz.interact(app, Attach="click")
    assert app.attachments[-1].address == "10.244.1.3/29"  # wrapped around to the freed address
    html = viz.interact(app, Attach="click")
    assert "no IP addresses available" in html and len(app.attachments) == 5
    assert len(app.timings) == 5


def test_ipam_explorer_detach_dropdown_is_filled():
    """At start and after every Attach the dropdown names a pod, so Detach detaches one (issue 11, item 6)."""
    app = viz.ipam_explorer("10.244.1.0/28", attach=2)
    dropdown = app.controls["Pod to detach"]
    assert dropdown.options == ("pod-1", "pod-2") and dropdown.value == "pod-1"
    viz.interact(app, **{"Pod to detach": "pod-2"})
    viz.interact(app, Attach="click")
    assert dropdown.options == ("pod-1", "pod-2", "pod-3") and dropdown.value == "pod-2"  # the choice is kept
    html = viz.interact(app, Detach="click")
    assert [a.pod for a in app.attachments] == ["pod-1", "pod-3"] and "DEL pod-2" in html
    assert dropdown.value == "pod-1"
    viz.interact(app, Detach="click")
    viz.interact(app, Detach="click")
    assert app.attachments == [] and dropdown.value is None
    assert "Nothing to detach." in viz.interact(app, Detach="click")
    fresh = viz.ipam_explorer("10.244.1.0/28")
    viz.interact(fresh, Attach="click")
    assert fresh.controls["Pod to detach"].value == "pod-1"


def test_ipam_explorer_ptp_writes_one_route_per_pod():
    app = viz.ipam_explorer("10.244.1.0/28")
    viz.interact(app, Plugin="ptp", Attach="click")
    html = viz.interact(app, Attach="click")
    assert "10.244.1.2/32 dev veth" in html and "10.244.1.3/32 dev veth" in html
    g = viz.attachment_graph(app.backend.node, app.attachments, plugin="ptp")
    assert {d["kind"] for _, _, d in g.edges(data=True)} == {"routed"}
    text = viz.describe_graph(g)
    assert "10.244.1.3/32" in text and "node route" in text


def test_attachment_graph_bridge_and_svg():
    app = viz.ipam_explorer("10.244.1.0/28", attach=2)
    g = viz.attachment_graph(app.backend.node, app.attachments)
    kinds = sorted(d["kind"] for _, _, d in g.edges(data=True))
    assert kinds == ["in", "veth", "veth"]
    svg = viz.to_svg(g)
    assert "<desc" in svg and "pod-2" in svg


def test_feature_matrix_has_sources_and_dates():
    then = vcni.feature_matrix_html("2019-04")
    now = vcni.feature_matrix_html()
    assert "2019-04" in then and "kind-v0.24.0" not in then
    assert "kindnet" in then and "no fact at that date" in then  # kindnet's facts are from 2024
    assert "WireGuard" in now and "unchecked" in now


def test_plugin_chooser_follows_choose():
    app = viz.plugin_chooser()
    viz.interact(app, **{"egress NetworkPolicy": True}, encryption=True)
    html = viz.interact(app, **{"Judge as of": "April 2019 (Figure 2.9)"})
    kept = sorted(c.plugin for c in matrix.choose({"policy_egress": True, "encryption": True, "as_of": "2019-04"})
                  if c.kept)
    assert f"Kept:</strong> {', '.join(kept)}" in html
    assert len(app.timings) == 3


def test_policy_playground_matrix_and_flannel():
    app = viz.policy_playground(SHOP, SETS, namespaces=["shop"])
    assert "DENY" not in app.html
    html = viz.interact(app, Policies="deny")
    assert "DENY" in html and "knp.default.default-deny" in html
    html = viz.interact(app, Plugin="flannel")
    assert "Nothing is enforced" in html and "DENY" not in html
    html = viz.interact(app, Plugin="calico", YAML="kind: Nonsense")
    assert "Not applied" in html and app.error


def test_policy_matrix_html_explains_denials():
    c = kubelab.Cluster(SHOP + "---" + DENY_ALL)
    html = vcni.policy_matrix_html(policy.reachability(c, ["shop"], 80), c)
    assert "shop/web -&gt; shop/db" in html and "end of tier" in html


@pytest.mark.parametrize("make", [
    lambda: viz.ipam_explorer("10.244.1.0/29", attach=2),
    lambda: viz.plugin_chooser({"policy_ingress": True}),
    lambda: viz.policy_playground(SHOP, SETS, choice="deny", namespaces=["shop"]),
])
def test_quiet_under_nbgrader(monkeypatch, make):
    from IPython.display import HTML

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    out = make()
    assert isinstance(out, HTML) and "<table" in out.data


def test_bad_arguments():
    with pytest.raises(ValueError):
        viz.ipam_explorer(plugin="macvlan")
    with pytest.raises(ValueError):
        viz.policy_playground(SHOP, SETS, plugin="nope")
