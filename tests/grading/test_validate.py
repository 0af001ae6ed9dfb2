"""The in-kernel verdict (kubelab.grading.validate): what `kubelab check` says, without nbgrader."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from kubelab.grading.validate import check, run_tests
from kubelab.lite import with_install_cell

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(p.name for p in (REPO / "exercises").iterdir() if p.is_dir())


def _notebook(folder: str, assignment: str) -> Path:
    (path,) = (REPO / folder / assignment).glob("*.ipynb")
    return path


def _visible_test_ids(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return [c["metadata"]["nbgrader"]["grade_id"] for c in cells
            if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("grade")
            and not c["metadata"]["nbgrader"].get("solution")]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_passes_every_visible_test(assignment):
    path = _notebook("solutions", assignment)
    result = run_tests(path)
    assert [t.grade_id for t in result.tests] == _visible_test_ids(path)
    assert result.tests, "every assignment has visible tests"
    assert result.passed, [t for t in result.tests if not t.passed]
    assert result.broken == []
    got, total = result.points
    assert got == total > 0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_scores_zero(assignment):
    result = run_tests(_notebook("exercises", assignment))
    assert result.tests and not result.passed
    assert result.points[0] == 0, [t for t in result.tests if t.passed]
    assert all(t.error for t in result.tests)


def test_a_plausible_wrong_answer_loses_only_its_points(tmp_path):
    """a02 q1: equal probabilities 1/n (the classic mistake) instead of 1/(n-i)."""
    nb = json.loads(_notebook("solutions", "a02-services-and-kube-proxy").read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "q1-answer":
            src = "".join(cell["source"])
            assert "1.0 / (n - i)" in src
            cell["source"] = src.replace("1.0 / (n - i)", "1.0 / n")
    wrong = tmp_path / "wrong.ipynb"
    wrong.write_text(json.dumps(nb))
    out = io.StringIO()
    result = check(wrong, out=out)
    failed = [t.grade_id for t in result.tests if not t.passed]
    assert failed == ["q1-test"]
    text = out.getvalue()
    assert "q1-test (2 points) failed: WrongAnswer" in text or "q1-test (2 points) failed:" in text
    assert "Traceback" not in text
    got, total = result.points
    assert got == total - 2


def test_the_install_cell_is_skipped_and_the_default_notebook_is_the_only_one(tmp_path, monkeypatch):
    nb = json.loads(_notebook("solutions", "a01-pods-and-namespaces").read_text())
    (tmp_path / "a01.ipynb").write_text(json.dumps(with_install_cell(nb)))
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    result = check(out=out)  # piplite does not exist here: running the install cell would fail
    assert result.passed and result.broken == []
    assert out.getvalue().splitlines()[-1].startswith("a01.ipynb: passed:")


def test_no_notebook_named_and_none_or_many_here_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="0 .ipynb files"):
        check()
