"""The kubelab.policy modules export what their ``__all__`` names.

Their Examples run as doctests (pytest --doctest-modules).
"""

import importlib


def test_public_api_is_exported():
    import kubelab.policy as P
    for name in P.__all__:
        assert getattr(P, name) is not None
    for name in ["kubelab.api.calico_selector", "kubelab.policy.kubernetes", "kubelab.policy.calico",
                 "kubelab.policy.enforcement", "kubelab.policy.verdict", "kubelab.policy.matrix", "kubelab.policy.model"]:
        mod = importlib.import_module(name)
        assert all(hasattr(mod, n) for n in mod.__all__), name
