"""The port-sharing problem: who can listen on which port, and where two listeners collide.

The chapter's figures 2.1 and 2.2, then Kubernetes: two programs on one host
cannot both listen on port 80; Docker gives each container its own network
namespace (and IP) but two containers still cannot publish the same host
port; in Kubernetes every pod has its own IP, so pods never collide on a
container port, but the containers *of one pod* share one network namespace
and do, and ``hostPort`` / ``hostNetwork`` bring the collision back per node.

Upstream:

* ``bind(2)``: ``EADDRINUSE`` ("Address already in use"); a socket on the
  wildcard address ``0.0.0.0`` collides with any address on the same port.
* Docker (libnetwork ``portallocator``, ``docker run -p``): ``Bind for
  0.0.0.0:80 failed: port is already allocated``.
* kube-scheduler ``pkg/scheduler/framework/plugins/nodeports`` (``fitsPorts``)
  and ``framework.HostPortInfo`` (``sanitize``: an empty hostIP is
  ``0.0.0.0``, an empty protocol is TCP; ``CheckConflict``: ``0.0.0.0``
  conflicts with every IP of the same port and protocol, other IPs only with
  themselves and ``0.0.0.0``); its failure reason ``node(s) didn't have free
  ports for the requested pod ports``.
* kubelet admission, ``pkg/kubelet/lifecycle/predicate.go`` (Kubernetes v1.35):
  a pod created with ``spec.nodeName`` set never meets the scheduler; the
  kubelet's ``generalFilter`` runs the same NodePorts check and rejects the
  pod (phase ``Failed``, ``status.reason: NodePorts``, message
  ``Predicate NodePorts failed: node(s) didn't have free ports for the
  requested pod ports``, from ``PredicateFailureError.Error``).
* The CNI ``portmap`` plugin, which implements ``hostPort`` with DNAT rules to
  the pod IP (a port that is not in use on the node by any socket, only by a rule).
* ``pkg/apis/core/v1/defaults.go``: with ``hostNetwork`` every ``hostPort``
  defaults to its ``containerPort``, so the scheduler sees those ports too.

Simplifications: a declared ``containerPort`` is taken to be a port the
container listens on (Kubernetes itself treats it as information); programs
are taken to bind the wildcard address unless a ``hostIP`` says otherwise;
``SO_REUSEPORT`` sharing, IPv6 wildcards and the Docker userland proxy's
per-IP bookkeeping are not modelled; the first listener keeps a port and each
later one that collides with it fails, in the order given.

Examples
--------
>>> [str(c) for c in docker_host_ports([("a", 80, 80), ("b", 80, 80)])]
['docker-host: a and b both publish 0.0.0.0:80/TCP: Bind for 0.0.0.0:80 failed: port is already allocated']
>>> docker_host_ports([("a", 80, 8080), ("b", 80, 8081)])
[]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from ..api.pod import Pod
from ..cluster.hostports import claims_conflict
from .sandbox import UNSCHEDULED_NODE, pod_key

__all__ = ["WILDCARD", "PortBinding", "PortConflict", "bind", "port_conflicts", "docker_host_ports",
           "host_process_ports", "NODEPORTS_REASON", "SCHEDULER_ERROR", "KUBELET_ERROR"]

WILDCARD = "0.0.0.0"
#: kube-scheduler's NodePorts filter failure reason.
NODEPORTS_REASON = "node(s) didn't have free ports for the requested pod ports"
EADDRINUSE = "bind: address already in use (EADDRINUSE)"
#: What a pod left to the scheduler gets: it stays Pending with this event.
SCHEDULER_ERROR = f"kube-scheduler: {NODEPORTS_REASON}"
#: What a pod created with spec.nodeName gets from the kubelet's admission (pod status reason NodePorts).
KUBELET_ERROR = f"kubelet admission rejects the pod (reason NodePorts): Predicate NodePorts failed: {NODEPORTS_REASON}"


@dataclass(frozen=True)
class PortBinding:
    """One listening port in one network namespace.

    ``netns`` is ``pod NAMESPACE/NAME`` for a pod's own namespace, ``node
    NODE`` for the node's; ``source`` is ``containerPort``, ``hostPort`` (a
    portmap DNAT rule on the node) or ``hostNetwork`` (a socket on the node).
    """

    netns: str
    node: str
    ip: str
    port: int
    protocol: str
    owner: str
    source: str
    container_port: int | None = None
    #: whether the pod named its node itself (``spec.nodeName``), so that the kubelet, not the scheduler, admits it
    bound: bool = False

    def overlaps(self, other: "PortBinding") -> bool:
        """Same namespace, port and protocol, and addresses that meet (equal, or one is the wildcard)."""
        return self.netns == other.netns and claims_conflict((self.ip, self.protocol, self.port),
                                                             (other.ip, other.protocol, other.port))

    def __str__(self) -> str:
        return f"{self.ip}:{self.port}/{self.protocol}"


@dataclass(frozen=True)
class PortConflict:
    """Two listeners that cannot both have a port: ``second`` fails because ``first`` holds it.

    ``scope`` is ``pod`` (one pod's shared network namespace), ``node``
    (hostPort / hostNetwork on a node), ``docker`` (published ports of one
    Docker host) or ``host`` (plain processes on one machine).
    """

    scope: str
    node: str
    port: int
    protocol: str
    first: str
    second: str
    first_ip: str
    second_ip: str
    reason: str
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "node": self.node, "port": self.port, "protocol": self.protocol,
                "first": self.first, "second": self.second, "firstIP": self.first_ip,
                "secondIP": self.second_ip, "reason": self.reason, "error": self.error}

    def __str__(self) -> str:
        return f"{self.node}: {self.reason}: {self.error}"


def _ip(host_ip: str | None) -> str:
    return host_ip or WILDCARD


def bind(pods: Iterable[Pod], *, node_name: str | None = None) -> list[PortBinding]:
    """Every port the pods' containers listen on, in the namespace where it is bound.

    Parameters
    ----------
    pods
        The pods, in the order they start (the first to bind a port keeps it).
    node_name
        The node of pods without ``spec.nodeName`` (default ``unscheduled``).

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> pod = Pod.from_dict({"metadata": {"name": "web", "namespace": "default"}, "spec": {
    ...     "nodeName": "n1", "containers": [{"name": "app",
    ...     "ports": [{"containerPort": 8080, "hostPort": 80, "protocol": "TCP"}]}]}})
    >>> [(b.netns, str(b), b.source) for b in bind([pod])]
    [('pod default/web', '0.0.0.0:8080/TCP', 'containerPort'), ('node n1', '0.0.0.0:80/TCP', 'hostPort')]
    """
    out: list[PortBinding] = []
    for pod in pods:
        node = pod.spec.node_name or node_name or UNSCHEDULED_NODE
        bound = bool(pod.spec.node_name)
        key = pod_key(pod)
        for c in pod.spec.all_containers():
            owner = f"{key}/{c.name}"
            for p in c.ports:
                if not p.container_port:
                    continue
                proto = p.protocol or "TCP"
                if pod.spec.host_network:
                    out.append(PortBinding(f"node {node}", node, _ip(p.host_ip), p.container_port, proto, owner,
                                           "hostNetwork", p.container_port, bound))
                    continue
                out.append(PortBinding(f"pod {key}", node, WILDCARD, p.container_port, proto, owner,
                                       "containerPort", p.container_port))
                if p.host_port:
                    out.append(PortBinding(f"node {node}", node, _ip(p.host_ip), p.host_port, proto, owner,
                                           "hostPort", p.container_port, bound))
    return out


def _pod_of(owner: str) -> str:
    return owner.rsplit("/", 1)[0]


def _reason(held: PortBinding, new: PortBinding) -> tuple[str, str]:
    where = f"{new.ip}:{new.port}/{new.protocol}" if new.ip == held.ip else \
        f"{held.ip}:{held.port}/{held.protocol} and {new.ip}:{new.port}/{new.protocol}"
    if held.source == "containerPort":
        pod = held.netns.split(" ", 1)[1]
        return (f"{held.owner} and {new.owner} both listen on {new.port}/{new.protocol} in pod {pod}'s shared "
                f"network namespace", EADDRINUSE)
    # Node level: the scheduler, or the kubelet's admission for a pod that set spec.nodeName (it
    # bypasses the scheduler), stops this before any socket exists; hostNetwork ports count because
    # hostPort defaults to containerPort.
    if _pod_of(held.owner) == _pod_of(new.owner):
        error = "the API server rejects the pod: Duplicate value: hostPort"
    else:
        error = KUBELET_ERROR if new.bound else SCHEDULER_ERROR
    sources = {held.source, new.source}
    if sources == {"hostNetwork"}:
        reason = (f"{held.owner} and {new.owner} (hostNetwork) both bind {where} in node {new.node}'s network "
                  f"namespace; placed together anyway, the second bind() would fail with {EADDRINUSE}")
    elif "hostNetwork" in sources:
        hp, hn = (held, new) if held.source == "hostPort" else (new, held)
        reason = (f"{hn.owner} (hostNetwork) binds {hn.ip}:{hn.port}/{hn.protocol} on node {new.node}, where "
                  f"{hp.owner} has hostPort {hp.ip}:{hp.port}/{hp.protocol} (a portmap DNAT rule that would "
                  f"take the traffic first)")
    else:
        reason = f"{held.owner} and {new.owner} both ask for hostPort {where} on node {new.node}"
    return reason, error


def port_conflicts(pods: Iterable[Pod], *, node_name: str | None = None) -> list[PortConflict]:
    """The port collisions among ``pods``: inside a pod, and per node for hostPort and hostNetwork.

    Two containers of one pod listening on the same containerPort and protocol
    collide (one network namespace); pods never collide on containerPorts (one
    IP each); ``hostPort`` rules and ``hostNetwork`` sockets collide per node
    on (hostIP, port, protocol), with an empty hostIP or ``0.0.0.0`` meeting
    every IP.

    Examples
    --------
    >>> from kubelab.api import Pod
    >>> def pod(name, node, **port):
    ...     return Pod.from_dict({"metadata": {"name": name, "namespace": "default"}, "spec": {
    ...         "nodeName": node, "containers": [{"name": "c", "ports": [{"protocol": "TCP", **port}]}]}})
    >>> [c.error for c in port_conflicts([pod("a", "n1", containerPort=80, hostPort=80),
    ...                                   pod("b", "n1", containerPort=8080, hostPort=80)])]
    ["kubelet admission rejects the pod (reason NodePorts): Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports"]
    >>> [c.error for c in port_conflicts([pod("a", None, containerPort=80, hostPort=80),
    ...                                   pod("b", None, containerPort=8080, hostPort=80)], node_name="n1")]
    ["kube-scheduler: node(s) didn't have free ports for the requested pod ports"]
    >>> port_conflicts([pod("a", "n1", containerPort=80, hostPort=80),
    ...                 pod("b", "n2", containerPort=80, hostPort=80)])
    []
    """
    held: list[PortBinding] = []
    out: list[PortConflict] = []
    for b in bind(pods, node_name=node_name):
        clash = next((h for h in held if h.overlaps(b) and not (h.owner == b.owner and h.source == b.source
                                                                 and h.container_port == b.container_port)),
                     None)
        if clash is None:
            if not any(h == b for h in held):
                held.append(b)
            continue
        reason, error = _reason(clash, b)
        scope = "pod" if b.netns.startswith("pod ") else "node"
        out.append(PortConflict(scope, b.node, b.port, b.protocol, clash.owner, b.owner, clash.ip, b.ip,
                                reason, error))
    return out


def docker_host_ports(mappings: Sequence[Sequence[Any]], *, host: str = "docker-host") -> list[PortConflict]:
    """Conflicts among ``docker run -p HOSTPORT:CONTAINERPORT`` mappings on one Docker host.

    Each mapping is ``(container, container_port, host_port)`` or with a
    fourth item, the protocol (default ``TCP``).  Containers never collide on
    their container ports (each has its own network namespace on the
    ``docker0`` bridge), only on published host ports.

    Examples
    --------
    >>> c = docker_host_ports([("A", 80, 80), ("B", 80, 80, "udp"), ("C", 8080, 80)])
    >>> [(x.first, x.second, x.protocol) for x in c]
    [('A', 'C', 'TCP')]
    """
    held: dict[tuple[int, str], str] = {}
    out = []
    for m in mappings:
        name, _cport, hport = m[0], m[1], m[2]
        proto = (m[3] if len(m) > 3 else "TCP").upper()
        if (hport, proto) in held:
            first = held[(hport, proto)]
            out.append(PortConflict("docker", host, hport, proto, first, name, WILDCARD, WILDCARD,
                                    f"{first} and {name} both publish {WILDCARD}:{hport}/{proto}",
                                    f"Bind for {WILDCARD}:{hport} failed: port is already allocated"))
        else:
            held[(hport, proto)] = name
    return out


def host_process_ports(processes: Sequence[Sequence[Any]], *, host: str = "host") -> list[PortConflict]:
    """Conflicts among programs listening directly on one machine, without containers (figure 2.1).

    Each process is ``(name, port)``, ``(name, port, protocol)`` or
    ``(name, port, protocol, ip)``; the ip defaults to ``0.0.0.0``.

    Examples
    --------
    >>> [c.error for c in host_process_ports([("apache", 80), ("nginx", 80)])]
    ['bind: address already in use (EADDRINUSE)']
    >>> host_process_ports([("a", 80, "TCP", "10.0.0.1"), ("b", 80, "TCP", "10.0.0.2")])
    []
    """
    held: list[PortBinding] = []
    out = []
    for p in processes:
        name, port = p[0], p[1]
        proto = (p[2] if len(p) > 2 else "TCP").upper()
        ip = p[3] if len(p) > 3 else WILDCARD
        b = PortBinding(f"host {host}", host, ip, port, proto, name, "process")
        clash = next((h for h in held if h.overlaps(b)), None)
        if clash is None:
            held.append(b)
            continue
        out.append(PortConflict("host", host, port, proto, clash.owner, name, clash.ip, ip,
                                f"{clash.owner} already listens on {clash.ip}:{port}/{proto}, {name} asks for "
                                f"{ip}:{port}/{proto}", EADDRINUSE))
    return out
