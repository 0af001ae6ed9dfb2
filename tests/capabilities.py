"""What this machine can run, and how a test says what it needs.

A test that needs something beyond Python (root and network namespaces, the CNI
plugin binaries, iptables, Chromium, ...) states it, either with a marker::

    @pytest.mark.root                      # -> capability "root"
    @pytest.mark.cni                       # -> capability "cni"
    @pytest.mark.browser                   # -> capabilities "chromium" and "playwright"
    @pytest.mark.lite                      # -> those two plus "npm" and "jupyterlite" (make lite)
    @pytest.mark.requires("iptables", "root")

or with a call inside the test (or the ``require`` fixture from conftest.py)::

    from tests.capabilities import require
    require("iptables", "loads the generated rules into a throwaway netns")

When the capability is missing the test is skipped, with the reason in the
summary. With ``KUBELAB_STRICT=1`` (as in CI) it fails instead, so a broken
install cannot hide behind skips; capabilities named in
``KUBELAB_ALLOW_MISSING`` (comma-separated, e.g. ``ipvs``) still skip.

Each check returns ``None`` when the capability is there, otherwise a short
reason why not. Checks run at most once per process.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

__all__ = [
    "CHECKS",
    "MARKER_CAPABILITIES",
    "allowed_missing",
    "available",
    "capabilities_for_markers",
    "cni_bin_dir",
    "missing",
    "require",
    "strict",
]

# Where Debian's containernetworking-plugins puts them, and the upstream default.
CNI_DIRS = (Path("/usr/lib/cni"), Path("/opt/cni/bin"))
CNI_PLUGINS = ("bridge", "host-local", "loopback", "portmap")
CHROMIUM = Path("/usr/bin/chromium")


def _root() -> str | None:
    if os.geteuid() != 0:
        return "not running as root"
    ip = shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin")
    if ip is None:
        return "no `ip` command (Debian package iproute2)"
    # Really create one: `ip netns list` succeeds even where namespaces cannot be made.
    name = f"kl-probe-{os.getpid()}"  # the kl- prefix: only namespaces named kl-* are ever ours
    try:
        add = subprocess.run([ip, "netns", "add", name], capture_output=True, text=True, timeout=20)
        if add.returncode != 0:
            return f"`ip netns add` failed: {add.stderr.strip()}"
        run = subprocess.run(
            [ip, "netns", "exec", name, ip, "link", "show", "lo"],
            capture_output=True, text=True, timeout=20,
        )
        if run.returncode != 0:
            return f"`ip netns exec` failed: {run.stderr.strip()}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`ip netns` unusable: {exc}"
    finally:
        subprocess.run([ip, "netns", "del", name], capture_output=True, timeout=20)
    return None


def cni_bin_dir() -> Path | None:
    """The first directory holding all of bridge, host-local, loopback and portmap."""
    for directory in CNI_DIRS:
        if all(os.access(directory / plugin, os.X_OK) for plugin in CNI_PLUGINS):
            return directory
    return None


def _cni() -> str | None:
    if cni_bin_dir() is None:
        return (f"no {', '.join(CNI_PLUGINS)} plugins in {' or '.join(map(str, CNI_DIRS))}"
                " (Debian package containernetworking-plugins)")
    return None


def _iptables() -> str | None:
    if shutil.which("iptables-restore") or shutil.which("iptables-restore", path="/usr/sbin:/sbin"):
        return None
    return "no iptables-restore (Debian package iptables)"


def _nft() -> str | None:
    if shutil.which("nft") or shutil.which("nft", path="/usr/sbin:/sbin"):
        return None
    return "no nft (Debian package nftables)"


def _ipset() -> str | None:
    if shutil.which("ipset") or shutil.which("ipset", path="/usr/sbin:/sbin"):
        return None
    return "no ipset (Debian package ipset)"


def _chromium() -> str | None:
    return None if os.access(CHROMIUM, os.X_OK) else f"no {CHROMIUM} (Debian package chromium)"


def _playwright() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the playwright Python package is not installed (pip install -e '.[test]')"
    return None


def _npm() -> str | None:
    return None if shutil.which("npm") else "no npm (Debian package npm): make lite fetches Pyodide with it"


def _jupyterlite() -> str | None:
    for module in ("jupyterlite_core", "jupyterlite_pyodide_kernel"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -e '.[lite]', as make venv does)"
    return None


def _ipvs() -> str | None:
    # /proc/net/ip_vs appears once the ip_vs module is loaded (or built in).
    if Path("/proc/net/ip_vs").exists():
        return None
    release = os.uname().release
    if list(Path("/lib/modules", release).glob("kernel/net/netfilter/ipvs/ip_vs.ko*")):
        return None  # loadable on demand
    return f"kernel {release} has no IPVS (CONFIG_IP_VS)"


def hub_home() -> Path:
    """Where the class's hub is installed (``make hub-env``; the Makefile passes KUBELAB_HUB_HOME)."""
    return Path(os.environ.get("KUBELAB_HUB_HOME", "/opt/kubelab-hub"))


def _hub() -> str | None:
    """A JupyterHub class with real accounts: root, useradd, node, the hub's venv and proxy."""
    if os.geteuid() != 0:
        return "not running as root (the class test creates Linux accounts)"
    for tool in ("useradd", "userdel", "runuser", "node"):
        if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
            return f"no `{tool}` command"
    home = hub_home()
    if not (home / "venv" / "bin" / "jupyterhub").exists():
        return f"no JupyterHub in {home}/venv (run `make hub-env`)"
    if not (home / "node_modules" / ".bin" / "configurable-http-proxy").exists():
        return f"no configurable-http-proxy in {home}/node_modules (run `make hub-env`)"
    return None


def _bwrap() -> str | None:
    if not shutil.which("bwrap"):
        return "no bwrap (Debian package bubblewrap)"
    from kubelab.grading import sandbox

    return None if sandbox.available() else "bwrap cannot create its namespaces here (user namespaces disabled?)"


CHECKS: dict[str, Callable[[], str | None]] = {
    "root": _root,
    "cni": _cni,
    "iptables": _iptables,
    "ipset": _ipset,
    "nft": _nft,
    "chromium": _chromium,
    "playwright": _playwright,
    "ipvs": _ipvs,
    "npm": _npm,
    "jupyterlite": _jupyterlite,
    "hub": _hub,
    "bwrap": _bwrap,
}

# Markers (registered in pyproject.toml) that imply capabilities.
MARKER_CAPABILITIES: dict[str, tuple[str, ...]] = {
    "root": ("root",),
    "cni": ("cni",),
    "browser": ("chromium", "playwright"),
    "lite": ("chromium", "playwright", "npm", "jupyterlite"),
    "hub": ("hub",),
}


@functools.cache
def missing(capability: str) -> str | None:
    """Why ``capability`` is unavailable here, or None when it is available."""
    try:
        check = CHECKS[capability]
    except KeyError:
        raise ValueError(f"unknown capability {capability!r}; known: {', '.join(sorted(CHECKS))}") from None
    return check()


def available(capability: str) -> bool:
    return missing(capability) is None


def strict() -> bool:
    """True when KUBELAB_STRICT asks for missing capabilities to fail tests."""
    return os.environ.get("KUBELAB_STRICT", "").strip().lower() in {"1", "true", "yes", "on"}


def allowed_missing() -> frozenset[str]:
    """Capabilities that may be missing even in strict mode (KUBELAB_ALLOW_MISSING)."""
    raw = os.environ.get("KUBELAB_ALLOW_MISSING", "")
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


def require(capability: str, reason: str) -> None:
    """Skip the running test (fail it under KUBELAB_STRICT=1) unless ``capability`` is here.

    ``reason`` says what the test uses the capability for; it ends up in the report.
    """
    why = missing(capability)
    if why is None:
        return
    message = f"needs {capability} ({why}): {reason}"
    if strict() and capability not in allowed_missing():
        pytest.fail(f"{message} [KUBELAB_STRICT=1: install it, or list it in KUBELAB_ALLOW_MISSING]",
                    pytrace=False)
    pytest.skip(message)


def capabilities_for_markers(marker_names: Iterable[str], requires_args: Iterable[str] = ()) -> list[str]:
    """The capabilities a test needs, from its marker names and its ``requires(...)`` arguments."""
    needed: list[str] = []
    for name in marker_names:
        needed.extend(MARKER_CAPABILITIES.get(name, ()))
    needed.extend(requires_args)
    return list(dict.fromkeys(needed))  # keep order, drop repeats
