"""The kubelab.ingress modules (and the Secret kind) export what their ``__all__`` names.

Their Examples run as doctests (pytest --doctest-modules).
"""

import importlib

MODULES = ["kubelab.ingress.matching", "kubelab.ingress.classes", "kubelab.ingress.tls", "kubelab.ingress.controller",
           "kubelab.ingress.certs", "kubelab.ingress.x509",
           "kubelab.ingress.convert", "kubelab.api.secret", "kubelab.cli.route"]


def test_public_api_is_exported():
    import kubelab.ingress as I
    for name in I.__all__:
        assert getattr(I, name) is not None
    for name in MODULES:
        mod = importlib.import_module(name)
        assert all(hasattr(mod, n) for n in mod.__all__)
