"""The Proxier interface shared by every kube-proxy mode, and the registry of modes.

Upstream: ``pkg/proxy/types.go`` (``Provider``: ``Sync``, ``SyncLoop`` and the
``OnService*``/``OnEndpointSlice*`` handlers) and ``cmd/kube-proxy/app``, which
picks one proxier by ``--proxy-mode``.  Like kube-proxy's ``syncProxyRules``,
each kubelab Proxier renders its whole artifact in one pass from the current
cluster state; it re-syncs when the cluster reports a change.  A new mode (for
example nftables, GA in Kubernetes 1.33) is its name in the API's
:data:`~kubelab.api.kubeproxy.PROXY_MODES` (as upstream adds a ``ProxyMode``
constant) and one more module that subclasses :class:`Proxier` and calls
:func:`register`.

Examples
--------
>>> sorted(PROXIERS)[:1]
['iptables']
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..api.kubeproxy import PROXY_MODES, KubeProxyConfiguration
from ..cluster import Cluster
from ..cluster.core import gc_paused
from ..errors import KubelabError

__all__ = ["Proxier", "PROXIERS", "register", "proxier_for", "registered_modes", "running_modes"]

PROXIERS: dict[str, type["Proxier"]] = {}


def register(cls: type["Proxier"]) -> type["Proxier"]:
    """Register a Proxier class under its ``mode``, one of the API's :data:`~kubelab.api.kubeproxy.PROXY_MODES`.

    >>> class Fancy(Proxier):
    ...     mode = "fancy"
    >>> register(Fancy)
    Traceback (most recent call last):
    ...
    ValueError: proxy mode "fancy" is not a KubeProxyConfiguration mode (kubelab.api.kubeproxy.PROXY_MODES: iptables, ipvs, nftables, userspace)
    """
    if cls.mode not in PROXY_MODES:
        raise ValueError(f'proxy mode "{cls.mode}" is not a KubeProxyConfiguration mode '
                         f'(kubelab.api.kubeproxy.PROXY_MODES: {", ".join(PROXY_MODES)})')
    PROXIERS[cls.mode] = cls
    return cls


class Proxier:
    """kube-proxy on one node, in one mode.

    Parameters
    ----------
    cluster
        The cluster whose Services and EndpointSlices are proxied.
    node
        The node kube-proxy runs on (its name); endpoints on that node are local.
    config
        A ``KubeProxyConfiguration``; by default the cluster's.
    """

    mode: ClassVar[str] = ""

    def __init__(self, cluster: "Cluster", node: str | None = None, config: "KubeProxyConfiguration | None" = None):
        self.cluster = cluster
        nodes = cluster.nodes()
        if node is None:
            workers = [n for n in nodes if n.schedulable] or nodes
            node = workers[0].name if workers else None
        if node is not None and all(n.name != node for n in nodes):
            raise KubelabError(f'node "{node}" not found (nodes: {", ".join(n.name for n in nodes)})')
        self.node = node
        self.config = config or cluster.kube_proxy_config
        self._dirty = True
        self._unwatch = cluster.watch(self._on_event)
        self.syncs = 0

    def _on_event(self, event: Any) -> None:
        if event.obj.kind in ("Service", "EndpointSlice", "Node", "KubeProxyConfiguration"):
            self._dirty = True

    def close(self) -> None:
        """Stop reacting to cluster events."""
        self._unwatch()

    @property
    def node_ip(self) -> str | None:
        if self.node is None:
            return None
        return self.cluster.node(self.node).internal_ip

    def sync(self) -> None:
        """Render the whole artifact from the current cluster state (``syncProxyRules``)."""
        with gc_paused():  # GC walks of a large cluster cost more than the sync itself
            self._sync()
        self._dirty = False
        self.syncs += 1

    def ensure_synced(self) -> None:
        if self._dirty:
            self.sync()

    def _sync(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def render(self, format: str | None = None) -> str:
        """The artifact as text (what the real tools would print); ``format`` is one of :attr:`formats`."""
        with gc_paused():  # as in sync: GC walks of a large cluster would dominate
            return self._render(format)

    def _render(self, format: str | None) -> str:  # pragma: no cover - abstract
        """Each mode's :meth:`render`, run with the garbage collector paused."""
        raise NotImplementedError


def registered_modes() -> tuple[str, ...]:
    """Every registered mode, in name order, after importing each module of :mod:`kubelab.proxy`
    (a mode registers itself when its module is imported).  The one list every ``--mode``/
    ``--proxy-mode`` choice and every ``mode:`` validation derives from.

    >>> registered_modes()
    ('iptables', 'ipvs', 'nftables', 'userspace')
    """
    import importlib
    import pkgutil

    from .. import proxy

    for info in pkgutil.iter_modules(proxy.__path__):
        importlib.import_module(f"{proxy.__name__}.{info.name}")
    return tuple(sorted(PROXIERS))


def running_modes() -> tuple[str, ...]:
    """The registered modes today's kube-proxy still has (not ``removed``: userspace went in v1.26).

    >>> running_modes()
    ('iptables', 'ipvs', 'nftables')
    """
    return tuple(m for m in registered_modes() if not getattr(PROXIERS[m], "removed", None))


def proxier_for(cluster: "Cluster", mode: str | None = None, node: str | None = None, **kwargs: Any) -> Proxier:
    """A Proxier for ``mode`` (default: the cluster's kube-proxy mode)."""
    registered_modes()  # registers the built-in modes
    mode = mode or cluster.kube_proxy_config.effective_mode
    cls = PROXIERS.get(mode)
    if cls is None:
        raise KubelabError(f'unsupported proxy mode "{mode}": supported modes: {", ".join(sorted(PROXIERS))}')
    return cls(cluster, node, **kwargs)
