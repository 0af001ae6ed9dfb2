"""kubelab.viz.figures: the chapter's communication figures built from the model."""

from __future__ import annotations

import doctest

import pytest

import kubelab
from kubelab import ingress, viz
from kubelab.examples import manifest
from kubelab.viz import figures
from kubelab.viz.figures import LAYERS, Entry, communication_graph


@pytest.fixture(scope="module")
def cluster():
    c = kubelab.Cluster(manifest("web-service", "web-pods"))
    ingress.install(c)
    return c


def test_adds_containers_calls_entries_and_proxied_hops(cluster):
    g = communication_graph(
        cluster, title="T", client="198.51.100.1",
        containers={"default/web-1": ["a", "b", "c"]},
        inside=[("default/client", "default/web", "ClusterIP: delivered")],
        entries=[Entry("np", "any node :30080", "svc:default/web", "delivered", via="DNAT")],
        proxied=[("ingress-nginx/" + next(p.name for p in cluster.pods("ingress-nginx")), "default/web-2", "GET /")])
    base = viz.cluster_graph(cluster)
    assert set(base) < set(g) and set(base.edges) < set(g.edges)  # the cluster graph is kept whole
    assert g.graph["title"] == "T"
    ctrs = [f"ctr:default/web-1/{n}" for n in "abc"]
    assert all(g.edges[c, "pod:default/web-1"]["kind"] == "shares" for c in ctrs)
    assert [g.edges[a, b]["label"] for a, b in zip(ctrs, ctrs[1:])] == ["localhost", "localhost"]
    assert (ctrs[0], ctrs[2]) not in g.edges
    assert g.edges["outside", "entry:np"]["label"] == "delivered" and g.edges["entry:np", "svc:default/web"]["label"] == "DNAT"
    assert "198.51.100.1" in g.nodes["outside"]["label"]
    for n, data in g.nodes(data=True):
        expected = LAYERS["ingress-controller"] if n.startswith("pod:ingress-nginx/") else LAYERS[data["kind"]]
        assert data["layer"] == expected, n
    text = viz.describe_graph(g)
    assert "T" in text.splitlines()[0]
    assert "<svg" in viz.to_svg(g)


def test_no_entries_no_client_and_unknown_names_are_errors(cluster):
    assert "outside" not in communication_graph(cluster, title="t")
    with pytest.raises(KeyError, match="no pod default/nope"):
        communication_graph(cluster, title="t", containers={"default/nope": ["a"]})
    with pytest.raises(KeyError, match="entry x: no svc:default/nope"):
        communication_graph(cluster, title="t", entries=[Entry("x", "x", "svc:default/nope", "ok")])


def test_doctests():
    result = doctest.testmod(figures, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
