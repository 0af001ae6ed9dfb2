"""kubelab: a faithful model of Kubernetes networking, for learning and for asking "what would the cluster do?".

The top-level names are loaded on first use, so ``import kubelab`` stays fast
(the model's dataclasses and PyYAML load when you first touch ``Cluster``).

>>> import kubelab
>>> c = kubelab.Cluster()
>>> [n.name for n in c.nodes()]
['kind-control-plane', 'kind-worker', 'kind-worker2']
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.3.0"

_LAZY = {
    "Cluster": "kubelab.cluster",
    "Event": "kubelab.cluster",
    "load": "kubelab.api",
    "KubelabError": "kubelab.errors",
}

__all__ = ["Cluster", "Event", "KubelabError", "load", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _submodules():  # `import kubelab; kubelab.net.connect(...)`: a subpackage loads on first use
        return importlib.import_module(f"kubelab.{name}")
    raise AttributeError(f"module 'kubelab' has no attribute {name!r}")


def _submodules() -> frozenset[str]:
    """kubelab's own packages and modules (``net``, ``proxy``, ``viz``, ...), by their file names."""
    import pkgutil

    return frozenset(info.name for info in pkgutil.iter_modules(__path__))


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
