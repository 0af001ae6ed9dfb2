"""The doctests of ``kubelab/`` are collected by pytest itself, and the capability rule of conftest.py holds.

pyproject.toml runs every module's Examples (``--doctest-modules`` over ``testpaths``); the
repository's conftest.py skips a module's examples, or fails them under ``KUBELAB_STRICT=1``,
when the module declares a capability in ``__doctest_requires__`` that this machine lacks.
"""

from __future__ import annotations

import doctest
import sys

import pytest

from tests import capabilities


def _root_conftest():
    return sys.modules["conftest"]  # the repository's conftest.py (this folder's is tests.conftest)


def test_the_suite_collects_the_doctests_of_the_package(request):
    assert request.config.getoption("doctestmodules")
    assert "kubelab" in request.config.getini("testpaths")
    assert request.config.getini("doctest_optionflags") == ["ELLIPSIS"]


def _item(globs):
    return type("Item", (), {"dtest": doctest.DocTest([], globs, "kubelab.example", "example.py", 0, "")})()


def test_a_module_needing_a_capability_skips_or_fails_without_it(monkeypatch):
    conftest = _root_conftest()
    item = _item({"__doctest_requires__": ("root", "nft")})
    assert conftest.doctest_requirements(item) == ("root", "nft")
    monkeypatch.setattr(capabilities, "missing", lambda name: None if name == "root" else "not on this machine")
    monkeypatch.delenv("KUBELAB_ALLOW_MISSING", raising=False)
    monkeypatch.setenv("KUBELAB_STRICT", "1")
    with pytest.raises(pytest.fail.Exception, match=r"needs nft \(not on this machine\): the examples of kubelab.example"):
        conftest.pytest_runtest_setup(item)
    monkeypatch.setenv("KUBELAB_STRICT", "0")
    with pytest.raises(pytest.skip.Exception, match="needs nft"):
        conftest.pytest_runtest_setup(item)
    monkeypatch.setattr(capabilities, "missing", lambda name: None)
    conftest.pytest_runtest_setup(item)  # everything here: the examples run


def test_modules_without_a_declaration_and_ordinary_tests_need_nothing():
    conftest = _root_conftest()
    assert conftest.doctest_requirements(_item({})) == ()
    assert conftest.doctest_requirements(object()) == ()
