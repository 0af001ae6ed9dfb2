"""kubelab.study_time: the course's time estimates follow its content, at the stated rates."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from kubelab import study_time
from kubelab.study_time import RATES, Estimate, Rates, course_plan, estimate, markdown_table, widget_functions

REPO = Path(__file__).resolve().parents[1]


def _notebook(words: int, code: list[str], questions: int = 0, table: str = "") -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_markdown_cell(" ".join(["word"] * words) + ("\n" + table if table else ""))]
    cells += [nbformat.v4.new_code_cell(source) for source in code]
    for i in range(questions):
        cell = nbformat.v4.new_code_cell("answer = None")
        cell.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": f"q{i}", "locked": False}
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells)


def test_each_count_costs_its_stated_rate():
    rates = Rates(words_per_minute=100, per_code_cell=1, per_code_line=0.5, per_widget=7, per_question=4)
    nb = _notebook(1000, ["x = 1\n\ny = 2", "viz.scaling_explorer()"], questions=2,
                   table="| a | b |\n|---|---|\n| many words in a table | more |")
    e = Estimate.of(nb, rates)
    assert (e.words, e.code_cells, e.code_lines, e.widgets, e.questions) == (1000, 4, 5, 1, 2)
    raw = 1000 / 100 + 4 * 1 + 5 * 0.5 + 1 * 7 + 2 * 4  # 31.5
    assert e.minutes == 5 * round(raw / 5) == 30


def test_more_content_never_takes_less_time():
    small = Estimate.of(_notebook(400, ["a = 1"]))
    assert Estimate.of(_notebook(2000, ["a = 1"])).minutes > small.minutes
    assert Estimate.of(_notebook(400, ["a = 1"] + ["viz.ipam_explorer()"] * 4)).minutes > small.minutes
    assert Estimate.of(_notebook(0, [])).minutes == 5  # the floor


def test_widget_functions_come_from_the_app_classes():
    from kubelab.viz import widgets

    names = widget_functions()
    assert {"namespace_explorer", "port_playground", "trace_stepper", "scaling_explorer", "ipam_explorer",
            "plugin_chooser", "policy_playground"} <= set(names)
    import importlib
    import pkgutil

    import kubelab.viz

    modules = [importlib.import_module(f"kubelab.viz.{m.name}") for m in pkgutil.iter_modules(kubelab.viz.__path__)]
    assert all(any(callable(getattr(m, n, None)) for m in modules) for n in names)
    # Read from the source text, the same names the imported classes give: every subclass of _App, once.
    imported, todo = set(), [widgets._App]
    while todo:
        for cls in todo.pop().__subclasses__():
            todo.append(cls)
            imported.add(re.search(r":func:`(\w+)`", cls.__doc__).group(1))
    assert set(names) == imported and len(names) == len(imported)
    assert "show" not in names and "interact" not in names and widgets.interact  # not widgets themselves


def test_course_plan_covers_every_part_and_every_exercise_once():
    plan = course_plan(REPO)
    notebooks = sorted(p.name[:2] for p in (REPO / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    assert [p.number for p in plan] == notebooks
    exercises = sorted(p.name for p in (REPO / "exercises").iterdir() if p.is_dir())
    assert sorted(p.exercise for p in plan if p.exercise) == exercises
    assert all(p.title and p.minutes >= 5 for p in plan)
    for part in plan:
        path = next((REPO / "notebooks").glob(f"{part.number}-*.ipynb"))
        assert part.minutes == estimate(path).minutes
    hours = sum(p.minutes for p in plan) / 60
    assert 2 < hours < 6, f"{hours:.1f} hours of notebooks: the rates or the counting are off"
    assert markdown_table(plan).count("\n| ") == len(plan)  # one row per part under the header


def test_rates_are_the_documented_ones():
    assert RATES == Rates(words_per_minute=200, per_code_cell=0.5, per_code_line=0.05, per_widget=3, per_question=5)
    assert "200" in (study_time.__doc__ or "")


def _time_table_cell() -> tuple[str, str]:
    """(where, source) of notebook 00's time-table cell; from the fragment until it is in 00 (issue 11)."""
    import re

    for path in (REPO / "notebooks/00-start-here.md", REPO / "notebooks/00-start-here.ipynb",
                 REPO / "notebooks/fragments/00-start-here.md"):
        if not path.exists():
            continue
        if path.suffix == ".ipynb":
            sources = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        else:
            sources = re.findall(r"```\{code-cell\}[^\n]*\n(?::[^\n]*\n)*\n?(.*?)```", path.read_text(), re.S)
        for source in sources:
            if "markdown_table(course_plan(" in source:
                return path.name, source
    raise AssertionError("notebook 00 has no time table computed by kubelab.study_time")


def test_notebook_00_shows_the_computed_table(monkeypatch):
    """00's time table is the formula's, computed when the cell runs: nothing typed, nothing to drift."""
    where, source = _time_table_cell()
    assert "PARTS = [" not in source and not any(ch.isdigit() for ch in source), f"{where}: numbers typed in"
    monkeypatch.chdir(REPO / "notebooks")  # where a notebook's kernel runs
    namespace: dict = {}
    *body, last = [line for line in source.strip().splitlines()]
    exec("\n".join(body), namespace)  # noqa: S102 - the cell, as the kernel runs it
    shown = eval(last, namespace)  # noqa: S307 - its last expression is what the notebook displays
    assert shown.data == markdown_table(course_plan(REPO))
    assert "| 05 | kube-proxy" in shown.data and "hours of notebooks" in shown.data
