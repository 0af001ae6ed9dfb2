"""What the notebooks show is what the graders and the model say (issue: course truth).

- 04 runs the chapter's Service and Endpoints examples through the model (kubelab.grading.chapter),
  whose messages tests/api/test_chapter.py compares with the API server's;
- 09 prints the namespace table a05 questions 2 and 3 are graded on (tests/grading/test_checks.py
  derives the graded answers from that table) and says UTS wherever it lists shared namespaces;
- 08 shows the feature matrix a04 question 3 is graded on (tests/grading/test_cni.py reads each
  team's answer off that table).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


def cells(name: str, kind: str) -> list[str]:
    nb = nbformat.read(next((ROOT / "notebooks").glob(f"{name}-*.ipynb")), as_version=4)
    return [c.source for c in nb.cells if c.cell_type == kind]


def test_04_shows_the_chapters_examples_and_their_errors():
    code = "\n".join(cells("04", "code"))
    assert "chapter.try_chapter(name)" in code and "chapter.EXAMPLES" in code
    prose = "\n".join(cells("04", "markdown"))
    assert "29763" in prose and "metadata.name" in prose


def test_09_shows_the_namespace_table_and_says_uts():
    code = "\n".join(cells("09", "code"))
    assert "linuxns.describe(a1)" in code
    prose = "\n".join(cells("09", "markdown"))
    for claim in re.findall(r"[^.|\n]*(?:share|holds)[^.|\n]*namespace[^.|\n]*", prose):
        if "network" in claim and "IPC" in claim:
            assert "UTS" in claim, claim


def test_08_shows_the_matrix_a04_is_graded_on():
    code = "\n".join(cells("08", "code"))
    assert "feature_matrix_html" in code or "plugin_chooser" in code
