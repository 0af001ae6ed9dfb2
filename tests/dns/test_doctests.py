"""The Examples sections of kubelab.dns (and kubelab.envvars) run as doctests."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["kubelab.dns", "kubelab.dns.records", "kubelab.dns.resolvconf",
                                  "kubelab.dns.resolver", "kubelab.envvars"])
def test_module_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_public_api_is_exported():
    import kubelab.dns as D
    assert all(getattr(D, n) is not None for n in D.__all__)
