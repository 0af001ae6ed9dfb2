"""kubelab.linuxns: pods as the node sees them -- Linux namespaces, the pause container, channels, ports.

One concept per module: :mod:`.namespaces` (the seven kinds), :mod:`.sandbox`
(what the pause container holds and who joins it), :mod:`.describe` (the
namespace table of ``kubelab describe pod``), :mod:`.channels` (how two
containers can communicate, and what that means for an attacker) and
:mod:`.ports` (the port-sharing problem: Docker host ports, one pod's shared
port space, hostPort and hostNetwork on a node).
"""

from .channels import CHANNEL_KINDS, Channel, channels
from .describe import NamespaceRow, PodNamespaces, describe
from .namespaces import HOST_INODES, ISOLATES, NAMESPACE_KINDS, InodeAllocator, LinuxNamespace, host_namespace
from .ports import (PortBinding, PortConflict, bind, docker_host_ports, host_process_ports, port_conflicts)
from .sandbox import (CONTAINER, NODE, PAUSE_IMAGE, POD, SET_BY, PodSandbox, SandboxContainer, namespace_modes,
                      sandbox)

__all__ = [
    "NAMESPACE_KINDS", "ISOLATES", "HOST_INODES", "LinuxNamespace", "InodeAllocator", "host_namespace",
    "POD", "CONTAINER", "NODE", "PAUSE_IMAGE", "SET_BY", "PodSandbox", "SandboxContainer", "sandbox", "namespace_modes",
    "NamespaceRow", "PodNamespaces", "describe",
    "CHANNEL_KINDS", "Channel", "channels",
    "PortBinding", "PortConflict", "bind", "port_conflicts", "docker_host_ports", "host_process_ports",
]
