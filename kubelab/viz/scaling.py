"""Scaling, two ways: the pods behind one Service, and the number of Services a node's kube-proxy handles.

* :func:`endpoint_explorer` -- a widget on a copy of a cluster: scale the pods
  behind a Service up and down (like a Deployment's ``replicas``) and toggle a
  pod's readiness, then read what the EndpointSlice controller and the
  (deprecated) Endpoints controller wrote, next to the cluster diagram.
  New pods get the next free address from host-local, so the learner sees
  pod IPs change while the ClusterIP stays.
* :func:`scaling_curve` -- for one kube-proxy mode, at a few cluster sizes,
  how many rules a node holds and how many rules the first packet of a new
  connection is checked against.  Sizes up to :data:`MEASURED_UP_TO` services
  are measured in the model (a cluster of that many Services, a real
  :meth:`~kubelab.Cluster.connect` from a pod to the service whose
  ``KUBE-SERVICES`` rule comes last); larger ones are extended along the
  line through the two largest measurements and are marked *extrapolated*
  (tracing 5000 services in the model would take a minute).  Points are
  computed once per process (cached), so the widget only draws.
* :func:`line_chart` -- a small self-contained SVG line chart (no matplotlib)
  with ``<title>``/``<desc>``, a marker shape and line pattern per series and
  a text description, the same accessibility rules as :mod:`.svg`.
* :func:`scaling_explorer` -- a slider over :data:`SIZES` and a choice of
  figure; the chart marks the chosen size and a table gives the numbers.

In nftables mode the first packet meets the same few rules at any size: one
verdict-map lookup (``service-ips``) replaces iptables' walk of ``KUBE-SERVICES``.
Published anchors the notebook names beside the chart: KEP-3866 (the
nftables mode) gives the growth of iptables first-packet latency with the
number of Services as a reason for a new backend; KEP-3453 (minimizing
``iptables-restore`` input) deals with the cost of rewriting the whole
ruleset on every change.  The model counts rules, not microseconds.

Examples
--------
>>> pts = scaling_curve("iptables", sizes=(10, 20), measured_up_to=20)
>>> [p.services for p in pts], pts[1].evaluated - pts[0].evaluated
([10, 20], 10.0)
"""

from __future__ import annotations

import copy
import functools
import hashlib
import math
from dataclasses import dataclass
from html import escape
from typing import Any, Sequence
from xml.sax.saxutils import escape as xml_escape

from ..errors import NotFoundError
from .svg import PALETTE, figure_html
from .widgets import _App, _table, _timed, quiet

__all__ = ["ScalePoint", "SIZES", "MEASURED_UP_TO", "ENDPOINTS_PER_SERVICE", "scaling_curve", "scaling_cluster",
           "line_chart", "scaling_chart", "scaling_explorer", "ScalingExplorer", "endpoint_explorer",
           "EndpointExplorer", "METRICS"]

#: The sizes offered (number of Services, besides the cluster's own).
SIZES = (10, 50, 100, 250, 500, 1000, 2500, 5000)
#: Sizes up to this are measured in the model; larger ones are extrapolated.
MEASURED_UP_TO = 100
#: Ready pods behind every Service of the scaling cluster.
ENDPOINTS_PER_SERVICE = 2
#: figure key -> (axis title, what it means)
METRICS = {
    "evaluated": ("rules checked by the first packet",
                  "packet-filter rules a new connection's first packet is checked against on the client's node"),
    "rules": ("packet-filter rules on the node",
              "iptables rules (iptables mode) or rules of the kube-proxy nftables table (nftables mode) kube-proxy "
              "keeps on one node; nftables keeps the Service addresses as elements of verdict maps and IPVS its "
              "per-Service state in IPVS tables and ipsets, both found by hash and not counted here"),
}
_SERIES_STYLE = [  # colour, dash, marker
    (PALETTE["vermillion"], "", "circle"), (PALETTE["blue"], "8 4", "square"),
    (PALETTE["bluish green"], "2 4", "triangle"), (PALETTE["reddish purple"], "12 4 2 4", "diamond"),
]


@dataclass(frozen=True)
class ScalePoint:
    """One size: ``services`` Services; ``rules`` programmed; ``evaluated`` for one new connection."""

    mode: str
    services: int
    rules: float | None
    evaluated: float
    measured: bool


_CLIENT = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
           "spec": {"nodeName": "kind-worker", "containers": [{"name": "app", "image": "curl"}]}}


@functools.lru_cache(maxsize=16)
def scaling_cluster(services: int, endpoints: int = ENDPOINTS_PER_SERVICE) -> Any:
    """A cluster with ``services`` Services ``svc-0000``... all selecting the same ``endpoints`` pods, and a client.

    Sharing the pods keeps the cluster small (a node's /24 holds 253 pods)
    while every Service still gets its own chains and endpoint rules.
    """
    from .. import Cluster

    docs: list[dict] = [_CLIENT]
    for i in range(endpoints):
        docs.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"web-{i + 1}", "labels": {"app": "web"}},
                     "spec": {"nodeName": "kind-worker2", "containers": [{"name": "app", "image": "nginx"}]}})
    for i in range(services):
        docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{i:04d}"},
                     "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}})
    return Cluster(docs)


@functools.lru_cache(maxsize=64)
def _measure(mode: str, services: int) -> ScalePoint:
    """One measured point (cached: the explorer's curves and its table ask for the same sizes)."""
    from ..net import Network

    cluster = scaling_cluster(services)
    net = Network(cluster, mode=mode, seed=1)
    trace = net.connect("client", f"svc-{services - 1:04d}", 80)
    rules = getattr(net.proxier("kind-worker"), "rule_count", None)
    return ScalePoint(mode, services, float(rules) if rules is not None else None, float(trace.rules_evaluated), True)


@functools.lru_cache(maxsize=32)
def scaling_curve(mode: str, sizes: Sequence[int] = SIZES,
                  measured_up_to: int = MEASURED_UP_TO) -> tuple[ScalePoint, ...]:
    """The points of ``mode`` at ``sizes``: measured up to ``measured_up_to``, extrapolated beyond (cached)."""
    sizes = tuple(sorted(sizes))
    measured = [_measure(mode, n) for n in sizes if n <= measured_up_to]
    if not measured:
        raise ValueError("measure at least one size")
    out = list(measured)
    a, b = (measured[-2], measured[-1]) if len(measured) > 1 else (measured[-1], measured[-1])

    def extend(ya: float | None, yb: float | None, n: int) -> float | None:
        if ya is None or yb is None:
            return None
        if b.services == a.services:
            return yb
        return yb + (yb - ya) * (n - b.services) / (b.services - a.services)

    for n in sizes:
        if n > measured_up_to:
            out.append(ScalePoint(mode, n, extend(a.rules, b.rules, n), extend(a.evaluated, b.evaluated, n), False))
    return tuple(out)


# ---------------------------------------------------------------------------------------------- the chart
def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= m * exp:
            return m * exp
    return 10 * exp  # pragma: no cover


def _marker(shape: str, x: float, y: float, colour: str, filled: bool) -> str:
    fill = colour if filled else "#FFFFFF"
    common = f"fill='{fill}' stroke='{colour}' stroke-width='1.5'"
    if shape == "square":
        return f"<rect x='{x - 4:.1f}' y='{y - 4:.1f}' width='8' height='8' {common}/>"
    if shape == "triangle":
        return f"<path d='M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 4:.1f} L{x - 5:.1f},{y + 4:.1f} z' {common}/>"
    if shape == "diamond":
        return (f"<path d='M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y:.1f} L{x:.1f},{y + 5:.1f} L{x - 5:.1f},{y:.1f} z' "
                f"{common}/>")
    return f"<circle cx='{x:.1f}' cy='{y:.1f}' r='4' {common}/>"


def describe_chart(title: str, x_label: str, y_label: str, series: dict[str, Sequence[tuple[float, float, bool]]],
                   mark_x: float | None = None) -> str:
    """The text description of :func:`line_chart`: every point of every series, in words."""
    lines = [title, f"A line chart: {y_label} (up) against {x_label} (across), one line per series."]
    for name, pts in series.items():
        values = ", ".join(f"{x:g}: {y:,.0f}{'' if m else ' (extrapolated)'}" for x, y, m in pts)
        lines.append(f"- {name}: {values}")
    if mark_x is not None:
        lines.append(f"The vertical line marks {x_label} = {mark_x:g}.")
    lines.append("Filled markers are measured in the model; hollow markers on a dotted segment are extrapolated.")
    return "\n".join(lines)


def line_chart(title: str, x_label: str, y_label: str, series: dict[str, Sequence[tuple[float, float, bool]]], *,
               mark_x: float | None = None, width: int = 620, height: int = 340) -> str:
    """A self-contained SVG line chart.  ``series``: name -> ``[(x, y, measured), ...]``.

    Each series has its own colour, line pattern and marker shape, and a
    legend entry naming it; measured points are filled, extrapolated ones
    hollow (joined by a dotted segment).  ``<desc>`` holds
    :func:`describe_chart`.

    Examples
    --------
    >>> svg = line_chart("t", "services", "rules", {"iptables": [(10, 30, True), (100, 120, False)]})
    >>> svg.startswith("<svg") and "<desc" in svg and "extrapolated" in svg
    True
    """
    desc = describe_chart(title, x_label, y_label, series, mark_x)
    uid = hashlib.sha1((title + desc).encode()).hexdigest()[:8]
    left, right, top, bottom = 70.0, 20.0, 40.0, 60.0
    legend_h = 18.0 * len(series) + 10
    pw, ph = width - left - right, height - top - bottom
    xs = [x for pts in series.values() for x, _, _ in pts] or [0.0, 1.0]
    ys = [y for pts in series.values() for _, y, _ in pts] or [1.0]
    x_max, y_max = _nice_max(max(xs)), _nice_max(max(ys))

    def px(x: float) -> float:
        return left + pw * x / x_max

    def py(y: float) -> float:
        return top + ph * (1 - y / y_max)

    font = "font-family='DejaVu Sans, Verdana, sans-serif'"
    body = [f"<rect x='0' y='0' width='{width}' height='{height + legend_h:.0f}' fill='#FFFFFF'/>",
            f"<text x='{left:.0f}' y='22' {font} font-size='14' font-weight='bold'>{xml_escape(title)}</text>"]
    for k in range(6):  # grid and ticks
        yv, xv = y_max * k / 5, x_max * k / 5
        body.append(f"<line x1='{left:.1f}' y1='{py(yv):.1f}' x2='{left + pw:.1f}' y2='{py(yv):.1f}' "
                    "stroke='#DDDDDD'/>")
        body.append(f"<text x='{left - 6:.1f}' y='{py(yv) + 4:.1f}' text-anchor='end' {font} font-size='11'>"
                    f"{yv:,.0f}</text>")
        body.append(f"<line x1='{px(xv):.1f}' y1='{top + ph:.1f}' x2='{px(xv):.1f}' y2='{top + ph + 4:.1f}' "
                    f"stroke='#000000'/>")
        body.append(f"<text x='{px(xv):.1f}' y='{top + ph + 17:.1f}' text-anchor='middle' {font} font-size='11'>"
                    f"{xv:,.0f}</text>")
    body.append(f"<path d='M{left:.1f},{top:.1f} V{top + ph:.1f} H{left + pw:.1f}' fill='none' stroke='#000000'/>")
    body.append(f"<text x='{left + pw / 2:.1f}' y='{top + ph + 36:.1f}' text-anchor='middle' {font} font-size='12'>"
                f"{xml_escape(x_label)}</text>")
    body.append(f"<text transform='translate(16,{top + ph / 2:.1f}) rotate(-90)' text-anchor='middle' {font} "
                f"font-size='12'>{xml_escape(y_label)}</text>")
    if mark_x is not None:
        body.append(f"<line x1='{px(mark_x):.1f}' y1='{top:.1f}' x2='{px(mark_x):.1f}' y2='{top + ph:.1f}' "
                    f"stroke='#000000' stroke-dasharray='3 3'><title>{mark_x:g}</title></line>")
        body.append(f"<text x='{px(mark_x) + 4:.1f}' y='{top + 12:.1f}' {font} font-size='11'>{mark_x:g}</text>")
    for i, (name, pts) in enumerate(series.items()):
        colour, dash, shape = _SERIES_STYLE[i % len(_SERIES_STYLE)]
        pts = sorted(pts)
        for (x0, y0, m0), (x1, y1, m1) in zip(pts, pts[1:]):
            d = dash if m1 else "2 3"
            dash_attr = f" stroke-dasharray='{d}'" if d else ""
            body.append(f"<line x1='{px(x0):.1f}' y1='{py(y0):.1f}' x2='{px(x1):.1f}' y2='{py(y1):.1f}' "
                        f"stroke='{colour}' stroke-width='2.5'{dash_attr}/>")
        for x, y, m in pts:
            body.append(_marker(shape, px(x), py(y), colour, m) +
                        f"<title>{xml_escape(name)}: {x:g} -> {y:,.0f}{'' if m else ' (extrapolated)'}</title>")
        ly = height + 18.0 * i
        dash_attr = f" stroke-dasharray='{dash}'" if dash else ""
        body.append(f"<line x1='{left:.1f}' y1='{ly:.1f}' x2='{left + 40:.1f}' y2='{ly:.1f}' stroke='{colour}' "
                    f"stroke-width='2.5'{dash_attr}/>" + _marker(shape, left + 20, ly, colour, True))
        body.append(f"<text x='{left + 50:.1f}' y='{ly + 4:.1f}' {font} font-size='12'>{xml_escape(name)}</text>")
    return (f"<svg xmlns='http://www.w3.org/2000/svg' role='img' aria-labelledby='kl-title-{uid} kl-desc-{uid}' "
            f"width='{width}' viewBox='0 0 {width} {height + legend_h:.0f}' style='max-width:100%;height:auto;"
            f"background:#FFFFFF'><title id='kl-title-{uid}'>{xml_escape(title)}</title>"
            f"<desc id='kl-desc-{uid}'>{xml_escape(desc)}</desc>" + "".join(body) + "</svg>")


def scaling_chart(modes: Sequence[str], metric: str = "evaluated", mark: int | None = None,
                  sizes: Sequence[int] = SIZES) -> str:
    """HTML: the chart of ``metric`` for ``modes`` (SVG plus its text description as a caption)."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}, not {metric!r}")
    axis, meaning = METRICS[metric]
    series = {}
    for mode in modes:
        pts = [(p.services, getattr(p, metric), p.measured) for p in scaling_curve(mode, tuple(sizes))]
        if all(y is not None for _, y, _ in pts):
            series[f"{mode} mode"] = pts
    title = f"kube-proxy: {axis} as Services grow"
    svg = line_chart(title, "number of Services", axis, series, mark_x=mark)
    desc = describe_chart(title, "number of Services", axis, series, mark) + f"\n({axis}: {meaning}.)"
    return (f"<figure style='margin:0'>{svg}<figcaption><details><summary>Text description of the chart"
            f"</summary><pre style='white-space:pre-wrap'>{escape(desc)}</pre></details></figcaption></figure>")


def _numbers_table(modes: Sequence[str], size: int) -> str:
    rows: list[list[str]] = []
    for mode in modes:
        p = next(p for p in scaling_curve(mode) if p.services == size)
        rules = "-" if p.rules is None else f"{p.rules:,.0f}"
        rows.append([mode, f"{size:,}", rules, f"{p.evaluated:,.0f}", "measured" if p.measured else "extrapolated"])
    return _table(["mode", "Services", "packet-filter rules on the node", "rules checked by a new connection",
                   "how known"],
                  rows,
                  f"With {size:,} Services, {ENDPOINTS_PER_SERVICE} endpoints each")


class ScalingExplorer(_App):
    """See :func:`scaling_explorer`."""

    PARTS = ("table", "figure")

    def __init__(self, modes: Sequence[str], sizes: Sequence[int] = SIZES) -> None:
        import ipywidgets as w

        self.modes, self.sizes, self.timings = list(modes), tuple(sizes), []
        for mode in self.modes:  # the expensive part, once, before any callback
            scaling_curve(mode, self.sizes)
        self.controls = {
            "Services": w.SelectionSlider(options=list(self.sizes), value=self.sizes[2], description="Services",
                                          continuous_update=False, style={"description_width": "initial"}),
            "Figure": w.ToggleButtons(options=[(METRICS[k][0], k) for k in METRICS], value="evaluated",
                                      description="Figure", style={"description_width": "initial"}),
        }
        for control in self.controls.values():
            control.observe(lambda _c: _timed(self.timings, self._refresh), names="value")
        self.table, self.figure = w.HTML(), w.HTML()
        self.widget = w.VBox([
            w.HTML("<p>Move the slider to change how many Services the cluster has. The numbers come from "
                   "kube-proxy's rules in the model; sizes above "
                   f"{MEASURED_UP_TO} are extrapolated from the measured ones.</p>"),
            self.controls["Services"], self.controls["Figure"], self.table, self.figure])
        self._refresh()

    def _refresh(self) -> None:
        size = self.controls["Services"].value
        self.table.value = _numbers_table(self.modes, size)
        self.figure.value = scaling_chart(self.modes, self.controls["Figure"].value, size, self.sizes)


def scaling_explorer(modes: Sequence[str] | None = None) -> Any:
    """Slide the number of Services; read the rules kept and checked per new connection, for each mode.

    Returns
    -------
    ScalingExplorer, or IPython.display.HTML (table and chart at 100 Services) under ``NBGRADER_EXECUTION``
    """
    from .trace import available_modes

    modes = list(modes) if modes else [m for m in available_modes() if m != "userspace"]
    if quiet():
        from IPython.display import HTML

        return HTML(_numbers_table(modes, SIZES[2]) + scaling_chart(modes, "evaluated", SIZES[2]))
    return ScalingExplorer(modes)


# ------------------------------------------------------------------------------------- endpoint explorer
def _pod_rows(cluster: Any, pods: list) -> list[list[str]]:
    return [[p.name, p.spec.node_name or "-", p.status.pod_ip or "no IP yet",
             "yes" if cluster.is_ready(p) else "NO"] for p in pods]


def render_endpoints(cluster: Any, service: str, namespace: str = "default", message: str = "") -> tuple[str, str]:
    """(HTML of the pods, the EndpointSlices and the Endpoints object; HTML of the cluster diagram)."""
    from .graphs import cluster_graph

    svc = cluster.service(service, namespace)
    selector = svc.spec.selector or {}
    pods = [p for p in cluster.pods(namespace) if selector and all(p.metadata.labels.get(k) == v
                                                                   for k, v in selector.items())]
    parts = [f"<p>{escape(message)}</p>"] if message else []
    parts.append(f"<p>Service <code>{escape(namespace)}/{escape(service)}</code>: ClusterIP "
                 f"<code>{escape(str(svc.spec.cluster_ip))}</code> (it does not change).</p>")
    parts.append(_table(["pod", "node", "pod IP", "ready"], _pod_rows(cluster, pods),
                        f"Pods matching the selector {selector}") if pods else "<p>No pod matches the selector.</p>")
    rows = []
    for sl in cluster.endpoint_slices(service, namespace):
        ports = ", ".join(f"{p.name or '-'}={p.port}" for p in sl.ports) or "none"
        for ep in sl.endpoints:
            c = ep.conditions
            rows.append([sl.name, ", ".join(ep.addresses), str(c.ready), str(c.serving), str(c.terminating),
                         ep.target_ref.name if ep.target_ref else "-", ports])
        if not sl.endpoints:
            rows.append([sl.name, "(no endpoints)", "", "", "", "", ports])
    parts.append(_table(["EndpointSlice", "addresses", "ready", "serving", "terminating", "pod", "ports"], rows,
                        "EndpointSlices (what kube-proxy reads)"))
    erows = []
    try:
        ep_obj = cluster.get("ep", service, namespace)
        for sub in ep_obj.subsets:
            ports = ", ".join(str(p.port) for p in sub.ports)
            erows += [["addresses", a.ip, ports] for a in sub.addresses]
            erows += [["notReadyAddresses", a.ip, ports] for a in sub.not_ready_addresses]
    except NotFoundError:  # no Endpoints object (no pod matched yet)
        pass
    parts.append(_table(["list", "IP", "ports"], erows or [["(empty)", "", ""]],
                        "Endpoints (the older API, deprecated since Kubernetes 1.33)"))
    return "".join(parts), figure_html(cluster_graph(cluster))


class EndpointExplorer(_App):
    """See :func:`endpoint_explorer`."""

    PARTS = ("tables", "figure")

    def __init__(self, cluster: Any, service: str, namespace: str = "default", max_replicas: int = 6) -> None:
        import ipywidgets as w

        self.cluster = cluster.copy()
        self.service, self.namespace, self.timings, self.message = service, namespace, [], ""
        svc = self.cluster.service(service, namespace)
        self.selector = dict(svc.spec.selector or {})
        if not self.selector:
            raise ValueError(f"Service {namespace}/{service} has no selector: there are no pods to scale")
        pods = self._pods()
        if not pods:
            raise ValueError(f"no pod matches the selector of {namespace}/{service}: apply one to copy from")
        self.template = copy.deepcopy(pods[0].to_dict())
        self.prefix = pods[0].name.rsplit("-", 1)[0]
        st = {"description_width": "initial"}
        self.controls = {
            "Replicas": w.IntSlider(value=len(pods), min=0, max=max(max_replicas, len(pods)), description="Replicas",
                                    continuous_update=False, style=st),
            "Pod": w.Dropdown(options=[p.name for p in pods], description="Pod", style=st),
            "Toggle ready": w.Button(description="Toggle ready",
                                     tooltip="make the chosen pod fail (or pass) its readiness probe"),
        }
        self.controls["Replicas"].observe(lambda _c: _timed(self.timings, self._scale), names="value")
        self.controls["Toggle ready"].on_click(lambda _b: _timed(self.timings, self._toggle))
        self.tables, self.figure = w.HTML(), w.HTML()
        c = self.controls
        self.widget = w.VBox([
            w.HTML("<p>Scale the pods behind the Service, or make one fail its readiness probe; the controllers "
                   "of the model rewrite the EndpointSlice and Endpoints at once.</p>"),
            w.HBox([c["Replicas"], c["Pod"], c["Toggle ready"]]), self.tables, self.figure])
        self._refresh()

    def _pods(self) -> list:
        return [p for p in self.cluster.pods(self.namespace)
                if all(p.metadata.labels.get(k) == v for k, v in self.selector.items())]

    def _new_pod(self, name: str) -> dict:
        doc = copy.deepcopy(self.template)
        doc["metadata"] = {"name": name, "namespace": self.namespace, "labels": dict(self.template["metadata"]
                                                                                     .get("labels", {}))}
        doc.pop("status", None)
        doc["spec"].pop("nodeName", None)  # let the scheduler place it
        return doc

    def _scale(self) -> None:
        want = int(self.controls["Replicas"].value)
        pods = self._pods()
        added, removed = [], []
        while len(pods) > want:
            victim = pods.pop()  # the newest goes first, as a ReplicaSet prefers
            self.cluster.delete("pod", victim.name, self.namespace)
            removed.append(victim.name)
        taken = {p.name for p in self.cluster.pods(self.namespace)}
        i = 1
        while len(pods) < want:
            while f"{self.prefix}-{i}" in taken:
                i += 1
            name = f"{self.prefix}-{i}"
            taken.add(name)
            self.cluster.apply(self._new_pod(name))
            pods.append(self.cluster.pod(name, self.namespace))
            added.append(f"{name} ({pods[-1].status.pod_ip})")
        self.message = "; ".join(filter(None, [f"created {', '.join(added)}" if added else "",
                                               f"deleted {', '.join(removed)}" if removed else ""])) or "no change"
        self._sync_pods()
        self._refresh()

    def _toggle(self) -> None:
        name = self.controls["Pod"].value
        if not name:
            self.message = "No pod to toggle."
        else:
            pod = self.cluster.pod(name, self.namespace)
            doc = pod.to_dict()
            ready = self.cluster.is_ready(pod)
            conds = [c for c in doc["status"].get("conditions", []) if c["type"] not in ("Ready", "ContainersReady")]
            value = "False" if ready else "True"
            doc["status"]["conditions"] = conds + [{"type": "Ready", "status": value},
                                                   {"type": "ContainersReady", "status": value}]
            self.cluster.apply(doc)
            self.message = f"{name} now {'fails' if ready else 'passes'} its readiness probe."
        self._refresh()

    def _sync_pods(self) -> None:
        names = [p.name for p in self._pods()]
        dd = self.controls["Pod"]
        keep = dd.value if dd.value in names else (names[0] if names else None)
        dd.options = names
        dd.value = keep

    def _refresh(self) -> None:
        self.tables.value, self.figure.value = render_endpoints(self.cluster, self.service, self.namespace,
                                                                self.message)


def endpoint_explorer(cluster: Any, service: str, namespace: str = "default", *, max_replicas: int = 6) -> Any:
    """Scale the pods behind ``service`` and toggle their readiness, on a copy of ``cluster``.

    New pods copy the first selected pod (labels, containers, ports) and get
    the next address host-local hands out on their node.

    Returns
    -------
    EndpointExplorer, or IPython.display.HTML of the current state under ``NBGRADER_EXECUTION``
    """
    if quiet():
        from IPython.display import HTML

        tables, fig = render_endpoints(cluster, service, namespace)
        return HTML(tables + fig)
    return EndpointExplorer(cluster, service, namespace, max_replicas)
