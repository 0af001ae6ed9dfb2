"""The examples in kubelab.cni's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["kubelab.cni", "kubelab.cni.types", "kubelab.cni.config", "kubelab.cni.skel",
           "kubelab.cni.ipam.host_local", "kubelab.cni.plugins.matrix", "kubelab.cni.plugins.benchmarks"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    failed, attempted = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert attempted and not failed
