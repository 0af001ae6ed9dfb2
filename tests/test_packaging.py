"""The three dependency lists agree, and the repository plumbing is well-formed.

pyproject.toml is the source of truth; binder/requirements.txt (Binder) and
environment.yml (conda) repeat it and drift easily.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]

# conda-forge names that differ from the PyPI ones.
CONDA_TO_PYPI = {"python-kubernetes": "kubernetes"}
# conda packages that are the environment itself, not dependencies of kubelab.
CONDA_ONLY = {"python", "pip"}


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def as_specs(requirements) -> dict[str, SpecifierSet]:
    """name (canonical) -> specifier set; a name listed twice must agree with itself."""
    specs: dict[str, SpecifierSet] = {}
    for text in requirements:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert specs.get(name, req.specifier) == req.specifier, f"{name} listed twice with different bounds"
        specs[name] = req.specifier
    return specs


def runtime_specs() -> dict[str, SpecifierSet]:
    return as_specs(pyproject()["project"]["dependencies"])


def all_specs() -> dict[str, SpecifierSet]:
    project = pyproject()["project"]
    return as_specs(project["dependencies"] + project["optional-dependencies"]["test"])


def conda_env() -> dict:
    return yaml.safe_load((REPO / "environment.yml").read_text())


def conda_specs() -> dict[str, SpecifierSet]:
    """environment.yml's packages under their PyPI names (conda's own and pip's section)."""
    texts = []
    for entry in conda_env()["dependencies"]:
        if isinstance(entry, dict):  # the pip: section
            texts += [line for line in entry["pip"] if not line.startswith("-e")]
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", entry.strip())
        name, spec = match.group(1), match.group(2).replace(" ", "")
        if name in CONDA_ONLY:
            continue
        texts.append(CONDA_TO_PYPI.get(name, name) + spec)
    return as_specs(texts)


def test_environment_yml_matches_pyproject():
    expected, actual = all_specs(), conda_specs()
    assert sorted(actual) == sorted(expected), "environment.yml and pyproject.toml list different packages"
    for name, spec in expected.items():
        assert actual[name] == spec, f"{name}: environment.yml says {actual[name]}, pyproject.toml {spec}"


def test_environment_yml_installs_kubelab_and_python_311():
    env = conda_env()
    assert env["name"] == "kubelab"
    assert env["channels"] == ["conda-forge"]
    assert "python=3.11" in env["dependencies"]
    pip_sections = [entry["pip"] for entry in env["dependencies"] if isinstance(entry, dict)]
    assert pip_sections == [["-e ."]]


def test_binder_requirements_match_pyproject_runtime():
    lines = [line.split("#")[0].strip() for line in (REPO / "binder/requirements.txt").read_text().splitlines()]
    actual, expected = as_specs(line for line in lines if line), runtime_specs()
    assert sorted(actual) == sorted(expected), "binder/requirements.txt and pyproject.toml list different packages"
    for name, spec in expected.items():
        assert actual[name] == spec, f"{name}: binder says {actual[name]}, pyproject.toml {spec}"


def test_every_dependency_has_a_lower_bound():
    for name, spec in all_specs().items():
        assert any(s.operator in (">=", "==", "~=") for s in spec), f"{name} has no lower bound"


def test_python_versions_agree():
    requires = SpecifierSet(pyproject()["project"]["requires-python"])
    assert Version("3.11") in requires
    assert (REPO / "binder/runtime.txt").read_text().strip() == "python-3.11"


def test_installed_versions_satisfy_the_bounds():
    """What this venv has is what we claim to have tested."""
    from importlib.metadata import PackageNotFoundError, version

    for name, spec in all_specs().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            pytest.fail(f"{name} is not installed: run `make venv`")
        assert spec.contains(installed, prereleases=True), f"{name} {installed} is outside {spec}"


def test_version_comes_from_the_package():
    import kubelab

    project = pyproject()
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "kubelab.__version__"}
    assert Version(kubelab.__version__)


def test_console_script_and_pytest_markers():
    project = pyproject()
    assert project["project"]["scripts"] == {"kubelab": "kubelab.cli:main"}
    markers = {m.split(":")[0].split("(")[0] for m in project["tool"]["pytest"]["ini_options"]["markers"]}
    assert {"root", "cni", "browser", "slow", "requires"} <= markers


def test_postbuild_is_an_executable_bash_script():
    post_build = REPO / "binder/postBuild"
    assert os.access(post_build, os.X_OK)
    lines = [line for line in post_build.read_text().splitlines() if line.strip()]
    assert lines[0] == "#!/bin/bash"
    assert lines[1] == "set -e"
    subprocess.run(["bash", "-n", str(post_build)], check=True)


def test_ci_script_is_executable_strict_and_parses():
    ci = REPO / ".ci/run"
    assert os.access(ci, os.X_OK)
    text = ci.read_text()
    assert "set -euo pipefail" in text
    assert "KUBELAB_STRICT=1 make test" in text
    subprocess.run(["bash", "-n", str(ci)], check=True)


def test_makefile_declares_the_targets():
    proc = subprocess.run(
        ["make", "-n", "venv", "lab", "test", "bench", "notebooks", "exercises", "clean"],
        cwd=REPO, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "pytest -q" in proc.stdout
    assert "jupyter lab" in proc.stdout and "notebooks/00-start-here.ipynb" in proc.stdout
    assert "benchmarks/run.py" in proc.stdout
    assert "kubelab.course generate" in proc.stdout
    assert "-m kubelab.authoring" in proc.stdout  # make notebooks: .ipynb from .md


def test_nbgrader_config_points_at_the_course_folders():
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    coursedir = CourseDirectory(config=config)
    assert Path(coursedir.root) == REPO
    assert coursedir.course_id == "kubelab"
    assert coursedir.source_directory == "solutions"
    assert coursedir.release_directory == "exercises"
    assert coursedir.solution_directory == "solution"  # nbgrader's default, not our solutions/
    assert coursedir.db_url == f"sqlite:///{REPO / 'gradebook.db'}"


def test_gitignore_keeps_nbgrader_and_tool_droppings_out():
    paths = [".venv/x", "pkg/__pycache__/m.pyc", "kubelab.egg-info/PKG-INFO", ".pytest_cache/x",
             ".hypothesis/x", "submitted/s/ps1/a.ipynb", "autograded/x", "feedback/x", "gradebook.db",
             "solution/ps1/a.ipynb", "test-artifacts/x"]
    proc = subprocess.run(["git", "check-ignore", "--no-index", *paths], cwd=REPO, capture_output=True, text=True)
    assert sorted(proc.stdout.split()) == sorted(paths)
    kept = ["solutions/ps1/a.ipynb", "exercises/ps1/a.ipynb", "kubelab/grading/feedback.py"]
    proc = subprocess.run(["git", "check-ignore", "--no-index", *kept], cwd=REPO, capture_output=True, text=True)
    assert proc.stdout.split() == []


def test_lab_settings_override_is_the_same_everywhere():
    """postBuild and the Makefile write the same JupyterLab overrides.json."""
    pattern = re.compile(r"\{\"@jupyterlab/apputils-extension:notification\".*\}\}")
    texts = [(REPO / "Makefile").read_text(), (REPO / "binder/postBuild").read_text()]
    found = [json.loads(pattern.search(text).group(0)) for text in texts]
    expected = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
                "@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True}}
    assert found == [expected, expected]


def test_makefile_and_postbuild_install_the_export_config():
    """Both set-ups make HTML exports show the widget snapshots (kubelab.viz.export_config)."""
    for name in ("Makefile", "binder/postBuild"):
        assert "-m kubelab.viz.export_config" in (REPO / name).read_text(), name
