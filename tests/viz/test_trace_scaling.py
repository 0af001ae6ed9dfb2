"""kubelab.viz.trace and kubelab.viz.scaling: diagrams say what the model traced; widgets react; quiet under nbgrader.

Callback timings are recorded by benchmarks/bench_widgets_proxy.py, not asserted here.
"""

from __future__ import annotations

import re

import pytest

import kubelab
from kubelab import viz
from kubelab.examples import manifest
from kubelab.viz import scaling, trace

# The course's example (notebooks 05 and 10; benchmarks/bench_widgets_proxy.py): web-1..3 behind web, a client.
MANIFESTS = manifest("web-service", "web-pods")


@pytest.fixture(scope="module")
def cluster():
    return kubelab.Cluster(MANIFESTS)


def test_trace_graph_follows_the_trace(cluster):
    t = cluster.connect("client", "web", 80, seed=1)
    g = viz.trace_graph(t, step=2)
    assert g.number_of_nodes() == len(t.hops) and g.number_of_edges() == len(t.hops) - 1
    assert g.nodes["hop:2"]["kind"] == "hop-current" and g.nodes["hop:2"]["label"].startswith("NOW 3.")
    assert g.nodes[f"hop:{len(t.hops) - 1}"]["kind"] == "hop-end"
    text = viz.describe_graph(g)
    assert "(the current step)" in text and t.verdict in text and str(t.rules_evaluated) in text
    for hop in t.hops:
        assert hop.where in text


def test_rule_table_marks_matches_in_words(cluster):
    t = cluster.connect("client", "web", 80, seed=1)
    hop = next(h for h in t.hops if h.steps)
    html = viz.rule_table(hop)
    assert html.count("<tr>") == len(hop.steps) + 1  # and the header
    assert html.count(">matched<") == sum(s.matched for s in hop.steps)
    assert html.count(">no match<") == sum(not s.matched for s in hop.steps)


def test_available_modes_include_iptables_in_history_order():
    modes = viz.available_modes()
    assert "iptables" in modes
    assert modes == sorted(modes, key=lambda m: trace.MODE_ORDER.index(m) if m in trace.MODE_ORDER else 99)


def test_trace_stepper_steps_and_recomputes(cluster):
    app = viz.trace_stepper(cluster, "client", [("web", 80), ("kube-system/kube-dns", 53)], modes=["iptables"])
    assert app.step == 0 and app.controls["Prev"].disabled
    first = app.html
    assert "Step 1 of" in first and "<svg" in first
    viz.interact(app, Next="click")
    viz.interact(app, Next="click")
    assert app.step == 2 and "Step 3 of" in app.html
    assert "NOW 3." in app.html
    for _ in range(20):
        viz.interact(app, Next="click")
    assert app.controls["Next"].disabled and "verdict: delivered" in app.html
    viz.interact(app, **{"Pod down": app.trace.backend.split("/")[1]})
    assert app.step == 0
    for _ in range(20):
        viz.interact(app, Next="click")
    assert app.trace.verdict == "timeout" and "verdict: timeout" in app.html  # iptables mode does not retry
    viz.interact(app, Service="kube-system/kube-dns:53")
    assert app.controls["Pod down"].value == trace.NO_DEAD
    assert app.controls["Pod down"].options[1:] == tuple(sorted(
        e.target_ref.name for s in cluster.endpoint_slices("kube-dns", "kube-system") for e in s.endpoints))
    assert len(app.timings) == 2 + 20 + 1 + 20 + 1


def test_trace_stepper_offers_every_registered_mode(cluster):
    app = viz.trace_stepper(cluster, "client", [("web", 80)])
    assert list(app.controls["Mode"].options) == viz.available_modes()
    for mode in viz.available_modes():
        viz.interact(app, Mode=mode)
        assert app.trace.mode == mode


def test_scaling_curve_measured_then_extrapolated():
    pts = viz.scaling_curve("iptables")
    assert [p.services for p in pts] == list(scaling.SIZES)
    assert all(p.measured == (p.services <= scaling.MEASURED_UP_TO) for p in pts)
    # iptables: one more rule checked per extra service ahead in KUBE-SERVICES
    measured = [p for p in pts if p.measured]
    slopes = {(b.evaluated - a.evaluated) / (b.services - a.services) for a, b in zip(measured, measured[1:])}
    assert slopes == {1.0}
    assert all(b.rules > a.rules for a, b in zip(pts, pts[1:]))


def test_extrapolation_agrees_with_a_measurement():
    small = scaling.scaling_curve("iptables", sizes=(10, 50, 100), measured_up_to=50)
    real = scaling.scaling_curve("iptables", sizes=(10, 50, 100), measured_up_to=100)
    assert small[-1].evaluated == real[-1].evaluated and small[-1].rules == real[-1].rules
    assert not small[-1].measured and real[-1].measured


def test_line_chart_is_accessible():
    svg = viz.line_chart("Title", "services", "rules", {"a": [(10, 5, True), (20, 9, False)], "b": [(10, 3, True)]},
                         mark_x=20)
    assert svg.startswith("<svg") and "role='img'" in svg and "<title id=" in svg and "<desc id=" in svg
    desc = re.search(r"<desc[^>]*>(.*)</desc>", svg, re.S).group(1)
    assert "- a: 10: 5, 20: 9 (extrapolated)" in desc and "- b: 10: 3" in desc and "= 20" in desc
    assert "stroke-dasharray" in svg  # series differ by pattern, not colour alone


def test_scaling_explorer_redraws_fast_from_cache():
    app = viz.scaling_explorer(["iptables"])
    before = app.html
    viz.interact(app, Services=5000)
    assert app.html != before and "5,000" in app.html and "extrapolated" in app.html
    viz.interact(app, Figure="rules")
    assert "packet-filter rules on the node" in app.html
    assert len(app.timings) == 2


def test_endpoint_explorer_scale_and_readiness(cluster):
    app = viz.endpoint_explorer(cluster, "web")
    assert app.controls["Replicas"].value == 3
    old_ip = app.cluster.pod("web-2").status.pod_ip
    viz.interact(app, Replicas=1)
    assert [p.name for p in app._pods()] == ["web-1"]
    viz.interact(app, Replicas=2)
    assert app.cluster.pod("web-2").status.pod_ip != old_ip  # host-local hands out the next address
    assert cluster.pod("web-2").status.pod_ip == old_ip  # the widget works on a copy
    viz.interact(app, Pod="web-1", **{"Toggle ready": "click"})
    [sl] = app.cluster.endpoint_slices("web")
    assert {e.target_ref.name: e.conditions.ready for e in sl.endpoints} == {"web-1": False, "web-2": True}
    assert "notReadyAddresses" in app.html and "fails its readiness probe" in app.html
    viz.interact(app, **{"Toggle ready": "click"})
    [sl] = app.cluster.endpoint_slices("web")
    assert all(e.conditions.ready for e in sl.endpoints)
    assert len(app.timings) == 4


def test_widgets_are_labelled(cluster):
    for app in (viz.trace_stepper(cluster, "client", [("web", 80)]), viz.scaling_explorer(["iptables"]),
                viz.endpoint_explorer(cluster, "web")):
        for label, control in app.controls.items():
            assert control.description == label
        assert "application/vnd.jupyter.widget-view+json" in app._repr_mimebundle_()


@pytest.mark.parametrize("make", [lambda c: viz.trace_stepper(c, "client", [("web", 80)]),
                                  lambda c: viz.scaling_explorer(["iptables"]),
                                  lambda c: viz.endpoint_explorer(c, "web")])
def test_quiet_under_nbgrader(monkeypatch, cluster, make):
    import ipywidgets
    from IPython.display import HTML

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    created = []
    monkeypatch.setattr(ipywidgets.Widget, "open", lambda self: created.append(self))
    out = make(cluster)
    assert isinstance(out, HTML) and "<svg" in out.data and "<table" in out.data
    assert created == []


def test_bad_arguments(cluster):
    with pytest.raises(ValueError):
        viz.trace_stepper(cluster, "client", [])
    with pytest.raises(ValueError):
        viz.scaling_chart(["iptables"], metric="latency")
    with pytest.raises(ValueError):
        viz.endpoint_explorer(cluster, "kubernetes")


def test_trace_stepper_rules_come_before_the_diagram(cluster):
    """Issue 11, item 8: Prev/Next sit right above the step's rule table; the tall diagram comes after."""
    app = viz.trace_stepper(cluster, "client", [("web", 80)], modes=["iptables"])
    viz.interact(app, Next="click")
    viz.interact(app, Next="click")  # step 3: nat PREROUTING, with rules
    html = app.html
    assert html.index("<table") < html.index("<svg"), "the rule table is below the diagram"
    assert html.index("Step 3 of") < html.index("<table")
    whole = trace.trace_html(app.trace)  # every hop (nbgrader's static view): the diagram first, as before
    assert whole.index("<svg") < whole.index("<table")


def test_truncated_labels_have_tooltips(cluster):
    """Issue 11, item 10: a label cut short ("...") can still be read in full on hover."""
    from kubelab.viz.svg import to_svg

    app = viz.trace_stepper(cluster, "client", [("web", 80)], modes=["userspace"])
    t = app.trace
    svg = to_svg(trace.trace_graph(t, 0))
    long_hop = next(h for h in t.hops if len(h.detail) > 3 * 58)  # wrapped to 3 lines and cut
    from kubelab.viz.svg import escape

    assert "..." in svg and escape(long_hop.detail) in svg  # the whole detail, in the box's <title>
    explorer = viz.scaling_explorer()
    explorer._repr_mimebundle_()
    figure = explorer.controls["Figure"]
    assert list(figure.tooltips) == list(figure._options_labels) and figure.tooltip == "Figure"
    app._repr_mimebundle_()  # displayed: every control has a tooltip
    assert all(c.tooltip for c in app.controls.values())
