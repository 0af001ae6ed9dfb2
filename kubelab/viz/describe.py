"""The text equivalent of a diagram: what every box is and what every line says.

Printed beside each figure in the course and embedded in the SVG's
``<desc>``, so a screen-reader user (or anyone reading the notebook as text)
gets everything the drawing shows.  Works on any graph that follows the
conventions of :mod:`kubelab.viz.graphs`.

Two optional conventions keep the text short: a node's ``description`` (one
sentence) replaces its kind, label and detail; a graph with ``sequence=True``
(a path, each node leading to the next, as a traced connection) lists its
boxes in order and says so once, instead of one "A then B" line per edge.
"""

from __future__ import annotations

from typing import Any

__all__ = ["describe_graph", "KIND_WORDS", "EDGE_WORDS"]

#: How each node kind is named in the text.
KIND_WORDS = {
    "container": "container", "pause": "pause container", "ns-pod": "namespace shared in the pod",
    "ns-node": "the node's own namespace", "ns-container": "namespace of one container only",
    "netns-node": "node network namespace", "netns-pod": "pod network namespace",
    "netns-host": "host network namespace", "port": "port", "process": "program", "node": "node",
    "pod": "pod", "pod-host": "pod on the node's network (hostNetwork)", "service": "service",
}

#: How each edge kind reads between its two ends (``u VERB v``).
EDGE_WORDS = {
    "shares": "shares", "owns": "alone is in", "network": "talks over the network with",
    "ipc": "shares IPC objects with", "volume": "shares files with", "signal": "can signal",
    "in": "contains", "binds": "listens on", "publishes": "publishes", "conflict": "FAILS to bind, already taken:",
    "runs-on": "runs on", "selects": "sends traffic to endpoint", "not-ready": "lists as NOT READY",
}


def _label(g: Any, n: Any) -> str:
    """The label on one line: its lines joined by ", " (only " " after a line already ending in punctuation)."""
    text = ""
    for line in str(g.nodes[n].get("label", n)).split("\n"):
        line = line.strip()
        if line:
            text += ("" if not text else " " if text[-1] in ",;:" else ", ") + line
    return text


def _edges(g: Any):
    if g.is_multigraph():
        for u, v, k, d in g.edges(keys=True, data=True):
            yield u, v, d
    else:
        for u, v, d in g.edges(data=True):
            yield u, v, d


def describe_graph(g: Any) -> str:
    """A plain-text description of a graph from :mod:`kubelab.viz.graphs`: title, boxes, connections, notes.

    Every node's label appears, and every edge as a sentence.

    Examples
    --------
    >>> from kubelab.viz.graphs import docker_port_graph
    >>> print(describe_graph(docker_port_graph([("A", 80, 80), ("B", 80, 80)])))
    Published ports on Docker host docker-host
    The diagram has 4 boxes and 3 connections.
    Boxes:
    - host network namespace docker-host, host network namespace: the host's network namespace, where published ports are bound
    - port 0.0.0.0:80/TCP: host port 80/TCP on every address of docker-host
    - container A, own IP, :80/TCP: container A, in its own network namespace, listening on 80/TCP
    - container B, own IP, :80/TCP: container B, in its own network namespace, listening on 80/TCP
    Connections:
    - docker-host, host network namespace contains 0.0.0.0:80/TCP
    - A, own IP, :80/TCP publishes 0.0.0.0:80/TCP (-p 80:80)
    - B, own IP, :80/TCP FAILS to bind, already taken: 0.0.0.0:80/TCP (Bind for 0.0.0.0:80 failed: port is already allocated)
    Notes:
    - Conflict: A and B both publish 0.0.0.0:80/TCP: Bind for 0.0.0.0:80 failed: port is already allocated.
    """
    lines = [str(g.graph.get("title", "Diagram"))]
    nodes = sorted(g.nodes, key=lambda n: (g.nodes[n].get("layer", 0), g.nodes[n].get("order", 0)))
    lines.append(f"The diagram has {len(nodes)} boxes and {g.number_of_edges()} connections.")
    lines.append("Boxes:")
    for n in nodes:
        d = g.nodes[n]
        if d.get("description"):
            lines.append(f"- {d['description']}")
            continue
        kind = KIND_WORDS.get(d.get("kind", ""), d.get("kind", "item"))
        detail = f": {d['detail']}" if d.get("detail") else ""
        lines.append(f"- {kind} {_label(g, n)}{detail}")
    edges = list(_edges(g))
    if edges and g.graph.get("sequence"):
        lines.append("Connections: each box leads to the next one, in the order listed.")
        edges = []
    elif edges:
        lines.append("Connections:")
    for u, v, d in edges:
        kind = d.get("kind", "")
        label = d.get("label", "")
        if kind in ("network", "ipc", "volume", "signal"):
            lines.append(f"- {_label(g, u)} and {_label(g, v)}: {label}: {d.get('how', '')}")
        else:
            verb = EDGE_WORDS.get(kind, f"-[{kind}]->")
            label = d.get("error", label)
            lines.append(f"- {_label(g, u)} {verb} {_label(g, v)}" + (f" ({label})" if label else ""))
    notes = g.graph.get("notes") or []
    if notes:
        lines.append("Notes:")
        lines.extend(f"- {n}" for n in notes)
    return "\n".join(lines)
