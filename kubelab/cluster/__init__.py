"""kubelab.cluster: the object store and what writes to it (see :mod:`kubelab.cluster.core`, the façade)."""

from ..api.registry import RESOURCES, resolve_kind
from .allocator import ClusterIPAllocator, NodePortAllocator
from .core import Cluster
from .readiness import find_port, is_pod_ready
from .settings import ClusterSettings
from .store import Event

__all__ = ["Cluster", "ClusterSettings", "Event", "RESOURCES", "resolve_kind", "ClusterIPAllocator",
           "NodePortAllocator", "find_port", "is_pod_ready"]
