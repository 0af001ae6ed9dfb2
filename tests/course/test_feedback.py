"""Feedback reaches the learner without the hidden tests (nbgrader_config.py's GenerateFeedback setting).

Through nbgrader's own commands in a temporary copy of the course: generate the
release, submit the solution as one student, autograde, generate feedback; the
HTML shows the score and none of the hidden tests' lines.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = "a01-pods-and-namespaces"
NOTEBOOK = "pods-and-namespaces.ipynb"


def nbgrader(course: Path, *args: str) -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def hidden_lines() -> list[str]:
    nb = nbformat.read(REPO / "solutions" / ASSIGNMENT / NOTEBOOK, 4)
    lines = []
    for cell in nb.cells:
        for block in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S):
            lines += [line.strip() for line in block.splitlines() if len(line.strip()) > 25]
    return lines


def test_feedback_hides_the_hidden_tests(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    for name in ("solutions", "exercises"):
        shutil.copytree(REPO / name, course / name)
    shutil.copy(REPO / "nbgrader_config.py", course)
    student = course / "submitted" / "alice" / ASSIGNMENT
    student.mkdir(parents=True)
    shutil.copy(REPO / "solutions" / ASSIGNMENT / NOTEBOOK, student)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    nbgrader(course, "autograde", ASSIGNMENT, "--create", "--force")
    autograded = (course / "autograded" / "alice" / ASSIGNMENT / NOTEBOOK).read_text()
    assert "### BEGIN HIDDEN TESTS" in autograded  # autograde put them back to run them
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    page = (course / "feedback" / "alice" / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")).read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    hidden = hidden_lines()
    assert hidden, "the assignment has hidden tests"
    assert [line for line in hidden if line in text] == []
    assert "Score" in text or "points" in text
