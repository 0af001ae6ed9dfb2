"""pytest wiring for the doctests of ``kubelab/`` (``--doctest-modules``, see pyproject.toml).

Every module's ``Examples`` run as they are written, with two rules:

* A module whose examples need something beyond Python (root and network
  namespaces, a binary, an optional package) says so with a module-level
  ``__doctest_requires__ = ("root", ...)`` naming capabilities of
  ``kubelab.capabilities``; its doctests then skip, or fail under
  ``KUBELAB_STRICT=1``, exactly like a test marked ``requires(...)``
  (``tests/capabilities.py``).  No module needs one today: the examples use the
  in-memory model only.
* ``NBGRADER_EXECUTION`` is unset while they run: under it the widgets return
  static HTML (the autograder's view), not the widget an example shows.

The tests' own wiring (markers, the ``require`` fixture) is ``tests/conftest.py``.
"""

from __future__ import annotations

import pytest


def doctest_requirements(item: pytest.Item) -> tuple[str, ...]:
    """The capabilities a doctest item's module declares in ``__doctest_requires__`` (none for a test)."""
    dtest = getattr(item, "dtest", None)
    if dtest is None:
        return ()
    return tuple(dtest.globs.get("__doctest_requires__", ()))


def pytest_runtest_setup(item: pytest.Item) -> None:
    needed = doctest_requirements(item)
    if needed:
        from tests import capabilities

        for capability in needed:
            capabilities.require(capability, f"the examples of {item.dtest.name}")


@pytest.fixture(autouse=True)
def _doctests_see_the_widgets(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if getattr(request.node, "dtest", None) is not None:
        monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
