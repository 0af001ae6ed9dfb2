"""Widgets: a simulated interaction changes the rendering; quiet under nbgrader.

Callback timings are recorded by benchmarks/bench_widgets.py, not asserted here.
"""

from __future__ import annotations

import pytest

from kubelab import linuxns, viz
from kubelab.viz import widgets


def test_namespace_explorer_toggles_change_table_and_figure(pod):
    app = viz.namespace_explorer(pod)
    before = app.html
    assert "net" in before and "<svg" in before
    after = viz.interact(app, hostNetwork=True)
    assert after != before
    assert "4026531992" in after  # the node's initial network namespace
    assert app.pod.spec.host_network is True
    assert len(app.timings) == 1
    viz.interact(app, hostNetwork=False)
    assert app.html == before


def test_namespace_explorer_reports_api_rejection(pod):
    app = viz.namespace_explorer(pod)
    html = viz.interact(app, hostPID=True, shareProcessNamespace=True)
    assert "would reject" in html and "HostPID" in html


def test_namespace_explorer_channels_focus(pod):
    app = viz.namespace_explorer(pod, focus="channels")
    assert "From container" in app.controls and "To container" in app.controls
    before = app.html
    assert "signal" in before
    after = viz.interact(app, shareProcessNamespace=True)
    signal = [c for c in linuxns.channels(app.pod, "app", "proxy") if c.kind == "signal"][0]
    assert signal.available and signal.how.split(";")[0][:40] in after.replace("&#x27;", "'")
    assert after != before


def test_widgets_are_labelled(pod):
    for app in (viz.namespace_explorer(pod, focus="channels"), viz.port_playground()):
        for label, control in app.controls.items():
            assert control.description == label


def test_widget_displays_as_its_widget(pod):
    app = viz.namespace_explorer(pod)
    bundle = app._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_port_playground_add_conflict_remove():
    app = viz.port_playground()
    assert "No pods yet" in app.html
    viz.interact(app, Node="kind-worker", containerPort=80, **{"hostPort (0 = none)": 80}, Add="click")
    assert [p.name for p in app.pods] == ["pod-1"] and "none, every listener" in app.html
    html = viz.interact(app, Add="click")
    assert "didn&#x27;t have free ports" in html or "didn't have free ports" in html
    assert len(linuxns.port_conflicts(app.pods)) == 1
    # the same pod on the other node does not collide
    viz.interact(app, **{"Pod to remove": "pod-2"}, Remove="click")
    viz.interact(app, Node="kind-worker2", Add="click")
    assert linuxns.port_conflicts(app.pods) == []
    # two containers of one pod on one port do
    viz.interact(app, **{"Add to": "pod-1", "hostPort (0 = none)": 0}, containerPort=80, Add="click")
    assert [c.scope for c in linuxns.port_conflicts(app.pods)] == ["pod"]
    assert len(app.timings) == 5


def test_port_playground_shows_model_validation_errors():
    app = viz.port_playground()
    html = viz.interact(app, hostNetwork=True, containerPort=80, **{"hostPort (0 = none)": 8080}, Add="click")
    assert "Not added" in html and app.pods == []


def test_port_playground_initial_pods_from_yaml():
    app = viz.port_playground("""
apiVersion: v1
kind: Pod
metadata: {name: a}
spec: {nodeName: kind-worker, containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}
""")
    assert [p.name for p in app.pods] == ["a"]
    assert app.controls["Pod to remove"].options == ("a",)


@pytest.mark.parametrize("make", [lambda pod: viz.namespace_explorer(pod),
                                  lambda pod: viz.namespace_explorer(pod, focus="channels"),
                                  lambda pod: viz.port_playground([pod])])
def test_quiet_under_nbgrader(monkeypatch, pod, make):
    import ipywidgets
    from IPython.display import HTML

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    created = []
    monkeypatch.setattr(ipywidgets.Widget, "open", lambda self: created.append(self))
    out = make(pod)
    assert isinstance(out, HTML) and "<svg" in out.data and "<table" in out.data
    assert created == []
    assert widgets.quiet()


def test_bad_focus(pod):
    with pytest.raises(ValueError):
        viz.namespace_explorer(pod, focus="nope")
