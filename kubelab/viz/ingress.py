"""Ingress, drawn: the controller's servers and locations, which rule wins a request, and why.

* :func:`route_graph` -- the route table an ingress-nginx-like controller
  builds from the Ingresses it serves (servers by host, their path
  locations, the Services they send to); with a decision, the server the
  request's host chose and the winning location are marked ``WINS`` in words;
* :func:`decision_html` -- one :class:`kubelab.ingress.RouteDecision` as a
  table: target, HTTP status, the rule (its field path), the reasons in
  order, and for HTTPS the certificate presented (names, issuer, fake or
  not; never key material);
* :func:`route_explorer` -- pick a set of Ingresses, type a host and a path,
  switch http/https, and see which rule wins;
* :func:`exposure_counts` -- the chapter's question 5 in numbers: exposing N
  HTTP Services with one LoadBalancer each, or with one Ingress controller.

Every decision comes from :func:`kubelab.ingress.route`; every count from a
:class:`kubelab.Cluster` the function builds.  The app follows the course's
widget conventions (``controls``, ``html``, ``timings``,
:func:`kubelab.viz.interact`; static HTML under ``NBGRADER_EXECUTION``).

Examples
--------
>>> import kubelab
>>> from kubelab import ingress
>>> c = kubelab.Cluster('''
... apiVersion: networking.k8s.io/v1
... kind: Ingress
... metadata: {name: fanout}
... spec:
...   rules:
...   - host: foo.com
...     http:
...       paths:
...       - {path: /foo, pathType: Prefix, backend: {service: {name: service-1, port: {number: 8080}}}}
...       - {path: /bar, pathType: Prefix, backend: {service: {name: service-2, port: {number: 8080}}}}
... ''')
>>> g = route_graph(c, ingress.route(c, "http://foo.com/bar/x"))
>>> [d["label"].split("\\n")[0] for _, d in g.nodes(data=True) if d["kind"] == "location-winner"]
['WINS: Prefix /bar']
"""

from __future__ import annotations

from html import escape
from typing import Any, Mapping

import networkx as nx

from . import describe as _describe
from . import svg as _svg
from .svg import PALETTE, figure_html
from .widgets import _App, _table, _timed, quiet

__all__ = ["route_graph", "decision_html", "route_explorer", "RouteExplorer", "exposure_counts", "EXAMPLE_LB_PRICE",
           "request_url"]

#: An *example* monthly price of one cloud load balancer, for arithmetic only: not a quote from any provider.
EXAMPLE_LB_PRICE = 18.0

_svg.NODE_STYLES.setdefault("request", (PALETTE["black"], "#F2F2F2", "round", "", "grey rounded: the request"))
_svg.NODE_STYLES.setdefault("server", (PALETTE["blue"], "#FFFFFF", "rect", "", "box: a server (one per host)"))
_svg.NODE_STYLES.setdefault("server-chosen", (PALETTE["vermillion"], "#FFF4E5", "rect", "",
                                              "orange box marked 'CHOSEN': the server the host selected"))
_svg.NODE_STYLES.setdefault("location", (PALETTE["blue"], "#FFFFFF", "round", "2 3",
                                         "rounded dotted: a location (pathType and path)"))
_svg.NODE_STYLES.setdefault("location-winner", (PALETTE["vermillion"], "#FFF4E5", "round", "",
                                                "orange rounded marked 'WINS': the location that answers"))
_svg.NODE_STYLES.setdefault("backend", (PALETTE["bluish green"], "#FFFFFF", "rect", "",
                                        "green box: a Service backend"))
_svg.EDGE_STYLES.setdefault("host", (PALETTE["vermillion"], "", 2.5, "thick: the Host header selects this server"))
_svg.EDGE_STYLES.setdefault("location", (PALETTE["black"], "2 4", 1.5, "dotted: server has this location"))
_svg.EDGE_STYLES.setdefault("routes", (PALETTE["bluish green"], "", 2, "solid: location sends to this Service"))
for _k, _w in (("request", "request"), ("server", "server"), ("server-chosen", "server (CHOSEN by the host)"),
               ("location", "location"), ("location-winner", "location (WINS)"), ("backend", "backend")):
    _describe.KIND_WORDS.setdefault(_k, _w)
_describe.EDGE_WORDS.setdefault("host", "selects")
_describe.EDGE_WORDS.setdefault("location", "has")
_describe.EDGE_WORDS.setdefault("routes", "sends to")


def request_url(host: str, path: str = "/", scheme: str = "http") -> str:
    """The URL of a request for ``host`` and ``path`` (what the explorer builds from its fields).

    >>> request_url("ssl.foo.com", scheme="https")
    'https://ssl.foo.com/'
    """
    path = path.strip() or "/"
    return f"{scheme}://{host.strip() or 'localhost'}{path if path.startswith('/') else '/' + path}"


def _controller(cluster_or_controller: Any) -> Any:
    from ..ingress import IngressController

    if isinstance(cluster_or_controller, IngressController):
        return cluster_or_controller
    return IngressController(cluster_or_controller, seed=0)


def _backend_label(ns: str, backend: Any) -> str:
    if backend is None:
        return "?"
    if getattr(backend, "resource", None) is not None:
        return f"{ns}/{backend.resource.get('kind')}/{backend.resource.get('name')}"
    port = backend.service.port
    return f"{ns}/{backend.service.name}:{(port.number or port.name) if port else '?'}"


def route_graph(cluster: Any, decision: Any = None) -> nx.DiGraph:
    """Servers, locations and backends of the controller's route table; ``decision`` marks the winner.

    Node kinds: ``request`` (with a decision), ``server`` / ``server-chosen``,
    ``location`` / ``location-winner`` (a path rule, or a server's default
    backend), ``backend``.  Labels of the chosen server and the winning
    location start with ``CHOSEN`` and ``WINS``.
    """
    ctl = _controller(cluster)
    table = ctl.table
    title = "Ingress routes" + (f": {decision.method} {decision.scheme}://{decision.host}{decision.path} -> "
                                f"{decision.target}" if decision is not None else "")
    g = nx.DiGraph(title=title, layout="layers", notes=[])
    servers = [table.exact[h] for h in table.exact] + [table.wildcard[k] for k in table.wildcard] + [table.catch_all]
    chosen = decision.server if decision is not None else None
    backends: dict[str, int] = {}
    loc_order = 0
    if decision is not None:
        g.add_node("request", kind="request", label=f"{decision.method} {decision.host}{decision.path}\n"
                   f"({decision.scheme})", layer=0, order=0,
                   detail=f"the request, Host {decision.host}, path {decision.path}")
    for i, server in enumerate(servers):
        if server is table.catch_all and not server.rules and server.default is None and chosen != server.name:
            continue
        sid = f"server:{server.name}"
        is_chosen = server.name == chosen
        name = server.name if server.name != "_" else "_ (catch-all)"
        g.add_node(sid, kind="server-chosen" if is_chosen else "server",
                   label=("CHOSEN: " if is_chosen else "") + name, layer=1, order=i,
                   detail=f"server {name}" + (f", created by Ingress {server.owner}" if server.owner else ""))
        if is_chosen:
            g.add_edge("request", sid, kind="host", label=f"Host {decision.host}")
        locations = [(f"{r.path_type} {r.path}", r.namespace, r.backend, r) for r in server.rules]
        if server.default is not None:
            ref, ns, backend = server.default
            locations.append(("defaultBackend", ns, backend, None))
        for label, ns, backend, rule in locations:
            lid = f"loc:{server.name}:{loc_order}"
            wins = decision is not None and is_chosen and (
                (rule is not None and decision.rule is not None and decision.match == "rule"
                 and decision.rule.get("field") == rule.field and decision.ingress == rule.ingress)
                or (rule is None and decision.match == "default-backend"))
            detail = f"{label} in Ingress {rule.ingress} ({rule.field})" if rule is not None else \
                f"the defaultBackend of Ingress {server.default[0]}"
            g.add_node(lid, kind="location-winner" if wins else "location", label=("WINS: " if wins else "") + label,
                       layer=2, order=loc_order, detail=detail)
            loc_order += 1
            g.add_edge(sid, lid, kind="location", label="")
            target = _backend_label(ns, backend)
            if target not in backends:
                backends[target] = len(backends)
                g.add_node(f"svc:{target}", kind="backend", label=target, layer=3, order=backends[target],
                           detail=f"Service {target}")
            g.add_edge(lid, f"svc:{target}", kind="routes", label="")
    if decision is not None:
        g.graph["notes"] = [f"Decision: HTTP {decision.status}, target {decision.target}.", *decision.why]
        if decision.match == "none" and f"server:{chosen}" not in g:
            g.add_node(f"server:{chosen}", kind="server-chosen", label=f"CHOSEN: {chosen}", layer=1, order=99,
                       detail="the catch-all server, with no rules: the controller's 404")
            g.add_edge("request", f"server:{chosen}", kind="host", label=f"Host {decision.host}")
    not_served = ctl.not_served()
    g.graph["notes"].extend(f"Not served by this controller: {ref}: {why}" for ref, why in not_served.items())
    return g


def decision_html(decision: Any) -> str:
    """One routing decision as HTML: the outcome, the reasons in order, and the certificate for HTTPS."""
    rule = decision.rule or {}
    rows = [["request", f"{decision.method} {decision.url}"],
            ["host / path", f"{decision.host} {decision.path}"],
            ["server chosen by host", decision.server],
            ["answered by", {"rule": "a path rule", "default-backend": "a defaultBackend",
                             "none": "nobody: the controller's 404"}.get(decision.match, decision.match)],
            ["Ingress", decision.ingress or "-"],
            ["winning rule", f"{rule.get('pathType')} {rule.get('path')} ({rule.get('field')})" if rule else "-"],
            ["target", decision.target], ["HTTP status", str(decision.status)]]
    if decision.redirect:
        rows.append(["redirect", decision.redirect])
    if decision.canary:
        rows.append(["canary", ", ".join(f"{k}={v}" for k, v in decision.canary.items())])
    html = _table(["", "value"], rows, f"Routing decision for {decision.url}")
    html += "<p><strong>Why, step by step:</strong></p><ol>" + "".join(
        f"<li>{escape(w)}</li>" for w in decision.why) + "</ol>"
    if decision.tls is not None:
        t = decision.tls
        cert = t.certificate
        trows = [["SNI sent", t.sni or "(none)"], ["server", t.server],
                 ["certificate subject", cert.subject], ["issuer", cert.issuer + (" (self-signed)" if cert.self_signed
                                                                                    else "")],
                 ["names (SAN)", ", ".join(cert.dns_names) or "none"],
                 ["the controller's fake certificate?", "YES" if cert.fake else "no"],
                 ["from Secret", t.secret or "-"],
                 ["a browser accepts it for this host?", "yes" if t.hostname_verified else "NO: name mismatch"]]
        html += _table(["", "value"], trows, "TLS: the certificate presented (no key material is read out)")
        html += "<ol>" + "".join(f"<li>{escape(w)}</li>" for w in t.why) + "</ol>"
    return html


def render_route(cluster: Any, url: str) -> str:
    from ..ingress import route

    d = route(cluster, url, seed=0)
    return decision_html(d) + figure_html(route_graph(cluster, d))


class RouteExplorer(_App):
    """See :func:`route_explorer`."""

    PARTS = ("view",)

    def __init__(self, clusters: Mapping[str, Any], host: str, path: str, scheme: str) -> None:
        import ipywidgets as w

        self.clusters = dict(clusters)
        self.timings: list[float] = []
        st = {"description_width": "initial"}
        self.controls = {
            "Ingress": w.Dropdown(options=list(self.clusters), value=next(iter(self.clusters)), description="Ingress",
                                  style=st),
            "Scheme": w.ToggleButtons(options=["http", "https"], value=scheme, description="Scheme", style=st),
            "Host": w.Text(value=host, description="Host", style=st, continuous_update=False),
            "Path": w.Text(value=path, description="Path", style=st, continuous_update=False),
        }
        for c in self.controls.values():
            c.observe(self._changed, names="value")
        self.view = w.HTML()
        c = self.controls
        self.widget = w.VBox([
            w.HTML("<p>Pick a set of Ingresses, then type the Host header and the path of a request: "
                   "kubelab.ingress.route says which rule wins and why; the diagram marks it WINS.</p>"),
            c["Ingress"], w.HBox([c["Scheme"], c["Host"], c["Path"]]), self.view])
        self._refresh()

    @property
    def url(self) -> str:
        c = self.controls
        return request_url(c["Host"].value, c["Path"].value, c["Scheme"].value)

    def _refresh(self) -> None:
        from ..errors import KubelabError

        try:
            self.view.value = render_route(self.clusters[self.controls["Ingress"].value], self.url)
        except KubelabError as exc:
            self.view.value = f"<p>Not a request the controller can route: {escape(str(exc))}</p>"

    def _changed(self, _change: Any = None) -> None:
        _timed(self.timings, self._refresh)


def route_explorer(clusters: Any, *, host: str = "foo.com", path: str = "/foo", scheme: str = "http") -> Any:
    """Type a host and a path; see the winning rule, the reasons and (HTTPS) the certificate.

    Parameters
    ----------
    clusters
        A :class:`kubelab.Cluster`, or a mapping ``{label: Cluster}`` to choose from
        (for example the chapter's five variants).

    Returns
    -------
    RouteExplorer, or IPython.display.HTML of the first decision under ``NBGRADER_EXECUTION``
    """
    if not isinstance(clusters, Mapping):
        clusters = {"cluster": clusters}
    if not clusters:
        raise ValueError("give at least one cluster")
    if quiet():
        from IPython.display import HTML

        first = next(iter(clusters.values()))
        return HTML(render_route(first, request_url(host, path, scheme)))
    return RouteExplorer(clusters, host, path, scheme)


def exposure_counts(n: int, *, price: float = EXAMPLE_LB_PRICE) -> dict[str, dict[str, Any]]:
    """Expose ``n`` HTTP Services from outside, two ways, and count what the model allocated.

    ``"LoadBalancer each"``: ``n`` Services of type LoadBalancer.  ``"one Ingress"``:
    ``n`` ClusterIP Services, one Ingress with a host rule for each, and the
    ingress controller (:func:`kubelab.ingress.install`, itself one LoadBalancer
    Service).  For each: load balancer addresses asked for and given (the
    simulated pool may run out), node ports opened on every node, Ingress
    rules, and ``monthly`` = addresses asked for x ``price`` (an example price).
    """
    import kubelab
    from ..ingress import IngressController, install

    def counts(c: Any) -> dict[str, Any]:
        lbs = [s for s in c.services() if s.spec.type == "LoadBalancer"]
        given = [s for s in lbs if s.status.load_balancer and s.status.load_balancer.ingress]
        node_ports = sum(1 for s in c.services() for p in s.spec.ports if p.node_port)
        rules = IngressController(c, seed=0).table.rule_count
        return {"load balancers asked": len(lbs), "load balancer addresses given": len(given),
                "node ports (open on every node)": node_ports, "ingress rules": rules,
                "monthly (example price)": round(len(lbs) * price, 2)}

    docs = []
    for i in range(n):
        docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"app-{i}"},
                     "spec": {"type": "LoadBalancer", "selector": {"app": f"app-{i}"},
                              "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
    each = kubelab.Cluster()
    each.apply(docs)
    one = kubelab.Cluster()
    install(one)
    for d in docs:
        d["spec"]["type"] = "ClusterIP"
    rules = [{"host": f"app-{i}.example.com", "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": f"app-{i}", "port": {"number": 80}}}}]}}
        for i in range(n)]
    one.apply([*docs, {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "apps"},
                       "spec": {"ingressClassName": "nginx", "rules": rules}}])
    return {"LoadBalancer each": counts(each), "one Ingress": counts(one)}
