"""How two containers can talk to each other, and why: network, IPC, volumes, signals.

The chapter's figure 2.5: containers of one pod can communicate over the
network (localhost, one shared network namespace), through IPC (one shared IPC
namespace), through a volume both mount, and, with ``shareProcessNamespace``,
with signals.  Each path can be a step in a kill chain, so :func:`channels`
lists all four kinds, available or not, with the namespace or volume that
decides it and what an attacker in one container gains.

Upstream: the namespace modes of kubelet/CRI (:mod:`kubelab.linuxns.sandbox`);
``man 7 ipc_namespaces`` and ``man 7 svipc`` (System V objects live in the IPC
namespace until removed, so they outlive the process that made them);
``man 7 mq_overview``; ``man 2 kill`` (a process may signal another with the
same real or effective UID as the target's real or saved UID, or with
``CAP_KILL``); ``man 5 proc`` (``/proc/<pid>/environ`` and ``/proc/<pid>/root``
need ptrace read access: the same UID without ``dumpable`` cleared, or
``CAP_SYS_PTRACE``); the Kubernetes task "Share Process Namespace between
Containers in a Pod" (the pause process becomes PID 1, container filesystems
are visible through ``/proc/$pid/root``); kubelet mounts ``configMap``,
``secret``, ``downwardAPI`` and ``projected`` volumes read-only whatever the
mount says (since the fix for CVE-2017-1002102); containerd mounts the
sandbox's ``/dev/shm`` into every container of a pod with a shared IPC namespace.

Simplifications: NetworkPolicy, security contexts (UIDs, capabilities,
seccomp, AppArmor) and ``subPath`` mounts are not evaluated: the channel says
what the namespaces and mounts allow and names the conditions under which the
kernel would still refuse.  Unix domain sockets travel through a shared volume
(a socket file) or, for abstract sockets, the network namespace; they are not
a fifth kind.  Whether a PersistentVolume can be mounted by both pods depends
on its access mode, which a pod does not show.

Examples
--------
>>> from kubelab.api import Pod
>>> pod = Pod.from_dict({"metadata": {"name": "web", "namespace": "default"}, "spec": {
...     "containers": [{"name": "app", "ports": [{"containerPort": 8080}]}, {"name": "proxy"}]}})
>>> [(c.kind, c.available) for c in channels(pod, "proxy", "app")]
[('network', True), ('ipc', True), ('volume', False), ('signal', False)]
>>> channels(pod, "proxy", "app")[0].how
'proxy connects to localhost:8080 (TCP) to reach app'
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from ..api.pod import Container, Pod, Volume, VolumeMount
from .namespaces import InodeAllocator
from .sandbox import PodSandbox, SandboxContainer, find_container, pod_key, sandbox

__all__ = ["CHANNEL_KINDS", "ALWAYS_READ_ONLY_SOURCES", "Channel", "channels"]

CHANNEL_KINDS = ("network", "ipc", "volume", "signal")
#: Volume types kubelet always mounts read-only (AtomicWriter volumes).
ALWAYS_READ_ONLY_SOURCES = frozenset({"configMap", "secret", "downwardAPI", "projected"})


@dataclass
class Channel:
    """One way container ``a`` and container ``b`` can (or cannot) communicate.

    ``a`` and ``b`` are ``namespace/pod/container``.  For a volume channel,
    ``volume``, ``medium``, ``paths`` (mount path in a, in b), ``read_only``
    (a, b) and ``direction`` (``both ways``, ``a -> b``, ``b -> a`` or ``none``,
    with the container names) are set.
    """

    kind: str
    available: bool
    how: str
    why: str
    security: str
    a: str = ""
    b: str = ""
    volume: str | None = None
    medium: str | None = None
    paths: tuple[str, str] | None = None
    read_only: tuple[bool, bool] | None = None
    direction: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "available": self.available, "how": self.how, "why": self.why,
               "security": self.security, "a": self.a, "b": self.b}
        if self.kind == "volume" and self.volume is not None:
            out.update(volume=self.volume, medium=self.medium, paths=list(self.paths or ()),
                       readOnly=list(self.read_only or ()), direction=self.direction)
        return out

    def __str__(self) -> str:
        mark = "yes" if self.available else "no"
        return f"{self.kind:<8} {mark:<3} {self.how} -- {self.why}"


def _ports(c: Container) -> list[str]:
    return [f"{p.container_port} ({p.protocol or 'TCP'})" for p in c.ports if p.container_port]


def _concurrent(pod: Pod, a: SandboxContainer, b: SandboxContainer) -> bool:
    """Whether the two ever run at the same time (init containers run one by one, before the app)."""
    if a.name == b.name or (a.runs_with_app_containers and b.runs_with_app_containers):
        return True
    if a.role == "init" and b.role == "init":
        return False
    init, other = (a, b) if a.role == "init" else (b, a)
    if other.role != "sidecar":
        return False
    order = [c.name for c in pod.spec.init_containers]
    return order.index(other.name) < order.index(init.name)  # a sidecar started earlier keeps running


def _sequenced(a: str, b: str) -> str:
    return (f"{a} and {b} never run at the same time: init containers run to completion, one after "
            f"another, before the app containers start")


def _network(ctx: "_Ctx") -> Channel:
    na, nb = ctx.xa.namespaces["net"], ctx.xb.namespaces["net"]
    ports = _ports(ctx.cb)
    if na == nb:
        target = f"localhost:{ports[0]}" if ports else "localhost (127.0.0.1)"
        how = f"{ctx.an} connects to {target} to reach {ctx.bn}"
        if na.is_host:
            why = (f"both are in node {na.node}'s own network namespace {na} (hostNetwork, CRI NamespaceMode "
                   f"NODE): localhost is the node's loopback")
            sec = ("localhost is the node's: a compromised container also reaches every daemon bound to the "
                   "node's loopback (such as kubelet's healthz on 127.0.0.1:10248) and sees all node traffic")
        else:
            ip = f" ({ctx.sa.pod_ip})" if ctx.sa.pod_ip else ""
            why = (f"both are in the pod's network namespace {na}, held by the pause container (CRI "
                   f"NamespaceMode POD): one IP{ip}, one loopback, one port space")
            sec = ("loopback traffic never leaves the pod, so no NetworkPolicy filters it: a compromised "
                   "container reaches every port the other listens on, even one bound to 127.0.0.1 only")
        if not ctx.concurrent:
            return Channel("network", False, "none at run time", _sequenced(ctx.an, ctx.bn) + "; " + why,
                           "no live connection is possible between them", ctx.a, ctx.b)
        return Channel("network", True, how, why, sec, ctx.a, ctx.b)
    if ctx.pb.spec.host_network:
        ip = ctx.pb.status.pod_ip or ctx.pb.status.host_ip or f"the IP of node {nb.node}"
    else:
        ip = ctx.pb.status.pod_ip or f"the pod IP of {pod_key(ctx.pb)}"
    target = f"{ip}:{ports[0]}" if ports else ip
    how = f"{ctx.an} connects to {target} to reach {ctx.bn}"
    why = (f"separate network namespaces ({na} on {na.node}, {nb} on {nb.node}); the Kubernetes network "
           f"model lets every pod reach every pod's IP without NAT")
    sec = ("reachable over the flat pod network unless a NetworkPolicy denies it: a compromised pod can "
           "scan and connect to every port the other exposes")
    return Channel("network", True, how, why, sec, ctx.a, ctx.b)


def _ipc(ctx: "_Ctx") -> Channel:
    ia, ib = ctx.xa.namespaces["ipc"], ctx.xb.namespaces["ipc"]
    if ia == ib:
        how = ("System V shared memory, semaphores and message queues (shmget, semget, msgget) and POSIX "
               "message queues (mq_open); POSIX shared memory through the shared /dev/shm")
        if not ctx.concurrent:
            how += "; the objects outlive their creator, so an init container can leave data for a later one"
        if ia.is_host:
            why = f"both are in node {ia.node}'s own IPC namespace {ia} (hostIPC, CRI NamespaceMode NODE)"
            sec = ("they share IPC objects with every process on the node: a compromised container can read "
                   "or corrupt any host process's shared memory (ipcs -m lists it)")
        else:
            why = f"both are in the pod's IPC namespace {ia}, held by the pause container (CRI NamespaceMode POD)"
            sec = ("a compromised container can attach to the other's shared-memory segments and queues "
                   "(ipcs lists them) and read or tamper with what passes through them")
        return Channel("ipc", True, how, why, sec, ctx.a, ctx.b)
    why = (f"different IPC namespaces ({ia} and {ib}): each pod has its own, shared only when both pods "
           f"set hostIPC on the same node")
    return Channel("ipc", False, "none", why, "no IPC path between them", ctx.a, ctx.b)


def _signal(ctx: "_Ctx") -> Channel:
    pa, pb = ctx.xa.namespaces["pid"], ctx.xb.namespaces["pid"]
    if pa != pb:
        if ctx.same_pod:
            why = (f"each container has its own PID namespace ({pa} and {pb}, CRI NamespaceMode CONTAINER); "
                   f"shareProcessNamespace: true would give the pod one")
        else:
            why = (f"different PID namespaces ({pa} and {pb}): pods share one only when both set hostPID "
                   f"on the same node")
        return Channel("signal", False, "none: neither can see the other's processes", why,
                       "a compromised container can neither see nor signal the other's processes",
                       ctx.a, ctx.b)
    how = (f"{ctx.an} finds {ctx.bn}'s processes with ps or in /proc and sends kill -TERM / kill -KILL <pid>; "
           f"the kernel allows it when the sender runs as the target's UID or has CAP_KILL")
    if pa.is_host:
        why = (f"both are in node {pa.node}'s PID namespace {pa} (hostPID, CRI NamespaceMode NODE): they see "
               f"each other and every process of the node")
    else:
        why = (f"shareProcessNamespace: true puts every container in the pod's PID namespace {pa}, held by "
               f"the pause container, which is PID 1 (CRI NamespaceMode POD)")
    sec = ("in a shared PID namespace a compromised container can read the other's environment and files "
           "through /proc/<pid>/environ and /proc/<pid>/root (same UID or CAP_SYS_PTRACE) and kill it "
           "with SIGKILL")
    if not ctx.concurrent:
        return Channel("signal", False, "none at run time", _sequenced(ctx.an, ctx.bn) + "; " + why,
                       "no process of one is alive while the other runs", ctx.a, ctx.b)
    return Channel("signal", True, how, why, sec, ctx.a, ctx.b)


def _medium(v: Volume, node: str) -> str:
    if v.empty_dir is not None:
        m = v.empty_dir.medium or ""
        if m == "Memory":
            return "emptyDir, tmpfs in the node's memory"
        if m == "HugePages":
            return "emptyDir, huge pages"
        return "emptyDir, on the node's disk"
    if v.host_path is not None:
        return f"hostPath {v.host_path.path} on node {node}"
    src = v.source or "unknown"
    if src == "persistentVolumeClaim":
        return f"persistentVolumeClaim {v.extra[src].get('claimName', '?')}"
    if src in ALWAYS_READ_ONLY_SOURCES:
        return f"{src}, written only by kubelet"
    return src


def _read_only(v: Volume, m: VolumeMount) -> bool:
    src = v.source
    if src in ALWAYS_READ_ONLY_SOURCES:
        return True
    if src == "persistentVolumeClaim" and v.extra[src].get("readOnly"):
        return True
    return bool(m.read_only)


def _mounts(c: Container, name: str) -> list[VolumeMount]:
    found = [m for m in c.volume_mounts if m.name == name]
    return sorted(found, key=lambda m: bool(m.read_only))  # a writable mount first


def _within(path: str, root: str) -> bool:
    return path == root or root == "/" or path.startswith(root.rstrip("/") + "/")


def _inside(mount_path: str, host_dir: str, host_root: str) -> str:
    """Where ``host_dir`` appears in a container that mounts ``host_root`` at ``mount_path``."""
    rel = posixpath.relpath(host_dir, host_root)
    return mount_path if rel == "." else posixpath.join(mount_path, rel)


def _volume_channel(ctx: "_Ctx", name: str, medium: str, pa: str, pb: str, ra: bool, rb: bool,
                    why_shared: str, extra_sec: str = "") -> Channel:
    wa, wb = not ra, not rb
    if wa and wb:
        direction = "both ways"
    elif wa:
        direction = f"{ctx.an} -> {ctx.bn}"
    elif wb:
        direction = f"{ctx.bn} -> {ctx.an}"
    else:
        direction = "none"
    flags = f"{ctx.an} at {pa} ({'ro' if ra else 'rw'}), {ctx.bn} at {pb} ({'ro' if rb else 'rw'})"
    why = f"{why_shared}: {flags}"
    if direction == "none":
        sec = ("neither can write, so it carries nothing between them; whoever writes the source "
               "controls what both read")
        return Channel("volume", False, f"none: both mount volume {name} read-only", why, sec, ctx.a, ctx.b,
                       name, medium, (pa, pb), (ra, rb), direction)
    writer, reader = (ctx.an, ctx.bn) if wa else (ctx.bn, ctx.an)
    how = f"files in volume {name} ({medium}): {ctx.an} uses {pa}, {ctx.bn} uses {pb}; writes go {direction}"
    sec = (f"{writer} can plant files that {reader} reads or executes (a script, a config file, a binary "
           f"on its PATH){extra_sec}")
    return Channel("volume", True, how, why, sec, ctx.a, ctx.b, name, medium, (pa, pb), (ra, rb), direction)


def _volumes(ctx: "_Ctx") -> list[Channel]:
    out: list[Channel] = []
    if ctx.same_pod:
        for v in ctx.pa.spec.volumes:
            ma, mb = _mounts(ctx.ca, v.name or ""), _mounts(ctx.cb, v.name or "")
            if not ma or not mb:
                continue
            medium = _medium(v, ctx.sa.node)
            extra = ", and the files stay on the node after the pod is gone" if v.host_path is not None else ""
            out.append(_volume_channel(ctx, v.name or "", medium, ma[0].mount_path or "", mb[0].mount_path or "",
                                       _read_only(v, ma[0]), _read_only(v, mb[0]),
                                       f"both mount volume {v.name} ({medium})", extra))
        if not out:
            out.append(Channel("volume", False, "none", f"no volume of pod {ctx.sa.pod} is mounted by both "
                               f"{ctx.an} and {ctx.bn}", "no file path between them", ctx.a, ctx.b))
        return out
    for va in ctx.pa.spec.volumes:
        for vb in ctx.pb.spec.volumes:
            ma, mb = _mounts(ctx.ca, va.name or ""), _mounts(ctx.cb, vb.name or "")
            if not ma or not mb:
                continue
            if va.host_path is not None and vb.host_path is not None and ctx.sa.node == ctx.sb.node:
                ha = posixpath.normpath(va.host_path.path or "/")
                hb = posixpath.normpath(vb.host_path.path or "/")
                if not (_within(ha, hb) or _within(hb, ha)):
                    continue
                deep = ha if _within(ha, hb) else hb  # the directory both see
                pa = _inside(ma[0].mount_path or "/", deep, ha)
                pb = _inside(mb[0].mount_path or "/", deep, hb)
                medium = f"hostPath {deep} on node {ctx.sa.node}"
                why = (f"volume {va.name} (hostPath {ha}) and volume {vb.name} (hostPath {hb}) overlap at "
                       f"{deep} on node {ctx.sa.node}")
                out.append(_volume_channel(ctx, f"{va.name}/{vb.name}", medium, pa, pb,
                                           _read_only(va, ma[0]), _read_only(vb, mb[0]), why,
                                           ", and on the node's own filesystem"))
            elif va.source == vb.source == "persistentVolumeClaim" and ctx.pa.namespace == ctx.pb.namespace:
                claim = va.extra["persistentVolumeClaim"].get("claimName")
                if not claim or claim != vb.extra["persistentVolumeClaim"].get("claimName"):
                    continue
                why = (f"both pods use PersistentVolumeClaim {claim} (if its access mode lets both mount it: "
                       f"ReadWriteMany, or ReadWriteOnce on one node)")
                out.append(_volume_channel(ctx, f"{va.name}/{vb.name}", f"persistentVolumeClaim {claim}",
                                           ma[0].mount_path or "", mb[0].mount_path or "",
                                           _read_only(va, ma[0]), _read_only(vb, mb[0]), why))
    if not out:
        why = ("no storage reaches both: across pods files are shared only through a hostPath both mount "
               "(same node, overlapping paths) or the same PersistentVolumeClaim")
        out.append(Channel("volume", False, "none", why, "no file path between them", ctx.a, ctx.b))
    return out


@dataclass
class _Ctx:
    pa: Pod
    pb: Pod
    ca: Container
    cb: Container
    sa: PodSandbox
    sb: PodSandbox
    xa: SandboxContainer
    xb: SandboxContainer
    same_pod: bool
    concurrent: bool

    @property
    def a(self) -> str:
        return f"{self.sa.pod}/{self.xa.name}"

    @property
    def b(self) -> str:
        return f"{self.sb.pod}/{self.xb.name}"

    @property
    def an(self) -> str:
        return self.xa.name if self.same_pod else self.a

    @property
    def bn(self) -> str:
        return self.xb.name if self.same_pod else self.b


def channels(pod: Pod, a: str, b: str, *, other_pod: Pod | None = None, cgroup_version: int = 2) -> list[Channel]:
    """Every way container ``a`` of ``pod`` and container ``b`` (of ``other_pod``, or the same pod) communicate.

    Parameters
    ----------
    pod, a
        The first container: its pod and name.
    b
        The second container's name.
    other_pod
        The pod of ``b`` when it is not ``pod``.  Both pods are placed on
        their ``spec.nodeName``.

    Returns
    -------
    list of Channel
        In the order network, ipc, volume (one per shared volume, or one
        unavailable entry), signal; unavailable channels say why.

    Raises
    ------
    KubelabError
        If a pod has no container of that name.

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> pod = Pod.from_dict({"metadata": {"name": "web", "namespace": "default"}, "spec": {
    ...     "shareProcessNamespace": True, "volumes": [{"name": "sock", "emptyDir": {}}],
    ...     "containers": [{"name": "app", "volumeMounts": [{"name": "sock", "mountPath": "/run"}]},
    ...                    {"name": "log", "volumeMounts": [{"name": "sock", "mountPath": "/in",
    ...                                                      "readOnly": True}]}]}})
    >>> vol = [c for c in channels(pod, "app", "log") if c.kind == "volume"][0]
    >>> vol.available, vol.direction, vol.paths
    (True, 'app -> log', ('/run', '/in'))
    >>> channels(pod, "app", "log")[-1].available
    True
    """
    pb = other_pod if other_pod is not None else pod
    same = pb is pod or pod_key(pb) == pod_key(pod)
    if same:
        pb = pod
    ca, cb = find_container(pod, a), find_container(pb, b)
    alloc = InodeAllocator()
    sa = sandbox(pod, allocator=alloc, cgroup_version=cgroup_version)
    sb = sa if same else sandbox(pb, allocator=alloc, cgroup_version=cgroup_version)
    xa, xb = sa.container(a), sb.container(b)
    ctx = _Ctx(pod, pb, ca, cb, sa, sb, xa, xb, same, _concurrent(pod, xa, xb) if same else True)
    return [_network(ctx), _ipc(ctx), *_volumes(ctx), _signal(ctx)]

