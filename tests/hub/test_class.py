"""A whole assignment round on a real JupyterHub with real Linux accounts (deploy/hub/).

One hub for the module: an instructor, a grader and three students with a unique prefix and a
temporary exchange.  The round goes through the HTTP APIs the browser uses (deploy/hub/rehearsal.py);
the browser test has a student of the same class do it by hand in JupyterLab.
"""
from __future__ import annotations

import html
import os
import pwd
import re

import pytest

pytestmark = [pytest.mark.hub, pytest.mark.slow]

ASSIGNMENT = "a01-pods-and-namespaces"


@pytest.fixture(scope="module")
def hub():
    from tests.capabilities import require
    require("hub", "a class on a real JupyterHub")
    import rehearsal
    timings: dict[str, float] = {}
    with rehearsal.class_hub(3, timings=timings) as hub:
        hub.timings = timings
        yield hub
    for name in hub.roster["students"] + [hub.roster["grader"]] + hub.roster["instructors"]:
        with pytest.raises(KeyError):  # teardown removed every account it made
            pwd.getpwnam(name)


@pytest.fixture(scope="module")
def round_(hub):
    import rehearsal
    return rehearsal.run_round(hub, hub.roster["students"][:2], ASSIGNMENT)


def points(assignment: str) -> tuple[float, float]:
    """(automatic, manual) points of ``assignment``, from the instructor's source."""
    import nbformat
    from kubelab.course import find_root
    auto = manual = 0.0
    for path in (find_root() / "solutions" / assignment).glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                if meta.get("solution"):
                    manual += meta["points"]
                else:
                    auto += meta["points"]
    return auto, manual


def test_scores_full_for_the_right_answers_and_zero_for_the_blank(round_):
    """Every automatic point for the solution's answers, none for the untouched release; the
    manually graded answer waits for the instructor."""
    auto, manual = points(ASSIGNMENT)
    right, blank = round_.students
    assert auto > 0
    assert round_.scores[right] == (auto, auto + manual)
    assert round_.scores[blank] == (0.0, auto + manual)


def test_every_student_saw_the_released_assignment_and_got_feedback(round_):
    for student in round_.students:
        assert ASSIGNMENT in round_.listing[student]
        assert "<html" in round_.feedback[student].lower()


def hidden_lines(assignment: str) -> set[str]:
    """Every line between BEGIN/END HIDDEN TESTS in the instructor's source of ``assignment``."""
    import nbformat
    from kubelab.course import find_root
    lines: set[str] = set()
    for path in (find_root() / "solutions" / assignment).glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            inside = False
            for line in cell.source.splitlines():
                if "BEGIN HIDDEN TESTS" in line:
                    inside = True
                elif "END HIDDEN TESTS" in line:
                    inside = False
                elif inside and line.strip():
                    lines.add(line.strip())
    return lines


def test_no_hidden_test_line_reaches_any_feedback(round_):
    hidden = hidden_lines(ASSIGNMENT)
    assert hidden, "a01 has hidden tests"
    for student, feedback in round_.feedback.items():
        text = html.unescape(re.sub(r"<[^>]+>", "", feedback))
        assert "HIDDEN TESTS" not in text, student
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{student}'s feedback shows hidden test lines: {leaked[:3]}"


def test_what_must_be_refused_is_refused(round_):
    refused = round_.refused
    assert refused["student on the formgrader"] == 403
    assert refused["student on another's server"] == 403
    assert refused["student reads another's inbox"] != 0
    assert refused["student writes another's inbox"] != 0
    assert refused["student reads the grader's home"] != 0


def test_homes_are_private_and_the_exchange_keeps_students_apart(hub, round_):
    for name in hub.roster["students"] + [hub.roster["grader"]]:
        home = pwd.getpwnam(name).pw_dir
        assert os.stat(home).st_mode & 0o777 == 0o700, name
    inbound = hub.exchange / "kubelab" / "inbound"
    assert inbound.stat().st_mode & 0o777 == 0o711
    for name in hub.roster["students"]:
        box = inbound / name
        assert box.stat().st_uid == pwd.getpwnam(name).pw_uid and box.stat().st_mode & 0o7777 == 0o2770
    right = round_.students[0]
    assert [p.name.split("+")[0] for p in (inbound / right).iterdir()] == [right]


def open_assignments(page):
    """Open the Assignments panel from the command palette (again, if JupyterLab was still starting)."""
    panel = page.locator("#nbgrader-assignment-list")
    for _ in range(30):
        page.keyboard.press("Escape")
        page.keyboard.press("Control+Shift+c")
        page.keyboard.type("Assignment List")
        page.keyboard.press("Enter")
        try:
            panel.wait_for(timeout=5_000)
            return panel
        except Exception:  # noqa: BLE001 - the palette's plugin was not there yet
            continue
    raise AssertionError("the Assignments panel did not open")


@pytest.mark.browser
def test_a_student_fetches_answers_and_submits_in_jupyterlab(hub, round_, tmp_path):
    """The third student, by hand in Chromium: log in through the hub, open the Assignments panel,
    fetch the released assignment, answer a question in the notebook, save, submit."""
    from kubelab.course import answered
    from tests.browser import artifact, chromium

    student = hub.roster["students"][2]
    answer = next(c.source for c in answered(ASSIGNMENT)["pods-and-namespaces.ipynb"].cells
                  if c.metadata.get("nbgrader", {}).get("grade_id") == "q1-answer")
    import nbformat
    from kubelab.course import find_root
    release = nbformat.read(find_root() / "exercises" / ASSIGNMENT / "pods-and-namespaces.ipynb", as_version=4)
    first_line = next(c.source for c in release.cells
                      if c.metadata.get("nbgrader", {}).get("grade_id") == "q1-answer").splitlines()[0]
    with chromium(tmp_path / "profile") as (_context, page, blocked):
        try:
            page.set_default_timeout(90_000)
            page.goto(f"{hub.url}/hub/login")
            page.fill("input[name=username]", student)
            page.fill("input[name=password]", hub.password)
            page.click("input[type=submit], button[type=submit]")
            page.wait_for_url(f"**/user/{student}/lab**")
            page.wait_for_selector(".jp-LabShell")
            panel = open_assignments(page)
            # The panel lists through nbgrader's exchange on the server: seconds on a loaded machine.
            panel.get_by_role("button", name="Fetch").first.wait_for(timeout=240_000)
            assert ASSIGNMENT in panel.inner_text()
            page.screenshot(path=str(artifact("hub-assignments-released.png")))
            panel.get_by_role("button", name="Fetch").first.click()
            panel.get_by_role("button", name="Submit").first.wait_for(timeout=240_000)
            page.goto(f"{hub.url}/user/{student}/lab/tree/{ASSIGNMENT}/pods-and-namespaces.ipynb")
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=240_000)
            # The answer cell, by its first line (case-sensitive: the setup cell says check_ip_per).
            editor = page.locator(".jp-Cell .cm-content", has_text=re.compile(re.escape(first_line)))
            editor.click()
            page.keyboard.press("Control+a")
            page.keyboard.insert_text(answer)
            page.keyboard.press("Control+s")
            page.wait_for_selector(".jp-mod-dirty", state="detached")
            panel = open_assignments(page)
            panel.get_by_role("button", name="Submit").first.wait_for(timeout=240_000)
            panel.get_by_role("button", name="Submit").first.click()
            page.wait_for_function(
                "() => !document.querySelector('#nbgrader-assignment-list').innerText"
                ".includes('There are no submitted assignments')", timeout=240_000)
            page.screenshot(path=str(artifact("hub-assignment-submitted.png")))
        except Exception:
            page.screenshot(path=str(artifact("hub-student-failure.png")))
            raise
        assert blocked == []
    (submission,) = (hub.exchange / "kubelab" / "inbound" / student).iterdir()
    assert submission.name.startswith(f"{student}+{ASSIGNMENT}+")
    nb = nbformat.read(submission / "pods-and-namespaces.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q1-answer")
    assert cell.source.strip() == answer.strip()
