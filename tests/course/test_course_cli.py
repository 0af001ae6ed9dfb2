"""kubelab.course without running nbgrader: finding the course, reading its config, refusing bad arguments."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kubelab import course

REPO = Path(__file__).resolve().parents[2]


def test_find_root_from_a_subfolder():
    assert course.find_root(REPO / "solutions") == REPO


def test_load_config_pins_root_and_db_to_a_copy(tmp_path):
    shutil.copy2(REPO / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    cfg = course.load_config(tmp_path)
    assert cfg.CourseDirectory.root == str(tmp_path.resolve())
    assert cfg.CourseDirectory.db_url == f"sqlite:///{tmp_path.resolve() / 'gradebook.db'}"
    assert cfg.CourseDirectory.source_directory == "solutions"
    assert cfg.CourseDirectory.release_directory == "exercises"


def test_assignments_are_the_folders_of_solutions():
    names = course.assignments(REPO)
    assert "a01-pods-and-namespaces" in names
    assert names == sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir() and not p.name.startswith("."))


def test_generate_refuses_an_unknown_assignment(capsys):
    assert course.main(["--root", str(REPO), "generate", "a99-nope"]) == 1
    assert "no assignment a99-nope" in capsys.readouterr().err


def test_check_refuses_a_missing_notebook(capsys, tmp_path):
    # `python -m kubelab.course check` is `kubelab check`: a missing file is bad input, exit 2, one error line.
    missing = tmp_path / "missing.ipynb"
    assert course.main(["check", str(missing)]) == 2
    assert capsys.readouterr().err == f"error: {missing}: no such notebook\n"


def test_usage_without_a_command():
    with pytest.raises(SystemExit) as info:
        course.main([])
    assert info.value.code == 2


def test_tools_on_path_puts_the_interpreter_first(monkeypatch):
    import os
    import sys

    monkeypatch.setenv("PATH", "/usr/bin")
    course.tools_on_path()
    assert os.environ["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
