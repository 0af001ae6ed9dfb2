"""Every chapter notebook and every solution notebook runs headless, top to bottom, without an error.

Executed with nbclient as a learner's kernel would run them (``NBGRADER_EXECUTION``
unset, so widgets are displayed).  A notebook that displays a widget must come
out with the widget state saved in ``metadata.widgets``, so the widget renders
from the saved file.  The chapter notebooks also keep their headings in order.

``notebooks/`` may still be empty: its parametrization is then empty.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.course.headings import heading_problems

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((REPO / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((REPO / "solutions").glob("*/*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _id(path: Path) -> str:
    return str(path.relative_to(REPO))


def _execute(path: Path, monkeypatch) -> tuple[nbformat.NotebookNode, float]:
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
    return nb, time.perf_counter() - t0


def _widget_views(nb) -> list[str]:
    """The model ids of every widget a cell displayed."""
    ids = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view:
                ids.append(view["model_id"])
    return ids


def _check_widget_state(nb) -> None:
    views = _widget_views(nb)
    if not views:
        return
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    missing = [v for v in views if v not in state]
    assert not missing, f"widget state not saved for {len(missing)} displayed widget(s): {missing[:3]}"


@pytest.mark.parametrize("path", [*CHAPTERS, *SOLUTIONS], ids=_id)
def test_notebook_executes(path, monkeypatch, record_property):
    nb, seconds = _execute(path, monkeypatch)
    record_property("seconds", round(seconds, 2))
    print(f"{_id(path)}: executed in {seconds:.2f} s")
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, f"{_id(path)}: {errors[0].ename}: {errors[0].evalue}"
    _check_widget_state(nb)


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_chapter_headings(path):
    assert heading_problems(nbformat.read(path, as_version=4)) == []


def test_nbgrader_execution_silences_widgets(monkeypatch):
    """The graded notebooks display no widget while nbgrader runs them."""
    if not SOLUTIONS:
        pytest.skip("no solutions yet")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    for path in SOLUTIONS:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        assert _widget_views(nb) == [], f"{_id(path)} displays a widget under NBGRADER_EXECUTION"
    assert os.environ["NBGRADER_EXECUTION"] == "autograde"
