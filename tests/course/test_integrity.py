"""Grading integrity: honest, wrong, untouched and hostile submissions, through nbgrader's API and ``kubelab check``.

Every probe of issue 14 (items 1-3) is a submission here.  In a throwaway
course (kubelab.course.scratch_course) assignment a01 is generated, each
variant below is submitted as one student, nbgrader's own ``autograde`` and
``generate_feedback`` run on it (NbGraderAPI, with the course's
nbgrader_config.py: the sandboxed execution), and the tests read the
gradebook, nbgrader's log, the autograded notebook and the feedback HTML.
The same notebooks then go through ``kubelab check``.

What must hold, whatever the answer did: the hostile tricks gain no point,
no hidden-test line reaches anything the learner sees, no script reaches the
feedback, the course root (solutions/, gradebook.db) is neither visible nor
changed, and an honest submission logs no "checksum has changed" warning.
"""

from __future__ import annotations

import copy
import html
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable

import nbformat
import pytest

from tests.capabilities import require

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = "a01-pods-and-namespaces"
NOTEBOOK = "pods-and-namespaces"
FILE = f"{NOTEBOOK}.ipynb"
CODE_POINTS = 12  # q1-q5 of a01; q6 is graded by hand

pytestmark = pytest.mark.slow


def _gid(cell: Any) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _with(nb: Any, gid: str, code: str, *, replace: bool = False) -> Any:
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if _gid(cell) == gid:
            cell.source = code if replace else f"{code}\n{cell.source}"
    return nb


PATCH_CHECKS = """
import kubelab.grading as _g
for _n in dir(_g):
    if _n.startswith("check_"):
        setattr(_g, _n, lambda *a, **k: None)
        globals()[_n] = lambda *a, **k: None
"""
TRANSFORMER = 'get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])'
PRINTER = 'get_ipython().events.register("pre_run_cell", lambda info: print(info.raw_cell))'
READ_SOLUTIONS = """
import glob as _glob, json as _json, os as _os
_found = [p for p in [{root!r} + "/solutions/{a}/{f}", "../../../solutions/{a}/{f}"] if _os.path.exists(p)]
_found += _glob.glob("/*/solutions/{a}/{f}") + _glob.glob("/work/*/*/solutions/{a}/{f}")
_found += _glob.glob(_os.path.expanduser("~/*/solutions/{a}/{f}"))
print("SOLUTIONS FOUND" if _found else "SOLUTIONS NOT FOUND")
for _p in _found[:1]:
    for _c in _json.load(open(_p))["cells"]:
        if _c["metadata"].get("nbgrader", {{}}).get("solution") and _c["cell_type"] == "code":
            exec("".join(_c["source"]))
"""
GRADEBOOK = """
import sqlite3 as _sq
for _path in [{root!r} + "/gradebook.db", "../../../gradebook.db"]:
    try:
        _db = _sq.connect(f"file:{{_path}}?mode=rw", uri=True)
        _db.execute("UPDATE grade SET auto_score = max_score")
        _db.commit()
        print("GRADEBOOK WRITTEN", _path)
    except Exception as _e:
        print("GRADEBOOK REFUSED", type(_e).__name__)
try:
    open({root!r} + "/dropped.txt", "w").write("x")
    print("DROPPED")
except OSError as _e:
    print("NOT DROPPED", type(_e).__name__)
"""
SCRIPT = """
from IPython.display import HTML, Javascript, display
display(HTML('<script>alert("kl-xss")</script><img src=x onerror=alert("kl-xss")>'))
display(Javascript('alert("kl-xss")'))
# ### BEGIN HIDDEN TESTS   (an answer may contain the marker text)
"""
MARKDOWN_SCRIPT = 'My answer. <script>alert("kl-xss")</script> <img src=x onerror="alert(\'kl-xss\')">'
WRONG_Q2 = '''def shared_namespaces(pod):
    return {"net", "ipc", "uts", "pid"}  # right for web (shareProcessNamespace), wrong for the hidden pods
'''


def variants(release: Any, solution: Any, root: Path) -> dict[str, Any]:
    """Student name -> the notebook that student submits."""
    fmt = dict(root=str(root), a=ASSIGNMENT, f=FILE)
    deleted = copy.deepcopy(solution)
    deleted.cells = [c for c in deleted.cells if not (_gid(c) or "").endswith("-test")]
    tampered = _with(solution, "q1-test", "pass", replace=True)
    return {
        "solution": solution,
        "untouched": release,
        "wrong": _with(solution, "q2-answer", WRONG_Q2, replace=True),
        "monkeypatch": _with(release, "q1-answer", PATCH_CHECKS),
        "transformer": _with(release, "q1-answer", TRANSFORMER),
        "printer": _with(solution, "q1-answer", PRINTER),
        "readsolutions": _with(release, "q1-answer", READ_SOLUTIONS.format(**fmt)),
        "gradebook": _with(release, "q1-answer", GRADEBOOK.format(**fmt)),
        "script": _with(_with(solution, "q1-answer", SCRIPT), "q6-answer", MARKDOWN_SCRIPT, replace=True),
        "deleted": deleted,
        "tampered": tampered,
        "exits": _with(solution, "q2-answer", "import os\nos._exit(0)"),
    }


def hidden_lines() -> list[str]:
    nb = nbformat.read(REPO / "solutions" / ASSIGNMENT / FILE, 4)
    release = (REPO / "exercises" / ASSIGNMENT / FILE).read_text()
    lines = []
    for cell in nb.cells:
        for block in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S):
            lines += [line.strip() for line in block.splitlines()
                      if len(line.strip()) > 12 and json.dumps(line.strip())[1:-1] not in release]
    assert lines, "a01 has hidden tests"
    return lines


def page_text(page: str) -> str:
    """The text of an HTML page: what a reader sees (no style sheet, no markup)."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def leaks(text: str) -> list[str]:
    """Hidden-test lines, tracebacks or source paths found in ``text``."""
    found = [line for line in hidden_lines() if line in text]
    found += [w for w in ("Traceback", "---->", "site-packages", "kubelab/grading/") if w in text]
    found += re.findall(r"\S+\.py\b", text)
    return found


class Graded:
    def __init__(self, root: Path, logs: dict[str, str], feedback: dict[str, str], listing: tuple[set, set]):
        self.root, self.logs, self.feedback, self.listing = root, logs, feedback, listing

    def score(self, student: str) -> float:
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}", course_id="kubelab") as gb:
            return gb.find_submission(ASSIGNMENT, student).code_score

    def autograded(self, student: str) -> Any:
        return nbformat.read(self.root / "autograded" / student / ASSIGNMENT / FILE, 4)

    def learner_outputs(self, student: str) -> str:
        """Every output of the autograded notebook, as text: what feedback shows besides the cell sources."""
        parts = []
        for cell in self.autograded(student).cells:
            for out in cell.get("outputs", []):
                parts.append(out.get("text", ""))
                parts.append(" ".join(str(v) for v in out.get("data", {}).values()))
                parts.append(out.get("evalue", "") + "\n".join(out.get("traceback", [])))
        return "\n".join(parts)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    require("bwrap", "autograding runs the learner's notebook inside bubblewrap")
    from nbgrader.apps import NbGraderAPI

    from kubelab import course

    course.tools_on_path()
    root = course.scratch_course(tmp_path_factory.mktemp("integrity") / "course", REPO)
    course.generate([ASSIGNMENT], root)
    release = nbformat.read(root / "exercises" / ASSIGNMENT / FILE, 4)
    solution = course.answered(ASSIGNMENT, root)[FILE]
    students = variants(release, solution, root.resolve())
    for name, nb in students.items():
        course.submit(name, ASSIGNMENT, {FILE: nb}, root)
    api = NbGraderAPI(config=course.load_config(root))
    logs, feedback = {}, {}
    before = {p.name for p in root.iterdir()}
    for name in students:  # "solution" first: a later hostile student must not be able to change its grade
        result = api.autograde(ASSIGNMENT, name, force=True, create=True)
        assert result["success"], f"{name}: {result.get('error', '')}{result.get('log', '')}"
        logs[name] = result.get("log", "")
    after = {p.name for p in root.iterdir()}
    for name in students:
        result = api.generate_feedback(ASSIGNMENT, name, force=True)
        assert result["success"], f"{name}: {result.get('error', '')}{result.get('log', '')}"
        feedback[name] = (root / "feedback" / name / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
    return Graded(root, logs, feedback, (before, after))


# ------------------------------------------------------------------ scores
def test_solution_full_marks_untouched_zero_wrong_partial(graded):
    assert graded.score("solution") == CODE_POINTS
    assert graded.score("untouched") == 0
    assert 0 < graded.score("wrong") < CODE_POINTS  # q2's hidden tests catch the fixed answer


@pytest.mark.parametrize("student", ["monkeypatch", "transformer", "readsolutions", "gradebook"])
def test_tricks_gain_nothing(graded, student):
    # Each starts from the untouched release: any point would come from the trick alone.
    assert graded.score(student) == 0


def test_honest_extras_keep_full_marks(graded):
    # A pre_run_cell printer and a script in the output change nothing about right answers.
    assert graded.score("printer") == CODE_POINTS
    assert graded.score("script") == CODE_POINTS


def test_deleted_and_tampered_test_cells_do_not_pass(graded):
    assert graded.score("deleted") == 0
    # The changed q1-test is put back by nbgrader and graded as the course wrote it: the answers are right.
    assert graded.score("tampered") == CODE_POINTS
    assert "checksum" in graded.logs["tampered"] and "q1-test" in graded.logs["tampered"]


def test_a_notebook_that_kills_its_kernel_is_graded_not_crashed(graded):
    assert graded.score("exits") == 0
    out = graded.learner_outputs("exits")
    assert "the kernel stopped" in out


# ------------------------------------------------------------------ the sandbox
def test_the_sandbox_hides_the_course_and_keeps_it_unchanged(graded):
    text = graded.learner_outputs("readsolutions")
    assert "SOLUTIONS NOT FOUND" in text and "SOLUTIONS FOUND" not in text
    text = graded.learner_outputs("gradebook")
    assert "GRADEBOOK REFUSED" in text and "GRADEBOOK WRITTEN" not in text
    assert "NOT DROPPED" in text
    before, after = graded.listing
    assert after - before <= {"autograded", "gradebook.db", ".nbgrader.log"}
    assert not (graded.root / "dropped.txt").exists()
    assert graded.score("solution") == CODE_POINTS  # graded first, unchanged by the later students


def test_honest_submissions_log_no_checksum_warning(graded):
    for student in ("solution", "untouched", "wrong", "printer"):
        assert "has changed" not in graded.logs[student], graded.logs[student][-2000:]


# ------------------------------------------------------------------ what the learner sees
@pytest.mark.parametrize("student", ["untouched", "wrong", "printer", "monkeypatch", "transformer", "script",
                                     "exits"])
def test_no_hidden_line_traceback_or_path_reaches_the_learner(graded, student):
    page = page_text(graded.feedback[student])
    assert leaks(page) == []
    # The autograded notebook (the instructor's) keeps the tracebacks of the learner's own cells, never a hidden line.
    outputs = graded.learner_outputs(student)
    assert [line for line in hidden_lines() if line in outputs] == []


def test_feedback_says_what_is_wrong_and_where_it_is_taught(graded):
    page = page_text(graded.feedback["wrong"])
    assert "You said the containers of pod" in page
    assert 'Taught in notebooks/02-inside-a-pod.ipynb, section "Who shares what"' in page
    untouched = page_text(graded.feedback["untouched"])
    assert "IP_PER is not defined" in untouched and "is not written yet" in untouched


class _Active(HTMLParser):
    """Collects what a browser would run: script elements' text and on* attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.code: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._in_script = tag == "script"
        self.code += [value or "" for name, value in attrs if name.lower().startswith("on")]
        self.code += [value or "" for name, value in attrs if (value or "").strip().lower().startswith("javascript:")]

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.code.append(data)


def test_feedback_runs_no_script(graded):
    active = _Active()
    active.feed(graded.feedback["script"])
    assert [code for code in active.code if "kl-xss" in code] == []
    assert "kl-xss" in graded.feedback["script"]  # the learner's code is still shown, as text


def test_an_answer_with_the_marker_text_still_gets_feedback(graded):
    assert "My answer." in graded.feedback["script"]


# ------------------------------------------------------------------ kubelab check on the same notebooks
CHECK_EXPECTED = {"solution": 0, "untouched": 1, "wrong": 0, "monkeypatch": 1, "transformer": 1, "printer": 0,
                  "deleted": 1, "exits": 1, "tampered": 1}


def test_kubelab_check_on_the_same_submissions(graded):
    kubelab = Path(sys.executable).with_name("kubelab")
    procs: dict[str, subprocess.Popen] = {}
    for student in CHECK_EXPECTED:
        path = graded.root / "submitted" / student / ASSIGNMENT / FILE
        procs[student] = subprocess.Popen([str(kubelab), "check", str(path)], cwd=graded.root, text=True,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    results: dict[str, Callable] = {}
    for student, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        results[student] = (proc.returncode, out, err)
    for student, (code, out, err) in results.items():
        assert code == CHECK_EXPECTED[student], f"{student}: {out}{err}"
        assert leaks(out + err) == [], student
    assert "q1-test: missing" in results["deleted"][1]
    assert "q1-test: locked cell changed" in results["tampered"][1]
    assert "the kernel stopped" in results["exits"][1]


def test_validate_button_shows_the_message_only(tmp_path):
    """nbgrader's Validator (the Validate button) on a wrong release answer: the check's message, no traceback."""
    from nbgrader.validator import Validator

    release = nbformat.read(REPO / "exercises" / ASSIGNMENT / FILE, 4)
    nb = _with(release, "q1-answer", 'IP_PER = "container"\ndef container_ips(pod):\n    return {}', replace=True)
    path = tmp_path / FILE
    nbformat.write(nb, path)
    results = Validator().validate(str(path))
    q1 = next(r for r in results["failed"] if r["source"].startswith("check_ip_per"))
    assert q1["raw_error"].startswith("WrongAnswer: You said each container gets its own IP")
    assert "Traceback" not in q1["raw_error"] and ".py" not in q1["raw_error"]
