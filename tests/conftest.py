"""Shared pytest wiring: capability markers and the ``require`` fixture.

See tests/capabilities.py for the capabilities and KUBELAB_STRICT.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from tests import capabilities

# Property-based tests are reproducible in CI: the same examples on every run (a failure there is the
# same failure on a laptop with CI=1).  Elsewhere hypothesis explores (and remembers what failed).
settings.register_profile("ci", derandomize=True, print_blob=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_report_header(config: pytest.Config) -> list[str]:
    """One line in the header saying what this machine can run (handy in CI logs)."""
    parts = []
    for name in capabilities.CHECKS:
        why = capabilities.missing(name)
        parts.append(f"{name}=yes" if why is None else f"{name}=no")
    mode = "strict" if capabilities.strict() else "skip"
    allowed = ",".join(sorted(capabilities.allowed_missing())) or "-"
    return [f"kubelab capabilities: {' '.join(parts)} (missing -> {mode}; allowed missing: {allowed})"]


def pytest_runtest_setup(item: pytest.Item) -> None:
    requires_args = [arg for marker in item.iter_markers("requires") for arg in marker.args]
    marker_names = [marker.name for marker in item.iter_markers()]
    for capability in capabilities.capabilities_for_markers(marker_names, requires_args):
        capabilities.require(capability, f"marked on {item.nodeid}")


@pytest.fixture
def require():
    """``require(capability, reason)``: skip (or fail under KUBELAB_STRICT=1) unless present."""
    return capabilities.require
