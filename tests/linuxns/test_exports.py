"""The kubelab.linuxns modules export what their ``__all__`` names.

Their Examples run as doctests (pytest --doctest-modules).
"""

import importlib

MODULES = ["namespaces", "sandbox", "describe", "channels", "ports"]


def test_public_api_is_exported():
    import kubelab.linuxns as L
    for name in ["NAMESPACE_KINDS", "sandbox", "describe", "channels", "port_conflicts", "docker_host_ports",
                 "PodSandbox", "PodNamespaces", "Channel", "PortConflict"]:
        assert name in L.__all__
        assert getattr(L, name) is not None
    for name in MODULES:
        mod = importlib.import_module(f"kubelab.linuxns.{name}")
        assert all(hasattr(mod, n) for n in mod.__all__)
