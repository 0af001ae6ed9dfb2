"""The chapter's communication figures, rebuilt from the model: containers, pods, Services, entry points.

Figures 2.3 and 2.10 of the chapter draw a cluster as a reader meets it: the containers inside a
pod, the pods, the Services in front of them and the ways in from outside. :func:`communication_graph`
starts from :func:`~kubelab.viz.graphs.cluster_graph` (nodes, pods, Services and the endpoints
their EndpointSlices list) and adds what such a figure adds, each line labelled by the caller with
what a traced connection did, so the picture cannot claim more than the model showed.

Columns, left to right: nodes, containers, pods, ingress-controller pods, Services, entry points,
the client outside. Simplification: an entry point is drawn as one box (a load balancer address,
"any node IP:port", a DNS name); the cloud's own machinery behind it is not drawn.

Examples
--------
>>> from kubelab import Cluster
>>> from kubelab.examples import manifest
>>> c = Cluster(manifest("web-service", "web-pods"))
>>> g = communication_graph(c, title="web from outside",
...                         containers={"default/web-1": ["app", "sidecar"]},
...                         entries=[Entry("np", "any node IP :30080", "svc:default/web", "delivered")])
>>> sorted(n for n in g if n.startswith(("ctr:", "entry:", "outside")))
['ctr:default/web-1/app', 'ctr:default/web-1/sidecar', 'entry:np', 'outside']
>>> g.edges["ctr:default/web-1/app", "ctr:default/web-1/sidecar"]["label"]
'localhost'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from .graphs import cluster_graph

__all__ = ["Entry", "communication_graph", "LAYERS"]

#: the column of each kind of box (``ingress-controller`` marks the pods of ingress-nginx)
LAYERS = {"node": 0, "container": 1, "pod": 2, "pod-host": 2, "ingress-controller": 3, "service": 4,
          "port": 5, "process": 6}


@dataclass(frozen=True)
class Entry:
    """One way in from outside: a box ``label`` the client connects to, which leads to ``target``.

    ``target`` is a node of the graph (``"svc:<namespace>/<name>"``); ``result`` labels the
    client's line (what the traced connection did); ``via`` labels the line to the target.
    """

    key: str
    label: str
    target: str
    result: str
    via: str = "kube-proxy DNAT"


def communication_graph(cluster: Any, *, title: str,
                        containers: Mapping[str, Sequence[str]] | None = None,
                        inside: Sequence[tuple[str, str, str]] = (),
                        entries: Sequence[Entry] = (),
                        proxied: Sequence[tuple[str, str, str]] = (),
                        client: str = "203.0.113.10",
                        controller_namespace: str = "ingress-nginx") -> nx.DiGraph:
    """The cluster graph plus containers, in-cluster calls, entry points and proxied hops.

    Parameters
    ----------
    cluster
        The model cluster to draw.
    title
        The figure's title.
    containers
        ``{"namespace/pod": [container names]}``: each container is drawn beside its pod, sharing
        its network namespace, and consecutive containers are joined by a ``localhost`` line.
    inside
        ``(namespace/pod, namespace/service, label)``: a call from a pod to a Service.
    entries
        The ways in from outside (:class:`Entry`); a client box at ``client`` connects to each.
    proxied
        ``(namespace/pod, namespace/pod, label)``: a proxy pod's connection to a backend pod
        (an ingress controller, for example).
    client
        The address of the client outside.
    controller_namespace
        Pods of this namespace are drawn in their own column, between pods and Services.

    Returns
    -------
    networkx.DiGraph
        Nodes and edges with ``kind``, ``label`` and ``detail``, ready for :func:`kubelab.viz.show`.

    Examples
    --------
    >>> from kubelab import Cluster
    >>> from kubelab.examples import manifest
    >>> g = communication_graph(Cluster(manifest("web-service", "web-pods")), title="t",
    ...                         inside=[("default/client", "default/web", "ClusterIP: delivered")])
    >>> g.edges["pod:default/client", "svc:default/web"]["label"], g.nodes["svc:default/web"]["layer"]
    ('ClusterIP: delivered', 4)
    """
    g = cluster_graph(cluster)
    g.graph["title"] = title
    for n, data in g.nodes(data=True):
        kind = "ingress-controller" if n.startswith(f"pod:{controller_namespace}/") else data["kind"]
        data["layer"] = LAYERS.get(kind, data["layer"])
    for pod, names in (containers or {}).items():
        pod_node = f"pod:{pod}"
        if pod_node not in g:
            raise KeyError(f"no pod {pod} in the cluster graph")
        previous = None
        for i, name in enumerate(names):
            node = f"ctr:{pod}/{name}"
            g.add_node(node, kind="container", label=f"{pod.split('/')[-1]} / {name}", layer=LAYERS["container"],
                       order=g.nodes[pod_node].get("order", 0) * 10 + i, detail=f"container {name} of pod {pod}")
            g.add_edge(node, pod_node, kind="shares", label="pod netns")
            if previous:
                g.add_edge(previous, node, kind="network", label="localhost")
            previous = node
    for pod, svc, label in inside:
        g.add_edge(f"pod:{pod}", f"svc:{svc}", kind="network", label=label)
    if entries:
        g.add_node("outside", kind="process", label=f"client outside\n{client}", layer=LAYERS["process"], order=0,
                   detail=f"a client outside the cluster at {client}")
    for i, e in enumerate(entries):
        if e.target not in g:
            raise KeyError(f"entry {e.key}: no {e.target} in the cluster graph")
        g.add_node(f"entry:{e.key}", kind="port", label=e.label, layer=LAYERS["port"], order=i,
                   detail=e.label.replace("\n", " "))
        g.add_edge("outside", f"entry:{e.key}", kind="network", label=e.result)
        g.add_edge(f"entry:{e.key}", e.target, kind="network", label=e.via)
    for src, dst, label in proxied:
        g.add_edge(f"pod:{src}", f"pod:{dst}", kind="network", label=label)
    return g
