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
reason why not. The checks are the probes of :mod:`kubelab.capabilities`, the
ones ``kubelab doctor`` prints; they run at most once per process here.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable

import pytest

from kubelab import capabilities as probes
from kubelab.capabilities import CHROMIUM, CNI_DIRS, CNI_PLUGINS, cni_bin_dir, hub_home

__all__ = [
    "CHECKS",
    "CHROMIUM",
    "CNI_DIRS",
    "CNI_PLUGINS",
    "MARKER_CAPABILITIES",
    "allowed_missing",
    "available",
    "capabilities_for_markers",
    "cni_bin_dir",
    "hub_home",
    "missing",
    "require",
    "strict",
]


def _probes(*names: str) -> Callable[[], str | None]:
    """A check that passes when every named probe of :mod:`kubelab.capabilities` is ``ok``."""
    def check() -> str | None:
        for name in names:
            found = probes.probe(name)
            if not found.ok:
                return f"{found.name}: {found.detail}"
        return None
    return check


#: Capability -> its check.  The probes are kubelab.capabilities' (what `kubelab doctor` prints):
#: "root" is root *and* usable network namespaces; the others are one probe each.
CHECKS: dict[str, Callable[[], str | None]] = {
    "root": _probes("root", "netns"),
    **{name: _probes(name) for name in ("cni", "iptables", "ipset", "nft", "chromium", "playwright", "ipvs",
                                        "npm", "jupyterlite", "hub", "bwrap")},
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
