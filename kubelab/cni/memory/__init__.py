"""kubelab's in-memory CNI plugins: loopback, bridge, ptp, portmap (and host-local IPAM in ``kubelab.cni.ipam``).

Each module models one plugin of containernetworking/plugins v1.1.1, registers
it by name in :data:`kubelab.cni.skel.MEMORY_PLUGINS`, and acts on a
:class:`~kubelab.cni.memory.kernel.Node` instead of the kernel.
"""

from . import bridge, loopback, portmap, ptp  # each registers its plugin on import
from .kernel import Node

__all__ = ["Node", "bridge", "loopback", "portmap", "ptp"]
