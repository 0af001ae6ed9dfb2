"""Gateway API, drawn: host, path, method and headers in; the backend out, with the winning rule marked.

* :func:`rule_rows` -- every rule of every HTTPRoute attached to a Gateway, one row a
  match (route, hostnames, listener, match, backends), in the model's precedence order;
* :func:`decision_html` -- one :class:`kubelab.gateway.GatewayDecision` and the rule table
  with the matching rule marked ``WINS`` (in words and in colour, so the mark does not
  rely on colour alone);
* :func:`gateway_explorer` -- the widget: pick a Gateway, type the request, see the answer.

The decisions come from :class:`kubelab.gateway.GatewayRouter` (built once per Gateway,
so a callback is one decision and one table); the app follows the course's widget
conventions (``controls``, ``html``, ``timings``; static HTML under
``NBGRADER_EXECUTION``).

Examples
--------
>>> from kubelab import Cluster
>>> from kubelab.examples import manifest
>>> c = Cluster(manifest("gateway-shop"))
>>> [r[0] for r in rule_rows(c, "infra/shared", "shop/store", 0)][:2]
['WINS', '']
"""

from __future__ import annotations

from html import escape
from typing import Any, Mapping

from ..gateway.router import GatewayDecision, GatewayRouter, _describe
from .widgets import _App, _table, _timed, quiet

__all__ = ["rule_rows", "decision_html", "render", "gateway_explorer", "GatewayExplorer", "parse_headers"]

_WIN = "background:#FFF4E5;border:2px solid #D55E00;padding:2px 6px;font-weight:bold"


def parse_headers(text: str) -> dict[str, str]:
    """``"x-env: beta; x-user: 7"`` -> ``{"x-env": "beta", "x-user": "7"}`` (entries without ``:`` are ignored).

    >>> parse_headers("x-env: beta; x-user:7")
    {'x-env': 'beta', 'x-user': '7'}
    """
    out = {}
    for part in text.split(";"):
        name, sep, value = part.partition(":")
        if sep and name.strip():
            out[name.strip()] = value.strip()
    return out


def rule_rows(router_or_cluster: Any, gateway: str | None = None, route: str | None = None,
              rule: int | None = None) -> list[list[str]]:
    """Rows ``[mark, route, hostnames, listener, match, backends]``, most specific first.

    ``WINS`` marks the row of ``route``/``rule`` (the decision's).
    """
    router = router_or_cluster if isinstance(router_or_cluster, GatewayRouter) else \
        GatewayRouter(router_or_cluster, gateway or "")
    rows, seen = [], set()
    for listener, buckets in router._table.items():
        for entries in buckets.values():
            for key, rt, i, j, m, hosts in entries:
                ident = (listener, rt.namespace, rt.name, i, j)
                if ident in seen:
                    continue
                seen.add(ident)
                name = f"{rt.namespace}/{rt.name}"
                backends = ", ".join(f"{b['name']}:{b.get('port', '')} (weight {b.get('weight', 1)})"
                                     for b in rt.spec["rules"][i].get("backendRefs", ())) or \
                    ", ".join(f["type"] for f in rt.spec["rules"][i].get("filters", ())) or "none"
                mark = "WINS" if (name, i) == (route, rule) else ""
                rows.append((key, [mark, f"{name} rules[{i}]", ", ".join(h or "*" for h in hosts), listener,
                                   _describe(m), backends]))
    rows.sort(key=lambda r: r[0])
    return [r for _, r in rows]


def decision_html(decision: GatewayDecision, rows: list[list[str]], url: str) -> str:
    """The decision as a table, the reasons in order, then the rule table with the winner marked."""
    summary = [["request", url], ["answer (first line of kubelab route)", decision.line],
               ["listener", decision.listener or "-"], ["HTTPRoute", decision.route or "-"],
               ["rule", f"rules[{decision.rule}].matches[{decision.match}]" if decision.rule is not None else "-"]]
    if decision.path and decision.target:
        summary.append(["forwarded as", f"Host {decision.host}, path {decision.path}"])
    if decision.mirrors:
        summary.append(["mirrored to", ", ".join(decision.mirrors)])
    html = _table(["", "value"], summary, f"Gateway decision for {url}")
    html += "<p><strong>Why, step by step:</strong></p><ol>" + "".join(
        f"<li>{escape(w)}</li>" for w in decision.why) + "</ol>"
    header = ["", "route and rule", "hostnames", "listener", "match", "backends or filters"]
    head = "".join(f"<th scope='col' style='border:1px solid #999;padding:2px 6px'>{escape(h)}</th>" for h in header)
    body = ""
    for row in rows:
        style = _WIN if row[0] else "border:1px solid #999;padding:2px 6px"
        body += "<tr>" + "".join(f"<td style='{style}'>{escape(c)}</td>" for c in row) + "</tr>"
    html += ("<table style='border-collapse:collapse;margin:4px 0'><caption style='text-align:left'>"
             "Every rule attached to this Gateway, most specific first (the row marked WINS answered)</caption>"
             f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    winner = next((r for r in rows if r[0]), None)
    html += "<p><em>In words:</em> " + escape(
        f"the request {url} reached listener {decision.listener}; " if decision.listener else
        f"the request {url} reached no listener; ") + escape(
        f"{winner[1]} ({winner[4]}) is the most specific rule that matches, so the answer is {decision.line}."
        if winner else f"no rule matches, so the answer is {decision.line}.") + "</p>"
    return html


def render(router: GatewayRouter, url: str, method: str = "GET", headers: dict[str, str] | None = None) -> str:
    """One request through ``router`` as HTML."""
    d = router.route(url, method, headers)
    return decision_html(d, rule_rows(router, route=d.route, rule=d.rule), url)


class GatewayExplorer(_App):
    """See :func:`gateway_explorer`."""

    PARTS = ("view",)

    def __init__(self, gateways: Mapping[str, tuple[Any, str]], host: str, path: str, headers: str) -> None:
        import ipywidgets as w

        self.routers = {label: GatewayRouter(cluster, gw) for label, (cluster, gw) in gateways.items()}
        self.timings: list[float] = []
        st = {"description_width": "initial"}
        self.controls = {
            "Gateway": w.Dropdown(options=list(self.routers), value=next(iter(self.routers)), description="Gateway",
                                  style=st),
            "Method": w.Dropdown(options=["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"], value="GET",
                                 description="Method", style=st),
            "Host": w.Text(value=host, description="Host", style=st, continuous_update=False),
            "Path": w.Text(value=path, description="Path", style=st, continuous_update=False),
            "Headers": w.Text(value=headers, description="Headers (name: value; ...)", style=st,
                              continuous_update=False),
        }
        for c in self.controls.values():
            c.observe(self._changed, names="value")
        self.view = w.HTML()
        c = self.controls
        self.widget = w.VBox([
            w.HTML("<p>Pick a Gateway, then type the request: kubelab.gateway says which HTTPRoute rule answers "
                   "and why; the rule table marks it WINS.</p>"),
            w.HBox([c["Gateway"], c["Method"]]), w.HBox([c["Host"], c["Path"]]), c["Headers"], self.view])
        self._refresh()

    @property
    def url(self) -> str:
        path = self.controls["Path"].value or "/"
        host = self.controls["Host"].value.strip() or "example.com"
        return f"http://{host}{path if path.startswith('/') else '/' + path}"

    def _refresh(self) -> None:
        from ..errors import KubelabError

        c = self.controls
        try:
            self.view.value = render(self.routers[c["Gateway"].value], self.url, c["Method"].value,
                                     parse_headers(c["Headers"].value))
        except KubelabError as exc:
            self.view.value = f"<p>Not a request the Gateway can route: {escape(str(exc))}</p>"

    def _changed(self, _change: Any = None) -> None:
        _timed(self.timings, self._refresh)


def gateway_explorer(gateways: Any, gateway: str | None = None, *, host: str = "example.com", path: str = "/",
                     headers: str = "") -> Any:
    """Type host, path and headers; see the backend, the reasons and the winning rule.

    Parameters
    ----------
    gateways
        A :class:`kubelab.Cluster` (with ``gateway``, ``NAMESPACE/NAME``), or a mapping
        ``{label: (Cluster, "NAMESPACE/NAME")}`` to choose from.

    Returns
    -------
    GatewayExplorer, or IPython.display.HTML of the first decision under ``NBGRADER_EXECUTION``
    """
    if not isinstance(gateways, Mapping):
        gateways = {gateway or "gateway": (gateways, gateway or "")}
    if not gateways:
        raise ValueError("give at least one Gateway")
    if quiet():
        from IPython.display import HTML

        cluster, gw = next(iter(gateways.values()))
        return HTML(render(GatewayRouter(cluster, gw), f"http://{host}{path}", "GET", parse_headers(headers)))
    return GatewayExplorer(gateways, host, path, headers)
