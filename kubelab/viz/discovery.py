"""Service discovery and service types, drawn: the resolver's search walk and the reachability matrix.

* :func:`lookup_html` -- one :func:`kubelab.dns.lookup` as a table: every
  query the pod's resolver sent, in order, to which nameserver, who answered
  (the cluster zone or the upstream resolver, i.e. a query that left the
  cluster) and the answer;
* :func:`resolver_walk` -- type a name (``db``, ``db.other``,
  ``example.com``, ``example.com.``), pick a record type and ``ndots``, and
  watch the search-list walk change;
* :func:`reachability_graph` / :func:`reachability_html` -- a
  :func:`kubelab.net.reachability` matrix as a diagram (sources on the left,
  the Service's addresses on the right, one line per cell that was delivered,
  labelled with the address the backend saw; failures listed in words) and as
  a table;
* :func:`service_type_explorer` -- switch one Service between ClusterIP,
  NodePort and LoadBalancer and ``externalTrafficPolicy`` Cluster/Local, and
  see the matrix recomputed.

Nothing here decides a DNS answer or a packet's fate: every row comes from
:func:`kubelab.dns.lookup` and every cell from a trace of
:meth:`kubelab.net.Network.connect`.  The apps follow the course's widget
conventions (``controls``, ``html``, ``timings``, driven by
:func:`kubelab.viz.interact`; static HTML under ``NBGRADER_EXECUTION``).

Examples
--------
>>> import kubelab
>>> from kubelab.net import reachability
>>> c = kubelab.Cluster('''
... apiVersion: v1
... kind: Service
... metadata: {name: web}
... spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
... ---
... apiVersion: v1
... kind: Pod
... metadata: {name: web-1, labels: {app: web}}
... spec: {nodeName: kind-worker, containers: [{name: app, image: nginx, ports: [{containerPort: 8080}]}]}
... ''')
>>> g = reachability_graph(reachability(c, "web"))
>>> sorted({d["kind"] for _, _, d in g.edges(data=True)})
['reaches']
>>> any("outside" in n and "no route" in n for n in g.graph["notes"])
True
"""

from __future__ import annotations

import copy as _copy
from html import escape
from typing import Any, Mapping

import networkx as nx

from . import describe as _describe
from . import svg as _svg
from .svg import PALETTE, figure_html
from .widgets import _App, _table, _timed, quiet

__all__ = ["lookup_rows", "lookup_html", "resolver_walk", "ResolverWalk", "reachability_graph", "reachability_html",
           "service_type_explorer", "ServiceTypeExplorer", "SERVICE_TYPES", "TRAFFIC_POLICIES"]

#: The types the explorer switches between (ExternalName and headless have no addresses to reach).
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
TRAFFIC_POLICIES = ("Cluster", "Local")

_svg.NODE_STYLES.setdefault("client", (PALETTE["blue"], "#FFFFFF", "round", "",
                                       "rounded: where a client connects from"))
_svg.NODE_STYLES.setdefault("address", (PALETTE["bluish green"], "#FFFFFF", "rect", "",
                                        "box: an address of the Service"))
_svg.EDGE_STYLES.setdefault("reaches", (PALETTE["bluish green"], "", 2, "solid: delivered (label: who the pod sees)"))
_describe.KIND_WORDS.setdefault("client", "client")
_describe.KIND_WORDS.setdefault("address", "service address")
_describe.EDGE_WORDS.setdefault("reaches", "reaches")


# ---------------------------------------------------------------------------------------------- the resolver walk
def lookup_rows(result: Any) -> list[list[str]]:
    """``[#, query, nameserver, answered by, status, answer]`` for each query of a :class:`kubelab.dns.Lookup`."""
    rows = []
    for i, q in enumerate(result.queries, 1):
        who = "cluster DNS (kubernetes plugin)" if q.answer.source == "cluster" else "upstream (leaves the cluster)"
        data = "; ".join(f"{r.type} {r.data}" for r in q.answer.records) or "-"
        rows.append([str(i), q.name, q.nameserver, who, q.status, data])
    return rows


def lookup_html(result: Any) -> str:
    """The resolv.conf the pod got, the queries of one lookup, and a one-line verdict, as HTML."""
    conf = result.resolv_conf
    leaks = [q for q in result.queries if q.answer.source != "cluster"]
    wasted = [q for q in result.queries if not q.answer.found]
    parts = [f"<p><strong>/etc/resolv.conf</strong> (dnsPolicy {escape(conf.policy or '?')}, ndots "
             f"{conf.ndots}):</p><pre>{escape(conf.text())}</pre>",
             _table(["#", "query sent", "to", "answered by", "status", "answer"], lookup_rows(result),
                    f"Queries for {result.name!r} ({result.type}), in the order the resolver sent them")]
    outcome = f"{result.status}: {len(result.queries)} quer{'y' if len(result.queries) == 1 else 'ies'} sent"
    if result.found:
        outcome += f", {len(wasted)} of them answered NXDOMAIN/NODATA before the one that worked"
    if leaks:
        outcome += f"; {len(leaks)} went past the cluster zone to the upstream resolver"
    parts.append(f"<p><strong>Outcome:</strong> {escape(outcome)}.</p>")
    return "".join(parts)


class ResolverWalk(_App):
    """See :func:`resolver_walk`."""

    PARTS = ("view",)

    def __init__(self, cluster: Any, pod: Any, name: str, qtype: str, upstream: Mapping[str, Any] | None) -> None:
        import ipywidgets as w

        from ..dns import pod_resolv_conf

        self.cluster, self.pod, self.upstream = cluster, pod, upstream
        self.base_conf = pod_resolv_conf(cluster, pod)
        self.timings: list[float] = []
        st = {"description_width": "initial"}
        self.controls = {
            "Name": w.Text(value=name, description="Name", style=st, continuous_update=False,
                           tooltip="a name as a program would pass it to getaddrinfo"),
            "Type": w.Dropdown(options=["A", "AAAA", "SRV", "CNAME"], value=qtype, description="Type", style=st),
            "ndots": w.IntSlider(value=self.base_conf.ndots, min=1, max=15, description="ndots", style=st,
                                 continuous_update=False, tooltip="options ndots:N in resolv.conf"),
        }
        for c in self.controls.values():
            c.observe(self._changed, names="value")
        self.view = w.HTML()
        ref = f"{pod.namespace or 'default'}/{pod.name}"
        self.widget = w.VBox([
            w.HTML(f"<p>The resolver of pod <code>{escape(ref)}</code>: type a name, and kubelab.dns.lookup lists "
                   "every query it sends, in order. Try <code>db</code>, <code>db.other</code>, "
                   "<code>example.com</code> and <code>example.com.</code>, then lower ndots.</p>"),
            w.HBox([self.controls["Name"], self.controls["Type"], self.controls["ndots"]]), self.view])
        self._refresh()

    def conf(self) -> Any:
        conf = _copy.deepcopy(self.base_conf)
        ndots = int(self.controls["ndots"].value)
        conf.options = [o for o in conf.options if not o.startswith("ndots:")] + [f"ndots:{ndots}"]
        return conf

    @property
    def result(self) -> Any:
        from ..dns import lookup

        name = self.controls["Name"].value.strip()
        return lookup(self.cluster, self.pod, name, self.controls["Type"].value, upstream=self.upstream,
                      resolv_conf=self.conf()) if name else None

    def _refresh(self) -> None:
        r = self.result
        self.view.value = lookup_html(r) if r is not None else "<p>Type a name.</p>"

    def _changed(self, _change: Any = None) -> None:
        _timed(self.timings, self._refresh)


def _find_pod(cluster: Any, pod: Any) -> Any:
    if not isinstance(pod, str):
        return pod
    ns, _, name = pod.rpartition("/")
    return cluster.pod(name, ns or "default")


def resolver_walk(cluster: Any, pod: Any, name: str = "db", *, qtype: str = "A",
                  upstream: Mapping[str, Any] | None = None) -> Any:
    """The search-list walk of ``pod``'s resolver for a name you type.

    Parameters
    ----------
    cluster
        A :class:`kubelab.Cluster`.
    pod
        The pod (object, ``name`` or ``ns/name``) whose ``/etc/resolv.conf`` is used.
    name, qtype
        The first name and record type shown.
    upstream
        What the modelled upstream resolver knows (see :class:`kubelab.dns.ClusterDNS`).

    Returns
    -------
    ResolverWalk, or IPython.display.HTML of the first lookup under ``NBGRADER_EXECUTION``
    """
    p = _find_pod(cluster, pod)
    if quiet():
        from IPython.display import HTML

        from ..dns import lookup

        return HTML(lookup_html(lookup(cluster, p, name, qtype, upstream=upstream)))
    return ResolverWalk(cluster, p, name, qtype, upstream)


# ---------------------------------------------------------------------------------------------- reachability
def _seen(cell: Any) -> str:
    return (cell.source_seen or "?").rsplit(":", 1)[0]


def reachability_graph(matrix: Any) -> nx.DiGraph:
    """A :class:`kubelab.net.Reachability` as a diagram: one line per delivered cell, failures in the notes.

    Sources (``client`` boxes) are on the left, the Service's addresses
    (``address`` boxes) on the right.  A ``reaches`` edge is labelled with the
    backend and the client address it saw; a cell that was not delivered has
    no line and a note saying its verdict, so the drawing and its text carry
    the whole matrix.
    """
    g = nx.DiGraph(title=f"Who reaches {matrix.service} port {matrix.port}, traced", layout="layers", notes=[])
    for i, s in enumerate(matrix.sources):
        g.add_node(f"src:{s}", kind="client", label=s, layer=0, order=i, detail=f"a new connection from {s}")
    for i, t in enumerate(matrix.targets):
        g.add_node(f"dst:{t}", kind="address", label=t.replace(" ", "\n", 1), layer=1, order=i,
                   detail=f"{t} of {matrix.service}")
    for c in matrix.cells:
        if c.verdict == "delivered":
            g.add_edge(f"src:{c.source}", f"dst:{c.target}", kind="reaches",
                       label=f"{(c.backend or '').split('/')[-1]} sees {_seen(c)}")
        else:
            g.graph["notes"].append(f"{c.source} -> {c.target}: {c.verdict}")
    g.graph["notes"].extend(matrix.notes)
    if not matrix.cells and not matrix.notes:
        g.graph["notes"].append("nothing to reach")
    return g


def reachability_html(matrix: Any) -> str:
    """The matrix as an HTML table: each cell says the verdict in words (and the backend, and the source it saw)."""
    if not matrix.targets:
        return "<p>" + escape(" ".join(matrix.notes) or "No addresses to reach.") + "</p>"
    # A delivered cell's short() already starts with "ok" (ok -> web-1 (sees ...)); a failure says FAILS once.
    rows = [[s, *(("" if matrix.cell(s, t).verdict == "delivered" else "FAILS: ") + matrix.cell(s, t).short()
                  for t in matrix.targets)] for s in matrix.sources]
    html = _table(["from \\ to", *matrix.targets], rows,
                  f"Reachability of {matrix.service} port {matrix.port}: each cell is one traced connection")
    if matrix.notes:
        html += "<p>" + escape("; ".join(matrix.notes)) + "</p>"
    return html


def _variant_doc(cluster: Any, service: str, namespace: str, stype: str, policy: str) -> tuple[dict, str]:
    """The Service's manifest with type ``stype`` (and ``policy`` where the API allows one), and a note."""
    doc = cluster.get("svc", service, namespace).to_dict()
    doc.pop("status", None)
    spec = doc["spec"]
    spec["type"] = stype
    note = ""
    if stype != "LoadBalancer":  # fields the API server accepts on a LoadBalancer Service only
        for name in ("allocateLoadBalancerNodePorts", "loadBalancerClass", "loadBalancerSourceRanges"):
            spec.pop(name, None)
    if stype != "LoadBalancer" or policy != "Local":  # allocated for LoadBalancer + Local only
        spec.pop("healthCheckNodePort", None)
    if stype == "ClusterIP":
        spec.pop("externalTrafficPolicy", None)
        for p in spec.get("ports", []):
            p.pop("nodePort", None)
        if policy != "Cluster":
            note = "externalTrafficPolicy applies to NodePort and LoadBalancer Services only: ignored for ClusterIP."
    else:
        spec["externalTrafficPolicy"] = policy
    return doc, note


def _variant_matrix(cluster: Any, service: str, namespace: str, stype: str, policy: str) -> tuple[Any, str]:
    """The reachability matrix of the Service as :func:`_variant_doc` changes it (in a copy), and the note.

    The variant is a throwaway copy already, so the matrix's probe pods go into it, applied together
    with the changed Service (one copy of the store and one apply per choice, not two and three).
    """
    from ..net.reachability import _reachability

    doc, note = _variant_doc(cluster, service, namespace, stype, policy)
    return _reachability(cluster.copy(), service, namespace, private=True, changes=(doc,)), note


class ServiceTypeExplorer(_App):
    """See :func:`service_type_explorer`."""

    PARTS = ("view",)

    def __init__(self, cluster: Any, service: str, namespace: str, stype: str, policy: str) -> None:
        import ipywidgets as w

        self.cluster, self.service, self.namespace = cluster, service, namespace
        self.timings: list[float] = []
        self._cache: dict[tuple[str, str], tuple[Any, str]] = {}
        st = {"description_width": "initial"}
        self.controls = {
            "Type": w.ToggleButtons(options=list(SERVICE_TYPES), value=stype, description="Type", style=st),
            "externalTrafficPolicy": w.ToggleButtons(options=list(TRAFFIC_POLICIES), value=policy,
                                                     description="externalTrafficPolicy", style=st),
        }
        for c in self.controls.values():
            c.observe(self._changed, names="value")
        self.view = w.HTML()
        self.widget = w.VBox([
            w.HTML(f"<p>Service <code>{escape(namespace)}/{escape(service)}</code>: change its type or its "
                   "externalTrafficPolicy; every cell below is a connection traced by kubelab.net.</p>"),
            self.controls["Type"], self.controls["externalTrafficPolicy"], self.view])
        self._refresh()

    def matrix(self) -> tuple[Any, str]:
        key = (self.controls["Type"].value, self.controls["externalTrafficPolicy"].value)
        if key not in self._cache:
            self._cache[key] = _variant_matrix(self.cluster, self.service, self.namespace, *key)
        return self._cache[key]

    def _refresh(self) -> None:
        m, note = self.matrix()
        self.view.value = render_matrix(m, note)

    def _changed(self, _change: Any = None) -> None:
        _timed(self.timings, self._refresh)


def render_matrix(matrix: Any, note: str = "") -> str:
    """The table, then the diagram with its text description."""
    return (f"<p>{escape(note)}</p>" if note else "") + reachability_html(matrix) + figure_html(
        reachability_graph(matrix))


def service_type_explorer(cluster: Any, service: str, namespace: str = "default", *, type: str | None = None,
                          policy: str | None = None) -> Any:
    """One Service's reachability matrix, with its type and ``externalTrafficPolicy`` switchable.

    The cluster itself is not changed: each choice is applied to a copy.

    Returns
    -------
    ServiceTypeExplorer, or IPython.display.HTML of the starting matrix under ``NBGRADER_EXECUTION``
    """
    svc = cluster.get("svc", service, namespace)
    stype = type or (svc.spec.type if svc.spec.type in SERVICE_TYPES else "ClusterIP")
    pol = policy or svc.spec.external_traffic_policy or "Cluster"
    if stype not in SERVICE_TYPES or pol not in TRAFFIC_POLICIES:
        raise ValueError(f"type must be one of {SERVICE_TYPES} and policy one of {TRAFFIC_POLICIES}")
    if quiet():
        from IPython.display import HTML

        return HTML(render_matrix(*_variant_matrix(cluster, service, namespace, stype, pol)))
    return ServiceTypeExplorer(cluster, service, namespace, stype, pol)

