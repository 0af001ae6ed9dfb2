"""Derived views of a cluster, built once per revision of its store.

Kubernetes components keep their own picture of the cluster up to date with
informers (``k8s.io/client-go/tools/cache``: a list, then a watch, then an
index per component).  kubelab's components read one in-memory store instead,
and the store is copy-on-write (a change stores new objects, never edits
stored ones), so a picture built at one :attr:`Cluster.revision
<kubelab.cluster.Cluster.revision>` holds until the revision moves: no
watch callbacks to register, nothing to close.  Each view is kept beside the
cluster (weakly: it goes when the cluster goes) and is rebuilt on first use
after a change.  Views are what CoreDNS, the policy engines, the trace and
the CNI plugins index (kube-proxy's proxiers keep their own rule tables and
compare :meth:`Cluster.revision_of <kubelab.cluster.Cluster.revision_of>` for
the kinds they proxy, because their state, like IPVS's round-robin position,
survives a re-sync).

A view must not hold a reference to its cluster (the cache would then keep
the cluster alive).  This module needs nothing from a cluster but its
``revision`` and ``revision_of``, so it sits with the utilities every layer
may use (the CNI plugin models and CoreDNS use it without importing the
cluster package).

Examples
--------
>>> from kubelab.cluster import Cluster
>>> c = Cluster()
>>> builds = []
>>> def names(cluster):
...     builds.append(1)
...     return [n.name for n in cluster.nodes()]
>>> view(c, "names", names) is view(c, "names", names), len(builds)
(True, 1)
>>> _ = c.apply("apiVersion: v1\\nkind: Namespace\\nmetadata: {name: shop}")
>>> view(c, "names", names, kinds=("nodes",)) and len(builds)   # another key: built once more
2
>>> view(c, "names", names, kinds=("nodes",)) and len(builds)   # no node changed since
2
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Iterable, TypeVar

__all__ = ["view"]

T = TypeVar("T")

#: cluster -> {(name, kinds): (revision, value)}
_VIEWS: "weakref.WeakKeyDictionary[Any, dict[tuple[str, tuple[str, ...]], tuple[int, Any]]]" = \
    weakref.WeakKeyDictionary()


def view(cluster: Any, name: str, build: Callable[[Any], T], *, kinds: Iterable[str] = ()) -> T:
    """``build(cluster)``, built once per revision of ``cluster`` and then reused.

    Parameters
    ----------
    cluster
        A :class:`~kubelab.cluster.Cluster`.  Anything without ``revision`` (a stand-in in a test)
        gets a fresh ``build(cluster)`` on every call.
    name
        What the view is (one name per builder, e.g. ``"dns.records"``).
    build
        Builds the view from the cluster; must not keep a reference to it.
    kinds
        When given, the view is rebuilt only after an object of one of these kinds changed
        (:meth:`~kubelab.cluster.Cluster.revision_of`), not after every change.
    """
    kinds = tuple(kinds)
    revision_of = getattr(cluster, "revision_of", None)
    if revision_of is None:
        return build(cluster)
    revision = revision_of(*kinds) if kinds else cluster.revision
    try:
        views = _VIEWS.get(cluster)
        if views is None:
            views = _VIEWS[cluster] = {}
    except TypeError:  # pragma: no cover - not weak-referenceable
        return build(cluster)
    hit = views.get((name, kinds))
    if hit is not None and hit[0] == revision:
        return hit[1]
    value = build(cluster)
    views[(name, kinds)] = (revision, value)
    return value
