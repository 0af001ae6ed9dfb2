"""The pod sandbox: which Linux namespaces the pause container holds and who joins them.

Upstream:

* kubelet, ``pkg/kubelet/kuberuntime/kuberuntime_sandbox.go``
  (``generatePodSandboxLinuxConfig`` fills ``LinuxPodSandboxConfig.security_context.namespace_options``)
  and ``pkg/kubelet/kuberuntime/helpers_linux.go`` / ``util.NamespacesForPod``:
  ``network`` is ``NODE`` with ``hostNetwork`` else ``POD``; ``ipc`` is ``NODE``
  with ``hostIPC`` else ``POD``; ``pid`` is ``NODE`` with ``hostPID``, ``POD``
  with ``shareProcessNamespace``, else ``CONTAINER``; ``userns_options`` is
  ``POD`` when ``hostUsers: false`` (kubelet maps a private range of 65536 IDs)
  else ``NODE``.
* CRI, ``k8s.io/cri-api/pkg/apis/runtime/v1/api.proto``: ``NamespaceMode``
  ``POD = 0`` (one namespace for the sandbox, joined by its containers),
  ``CONTAINER = 1`` (each container its own), ``NODE = 2`` (the host's),
  ``TARGET = 3`` (another container's, used by ephemeral debug containers).
* containerd CRI plugin (``sandbox_run_linux.go``, ``container_create_linux.go``):
  the sandbox runs the pause image, which only waits for signals and, as PID 1
  of a shared PID namespace, reaps zombies; with ``network: NODE`` the sandbox
  drops both its network *and* UTS namespace, so a ``hostNetwork`` pod has the
  node's hostname; containers join the sandbox's net, ipc and uts namespaces
  (and pid in ``POD`` mode, user when the pod has one); every container and the
  sandbox get a new mount namespace from runc; on cgroup v2 hosts containerd
  also asks runc for a new cgroup namespace per container.
* ``man 7 namespaces``, ``man 7 pid_namespaces`` (PID 1 and signals).

Which modes are CRI settings (:data:`SET_BY`): the CRI ``NamespaceOption`` message
(``k8s.io/cri-api`` ``pkg/apis/runtime/v1/api.proto``, Kubernetes v1.35) has exactly
``network``, ``pid``, ``ipc`` (each a ``NamespaceMode``), ``target_id`` and
``userns_options`` (KEP-127, user namespaces).  There is no field for uts, mnt or cgroup:
the kubelet never asks for them, and the runtime decides -- uts follows ``network``
(containerd and CRI-O drop the UTS namespace with ``hostNetwork``), every container gets its own
mount namespace, and the cgroup namespace follows the host's cgroup version.  The model writes
those three in the same POD/CONTAINER/NODE words, as *runtime behaviour*, not as CRI modes.

Simplifications: the cgroup namespace depends on the host (cgroup v2, the
default of current distributions and of kind: a private one per container;
cgroup v1: the host's), chosen with ``cgroup_version``; the pause image is
taken to be the one kubeadm v1.35 pins, ``registry.k8s.io/pause:3.10.1``
(``cmd/kubeadm/app/constants/constants.go`` ``PauseVersion``, raised from 3.10 by kubernetes PR
#130713 for v1.34); ephemeral containers (``TARGET``
mode) and Windows sandboxes are not modelled; a pod that is not scheduled is
placed on a node called ``unscheduled``; API validation (which forbids
``hostPID`` with ``shareProcessNamespace``, and ``hostUsers: false`` with any
host namespace) is the loader's business, and here ``hostPID`` wins as in
kubelet.

Examples
--------
>>> from kubelab.api import load_text
>>> pod = load_text('''
... apiVersion: v1
... kind: Pod
... metadata: {name: web}
... spec:
...   nodeName: kind-worker
...   containers: [{name: app, image: nginx}, {name: proxy, image: envoy}]
... ''')[0]
>>> sb = sandbox(pod)
>>> sb.modes["net"], sb.modes["pid"]
('POD', 'CONTAINER')
>>> sb.shared("app", "proxy", "net"), sb.shared("app", "proxy", "pid")
(True, False)
>>> str(sb.namespace("app", "net")), sb.pause_image
('net:[4026532163]', 'registry.k8s.io/pause:3.10.1')
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..api.pod import Container, Pod
from ..errors import NotFoundError
from ..facts import fact
from .namespaces import NAMESPACE_KINDS, InodeAllocator, LinuxNamespace, host_namespace

__all__ = [
    "POD", "CONTAINER", "NODE", "PAUSE", "PAUSE_IMAGE", "UNSCHEDULED_NODE", "SET_BY",
    "SandboxContainer", "PodSandbox", "sandbox", "namespace_modes", "find_container", "pod_key",
]

#: CRI ``NamespaceMode`` values.
POD, CONTAINER, NODE = "POD", "CONTAINER", "NODE"
#: Name given to the sandbox (pause) container in the model.
PAUSE = "pause"
PAUSE_IMAGE: str = fact("pause-image").value  # kubelab/data/facts.yaml: registry.k8s.io/pause:3.10.1
UNSCHEDULED_NODE = "unscheduled"

#: Who decides each kind's mode: a field of CRI's ``NamespaceOption`` the kubelet sends, or the runtime.
SET_BY: dict[str, str] = {
    "cgroup": "runtime: by cgroup version",
    "ipc": "CRI NamespaceOption.ipc",
    "mnt": "runtime: per container",
    "net": "CRI NamespaceOption.network",
    "pid": "CRI NamespaceOption.pid",
    "user": "CRI NamespaceOption.userns_options",
    "uts": "runtime: follows network",
}


def pod_key(pod: Pod) -> str:
    """``namespace/name`` of a pod."""
    return f"{pod.namespace or 'default'}/{pod.name}"


def find_container(pod: Pod, name: str) -> Container:
    """The init or app container called ``name``; a :class:`~kubelab.errors.KubelabError` if none.

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> pod = Pod.from_dict({"metadata": {"name": "web", "namespace": "default"},
    ...     "spec": {"containers": [{"name": "app"}, {"name": "proxy"}]}})
    >>> find_container(pod, "sidecar")
    Traceback (most recent call last):
    ...
    kubelab.errors.NotFoundError: Pod default/web: no container named "sidecar" (containers: app, proxy)
    """
    for c in pod.spec.all_containers():
        if c.name == name:
            return c
    names = ", ".join(c.name or "?" for c in pod.spec.all_containers()) or "none"
    raise NotFoundError(f'no container named "{name}" (containers: {names})',
                        obj=f"Pod {pod_key(pod)}")


def namespace_modes(pod: Pod, cgroup_version: int = 2) -> dict[str, str]:
    """The mode of each kind for this pod: CRI ``NamespaceMode`` for net/ipc/pid/user, runtime behaviour else.

    Only the kinds whose :data:`SET_BY` starts with ``CRI`` are sent by the kubelet; uts, mnt
    and cgroup are what containerd and CRI-O do, written in the same words.

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> m = namespace_modes(Pod.from_dict({"metadata": {"name": "p"},
    ...     "spec": {"hostNetwork": True, "shareProcessNamespace": True, "containers": [{"name": "c"}]}}))
    >>> m["net"], m["uts"], m["pid"], m["ipc"], m["user"]
    ('NODE', 'NODE', 'POD', 'POD', 'NODE')
    """
    s = pod.spec
    net = NODE if s.host_network else POD
    if s.host_pid:
        pid = NODE
    elif s.share_process_namespace:
        pid = POD
    else:
        pid = CONTAINER
    return {
        "cgroup": CONTAINER if cgroup_version >= 2 else NODE,
        "ipc": NODE if s.host_ipc else POD,
        "mnt": CONTAINER,
        "net": net,
        "pid": pid,
        "user": POD if s.extra.get("hostUsers") is False else NODE,
        "uts": net,
    }


@dataclass
class SandboxContainer:
    """One process tree of the sandbox: the pause container, an init container or an app container.

    ``role`` is ``pause``, ``init``, ``sidecar`` (an init container with
    ``restartPolicy: Always``, which keeps running beside the app containers)
    or ``app``; ``pid1`` says what is PID 1 in its PID namespace.
    """

    name: str
    role: str
    image: str
    namespaces: dict[str, LinuxNamespace]
    pid1: str

    @property
    def runs_with_app_containers(self) -> bool:
        """False for an ordinary init container: it exits before the app containers start."""
        return self.role != "init"

    def proc_ns(self) -> dict[str, str]:
        """What ``readlink /proc/<pid>/ns/*`` shows inside this container."""
        return {k: str(self.namespaces[k]) for k in NAMESPACE_KINDS}


@dataclass
class PodSandbox:
    """A pod as the node sees it: the pause container and the containers that join its namespaces."""

    pod: str
    node: str
    modes: dict[str, str]
    pause: SandboxContainer
    containers: list[SandboxContainer] = field(default_factory=list)
    pause_image: str = PAUSE_IMAGE
    pod_ip: str | None = None

    @property
    def names(self) -> list[str]:
        """Init then app container names (the pause container is not listed)."""
        return [c.name for c in self.containers]

    def container(self, name: str) -> SandboxContainer:
        if name == PAUSE:
            return self.pause
        for c in self.containers:
            if c.name == name:
                return c
        raise NotFoundError(f'no container named "{name}" (containers: {", ".join(self.names) or "none"})',
                            obj=f"Pod {self.pod}")

    def namespace(self, container: str, kind: str) -> LinuxNamespace:
        return self.container(container).namespaces[kind]

    def shared(self, a: str, b: str, kind: str) -> bool:
        """Whether containers ``a`` and ``b`` are in the same ``kind`` namespace."""
        return self.namespace(a, kind) == self.namespace(b, kind)


def _pid1(c: Container) -> str:
    return (c.command or c.args or [f"the entrypoint of {c.image or 'its image'}"])[0]


def sandbox(pod: Pod, node_name: str | None = None, *, allocator: InodeAllocator | None = None,
            cgroup_version: int = 2) -> PodSandbox:
    """Build the pod's sandbox: the namespaces of the pause container and of every container.

    Parameters
    ----------
    pod
        The pod.
    node_name
        The node it runs on; default ``pod.spec.nodeName`` (or ``unscheduled``).
    allocator
        Where new namespace inode numbers come from; a fresh one by default, so
        the same pod always gets the same numbers.  Share one between pods
        compared together so their namespaces are distinct.
    cgroup_version
        ``2`` (default): a new cgroup namespace per container; ``1``: the host's.

    Returns
    -------
    PodSandbox

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> pod = Pod.from_dict({"metadata": {"name": "p", "namespace": "default"}, "spec": {
    ...     "shareProcessNamespace": True, "containers": [{"name": "a"}, {"name": "b"}]}})
    >>> sb = sandbox(pod, "n1")
    >>> sb.shared("a", "b", "pid"), sb.container("a").pid1, sb.namespace("a", "pid").owner
    (True, '/pause', 'pause container of default/p')
    """
    alloc = allocator or InodeAllocator()
    node = node_name or pod.spec.node_name or UNSCHEDULED_NODE
    key = pod_key(pod)
    modes = namespace_modes(pod, cgroup_version)

    # The sandbox first: it is created before any container, so it gets the first numbers.
    pause_ns: dict[str, LinuxNamespace] = {}
    for kind in NAMESPACE_KINDS:
        if modes[kind] == NODE:
            pause_ns[kind] = host_namespace(kind, node)
        else:  # POD: the pod's namespace; CONTAINER: the pause container's own
            pause_ns[kind] = alloc.new(kind, f"pause container of {key}", node)
    pid1 = {POD: "/pause", NODE: f"the init process of node {node}"}
    pause = SandboxContainer(PAUSE, "pause", PAUSE_IMAGE, pause_ns, pid1.get(modes["pid"], "/pause"))

    members: list[SandboxContainer] = []
    groups = [(c, "sidecar" if c.extra.get("restartPolicy") == "Always" else "init")
              for c in pod.spec.init_containers]
    groups += [(c, "app") for c in pod.spec.containers]
    for c, role in groups:
        name = c.name or "?"
        ns: dict[str, LinuxNamespace] = {}
        for kind in NAMESPACE_KINDS:
            if modes[kind] == CONTAINER:
                ns[kind] = alloc.new(kind, f"container {name} of {key}", node)
            else:  # POD joins the sandbox's; NODE is the host's, which the sandbox also has
                ns[kind] = pause_ns[kind]
        members.append(SandboxContainer(name, role, c.image or "", ns, pid1.get(modes["pid"], _pid1(c))))
    return PodSandbox(key, node, modes, pause, members, PAUSE_IMAGE, pod.status.pod_ip)
