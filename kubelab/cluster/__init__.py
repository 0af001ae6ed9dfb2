"""kubelab.cluster: the object store and its controllers (see :mod:`kubelab.cluster.core`)."""

from .allocator import ClusterIPAllocator, NodePortAllocator
from .core import RESOURCES, Cluster, Event, resolve_kind
from .readiness import find_port, is_pod_ready
from .settings import ClusterSettings

__all__ = ["Cluster", "ClusterSettings", "Event", "RESOURCES", "resolve_kind", "ClusterIPAllocator",
           "NodePortAllocator", "find_port", "is_pod_ready"]
