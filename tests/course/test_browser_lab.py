"""A learner's path through the course in a real JupyterLab, in headless Chromium.

One JupyterLab server (module scope) serves a temporary copy of ``notebooks/``
and ``exercises/``, laid out as in the repository so relative links work; one
browser profile logs in through ``/login`` and then, as a learner would:

1. opens ``00-start-here`` and sees its title while the kernel comes up idle;
2. opens ``05-kube-proxy``, runs it with *Run > Run All Cells*, checks that
   every code cell ran without a traceback, then moves the scaling explorer's
   slider one notch with the keyboard and checks that the table and the chart
   now show the next size, with the numbers the model gives for it;
3. opens the chapter-questions exercise, runs its setup cell, answers the first
   question wrongly (the answer from ``test_assignments.VARIANTS``) and reads
   the test's feedback, then answers it with the instructor's solution (read
   from ``solutions/``) and sees the visible test pass.

Screenshots land in ``test-artifacts/`` (``lab-*.png``).  Every request that
leaves loopback is aborted and must not happen; the repository's own files must
be byte for byte the same afterwards.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from tests.browser import artifact, chromium
from tests.course.jupyter_server import (WAIT_MS, cell_errors, code_cells, current_panel, login, open_notebook,
                                         prompt_number, run_cell, save_notebook, set_cell_text, start_lab,
                                         wait_idle)
from tests.course.test_assignments import VARIANTS, nbgrader_meta

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SERVED = ("notebooks", "exercises")
START = "notebooks/00-start-here.ipynb"
KUBE_PROXY = "notebooks/05-kube-proxy.ipynb"
# Its first question is answered with one short line (IP_PER = "pod").
ASSIGNMENT = "a05-chapter-questions"
QUESTION = "q1"


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in SERVED for p in sorted((root / folder).rglob("*")) if p.is_file()}


def _checkpoints(root: Path) -> list[Path]:
    return sorted(p for folder in SERVED for p in (root / folder).rglob(".ipynb_checkpoints"))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "course"
    checkpoints = _checkpoints(REPO)
    for folder in SERVED:
        shutil.copytree(REPO / folder, root / folder,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    copied = _digest(root)
    server = start_lab(root, tmp / "home")
    try:
        yield server  # still starting: the browser fixture launches Chromium meanwhile, then waits for it
    finally:
        server.stop()
    # What JupyterLab saved (the learner's save, autosave, checkpoints) went to the copy, not to the repository.
    # (Compared file by file, not as a whole: other work may change the repository's notebooks meanwhile.)
    saved = {name: digest for name, digest in _digest(root).items() if copied.get(name) != digest}
    leaked = [name for name, digest in saved.items()
              if (REPO / name).is_file() and hashlib.sha256((REPO / name).read_bytes()).hexdigest() == digest]
    assert not leaked, f"the browser test's saves reached the repository: {leaked}"
    assert _checkpoints(REPO) == checkpoints, "JupyterLab wrote checkpoints into the repository"


@pytest.fixture(scope="module")
def browser(lab, tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("profile")) as (context, page, blocked):
        page.set_default_timeout(WAIT_MS)
        # Leaving a notebook with unsaved outputs asks "leave this page?": yes (the served files are a copy).
        page.on("dialog", lambda dialog: dialog.accept())
        lab.wait_ready()
        login(page, lab)
        yield page, blocked
        # Any request beyond loopback was aborted: the course must not have needed one.  (None is allowed:
        # JupyterLab's news and update check are off, and nothing else in it or in the notebooks goes out.)
        assert not blocked, f"requests left loopback: {blocked}"


def _title(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise AssertionError(f"{path.name} has no H1")


def test_start_here_opens(lab, browser):
    page, blocked = browser
    open_notebook(page, lab, START)
    h1 = current_panel(page).locator(".jp-RenderedMarkdown h1").first
    h1.wait_for(timeout=WAIT_MS)
    title = _title(lab.root / START)  # the served copy: what the browser shows
    assert h1.inner_text().replace("¶", "").strip() == title
    wait_idle(page)
    assert page.get_by_text(re.compile("Jupyter news", re.I)).count() == 0, "JupyterLab's news prompt is showing"
    page.screenshot(path=artifact("lab-00-start-here.png"))
    assert not blocked, f"requests left loopback: {blocked}"


def _scaling_explorer(page):
    """The output holding kubelab.viz.scaling_explorer(): its first line says what its slider does."""
    return current_panel(page).locator(".jp-OutputArea-output").filter(
        has_text="Move the slider to change how many Services").first


def _size_shown(explorer) -> int:
    caption = explorer.locator("table caption").first.inner_text()
    match = re.search(r"With ([\d,]+) Services", caption)
    assert match, f"unexpected caption of the scaling table: {caption!r}"
    return int(match.group(1).replace(",", ""))


def _rows(explorer) -> dict[str, list[str]]:
    out = {}
    for row in explorer.locator("table tbody tr").all():
        cells = [c.strip() for c in row.locator("td").all_inner_texts()]
        out[cells[0]] = cells
    return out


def test_kube_proxy_runs_and_its_widget_responds(lab, browser):
    from kubelab.viz.scaling import ENDPOINTS_PER_SERVICE, SIZES, scaling_curve
    from kubelab.viz.trace import available_modes

    page, blocked = browser
    open_notebook(page, lab, KUBE_PROXY)
    expected_cells = sum(c.cell_type == "code" for c in nbformat.read(lab.root / KUBE_PROXY, as_version=4).cells)
    cells = code_cells(page)
    assert cells.count() == expected_cells

    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-content .lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            """n => {
                const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
                const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
                return prompts.length === n && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            }""", arg=expected_cells, timeout=WAIT_MS)
    except PlaywrightTimeout:
        page.screenshot(path=artifact("lab-05-not-finished.png"))
        prompts = [cells.nth(i).locator(".jp-InputArea-prompt").first.text_content() for i in range(cells.count())]
        raise AssertionError(f"Run All Cells did not finish in {WAIT_MS // 1000} s; prompts: {prompts}") from None
    wait_idle(page)
    numbers = [prompt_number(cells.nth(i)) for i in range(expected_cells)]
    assert numbers == sorted(numbers) and len(set(numbers)) == expected_cells, f"not run top to bottom: {numbers}"
    errors = {i: cell_errors(cells.nth(i)) for i in range(expected_cells)}
    assert not {i: e for i, e in errors.items() if e}, f"cells with a traceback: {errors}"
    saved = [c for c in save_notebook(page, lab, KUBE_PROXY).cells if c.cell_type == "code"]
    assert all(c.execution_count for c in saved), "a code cell was saved without an execution count"
    failed = [o.get("ename") for c in saved for o in c.outputs if o.output_type == "error"]
    assert not failed, f"the saved notebook holds errors: {failed}"

    explorer = _scaling_explorer(page)
    explorer.locator(".noUi-handle").first.wait_for(timeout=WAIT_MS)
    explorer.scroll_into_view_if_needed()
    page.screenshot(path=artifact("lab-05-after-run.png"))
    size = _size_shown(explorer)
    assert size in SIZES and size != SIZES[-1], f"the slider starts at {size}, not a size with a next one"
    chart = explorer.locator("figure svg").first
    svg_before = chart.evaluate("e => e.outerHTML")

    # A learner moves the slider one notch: focus its handle, press the right arrow.
    explorer.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    new_size = SIZES[SIZES.index(size) + 1]
    explorer.locator("table caption", has_text=f"With {new_size:,} Services").wait_for(timeout=WAIT_MS)
    wait_idle(page)

    caption = explorer.locator("table caption").first.inner_text()
    assert caption.strip() == f"With {new_size:,} Services, {ENDPOINTS_PER_SERVICE} endpoints each"
    rows = _rows(explorer)
    modes = [m for m in available_modes() if m != "userspace"]  # scaling_explorer()'s default
    assert sorted(rows) == sorted(modes)
    for mode in modes:
        point = next(p for p in scaling_curve(mode) if p.services == new_size)
        before = next(p for p in scaling_curve(mode) if p.services == size)
        assert rows[mode][1] == f"{new_size:,}"
        assert rows[mode][3] == f"{point.evaluated:,.0f}", f"{mode}: rules checked by a new connection"
        if point.rules is not None:
            assert rows[mode][2] == f"{point.rules:,.0f}", f"{mode}: rules on the node"
        assert rows[mode][4] == ("measured" if point.measured else "extrapolated")
        if mode == "iptables":  # the lesson of the widget: iptables' first packet walks more rules
            assert point.evaluated > before.evaluated
    svg_after = chart.evaluate("e => e.outerHTML")
    assert svg_after != svg_before, "the chart did not change"
    assert f"The vertical line marks number of Services = {new_size:g}." in (chart.locator("desc").text_content() or "")
    page.screenshot(path=artifact("lab-05-widget-moved.png"))
    assert not blocked, f"requests left loopback: {blocked}"


def _solution(source: str) -> str:
    """The lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION``."""
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() == "### BEGIN SOLUTION":
            inside = True
        elif line.strip() == "### END SOLUTION":
            inside = False
        elif inside:
            lines.append(line)
    assert lines, "no solution region"
    return "\n".join(lines)


def _answer_source(path: Path, grade_id: str) -> str:
    nb = nbformat.read(path, as_version=4)
    return next(c.source for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)


def test_exercise_feedback_then_pass(lab, browser):
    page, blocked = browser
    release_path = next((REPO / "exercises" / ASSIGNMENT).glob("*.ipynb"))
    served = lab.root / "exercises" / ASSIGNMENT / release_path.name
    release = nbformat.read(served, as_version=4)
    solution = nbformat.read(REPO / "solutions" / ASSIGNMENT / release_path.name, as_version=4)
    code = [c for c in release.cells if c.cell_type == "code"]
    index = {nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(code)}
    answer_id, test_id = f"{QUESTION}-answer", f"{QUESTION}-test"
    blank = code[index[answer_id]].source
    assert "raise NotImplementedError()" in blank
    right = _solution(next(c.source for c in solution.cells if nbgrader_meta(c).get("grade_id") == answer_id))
    wrong = VARIANTS[ASSIGNMENT]["wrong"]
    phrases = wrong.fails[test_id]

    open_notebook(page, lab, f"exercises/{ASSIGNMENT}/{release_path.name}")
    cells = code_cells(page)
    assert cells.count() == len(code)
    for i in range(index[answer_id]):  # the setup before the first question
        run_cell(page, cells.nth(i))
        assert not cell_errors(cells.nth(i))
    answer, test = cells.nth(index[answer_id]), cells.nth(index[test_id])

    set_cell_text(page, answer, blank.replace("raise NotImplementedError()", wrong.answers[answer_id].strip()))
    run_cell(page, answer)
    assert not cell_errors(answer)
    run_cell(page, test)
    test.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").first.wait_for()
    errors = " ".join(cell_errors(test))
    assert "AssertionError" in errors or "WrongAnswer" in errors, f"no assertion feedback: {errors!r}"
    for phrase in phrases:
        assert phrase in errors, f"the feedback does not say {phrase!r}: {errors}"
    test.scroll_into_view_if_needed()
    page.screenshot(path=artifact("lab-exercise-wrong.png"))

    set_cell_text(page, answer, blank.replace("raise NotImplementedError()", right))
    run_cell(page, answer)
    assert not cell_errors(answer)
    run_cell(page, test)
    assert cell_errors(test) == [], "the visible test fails with the instructor's answer"
    assert test.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    test.scroll_into_view_if_needed()
    page.screenshot(path=artifact("lab-exercise-passed.png"))

    # The learner saves: the answer and the passing run land in the served copy (nothing else in the saved
    # test cell's outputs: no error arrived late); the repository's release keeps its blank.
    saved = {nbgrader_meta(c).get("grade_id"): c
             for c in save_notebook(page, lab, f"exercises/{ASSIGNMENT}/{release_path.name}").cells}
    assert right in saved[answer_id].source
    assert saved[test_id].execution_count and not [o for o in saved[test_id].outputs if o.output_type == "error"]
    assert "raise NotImplementedError()" in _answer_source(release_path, answer_id)
    assert not blocked, f"requests left loopback: {blocked}"
