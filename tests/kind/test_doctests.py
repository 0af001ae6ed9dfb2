"""The Examples sections of kubelab.kind run as doctests."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["kubelab.kind.config"])
def test_module_doctests(name):
    failed, attempted = doctest.testmod(importlib.import_module(name))
    assert attempted and not failed
