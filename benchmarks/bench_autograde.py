"""nbgrader autograde of one student's whole course, with and without the grading sandbox; ``kubelab check``.

In a throwaway course in a temporary folder (kubelab.course.scratch_course:
nbgrader_config.py and solutions/ copied), each assignment is generated, then
one student submits the release with every answer cell holding the
instructor's answer (kubelab.course.answered) and nbgrader's autograde runs on
all of it (kubelab.course.autograde: a fresh kernel per notebook, as nbgrader
does).  It runs twice: with the course's configuration (the learner's kernel in
bubblewrap and the tests in the clean checker: kubelab.grading.execute) and
with nbgrader's stock Execute step (the configuration before the sandbox), so
the cost of the sandbox reads off the two totals.  Only autograde is timed:
one figure per assignment with the sandbox, and both totals (the goal: at most
30 s for the whole course on 2 cores).  Then ``kubelab check`` on one answered
notebook, next to nbgrader's Validator on the same file (what the check
command ran before).  Generating the assignments is reported apart, for reading.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDENT = "bench-student"
#: Appended to the scratch course's nbgrader_config.py for the "before" run: nbgrader's own steps.
STOCK = """
c.Autograde.sanitize_preprocessors = Autograde.class_traits()["sanitize_preprocessors"].default()
c.Autograde.autograde_preprocessors = Autograde.class_traits()["autograde_preprocessors"].default()
"""


def _course(tmp: str, name: str, stock: bool) -> tuple[Path, list[str], float]:
    from kubelab import course

    root = course.scratch_course(Path(tmp) / name, ROOT)
    if stock:
        with open(root / course.CONFIG_FILE, "a") as fh:
            fh.write(STOCK)
    names = course.assignments(root)
    started = time.perf_counter()
    course.generate(names, root)
    generating = time.perf_counter() - started
    for assignment in names:
        course.submit(STUDENT, assignment, course.answered(assignment, root), root)
    return root, names, generating


def run() -> list[tuple[str, float, str]]:
    from kubelab import course

    warnings.filterwarnings("ignore", module="nbgrader")  # SQLAlchemy 2.x noise from nbgrader 0.9
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="kubelab-autograde-") as tmp:
        totals, generating = {}, 0.0
        for label, stock in (("sandboxed", False), ("stock nbgrader", True)):
            root, names, generating = _course(tmp, label.replace(" ", "-"), stock)
            grading = 0.0
            for name in names:
                started = time.perf_counter()
                course.autograde(name, STUDENT, root)
                seconds = time.perf_counter() - started
                grading += seconds
                if not stock:
                    rows.append((f"autograde {name} (sandboxed)", seconds, "s"))
            totals[label] = grading
            rows.append((f"autograded score, {label} (of the maximum)", _score(root, names), "fraction"))
        for label, seconds in totals.items():
            rows.append((f"autograde whole course ({len(names)} assignments), {label}", seconds, "s"))
        rows.append((f"generate {len(names)} assignments (not in the totals)", generating, "s"))

        # kubelab check on one answered notebook, and nbgrader's Validator on the same file.
        import nbformat
        first = names[0]
        name, nb = next(iter(course.answered(first, ROOT).items()))
        path = Path(tmp) / "check" / first / name
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
        kubelab = Path(sys.executable).with_name("kubelab")
        started = time.perf_counter()
        done = subprocess.run([str(kubelab), "check", str(path)], capture_output=True, text=True, cwd=ROOT)
        rows.append((f"kubelab check {first} (exit {done.returncode}), whole command", time.perf_counter() - started,
                     "s"))
        from nbgrader.validator import Validator
        started = time.perf_counter()
        Validator().validate(str(path))
        rows.append(("nbgrader Validator on the same notebook (in-process)", time.perf_counter() - started, "s"))
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
