"""kubelab.net: the trace engine -- one connection through a cluster's data plane -- and reachability matrices.

Packets, rules and their evaluation are in :mod:`kubelab.netfilter`; the record of a
path (:class:`~kubelab.hops.Trace`, :class:`~kubelab.hops.Hop`) in :mod:`kubelab.hops`.
"""

from .reachability import Reachability, reachability
from .trace import Network, connect

__all__ = ["Network", "connect", "Reachability", "reachability"]
