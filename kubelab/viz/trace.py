"""One connection, hop by hop: a diagram of a :class:`kubelab.hops.Trace` and a step-through widget.

* :func:`trace_graph` -- the hops of a trace as a vertical flow (one box per
  hop: the pod sends, its veth, each netfilter hook on a node, routing, the
  userspace proxy when there is one, delivery), the current step marked in
  words as well as in colour;
* :func:`rule_table` -- the rules one hop evaluated, each marked ``matched``
  or ``no match`` (with its action), as an HTML table;
* :func:`trace_stepper` -- pick a kube-proxy mode, a service and optionally a
  backend pod that does not answer, then step through the connection with
  *Prev*/*Next*.  The modes offered are the ones registered in
  :data:`kubelab.proxy.PROXIERS` (iptables always; ipvs and userspace when
  their modules are there), so the widget grows with the model.

Everything shown comes from :meth:`kubelab.Cluster.connect`; nothing here
decides where a packet goes.  Like the other course widgets the app keeps its
controls in ``app.controls``, the rendering in ``app.html``, callback times in
``app.timings`` and is driven by :func:`kubelab.viz.interact`; under
``NBGRADER_EXECUTION`` :func:`trace_stepper` returns static HTML of the whole
trace instead of a widget.

Examples
--------
>>> import kubelab
>>> c = kubelab.Cluster('''
... apiVersion: v1
... kind: Pod
... metadata: {name: client}
... spec: {nodeName: kind-worker, containers: [{name: c, image: curl}]}
... ''')
>>> g = trace_graph(c.connect("client", "kubernetes", 443, seed=1), step=0)
>>> g.nodes["hop:0"]["kind"], g.graph["title"].split(":")[0]
('hop-current', 'Connection client (10.244.1.2) -> kubernetes')
"""

from __future__ import annotations

import textwrap
from html import escape
from typing import Any, Iterable, Sequence

import networkx as nx

from . import describe as _describe
from . import svg as _svg
from .svg import PALETTE, figure_html
from .widgets import _App, _timed, quiet

__all__ = ["trace_graph", "rule_table", "trace_html", "trace_stepper", "TraceStepper", "available_modes",
           "MODE_ORDER"]

#: The order modes are offered in: history first (userspace, then iptables, IPVS, nftables).
MODE_ORDER = ("userspace", "iptables", "ipvs", "nftables")

# The kinds this module draws, registered beside the existing ones (additive, like a scapy layer).
_svg.NODE_STYLES.setdefault("hop", (PALETTE["blue"], "#FFFFFF", "rect", "", "box: one hop of the connection"))
_svg.NODE_STYLES.setdefault("hop-current", (PALETTE["vermillion"], "#FFF4E5", "rect", "",
                                            "orange box marked 'NOW': the step shown below"))
_svg.NODE_STYLES.setdefault("hop-end", (PALETTE["black"], "#F2F2F2", "round", "6 3",
                                        "rounded dashed: where the connection ends"))
_svg.EDGE_STYLES.setdefault("next", (PALETTE["black"], "", 1.5, "arrow: the packet goes on to the next hop"))
_describe.KIND_WORDS.setdefault("hop", "hop")
_describe.KIND_WORDS.setdefault("hop-current", "hop (the current step)")
_describe.KIND_WORDS.setdefault("hop-end", "last hop")
_describe.EDGE_WORDS.setdefault("next", "then")

_CELL = "border:1px solid #999;padding:2px 6px;text-align:left;vertical-align:top;font-family:monospace;font-size:12px"
_HEAD = "border:1px solid #999;padding:2px 6px;text-align:left"
_MATCH = "background:#E3F4EC;font-weight:bold"  # never the only carrier: the first column says "matched"


def available_modes() -> list[str]:
    """The kube-proxy modes the model has now, in :data:`MODE_ORDER`.

    The modes are :func:`kubelab.proxy.registered_modes`; ``MODE_ORDER`` only orders them.
    """
    from .. import proxy

    proxy.registered_modes()  # every mode module imported: each registers itself
    rank = {m: i for i, m in enumerate(MODE_ORDER)}
    return sorted(proxy.PROXIERS, key=lambda m: (rank.get(m, len(rank)), m))


def _wrap(text: str, width: int = 58, lines: int = 3) -> str:
    parts = textwrap.wrap(text, width) or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 3] + "..."
    return "\n".join(parts)


def _hop_summary(hop: Any) -> str:
    if not hop.steps:
        return ""
    matched = sum(1 for s in hop.steps if s.matched)
    return f"{len(hop.steps)} rules evaluated, {matched} matched"


def trace_graph(trace: Any, step: int | None = None) -> nx.DiGraph:
    """The hops of ``trace`` top to bottom; hop ``step`` (0-based) is marked as the current one.

    Node ``hop:i`` has kind ``hop``, ``hop-current`` (the step) or ``hop-end``
    (the last hop); its label starts with ``NOW`` when it is the current step.
    Edges ``next`` join consecutive hops.  The notes give the verdict, the
    backend and the number of rules the first packet was checked against.
    """
    title = f"Connection {trace.src} -> {trace.dst} ({trace.mode} mode): {trace.verdict or 'no verdict'}"
    g = nx.DiGraph(title=title, layout="layers", notes=[], sequence=True)  # described hop by hop, once each
    last = len(trace.hops) - 1
    for i, hop in enumerate(trace.hops):
        current = step is not None and i == step
        kind = "hop-current" if current else ("hop-end" if i == last else "hop")
        head = f"{'NOW ' if current else ''}{i + 1}. {hop.kind}: {hop.where}"
        summary = _hop_summary(hop)
        label = head + "\n" + _wrap(hop.detail) + (f"\n{summary}" if summary else "")
        text = (f"step {i + 1} of {last + 1}{' (the current step)' if current else ''}: {hop.kind} at {hop.where}: "
                f"{hop.detail}" + (f" ({summary})" if summary else ""))
        g.add_node(f"hop:{i}", kind=kind, label=label, layer=0, order=i, detail=text, description=text)
        if i:
            g.add_edge(f"hop:{i - 1}", f"hop:{i}", kind="next", label="")
    verdict = f"Verdict: {trace.verdict}"
    if trace.backend:
        verdict += f"; backend {trace.backend} at {trace.backend_address}, which sees the client as {trace.source_seen}"
    g.graph["notes"] = [verdict + ".", f"The first packet was checked against {trace.rules_evaluated} rules."]
    return g


def rule_table(hop: Any, caption: str | None = None) -> str:
    """HTML table of the rules ``hop`` evaluated, in order: matched ones say so (and are shaded)."""
    if not hop.steps:
        return f"<p>No packet-filter rules at this hop: {escape(hop.detail)}</p>"
    rows = []
    for n, s in enumerate(hop.steps, 1):
        style = f"{_CELL};{_MATCH}" if s.matched else _CELL
        verdict = "matched" if s.matched else "no match"
        action = s.action or ("" if s.matched else "(next rule)")
        rows.append(f"<tr><td style='{style}'>{n}</td><td style='{style}'>{verdict}</td>"
                    f"<td style='{style}'>{escape(s.table)}/{escape(s.chain)}</td>"
                    f"<td style='{style}'>{escape(s.rule)}</td><td style='{style}'>{escape(action)}</td></tr>")
    head = "".join(f"<th scope='col' style='{_HEAD}'>{h}</th>" for h in ("#", "result", "table/chain", "rule",
                                                                          "action"))
    cap = caption or f"Rules evaluated at {hop.where} ({hop.detail})"
    return (f"<table style='border-collapse:collapse;margin:4px 0'><caption style='text-align:left'>{escape(cap)}"
            f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def trace_html(trace: Any, step: int | None = None) -> str:
    """The diagram (with its text description) and, for ``step``, that hop's rules; ``None``: every hop's.

    With a ``step`` the hop's text and rule table come first and the (tall) diagram last, so the
    stepper's Prev/Next buttons, just above, sit next to the rules they move through.
    """
    figure = figure_html(trace_graph(trace, step))
    parts = [figure] if step is None else []
    hops = range(len(trace.hops)) if step is None else [step]
    for i in hops:
        hop = trace.hops[i]
        parts.append(f"<p><strong>Step {i + 1} of {len(trace.hops)}: {escape(hop.kind)} at {escape(hop.where)}"
                     f"</strong>: {escape(hop.detail)}</p>")
        if hop.steps:
            parts.append(rule_table(hop))
    summary = escape("; ".join(trace.lines(rules=False)[-2:]))
    parts.append(f"<p><strong>Outcome:</strong> {summary}</p>")
    if step is not None:
        parts.append(figure)
    return "".join(parts)


NO_DEAD = "(every pod answers)"


class TraceStepper(_App):
    """See :func:`trace_stepper`."""

    PARTS = ("position", "view")

    def __init__(self, cluster: Any, src: str, services: Sequence[tuple[str, int]], modes: Sequence[str],
                 seed: int = 1) -> None:
        import ipywidgets as w

        self.cluster, self.src, self.seed = cluster, src, seed
        self.services = {f"{host}:{port}": (host, int(port)) for host, port in services}
        self.timings: list[float] = []
        self._cache: dict[tuple, Any] = {}
        self.step = 0
        st = {"description_width": "initial"}
        first = next(iter(self.services))
        self.controls = {
            "Mode": w.Dropdown(options=list(modes), value=modes[0], description="Mode", style=st),
            "Service": w.Dropdown(options=list(self.services), value=first, description="Service", style=st),
            "Pod down": w.Dropdown(options=[NO_DEAD, *self._backends(first)], value=NO_DEAD, description="Pod down",
                                   style=st, tooltip="a backend pod that accepts no connection"),
            "Prev": w.Button(description="Prev", tooltip="previous hop", icon="arrow-left"),
            "Next": w.Button(description="Next", tooltip="next hop", icon="arrow-right", button_style="primary"),
        }
        self._syncing = False
        for name in ("Mode", "Pod down"):
            self.controls[name].observe(self._changed, names="value")
        self.controls["Service"].observe(lambda _c: _timed(self.timings, self._service_changed), names="value")
        self.controls["Prev"].on_click(lambda _b: _timed(self.timings, lambda: self._move(-1)))
        self.controls["Next"].on_click(lambda _b: _timed(self.timings, lambda: self._move(+1)))
        self.position = w.HTML()
        self.view = w.HTML()
        c = self.controls
        self.widget = w.VBox([
            w.HTML(f"<p>A new connection from <code>{escape(src)}</code>, traced by kubelab.net. Pick a mode and a "
                   "service, then step through the hops; the table lists every rule the packet met at that "
                   "hop.</p>"),
            w.HBox([c["Mode"], c["Service"], c["Pod down"]]),
            w.HBox([c["Prev"], c["Next"], self.position]),
            self.view])
        self._refresh()

    def _backends(self, key: str) -> list[str]:
        host, _port = self.services[key]
        ns, _, name = host.rpartition("/")
        names = []
        for sl in self.cluster.endpoint_slices(name, ns or "default"):
            for ep in sl.endpoints:
                if ep.target_ref is not None and ep.target_ref.kind == "Pod":
                    names.append(ep.target_ref.name)
        return sorted(set(names))

    @property
    def trace(self) -> Any:
        c = self.controls
        dead = c["Pod down"].value
        key = (c["Mode"].value, c["Service"].value, dead)
        if key not in self._cache:
            host, port = self.services[c["Service"].value]
            self._cache[key] = self.cluster.connect(self.src, host, port, mode=key[0], seed=self.seed,
                                                    dead=set() if dead == NO_DEAD else {dead})
        return self._cache[key]

    def _changed(self, _change: Any = None) -> None:
        if not self._syncing:
            _timed(self.timings, self._restart)

    def _service_changed(self) -> None:
        dd = self.controls["Pod down"]
        options = [NO_DEAD, *self._backends(self.controls["Service"].value)]
        keep = dd.value if dd.value in options else NO_DEAD
        self._syncing = True  # new options reset the value; restart once, below
        try:
            dd.options = options
            dd.value = keep
        finally:
            self._syncing = False
        self._restart()

    def _restart(self) -> None:
        self.step = 0
        self._refresh()

    def _move(self, delta: int) -> None:
        self.step = max(0, min(len(self.trace.hops) - 1, self.step + delta))
        self._refresh()

    def _refresh(self) -> None:
        t = self.trace
        n = len(t.hops)
        self.controls["Prev"].disabled = self.step == 0
        self.controls["Next"].disabled = self.step >= n - 1
        end = f" - verdict: {t.verdict}" if self.step == n - 1 else ""
        self.position.value = f"<span>Step {self.step + 1} of {n}{escape(end)}</span>"
        self.view.value = trace_html(t, self.step)


def trace_stepper(cluster: Any, src: str, services: Iterable[tuple[str, int]], *, modes: Sequence[str] | None = None,
                  seed: int = 1) -> Any:
    """Step through one new connection from ``src`` to a chosen service, in a chosen kube-proxy mode.

    Parameters
    ----------
    cluster
        A :class:`kubelab.Cluster`.
    src
        The client: a pod (``name`` or ``ns/name``), a node name or an IP.
    services
        ``(host, port)`` pairs offered, ``host`` as :meth:`Cluster.connect` takes it
        (``web``, ``kube-system/kube-dns`` or a ClusterIP).
    modes
        The modes offered (default: every registered mode, :func:`available_modes`).
    seed
        The random seed of the backend choice, so a rerun shows the same path.

    Returns
    -------
    TraceStepper, or IPython.display.HTML of the first service's whole trace under ``NBGRADER_EXECUTION``
    """
    services = list(services)
    if not services:
        raise ValueError("give at least one (service, port) to connect to")
    modes = list(modes) if modes else available_modes()
    if quiet():
        from IPython.display import HTML

        host, port = services[0]
        return HTML(trace_html(cluster.connect(src, host, port, mode=modes[0], seed=seed)))
    return TraceStepper(cluster, src, services, modes, seed)
