"""The in-browser edition (kubelab/lite.py): what it ships, and that kubelab imports without the rest.

The browser test that builds the site and opens it offline is tests/test_lite_browser.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kubelab import lite

REPO = Path(__file__).resolve().parents[1]


def test_every_runtime_dependency_is_shipped_or_said_to_be_desktop_only():
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {canonicalize_name(Requirement(d).name) for d in deps}
    shipped = {canonicalize_name(p) for p in lite.BROWSER_PACKAGES}
    left_out = {canonicalize_name(p) for p in lite.DESKTOP_ONLY}
    assert shipped.isdisjoint(left_out)
    assert names - {"jupyterlab-widgets"} <= shipped | left_out, sorted(names - shipped - left_out)
    assert left_out <= names, sorted(left_out - names)


def test_the_pyodide_version_is_the_kernel_packages():
    constants = pytest.importorskip("jupyterlite_pyodide_kernel.constants")
    assert lite.PYODIDE_VERSION == constants.PYODIDE_VERSION
    assert lite.PYODIDE_PYTHON == constants.PYODIDE_PYTHON_VERSION


# What a module must not pull in at import time: none of these exists in the browser.
DESKTOP_MODULES = ("nbgrader", "nbformat", "nbclient", "jupyterlab", "jupytext", "kubernetes",
                   "cryptography", "ipykernel", "celpy")
# What the notebooks and exercises import (the model and its widgets).
BROWSER_IMPORTS = ("kubelab", "kubelab.api", "kubelab.cluster", "kubelab.proxy", "kubelab.dns",
                   "kubelab.ingress", "kubelab.cni", "kubelab.policy", "kubelab.linuxns", "kubelab.viz",
                   "kubelab.grading", "kubelab.grading.validate", "kubelab.lab", "kubelab.kops",
                   "kubelab.host", "kubelab.examples")


def test_kubelab_imports_with_no_desktop_package():
    """Run in a child with the desktop packages made unimportable, as in Pyodide."""
    code = (
        "import sys\n"
        f"for name in {DESKTOP_MODULES!r}: sys.modules[name] = None\n"
        f"import importlib\nfor m in {BROWSER_IMPORTS!r}: importlib.import_module(m)\n"
        "import kubelab\nc = kubelab.Cluster()\nprint(len(c.nodes()))\n"
        f"print(sorted(n for n in {DESKTOP_MODULES!r} if sys.modules.get(n) is not None))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "[]"]


def test_install_cell_comes_first_once_and_installs_the_browser_packages():
    nb = json.loads((REPO / "notebooks" / "05-kube-proxy.ipynb").read_text())
    out = lite.with_install_cell(lite.with_install_cell(nb))
    ids = [c.get("id") for c in out["cells"]]
    assert ids[0] == "lite-install" and ids.count("lite-install") == 1
    assert out["cells"][1:] == nb["cells"]
    source = out["cells"][0]["source"]
    for package in lite.BROWSER_PACKAGES:
        assert repr(package) in source
    assert "deps=False" in source
    assert nb["cells"][0].get("id") != "lite-install", "the repository's notebook is untouched"


def test_lock_keeps_micropip_only_and_refuses_a_different_wheel():
    lock = {"info": {"python": "3.14.2"}, "packages": {
        "micropip": {"name": "micropip", "file_name": "micropip-0.11.1-py3-none-any.whl", "sha256": "00"},
        "networkx": {"name": "networkx", "file_name": "networkx-3.6-py3-none-any.whl"}}}
    out = lite.pyodide_lock(lock, "micropip-0.11.1-py3-none-any.whl", "ff")
    assert out["packages"] == {"micropip": {**lock["packages"]["micropip"], "sha256": "ff"}}
    assert out["info"] == lock["info"]
    with pytest.raises(ValueError, match="packages.micropip.file_name"):
        lite.pyodide_lock(lock, "micropip-0.12.0-py3-none-any.whl", "ff")


def test_site_config_has_no_url_to_another_host():
    text = json.dumps(lite.lite_config())
    assert "http" not in text and "//" not in text
    kernel = lite.lite_config()["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["disablePyPIFallback"] is True
    assert kernel["pyodideUrl"].startswith("./static/pyodide/")


def test_a_build_that_cannot_start_says_why_in_one_line(tmp_path, monkeypatch, capsys):
    """No npm on PATH: `error: make lite: ...`, exit 2, no traceback, the last site left alone."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("the last good build")
    assert lite.main(["--out", str(out), "--cache", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: make lite: ") and err.count("\n") == 1 and "npm" in err
    assert "Traceback" not in err
    assert (out / "index.html").read_text() == "the last good build"
