"""kubelab.dns exports what its ``__all__`` names (its Examples run as doctests: pytest --doctest-modules)."""


def test_public_api_is_exported():
    import kubelab.dns as D
    assert all(getattr(D, n) is not None for n in D.__all__)
