"""The Examples sections of the Gateway API modules run as doctests."""

import doctest
import importlib

import pytest

MODULES = ["kubelab.api.crd", "kubelab.api.gateway", "kubelab.gateway.matching", "kubelab.gateway.filters",
           "kubelab.gateway.router", "kubelab.gateway.convert", "kubelab.kind.gateway", "kubelab.grading.gateway",
           "kubelab.viz.gateway"]


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    failed, attempted = doctest.testmod(importlib.import_module(name))
    assert attempted and not failed
