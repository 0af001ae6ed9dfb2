"""``kubelab check``: nbgrader's validation with an exit status (0 passed, 1 failed, 2 missing file)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOLUTION = REPO / "solutions/a01-pods-and-namespaces/pods-and-namespaces.ipynb"
RELEASE = REPO / "exercises/a01-pods-and-namespaces/pods-and-namespaces.ipynb"


def run(*args: str) -> subprocess.CompletedProcess:
    kubelab = Path(sys.executable).with_name("kubelab")
    return subprocess.run([str(kubelab), "check", *args], capture_output=True, text=True, cwd=REPO, timeout=300)


def test_solution_passes_and_blank_release_fails(tmp_path):
    # copies outside the course folder, as a learner's download would be
    solution, release = tmp_path / "solution.ipynb", tmp_path / "release.ipynb"
    shutil.copy(SOLUTION, solution)
    shutil.copy(RELEASE, release)
    ok = run(str(solution))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().endswith("passed")
    bad = run(str(release))
    assert bad.returncode == 1
    assert "problem(s)" in bad.stdout and "NotImplementedError" in bad.stdout


def test_missing_notebook_is_bad_input():
    r = run("nope.ipynb")
    assert r.returncode == 2 and r.stderr.strip() == "error: nope.ipynb: no such notebook"
