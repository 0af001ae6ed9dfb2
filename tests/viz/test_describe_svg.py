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


def test_wide_figures_scroll_at_full_size_instead_of_shrinking():
    """Issue 11, item 4: a figure wider than the notebook keeps text >= 11 px (it scrolls); a narrow one fits."""
    import re

    import networkx as nx

    from kubelab.viz.svg import MAX_SCALED_WIDTH, MIN_READABLE_PX, NOTEBOOK_WIDTH, figure_html

    def graph(n: int) -> nx.DiGraph:
        g = nx.DiGraph(title="wide" if n > 3 else "narrow", layout="layers")
        for i in range(n):
            g.add_node(i, kind="pod", label=f"pod-{i}\n10.244.{i}.2", layer=i, order=0)
            if i:
                g.add_edge(i - 1, i, kind="network", label="a label long enough to be cut short in the drawing")
        return g

    for n in (2, 12):
        html = figure_html(graph(n))
        width = float(re.search(r"<svg[^>]* width='(\d+)'", html).group(1))
        sizes = [float(x) for x in re.findall(r"font-size='([\d.]+)'", html)]
        assert min(sizes) >= MIN_READABLE_PX
        shown = width if width > MAX_SCALED_WIDTH else min(width, NOTEBOOK_WIDTH)  # what the browser draws
        assert min(sizes) * shown / width >= MIN_READABLE_PX, f"{n} boxes: text drawn under 11 px"
        assert ("max-width:none" in html) == (width > MAX_SCALED_WIDTH)
        assert "<div style='overflow-x:auto;max-width:100%'><svg" in html
    assert width > NOTEBOOK_WIDTH  # the wide one really was wide
