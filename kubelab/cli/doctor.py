"""``kubelab doctor``: what this machine can run, one line per part, never failing.

Each line is ``ok`` (present), ``missing`` (something installable is not
installed: a Python package, a Debian package) or ``no`` (the machine cannot:
not root, a kernel without IPVS), then what was found or why not.  The exit
status is 0 whatever is missing: the notebooks and the whole model run
without any of the optional parts.

The checks follow the capabilities the test suite knows (``tests/capabilities.py``),
but are written here again: the command line does not import the tests.
Python packages are located with ``importlib.util.find_spec`` and their version
read from their installed metadata, without importing them (``kubernetes``
and ``jupyterlab`` take seconds to import).  The network-namespace check
really creates and deletes one (``kl-doctor-<pid>``): ``ip netns list``
succeeds even where namespaces cannot be made.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from ..extras import extra_of
from ..host import effective_uid, needs_linux
from .common import add_output_option, command
from .output import print_document, write

__all__ = ["Check", "CHECKS", "check", "run_checks", "PYTHON_PACKAGES", "CNI_DIRS", "CNI_PLUGINS", "CHROMIUM"]

#: import name -> distribution name: the core of pyproject.toml and what its [desktop] extra adds.
PYTHON_PACKAGES = {"jupyterlab": "jupyterlab", "ipykernel": "ipykernel", "ipywidgets": "ipywidgets",
                   "networkx": "networkx", "nbgrader": "nbgrader", "kubernetes": "kubernetes", "yaml": "PyYAML",
                   "nbformat": "nbformat", "nbclient": "nbclient"}
CNI_DIRS = (Path("/usr/lib/cni"), Path("/opt/cni/bin"))
CNI_PLUGINS = ("bridge", "host-local", "loopback", "portmap")
CHROMIUM = Path("/usr/bin/chromium")
SBIN = "/usr/local/sbin:/usr/sbin:/sbin"
IPVS_MODELLED = "the IPVS mode is modelled in memory only"
PROC_IP_VS = Path("/proc/net/ip_vs")  # appears once ip_vs is loaded or built in
MODULES_DIR = Path("/lib/modules")

OK, MISSING, NO = "ok", "missing", "no"


@dataclass
class Check:
    name: str
    status: str
    detail: str


#: The checks, in the order they are printed; each returns one or more Check.
CHECKS: list[Callable[[], list[Check]]] = []


def check(fn: Callable[[], list[Check]]) -> Callable[[], list[Check]]:
    CHECKS.append(fn)
    return fn


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=SBIN)


@check
def python() -> list[Check]:
    version = platform.python_version()
    status = OK if sys.version_info >= (3, 11) else NO
    detail = f"{version} ({sys.executable})" + ("" if status == OK else ": kubelab needs Python 3.11 or newer")
    return [Check("python", status, detail)]


@check
def python_packages() -> list[Check]:
    out = []
    for module, dist in PYTHON_PACKAGES.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            extra = extra_of(dist)
            how = f"pip install 'kubelab[{extra}]'" if extra else "pip install -e ."
            out.append(Check(module, MISSING, f"not importable ({how} installs {dist})"))
            continue
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = "version unknown"
        out.append(Check(module, OK, version))
    return out


def _labextension(package: str) -> tuple[Path, str] | None:
    """Where a JupyterLab prebuilt extension is installed, and its version."""
    dirs = [Path(sys.prefix, "share", "jupyter", "labextensions")]
    try:
        from jupyter_core.paths import jupyter_path

        dirs = [Path(p) for p in jupyter_path("labextensions")] + dirs
    except ImportError:
        pass
    for d in dict.fromkeys(dirs):
        manifest = d / package / "package.json"
        if manifest.is_file():
            try:
                version = json.loads(manifest.read_text(encoding="utf-8")).get("version", "?")
            except (OSError, ValueError):
                version = "?"
            return d / package, str(version)
    return None


@check
def lab_extensions() -> list[Check]:
    out = []
    for name, package, hint in (("widgets", "@jupyter-widgets/jupyterlab-manager", "ipywidgets"),
                                ("nbgrader extension", "@jupyter/nbgrader", "nbgrader")):
        found = _labextension(package)
        out.append(Check(name, OK, f"{package} {found[1]} ({found[0]})") if found else
                   Check(name, MISSING, f"JupyterLab extension {package} not found (pip install {hint})"))
    return out


@check
def root_and_netns() -> list[Check]:
    why = needs_linux("the real-kernel lab")
    if why is not None:
        return [Check("root", NO, why), Check("netns", NO, why)]
    uid = effective_uid()
    if uid != 0:
        why = f"not running as root (uid {uid}); the real-kernel lab needs root"
        return [Check("root", NO, why), Check("netns", NO, "needs root")]
    out = [Check("root", OK, "uid 0")]
    ip = _which("ip")
    if ip is None:
        return out + [Check("netns", MISSING, "no `ip` command (Debian package iproute2)")]
    name = f"kl-doctor-{os.getpid()}"
    try:
        add = subprocess.run([ip, "netns", "add", name], capture_output=True, text=True, timeout=20)
        if add.returncode != 0:
            return out + [Check("netns", NO, f"`ip netns add` failed: {add.stderr.strip()}")]
        dele = subprocess.run([ip, "netns", "del", name], capture_output=True, text=True, timeout=20)
        if dele.returncode != 0:
            return out + [Check("netns", NO, f"`ip netns del {name}` failed: {dele.stderr.strip()}")]
    except (OSError, subprocess.TimeoutExpired) as exc:
        subprocess.run([ip, "netns", "del", name], capture_output=True, timeout=20)
        return out + [Check("netns", NO, f"`ip netns` unusable: {exc}")]
    return out + [Check("netns", OK, f"created and deleted {name} with {ip}")]


@check
def iptables() -> list[Check]:
    found = {name: _which(name) for name in ("iptables", "iptables-restore")}
    absent = [n for n, p in found.items() if p is None]
    if absent:
        return [Check("iptables", MISSING, f"no {', '.join(absent)} (Debian package iptables)")]
    version = ""
    try:
        res = subprocess.run([found["iptables"], "--version"], capture_output=True, text=True, timeout=10)
        version = res.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    return [Check("iptables", OK, ", ".join(p for p in found.values() if p) + (f" ({version})" if version else ""))]


@check
def cni_plugins() -> list[Check]:
    for d in CNI_DIRS:
        if d.is_dir():
            plugins = sorted(p.name for p in d.iterdir() if p.is_file() and os.access(p, os.X_OK))
            lacking = [p for p in CNI_PLUGINS if p not in plugins]
            if not lacking:
                return [Check("cni plugins", OK, f"{d}: {' '.join(plugins)}")]
            if plugins:
                return [Check("cni plugins", MISSING, f"{d} has {' '.join(plugins)} but not {', '.join(lacking)} "
                                                      "(Debian package containernetworking-plugins)")]
    return [Check("cni plugins", MISSING, f"no plugins in {' or '.join(map(str, CNI_DIRS))} "
                                          "(Debian package containernetworking-plugins)")]


def _kernel_config(option: str) -> str | None:
    """``y``, ``m``, ``n`` (``# ... is not set``) or None when the kernel configuration cannot be read."""
    release = os.uname().release
    for path in (Path("/proc/config.gz"), Path(f"/boot/config-{release}")):
        try:
            raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        except OSError:
            continue
        for line in raw.decode("utf-8", "replace").splitlines():
            if line.startswith(f"{option}="):
                return line.split("=", 1)[1]
            if line == f"# {option} is not set":
                return "n"
        return "n"
    return None


@check
def ipvs() -> list[Check]:
    if PROC_IP_VS.exists():
        return [Check("ipvs", OK, "/proc/net/ip_vs present (ip_vs loaded)")]
    release = os.uname().release
    if list((MODULES_DIR / release).glob("kernel/net/netfilter/ipvs/ip_vs.ko*")):
        return [Check("ipvs", OK, f"ip_vs module available for kernel {release} (loaded on demand)")]
    config = _kernel_config("CONFIG_IP_VS")
    if config in ("y", "m"):
        return [Check("ipvs", OK, f"CONFIG_IP_VS={config} in kernel {release}")]
    if config == "n":
        return [Check("ipvs", NO, f"not available: CONFIG_IP_VS unset; {IPVS_MODELLED}")]
    return [Check("ipvs", NO, f"not available: no /proc/net/ip_vs and no ip_vs module for kernel {release}; "
                              f"{IPVS_MODELLED}")]


@check
def chromium() -> list[Check]:
    if os.access(CHROMIUM, os.X_OK):
        return [Check("chromium", OK, str(CHROMIUM))]
    return [Check("chromium", MISSING, f"no {CHROMIUM} (Debian package chromium); the browser tests skip")]


def _kubeconfigs() -> list[Path]:
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return [Path("~/.kube/config").expanduser()]


@check
def kind_context() -> list[Check]:
    import yaml

    looked = []
    for path in _kubeconfigs():
        looked.append(str(path))
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        contexts = doc.get("contexts") if isinstance(doc, dict) else None
        names = [c.get("name") for c in contexts or [] if isinstance(c, dict) and isinstance(c.get("name"), str)]
        kind = [n for n in names if n.startswith("kind-")]
        if kind:
            return [Check("kind context", OK, f"{', '.join(kind)} in {path}")]
    return [Check("kind context", NO, f"no kind-* context in {', '.join(looked)} (kind create cluster)")]


def run_checks() -> list[Check]:
    return [c for fn in CHECKS for c in fn()]


def configure(parser: argparse.ArgumentParser) -> None:
    add_output_option(parser, ("json", "yaml"))


@command("doctor", "what this machine can run (always exits 0)", configure)
def run(args: argparse.Namespace) -> int:
    checks = run_checks()
    if args.output:
        print_document({"checks": [asdict(c) for c in checks]}, args.output)
        return 0
    width = max(len(c.name) for c in checks) + 2
    for c in checks:
        write(f"{c.status:<9}{c.name:<{width}}{c.detail}")
    return 0
