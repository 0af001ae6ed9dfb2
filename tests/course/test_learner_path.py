"""The learner's path, end to end: ``make lab`` itself, then the course in headless Chromium.

The course is started the way a learner starts it: ``make lab`` (with
``LAB_ARGS="--no-browser --port=0 ..."`` so it picks a free port and opens no
browser), in a copy of the repository (the files a clone has, plus work not yet
committed; its ``.venv`` a link to this one, and ``make -o .venv/.installed`` so
the venv is never rebuilt from the copy).  The URL ``make lab`` prints is parsed
and opened as is.  Jupyter's config, data, runtime and settings folders, and
``HOME``, point into a temporary folder, so the user's own settings are neither
read nor touched.  ``KUBELAB_LAB=off``: notebook 10 runs its model half only (no
network namespaces; ``tests/lab`` covers the real kernel).

Then, in order, as a learner would:

1. the notebook 00 opens with an idle kernel; the file browser's root shows
   ``exercises/`` and ``notebooks/``; the Nbgrader menu offers the Assignment
   List but neither the Formgrader nor Create Assignment (the learner's view);
2. 00's link opens part 01; neither is marked unsaved once its kernel is ready
   (:mod:`kubelab.viz.contents`);
3. every chapter notebook: opened with nothing unsaved; *Run All*, no error output; every widget moved once
   (one control after another until its rendering changes); in 09, Figure 2.10
   drawn with text at least 11 px high;
4. 09's link opens the chapter-questions exercise; a wrong answer shows the
   feedback message only (no traceback, no ``.py`` path, not the right
   answer); the instructor's answer passes; all answers in, saved;
5. a terminal from *File > New > Terminal* starts in the course root and
   ``kubelab check exercises/a05-chapter-questions/chapter-questions.ipynb``
   exits 0;
6. *File > Save and Export Notebook As > HTML* on 05, right after moving a widget
   (no save by hand: the move marked the notebook unsaved, so the export saves
   first), with the dialog's default (sanitized): the HTML has real headings and
   the widget snapshot in the state the learner left it.

Timings (``make lab`` to an idle kernel on 00, *Run All* per notebook, the
slowest widget answer in the browser) are written to
``test-artifacts/learner-path-timings.json`` and printed; they are figures, not
assertions.  Screenshots: ``test-artifacts/learner-*.png``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from tests.browser import artifact, chromium
from tests.course.jupyter_server import (WAIT_MS, LabServer, _descendants, _environment, cell_errors, code_cells,
                                         current_panel, open_notebook, run_cell, set_cell_text,
                                         wait_idle)
from tests.course.test_assignments import VARIANTS, nbgrader_meta
from tests.test_binder import copy_repo

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
START = "notebooks/00-start-here.ipynb"
ASSIGNMENT = "a05-chapter-questions"
QUESTION = "q1"
URL = re.compile(r"(http://127\.0\.0\.1:(\d+))/lab/tree/notebooks/00-start-here\.ipynb\?token=(\w+)")
#: What `make lab` is given on top of its own arguments: a free port, no browser, no internet.
#: ``expose_app_in_browser`` gives the page ``window.jupyterapp``: the test waits for a kernel's info through it.
LAB_ARGS = ("--no-browser --port=0 --ServerApp.ip=127.0.0.1 --ServerApp.port_retries=0 "
            "--LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate "
            "--LabApp.expose_app_in_browser=True")
TIMINGS: dict[str, object] = {}
CHAPTERS = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def _digest(root: Path) -> dict[str, str]:
    """sha256 of every file of the course copy (its .venv link left out)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in ("notebooks", "exercises", "solutions") for p in sorted((root / folder).rglob("*"))
            if p.is_file()}


def _checkpoints() -> list[Path]:
    return sorted(p for folder in ("notebooks", "exercises", "solutions", ".") for p in (REPO / folder).glob(
        "**/.ipynb_checkpoints" if folder != "." else ".ipynb_checkpoints"))


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to make's process group (make and jupyter lab), then SIGKILL; kernels left over by pid."""
    children = _descendants(process.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    for child in children:
        with contextlib.suppress(Exception):
            if child.is_running():
                child.kill()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """``make lab`` running in a copy of the repository; yields (LabServer, the URL it printed)."""
    tmp = tmp_path_factory.mktemp("learner")
    root = copy_repo(tmp / "course")
    (root / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
    copied = _digest(root)
    checkpoints = _checkpoints()
    env = _environment(tmp / "home")
    env["KUBELAB_LAB"] = "off"
    # As on a learner's machine, Python writes its bytecode caches (in the copy): a session's kernels
    # after the first do not compile kubelab again, whatever the environment running the tests says.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    log = tmp / "make-lab.log"
    started = time.monotonic()
    with open(log, "wb") as out:
        process = subprocess.Popen(["make", "-o", ".venv/.installed", "lab", f"LAB_ARGS={LAB_ARGS}"], cwd=root,
                                   env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    server = LabServer("", "", root, tmp / "home", process, log)
    try:
        deadline = time.monotonic() + WAIT_MS / 1000
        match = None
        while match is None:
            if process.poll() is not None:
                raise AssertionError(f"make lab exited with {process.returncode}:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"make lab printed no URL in {WAIT_MS // 1000} s:\n{server.log_tail()}")
            match = URL.search(log.read_text(errors="replace"))
            time.sleep(0.1)
        TIMINGS["make lab: URL printed (s)"] = round(time.monotonic() - started, 2)
        server.url, server.token = match.group(1), match.group(3)
        server.wait_ready()
        yield server, match.group(0), started
    finally:
        _stop(process)
    # What the session saved went to the copy: no changed file of the copy reached the repository.
    changed = {name: digest for name, digest in _digest(root).items() if copied.get(name) != digest}
    leaked = [name for name, digest in changed.items()
              if (REPO / name).is_file() and hashlib.sha256((REPO / name).read_bytes()).hexdigest() == digest]
    assert not leaked, f"the learner's session changed files of the repository: {leaked}"
    assert _checkpoints() == checkpoints, "checkpoints written into the repository"


@pytest.fixture(scope="module")
def browser(lab, tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("profile"), viewport=(1280, 900)) as (context, page, blocked):
        page.set_default_timeout(WAIT_MS)
        page.on("dialog", lambda dialog: dialog.accept())  # "leave this page?" when going elsewhere: yes
        downloads: list = []
        context.on("page", lambda popup: popup.on("download", lambda d: downloads.append(d)))
        page.on("download", lambda d: downloads.append(d))
        yield context, page, blocked, downloads
        assert not blocked, f"requests left loopback: {blocked}"
    ARTIFACTS_JSON = artifact("learner-path-timings.json")
    ARTIFACTS_JSON.write_text(json.dumps(TIMINGS, indent=2) + "\n")
    print("\nlearner path timings:", json.dumps(TIMINGS, indent=2))


def _menu(page, *path: str) -> None:
    """Click through the main menu: ``_menu(page, "File", "New", "Terminal")``."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(path[0])}$")).click()
    for depth, label in enumerate(path[1:], 1):
        item = page.locator(".lm-Menu .lm-Menu-item:visible",
                            has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(label)}$")))
        if depth < len(path) - 1:
            item.last.hover()  # a submenu opens on hover
            page.locator(".lm-Menu").nth(depth).wait_for()
        else:
            item.last.click()


def _menu_items(page, top: str) -> list[str]:
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(top)}$")).click()
    items = [t.strip() for t in page.locator(".lm-Menu:visible .lm-Menu-itemLabel").all_inner_texts()]
    page.keyboard.press("Escape")
    return items


def _run(page, server: LabServer, cell) -> None:
    """run_cell, once more if the first Shift+Enter got no answer in 20 s (seen on a loaded machine, with the
    kernel idle and the request lost); a second failure fails with the kernels' states."""
    try:
        run_cell(page, cell, timeout=20_000)
    except TimeoutError:
        page.screenshot(path=artifact("learner-run-retried.png"))
        try:
            run_cell(page, cell)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}; kernels: {server.api('GET', '/api/kernels')}") from None


def _save(page, server: LabServer, relpath: str):
    """Ctrl+S, then the notebook as saved: read again until the server has finished writing it."""
    path = server.root / relpath
    before = path.stat().st_mtime_ns
    page.keyboard.press("ControlOrMeta+s")
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        with contextlib.suppress(Exception):
            if path.stat().st_mtime_ns != before:
                return nbformat.read(path, as_version=4)
        assert time.monotonic() < deadline, f"Ctrl+S did not save {relpath}"
        page.wait_for_timeout(200)


def _run_all(page, path: str) -> float:
    """Run > Run All Cells on the front notebook; the seconds until every cell has its number and the kernel idles."""
    n = sum(c.cell_type == "code" for c in nbformat.read(REPO / path, as_version=4).cells)
    started = time.monotonic()
    _menu(page, "Run", "Run All Cells")
    try:
        _all_numbered(page, n)
    except Exception:  # noqa: BLE001 - whatever stopped the run: screenshot it, report the cells' errors
        page.screenshot(path=artifact(f"learner-run-all-stuck-{Path(path).stem}.png"))
        errors = [e for c in code_cells(page).all() for e in cell_errors(c)]
        raise AssertionError(f"Run All did not finish on {path}; errors shown: {errors}") from None
    wait_idle(page)
    return time.monotonic() - started


def _all_numbered(page, n: int) -> None:
    page.wait_for_function(
        """n => {
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
            return prompts.length === n && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""", arg=n, timeout=WAIT_MS)


# ---------------------------------------------------------------------------------------------- 1, 2
def test_make_lab_opens_start_here_in_the_course_root(lab, browser):
    server, url, started = lab
    _context, page, blocked, _ = browser
    assert url.startswith(server.url) and "/lab/tree/notebooks/00-start-here.ipynb?token=" in url
    page.goto(url, timeout=WAIT_MS)  # what the learner's browser opens
    page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel",
                 has_text="00-start-here.ipynb").wait_for()
    wait_idle(page)
    TIMINGS["make lab: idle kernel on notebook 00 (s)"] = round(time.monotonic() - started, 2)
    assert current_panel(page).locator(".jp-RenderedMarkdown h1").first.inner_text().startswith("Start here")

    # The file browser can reach the whole course: its root is the repository's.
    page.locator(".jp-FileBrowser .jp-BreadCrumbs-home").click()
    listing = page.locator(".jp-FileBrowser .jp-DirListing-itemText")
    listing.filter(has_text=re.compile(r"^exercises$")).wait_for()
    names = {t.strip() for t in listing.all_inner_texts()}
    assert {"exercises", "notebooks", "README.md", "Makefile"} <= names, names
    page.screenshot(path=artifact("learner-00-root.png"))

    # The learner's view: the assignments and Validate, none of the instructor's tools.
    items = _menu_items(page, "Nbgrader")
    assert "Assignment List" in items, items
    assert not {"Formgrader", "Course List", "Create Assignment"} & set(items), items
    assert page.locator(".nbgrader-CreateAssignmentWidget, #nbgrader-create_assignment").count() == 0
    assert not blocked


def test_start_here_links_to_part_01(lab, browser):
    _context, page, _blocked, _ = browser
    link = current_panel(page).locator(".jp-RenderedMarkdown a[href*='01-network-model.ipynb']")
    link.scroll_into_view_if_needed()
    link.click()
    page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel",
                 has_text="01-network-model.ipynb").wait_for()
    wait_idle(page)
    dirty = _unsaved_once_kernel_ready(page, every=True)  # 00 and 01
    page.screenshot(path=artifact("learner-01-opened.png"))
    assert not dirty, f"marked unsaved as soon as opened: {dirty}"


def _unsaved_once_kernel_ready(page, every: bool = False) -> list[str]:
    """The front tab (``every``: all tabs) if marked unsaved once the front notebook's kernel has sent its info.

    JupyterLab writes the kernel's ``language_info`` into the notebook when that info arrives (which
    can be after the execution indicator first says idle); the wait is for that promise itself.
    """
    page.evaluate("""async () => {
        const panel = window.jupyterapp.shell.currentWidget;
        await panel.sessionContext.ready;
        await panel.sessionContext.session.kernel.info;
        await new Promise(resolve => setTimeout(resolve, 200));  // the panel's own handler ran first
    }""")
    tabs = ".lm-TabBar-tab.jp-mod-dirty" if every else "#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current.jp-mod-dirty"
    return [t.strip() for t in page.locator(f"{tabs} .lm-TabBar-tabLabel").all_inner_texts()]


# ------------------------------------------------------------------------------------------------ 3
_CONTROLS = ("select", ".widget-toggle-buttons button:not(.mod-active)", "input[type='checkbox']", ".noUi-handle",
             "button.jupyter-button:not([disabled])", ".widget-text input[type='text'], .widget-textarea textarea")
_ROOTS = """panel => [...panel.querySelectorAll('.widget-vbox')].filter(
    box => box.parentElement.closest('.widget-vbox') === null && box.querySelector('.kubelab-part') !== null).length"""


def _rendering(widget) -> str:
    return widget.evaluate("w => [...w.querySelectorAll('.kubelab-part')].map(p => p.innerHTML).join('|')")


def _move(page, widget) -> tuple[str, float]:
    """Change one control after another until the widget's rendering changes: (what moved it, seconds it took)."""
    before = _rendering(widget)
    for selector in _CONTROLS:
        controls = widget.locator(selector)
        for i in range(min(controls.count(), 3)):
            control = controls.nth(i)
            if not control.is_visible():
                continue
            started = time.monotonic()
            if selector == "select":
                n = control.locator("option").count()
                if n < 2:
                    continue
                index = control.evaluate("s => s.selectedIndex")
                control.select_option(index=(index + 1) % n)
            elif selector == ".noUi-handle":
                control.focus()
                page.keyboard.press("ArrowRight")
            elif selector.startswith(".widget-text"):  # type one more character, then leave the field
                control.fill(control.input_value() + "x")
                page.keyboard.press("Tab")
            else:
                control.click()
            with contextlib.suppress(Exception):
                page.wait_for_function("([w, b]) => [...w.querySelectorAll('.kubelab-part')].map(p => p.innerHTML)"
                                       ".join('|') !== b", arg=[widget.element_handle(), before], timeout=10_000)
            if _rendering(widget) != before:
                return f"{selector} #{i}", time.monotonic() - started
    raise AssertionError(f"no control changed the widget: {widget.inner_text()[:200]!r}")


@pytest.mark.parametrize("path", CHAPTERS)
def test_every_notebook_runs_and_every_widget_answers(lab, browser, path):
    server, _url, _started = lab
    _context, page, _blocked, _ = browser
    open_notebook(page, server, path)
    dirty = _unsaved_once_kernel_ready(page)
    assert not dirty, f"{path}: marked unsaved as soon as opened: {dirty}"
    TIMINGS[f"Run All {Path(path).stem} (s)"] = round(_run_all(page, path), 2)
    cells = code_cells(page)
    errors = {i: cell_errors(cells.nth(i)) for i in range(cells.count())}
    assert not {i: e for i, e in errors.items() if e}, f"{path}: cells with an error: {errors}"
    saved = _save(page, server, path)
    failed = [o.get("ename") for c in saved.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error" or o.get("name") == "stderr" and "Traceback" in o.get("text", "")]
    assert not failed, f"{path}: the saved notebook holds errors: {failed}"
    panel = current_panel(page)
    roots = panel.evaluate(_ROOTS)
    slowest = TIMINGS.get("slowest widget answer in the browser (s)", 0.0)
    for k in range(roots):
        widget = panel.locator(".widget-vbox").filter(has=page.locator(".kubelab-part")).locator(
            "xpath=self::*[not(ancestor::*[contains(concat(' ', @class, ' '), ' widget-vbox ')])]").nth(k)
        widget.scroll_into_view_if_needed()
        _how, seconds = _move(page, widget)
        slowest = max(slowest, round(seconds, 3))
    TIMINGS["slowest widget answer in the browser (s)"] = slowest
    wait_idle(page)
    assert not [e for i in range(cells.count()) for e in cell_errors(cells.nth(i))], f"{path}: a widget raised"
    if path.startswith("notebooks/09-"):  # Figure 2.10: text at least 11 px high on the page
        svg = panel.locator("svg[aria-labelledby]").filter(
            has=page.locator("title", has_text="Figure 2.10")).first
        svg.scroll_into_view_if_needed()
        scale = svg.evaluate("s => s.getBoundingClientRect().width / s.viewBox.baseVal.width")
        smallest = min(float(x) for x in svg.evaluate(
            "s => [...s.querySelectorAll('text')].map(t => t.getAttribute('font-size'))") if x)
        assert smallest * scale >= 11, f"Figure 2.10 text drawn {smallest * scale:.1f} px high"
    page.screenshot(path=artifact(f"learner-{Path(path).stem}.png"))


# ------------------------------------------------------------------------------------------------ 4
def _solution(source: str) -> str:
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() == "### BEGIN SOLUTION":
            inside = True
        elif line.strip() == "### END SOLUTION":
            inside = False
        elif inside:
            lines.append(line)
    return "\n".join(lines)


def _feedback_is_clean(text: str, right: str) -> list[str]:
    problems = []
    if "Traceback" in text:
        problems.append("a traceback")
    if re.search(r"[\w/]+\.py\b", text):
        problems.append("a .py path")
    if right.strip() and right.strip() in text:
        problems.append("the whole right answer")
    return problems


def test_summary_leads_to_the_exercise_whose_feedback_teaches(lab, browser):
    from kubelab.grading.answers import WrongAnswer

    server, _url, _started = lab
    _context, page, _blocked, _ = browser
    open_notebook(page, server, "notebooks/09-summary.ipynb")
    release = next((server.root / "exercises" / ASSIGNMENT).glob("*.ipynb"))
    relpath = release.relative_to(server.root).as_posix()
    link = current_panel(page).locator(f".jp-RenderedMarkdown a[href*='{relpath}']").first
    link.scroll_into_view_if_needed()
    link.click()
    page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel",
                 has_text=release.name).wait_for()
    wait_idle(page)
    assert current_panel(page).locator(".jp-Toolbar-item", has_text="Validate").count() == 1, "no Validate button"

    nb = nbformat.read(release, as_version=4)
    solution = nbformat.read(REPO / "solutions" / ASSIGNMENT / release.name, as_version=4)
    answers = {nbgrader_meta(c)["grade_id"]: _solution(c.source) for c in solution.cells
               if nbgrader_meta(c).get("solution") and c.cell_type == "code"}  # the written answer is graded by hand
    code = [c for c in nb.cells if c.cell_type == "code"]
    index = {nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(code)}
    answer_id, test_id = f"{QUESTION}-answer", f"{QUESTION}-test"
    wrong = VARIANTS[ASSIGNMENT]["wrong"]
    cells = code_cells(page)
    for i in range(index[answer_id]):
        _run(page, server, cells.nth(i))
    answer, test = cells.nth(index[answer_id]), cells.nth(index[test_id])
    blank = code[index[answer_id]].source
    set_cell_text(page, answer, blank.replace("raise NotImplementedError()", wrong.answers[answer_id].strip()))
    _run(page, server, answer)
    _run(page, server, test)
    shown = test.locator(".jp-OutputArea-output").all_inner_texts()
    text = "\n".join(shown)
    test.scroll_into_view_if_needed()
    page.screenshot(path=artifact("learner-exercise-wrong.png"))
    for phrase in wrong.fails[test_id]:
        assert phrase in text, f"the feedback does not say {phrase!r}: {text}"
    problems = _feedback_is_clean(text, answers[answer_id])

    # The instructor's answers in every answer cell; the visible tests pass; saved for `kubelab check`.
    for grade_id, source in answers.items():
        cell = cells.nth(index[grade_id])
        filled = "\n".join(source if line.strip() == "raise NotImplementedError()" else line  # indented as solved
                           for line in code[index[grade_id]].source.splitlines())
        set_cell_text(page, cell, filled)
    for k, cell in enumerate(nb.cells):  # the written answer (graded by hand): the instructor's text
        if cell.cell_type == "markdown" and nbgrader_meta(cell).get("solution"):
            model = next(c for c in solution.cells if nbgrader_meta(c).get("grade_id") == nbgrader_meta(cell)["grade_id"])
            box = current_panel(page).locator(".jp-Notebook .jp-Cell").nth(k)
            box.scroll_into_view_if_needed()
            box.dblclick()  # a rendered Markdown cell opens its editor on double click
            set_cell_text(page, box, model.source.split("\n\n")[0])  # the answer, without the rubric
            page.keyboard.press("Shift+Enter")
    _run_all(page, relpath)
    assert not [e for i in range(cells.count()) for e in cell_errors(cells.nth(i))], "a visible test still fails"
    test.scroll_into_view_if_needed()
    page.screenshot(path=artifact("learner-exercise-passed.png"))
    _save(page, server, relpath)
    # Last, so the saved answers above are there for the terminal's `kubelab check` either way.
    if problems and not hasattr(WrongAnswer, "_render_traceback_"):
        pytest.xfail(f"feedback shows {', '.join(problems)}: waits for h14-grading (_render_traceback_)")
    assert not problems, f"the feedback shows {', '.join(problems)}:\n{text}"


# ------------------------------------------------------------------------------------------------ 5
def test_terminal_starts_in_the_course_root_and_kubelab_check_passes(lab, browser):
    server, _url, _started = lab
    _context, page, _blocked, _ = browser
    _menu(page, "File", "New", "Terminal")
    term = page.locator(".jp-Terminal:visible .xterm-helper-textarea").first
    term.wait_for(state="attached")
    page.wait_for_timeout(500)  # the shell's prompt
    term.focus()
    relpath = next((server.root / "exercises" / ASSIGNMENT).glob("*.ipynb")).relative_to(server.root).as_posix()
    page.keyboard.type(f"pwd > .kl-pwd; kubelab check {relpath} > .kl-check 2>&1; echo $? > .kl-exit\n")
    exit_file = server.root / ".kl-exit"
    deadline = time.monotonic() + 120
    while not (exit_file.exists() and exit_file.read_text().strip()):
        assert time.monotonic() < deadline, "kubelab check did not finish in the terminal in 120 s"
        time.sleep(0.2)
    page.screenshot(path=artifact("learner-terminal.png"))
    assert Path((server.root / ".kl-pwd").read_text().strip()).resolve() == server.root.resolve()
    assert exit_file.read_text().strip() == "0", (server.root / ".kl-check").read_text()


# ------------------------------------------------------------------------------------------------ 6
def test_export_from_the_menu_keeps_headings_and_the_last_widget_state(lab, browser):
    from kubelab.viz.scaling import SIZES

    server, _url, _started = lab
    _context, page, _blocked, downloads = browser
    path = "notebooks/05-kube-proxy.ipynb"
    open_notebook(page, server, path)  # still open from above, its kernel alive
    wait_idle(page)  # the last move's snapshot update has reached the notebook
    _save(page, server, path)  # what the widgets were moved to above is saved: nothing unsaved now
    dirty = "#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current.jp-mod-dirty"
    # The file is written before the page hears back from the server and clears its unsaved mark.
    page.locator(dirty).wait_for(state="detached", timeout=10_000)
    explorer = current_panel(page).locator(".jp-OutputArea-output").filter(
        has_text="Move the slider to change how many").first
    explorer.scroll_into_view_if_needed()
    caption = explorer.locator(".kubelab-part table caption").first
    shown = int(re.search(r"With ([\d,]+) Services", caption.inner_text()).group(1).replace(",", ""))
    target = SIZES[SIZES.index(shown) + 1] if shown != SIZES[-1] else SIZES[SIZES.index(shown) - 1]
    explorer.locator(".noUi-handle").first.focus()  # the learner moves the slider, then exports
    page.keyboard.press("ArrowRight" if target > shown else "ArrowLeft")
    explorer.locator(".kubelab-part table caption", has_text=f"With {target:,} Services").wait_for()
    wait_idle(page)
    # Moving the widget updated the hidden snapshot after it: the notebook now has unsaved changes, so
    # JupyterLab's export (which saves first only then) writes the last state before exporting.  The
    # learner does not save by hand.
    page.locator(dirty).wait_for(timeout=10_000)
    saved_before = (server.root / path).stat().st_mtime_ns

    count = len(downloads)
    _menu(page, "File", "Save and Export Notebook As", "HTML")
    if page.locator(".jp-Dialog").count():  # "Sanitize HTML output", ticked by default: keep it
        page.screenshot(path=artifact("learner-05-export-dialog.png"))
        page.locator(".jp-Dialog .jp-mod-accept").click()
    deadline = time.monotonic() + 60
    while len(downloads) == count:
        assert time.monotonic() < deadline, "no HTML download in 60 s"
        page.wait_for_timeout(200)
    assert (server.root / path).stat().st_mtime_ns != saved_before, "the export did not save the notebook first"
    html = Path(downloads[-1].path()).read_text(encoding="utf-8")
    artifact("learner-05-export.html").write_text(html, encoding="utf-8")
    assert re.search(r'<h1 id="kube-proxy[^"]*">kube-proxy', html), "no real <h1> in the export"
    assert "&lt;h1" not in html and "&lt;h2" not in html and "&lt;table" not in html
    snapshots = html.split('class="kubelab-static"')[1:]
    assert snapshots, "no widget snapshot in the export"
    scaling = [s for s in snapshots if f"Services: {target}" in s[:2000] or f"Services: {shown}" in s[:2000]]
    assert scaling, "no snapshot of the scaling explorer"
    assert f"With {target:,} Services" in scaling[0] and f"With {shown:,} Services" not in scaling[0], \
        "the export shows the explorer as it first ran, not as the learner left it"
