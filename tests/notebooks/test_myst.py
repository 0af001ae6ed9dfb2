"""The notebooks are written as MyST Markdown: each .ipynb is exactly what its .md makes.

- every ``notebooks/*.ipynb`` has its ``.md`` and equals what ``make notebooks`` makes of it
  (the decoded JSON: cells, ids, sources, metadata; no outputs);
- cell ids are the names the ``.md`` gives, unique, never positions (``cell-07``);
- inserting or editing one cell in a copy of a ``.md`` changes that cell only in the rewritten
  ``.ipynb`` (a text diff of nothing but added lines, for an insertion);
- a save through jupytext's contents manager (what JupyterLab does with the pair) writes both
  files, and the result is still what ``make notebooks`` makes;
- ``jupytext.toml`` pairs ``notebooks/`` only, so a learner's save in ``exercises/`` writes no ``.md``.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import re
import shutil
import tomllib
from pathlib import Path

import nbformat
import pytest

from kubelab import authoring

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "notebooks"
SOURCES = sorted(FOLDER.glob("*.md"))
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
POSITIONAL = re.compile(r"^(cell-?)?\d+$")


def test_every_notebook_has_its_source_and_back():
    assert SOURCES, "no notebooks/*.md"
    assert [p.stem for p in SOURCES] == [p.stem for p in NOTEBOOKS]
    assert authoring.sources(ROOT)[:len(SOURCES)] == SOURCES


def test_every_notebook_is_what_its_source_makes():
    assert authoring.stale(ROOT) == [], "run `make notebooks`"


@pytest.mark.parametrize("path", SOURCES + sorted((ROOT / "solutions").glob("*/*.md")), ids=lambda p: p.name)
def test_ids_are_the_sources_names_unique_and_not_positions(path):
    stored = nbformat.read(path.with_suffix(".ipynb"), as_version=4)
    assert stored.nbformat_minor >= 5
    ids = [cell.id for cell in stored.cells]
    assert len(set(ids)) == len(ids)
    assert [cell.metadata["id"] for cell in stored.cells] == ids
    assert not [i for i in ids if POSITIONAL.match(i)], "positional ids"
    text = path.read_text(encoding="utf-8")
    for cid in ids:  # written in the .md, where an author sees them: a code-cell option, or JSON after +++
        assert re.search(rf"^:?id: {cid}$", text, re.M) or re.search(rf'^\+\+\+ {{.*"id": "{cid}"', text, re.M), cid


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(FOLDER, tmp_path / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return tmp_path


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def test_inserting_a_cell_changes_only_that_cell(tmp_path):
    root = _copy(tmp_path)
    md, ipynb = root / "notebooks/05-kube-proxy.md", root / "notebooks/05-kube-proxy.ipynb"
    before_text, before = ipynb.read_text(), _cells(ipynb)
    anchor = '+++ {"id": "iptables-mode-rules"}'
    text = md.read_text()
    assert anchor in text
    md.write_text(text.replace(anchor, '```{code-cell}\n:id: an-inserted-cell\n\nprint("new")\n```\n\n' + anchor))
    assert authoring.main([str(root)]) == 0
    after = _cells(ipynb)
    new = [i for i, cell in enumerate(after) if cell["id"] == "an-inserted-cell"]
    assert len(new) == 1 and "".join(after[new[0]]["source"]) == 'print("new")'
    assert after[:new[0]] + after[new[0] + 1:] == before
    diff = [line for line in difflib.unified_diff(before_text.splitlines(), ipynb.read_text().splitlines(), n=0)
            if not line.startswith(("---", "+++", "@@"))]
    assert diff and all(line.startswith("+") for line in diff), diff


def test_editing_a_cell_changes_only_that_cell(tmp_path):
    root = _copy(tmp_path)
    md, ipynb = root / "notebooks/00-start-here.md", root / "notebooks/00-start-here.ipynb"
    before = _cells(ipynb)
    text = md.read_text()
    md.write_text(text.replace("## How the course works", "## How the whole course works", 1))
    assert authoring.main([str(root)]) == 0
    after = _cells(ipynb)
    changed = [(a["id"], b["id"]) for a, b in zip(before, after) if a != b]
    assert len(after) == len(before) and changed == [("course-works", "course-works")]
    assert "How the whole course works" in "".join(after[1]["source"])


def test_a_rebuild_writes_nothing_new(tmp_path):
    root = _copy(tmp_path)
    before = {p.name: p.read_bytes() for p in (root / "notebooks").glob("*.ipynb")}
    assert authoring.write(root) == []
    assert {p.name: p.read_bytes() for p in (root / "notebooks").glob("*.ipynb")} == before


def test_a_jupyterlab_save_keeps_the_pair_in_step(tmp_path):
    """What JupyterLab does on Ctrl+S of a .md opened as a notebook, without the browser: jupytext's contents manager."""
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
    from jupytext.async_contentsmanager import build_async_jupytext_contents_manager_class

    root = _copy(tmp_path)
    manager = build_async_jupytext_contents_manager_class(AsyncLargeFileManager)(root_dir=str(root))
    relpath = "notebooks/02-inside-a-pod.md"

    async def edit_and_save():
        model = await manager.get(relpath, content=True, type="notebook")
        nb = model["content"]
        assert [c["id"] for c in nb["cells"]] == [c["id"] for c in _cells(root / "notebooks/02-inside-a-pod.ipynb")]
        nb["cells"][0]["source"] += "\n\nA sentence added in JupyterLab."
        await manager.save({"type": "notebook", "format": "json", "content": nb}, relpath)

    asyncio.run(edit_and_save())
    assert "A sentence added in JupyterLab." in (root / relpath).read_text()
    assert "A sentence added in JupyterLab." in "".join(_cells(root / "notebooks/02-inside-a-pod.ipynb")[0]["source"])
    assert authoring.stale(root) == []


def test_pairing_is_configured_for_notebooks_only():
    config = tomllib.loads((FOLDER / "jupytext.toml").read_text())
    assert config["formats"] == "ipynb,md:myst"
    assert not (ROOT / "jupytext.toml").exists() and not (ROOT / "exercises" / "jupytext.toml").exists()
    from jupytext.config import find_jupytext_configuration_file

    found = find_jupytext_configuration_file(str(ROOT / "exercises" / "a01-pods-and-namespaces"))
    assert found is None or not Path(found).is_relative_to(ROOT), found


def test_sources_say_they_are_myst():
    for path in SOURCES:
        header = path.read_text().split("---", 2)[1]
        assert "format_name: myst" in header and "jupytext_version" not in header, path.name


# ------------------------------------------------------------------------------------------ solutions/
SOLUTION_SOURCES = sorted((ROOT / "solutions").glob("*/*.md"))


def test_every_solution_has_its_source():
    assert [p.with_suffix(".ipynb") for p in SOLUTION_SOURCES] == sorted((ROOT / "solutions").glob("*/*.ipynb"))
    assert tomllib.loads((ROOT / "solutions/jupytext.toml").read_text())["formats"] == "ipynb,md:myst"


@pytest.mark.parametrize("path", SOLUTION_SOURCES, ids=lambda p: p.parent.name)
def test_nbgrader_metadata_is_written_in_the_source(path):
    """Every graded, locked or solution cell carries its nbgrader metadata in the .md, as YAML options."""
    stored = nbformat.read(path.with_suffix(".ipynb"), as_version=4)
    graded = [cell for cell in stored.cells if "nbgrader" in cell.metadata]
    assert graded
    text = path.read_text()
    for cell in graded:  # YAML options in a code cell, JSON after +++ for a Markdown cell
        grade_id = cell.metadata.nbgrader["grade_id"]
        assert f"grade_id: {grade_id}\n" in text or f'"grade_id": "{grade_id}"' in text, grade_id


def test_the_release_made_from_markdown_is_the_committed_one(tmp_path):
    """exercises/ regenerated from the .md alone (the .ipynb deleted, rebuilt, released) equals the committed
    release cell for cell (nbgrader's checksums included), and no .md (it holds the solutions) is released."""
    from kubelab import course

    scratch = course.scratch_course(tmp_path / "course", ROOT)
    shutil.copy2(ROOT / "solutions/jupytext.toml", scratch / "solutions/jupytext.toml")
    for ipynb in (scratch / "solutions").glob("*/*.ipynb"):
        ipynb.unlink()
    assert len(authoring.write(scratch)) == len(SOLUTION_SOURCES)
    course.generate(None, scratch)
    committed = sorted(p.relative_to(ROOT) for p in (ROOT / "exercises").rglob("*") if p.is_file())
    released = sorted(p.relative_to(scratch) for p in (scratch / "exercises").rglob("*") if p.is_file())
    assert released == committed
    for rel in committed:
        mine, theirs = json.loads((scratch / rel).read_text()), json.loads((ROOT / rel).read_text())
        assert mine["metadata"] == theirs["metadata"], rel
        assert len(mine["cells"]) == len(theirs["cells"]), rel
        for a, b in zip(mine["cells"], theirs["cells"]):
            assert a == b, f"{rel}: cell {b['id']} differs"
        assert any("checksum" in c["metadata"].get("nbgrader", {}) for c in theirs["cells"])
