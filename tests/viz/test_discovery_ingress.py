"""kubelab.viz.discovery and kubelab.viz.ingress: drawings say what the model answered; widgets react; quiet when grading.

Callback timings are recorded by benchmarks/bench_widgets_discovery.py, not asserted here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kubelab
from kubelab import dns, ingress, net, viz
from kubelab.examples import manifest
from kubelab.viz import discovery, ingress as vingress

DATA = Path(kubelab.__file__).parent / "data" / "ingress"

# The course's example (benchmarks/bench_widgets_discovery.py too): web-1..3 behind web, a client.
MANIFESTS = manifest("web-service", "web-pods")


@pytest.fixture(scope="module")
def cluster():
    return kubelab.Cluster(MANIFESTS)


@pytest.fixture(scope="module")
def fanout():
    return kubelab.Cluster((DATA / "02-simple-fanout.yaml").read_text())


def test_lookup_html_lists_every_query_of_the_model(cluster):
    result = dns.lookup(cluster, cluster.pod("client"), "example.com")
    html = discovery.lookup_html(result)
    for q in result.queries:
        assert q.name in html
    assert "upstream (leaves the cluster)" in html and "options ndots:5" in html


def test_resolver_walk_reacts_to_name_and_ndots(cluster):
    app = viz.resolver_walk(cluster, "client", "web", upstream={"example.com": "198.51.100.7"})
    assert "web.default.svc.cluster.local." in app.html and "NOERROR" in app.html
    html = viz.interact(app, Name="example.com")
    assert html.count(">NXDOMAIN<") == 3 and "198.51.100.7" in html
    html = viz.interact(app, ndots=1)
    assert "options ndots:1" in html and ">NXDOMAIN<" not in html  # the name as written goes first and is answered
    html = viz.interact(app, Name="example.com.")
    assert "1 query sent" in html
    assert len(app.timings) == 3
    for label, control in app.controls.items():
        assert control.description == label


def test_reachability_graph_and_table_say_the_same_as_the_matrix(cluster):
    m = net.reachability(cluster, "web")
    g = viz.reachability_graph(m)
    delivered = [c for c in m.cells if c.verdict == "delivered"]
    assert g.number_of_edges() == len(delivered)
    text = viz.describe_graph(g)
    for c in m.cells:
        assert c.source in text
        if c.verdict != "delivered":
            assert f"{c.source} -> {c.target}: {c.verdict}" in text
    html = viz.reachability_html(m)
    assert html.count("<tr>") == len(m.sources) + 1 and "FAILS: no route" in html
    ok = next(c for c in delivered)
    assert f">ok -&gt; {ok.backend.split('/')[-1]} (sees" in html
    assert "ok: ok" not in html and "FAILS: FAILS" not in html  # each verdict said once (issue 11, item 10)


def test_reachability_graph_of_headless_and_externalname():
    c = kubelab.Cluster("""
apiVersion: v1
kind: Service
metadata: {name: alias}
spec: {type: ExternalName, externalName: db.example.net}
""")
    g = viz.reachability_graph(net.reachability(c, "alias"))
    assert g.number_of_edges() == 0 and any("CNAME" in n for n in g.graph["notes"])


def test_service_type_explorer_traces_each_choice(cluster):
    app = viz.service_type_explorer(cluster, "web")
    assert "NodePort" not in app.html.split("<figure")[0]
    html = viz.interact(app, Type="NodePort")
    assert "NodePort 172.18.0.2" in html
    html = viz.interact(app, externalTrafficPolicy="Local")
    local = app.matrix()[0]
    assert any(c.verdict == "dropped" for c in local.cells) and "dropped" in html
    assert cluster.get("svc", "web").spec.type == "ClusterIP"  # the explorer works on copies
    viz.interact(app, Type="ClusterIP")
    assert "ignored for ClusterIP" in app.html
    assert len(app.timings) == 3


def test_route_graph_marks_the_winner_in_words(fanout):
    d = ingress.route(fanout, "foo.com/bar/x", seed=0)
    g = viz.route_graph(fanout, d)
    winners = [n for n, data in g.nodes(data=True) if data["kind"] == "location-winner"]
    assert len(winners) == 1 and g.nodes[winners[0]]["label"] == "WINS: Prefix /bar"
    text = viz.describe_graph(g)
    assert "CHOSEN: foo.com" in text and d.why[-1] in text
    plain = viz.route_graph(fanout)
    assert not [n for n, data in plain.nodes(data=True) if data["kind"] in ("location-winner", "server-chosen")]


def test_route_graph_default_backend_and_404():
    single = kubelab.Cluster((DATA / "01-single-service.yaml").read_text())
    g = viz.route_graph(single, ingress.route(single, "anything.example/x", seed=0))
    assert any(d["label"] == "WINS: defaultBackend" for _, d in g.nodes(data=True))
    vhost = kubelab.Cluster((DATA / "03-name-based-virtual-hosting.yaml").read_text())
    g = viz.route_graph(vhost, ingress.route(vhost, "nobody.example/", seed=0))
    assert "Decision: HTTP 404, target 404." in g.graph["notes"]


def test_route_explorer_follows_the_model(fanout):
    tls = kubelab.Cluster((DATA / "04-tls.yaml").read_text())
    app = viz.route_explorer({"fanout": fanout, "tls": tls})
    assert "fanout/service-1:8080" in app.html
    html = viz.interact(app, Path="/foobar")
    assert ">404<" in html
    html = viz.interact(app, Ingress="tls", Scheme="https", Host="ssl.foo.com", Path="/")
    assert "tls/service-1:443" in html and "fake certificate?" in html and ">YES<" in html
    assert "BEGIN" not in html  # no PEM of any kind
    assert len(app.timings) == 5
    for label, control in app.controls.items():
        assert control.description == label


def test_decision_html_shows_no_key_material(fanout):
    from tests.ingress.conftest import make_cert, tls_secret

    c = kubelab.Cluster((DATA / "04-tls.yaml").read_text())
    cert, key, _ = make_cert(["ssl.foo.com"])
    c.apply(tls_secret("secret-tls", cert, key, namespace="tls"))
    d = ingress.route(c, viz.request_url("ssl.foo.com", "/", "https"), seed=0)
    html = viz.decision_html(d)
    assert "CN=ssl.foo.com" in html and ">no<" in html
    assert "PRIVATE KEY" not in html and "BEGIN" not in html
    assert key.decode().splitlines()[1][:20] not in html


def test_exposure_counts_from_the_model():
    counts = viz.exposure_counts(3)
    each, one = counts["LoadBalancer each"], counts["one Ingress"]
    assert each["load balancers asked"] == 3 and each["node ports (open on every node)"] == 3
    assert one["load balancers asked"] == 1 and one["node ports (open on every node)"] == 2
    assert one["ingress rules"] == 3 and each["ingress rules"] == 0
    assert each["monthly (example price)"] == 3 * vingress.EXAMPLE_LB_PRICE


@pytest.mark.parametrize("make", [
    lambda c, f: viz.resolver_walk(c, "client", "db"),
    lambda c, f: viz.service_type_explorer(c, "web", type="NodePort"),
    lambda c, f: viz.route_explorer(f),
])
def test_quiet_under_nbgrader(monkeypatch, cluster, fanout, make):
    import ipywidgets
    from IPython.display import HTML

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    created = []
    monkeypatch.setattr(ipywidgets.Widget, "open", lambda self: created.append(self))
    out = make(cluster, fanout)
    assert isinstance(out, HTML) and "<table" in out.data
    assert created == []


def test_widgets_display_as_widgets(cluster, fanout):
    for app in (viz.resolver_walk(cluster, "client"), viz.service_type_explorer(cluster, "web"),
                viz.route_explorer(fanout)):
        assert "application/vnd.jupyter.widget-view+json" in app._repr_mimebundle_()


def test_bad_arguments(cluster):
    with pytest.raises(ValueError):
        viz.service_type_explorer(cluster, "web", type="ExternalName")
    with pytest.raises(ValueError):
        viz.route_explorer({})
