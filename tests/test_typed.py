"""kubelab is a typed package (PEP 561): the ``py.typed`` marker exists and the wheel ships it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import kubelab

REPO = Path(__file__).resolve().parents[1]


def test_the_py_typed_marker_is_there_and_listed_as_package_data():
    assert (Path(kubelab.__file__).parent / "py.typed").is_file()
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["kubelab"]
