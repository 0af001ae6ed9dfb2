"""The Examples sections of the kubelab.policy modules (and ``kubelab policy``'s port parser) run as doctests."""

import doctest
import importlib

import pytest

MODULES = ["kubelab.api.calico_selector", "kubelab.policy.enforcement", "kubelab.policy.verdict",
           "kubelab.policy.matrix", "kubelab.cli.policy"]


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no doctest examples"
    assert result.failed == 0


def test_public_api_is_exported():
    import kubelab.policy as P
    for name in P.__all__:
        assert getattr(P, name) is not None
    for name in ["kubelab.api.calico_selector", "kubelab.policy.kubernetes", "kubelab.policy.calico",
                 "kubelab.policy.enforcement", "kubelab.policy.verdict", "kubelab.policy.matrix", "kubelab.policy.model"]:
        mod = importlib.import_module(name)
        assert all(hasattr(mod, n) for n in mod.__all__), name
