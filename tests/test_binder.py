"""Simulate the Binder build and launch, without Docker.

repo2docker (a) creates an environment for binder/runtime.txt's Python,
(b) copies the repository and, from its root, `pip install -r binder/requirements.txt`
(which installs kubelab with its [desktop] extra), (c) runs binder/postBuild, then (d) opens notebooks/00-start-here.ipynb. Here:
(a) a fresh venv in a temp dir, (b) the same pip command, (c) a copy of the repo
(tracked and untracked-but-not-ignored files, as a clone plus work in progress
would have) with NB_PYTHON_PREFIX pointing at the venv, (d) the notebook run
headless by that venv's nbclient and kernel, with Jupyter's search paths cut
down to the venv so nothing from the development venv leaks in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/00-start-here.ipynb"
IGNORE = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache",
                                ".hypothesis", "build", "test-artifacts")

# Run by the new venv's Python: execute the notebook, then one more cell that
# reports where kubelab and the kernel came from.
EXECUTE = r"""
import sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient

source, target = Path(sys.argv[1]), Path(sys.argv[2])
nb = nbformat.read(source, as_version=4)
nb.cells.append(nbformat.v4.new_code_cell(
    "import sys, kubelab\nprint('KUBELAB_FILE=' + kubelab.__file__)\nprint('KERNEL_PREFIX=' + sys.prefix)"))
client = NotebookClient(nb, kernel_name="python3", timeout=300,
                        resources={"metadata": {"path": str(source.parent)}})
try:
    client.execute()
finally:
    nbformat.write(nb, target)
print("".join(out.get("text", "") for out in nb.cells[-1].outputs))
"""


def copy_repo(destination: Path) -> Path:
    """The files a clone would have, plus new files not yet committed (but not ignored ones)."""
    if (REPO / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO, check=True, capture_output=True,
        ).stdout.decode().split("\0")
        for name in filter(None, listed):
            source = REPO / name
            if source.is_file():  # deleted-but-tracked files are gone in the work tree
                (destination / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination / name)
    else:
        shutil.copytree(REPO, destination, ignore=IGNORE)
    return destination


def binder_env(venv: Path, scratch: Path) -> dict[str, str]:
    """The environment of a Binder image: the venv first on PATH, Jupyter paths inside it."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"} and not k.startswith("JUPYTER")}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        NB_PYTHON_PREFIX=str(venv),
        JUPYTER_PATH=str(venv / "share" / "jupyter"),
        JUPYTER_DATA_DIR=str(scratch / "jupyter-data"),
        JUPYTER_CONFIG_DIR=str(scratch / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(scratch / "jupyter-runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(scratch / "ipython"),
    )
    return env


def run(args, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, f"{' '.join(map(str, args))} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"
    return proc


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_binder_build_runs_the_start_notebook(tmp_path):
    if not (REPO / NOTEBOOK).exists():
        pytest.skip("notebook not written yet")
    venv, scratch = tmp_path / "venv", tmp_path / "scratch"
    scratch.mkdir()
    repo = copy_repo(tmp_path / "repo")
    env = binder_env(venv, scratch)

    run([sys.executable, "-m", "venv", str(venv)])
    # From the repository's root, as repo2docker runs it when the file names a local path (".[desktop]").
    run([venv / "bin/python", "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt"],
        cwd=repo, env=env, timeout=1200)
    run([repo / "binder/postBuild"], cwd=repo, env=env, timeout=600)

    overrides = venv / "share/jupyter/lab/settings/overrides.json"
    assert json.loads(overrides.read_text()) == {
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
        "@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True},
    }
    for name in ("jupyter_nbconvert_config.json", "jupyter_server_config.json"):  # HTML exports show snapshots
        config = json.loads((venv / "etc/jupyter" / name).read_text())
        assert "kubelab.viz.widgets.StaticWidgetsPreprocessor" in config["HTMLExporter"]["preprocessors"], name

    executed = tmp_path / "executed.ipynb"
    proc = run([venv / "bin/python", "-c", EXECUTE, repo / NOTEBOOK, executed],
               cwd=repo / "notebooks", env=env, timeout=900)
    report = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    # kubelab was installed into the venv by postBuild, not picked up from the copy.
    assert Path(report["KUBELAB_FILE"]).resolve().is_relative_to(venv.resolve()), report
    assert Path(report["KERNEL_PREFIX"]).resolve() == venv.resolve(), report
