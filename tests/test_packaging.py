"""pyproject.toml is the one list of dependencies, and the repository plumbing is well-formed.

The core ([project] dependencies) is what the model and the notebooks need, pure Python so the
in-browser edition has it; everything else is in an extra. binder/requirements.txt,
environment.yml, the Makefile's venv, deploy/hub/install.sh and deploy/k8s/Dockerfile name
extras of pyproject.toml instead of repeating its packages: these tests fail when one names an
extra that does not exist, lists a package itself, or leaves out what the desktop edition has.
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

#: conda packages environment.yml may list: the environment itself, not dependencies of kubelab.
CONDA_ONLY = {"python=3.11", "pip"}
#: Extras that are not part of the desktop edition: the tests, the build of the in-browser
#: edition and what that edition adds, the hub's own server.
NOT_DESKTOP = {"test", "lite", "browser", "hub"}


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def as_specs(requirements) -> dict[str, SpecifierSet]:
    """name (canonical) -> specifier set; a name listed twice must agree with itself."""
    specs: dict[str, SpecifierSet] = {}
    for text in requirements:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        if name == "kubelab":  # an umbrella extra naming other extras
            continue
        assert specs.get(name, req.specifier) == req.specifier, f"{name} listed twice with different bounds"
        specs[name] = req.specifier
    return specs


def optional() -> dict[str, list[str]]:
    return pyproject()["project"]["optional-dependencies"]


def expand(extras) -> set[str]:
    """The extras named, with the ones an umbrella extra (``kubelab[...]``) names, recursively."""
    out: set[str] = set()
    todo = list(extras)
    while todo:
        extra = todo.pop()
        assert extra in optional(), f"extra [{extra}] is not in pyproject.toml's optional-dependencies"
        if extra in out:
            continue
        out.add(extra)
        for text in optional()[extra]:
            req = Requirement(text)
            if canonicalize_name(req.name) == "kubelab":
                todo += sorted(req.extras)
    return out


def specs_of(extras) -> dict[str, SpecifierSet]:
    """The core's packages and those of the extras named (umbrellas expanded)."""
    texts = list(pyproject()["project"]["dependencies"])
    for extra in sorted(expand(extras)):
        texts += optional()[extra]
    return as_specs(texts)


def self_install(text: str, path: str) -> set[str]:
    """The extras of the one ``.[a,b]`` / ``-e .[a,b]`` / ``DIR[a,b]`` install in ``text``."""
    found = re.findall(r"(?:^|[\s'\"])(?:-e )?(?:\.|\$tmp|/tmp/kubelab)\[([a-z,]+)\]", text)
    assert len(found) == 1, f"{path}: expected one install of kubelab with extras, found {found}"
    return set(found[0].split(","))


def venv_extras() -> set[str]:
    return self_install((REPO / "Makefile").read_text(), "Makefile")


def conda_env() -> dict:
    return yaml.safe_load((REPO / "environment.yml").read_text())


def test_the_core_is_what_the_browser_edition_can_load():
    """A new core package must have a pure-Python build (make lite refuses others): decide it here."""
    core = set(as_specs(pyproject()["project"]["dependencies"]))
    assert core == {"ipywidgets", "networkx", "pyyaml", "cel-python"}
    assert set(as_specs(optional()["browser"])) == {"asn1crypto"}
    assert "kubelab[browser]" in optional()["lite"]


def test_desktop_is_every_extra_but_the_tools():
    desktop = expand(["desktop"]) - {"desktop"}
    assert desktop == set(optional()) - NOT_DESKTOP - {"desktop"}
    assert {"course", "grading", "kind", "tls"} <= desktop
    # what used to be the runtime list is all still installed by [desktop]
    assert {"jupyterlab", "ipykernel", "nbgrader", "nbformat", "nbclient", "jupytext", "kubernetes",
            "cryptography"} <= set(specs_of(["desktop"]))


def test_make_venv_installs_the_desktop_edition_the_tests_and_the_lite_build():
    assert venv_extras() == {"desktop", "test", "lite"}


def test_environment_yml_installs_what_make_venv_does():
    env = conda_env()
    assert env["name"] == "kubelab"
    assert env["channels"] == ["conda-forge"]
    conda = [entry for entry in env["dependencies"] if not isinstance(entry, dict)]
    assert set(conda) == CONDA_ONLY, f"environment.yml lists packages itself: {sorted(set(conda) - CONDA_ONLY)}"
    pip_sections = [entry["pip"] for entry in env["dependencies"] if isinstance(entry, dict)]
    assert len(pip_sections) == 1 and len(pip_sections[0]) == 1, pip_sections
    assert pip_sections[0][0].startswith("-e .[")
    assert self_install(pip_sections[0][0], "environment.yml") == venv_extras()


def test_binder_installs_the_desktop_edition_and_nothing_else():
    lines = [line.split("#")[0].strip() for line in (REPO / "binder/requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    assert lines == [".[desktop]"], "binder/requirements.txt lists packages pyproject.toml already has"
    assert "pip install" not in (REPO / "binder/postBuild").read_text(), "requirements.txt installs kubelab"


@pytest.mark.parametrize(("path", "extras"), [("deploy/hub/install.sh", {"hub", "desktop"}),
                                              ("deploy/k8s/Dockerfile", {"desktop"})])
def test_the_class_installs_the_desktop_edition(path, extras):
    named = self_install((REPO / path).read_text(), path)
    assert named == extras
    expand(named)  # every extra exists


def all_specs() -> dict[str, SpecifierSet]:
    return specs_of(set(optional()))


def test_every_dependency_has_a_lower_bound():
    for name, spec in all_specs().items():
        assert any(s.operator in (">=", "==", "~=") for s in spec), f"{name} has no lower bound"


def test_python_versions_agree():
    requires = SpecifierSet(pyproject()["project"]["requires-python"])
    assert Version("3.11") in requires
    assert (REPO / "binder/runtime.txt").read_text().strip() == "python-3.11"


def test_installed_versions_satisfy_the_bounds():
    """What this venv (make venv's extras) has is what we claim to have tested."""
    from importlib.metadata import PackageNotFoundError, version

    for name, spec in specs_of(venv_extras()).items():
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
