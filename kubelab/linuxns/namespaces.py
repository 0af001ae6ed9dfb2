"""The seven Linux namespace kinds, and namespaces as the kernel names them.

Upstream: ``man 7 namespaces`` (the kinds, ``/proc/<pid>/ns/<kind>`` links that
read ``net:[4026531992]``), ``man 7 cgroup_namespaces``, ``man 7 pid_namespaces``,
``man 7 user_namespaces``, and ``include/linux/proc_ns.h`` for the inode
numbers of the initial namespaces (``PROC_IPC_INIT_INO = 0xEFFFFFFF`` down to
``PROC_CGROUP_INIT_INO = 0xEFFFFFFB``; the initial mount and network namespaces
take dynamic numbers, which on a freshly booted host are ``4026531840`` and
``4026531992``).

A namespace is identified by the inode number of its ``/proc/<pid>/ns`` link:
two processes are in the same namespace exactly when the links show the same
number (on the same machine).  :class:`LinuxNamespace` keeps that number, the
kind, the machine (node) it lives on and who created it.

Simplifications: the time namespace (Linux 5.6) is left out, as in the
chapter, which counts the seven kinds that existed from Linux 4.6 (cgroup,
the newest of them).  New namespaces get numbers from a counter that starts at
``4026532160`` (:class:`InodeAllocator`), so the same pod always gets the same
numbers; a real kernel hands out whatever inode is free.

Examples
--------
>>> NAMESPACE_KINDS
('cgroup', 'ipc', 'mnt', 'net', 'pid', 'user', 'uts')
>>> str(host_namespace("net", "kind-worker"))
'net:[4026531992]'
>>> alloc = InodeAllocator()
>>> str(alloc.new("uts", "pause container of default/web", "kind-worker"))
'uts:[4026532160]'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "NAMESPACE_KINDS", "ISOLATES", "CLONE_FLAGS", "HOST_INODES", "FIRST_DYNAMIC_INODE",
    "LinuxNamespace", "InodeAllocator", "host_namespace",
]

#: The seven kinds, in the order ``ls /proc/self/ns`` lists them.
NAMESPACE_KINDS: tuple[str, ...] = ("cgroup", "ipc", "mnt", "net", "pid", "user", "uts")

#: What a namespace of each kind gives its processes a private copy of.
ISOLATES: dict[str, str] = {
    "cgroup": "the view of the cgroup tree: /proc/self/cgroup and a cgroup mount start at the "
              "namespace's own cgroup, so the container cannot see where it sits on the host",
    "ipc": "System V IPC objects (shared memory segments, semaphores, message queues) and "
           "POSIX message queues",
    "mnt": "the list of mount points: each namespace has its own filesystem tree, so a container "
           "sees its image as / and only the volumes mounted into it",
    "net": "network devices, IP addresses, routes, firewall rules, the port space and the "
           "loopback interface (localhost)",
    "pid": "process IDs: the first process is PID 1, and processes outside the namespace are "
           "invisible in /proc and cannot be signalled by PID",
    "user": "user and group IDs and capabilities: UID 0 inside can map to an unprivileged UID "
            "on the host",
    "uts": "the hostname and the NIS domain name",
}

#: The ``clone(2)``/``unshare(2)`` flag that creates each kind.
CLONE_FLAGS: dict[str, str] = {
    "cgroup": "CLONE_NEWCGROUP", "ipc": "CLONE_NEWIPC", "mnt": "CLONE_NEWNS", "net": "CLONE_NEWNET",
    "pid": "CLONE_NEWPID", "user": "CLONE_NEWUSER", "uts": "CLONE_NEWUTS",
}

#: Inode numbers of a host's initial namespaces (what ``readlink /proc/1/ns/*`` shows).
HOST_INODES: dict[str, int] = {
    "cgroup": 4026531835, "ipc": 4026531839, "mnt": 4026531840, "net": 4026531992,
    "pid": 4026531836, "user": 4026531837, "uts": 4026531838,
}

#: Where :class:`InodeAllocator` starts numbering new namespaces.
FIRST_DYNAMIC_INODE = 4026532160


def _check_kind(kind: str) -> None:
    if kind not in NAMESPACE_KINDS:
        raise ValueError(f"unknown namespace kind {kind!r} (kinds: {', '.join(NAMESPACE_KINDS)})")


@dataclass(frozen=True)
class LinuxNamespace:
    """One namespace: its kind, its inode number, the node it lives on and its creator.

    Two namespaces are the same namespace when kind, inode and node are equal
    (``owner`` is a description and takes no part in equality): every node has
    its own initial ``net:[4026531992]``.

    Examples
    --------
    >>> a = host_namespace("pid", "n1"); b = host_namespace("pid", "n2")
    >>> a.inode == b.inode, a == b, a.is_host
    (True, False, True)
    """

    kind: str
    inode: int
    node: str
    owner: str = ""
    is_host: bool = False

    def __post_init__(self) -> None:
        _check_kind(self.kind)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LinuxNamespace):
            return NotImplemented
        return (self.kind, self.inode, self.node) == (other.kind, other.inode, other.node)

    def __hash__(self) -> int:
        return hash((self.kind, self.inode, self.node))

    def __str__(self) -> str:
        """The target of the ``/proc/<pid>/ns/<kind>`` symlink, e.g. ``net:[4026531992]``."""
        return f"{self.kind}:[{self.inode}]"

    @property
    def clone_flag(self) -> str:
        return CLONE_FLAGS[self.kind]


def host_namespace(kind: str, node: str) -> LinuxNamespace:
    """The initial namespace of ``kind`` on ``node`` (the one PID 1 of the node lives in).

    Examples
    --------
    >>> host_namespace("uts", "kind-worker").owner
    'node kind-worker (initial namespace)'
    """
    _check_kind(kind)
    return LinuxNamespace(kind, HOST_INODES[kind], node, f"node {node} (initial namespace)", True)


class InodeAllocator:
    """Hands out inode numbers for new namespaces, deterministically, one counter per model.

    Create one per question asked (per :func:`~kubelab.linuxns.sandbox` call, or
    one shared by the pods compared in one call), so the same manifests always
    give the same numbers.

    Examples
    --------
    >>> a = InodeAllocator()
    >>> [a.new("net", "x", "n").inode, a.new("ipc", "x", "n").inode]
    [4026532160, 4026532161]
    """

    def __init__(self, start: int = FIRST_DYNAMIC_INODE) -> None:
        self._next = start

    def new(self, kind: str, owner: str, node: str) -> LinuxNamespace:
        _check_kind(kind)
        ns = LinuxNamespace(kind, self._next, node, owner)
        self._next += 1
        return ns
