"""A pod's Linux namespaces as a table: for each kind, who holds it and who shares it.

This is the namespace part of ``kubelab describe pod``: what a learner would
piece together on a node with ``crictl inspectp``, ``lsns -p <pid>`` and
``readlink /proc/<pid>/ns/*`` for the pause process and each container.

Upstream: the modes come from kubelet/CRI (see :mod:`kubelab.linuxns.sandbox`); the
``SET BY`` column says which are CRI ``NamespaceOption`` fields and which runtime behaviour;
the table follows ``lsns`` (one row per namespace kind, the inode numbers).

Simplifications: the ``holder`` is the process tree that created the namespace
(``pause``, ``node``, or ``each container`` when every container has its own);
``user`` is ``node`` unless ``hostUsers: false``.

Examples
--------
>>> from kubelab.api import Pod
>>> pod = Pod.from_dict({"metadata": {"name": "web", "namespace": "default"},
...     "spec": {"nodeName": "n1", "containers": [{"name": "app"}, {"name": "proxy"}]}})
>>> ns = describe(pod)
>>> sorted(ns.shared_kinds())
['ipc', 'net', 'user', 'uts']
>>> print(ns)
KIND     MODE        SET BY                               HOLDER           SHARED BY         pause        app          proxy
cgroup   CONTAINER   runtime: by cgroup version           each container   -                 4026532160   4026532166   4026532169
ipc      POD         CRI NamespaceOption.ipc              pause            pause,app,proxy   4026532161   4026532161   4026532161
mnt      CONTAINER   runtime: per container               each container   -                 4026532162   4026532167   4026532170
net      POD         CRI NamespaceOption.network          pause            pause,app,proxy   4026532163   4026532163   4026532163
pid      CONTAINER   CRI NamespaceOption.pid              each container   -                 4026532164   4026532168   4026532171
user     NODE        CRI NamespaceOption.userns_options   node             pause,app,proxy   4026531837   4026531837   4026531837
uts      POD         runtime: follows network             pause            pause,app,proxy   4026532165   4026532165   4026532165
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..api.pod import Pod
from ..util.table import format_table
from .namespaces import ISOLATES, NAMESPACE_KINDS
from .sandbox import CONTAINER, NODE, SET_BY, PodSandbox, sandbox

__all__ = ["NamespaceRow", "PodNamespaces", "describe"]


@dataclass
class NamespaceRow:
    """One kind of namespace in one pod.

    ``shared_by`` lists the containers (pause included) in the pod-level or
    node namespace; it is empty when every container has its own.  ``ids``
    maps every container (pause first) to its inode number.
    """

    kind: str
    mode: str
    holder: str
    shared_by: list[str]
    ids: dict[str, int]
    isolates: str = ""
    set_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "mode": self.mode, "setBy": self.set_by, "holder": self.holder,
                "sharedBy": list(self.shared_by), "ids": dict(self.ids), "isolates": self.isolates}


@dataclass
class PodNamespaces:
    """The namespace table of one pod (see :func:`describe`)."""

    pod: str
    node: str
    pause_image: str
    rows: list[NamespaceRow] = field(default_factory=list)
    sandbox: PodSandbox | None = field(default=None, repr=False)

    def row(self, kind: str) -> NamespaceRow:
        for r in self.rows:
            if r.kind == kind:
                return r
        raise KeyError(kind)

    def shared_kinds(self) -> set[str]:
        """The kinds every container of the pod shares (mode POD or NODE).

        With two or more containers this is exactly the set of kinds whose
        inode is the same in every container; a one-container pod answers the
        same, as a second container would share them.
        """
        return {r.kind for r in self.rows if r.mode != CONTAINER}

    def to_dict(self) -> dict[str, Any]:
        """The ``-o json`` form."""
        return {"pod": self.pod, "node": self.node, "pauseImage": self.pause_image,
                "namespaces": [r.to_dict() for r in self.rows]}

    def __str__(self) -> str:
        names = list(self.rows[0].ids) if self.rows else []
        header = ["KIND", "MODE", "SET BY", "HOLDER", "SHARED BY", *names]
        body = [[r.kind, r.mode, r.set_by, r.holder, ",".join(r.shared_by) or "-", *(str(r.ids[n]) for n in names)]
                for r in self.rows]
        return format_table(header, body)


def describe(pod: Pod, node_name: str | None = None, *, cgroup_version: int = 2) -> PodNamespaces:
    """Tabulate the pod's namespaces: one row per kind, deterministic inode numbers.

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> pod = Pod.from_dict({"metadata": {"name": "web", "namespace": "default"},
    ...     "spec": {"hostNetwork": True, "containers": [{"name": "app"}]}})
    >>> r = describe(pod, "kind-worker").row("net")
    >>> r.mode, r.holder, r.shared_by, r.ids["app"]
    ('NODE', 'node', ['pause', 'app'], 4026531992)
    """
    sb = sandbox(pod, node_name, cgroup_version=cgroup_version)
    everyone = [sb.pause, *sb.containers]
    rows = []
    for kind in NAMESPACE_KINDS:
        mode = sb.modes[kind]
        if mode == CONTAINER:
            holder, shared = "each container", []
        else:
            holder = "node" if mode == NODE else "pause"
            shared = [c.name for c in everyone]
        rows.append(NamespaceRow(kind, mode, holder, shared,
                                 {c.name: c.namespaces[kind].inode for c in everyone}, ISOLATES[kind],
                                 SET_BY[kind]))
    return PodNamespaces(sb.pod, sb.node, sb.pause_image, rows, sb)
