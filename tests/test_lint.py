"""ruff's chosen rules hold over the whole repository, so ``make test`` fails on a finding.

The rules and why each is there: ``[tool.ruff.lint]`` in pyproject.toml and docs/testing.md.
Run ``.venv/bin/ruff check`` to see the findings, ``ruff check --fix`` for the mechanical ones.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    beside = Path(sys.executable).with_name("ruff")  # the venv's (the test extra installs it)
    found = str(beside) if beside.exists() else shutil.which("ruff")
    assert found, "ruff is not installed: pip install -e '.[test]' (make venv does)"
    return [found]


def test_ruff_finds_nothing():
    result = subprocess.run([*_ruff(), "check", "--no-cache", "--output-format", "concise", "."], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"ruff check found problems:\n{result.stdout}{result.stderr}"


def test_ruff_would_see_a_planted_bug(tmp_path):
    """The configuration is read and the rules are on: an unused import and a blind except are findings."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\ntry:\n    pass\nexcept Exception:\n    pass\n")
    result = subprocess.run([*_ruff(), "check", "--no-cache", "--output-format", "concise",
                             "--config", str(REPO / "pyproject.toml"), str(bad)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "F401" in result.stdout and "BLE001" in result.stdout
