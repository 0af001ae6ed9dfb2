"""The course widgets: change one thing, watch the model answer.

* :func:`namespace_explorer` -- tick ``shareProcessNamespace``, ``hostNetwork``,
  ``hostPID``, ``hostIPC`` on a pod and see its namespace table
  (:func:`kubelab.linuxns.describe`), the channels between two containers
  (:func:`kubelab.linuxns.channels`) and the diagram change.
* :func:`port_playground` -- add and remove pods with ports, hostPorts and
  hostNetwork on nodes, and watch :func:`kubelab.linuxns.port_conflicts` and
  the port diagram.

Both return an *app* object: it displays as its widget in a notebook, keeps
its controls in ``app.controls`` (by the label the learner sees), the current
rendering in ``app.html`` and the duration of every callback in
``app.timings`` (seconds).  :func:`interact` sets controls (or clicks buttons)
as a learner would, for tests and benchmarks.

When ``NBGRADER_EXECUTION`` is set (nbgrader is executing the notebook), both
functions create no widget at all and return a static
``IPython.display.HTML`` of the initial state instead.

Static fallback in exported HTML
--------------------------------
Every app (here and in the sibling modules: all derive from :class:`_App`)
displays as a bundle of three mime types: the ipywidget's
``application/vnd.jupyter.widget-view+json`` and ``text/plain``, plus
``text/html`` = :meth:`_App.static_html`: the current ``app.html`` under the
note :data:`STATIC_NOTE` and the settings of the controls at display time,
in a ``<div class='kubelab-static'>`` (the mark the preprocessor below looks
for; the bundle stays a plain dict, so the output carries no metadata).

* JupyterLab draws the live widget: its rendermime registry takes the
  lowest-ranked mime type present, and jupyterlab_widgets registers the
  widget view at rank -10, text/html is at 50.  An *untrusted* output (a
  notebook reopened without being trusted) only gets the "safe" renderers,
  and the widget view is not one: it now shows the sanitized snapshot, not
  the ``VBox(...)`` text.
* ``jupyter nbconvert --to html`` ranks the widget view first too, but its
  filter (nbconvert 7, ``nbconvert/filters/widgetsdatatypefilter.py``,
  ``WidgetsDataTypeFilter.__call__``, lines 62-71) skips it when the view's
  ``model_id`` is not in ``metadata.widgets`` (the saved widget state).
  Without a saved state the snapshot is therefore what the HTML shows.
* With a saved state (nbclient saves it by default, ``store_widget_state``)
  nbconvert writes the view into an empty ``<div>`` holding only a
  ``<script type="application/vnd.jupyter.widget-view+json">`` (lab template,
  ``data_widget_view`` block), and the page loads the widget manager from a
  CDN; offline it never loads and the output stays blank.  No content of the
  output can reach that ``<div>``, so the course's exporter path removes the
  view instead: :class:`StaticWidgetsPreprocessor` drops the widget view of
  every output that carries a kubelab snapshot (and the saved state when no
  widget view is left, so the page asks no CDN for a widget manager)::

      jupyter nbconvert --to html \\
          --HTMLExporter.preprocessors=kubelab.viz.widgets.StaticWidgetsPreprocessor NB.ipynb

  or ``HTMLExporter(preprocessors=[StaticWidgetsPreprocessor])``.  The static
  rendering is then shown online too, on purpose: a course widget recomputes
  in the Python kernel, so an embedded widget in a kernel-less page would
  offer controls that change nothing.

The snapshot in the widget's own output is taken when the app is displayed.  So that an export
shows what the learner left, each app displays a second output right after it: a hidden
``<div class='kubelab-last' hidden>`` (:data:`LAST_START`) holding the current snapshot, marked
in its output metadata with the widget's model id (:data:`LAST_KEY`), and updated through its
display id after every change of the rendering (``update_display_data``; the widget's own output
is not touched, since JupyterLab would re-create the widget view and take the focus from the
control).  That update is an output change, so JupyterLab marks the notebook unsaved, and
*File > Save and Export Notebook As*, which saves first when there are unsaved changes
(JupyterLab 4.6, ``packages/notebook-extension/src/index.ts``, ``notebook:export-to-format``),
writes the last state before exporting.  The preprocessor puts that last snapshot in place of
the first and drops the hidden output; for a notebook without one (saved by an older course)
it rebuilds the snapshot from the saved widget state when the notebook holds one.
"""

from __future__ import annotations

import copy
import os
import time
from html import escape
from typing import Any, Callable, Iterable

from .. import linuxns
from ..api import Pod, from_dict, load_text
from ..errors import KubelabError
from .graphs import channel_graph, pod_graph, port_graph
from .svg import figure_html

__all__ = ["namespace_explorer", "port_playground", "interact", "quiet", "NamespaceExplorer", "PortPlayground",
           "POD_OPTIONS", "STATIC_NOTE", "STATIC_START", "LAST_START", "LAST_KEY", "StaticWidgetsPreprocessor",
           "snapshot_html", "add_tooltips"]

#: The pod fields the explorer toggles: (label shown, PodSpec attribute).
POD_OPTIONS = (("shareProcessNamespace", "share_process_namespace"), ("hostNetwork", "host_network"),
               ("hostPID", "host_pid"), ("hostIPC", "host_ipc"))

#: The line above every static snapshot of a widget (exported HTML, untrusted notebooks).
STATIC_NOTE = "Static snapshot: run the notebook for the interactive version."

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: The key of the saved widget state in a notebook's metadata.widgets.
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: The CSS class of the HTML widgets that make an app's rendering (see :class:`_App`).
PART_CLASS = "kubelab-part"
#: How a course widget's static snapshot (its ``text/html``) begins.
STATIC_START = "<div class='kubelab-static'>"
#: How the hidden output that follows a course widget with its current snapshot begins (then the snapshot).
LAST_START = "<div class='kubelab-last' hidden>"
#: The output-metadata key of that hidden output: ``{LAST_KEY: {"model_id": <the widget's model id>}}``.
LAST_KEY = "kubelab_last_state"

_TABLE = "border-collapse:collapse;margin:4px 0"
_CELL = "border:1px solid #999;padding:2px 6px;text-align:left;vertical-align:top"


def quiet() -> bool:
    """True while nbgrader executes the notebook: widgets then render as static HTML."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def _table(header: list[str], rows: list[list[str]], caption: str) -> str:
    head = "".join(f"<th scope='col' style='{_CELL}'>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td style='{_CELL}'>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return (f"<table style='{_TABLE}'><caption style='text-align:left'>{escape(caption)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _pod(obj: Any) -> Pod:
    if isinstance(obj, Pod):
        return obj
    if isinstance(obj, str):
        pods = [o for o in load_text(obj) if isinstance(o, Pod)]
        if not pods:
            raise KubelabError("no Pod in the manifest given to the widget")
        return pods[0]
    raise TypeError(f"expected a Pod or YAML text, not {type(obj).__name__}")


def _timed(timings: list[float], fn: Callable[[], None]) -> None:
    start = time.perf_counter()
    fn()
    timings.append(time.perf_counter() - start)


def _setting(control: Any) -> str | None:
    """What a control is set to, in a few words (None for a button, which holds no value)."""
    if not hasattr(control, "value"):
        return None
    value = control.value
    label = getattr(control, "label", None)  # selection widgets: the option text the learner sees
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "nothing chosen"
    text = label if isinstance(label, str) else str(value)
    if "\n" in text.strip() or len(text) > 60:
        return f"{len(text.strip().splitlines())} lines of text"
    return text


class _App:
    """Common parts: the widget, controls by label, current HTML, timings, the static fallback.

    A subclass names in :attr:`PARTS` the ``ipywidgets.HTML`` attributes whose values, joined,
    are its rendering (:attr:`html`); they carry the CSS class :data:`PART_CLASS`, which is how
    :class:`StaticWidgetsPreprocessor` finds them again in a notebook's saved widget state.
    """

    widget: Any
    controls: dict[str, Any]
    timings: list[float]
    #: Attribute names of the HTML widgets whose values make :attr:`html`, in order.
    PARTS: tuple[str, ...] = ("tables", "figure")

    def _ipython_display_(self) -> None:
        """Display the widget (:meth:`_repr_mimebundle_`), then the hidden output with its last snapshot.

        The hidden output follows every change of the rendering (see the module docstring).
        """
        from IPython.display import display

        bundle = self._repr_mimebundle_()
        if not bundle:
            return
        display(bundle, raw=True)
        if not hasattr(self, "_last_outputs"):
            self._last_outputs: list[Any] = []
            for name in self.PARTS:
                getattr(self, name).observe(self._rendering_changed, names="value")
        data, metadata = self._last_output()
        self._last_outputs.append(display(data, metadata=metadata, raw=True, display_id=True))

    def _last_output(self) -> tuple[dict[str, str], dict[str, Any]]:
        """(data, metadata) of the hidden output: the current snapshot, and whose it is."""
        return ({"text/html": f"{LAST_START}{self.static_html()}</div>"},
                {LAST_KEY: {"model_id": self.widget.model_id}})

    def _rendering_changed(self, _change: Any = None) -> None:
        data, metadata = self._last_output()
        for handle in self._last_outputs:
            handle.update(data, metadata=metadata, raw=True)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget's bundle, plus ``text/html``: :meth:`static_html` (see the module docstring)."""
        for name in self.PARTS:
            if PART_CLASS not in getattr(self, name)._dom_classes:
                getattr(self, name).add_class(PART_CLASS)
        add_tooltips(self.controls.values())
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if not bundle:
            return bundle
        return {**bundle, "text/html": self.static_html()}

    def static_html(self) -> str:
        """The current rendering as static HTML: :data:`STATIC_NOTE`, the controls' settings, :attr:`html`."""
        return snapshot_html([(name, _setting(c)) for name, c in self.controls.items()], self.html)

    @property
    def html(self) -> str:
        """The current rendering: the values of the :attr:`PARTS` widgets, joined."""
        return "".join(getattr(self, name).value for name in self.PARTS)


def add_tooltips(controls: Iterable[Any]) -> None:
    """Give every control a tooltip, so a label cut short by its box can still be read in full.

    A control without one gets its description; toggle buttons without per-button tooltips get
    their option labels, and as wide a button as each label needs (ipywidgets draws each one
    148 px wide by default and ellipsizes longer labels).

    >>> import ipywidgets as w
    >>> t = w.ToggleButtons(options=["rules checked by the first packet", "rules"], description="Figure")
    >>> add_tooltips([t]); t.tooltip, t.tooltips
    ('Figure', ('rules checked by the first packet', 'rules'))
    """
    for control in controls:
        if getattr(control, "description", "") and not getattr(control, "tooltip", None):
            control.tooltip = control.description
        if hasattr(control, "tooltips") and not control.tooltips:
            control.tooltips = [str(label) for label in control._options_labels]
            if not control.style.button_width:  # and wide enough for its label, where the row has room
                control.style.button_width = "auto"


def snapshot_html(settings: Iterable[tuple[str, str | None]], html: str) -> str:
    """A static snapshot: :data:`STATIC_START`, the note with the settings (``None`` ones left out), ``html``.

    >>> snapshot_html([("Mode", "iptables"), ("Next", None)], "<p>x</p>")[len(STATIC_START):]
    "<p style='margin:4px 0'><em>Static snapshot: run the notebook for the interactive version.</em> \
Settings shown: Mode: iptables.</p><p>x</p></div>"
    """
    shown = "; ".join(f"{escape(name)}: {escape(value)}" for name, value in settings if value is not None)
    note = f"<p style='margin:4px 0'><em>{escape(STATIC_NOTE)}</em>" + (
        f" Settings shown: {shown}." if shown else "") + "</p>"
    return f"{STATIC_START}{note}{html}</div>"


def _saved_setting(state: dict) -> str | None:
    """:func:`_setting` of a control from its saved model state (None for what holds no value)."""
    if "_options_labels" in state:  # Dropdown, ToggleButtons, SelectionSlider: the label at ``index``
        index = state.get("index")
        if not isinstance(index, int):
            return "nothing chosen"
        text = state["_options_labels"][index]
    elif "value" in state:
        value = state["value"]
        if isinstance(value, bool):
            return "on" if value else "off"
        if value is None:
            return "nothing chosen"
        text = str(value)
    else:
        return None
    if "\n" in text.strip() or len(text) > 60:
        return f"{len(text.strip().splitlines())} lines of text"
    return text


def _saved_snapshot(states: dict, model_id: str) -> str | None:
    """The snapshot of the app whose root widget is ``model_id``, as its saved widget state last held it.

    Walks the widget tree depth first: the :data:`PART_CLASS` HTML widgets give the rendering, the
    other widgets with a description and a value give the settings.  None when no part was saved.
    """
    parts: list[str] = []
    settings: list[tuple[str, str | None]] = []
    todo, seen = [model_id], set()
    while todo:
        key = todo.pop(0)
        model = states.get(key)
        if key in seen or not isinstance(model, dict):
            continue
        seen.add(key)
        state = model.get("state", {})
        if PART_CLASS in state.get("_dom_classes", ()):
            parts.append(str(state.get("value", "")))
        elif state.get("description") and not model.get("model_name", "").startswith(("HTML", "Label", "Button")):
            settings.append((state["description"], _saved_setting(state)))
        children = [c.removeprefix("IPY_MODEL_") for c in state.get("children", ()) if isinstance(c, str)]
        todo[:0] = children  # depth first, in the order shown
    return snapshot_html(settings, "".join(parts)) if parts else None


def _text(value: Any) -> str:
    """A notebook's multiline string (one string, or a list of lines) as one string."""
    return "".join(value) if isinstance(value, list) else str(value)


class StaticWidgetsPreprocessor:
    """nbconvert preprocessor: every course widget exports as its static snapshot, in its last saved state.

    Drops ``application/vnd.jupyter.widget-view+json`` from each output whose
    ``text/html`` is a course snapshot (begins with :data:`STATIC_START`), so nbconvert's
    display priority falls through to the snapshot even when the widget state
    was saved; then drops ``metadata.widgets`` if no widget view is left (the
    page then loads no widget manager).  Other outputs are left alone.  A plain
    callable, so importing it does not import nbconvert.

    The snapshot in the output was taken when the cell ran.  The hidden output that follows it
    (:data:`LAST_KEY` in its metadata) holds the last one: that one is shown, and the hidden
    outputs are dropped.  A notebook without them that holds the widgets' saved state
    (JupyterLab writes it on save with the jupyterlab-manager setting ``saveState``, which
    ``make venv`` and Binder turn on; nbclient always does) gets the snapshot rebuilt from that
    state: what the learner left the widget showing when they saved.

    Examples
    --------
    >>> nb = {"metadata": {"widgets": {}}, "cells": [{"cell_type": "code", "outputs": [
    ...     {"output_type": "display_data", "metadata": {},
    ...      "data": {WIDGET_VIEW: {"model_id": "m"}, "text/html": STATIC_START + "</div>", "text/plain": "VBox()"}}]}]}
    >>> nb, _ = StaticWidgetsPreprocessor()(nb, {})
    >>> sorted(nb["cells"][0]["outputs"][0]["data"]), "widgets" in nb["metadata"]
    (['text/html', 'text/plain'], False)
    """

    enabled = True

    def __call__(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        saved = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {})
        states = saved.get("state", {}) if isinstance(saved, dict) else {}
        latest = {}  # model id -> the snapshot its hidden output last held
        for cell in nb["cells"]:
            outputs = cell.get("outputs", ())
            for output in outputs:
                mark = (output.get("metadata") or {}).get(LAST_KEY)
                if isinstance(mark, dict):
                    html = _text(output.get("data", {}).get("text/html", ""))
                    if html.startswith(LAST_START) and html.endswith("</div>"):
                        latest[str(mark.get("model_id", ""))] = html[len(LAST_START):-len("</div>")]
            if outputs:
                cell["outputs"] = [o for o in outputs if LAST_KEY not in (o.get("metadata") or {})]
        views_left = False
        for cell in nb["cells"]:
            for output in cell.get("outputs", ()):
                data = output.get("data", {})
                if WIDGET_VIEW not in data:
                    continue
                if _text(data.get("text/html", "")).startswith(STATIC_START):
                    model_id = str(data[WIDGET_VIEW].get("model_id", ""))
                    last = latest.get(model_id) or _saved_snapshot(states, model_id)
                    if last is not None:
                        data["text/html"] = last
                    del data[WIDGET_VIEW]
                else:
                    views_left = True
        if not views_left:
            nb["metadata"].pop("widgets", None)
        return nb, resources


# ---------------------------------------------------------------------------------------- namespace explorer
def _with_options(base: Pod, options: dict[str, bool]) -> Pod:
    pod = copy.deepcopy(base)
    for label, attr in POD_OPTIONS:
        setattr(pod.spec, attr, True if options.get(label) else None)
    pod.default()
    return pod


def render_pod(pod: Pod, *, focus: str = "namespaces", a: str | None = None, b: str | None = None) -> tuple[str, str]:
    """(HTML of the tables, HTML of the figure) for one state of the explorer."""
    parts = []
    errors = [str(e) for e in pod.validate()]
    if errors:
        parts.append("<p><strong>The API server would reject this pod:</strong> " +
                     escape("; ".join(errors)) + " (the table shows what kubelet would do if it ran anyway)</p>")
    table = linuxns.describe(pod)
    names = list(table.rows[0].ids) if table.rows else []
    rows = [[r.kind, r.mode, r.holder, ", ".join(r.shared_by) or "nobody (each has its own)",
             *(str(r.ids[n]) for n in names)] for r in table.rows]
    parts.append(_table(["namespace", "CRI mode", "held by", "shared by", *[f"inode in {n}" for n in names]], rows,
                        f"Linux namespaces of pod {table.pod} on node {table.node}"))
    containers = [c.name for c in pod.spec.all_containers()]
    if focus == "channels" and len(containers) >= 2:
        a = a or containers[0]
        b = b or next(n for n in containers if n != a)
        chans = linuxns.channels(pod, a, b) if a != b else []
        crow = [[c.kind, "yes" if c.available else "no", c.how, c.why, c.security] for c in chans]
        parts.append(_table(["channel", "available", "how", "why", "what an attacker in one container gains"],
                            crow, f"Channels between {a} and {b}") if a != b else
                     "<p>Pick two different containers.</p>")
        graph = channel_graph(pod)
    else:
        graph = pod_graph(pod)
    return "".join(parts), figure_html(graph)


class NamespaceExplorer(_App):
    """See :func:`namespace_explorer`."""

    PARTS = ("tables", "figure")

    def __init__(self, pod: Pod, focus: str = "namespaces") -> None:
        import ipywidgets as w

        self.base, self.focus, self.timings = pod, focus, []
        self.controls = {}
        for label, attr in POD_OPTIONS:
            box = w.Checkbox(value=bool(getattr(pod.spec, attr)), description=label, indent=False,
                             layout=w.Layout(width="auto", margin="0 16px 0 0"),
                             tooltip=f"spec.{label} of the pod")
            box.observe(self._changed, names="value")
            self.controls[label] = box
        row = [w.HBox(list(self.controls.values()))]
        names = [c.name for c in pod.spec.all_containers()]
        if focus == "channels" and len(names) >= 2:
            for label, value in (("From container", names[0]), ("To container", names[1])):
                dd = w.Dropdown(options=names, value=value, description=label, style={"description_width": "initial"})
                dd.observe(self._changed, names="value")
                self.controls[label] = dd
            row.append(w.HBox([self.controls["From container"], self.controls["To container"]]))
        self.tables = w.HTML()
        self.figure = w.HTML()
        intro = w.HTML(f"<p>Pod <code>{escape(pod.namespace or 'default')}/{escape(pod.name)}</code>: tick a box to "
                       f"change its spec; the tables and the diagram are recomputed by kubelab.linuxns.</p>")
        self.widget = w.VBox([intro, *row, self.tables, self.figure])
        self._refresh()

    def options(self) -> dict[str, bool]:
        return {label: bool(self.controls[label].value) for label, _ in POD_OPTIONS}

    @property
    def pod(self) -> Pod:
        """The pod as currently configured."""
        return _with_options(self.base, self.options())

    def _refresh(self) -> None:
        a = self.controls["From container"].value if "From container" in self.controls else None
        b = self.controls["To container"].value if "To container" in self.controls else None
        tables, fig = render_pod(self.pod, focus=self.focus, a=a, b=b)
        self.tables.value, self.figure.value = tables, fig

    def _changed(self, _change: Any = None) -> None:
        _timed(self.timings, self._refresh)


def namespace_explorer(pod: Any, *, focus: str = "namespaces") -> Any:
    """A pod's namespaces (``focus="namespaces"``) or its channels (``focus="channels"``), with toggles.

    Parameters
    ----------
    pod
        A :class:`kubelab.api.Pod` or the YAML text of one.
    focus
        ``"namespaces"``: the namespace table and :func:`~kubelab.viz.pod_graph`;
        ``"channels"``: also two container pickers, the channel table and
        :func:`~kubelab.viz.channel_graph`.

    Returns
    -------
    NamespaceExplorer, or IPython.display.HTML under ``NBGRADER_EXECUTION``
    """
    if focus not in ("namespaces", "channels"):
        raise ValueError(f"focus must be 'namespaces' or 'channels', not {focus!r}")
    p = _pod(pod)
    if quiet():
        from IPython.display import HTML

        tables, fig = render_pod(p, focus=focus)
        return HTML(tables + fig)
    return NamespaceExplorer(p, focus)


# ---------------------------------------------------------------------------------------- port playground
DEFAULT_NODES = ("kind-worker", "kind-worker2")
NEW_POD = "(a new pod)"


def _pod_doc(name: str, node: str, host_network: bool, containers: list[dict]) -> dict:
    spec: dict[str, Any] = {"nodeName": node, "containers": containers}
    if host_network:
        spec["hostNetwork"] = True
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def render_ports(pods: list[Pod], message: str = "") -> tuple[str, str]:
    """(HTML of the pod list and conflicts, HTML of the figure)."""
    rows = []
    for p in pods:
        for c in p.spec.containers:
            ports = ", ".join(f"{x.container_port}/{x.protocol or 'TCP'}" + (f" hostPort {x.host_port}" if x.host_port
                                                                             else "") for x in c.ports) or "-"
            rows.append([p.name, c.name or "?", p.spec.node_name or "-", "yes" if p.spec.host_network else "no", ports])
    parts = [f"<p>{escape(message)}</p>"] if message else []
    parts.append(_table(["pod", "container", "node", "hostNetwork", "ports"], rows, "Pods in the playground")
                 if rows else "<p>No pods yet: add one.</p>")
    conflicts = linuxns.port_conflicts(pods)
    if conflicts:
        parts.append("<p><strong>Conflicts:</strong></p><ul>" +
                     "".join(f"<li>{escape(str(c))}</li>" for c in conflicts) + "</ul>")
    else:
        parts.append("<p><strong>Conflicts:</strong> none, every listener got its port.</p>")
    return "".join(parts), figure_html(port_graph(pods))


class PortPlayground(_App):
    """See :func:`port_playground`."""

    PARTS = ("tables", "figure")

    def __init__(self, pods: list[Pod], nodes: Iterable[str] = DEFAULT_NODES) -> None:
        import ipywidgets as w

        self.pods: list[Pod] = list(pods)
        self.timings, self.message = [], ""
        st = {"description_width": "initial"}
        self.controls = {
            "Add to": w.Dropdown(options=[NEW_POD, *[p.name for p in pods]], value=NEW_POD, description="Add to",
                                 style=st),
            "Node": w.Dropdown(options=list(nodes), description="Node", style=st),
            "containerPort": w.BoundedIntText(value=80, min=1, max=65535, description="containerPort", style=st,
                                              layout=w.Layout(width="180px")),
            "hostPort (0 = none)": w.BoundedIntText(value=0, min=0, max=65535, description="hostPort (0 = none)",
                                                    style=st, layout=w.Layout(width="200px")),
            "hostNetwork": w.Checkbox(value=False, description="hostNetwork", indent=False,
                                      layout=w.Layout(width="auto")),
            "Add": w.Button(description="Add", tooltip="add a pod (or a container to the chosen pod)",
                            button_style="primary"),
            "Pod to remove": w.Dropdown(options=[p.name for p in pods], description="Pod to remove", style=st),
            "Remove": w.Button(description="Remove", tooltip="delete the chosen pod"),
        }
        self.controls["Add"].on_click(lambda _b: _timed(self.timings, self._add))
        self.controls["Remove"].on_click(lambda _b: _timed(self.timings, self._remove))
        self.tables, self.figure = w.HTML(), w.HTML()
        c = self.controls
        self.widget = w.VBox([
            w.HTML("<p>Add pods that listen on ports; a hostPort or hostNetwork binds a port on the node. "
                   "Conflicts come from kubelab.linuxns.port_conflicts.</p>"),
            w.HBox([c["Add to"], c["Node"], c["hostNetwork"]]),
            w.HBox([c["containerPort"], c["hostPort (0 = none)"], c["Add"]]),
            w.HBox([c["Pod to remove"], c["Remove"]]),
            self.tables, self.figure])
        self._refresh()

    def _next_name(self) -> str:
        taken = {p.name for p in self.pods}
        i = 1
        while f"pod-{i}" in taken:
            i += 1
        return f"pod-{i}"

    def _add(self) -> None:
        c = self.controls
        port: dict[str, Any] = {"containerPort": int(c["containerPort"].value), "protocol": "TCP"}
        if c["hostPort (0 = none)"].value:
            port["hostPort"] = int(c["hostPort (0 = none)"].value)
        target = c["Add to"].value
        try:
            if target == NEW_POD:
                name = self._next_name()
                doc = _pod_doc(name, c["Node"].value, bool(c["hostNetwork"].value),
                               [{"name": "app", "image": "nginx", "ports": [port]}])
                self.pods.append(from_dict(doc)[0])
                self.message = f"Added pod {name} on {c['Node'].value}."
            else:
                i = next(k for k, p in enumerate(self.pods) if p.name == target)
                doc = self.pods[i].to_dict()
                containers = doc["spec"]["containers"]
                cname = f"c{len(containers) + 1}"
                containers.append({"name": cname, "image": "nginx", "ports": [port]})
                self.pods[i] = from_dict({"apiVersion": "v1", "kind": "Pod", **doc})[0]
                self.message = f"Added container {cname} to pod {target}."
        except KubelabError as exc:  # the model's own validation, e.g. hostNetwork with hostPort != containerPort
            self.message = f"Not added: {exc}"
        self._sync_names()
        self._refresh()

    def _remove(self) -> None:
        name = self.controls["Pod to remove"].value
        self.pods = [p for p in self.pods if p.name != name]
        self.message = f"Removed pod {name}." if name else "Nothing to remove."
        self._sync_names()
        self._refresh()

    def _sync_names(self) -> None:
        names = [p.name for p in self.pods]
        self.controls["Pod to remove"].options = names
        add_to = self.controls["Add to"]
        keep = add_to.value if add_to.value in names else NEW_POD
        add_to.options = [NEW_POD, *names]
        add_to.value = keep

    def _refresh(self) -> None:
        self.tables.value, self.figure.value = render_ports(self.pods, self.message)


def _pods(pods: Any) -> list[Pod]:
    if pods is None:
        return []
    if isinstance(pods, str):
        return [o for o in load_text(pods) if isinstance(o, Pod)]
    return [p if isinstance(p, Pod) else from_dict(p)[0] for p in pods]


def port_playground(pods: Any = None, *, nodes: Iterable[str] = DEFAULT_NODES) -> Any:
    """Pods with ports on nodes, and the conflicts between them, editable with buttons.

    Parameters
    ----------
    pods
        Starting pods: YAML text, or a list of Pods or manifest dicts (default none).
    nodes
        The node names offered.

    Returns
    -------
    PortPlayground, or IPython.display.HTML under ``NBGRADER_EXECUTION``
    """
    start = _pods(pods)
    if quiet():
        from IPython.display import HTML

        tables, fig = render_ports(start)
        return HTML(tables + fig)
    return PortPlayground(start, nodes)


def interact(app: Any, **changes: Any) -> str:
    """Do what a learner would: set each named control (``"click"`` presses a button), in order.

    Control names with spaces or brackets can be passed with ``**{"hostPort (0 = none)": 80}``.
    Returns ``app.html`` afterwards.

    Examples
    --------
    >>> import os; os.environ.pop("NBGRADER_EXECUTION", None)
    >>> app = port_playground()
    >>> html = interact(app, containerPort=80, **{"hostPort (0 = none)": 80}, Add="click")
    >>> html = interact(app, Node="kind-worker", Add="click")
    >>> [c.error for c in linuxns.port_conflicts(app.pods)]  # the pods name their node: no scheduler
    ["kubelet admission rejects the pod (reason NodePorts): Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports"]
    """
    for name, value in changes.items():
        control = app.controls[name]
        if value == "click":
            control.click()
        else:
            control.value = value
    return app.html
