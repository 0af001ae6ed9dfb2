"""The instructor's side in a real browser: nbgrader's formgrader inside JupyterLab, after an autograde.

A throwaway course (the repository's ``nbgrader_config.py`` and the sources of
one small assignment) is generated and two simulated students are autograded
through nbgrader's Python API: ``learner-solved`` hands in the release with every
answer cell filled from the instructor's solution, ``learner-untouched`` the
release as given.  JupyterLab then runs in that course folder (the formgrader
is nbgrader's server extension, enabled in the venv); Chromium logs in through
``/login`` (``?token=`` does not authenticate the formgrader's API calls), opens
the formgrader, the assignment's submissions, the students and the gradebook,
and finds each student with the score the gradebook database holds: every
automatic point for the solution, zero for the untouched release.

Screenshots: ``formgrader-assignments.png``, ``formgrader-submissions.png``,
``formgrader-gradebook.png`` in ``test-artifacts/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from tests.browser import artifact, chromium
from tests.course.jupyter_server import WAIT_MS, LabServer, login, start_lab
from tests.course.test_assignments import COURSE_ID, autograded_tests, nbgrader_meta, notebooks_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    # Known noise from nbgrader 0.9 with SQLAlchemy 2.x (see ENVIRONMENT.md), not ours to fix.
    pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning"),
]

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = "a05-chapter-questions"  # short checks: the quickest to autograde
SOLVED, UNTOUCHED = "learner-solved", "learner-untouched"


@dataclass
class Graded:
    root: Path
    notebook: str                            # the assignment's notebook, without .ipynb
    scores: dict[str, tuple[float, float]]   # student -> (score, max_score) from the gradebook database
    code: dict[str, tuple[float, float]]     # student -> (code_score, max_code_score) of the notebook
    server: LabServer                        # JupyterLab running in the course folder


def _strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in {"### BEGIN SOLUTION", "### END SOLUTION"})


def _solved(release, source):
    """The release with every answer cell holding the instructor's answer (what a perfect learner hands in)."""
    answers = {nbgrader_meta(c)["grade_id"]: _strip_markers(c.source) for c in source.cells
               if nbgrader_meta(c).get("solution")}
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution"):
            cell.source = answers[gid]
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Iterator[Graded]:
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI

    from kubelab import course as kcourse

    kcourse.tools_on_path()  # nbgrader runs `alembic` from PATH to create the gradebook
    root = tmp_path_factory.mktemp("formgrader") / "course"
    root.mkdir()
    shutil.copy2(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / "solutions" / ASSIGNMENT, root / "solutions" / ASSIGNMENT)
    cfg = kcourse.load_config(root)
    api = NbGraderAPI(config=cfg)
    result = api.generate_assignment(ASSIGNMENT, force=True)
    assert result["success"], result.get("error", "") + result.get("log", "")

    [source_path] = notebooks_of(root / "solutions" / ASSIGNMENT)
    release_path = root / cfg.CourseDirectory.release_directory / ASSIGNMENT / source_path.name
    release = nbformat.read(release_path, as_version=4)
    source = nbformat.read(source_path, as_version=4)
    for student, nb in ((SOLVED, _solved(release, source)), (UNTOUCHED, release)):
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / source_path.name)
    # JupyterLab starts while nbgrader autogrades (the formgrader reads the gradebook only when asked).
    server = start_lab(root, root.parent / "home")
    try:
        for student in (SOLVED, UNTOUCHED):
            result = api.autograde(ASSIGNMENT, student, force=True, create=True)
            assert result["success"], result.get("error", "") + result.get("log", "")

        gb = Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=COURSE_ID)
        try:
            scores, code = {}, {}
            for s in (SOLVED, UNTOUCHED):
                sub = gb.find_submission(ASSIGNMENT, s)
                nb = gb.find_submission_notebook(source_path.stem, ASSIGNMENT, s)
                scores[s], code[s] = (sub.score, sub.max_score), (nb.code_score, nb.max_code_score)
        finally:
            gb.close()
        automatic = sum(autograded_tests(source).values())
        assert code[SOLVED] == (automatic, automatic) and automatic > 0, \
            f"the solution loses automatic points: {code}"
        assert scores[SOLVED][0] == automatic, f"the solution's score is not its automatic points: {scores}"
        assert scores[UNTOUCHED][0] == 0 and code[UNTOUCHED][0] == 0, f"the untouched release earns points: {scores}"
        server.wait_ready()
        yield Graded(root, source_path.stem, scores, code, server)
    finally:
        server.stop()


def _shown(value: float) -> str:
    """A score as the formgrader's JavaScript prints it (rounded to 2 places, no trailing zeros)."""
    return f"{round(value, 2):g}"


def _expected(graded: Graded, student: str, column: str = "score") -> str:
    score, max_score = (graded.scores if column == "score" else graded.code)[student]
    return f"{_shown(score)} / {_shown(max_score)}"


def _row(page, student: str, id_selector: str):
    """The table row whose ``id_selector`` cell reads ``student`` (waits for the JavaScript to fill it)."""
    row = page.locator("#main-table tr").filter(has=page.locator(id_selector, has_text=student))
    row.first.wait_for(timeout=WAIT_MS)
    return row.first


def test_formgrader_shows_both_students_with_their_scores(graded, tmp_path):
    from playwright.sync_api import expect

    server = graded.server
    with chromium(tmp_path / "profile") as (context, page, blocked):
        page.set_default_timeout(WAIT_MS)
        login(page, server)

        page.goto(f"{server.url}/formgrader", timeout=WAIT_MS)
        assignment = page.locator("#main-table tr").filter(has_text=ASSIGNMENT).first
        assignment.wait_for(timeout=WAIT_MS)
        expect(assignment.locator(".num-submissions")).to_have_text(str(len(graded.scores)), timeout=WAIT_MS)
        page.screenshot(path=artifact("formgrader-assignments.png"))

        page.goto(f"{server.url}/formgrader/manage_submissions/{ASSIGNMENT}", timeout=WAIT_MS)
        for student in (SOLVED, UNTOUCHED):
            row = _row(page, student, ".student-id")
            assert row.locator(".score").inner_text().strip() == _expected(graded, student), student
        page.screenshot(path=artifact("formgrader-submissions.png"))

        page.goto(f"{server.url}/formgrader/manage_students", timeout=WAIT_MS)
        for student in (SOLVED, UNTOUCHED):
            row = _row(page, student, ".id")
            assert row.locator(".score").inner_text().strip() == _expected(graded, student), student

        # The gradebook of the assignment's notebook hides names until asked: ask, as an instructor would.
        page.goto(f"{server.url}/formgrader/gradebook/{ASSIGNMENT}/{graded.notebook}", timeout=WAIT_MS)
        page.locator("#main-table tr .name a").first.wait_for(timeout=WAIT_MS)
        page.locator("#toggle_names").click()
        for student in (SOLVED, UNTOUCHED):
            row = _row(page, student, ".name a.name-shown")
            assert row.locator(".name a.name-shown").is_visible()
            assert row.locator(".score").inner_text().strip() == _expected(graded, student), student
            assert row.locator(".code-score").inner_text().strip() == _expected(graded, student, "code"), student
        page.screenshot(path=artifact("formgrader-gradebook.png"), full_page=True)
        assert not blocked, f"requests left loopback: {blocked}"
