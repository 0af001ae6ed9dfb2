"""The Examples sections of every kubelab.linuxns module run as doctests."""

import doctest
import importlib

import pytest

MODULES = ["namespaces", "sandbox", "describe", "channels", "ports"]


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name):
    # import_module, not attribute access: the package re-exports functions named like
    # their modules (kubelab.linuxns.sandbox is the function).
    module = importlib.import_module(f"kubelab.linuxns.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no doctest examples"
    assert result.failed == 0


def test_public_api_is_exported():
    import kubelab.linuxns as L
    for name in ["NAMESPACE_KINDS", "sandbox", "describe", "channels", "port_conflicts", "docker_host_ports",
                 "PodSandbox", "PodNamespaces", "Channel", "PortConflict"]:
        assert name in L.__all__
        assert getattr(L, name) is not None
    for name in MODULES:
        mod = importlib.import_module(f"kubelab.linuxns.{name}")
        assert all(hasattr(mod, n) for n in mod.__all__)
