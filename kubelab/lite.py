"""Build the in-browser edition: a static JupyterLite site of the course that needs no server.

``make lite`` (``python -m kubelab.lite``) writes ``build/lite/``: JupyterLab and a Python kernel
(Pyodide, CPython compiled to WebAssembly) as static files, the chapter notebooks and the
exercises, and the wheels of kubelab and its pure-Python dependencies. Every file the site
loads comes from the site itself: no CDN, no PyPI. docs/lite.md says how to open and publish it.

Upstream, as pinned here:

- jupyterlite-core and jupyterlite-pyodide-kernel 0.8.6 (the ``[lite]`` extra). The kernel's
  ``jupyterlite_pyodide_kernel/constants.py`` pins ``PYODIDE_VERSION = "314.0.6"``; the worker
  (``packages/pyodide-kernel/src/worker.ts``) loads ``micropip`` through ``pyodide.loadPackage``,
  installs ``piplite`` from ``pipliteWheelUrl``, then ``ipykernel``, ``comm``, ``pyodide-kernel``,
  ``jedi`` and ``ipython`` through piplite, which looks in the site's ``pypi/all.json`` (the
  ``pipliteUrls``) and, with ``disablePyPIFallback``, nowhere else.
- The npm package ``pyodide`` 314.0.6 holds the core only (``pyodide.mjs``, ``pyodide.asm.wasm``,
  ``python_stdlib.zip``, ``pyodide-lock.json``). Its lock lists 356 packages by relative file name,
  none of which the package ships; micropip prefers a lock entry to any index, so the lock is
  rewritten to hold ``micropip`` alone (its wheel fetched from PyPI, checked against the lock's
  sha256) and everything else resolves from ``pypi/``.

Simplifications: only pure-Python (``py3-none-any``) wheels are served, so packages with C
extensions and no pure build are absent -- ``cryptography`` (notebook 07's certificate cell says
it needs the desktop edition), and nbgrader, nbformat, nbclient, jupyterlab and kubernetes, which
the model never imports. PyYAML is built without libyaml (``PYYAML_FORCE_LIBYAML=0``): same
results, slower parsing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "BROWSER_PACKAGES",
    "DESKTOP_ONLY",
    "PYODIDE_VERSION",
    "install_cell",
    "pyodide_lock",
    "with_install_cell",
]



def _kernel_constant(name: str, fallback: str) -> str:
    """A pin of the installed jupyterlite-pyodide-kernel (its constants.py), else 0.8.6's."""
    try:
        from jupyterlite_pyodide_kernel import constants
    except ImportError:  # the [lite] extra is not installed (e.g. in the browser itself)
        return fallback
    return getattr(constants, name)


#: The npm ``pyodide`` release the kernel package expects (314.0.6 for 0.8.6).
PYODIDE_VERSION = _kernel_constant("PYODIDE_VERSION", "314.0.6")
#: The Python inside that Pyodide, for resolving wheels (3.14 for 0.8.6).
PYODIDE_PYTHON = _kernel_constant("PYODIDE_PYTHON_VERSION", "3.14")

#: What ``import kubelab`` and the notebooks need in the browser, beyond the kernel's own
#: packages (ipython, comm, traitlets... which the kernel installs itself).
BROWSER_PACKAGES: tuple[str, ...] = ("networkx", "PyYAML", "ipywidgets", "jupyterlab_widgets")
#: kubelab's runtime dependencies that the edition leaves out, and why (tests/test_lite.py checks
#: that this and BROWSER_PACKAGES cover pyproject's list).
DESKTOP_ONLY: dict[str, str] = {
    "jupyterlab": "the site is JupyterLab already (built by jupyterlite-core)",
    "ipykernel": "the kernel is Pyodide's (pyodide-kernel ships an ipykernel stand-in)",
    "nbgrader": "grading runs on a server: `kubelab check` and `make autograde`",
    "kubernetes": "talks to a kind cluster (kubelab.kind): needs a Linux machine",
    "nbformat": "course generation and `kubelab check` only",
    "jupytext": "authoring only (make notebooks)",
    "nbclient": "headless execution: tests and `kubelab check` only",
    "cryptography": "no pure-Python or offline Pyodide build; notebook 07's TLS cells need it",
    "cel-python": "needs google-re2 and pendulum (compiled, no pure wheels): the CEL rules of the"
                  " Gateway API CRDs (kubelab.api.crd), so notebook 07's Gateway API part fails here",
}
#: The kernel's own packages (worker.ts initKernel) and what they need, resolved like pip would.
KERNEL_PACKAGES: tuple[str, ...] = ("comm", "jedi", "ipython")
#: piplite ships a stand-in ``widgetsnbextension`` (4.0.999): the real one is a notebook 6 bundle.
STAND_INS = ("widgetsnbextension",)

REPO = Path(__file__).resolve().parents[1]
SITE_PYODIDE = Path("static") / "pyodide"
#: Files of the npm package the site serves (no source maps, no consoles, no d.ts).
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide.js", "package.json")


def install_cell(packages: Iterable[str] = BROWSER_PACKAGES) -> dict:
    """The first cell of every notebook in the edition: install kubelab from the site's wheels.

    ``deps=False`` for kubelab: its desktop-only dependencies (:data:`DESKTOP_ONLY`) are not in
    the site, and the browser needs only ``packages``.

    >>> cell = install_cell(["networkx"])
    >>> cell["cell_type"], "piplite.install(['networkx']" in cell["source"]
    ('code', True)
    """
    source = (
        "# In-browser edition: install kubelab and what it needs from this site (no other host).\n"
        "import piplite\n"
        f"await piplite.install({list(packages)!r}, keep_going=True)\n"
        "await piplite.install('kubelab', deps=False)"
    )
    return {"cell_type": "code", "execution_count": None, "id": "lite-install",
            "metadata": {"tags": ["lite-install"], "editable": False, "deletable": False},
            "outputs": [], "source": source}


def with_install_cell(notebook: dict) -> dict:
    """A copy of ``notebook`` (nbformat 4 JSON) with :func:`install_cell` first.

    nbgrader's cell metadata is left alone; the added cell has none, so a grader ignores it.

    >>> nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}
    >>> [c["id"] for c in with_install_cell(nb)["cells"]]
    ['lite-install']
    """
    out = json.loads(json.dumps(notebook))
    out["cells"] = [install_cell()] + [c for c in out["cells"] if c.get("id") != "lite-install"]
    return out


def pyodide_lock(lock: dict, micropip_wheel: str, sha256: str) -> dict:
    """The npm lock reduced to micropip, served from the site (nothing for micropip to prefer).

    ``micropip_wheel`` is PyPI's wheel of the same version; Pyodide builds its own, so the
    lock's checksum is replaced by the served wheel's (``sha256``).

    >>> lock = {"info": {"python": "3.14.2"}, "packages": {
    ...     "micropip": {"file_name": "micropip-0.11.1-py3-none-any.whl", "sha256": "ab"},
    ...     "pyyaml": {"file_name": "pyyaml-6.0.3-cp314.whl"}}}
    >>> out = pyodide_lock(lock, "micropip-0.11.1-py3-none-any.whl", "cd")
    >>> sorted(out["packages"]), out["packages"]["micropip"]["sha256"]
    (['micropip'], 'cd')
    """
    entry = dict(lock["packages"]["micropip"])
    if entry["file_name"] != micropip_wheel:
        raise ValueError(f"pyodide-lock.json: packages.micropip.file_name is {entry['file_name']!r},"
                         f" expected {micropip_wheel!r}")
    entry["sha256"] = sha256
    return {**lock, "packages": {"micropip": entry}}


# --- the build ------------------------------------------------------------------------------

def _run(cmd: list[str], **kw) -> None:
    print("+", " ".join(map(str, cmd)), flush=True)
    subprocess.run(cmd, check=True, **kw)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_pyodide(cache: Path) -> Path:
    """The npm package ``pyodide`` unpacked under ``cache`` (``npm pack``: the npm registry)."""
    unpacked = cache / f"pyodide-{PYODIDE_VERSION}"
    if (unpacked / "pyodide-lock.json").is_file():
        return unpacked
    cache.mkdir(parents=True, exist_ok=True)
    tgz = cache / f"pyodide-{PYODIDE_VERSION}.tgz"
    if not tgz.is_file():
        _run(["npm", "pack", "--loglevel=error", f"pyodide@{PYODIDE_VERSION}", "--pack-destination", str(cache)],
             stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory(dir=cache) as tmp, tarfile.open(tgz) as tar:
        tar.extractall(tmp, filter="data")
        shutil.move(Path(tmp) / "package", unpacked)
    return unpacked


def _installed(name: str) -> str:
    from importlib.metadata import version
    return version(name)


def fetch_wheels(cache: Path, micropip: str) -> Path:
    """Pure wheels for the browser under ``cache/wheels`` (pip: PyPI or the configured index)."""
    wheels = cache / "wheels"
    stamp = wheels / ".complete"
    if stamp.is_file():
        return wheels
    wheels.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip"]
    # The widget model must match the JupyterLab extension the site ships: same versions as here.
    pinned = [f"ipywidgets=={_installed('ipywidgets')}",
              f"jupyterlab_widgets=={_installed('jupyterlab_widgets')}"]
    others = [p for p in BROWSER_PACKAGES if p not in ("PyYAML", "ipywidgets", "jupyterlab_widgets")]
    _run(pip + ["download", "--quiet", "--only-binary=:all:", "--platform", "any",
                "--implementation", "py", "--abi", "none", "--python-version", PYODIDE_PYTHON,
                "-d", str(wheels), micropip, *pinned, *others, *KERNEL_PACKAGES])
    # PyYAML has no pure wheel on PyPI: build one without libyaml.
    _run(pip + ["wheel", "--quiet", "--no-deps", "--no-binary", "pyyaml", "-w", str(wheels),
                f"PyYAML=={_installed('PyYAML')}"], env={**os.environ, "PYYAML_FORCE_LIBYAML": "0"})
    for wheel in wheels.glob("*.whl"):
        if not wheel.name.endswith("-py3-none-any.whl") and not wheel.name.endswith("-py2.py3-none-any.whl"):
            raise RuntimeError(f"{wheel.name}: not a pure-Python wheel; Pyodide cannot load it")
        if any(wheel.name.lower().startswith(s + "-") for s in STAND_INS):
            wheel.unlink()
    stamp.touch()
    return wheels


def build_kubelab_wheel(dest: Path) -> Path:
    """kubelab's wheel, built from a copy of the repository (pip writes build/ into the tree)."""
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("kubelab-*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "kubelab"
        copy.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(REPO / name, copy / name)
        shutil.copytree(REPO / "kubelab", copy / "kubelab",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
              "-w", str(dest), str(copy)])
    (wheel,) = dest.glob("kubelab-*.whl")
    return wheel


def contents(dest: Path) -> list[Path]:
    """The notebooks the site opens with, each with the install cell first."""
    sources = sorted((REPO / "notebooks").glob("*.ipynb")) + sorted((REPO / "exercises").glob("*/*.ipynb"))
    written = []
    for src in sources:
        rel = src.relative_to(REPO)
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(with_install_cell(json.loads(src.read_text())), indent=1) + "\n")
        written.append(out)
    return written


def lite_config() -> dict:
    """``jupyter-lite.json`` for the site: the local Pyodide, the local index, no PyPI fallback."""
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "kubelab (in-browser edition)",
            "litePluginSettings": {
                "@jupyterlite/pyodide-kernel-extension:kernel": {
                    "pyodideUrl": f"./{SITE_PYODIDE.as_posix()}/pyodide.mjs",
                    "disablePyPIFallback": True,
                },
            },
            "settingsOverrides": {
                "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
            },
        },
    }


def build(out: Path, cache: Path) -> dict:
    """Build the site into ``out``; returns figures (seconds, bytes)."""
    started = time.monotonic()
    pyodide = fetch_pyodide(cache)
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())
    micropip_entry = lock["packages"]["micropip"]
    micropip_version = micropip_entry["version"]
    wheels = fetch_wheels(cache, f"micropip=={micropip_version}")
    micropip_wheel = wheels / micropip_entry["file_name"]
    if not micropip_wheel.is_file():
        raise RuntimeError(f"pip did not fetch {micropip_wheel.name} (pyodide-lock.json's micropip)")
    kubelab_wheel = build_kubelab_wheel(cache / "kubelab-wheel")

    work = cache / "site-src"
    shutil.rmtree(work, ignore_errors=True)
    (work / "files").mkdir(parents=True)
    contents(work / "files")
    static = work / SITE_PYODIDE
    static.mkdir(parents=True)
    for name in PYODIDE_FILES:
        shutil.copy2(pyodide / name, static / name)
    shutil.copy2(micropip_wheel, static / micropip_wheel.name)
    (static / "pyodide-lock.json").write_text(json.dumps(pyodide_lock(lock, micropip_wheel.name, _sha256(micropip_wheel))))
    browser_wheels = [w for w in sorted(wheels.glob("*.whl")) if w != micropip_wheel] + [kubelab_wheel]
    (work / "jupyter-lite.json").write_text(json.dumps(lite_config(), indent=1))

    labext = Path(sys.prefix) / "share" / "jupyter" / "labextensions"
    staging = out.with_name(out.name + ".partial")  # a failed build leaves the last good site alone
    config = {
        "LiteBuildConfig": {
            "ignore_sys_prefix": True,
            "federated_extensions": [str(labext / "@jupyterlite" / "pyodide-kernel-extension"),
                                     str(labext / "@jupyter-widgets" / "jupyterlab-manager")],
            "no_sourcemaps": True,
            "output_dir": str(staging.resolve()),
            "contents": [str((work / "files").resolve())],
        },
        "PipliteAddon": {"piplite_urls": [str(w.resolve()) for w in browser_wheels]},
    }
    (work / "jupyter_lite_config.json").write_text(json.dumps(config, indent=1))
    (work / ".jupyterlite.doit.db").unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    _run([sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(work)], cwd=work)
    (work / ".jupyterlite.doit.db").unlink(missing_ok=True)
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"seconds": round(time.monotonic() - started, 1), "bytes": size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kubelab.lite", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "lite")
    parser.add_argument("--cache", type=Path, default=REPO / "build" / "lite-cache",
                        help="npm and pip downloads, reused by the next build")
    args = parser.parse_args(argv)
    try:
        figures = build(args.out, args.cache)
    except (subprocess.CalledProcessError, RuntimeError, ValueError, OSError) as exc:
        print(f"error: make lite: {exc}", file=sys.stderr)
        return 2
    print(f"built {args.out}: {figures['bytes'] / 1e6:.1f} MB in {figures['seconds']} s;"
          f" serve it with: python -m http.server -d {args.out} -b 127.0.0.1 8000")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
