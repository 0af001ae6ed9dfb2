"""The Examples sections of every kubelab.ingress module (and the Secret kind) run as doctests."""

import doctest
import importlib

import pytest

MODULES = ["kubelab.ingress.matching", "kubelab.ingress.classes", "kubelab.ingress.tls", "kubelab.ingress.controller",
           "kubelab.ingress.certs", "kubelab.ingress.x509",
           "kubelab.ingress.convert", "kubelab.api.secret", "kubelab.cli.route"]


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no doctest examples"
    assert result.failed == 0


def test_public_api_is_exported():
    import kubelab.ingress as I
    for name in I.__all__:
        assert getattr(I, name) is not None
    for name in MODULES:
        mod = importlib.import_module(name)
        assert all(hasattr(mod, n) for n in mod.__all__)
