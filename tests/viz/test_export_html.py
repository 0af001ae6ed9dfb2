"""Course widgets degrade to their static rendering in exported HTML, offline.

Every course app displays as the ipywidget's view *plus* a ``text/html``
snapshot (see :mod:`kubelab.viz.widgets`).  nbconvert shows the snapshot by
itself when no widget state was saved; when nbclient saved it (its default)
nbconvert writes an empty widget-view ``<div>`` whose renderer comes from a
CDN, so the course exports through
:class:`~kubelab.viz.widgets.StaticWidgetsPreprocessor`.

The fast tests check the bundle, nbconvert's choice of mime type and that
nbgrader's quiet mode is unchanged.  The browser tests execute a small
notebook (three widgets from two modules, created as the chapters create
them) and notebook 05 with nbclient, export them with nbconvert's
``HTMLExporter`` and open the files in headless Chromium with the network
blocked: the tables and figure of every widget, computed here from the
app's own ``.html``, must be visible.  The third export of the small
notebook (state saved, plain exporter) shows why the preprocessor is needed,
and one test runs the command line given in the widgets' docstring.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from kubelab import viz
from kubelab.viz.widgets import (LAST_KEY, LAST_START, STATIC_NOTE, STATIC_START, WIDGET_VIEW,
                                  StaticWidgetsPreprocessor)
from tests.browser import artifact, chromium
from tests.viz.conftest import TWO_CONTAINERS

REPO = Path(__file__).resolve().parents[2]
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

PORT_PODS = """
apiVersion: v1
kind: Pod
metadata: {name: web}
spec: {nodeName: kind-worker, containers: [{name: app, image: nginx, ports: [{containerPort: 80, hostPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api}
spec: {nodeName: kind-worker2, containers: [{name: app, image: nginx, ports: [{containerPort: 80}]}]}
"""

#: The small notebook's widget cells, written as the chapters write them (notebooks/*.md).
CELLS = (
    'from kubelab import viz\nfrom kubelab.api import load_text\n'
    f'pod = load_text("""{TWO_CONTAINERS}""")[0]\nPORT_PODS = """{PORT_PODS}"""',
    'viz.namespace_explorer(pod, focus="channels")',
    'playground = viz.port_playground(PORT_PODS, nodes=["kind-worker", "kind-worker2"])\nplayground',
    'viz.ipam_explorer("10.244.1.0/28", attach=2)',
)


def small_apps(pod) -> list:
    """The apps of :data:`CELLS`, built here the same way (the source of the expected text)."""
    return [viz.namespace_explorer(pod, focus="channels"),
            viz.port_playground(PORT_PODS, nodes=["kind-worker", "kind-worker2"]),
            viz.ipam_explorer("10.244.1.0/28", attach=2)]


# ------------------------------------------------------------------------------------------ the text to find
class _Visible(HTMLParser):
    """Table captions, figure titles (SVG ``aria-labelledby`` and ``<title>``) and description first lines."""

    def __init__(self) -> None:
        super().__init__()
        self.captions: list[str] = []
        self.figures: list[tuple[str, str]] = []
        self.descriptions: list[str] = []
        self._in: str | None = None
        self._svg = ""
        self._text = ""
        self._figcaption = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "svg":
            self._svg = dict(attrs).get("aria-labelledby", "")
        title_id = self._svg.split(" ")[0] if self._svg else None
        self._figcaption = self._figcaption or tag == "figcaption"
        if tag == "caption" or (tag == "pre" and self._figcaption) or (
                tag == "title" and dict(attrs).get("id") == title_id):
            self._in, self._text = tag, ""

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "figcaption":
            self._figcaption = False
        if tag != self._in:
            return
        text = self._text.strip()
        if tag == "caption":
            self.captions.append(text)
        elif tag == "title":
            self.figures.append((self._svg, text))
        elif tag == "pre":
            self.descriptions.append(text.splitlines()[0])
        self._in = None


def visible_parts(html: str) -> _Visible:
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return parser


def assert_static_visible(page, app) -> int:
    """Every caption, figure and description of ``app.html`` is visible on ``page``; returns how many checked."""
    parts = visible_parts(app.html)
    assert parts.captions or parts.figures, "the app renders neither a table nor a figure"
    for caption in parts.captions:
        loc = page.locator("caption").filter(has_text=re.compile(rf"^\s*{re.escape(caption)}\s*$"))
        assert loc.count() >= 1 and loc.first.is_visible(), f"table {caption!r} not visible"
    for labelledby, title in parts.figures:
        svg = page.locator(f"svg[aria-labelledby='{labelledby}']")
        assert svg.count() >= 1 and svg.first.is_visible(), f"figure {title!r} not visible"
        heading = svg.first.locator("text").filter(has_text=re.compile(rf"^{re.escape(title)}$"))
        assert heading.count() >= 1 and heading.first.is_visible(), f"figure heading {title!r} not visible"
    # The descriptions are collapsed under their figures: a reader opens each one's summary.
    closed = page.locator("figcaption details:not([open]) > summary:visible")  # not those of hidden outputs
    for _ in range(closed.count()):
        closed.first.click()  # it opens and leaves the set of closed ones
    for line in parts.descriptions:
        loc = page.locator("figcaption pre").filter(has_text=line)
        assert loc.count() >= 1 and loc.first.is_visible(), f"description {line!r} not visible"
    return len(parts.captions) + 2 * len(parts.figures) + len(parts.descriptions)


# ------------------------------------------------------------------------------------------ fast tests
def _displayed(app) -> list:
    """What the kernel sends when a cell's value is ``app``: the outputs (data and metadata), in order."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import display
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    with capture_output() as captured:
        display(app)
    return captured.outputs


def test_bundle_keeps_the_widget_view_and_adds_the_static_snapshot(pod):
    for app in small_apps(pod) + [viz.scaling_explorer()]:
        widget, last = _displayed(app)  # the widget's output, then the hidden one with its last snapshot
        data = widget.data
        assert WIDGET_VIEW in data and data[WIDGET_VIEW]["model_id"] == app.widget.model_id
        assert last.data == {"text/html": f"{LAST_START}{app.static_html()}</div>"}
        assert last.metadata == {LAST_KEY: {"model_id": app.widget.model_id}}
        assert data == {**app.widget._repr_mimebundle_(), "text/html": app.static_html()}
        html = data["text/html"]
        assert html.startswith(STATIC_START) and STATIC_NOTE in html and app.html in html
        for name, control in app.controls.items():
            if hasattr(control, "value"):
                assert f"{name}: " in html, f"setting of {name!r} not in the snapshot"


def test_snapshot_follows_the_current_state(pod):
    app = viz.port_playground(PORT_PODS, nodes=["kind-worker", "kind-worker2"])
    before = app.static_html()
    viz.interact(app, **{"hostPort (0 = none)": 8080}, Node="kind-worker", Add="click")
    after = app._repr_mimebundle_()["text/html"]
    assert after != before and app.html in after and "hostPort (0 = none): 8080" in after


def test_the_hidden_output_follows_every_change_and_the_widget_output_stays():
    """Each change of the rendering updates the hidden output through its display id (an output change:
    JupyterLab marks the notebook unsaved, so its export saves first); the widget's own output is not
    sent again (JupyterLab would re-create the view and take the focus from the control)."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import display
    from IPython.utils.capture import capture_output

    from kubelab.viz.scaling import SIZES

    InteractiveShell.instance()
    app = viz.scaling_explorer()
    target = next(n for n in SIZES if n != app.controls["Services"].value)
    with capture_output() as captured:
        display(app)
        shown = len(captured.outputs)
        viz.interact(app, Services=target)
    updates = captured.outputs[shown:]
    assert shown == 2 and updates, "no update of the hidden output"
    assert all(u.metadata == {LAST_KEY: {"model_id": app.widget.model_id}} and WIDGET_VIEW not in u.data
               for u in updates)
    assert updates[-1].data["text/html"] == f"{LAST_START}{app.static_html()}</div>"
    assert f"With {target:,} Services" in updates[-1].data["text/html"]
    assert f"With {target:,} Services" not in captured.outputs[0].data["text/html"]
    assert max(app.timings) < 0.05  # the update is inside the callback's budget


def test_nbconvert_picks_the_snapshot_only_without_saved_state(pod):
    """Why the course exports through the preprocessor: nbconvert's own choice, state saved or not."""
    from nbconvert.exporters import HTMLExporter
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    app = viz.namespace_explorer(pod)
    data = app._repr_mimebundle_()
    priority = HTMLExporter().default_config["NbConvertBase"]["display_data_priority"]
    assert priority.index(WIDGET_VIEW) < priority.index("text/html")
    model_id = data[WIDGET_VIEW]["model_id"]
    saved = {"": {"widgets": {WIDGET_STATE: {"state": {model_id: {}}}}}}
    assert WidgetsDataTypeFilter(saved, display_data_priority=priority)(data) == [WIDGET_VIEW]
    assert WidgetsDataTypeFilter({"": {}}, display_data_priority=priority)(data) == ["text/html"]


def test_preprocessor_leaves_other_widgets_and_their_state():
    other = {"output_type": "display_data", "metadata": {},
             "data": {WIDGET_VIEW: {"model_id": "b"}, "text/plain": "IntSlider()"}}
    ours = {"output_type": "display_data", "metadata": {},
            "data": {WIDGET_VIEW: {"model_id": "a"}, "text/html": [STATIC_START, "<p>snapshot</p></div>"],
                     "text/plain": "VBox()"}}
    html_only = {"output_type": "display_data", "metadata": {},  # someone else's widget with its own HTML
                 "data": {WIDGET_VIEW: {"model_id": "c"}, "text/html": "<p>mine</p>", "text/plain": "W()"}}
    nb = nbformat.v4.new_notebook(metadata={"widgets": {WIDGET_STATE: {"state": {}}}})
    nb.cells = [nbformat.v4.new_code_cell(outputs=[nbformat.from_dict(o) for o in (ours, other, html_only)])]
    nb, _ = StaticWidgetsPreprocessor()(nb, {})
    first, second, third = nb.cells[0].outputs
    assert WIDGET_VIEW not in first.data and WIDGET_VIEW in second.data and WIDGET_VIEW in third.data
    assert "widgets" in nb.metadata


def test_nbgrader_execution_still_gets_plain_static_html(pod, monkeypatch):
    """Under NBGRADER_EXECUTION nothing changed: an IPython HTML of the initial state, no widget, no note."""
    from IPython.display import HTML

    from kubelab.viz.widgets import render_pod, render_ports

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    for out, parts in ((viz.namespace_explorer(pod), render_pod(pod)),
                       (viz.port_playground(PORT_PODS), render_ports(viz.widgets._pods(PORT_PODS)))):
        assert type(out) is HTML
        assert out.data == "".join(parts)
        assert STATIC_NOTE not in out.data and "kubelab-static" not in out.data


# ------------------------------------------------------------------------------------------ real exports
def _execute(nb, path: Path, monkeypatch, tmp_dir: Path):
    from nbclient import NotebookClient

    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path)}}).execute()
    assert WIDGET_STATE in nb.metadata.get("widgets", {}), "nbclient saved no widget state"
    return nb


def _export(nb, out: Path, *, course: bool) -> Path:
    from nbconvert.exporters import HTMLExporter

    exporter = HTMLExporter(preprocessors=[StaticWidgetsPreprocessor]) if course else HTMLExporter()
    body, _ = exporter.from_notebook_node(nb)
    out.write_text(body, encoding="utf-8")
    return out


def _without_state(nb):
    nb = nbformat.from_dict(nb)
    nb.metadata.pop("widgets", None)  # what nbclient writes with store_widget_state=False
    return nb


@pytest.fixture(scope="module")
def small_notebook(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("export")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in CELLS])
    try:
        yield _execute(nb, tmp, mp, tmp), tmp
    finally:
        mp.undo()


def _open(page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_load_state("load")


def _notes(page) -> int:
    return page.locator(".kubelab-static").filter(has_text=STATIC_NOTE).filter(visible=True).count()


@pytest.mark.browser
def test_exported_html_shows_every_widget_static_offline(small_notebook, pod, tmp_path):
    nb, tmp = small_notebook
    apps = small_apps(pod)
    saved = _export(nb, tmp / "saved-state.html", course=True)
    bare = _export(_without_state(nb), tmp / "no-state.html", course=False)
    plain = _export(nb, tmp / "saved-state-plain.html", course=False)
    assert "unpkg.com" not in saved.read_text() and "unpkg.com" in plain.read_text()
    with chromium(tmp_path / "profile") as (_context, page, blocked):
        # 1. nbclient saved the state; the course's exporter path: every widget as its snapshot, no CDN asked.
        _open(page, saved)
        assert _notes(page) == len(apps)
        checked = sum(assert_static_visible(page, app) for app in apps)
        assert checked >= 2 * len(apps)
        page.screenshot(path=artifact("export-html-static-widgets.png"), full_page=True)
        assert not [u for u in blocked if "jupyter-widgets" in u or "unpkg" in u]
        # 2. no saved state, plain nbconvert: its own filter falls through to the snapshot.
        _open(page, bare)
        assert _notes(page) == len(apps)
        for app in apps:
            assert_static_visible(page, app)
        page.screenshot(path=artifact("export-html-static-widgets-no-state.png"), full_page=True)
        # 3. saved state, plain nbconvert: the view wins, the CDN renderer is blocked, the outputs stay blank --
        #    the reason for the preprocessor (if nbconvert ever changes this, revisit widgets.py).
        before = len(blocked)
        _open(page, plain)
        page.wait_for_timeout(300)
        assert _notes(page) == 0
        assert page.locator(f"script[type='{WIDGET_VIEW}']").count() == len(apps)
        assert any("jupyter-widgets" in u for u in blocked[before:])


@pytest.mark.browser
@pytest.mark.slow
def test_notebook_05_exports_its_widgets_static(tmp_path, monkeypatch):
    """A real chapter: 05-kube-proxy (the scaling explorer and the trace stepper), executed and exported."""
    path = REPO / "notebooks" / "05-kube-proxy.ipynb"
    nb = _execute(nbformat.read(path, as_version=4), path.parent, monkeypatch, tmp_path)
    views = sum(WIDGET_VIEW in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert views >= 2
    html = _export(nb, tmp_path / "05.html", course=True)
    with chromium(tmp_path / "profile") as (_context, page, blocked):
        _open(page, html)
        assert _notes(page) == views
        assert_static_visible(page, viz.scaling_explorer())  # the chapter calls it without arguments
        page.screenshot(path=artifact("export-html-05-static-widgets.png"), full_page=True)
        assert not [u for u in blocked if "jupyter-widgets" in u or "unpkg" in u]


@pytest.mark.slow
def test_documented_command_line_exports_the_snapshots(small_notebook):
    """The command in kubelab.viz.widgets' docstring, as a learner or CI would type it."""
    import subprocess
    import sys

    nb, tmp = small_notebook
    path = tmp / "cli.ipynb"
    nbformat.write(nb, path)
    jupyter = Path(sys.executable).with_name("jupyter")
    subprocess.run([str(jupyter), "nbconvert", "--to", "html",
                    "--HTMLExporter.preprocessors=kubelab.viz.widgets.StaticWidgetsPreprocessor", str(path)],
                   check=True, capture_output=True, timeout=120, cwd=REPO)
    html = path.with_suffix(".html").read_text(encoding="utf-8")
    assert html.count(STATIC_NOTE) == len(CELLS) - 1
    assert f'<script type="{WIDGET_VIEW}">' not in html and "unpkg.com" not in html


@pytest.mark.slow
def test_export_shows_the_last_state_not_the_first():
    """Issue 11, item 7: the learner moves a widget after running its cell; the export shows where they left it."""
    from nbclient import NotebookClient

    from kubelab.viz.scaling import METRICS, SIZES

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in (
        "from kubelab import viz\nexplorer = viz.scaling_explorer()\nexplorer",
        f"viz.interact(explorer, Services={SIZES[-1]}, Figure='rules');",
    )])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    first = nb.cells[0].outputs[0].data["text/html"]
    start = SIZES[2]
    assert f"With {start:,} Services" in first and f"With {SIZES[-1]:,} Services" not in first
    assert WIDGET_STATE in nb.metadata.widgets  # nbclient saved the state as it was at the end

    exported, _ = StaticWidgetsPreprocessor()(nbformat.from_dict(nb), {})
    last = exported.cells[0].outputs[0].data["text/html"]
    assert WIDGET_VIEW not in exported.cells[0].outputs[0].data
    assert last.startswith(STATIC_START) and STATIC_NOTE in last
    assert f"With {SIZES[-1]:,} Services" in last and f"With {start:,} Services" not in last
    assert f"Services: {SIZES[-1]}; Figure: {METRICS['rules'][0]}." in last
    assert f"Services: {start}; Figure: {METRICS['evaluated'][0]}." in first

    # The hidden output after the widget held the last snapshot too: without a saved state it is what
    # the export shows, and it is not exported itself.  With neither, the display-time snapshot stays.
    hidden = [o for o in nb.cells[0].outputs if LAST_KEY in o.metadata]
    assert len(hidden) == 1 and f"With {SIZES[-1]:,} Services" in hidden[0].data["text/html"]
    assert len(exported.cells[0].outputs) == len(nb.cells[0].outputs) - 1
    plain = nbformat.from_dict(nb)
    del plain.metadata["widgets"]
    unsaved, _ = StaticWidgetsPreprocessor()(plain, {})
    assert unsaved.cells[0].outputs[0].data["text/html"] == last
    plain = nbformat.from_dict(nb)
    del plain.metadata["widgets"]
    plain.cells[0].outputs = [o for o in plain.cells[0].outputs if LAST_KEY not in o.metadata]
    kept, _ = StaticWidgetsPreprocessor()(plain, {})
    assert kept.cells[0].outputs[0].data["text/html"] == first
