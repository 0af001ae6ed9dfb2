"""``kubelab/api/upstream_fields.json`` matches the installed ``kubernetes`` client.

The file stands in for the client's ``attribute_map`` so that ``import kubelab``
stays fast; regenerate it with ``python -m kubelab.api.upstream --write``.
"""

from __future__ import annotations

import pytest

from kubelab.api import upstream

pytest.importorskip("kubernetes.client")


def test_stored_field_names_match_the_client():
    assert upstream._data() == upstream.generate(), "run: python -m kubelab.api.upstream --write"


def test_every_model_is_stored():
    assert set(upstream.model_names()) <= set(upstream._data())
