"""An instructor edits a MyST Markdown notebook in a real JupyterLab, in headless Chromium.

JupyterLab (jupytext's extension installed by ``make venv``) serves a temporary copy of
``notebooks/``; as an instructor would, the test

1. opens ``00-start-here.md`` from the file browser with *Open With > Jupytext Notebook*
   and sees the cells of the Markdown source, with the ids the ``.md`` gives;
2. runs it with *Run > Run All Cells*: every code cell runs, none with a traceback;
3. edits a Markdown cell (double-click, type at the end, Shift+Enter) and saves with Ctrl+S;

then checks that the paired files both carry the edit (the ``.md`` and the ``.ipynb``, with its
outputs and the same cell ids), that nothing else in the ``.md`` changed, and that
``make notebooks`` on the copy gives a clean notebook with the edit.  The repository's own
files are never served and must be unchanged; no request leaves loopback.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import shutil
import time
from pathlib import Path

import pytest

from kubelab import authoring
from tests.browser import artifact, chromium
from tests.course.jupyter_server import (WAIT_MS, cell_errors, code_cells, current_panel, login, run_cell, start_lab,
                                         wait_idle)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
NAME = "00-start-here"
EDITED_CELL = "course-works"  # the cell of "## How the course works"
EDIT = "An instructor's sentence, typed in JupyterLab."


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _open_with_jupytext(page, server) -> None:
    page.goto(f"{server.url}/lab/tree/notebooks?reset", timeout=WAIT_MS)
    item = page.locator(".jp-DirListing-item", has=page.locator(".jp-DirListing-itemText", has_text=f"{NAME}.md"))
    item.first.click(button="right", timeout=WAIT_MS)
    page.locator(".lm-Menu-content .lm-Menu-itemLabel", has_text=re.compile(r"^Open With$")).first.hover()
    page.locator(".lm-Menu-content .lm-Menu-itemLabel", has_text=re.compile(r"^Jupytext Notebook$")).first.click()
    page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel",
                 has_text=f"{NAME}.md").wait_for(timeout=WAIT_MS)


def _run_all(page, expected: int) -> None:
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-content .lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            """n => {
                const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
                const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
                return prompts.length === n && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            }""", arg=expected, timeout=3 * WAIT_MS)  # a kernel start and every cell, on a busy CI machine
    except PlaywrightTimeout:
        page.screenshot(path=artifact("lab-myst-not-finished.png"))
        prompts = code_cells(page).locator(".jp-InputArea-prompt").all_text_contents()
        outputs = code_cells(page).first.locator(".jp-OutputArea-output").all_text_contents()
        raise AssertionError(f"Run All Cells did not finish; prompts: {prompts}; first outputs: {outputs}") from None
    wait_idle(page)


def test_a_markdown_notebook_run_edited_and_saved_in_jupyterlab(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    # notebook 00 computes its study-time table from the course (notebooks/ beside exercises/)
    shutil.copytree(REPO / "exercises", root / "exercises", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    md, ipynb = root / "notebooks" / f"{NAME}.md", root / "notebooks" / f"{NAME}.ipynb"
    source = authoring.notebook_from_markdown(md)
    ids = [cell.id for cell in source.cells]
    n_code = sum(cell.cell_type == "code" for cell in source.cells)
    md_before, stamps = md.read_text(), (md.stat().st_mtime_ns, ipynb.stat().st_mtime_ns)
    repo_before = _digest(REPO / "notebooks")

    server = start_lab(root, tmp_path / "home")
    try:
        with chromium(tmp_path / "profile") as (context, page, blocked):
            page.set_default_timeout(WAIT_MS)
            page.on("dialog", lambda dialog: dialog.accept())
            server.wait_ready()
            login(page, server)
            _open_with_jupytext(page, server)
            page.wait_for_function(
                """n => {
                    const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
                    return panel !== null && panel.querySelectorAll('.jp-Notebook .jp-Cell').length === n;
                }""", arg=len(ids), timeout=WAIT_MS)
            wait_idle(page)
            assert code_cells(page).count() == n_code

            # The kernel answers one cell first (a Run All sent while it still connects can lose its queue).
            run_cell(page, code_cells(page).first, timeout=3 * WAIT_MS)
            _run_all(page, n_code)
            cells = code_cells(page)
            errors = {i: cell_errors(cells.nth(i)) for i in range(n_code)}
            assert not {i: e for i, e in errors.items() if e}, f"cells with a traceback: {errors}"

            heading = source.cells[ids.index(EDITED_CELL)].source.splitlines()[0].lstrip("# ").strip()
            cell = current_panel(page).locator(".jp-Notebook .jp-Cell").nth(ids.index(EDITED_CELL))
            cell.locator(".jp-RenderedMarkdown h2", has_text=heading).wait_for(timeout=WAIT_MS)
            cell.locator(".jp-RenderedMarkdown").first.dblclick()
            editor = cell.locator(".cm-content").first
            editor.wait_for(timeout=WAIT_MS)
            editor.click()
            page.keyboard.press("ControlOrMeta+End")
            page.keyboard.insert_text("\n\n" + EDIT)
            page.keyboard.press("Shift+Enter")  # render the cell again
            cell.locator(".jp-RenderedMarkdown", has_text=EDIT).wait_for(timeout=WAIT_MS)
            page.keyboard.press("ControlOrMeta+s")
            deadline = time.monotonic() + WAIT_MS / 1000
            while md.stat().st_mtime_ns == stamps[0] or ipynb.stat().st_mtime_ns == stamps[1]:
                if time.monotonic() > deadline:
                    page.screenshot(path=artifact("lab-myst-not-saved.png"))
                    raise AssertionError(f"Ctrl+S did not write both {md.name} and {ipynb.name}")
                page.wait_for_timeout(100)
            page.wait_for_timeout(500)  # jupytext writes the two files one after the other
            page.screenshot(path=artifact("lab-myst-saved.png"))
            assert not blocked, f"requests left loopback: {blocked}"
    finally:
        server.stop()

    # The .md: the edit, and nothing else changed.
    diff = [line for line in difflib.unified_diff(md_before.splitlines(), md.read_text().splitlines(), n=0)
            if not line.startswith(("---", "+++", "@@"))]
    assert diff and all(line.startswith("+") for line in diff), diff
    assert EDIT in "\n".join(diff)
    # The .ipynb: the edit in the same cell, the same ids, and the outputs of the run.
    saved = json.loads(ipynb.read_text())
    assert [c["id"] for c in saved["cells"]] == ids
    assert EDIT in "".join(saved["cells"][ids.index(EDITED_CELL)]["source"])
    assert all(c["execution_count"] for c in saved["cells"] if c["cell_type"] == "code")
    # make notebooks then gives the committed form: the edit, no outputs.
    assert authoring.stale(root) == [f"notebooks/{NAME}.ipynb"]
    authoring.write(root)
    assert authoring.stale(root) == []
    clean = json.loads(ipynb.read_text())
    assert EDIT in "".join(clean["cells"][ids.index(EDITED_CELL)]["source"])
    assert all(c.get("outputs") in (None, []) for c in clean["cells"])
    assert _digest(REPO / "notebooks") == repo_before, "the repository's notebooks changed"
