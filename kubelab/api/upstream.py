"""The official field names of the Kubernetes API types, for strict decoding.

kubelab models only some fields of each type and keeps the others verbatim;
to tell a kept field from a typo it needs the full list of names.  That list
comes from the ``kubernetes`` Python client (``attribute_map`` of each
``V1...`` model class, generated from the API server's OpenAPI document), but
importing the client takes half a second, so the names kubelab needs are
stored in ``upstream_fields.json`` beside this module.  ``python -m
kubelab.api.upstream --write`` regenerates it from the installed client, and
``tests/api/test_upstream.py`` checks that the file matches the client.

Examples
--------
>>> "shareProcessNamespace" in fields("V1PodSpec")
True
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["fields", "generate", "model_modules", "DATA_FILE"]

DATA_FILE = Path(__file__).with_name("upstream_fields.json")


@functools.cache
def _data() -> dict[str, list[str]]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def fields(model: str) -> frozenset[str] | None:
    """The JSON field names of a ``kubernetes`` client model class, or ``None`` if unknown."""
    names = _data().get(model)
    return frozenset(names) if names is not None else None


def model_modules() -> list[ModuleType]:
    """The modules that define the registered kinds (:data:`kubelab.api.registry.KINDS`) and the metadata
    types they share, in name order.

    >>> [m.__name__.rpartition(".")[2] for m in model_modules()][:3]
    ['calico', 'endpoints', 'gateway']
    """
    from . import meta
    from .registry import KINDS
    modules = {sys.modules[cls.__module__] for cls in KINDS.values()} | {meta}
    return sorted(modules, key=lambda m: m.__name__)


def model_names() -> list[str]:
    """Every ``_k8s_model`` named by a kubelab model class."""
    import dataclasses

    names = set()
    for mod in model_modules():
        for obj in vars(mod).values():
            if isinstance(obj, type) and dataclasses.is_dataclass(obj) and getattr(obj, "_k8s_model", None):
                names.add(obj._k8s_model)
    return sorted(names)


def generate() -> dict[str, list[str]]:
    """Read the names from the installed ``kubernetes`` client."""
    from kubernetes.client import models
    return {m: sorted(getattr(models, m).attribute_map.values()) for m in model_names()}


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    if sys.argv[1:] == ["--write"]:
        DATA_FILE.write_text(json.dumps(generate(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {DATA_FILE}")
    else:
        print("usage: python -m kubelab.api.upstream --write", file=sys.stderr)
        sys.exit(2)
