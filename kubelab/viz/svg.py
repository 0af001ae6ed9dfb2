"""Draw a :mod:`kubelab.viz.graphs` graph as one self-contained SVG.

No network, no matplotlib, no numpy: a layered layout (columns from the
``layer`` node attribute, rows from ``order``) or a circle, computed here with
the standard library, and a few SVG elements (rect, ellipse, path, text).

Accessibility: the SVG has ``role="img"``, a ``<title>`` (the graph title)
and a ``<desc>`` (the full :func:`~kubelab.viz.describe.describe_graph`
text).  Colours are the Okabe-Ito palette, distinguishable with the common
colour-vision deficiencies, and never carry meaning alone: every edge kind
also has its own line pattern and a legend entry, conflicts are labelled in
words, and every box names itself.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any
from xml.sax.saxutils import escape

from .describe import describe_graph

__all__ = ["PALETTE", "EDGE_STYLES", "NODE_STYLES", "layout", "to_svg", "show"]

#: Okabe & Ito (2008), "Color Universal Design".
PALETTE = {
    "black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7",
}
_P = PALETTE

#: edge kind -> (colour, stroke-dasharray or "", width, legend text)
EDGE_STYLES: dict[str, tuple[str, str, float, str]] = {
    "shares": (_P["blue"], "", 2, "solid: shared namespace"),
    "owns": (_P["black"], "2 4", 1.5, "dotted: namespace of its own"),
    "network": (_P["blue"], "", 2.5, "solid: network (localhost or pod IP)"),
    "ipc": (_P["orange"], "8 4", 2.5, "dashed: IPC (shared memory, queues)"),
    "volume": (_P["bluish green"], "12 4 2 4", 2.5, "dash-dot: shared volume (files)"),
    "signal": (_P["vermillion"], "2 4", 3, "dotted: signals (shared PID namespace)"),
    "in": (_P["black"], "2 4", 1.5, "dotted: port in this network namespace"),
    "binds": (_P["blue"], "", 2, "solid: listens on"),
    "publishes": (_P["blue"], "", 2, "solid: publishes host port"),
    "conflict": (_P["vermillion"], "8 4", 3, "thick dashed: CONFLICT, bind fails"),
    "runs-on": (_P["black"], "2 4", 1.5, "dotted: pod runs on node"),
    "selects": (_P["bluish green"], "", 2, "solid: service endpoint (ready)"),
    "not-ready": (_P["reddish purple"], "8 4", 2, "dashed: endpoint not ready"),
}

#: node kind -> (stroke colour, fill, shape, stroke-dasharray, legend text)
NODE_STYLES: dict[str, tuple[str, str, str, str, str]] = {
    "container": (_P["blue"], "#FFFFFF", "rect", "", "box: container"),
    "pause": (_P["black"], "#F2F2F2", "rect", "6 3", "dashed box: pause container"),
    "ns-pod": (_P["bluish green"], "#FFFFFF", "round", "", "rounded: namespace shared in the pod"),
    "ns-node": (_P["vermillion"], "#FFFFFF", "round", "", "rounded, '(node)': the node's namespace"),
    "ns-container": (_P["black"], "#FFFFFF", "round", "2 3", "rounded dotted, '(own)': one container's"),
    "netns-node": (_P["vermillion"], "#FFFFFF", "round", "", "rounded: node network namespace"),
    "netns-pod": (_P["bluish green"], "#FFFFFF", "round", "", "rounded: pod network namespace"),
    "netns-host": (_P["black"], "#FFFFFF", "round", "", "rounded: host network namespace"),
    "port": (_P["orange"], "#FFFFFF", "ellipse", "", "oval: port"),
    "process": (_P["blue"], "#FFFFFF", "rect", "", "box: program"),
    "node": (_P["black"], "#F2F2F2", "rect", "", "grey box: node"),
    "pod": (_P["blue"], "#FFFFFF", "round", "", "rounded: pod (its own IP)"),
    "pod-host": (_P["vermillion"], "#FFFFFF", "round", "6 3", "rounded dashed: hostNetwork pod (node IP)"),
    "service": (_P["bluish green"], "#FFFFFF", "rect", "", "box: service"),
}
_DEFAULT_NODE = (_P["black"], "#FFFFFF", "rect", "", "box")
_DEFAULT_EDGE = (_P["black"], "", 1.5, "line")

CHAR_W, LINE_H, PAD = 7.0, 15.0, 8.0
FONT = "font-family='DejaVu Sans, Verdana, sans-serif' font-size='12'"
#: The smallest text of a figure (edge labels), in px at natural size, and the smallest a reader should get.
SMALLEST_FONT, MIN_READABLE_PX = 11.0, 11.0
#: The width a notebook's output shows (JupyterLab at 1280 px, with the file browser open: ~950 px).
NOTEBOOK_WIDTH = 950
#: Wider than this, a figure keeps its natural size and scrolls sideways instead of shrinking:
#: shrunk to ``NOTEBOOK_WIDTH`` its smallest text would fall under 11 px (Figure 2.10 in 09 was 2741
#: px wide and drawn with 4 px text).
MAX_SCALED_WIDTH = NOTEBOOK_WIDTH * SMALLEST_FONT / MIN_READABLE_PX


def _size(label: str) -> tuple[float, float]:
    lines = label.split("\n")
    return max(len(line) for line in lines) * CHAR_W + 2 * PAD, len(lines) * LINE_H + 2 * PAD - 4


def layout(g: Any) -> dict[Any, tuple[float, float]]:
    """Centre of every node: columns by ``layer`` (rows by ``order``), or a circle when ``layout == 'circle'``."""
    sizes = {n: _size(str(g.nodes[n].get("label", n))) for n in g.nodes}
    if g.graph.get("layout") == "circle":
        nodes = sorted(g.nodes, key=lambda n: g.nodes[n].get("order", 0))
        widest = max((sizes[n][0] for n in nodes), default=0)
        r = max(150.0, 80.0 * len(nodes), widest * 0.9)
        pos = {}
        for i, n in enumerate(nodes):
            angle = math.pi if len(nodes) == 2 and i == 0 else (0.0 if len(nodes) == 2 else
                                                                  -math.pi / 2 + 2 * math.pi * i / len(nodes))
            pos[n] = (r * math.cos(angle), r * 0.75 * math.sin(angle))
        return pos
    columns: dict[int, list[Any]] = {}
    for n in g.nodes:
        columns.setdefault(int(g.nodes[n].get("layer", 0)), []).append(n)
    pos, x = {}, 0.0
    heights = {k: sum(sizes[n][1] + 14 for n in col) for k, col in columns.items()}
    tallest = max(heights.values(), default=0)
    for k in sorted(columns):
        col = sorted(columns[k], key=lambda n: g.nodes[n].get("order", 0))
        width = max(sizes[n][0] for n in col)
        y = (tallest - heights[k]) / 2
        for n in col:
            h = sizes[n][1]
            pos[n] = (x + width / 2, y + h / 2)
            y += h + 14
        x += width + 210
    return pos


def _clip(cx: float, cy: float, w: float, h: float, tx: float, ty: float) -> tuple[float, float]:
    """Where the segment from a box centre toward (tx, ty) leaves the box."""
    dx, dy = tx - cx, ty - cy
    if dx == 0 and dy == 0:
        return cx, cy
    s = min((w / 2) / abs(dx) if dx else math.inf, (h / 2) / abs(dy) if dy else math.inf)
    return cx + dx * s, cy + dy * s


def _edges(g: Any):
    if g.is_multigraph():
        yield from ((u, v, d) for u, v, _k, d in g.edges(keys=True, data=True))
    else:
        yield from g.edges(data=True)


def to_svg(g: Any, *, description: str | None = None, width: float | None = None) -> str:
    """The SVG text of a graph (``<title>``, ``<desc>``, boxes, lines, labels and a legend).

    Examples
    --------
    >>> from kubelab.viz.graphs import process_port_graph
    >>> svg = to_svg(process_port_graph([("apache", 80), ("nginx", 80)]))
    >>> svg.startswith("<svg") and "<title id=" in svg and "<desc id=" in svg and "http://www.w3.org/2000/svg" in svg
    True
    """
    desc = description if description is not None else describe_graph(g)
    title = str(g.graph.get("title", "Diagram"))
    uid = hashlib.sha1((title + desc).encode()).hexdigest()[:8]  # ids unique per figure, still deterministic
    pos = layout(g)
    sizes = {n: _size(str(g.nodes[n].get("label", n))) for n in g.nodes}
    directed = g.is_directed()
    # Bounding box of the boxes; edge labels may stick out a little, hence the margin.
    xs = [pos[n][0] - sizes[n][0] / 2 for n in g.nodes] + [pos[n][0] + sizes[n][0] / 2 for n in g.nodes]
    ys = [pos[n][1] - sizes[n][1] / 2 for n in g.nodes] + [pos[n][1] + sizes[n][1] / 2 for n in g.nodes]
    margin = 30.0
    body: list[str] = []

    # Edges: several between one pair are bent apart so each stays visible.
    groups: dict[tuple, list] = {}
    for u, v, d in _edges(g):
        groups.setdefault(tuple(sorted((str(u), str(v)))), []).append((u, v, d))
    used_kinds_e: list[str] = []
    label_boxes = []
    for pair_edges in groups.values():
        m = len(pair_edges)
        for i, (u, v, d) in enumerate(pair_edges):
            kind = d.get("kind", "")
            colour, dash, w, _ = EDGE_STYLES.get(kind, _DEFAULT_EDGE)
            if kind not in used_kinds_e:
                used_kinds_e.append(kind)
            (ux, uy), (vx, vy) = pos[u], pos[v]
            off = (i - (m - 1) / 2) * 32.0
            length = math.hypot(vx - ux, vy - uy) or 1.0
            nx_, ny_ = -(vy - uy) / length, (vx - ux) / length
            if str(u) > str(v):  # same bend side whatever the stored direction
                nx_, ny_ = -nx_, -ny_
            cx, cy = (ux + vx) / 2 + nx_ * off * 2, (uy + vy) / 2 + ny_ * off * 2
            sx, sy = _clip(ux, uy, *sizes[u], cx, cy)
            ex, ey = _clip(vx, vy, *sizes[v], cx, cy)
            dash_attr = f" stroke-dasharray='{dash}'" if dash else ""
            marker = f" marker-end='url(#kl-arrow-{uid})'" if directed else ""
            body.append(f"<path d='M{sx:.1f},{sy:.1f} Q{cx:.1f},{cy:.1f} {ex:.1f},{ey:.1f}' fill='none' "
                        f"stroke='{colour}' stroke-width='{w}'{dash_attr}{marker}><title>"
                        f"{escape(kind)}: {escape(str(d.get('label', '')))}</title></path>")
            mx, my = 0.25 * sx + 0.5 * cx + 0.25 * ex, 0.25 * sy + 0.5 * cy + 0.25 * ey
            xs.append(mx), ys.append(my)
            label = full = str(d.get("label", ""))
            if label:
                if len(label) > 46:
                    label = label[:44] + "..."
                lw = len(label) * 6.0 + 6
                lx, ly = mx, my
                while any(abs(lx - ox) < (lw + ow) / 2 and abs(ly - oy) < 15 for ox, oy, _l, _c, ow, _f in label_boxes):
                    ly += 15  # nudge down until it overlaps no earlier label
                label_boxes.append((lx, ly, label, colour, lw, full))
                xs.extend([lx - lw / 2, lx + lw / 2]), ys.append(ly + 8)
    for n in g.nodes:
        d = g.nodes[n]
        stroke, fill, shape, dash, _ = NODE_STYLES.get(d.get("kind", ""), _DEFAULT_NODE)
        (cx, cy), (w, h) = pos[n], sizes[n]
        dash_attr = f" stroke-dasharray='{dash}'" if dash else ""
        common = f"fill='{fill}' stroke='{stroke}' stroke-width='2'{dash_attr}"
        # A box's label may be cut short ("..."): hovering the box shows its whole detail.
        body.append("<g>" + (f"<title>{escape(str(d['detail']))}</title>" if d.get("detail") else ""))
        if shape == "ellipse":
            body.append(f"<ellipse cx='{cx:.1f}' cy='{cy:.1f}' rx='{w / 2 + 6:.1f}' ry='{h / 2 + 2:.1f}' {common}/>")
        else:
            rx = 10 if shape == "round" else 2
            body.append(f"<rect x='{cx - w / 2:.1f}' y='{cy - h / 2:.1f}' width='{w:.1f}' height='{h:.1f}' "
                        f"rx='{rx}' {common}/>")
        lines = str(d.get("label", n)).split("\n")
        top = cy - (len(lines) - 1) * LINE_H / 2 + 4
        for j, line in enumerate(lines):
            weight = " font-weight='bold'" if j == 0 else ""
            body.append(f"<text x='{cx:.1f}' y='{top + j * LINE_H:.1f}' text-anchor='middle' {FONT}{weight}>"
                        f"{escape(line)}</text>")
        body.append("</g>")
    for lx, ly, label, colour, w, full in label_boxes:  # a label cut short shows the whole one on hover
        body.append("<g>" + (f"<title>{escape(full)}</title>" if full != label else ""))
        body.append(f"<rect x='{lx - w / 2:.1f}' y='{ly - 9:.1f}' width='{w:.1f}' height='14' fill='#FFFFFF' "
                    f"fill-opacity='0.9' stroke='{colour}' stroke-width='0.5'/>")
        body.append(f"<text x='{lx:.1f}' y='{ly + 2:.1f}' text-anchor='middle' "
                    f"font-family='DejaVu Sans, Verdana, sans-serif' font-size='{SMALLEST_FONT:g}'>{escape(label)}</text></g>")

    x0, y0 = min(xs, default=0) - margin, min(ys, default=0) - margin - 20
    # Legend: one line per edge kind used (its colour, pattern and words), then the box kinds.
    y = max(ys, default=0) + margin
    legend_x = x0 + 10
    body.append(f"<text x='{legend_x:.1f}' y='{y:.1f}' {FONT} font-weight='bold'>Legend</text>")
    y += 18
    for kind in used_kinds_e:
        colour, dash, w, text = EDGE_STYLES.get(kind, _DEFAULT_EDGE)
        dash_attr = f" stroke-dasharray='{dash}'" if dash else ""
        body.append(f"<line x1='{legend_x:.1f}' y1='{y - 4:.1f}' x2='{legend_x + 40:.1f}' y2='{y - 4:.1f}' "
                    f"stroke='{colour}' stroke-width='{w}'{dash_attr}/>")
        body.append(f"<text x='{legend_x + 50:.1f}' y='{y:.1f}' {FONT}>{escape(text)}</text>")
        y += 17
    node_kinds = []
    for n in g.nodes:
        k = g.nodes[n].get("kind", "")
        if k not in node_kinds:
            node_kinds.append(k)
    text = "; ".join(NODE_STYLES.get(k, _DEFAULT_NODE)[4] for k in node_kinds)
    body.append(f"<text x='{legend_x:.1f}' y='{y:.1f}' {FONT}>{escape(text)}</text>")
    y += 10
    legend_w = max([len(text) * CHAR_W] + [len(EDGE_STYLES.get(k, _DEFAULT_EDGE)[3]) * CHAR_W + 50
                                           for k in used_kinds_e]) + 20
    total_w = max(max(xs, default=0) + margin - x0, legend_w, len(title) * 8.5 + 20)
    total_h = y - y0 + 10
    heading = (f"<text x='{x0 + 10:.1f}' y='{y0 + 20:.1f}' font-family='DejaVu Sans, Verdana, sans-serif' "
               f"font-size='14' font-weight='bold'>"
               f"{escape(title)}</text>")
    attrs = f" width='{width:.0f}'" if width else f" width='{total_w:.0f}'"
    # Shrink to the output's width only while the text stays readable; a wider figure scrolls (figure_html).
    fit = "max-width:100%;" if (width or total_w) <= MAX_SCALED_WIDTH else "max-width:none;"
    return (f"<svg xmlns='http://www.w3.org/2000/svg' role='img' aria-labelledby='kl-title-{uid} kl-desc-{uid}'{attrs} "
            f"viewBox='{x0:.1f} {y0:.1f} {total_w:.1f} {total_h:.1f}' style='{fit}height:auto;"
            f"background:#FFFFFF'>"
            f"<title id='kl-title-{uid}'>{escape(title)}</title><desc id='kl-desc-{uid}'>{escape(desc)}</desc>"
            f"<defs><marker id='kl-arrow-{uid}' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' markerHeight='7' "
            "orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='#000000'/></marker></defs>"
            f"<rect x='{x0:.1f}' y='{y0:.1f}' width='{total_w:.1f}' height='{total_h:.1f}' fill='#FFFFFF'/>"
            + heading + "".join(body) + "</svg>")


def figure_html(g: Any, *, caption: bool = True) -> str:
    """HTML of the figure: the SVG, then (``caption=True``) its text description as the caption, collapsed.

    The description is in a closed ``<details>``: one click (or Enter on its summary) opens it, and a
    screen reader has the same text in the SVG's ``<desc>``.
    """
    desc = describe_graph(g)
    svg = to_svg(g, description=desc)
    if not caption:
        return svg
    # A figure too wide to shrink readably (to_svg) scrolls sideways inside the output, at full size.
    return (f"<figure style='margin:0'><div style='overflow-x:auto;max-width:100%'>{svg}</div>"
            f"<figcaption><details><summary>Text description of the "
            f"diagram</summary><pre style='white-space:pre-wrap'>{escape(desc)}</pre></details></figcaption>"
            f"</figure>")


def show(g: Any, *, caption: bool = True) -> Any:
    """Display object for a notebook: the SVG with its text description beside it (``caption=False``: SVG only)."""
    from IPython.display import HTML, SVG

    if not caption:
        return SVG(data=to_svg(g))
    return HTML(figure_html(g))
