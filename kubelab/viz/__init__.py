"""kubelab.viz: diagrams and widgets for the course -- a view of the model, never part of it.

Graph builders (:mod:`.graphs`) turn model state into plain ``networkx``
graphs whose nodes and edges carry ``kind`` and ``label`` attributes;
:func:`describe_graph` says in words what a graph shows (every diagram in the
course has this text beside it); :mod:`.svg` draws a graph as a
self-contained SVG (no network, no matplotlib) with ``<title>``/``<desc>``,
the Okabe-Ito palette and a line style and label for every meaning, so colour
never carries it alone; :mod:`.widgets` holds the ipywidgets apps; :mod:`.trace`
draws one connection hop by hop (and steps through it); :mod:`.scaling` scales
the pods behind a Service and charts kube-proxy's cost as Services grow;
:mod:`.discovery` walks a pod's DNS search list and draws who can reach a
Service; :mod:`.ingress` shows which Ingress rule wins a request, and why;
:mod:`.cni` attaches pods through CNI calls, chooses a plugin from the feature
matrix and plays with network policies; :mod:`.figures` rebuilds the chapter's
communication figures (containers, pods, Services, ways in) from the model.

Nothing in the model imports this package, and this ``__init__`` loads its
submodules (and networkx, ipywidgets) only when a name is first used.

Examples
--------
>>> from kubelab import viz
>>> from kubelab.api import load_text
>>> pod = load_text('''
... apiVersion: v1
... kind: Pod
... metadata: {name: web}
... spec: {nodeName: kind-worker, containers: [{name: app, image: nginx}, {name: proxy, image: envoy}]}
... ''')[0]
>>> g = viz.channel_graph(pod)
>>> sorted(k for _, _, k in g.edges(keys=True))
['ipc', 'network']
>>> print(viz.describe_graph(g).splitlines()[0])
Channels between the containers of default/web
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "pod_graph": "graphs", "channel_graph": "graphs", "port_graph": "graphs", "docker_port_graph": "graphs",
    "process_port_graph": "graphs", "cluster_graph": "graphs", "describe_graph": "describe",
    "to_svg": "svg", "show": "svg", "PALETTE": "svg",
    "namespace_explorer": "widgets", "port_playground": "widgets", "interact": "widgets",
    "StaticWidgetsPreprocessor": "widgets",
    "trace_graph": "trace", "rule_table": "trace", "trace_stepper": "trace", "available_modes": "trace",
    "scaling_curve": "scaling", "line_chart": "scaling", "scaling_chart": "scaling", "scaling_explorer": "scaling",
    "endpoint_explorer": "scaling",
    "resolver_walk": "discovery", "lookup_html": "discovery", "reachability_graph": "discovery",
    "reachability_html": "discovery", "service_type_explorer": "discovery",
    "route_graph": "ingress", "decision_html": "ingress", "route_explorer": "ingress", "exposure_counts": "ingress",
    "request_url": "ingress",
    "ipam_explorer": "cni", "attachment_graph": "cni", "feature_matrix_html": "cni", "plugin_chooser": "cni",
    "policy_matrix_html": "cni", "policy_playground": "cni",
    "communication_graph": "figures", "Entry": "figures",
}

__all__ = sorted(_LAZY)  # noqa: PLE0605 - derived from the table above, one place per name


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kubelab.viz' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
