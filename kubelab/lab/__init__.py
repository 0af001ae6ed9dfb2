"""kubelab.lab: the real-kernel backend (root only).  Everything it creates is named ``kl-…``."""

from .netns import NetNS, NETNS_PREFIX, list_lab_namespaces

__all__ = ["NetNS", "NETNS_PREFIX", "list_lab_namespaces"]
