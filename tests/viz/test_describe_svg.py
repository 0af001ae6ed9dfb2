"""Text descriptions mention everything; the SVG is self-contained, valid and accessible."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import kubelab
from kubelab import viz
from kubelab.api import load_text
from kubelab.viz.svg import EDGE_STYLES, NODE_STYLES, PALETTE

SVG_NS = "{http://www.w3.org/2000/svg}"


def graphs(pod):
    other = load_text("""
apiVersion: v1
kind: Pod
metadata: {name: b}
spec: {nodeName: kind-worker, containers: [{name: web, image: nginx, ports: [{containerPort: 80, hostPort: 9090}]}]}
""")[0]
    c = kubelab.Cluster("""
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}}
spec: {containers: [{name: nginx, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
""")
    return [viz.pod_graph(pod), viz.channel_graph(pod), viz.channel_graph(pod, other), viz.port_graph([pod, other]),
            viz.docker_port_graph([("A", 80, 80), ("B", 80, 80)]), viz.process_port_graph([("a", 80), ("b", 80)]),
            viz.cluster_graph(c)]


@pytest.fixture
def all_graphs(pod):
    return graphs(pod)


def test_description_mentions_every_node_and_edge(all_graphs):
    for g in all_graphs:
        text = viz.describe_graph(g)
        assert text.splitlines()[0] == g.graph["title"]
        for n, d in g.nodes(data=True):
            assert d["label"].replace("\n", ", ") in text, (g.graph["title"], n)
        edge_lines = [line for line in text.splitlines() if line.startswith("- ")]
        assert len(edge_lines) >= g.number_of_nodes() + g.number_of_edges()


def test_svg_is_valid_accessible_and_offline(all_graphs):
    for g in all_graphs:
        svg = viz.to_svg(g)
        root = ET.fromstring(svg)
        assert root.get("role") == "img"
        title, desc = root.find(f"{SVG_NS}title"), root.find(f"{SVG_NS}desc")
        assert title.text == g.graph["title"]
        assert desc.text == viz.describe_graph(g)
        assert set(root.get("aria-labelledby").split()) == {title.get("id"), desc.get("id")}
        for el in root.iter():
            for attr, value in el.attrib.items():
                if attr.endswith("href") or attr in ("src",):
                    assert "http" not in value
        assert "<image" not in svg and "@import" not in svg
        assert not re.search(r"url\((?!#)", svg), "only local url(#id) references"


def test_colours_are_okabe_ito_and_never_alone():
    okabe = {v.upper() for v in PALETTE.values()}
    for kind, (colour, dash, _w, legend) in EDGE_STYLES.items():
        assert colour.upper() in okabe
        assert legend  # each edge kind is named in the legend
    # edge kinds that can appear in one graph differ by pattern, not only by colour
    channel_kinds = [EDGE_STYLES[k][1] for k in ("network", "ipc", "volume", "signal")]
    assert len(set(channel_kinds)) == 4
    port_kinds = [EDGE_STYLES[k][1] for k in ("binds", "conflict", "in")]
    assert len(set(port_kinds)) == 3
    for colour, fill, _shape, _dash, legend in NODE_STYLES.values():
        assert colour.upper() in okabe and legend


def test_conflicts_are_labelled_in_words():
    g = viz.docker_port_graph([("A", 80, 80), ("B", 80, 80)])
    svg = viz.to_svg(g)
    assert "CONFLICT" in svg and "port is already allocated" in svg


def test_svg_is_deterministic(pod):
    assert viz.to_svg(viz.pod_graph(pod)) == viz.to_svg(viz.pod_graph(pod))


def test_show_returns_html_with_caption(pod):
    from IPython.display import HTML, SVG

    g = viz.channel_graph(pod)
    out = viz.show(g)
    assert isinstance(out, HTML)
    assert "<svg" in out.data and "Text description" in out.data
    assert isinstance(viz.show(g, caption=False), SVG)
