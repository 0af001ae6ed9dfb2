"""Fixtures of the kind tests: run ``kubelab`` in-process, write manifests to tmp_path."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from kubelab.cli import main

# The live tests need a kind cluster (Docker), which these machines and CI cannot run: they are
# collected only when KUBELAB_KIND_CONTEXT names one, so a CI run shows no skip for them.
collect_ignore = [] if os.environ.get("KUBELAB_KIND_CONTEXT") else ["test_live.py"]


@pytest.fixture
def kubelab(capsys):
    """``kubelab("kind", "config", "-f", "x.yaml") -> (code, out, err, err_lines)``."""
    def run(*argv: str):
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        err_lines = [line for line in captured.err.splitlines() if not line.startswith("Warning: ")]
        return SimpleNamespace(code=code, out=captured.out, err=captured.err, err_lines=err_lines)
    return run


@pytest.fixture
def manifest(tmp_path, monkeypatch):
    """``manifest("web.yaml", text) -> "web.yaml"``: written in tmp_path, the working directory."""
    monkeypatch.chdir(tmp_path)

    def write(name: str, text: str) -> str:
        (tmp_path / name).write_text(text, encoding="utf-8")
        return name
    return write
