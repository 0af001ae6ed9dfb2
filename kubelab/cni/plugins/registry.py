"""The registry of plugin models: one class per plugin name, no if/elif ladders over names."""

from __future__ import annotations

import difflib
from typing import Any, Callable

from ...cluster import Cluster
from ...errors import KubelabError
from .base import PluginModel

__all__ = ["register", "get", "names", "plugin_for", "PLUGINS"]

#: plugin name (``Cluster(cni=...)``) -> model class
PLUGINS: dict[str, type["PluginModel"]] = {}


def register(name: str) -> Callable[[type["PluginModel"]], type["PluginModel"]]:
    def deco(cls: type["PluginModel"]) -> type["PluginModel"]:
        if name in PLUGINS and PLUGINS[name] is not cls:
            raise ValueError(f"CNI plugin model {name!r} registered twice")
        PLUGINS[name] = cls
        return cls
    return deco


def _load_all() -> None:
    from . import bridge, calico, canal, cilium, flannel, kindnet, kube_router, weave  # noqa: F401


def names() -> list[str]:
    _load_all()
    return sorted(PLUGINS)


def get(name: str) -> type["PluginModel"]:
    """The model class registered as ``name`` (a KubelabError with a near miss otherwise)."""
    _load_all()
    try:
        return PLUGINS[name]
    except KeyError:
        near = difflib.get_close_matches(name, PLUGINS, n=1)
        hint = f' (did you mean "{near[0]}"?)' if near else ""
        raise KubelabError(f'unknown CNI plugin "{name}"{hint}: known plugins: {", ".join(sorted(PLUGINS))}') \
            from None


def plugin_for(cluster: "Cluster", **options: Any) -> "PluginModel":
    """The model of the cluster's plugin (``cluster.settings.cni``).

    Options come from ``cluster.cni_options`` when the cluster carries them (the kops builder
    sets the node subnets of its zones there), then from ``options``.
    """
    merged = {**(getattr(cluster, "cni_options", None) or {}), **options}
    return get(cluster.settings.cni)(cluster, **merged)
