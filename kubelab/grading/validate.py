"""``kubelab check`` inside the kernel: the verdict of an exercise's visible tests, with no server.

nbgrader's ``Validator`` (nbgrader 0.9.6, ``nbgrader/validator.py``) executes a notebook in a
fresh kernel from top to bottom and reports every graded test cell (``nbgrader.grade`` true,
``nbgrader.solution`` false) that raised. nbgrader, nbclient and a separate kernel do not exist
in the in-browser edition (docs/lite.md), so :func:`check` does the same in-process: it reads the
saved notebook, runs its code cells in order in a fresh namespace and reports each test cell as
passed or failed, with its points and the error's last line (the feedback the ``check_*``
functions raise) -- never a traceback.

Simplifications: cells run in this kernel's interpreter (a fresh namespace, not a fresh process:
modules already imported stay imported); IPython magics are translated with IPython's own
transformer when IPython is there, top-level ``await`` is not supported; nbgrader's checksums of
locked cells are not compared (a server-side ``kubelab check`` or ``make autograde`` does that,
and runs the hidden tests); the edition's install cell (id ``lite-install``) is skipped.

Examples
--------
>>> import json, tempfile, os
>>> nb = {"cells": [
...     {"cell_type": "code", "id": "a", "metadata": {"nbgrader": {"solution": True, "grade_id": "q1"}},
...      "source": "answer = 41"},
...     {"cell_type": "code", "id": "t", "metadata": {"nbgrader": {"grade": True, "solution": False,
...      "grade_id": "q1-test", "points": 2}}, "source": "assert answer == 42, 'off by one'"}]}
>>> path = os.path.join(tempfile.mkdtemp(), "ex.ipynb")
>>> _ = open(path, "w").write(json.dumps(nb))
>>> result = run_tests(path)
>>> [(t.grade_id, t.passed, t.error) for t in result.tests]
[('q1-test', False, 'AssertionError: off by one')]
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

__all__ = ["Result", "GradedTest", "check", "run_tests"]

#: The cell the in-browser edition puts first (kubelab/lite.py); it installs, it is not an answer.
INSTALL_CELL_ID = "lite-install"


@dataclass(frozen=True)
class GradedTest:
    """One graded test cell and what happened when it ran."""

    grade_id: str
    points: float
    passed: bool
    error: str = ""


@dataclass
class Result:
    """The verdict on a notebook: its test cells, and a cell before them that broke the run."""

    notebook: str
    tests: list[GradedTest] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # "cell-id: error" for failing non-test cells

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.tests) and bool(self.tests)

    @property
    def points(self) -> tuple[float, float]:
        """(points of the passing visible tests, points of all visible tests)."""
        return (sum(t.points for t in self.tests if t.passed), sum(t.points for t in self.tests))


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _python(source: str) -> str:
    """Cell source as plain Python (``%magics`` and ``!shell`` through IPython's transformer)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # plain Python: no magics to translate
        return source
    return TransformerManager().transform_cell(source)


def _last_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run_tests(notebook: str | os.PathLike) -> Result:
    """Run the saved ``notebook``'s code cells in order; the outcome of each graded test cell."""
    path = Path(notebook)
    cells = json.loads(path.read_text())["cells"]
    result = Result(str(notebook))
    # The cells' displays are not the verdict: ``display`` (an IPython builtin) shows nothing.
    namespace: dict[str, Any] = {"__name__": "__main__", "display": lambda *objs, **kw: None}
    sink = io.StringIO()  # the cells' own prints are not the verdict
    cwd = Path.cwd()
    try:
        os.chdir(path.resolve().parent)  # the notebook's files are relative to it, as in Jupyter
        for cell in cells:
            if cell.get("cell_type") != "code" or cell.get("id") == INSTALL_CELL_ID:
                continue
            meta = cell.get("metadata", {}).get("nbgrader", {})
            is_test = bool(meta.get("grade")) and not meta.get("solution")
            name = meta.get("grade_id") or cell.get("id") or "cell"
            error = ""
            try:
                with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                    exec(compile(_python(_source(cell)), f"<{name}>", "exec"), namespace)  # noqa: S102
            except Exception as exc:  # noqa: BLE001 - a learner's cell may raise anything; it is reported, not raised
                error = _last_line(exc)
            if is_test:
                result.tests.append(GradedTest(name, float(meta.get("points") or 0), not error, error))
            elif error:
                result.broken.append(f"{name}: {error}")
    finally:
        os.chdir(cwd)
    return result


def check(notebook: str | os.PathLike | None = None, *, out: TextIO | None = None) -> Result:
    """Print the verdict on ``notebook`` (default: the only .ipynb in this folder) and return it.

    Save the notebook first: this reads the file, as ``kubelab check`` does.
    """
    out = out or sys.stdout
    if notebook is None:
        found = sorted(p for p in Path.cwd().glob("*.ipynb"))
        if len(found) != 1:
            raise ValueError(f"name the notebook to check: {len(found)} .ipynb files in {Path.cwd()}")
        notebook = found[0].name
    result = run_tests(notebook)
    for line in result.broken:
        print(f"{notebook}: cell failed before the tests: {line}", file=out)
    for test in result.tests:
        verdict = "passed" if test.passed else f"failed: {test.error}"
        print(f"{notebook}: {test.grade_id} ({test.points:g} points) {verdict}", file=out)
    got, total = result.points
    print(f"{notebook}: {'passed' if result.passed else 'not passed'}: "
          f"{got:g} of {total:g} points from the visible tests"
          " (hidden tests and written answers are graded on the course server)", file=out)
    return result
