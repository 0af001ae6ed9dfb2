"""The course notebooks follow the course's reading order (docs/authoring.md) and are stored clean.

For every notebook source notebooks/*.md (MyST Markdown, read as the notebook it
makes): one H1, headings never skip a level, the closing sections are there in
order, each diagram comes with its text description, code cells fetch nothing
from the network, links are local.  For every notebooks/*.ipynb: no outputs or
widget state are stored.  That each .ipynb is what its .md makes is
tests/notebooks/test_myst.py; execution is tests/course/.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from kubelab.authoring import notebook_from_markdown

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOURCES = sorted((ROOT / "notebooks").glob("*.md"))
CLOSING = ["Security lens", "Then and now", "Summary", "Your turn"]


def headings(nb) -> list[tuple[int, str]]:
    out = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            m = re.match(r"^(#{1,6})\s+(.*\S)\s*$", line)
            if m and not fenced:
                out.append((len(m.group(1)), m.group(2)))
    return out


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_there_are_notebooks():
    names = [p.name for p in NOTEBOOKS]
    for expected in ("00-start-here", "01-network-model", "02-inside-a-pod", "03-beyond-the-network"):
        assert f"{expected}.ipynb" in names
        assert (ROOT / "notebooks" / f"{expected}.md").is_file()


@pytest.fixture(params=SOURCES, ids=lambda p: p.name)
def nb(request):
    """The notebook a source makes: the checks name the .md an author edits."""
    return notebook_from_markdown(request.param)


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def stored(request):
    return nbformat.read(request.param, as_version=4)


def test_one_h1_first_and_levels_in_order(nb):
    hs = headings(nb)
    assert [lvl for lvl, _ in hs].count(1) == 1
    assert hs[0][0] == 1
    for (prev, _), (lvl, text) in zip(hs, hs[1:]):
        assert lvl <= prev + 1, f"heading {text!r} skips a level"


def test_what_you_will_learn_three_bullets(nb):
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "## What you will learn" in cell.source:
            after = cell.source.split("## What you will learn", 1)[1]
            section = after.split("\n#", 1)[0]
            assert len([line for line in section.splitlines() if line.startswith("- ")]) == 3
            return
    pytest.fail("no 'What you will learn' section")


def test_closing_sections_in_order(nb):
    titles = [text for lvl, text in headings(nb) if lvl == 2]
    found = [t for t in titles if t in CLOSING]
    assert found == CLOSING
    assert titles[-len(CLOSING):] == CLOSING, "the closing sections end the notebook"


def test_has_demo_widget_and_diagram(nb):
    src = "\n".join(c.source for c in code_cells(nb))
    assert "kubelab" in src
    widgets = ("namespace_explorer(", "port_playground(", "endpoint_explorer(", "trace_stepper(", "scaling_explorer(",
               "resolver_walk(", "service_type_explorer(", "route_explorer(", "ipam_explorer(", "policy_playground(",
               "plugin_chooser(")
    assert any(w in src for w in widgets)
    assert "viz.show(" in src


def test_every_diagram_has_its_text_description(nb):
    for cell in code_cells(nb):
        src = cell.source
        draws = "to_svg(" in src or "show(" in src or "caption=False" in src
        if not draws:
            continue
        # viz.show adds the description as a visible caption unless caption=False; to_svg needs it printed
        if "caption=False" in src or "to_svg(" in src:
            assert "describe_graph(" in src, src


def test_no_network_fetches_in_code(nb):
    for cell in code_cells(nb):
        assert "http://" not in cell.source and "https://" not in cell.source, cell.source
        for bad in ("urllib", "requests", "urlopen", "wget ", "curl "):
            assert bad not in cell.source


def test_stored_without_outputs(stored):
    for cell in code_cells(stored):
        assert cell.outputs == [] and cell.execution_count is None, f"cell {cell.id} has outputs: `make notebooks`"
    assert "widgets" not in stored.metadata


def test_links_are_local_and_descriptive(nb):
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for text, target in re.findall(r"\[([^\]]+)\]\(([^)]+)\)", cell.source):
            assert text.lower() not in ("here", "this", "link", "click here")
            assert not target.startswith(("http://", "https://")), target
            if target.endswith(".ipynb"):
                assert (ROOT / "notebooks" / target).resolve().relative_to(ROOT)
                assert (ROOT / "notebooks" / target).is_file(), f"broken link {target}"


# The graded exercise that covers each part (00 and the optional lab 10 have none).
PART_EXERCISE = {"01": "a01", "02": "a01", "03": "a01", "04": "a02", "05": "a02", "06": "a03", "07": "a03",
                 "08": "a04", "09": "a05"}


def test_your_turn_links_the_exercise_or_next_notebook():
    for path in SOURCES:
        nb = notebook_from_markdown(path)
        last = nb.cells[-1].source
        your_turn = last.split("## Your turn", 1)[1]
        targets = re.findall(r"\]\(([^)]+\.ipynb)\)", your_turn)
        assert targets, f"{path.name}: 'Your turn' links nothing"
        for target in targets:
            assert (path.parent / target).is_file(), f"{path.name}: broken link {target}"
        exercise = PART_EXERCISE.get(path.name[:2])
        if exercise:
            assert any(t.startswith(f"../exercises/{exercise}-") for t in targets), \
                f"{path.name}: 'Your turn' does not link its exercise {exercise}"
        else:
            assert any(re.fullmatch(r"\d\d-[a-z0-9-]+\.ipynb", t) for t in targets), path.name
