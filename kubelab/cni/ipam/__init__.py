"""IPAM plugins of kubelab's in-memory CNI backend (host-local)."""

from . import host_local

__all__ = ["host_local"]
