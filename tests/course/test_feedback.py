"""Feedback reaches the learner without the hidden tests, for every assignment and whatever was submitted.

Through nbgrader's own commands (``make autograde`` and ``make feedback`` run the
same) in a temporary copy of the course: generate every assignment, submit the
full solution as one student and the untouched release as another, autograde,
generate feedback.  Before the grading sandbox, the untouched release's
feedback printed hidden tests in 11 of 15 files: a failing test's traceback
shows the lines around the failing one.  Every HTML page must show the score
and no hidden-test line, no traceback and no source path.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.capabilities import require

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir() and not p.name.startswith("."))

pytestmark = pytest.mark.slow


def nbgrader(course: Path, *args: str) -> str:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def hidden_lines(path: Path) -> list[str]:
    """The lines only the hidden tests have (a line the release shows too, like 'apiVersion: v1', is not one)."""
    nb = nbformat.read(path, 4)
    release = (REPO / "exercises" / path.parent.name / path.name).read_text()
    lines = []
    for cell in nb.cells:
        for block in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S):
            lines += [line.strip() for line in block.splitlines()
                      if len(line.strip()) > 12 and json.dumps(line.strip())[1:-1] not in release]
    return lines


def page_text(page: str) -> str:
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    require("bwrap", "autograding runs the learner's notebook inside bubblewrap")
    course = tmp_path_factory.mktemp("feedback") / "course"
    course.mkdir()
    for name in ("solutions", "exercises"):
        shutil.copytree(REPO / name, course / name)
    shutil.copy(REPO / "nbgrader_config.py", course)
    for assignment in ASSIGNMENTS:
        for student, folder in (("alice", "solutions"), ("bob", "exercises")):  # the solution; the untouched release
            dest = course / "submitted" / student / assignment
            dest.mkdir(parents=True)
            for nb in (REPO / folder / assignment).glob("*.ipynb"):
                shutil.copy(nb, dest)
        nbgrader(course, "generate_assignment", assignment, "--force")
        nbgrader(course, "autograde", assignment, "--create", "--force")
        nbgrader(course, "generate_feedback", assignment, "--force")
    return course


def pages(course: Path, student: str):
    for assignment in ASSIGNMENTS:
        for nb in sorted((REPO / "solutions" / assignment).glob("*.ipynb")):
            yield nb, (course / "feedback" / student / assignment / f"{nb.stem}.html").read_text()


@pytest.mark.parametrize("student", ["alice", "bob"])
def test_feedback_hides_the_hidden_tests(course, student):
    seen = 0
    for source, page in pages(course, student):
        text = page_text(page)
        hidden = hidden_lines(source)
        assert hidden, f"{source.name} has hidden tests"
        assert [line for line in hidden if line in text] == [], source.name
        assert "Traceback" not in text and "---->" not in text and "site-packages" not in text, source.name
        assert not re.findall(r"kubelab/\S+\.py", text), source.name
        assert "Score" in text or "points" in text
        seen += 1
    assert seen == len(ASSIGNMENTS)


def test_autograded_notebooks_keep_the_hidden_tests_for_the_instructor(course):
    autograded = (course / "autograded" / "alice" / ASSIGNMENTS[0]).glob("*.ipynb")
    assert any("### BEGIN HIDDEN TESTS" in p.read_text() for p in autograded)  # autograde put them back to run them


def test_untouched_feedback_says_what_to_do(course):
    for _, page in pages(course, "bob"):
        text = page_text(page)
        assert "is not defined: write your answer" in text or "is not written yet" in text
