"""nbgrader autograde of one student's whole course: every assignment, answered right.

In a throwaway course in a temporary folder (kubelab.course.scratch_course:
nbgrader_config.py and solutions/ copied), each assignment is generated, then
one student submits the release with every answer cell holding the
instructor's answer (kubelab.course.answered) and nbgrader's autograde runs on
all of it (kubelab.course.autograde: a fresh kernel per notebook, as nbgrader
does).  Only autograde is timed: one figure per assignment and the total (the
goal: at most 30 s for the whole course on 2 cores).  Generating the
assignments is reported apart, for reading.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDENT = "bench-student"


def run() -> list[tuple[str, float, str]]:
    from kubelab import course

    warnings.filterwarnings("ignore", module="nbgrader")  # SQLAlchemy 2.x noise from nbgrader 0.9
    rows, grading, generating = [], 0.0, 0.0
    with tempfile.TemporaryDirectory(prefix="kubelab-autograde-") as tmp:
        root = course.scratch_course(Path(tmp) / "course", ROOT)
        names = course.assignments(root)
        started = time.perf_counter()
        course.generate(names, root)
        generating = time.perf_counter() - started
        for name in names:
            course.submit(STUDENT, name, course.answered(name, root), root)
        for name in names:
            started = time.perf_counter()
            course.autograde(name, STUDENT, root)
            seconds = time.perf_counter() - started
            grading += seconds
            rows.append((f"autograde {name}", seconds, "s"))
        score = _score(root, names)
    rows.append((f"autograde whole course ({len(names)} assignments)", grading, "s"))
    rows.append(("autograded score of the student (of the maximum)", score, "fraction"))
    rows.append((f"generate {len(names)} assignments (not in the total)", generating, "s"))
    return rows


def _score(root: Path, names: list[str]) -> float:
    """The student's autograded (code) score as a fraction of its maximum: 1.0 means every test passed.

    The written answers (markdown cells) wait for a human grader and are not counted.
    """
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id="kubelab") as gb:
        got = sum(gb.find_submission(name, STUDENT).code_score for name in names)
        best = sum(gb.find_assignment(name).max_code_score for name in names)
    return got / best if best else 0.0


if __name__ == "__main__":
    for name, value, unit in run():
        print(f"{name:55s} {value:8.2f} {unit}")
