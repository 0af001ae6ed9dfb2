"""The capability gate: missing things skip normally and fail under KUBELAB_STRICT=1.

The end-to-end cases run pytest in a subprocess on a generated test file, with
two test-double capabilities registered from a generated conftest: one always
present ("air"), one never ("unobtainium"), so the outcome does not depend on
what this machine has installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kubelab import capabilities as probes
from tests import capabilities

REPO = Path(__file__).resolve().parents[1]

CONFTEST = """
from tests import capabilities
capabilities.CHECKS["air"] = lambda: None
capabilities.CHECKS["unobtainium"] = lambda: "never here (test double)"
"""

TESTS = """
import pytest
from tests.capabilities import require

def test_present():
    require("air", "breathe")

def test_missing_by_call():
    require("unobtainium", "forge it")

def test_missing_by_fixture(require):
    require("unobtainium", "forge it")

@pytest.mark.requires("air", "unobtainium")
def test_missing_by_marker():
    pass
"""


def run_pytest(tmp_path: Path, **env: str) -> dict:
    """Run the generated tests: test name -> passed|skipped|failed, plus _output and _returncode."""
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_generated.py").write_text(TESTS)
    report = tmp_path / "report.xml"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KUBELAB_")}
    environ.update(env, PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
         f"--junitxml={report}", "test_generated.py"],
        cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=120,
    )
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        if kinds & {"failure", "error"}:
            outcomes[case.get("name")] = "failed"
        elif "skipped" in kinds:
            outcomes[case.get("name")] = "skipped"
        else:
            outcomes[case.get("name")] = "passed"
    outcomes["_output"] = proc.stdout + proc.stderr
    outcomes["_returncode"] = proc.returncode
    return outcomes


def test_missing_capability_skips_by_default(tmp_path):
    out = run_pytest(tmp_path)
    assert out["test_present"] == "passed", out["_output"]
    for name in ("test_missing_by_call", "test_missing_by_fixture", "test_missing_by_marker"):
        assert out[name] == "skipped", out["_output"]
    assert out["_returncode"] == 0, out["_output"]


def test_strict_mode_turns_skips_into_failures(tmp_path):
    out = run_pytest(tmp_path, KUBELAB_STRICT="1")
    assert out["test_present"] == "passed", out["_output"]
    for name in ("test_missing_by_call", "test_missing_by_fixture", "test_missing_by_marker"):
        assert out[name] == "failed", out["_output"]
    assert out["_returncode"] != 0
    assert "KUBELAB_STRICT=1" in out["_output"]
    assert "never here (test double)" in out["_output"]


def test_allowed_missing_still_skips_in_strict_mode(tmp_path):
    out = run_pytest(tmp_path, KUBELAB_STRICT="1", KUBELAB_ALLOW_MISSING="ipvs, unobtainium")
    for name in ("test_missing_by_call", "test_missing_by_fixture", "test_missing_by_marker"):
        assert out[name] == "skipped", out["_output"]
    assert out["_returncode"] == 0, out["_output"]


def test_markers_map_to_capabilities():
    assert capabilities.capabilities_for_markers(["root", "slow", "parametrize"]) == ["root"]
    assert capabilities.capabilities_for_markers(["browser"]) == ["chromium", "playwright"]
    assert capabilities.capabilities_for_markers(["lite"]) == ["chromium", "playwright", "npm", "jupyterlite"]
    assert capabilities.capabilities_for_markers(["cni", "requires"], ["root", "cni"]) == ["cni", "root"]


@pytest.mark.parametrize("name", sorted(capabilities.CHECKS))
def test_every_check_answers(name):
    why = capabilities.missing(name)
    assert why is None or (isinstance(why, str) and why)


def test_unknown_capability_is_an_error():
    with pytest.raises(ValueError, match="unknown capability 'kubernetes-the-hard-way'"):
        capabilities.require("kubernetes-the-hard-way", "anything")


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("true", True), ("", False), ("0", False), ("no", False)]
)
def test_strict_reads_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("KUBELAB_STRICT", value)
    assert capabilities.strict() is expected


def test_cni_dir_found_when_plugins_present(tmp_path, monkeypatch):
    for plugin in capabilities.CNI_PLUGINS:
        path = tmp_path / plugin
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    monkeypatch.setattr(probes, "CNI_DIRS", (str(tmp_path / "absent"), str(tmp_path)))
    assert capabilities.cni_bin_dir() == tmp_path
    assert probes.cni().detail == f"{tmp_path}: {' '.join(sorted(capabilities.CNI_PLUGINS))}"
    (tmp_path / "portmap").unlink()
    assert capabilities.cni_bin_dir() is None
