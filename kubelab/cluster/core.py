"""``Cluster``: the object store, its allocators and its controllers.

This is the part of a cluster that turns manifests into state: the API
server's admission of objects (defaulting and validation happen in
:mod:`kubelab.api`; ClusterIP and NodePort allocation here), a minimal
scheduler, kubelet's reporting of pod IPs and readiness, and the Endpoints and
EndpointSlice controllers.  Every change is all-or-nothing: an ``apply`` that
fails on its tenth object leaves the cluster exactly as it was.  Every commit
moves :attr:`Cluster.revision`; what is derived from the store (kube-proxy's
rules, DNS records, the policy index) is cached on it
(:mod:`kubelab.util.views`).  :meth:`Cluster.watch` still delivers
``ADDED``/``MODIFIED``/``DELETED`` events, like a Kubernetes watch, for code
that wants to see the changes themselves (notebook 01 does).

Upstream pieces modelled: ``pkg/registry/core/service/storage`` (allocation),
``pkg/scheduler/framework/plugins`` (``nodeunschedulable``, ``tainttoleration``,
``nodeaffinity`` for ``nodeSelector``, ``nodeports``; scoring replaced by "fewest
pods, then node order"), kubelet's pod status (``status.podIP``, ``hostIP``,
conditions), host-local IPAM for pod IPs (next free address after the last one
handed out, gateway ``.1`` skipped), ``pkg/controller/endpoint`` and
``pkg/controller/endpointslice``.  See :mod:`kubelab.cluster.settings` for the
kind-like defaults.

Examples
--------
>>> c = Cluster('''
... apiVersion: v1
... kind: Pod
... metadata: {name: web-1, labels: {app: web}}
... spec: {containers: [{name: nginx, image: nginx, ports: [{containerPort: 80}]}]}
... ''')
>>> p = c.get("pod", "web-1")
>>> p.spec.node_name, p.status.pod_ip, c.is_ready(p)
('kind-worker', '10.244.1.2', True)
>>> c.get("svc", "kube-dns", "kube-system").spec.cluster_ip
'10.96.0.10'
"""

from __future__ import annotations

import bisect
import copy
import functools
import heapq
import ipaddress
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ..api import (APIObject, Endpoints, EndpointSlice, KubeProxyConfiguration, Manifests, Namespace, Node,
                   ObjectMeta, Pod, Service, ServiceCIDR, load)
from ..api.endpoints import MANAGED_BY_LABEL
from ..api.pod import PodCondition, PodIP
from ..api.registry import RESOURCES, kind_class, resolve_kind, resource_name
from ..errors import FieldError, KubelabError, NotFoundError, ValidationError
from ..util.gc import gc_paused
from .allocator import AllocationError, ClusterIPAllocator, NodePortAllocator
from .endpoints import endpoints_for
from .endpointslice import CONTROLLER, MIRRORING_CONTROLLER, endpoint_slices_for, mirrored_slices_for
from .hostports import claims_conflict, host_port_claims
from .loadbalancer import LoadBalancerPool
from .readiness import is_pod_ready
from .settings import DEFAULT_NODES, NODE_NETWORK, ClusterSettings
from .system import CONTROL_PLANE_LABEL, node_manifest, system_objects

__all__ = ["Cluster", "Event", "RESOURCES", "resolve_kind"]

#: Kinds admitted before the others in one apply, so that references resolve.
_FIRST = ("Namespace", "Node", "ServiceCIDR", "KubeProxyConfiguration", "IngressClass", "GatewayClass")


@dataclass
class Event:
    """A watch event: ``type`` is ``ADDED``, ``MODIFIED`` or ``DELETED``; ``obj`` the object after (or before, for DELETED)."""

    type: str
    obj: APIObject

    def __str__(self) -> str:
        return f"{self.type} {self.obj.ref}"


@dataclass
class _State:
    """The store.  Stored objects are never mutated in place (changes store a new object), so
    :meth:`fork` can copy the indexes without copying the objects: that is what makes an
    apply all-or-nothing and cheap."""

    objects: dict[tuple[str, str, str], APIObject] = field(default_factory=dict)
    by_kind: dict[str, dict[tuple[str, str, str], APIObject]] = field(default_factory=dict)  # creation order
    seq: dict[tuple[str, str, str], int] = field(default_factory=dict)
    counter: int = 0
    batch: dict[tuple[str, str, str], int] = field(default_factory=dict)  # the apply that created it
    batches: int = 0
    ips: ClusterIPAllocator | None = None
    ports: NodePortAllocator | None = None
    lbs: LoadBalancerPool = field(default_factory=LoadBalancerPool)
    ipam_last: dict[str, int] = field(default_factory=dict)  # node -> last reserved pod IP (as int)
    pod_ips: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # pod IP (not hostNetwork) -> key
    pods_per_node: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Node indexes, so that allocating a node's podCIDR or InternalIP and scheduling a pod do not
    # rescan every node (at 5,000 nodes those scans made a build cubic in the number of nodes).
    node_nets: dict[tuple[int, int, int], int] = field(default_factory=dict)  # (version, net int, prefix) -> nodes
    node_net_starts: list[tuple[int, int]] = field(default_factory=list)  # sorted (version, net int), repeats kept
    node_bad_cidrs: int = 0  # node podCIDRs that do not parse: the allocator then takes the slow path
    cidr_hint: dict[tuple[str, int], int] = field(default_factory=dict)  # (pod CIDR, mask) -> subnets below are used
    node_ips: dict[str | None, int] = field(default_factory=dict)  # InternalIP -> nodes that report it
    node_ip_hint: int = 0  # addresses of 172.18.0.0/16 below this index are used
    sched: list[tuple[int, int, str]] | None = None  # lazy heap (pods, node order, name) of untainted nodes
    sched_order: dict[str, int] = field(default_factory=dict)  # untainted schedulable node -> node order
    revision: int = 0  # one more on every commit (apply or delete)
    kind_revisions: dict[str, int] = field(default_factory=dict)  # qualified kind -> revision it last changed at

    def fork(self) -> "_State":
        new = copy.copy(self)
        new.objects = dict(self.objects)
        new.by_kind = {k: dict(v) for k, v in self.by_kind.items()}
        new.seq = dict(self.seq)
        new.batch = dict(self.batch)
        new.ips = copy.copy(self.ips)
        new.ips.used = dict(self.ips.used)
        new.ips.networks = list(self.ips.networks)
        new.ports = copy.copy(self.ports)
        new.ports.used = dict(self.ports.used)
        new.lbs = self.lbs.copy()
        new.ipam_last = dict(self.ipam_last)
        new.pod_ips = dict(self.pod_ips)
        new.pods_per_node = dict(self.pods_per_node)
        new.warnings = list(self.warnings)
        new.node_nets = dict(self.node_nets)
        new.node_net_starts = list(self.node_net_starts)
        new.cidr_hint = dict(self.cidr_hint)
        new.node_ips = dict(self.node_ips)
        new.kind_revisions = dict(self.kind_revisions)
        new.sched, new.sched_order = None, {}  # rebuilt on first use
        return new

    def put(self, obj: APIObject) -> None:
        key = obj.key
        if key in self.objects:
            self._unindex(self.objects[key])
        else:
            self.counter += 1
            self.seq[key] = self.counter
            self.batch[key] = self.batches
        self.objects[key] = obj
        self.by_kind.setdefault(key[0], {})[key] = obj
        self._index(obj)

    def remove(self, key) -> None:
        obj = self.objects.pop(key, None)
        if obj is not None:
            self._unindex(obj)
            self.by_kind.get(key[0], {}).pop(key, None)
        self.seq.pop(key, None)
        self.batch.pop(key, None)

    def _index(self, obj: APIObject) -> None:
        if isinstance(obj, Pod):
            if obj.status.pod_ip and not obj.spec.host_network:
                self.pod_ips[obj.status.pod_ip] = obj.key
            if obj.spec.node_name:
                self.pods_per_node[obj.spec.node_name] = self.pods_per_node.get(obj.spec.node_name, 0) + 1
                self._sched_update(obj.spec.node_name)
        elif isinstance(obj, Node):
            self.sched = None
            ip = obj.internal_ip
            self.node_ips[ip] = self.node_ips.get(ip, 0) + 1
            for net in _node_nets(obj):
                if net is None:
                    self.node_bad_cidrs += 1
                    continue
                self.node_nets[net] = self.node_nets.get(net, 0) + 1
                bisect.insort(self.node_net_starts, net[:2])

    def _unindex(self, obj: APIObject) -> None:
        if isinstance(obj, Pod):
            if self.pod_ips.get(obj.status.pod_ip or "") == obj.key:
                del self.pod_ips[obj.status.pod_ip]
            if obj.spec.node_name:
                self.pods_per_node[obj.spec.node_name] -= 1
                self._sched_update(obj.spec.node_name)
        elif isinstance(obj, Node):
            self.sched = None
            ip = obj.internal_ip
            left = self.node_ips.pop(ip, 0) - 1
            if left > 0:
                self.node_ips[ip] = left
            else:
                offset = _node_ip_offset(ip)
                if offset is not None:
                    self.node_ip_hint = min(self.node_ip_hint, offset)
            for net in _node_nets(obj):
                if net is None:
                    self.node_bad_cidrs -= 1
                    continue
                i = bisect.bisect_left(self.node_net_starts, net[:2])
                if i < len(self.node_net_starts) and self.node_net_starts[i] == net[:2]:
                    del self.node_net_starts[i]
                left = self.node_nets.pop(net, 0) - 1
                if left > 0:
                    self.node_nets[net] = left
                else:
                    for hint in list(self.cidr_hint):  # the subnets from the freed one on may be free again
                        self.cidr_hint[hint] = min(self.cidr_hint[hint], _subnet_index(hint, net))

    # -- scheduling index: the least loaded node among those any pod fits (no taint to tolerate)
    def _sched_update(self, node_name: str) -> None:
        if self.sched is not None and node_name in self.sched_order:
            heapq.heappush(self.sched, (self.pods_per_node.get(node_name, 0), self.sched_order[node_name], node_name))

    def least_loaded_untainted(self) -> Node | None:
        """The node with the fewest pods, then first in node order, among the schedulable nodes without a
        ``NoSchedule``/``NoExecute`` taint (``None`` if there is none): where the scheduler puts a pod that has
        no tolerations, node selector, host ports or reported address.

        A heap with one entry per change of a node's pod count; entries whose count is out of date are dropped
        when they reach the top, so a pick costs O(log n) amortised instead of a pass over every node.
        """
        if self.sched is None:
            nodes = self.by_kind.get("Node", {}).values()
            self.sched_order = {n.name: i for i, n in enumerate(nodes)  # type: ignore[attr-defined]
                                if not n.spec.unschedulable  # type: ignore[attr-defined]
                                and not any(t.effect in ("NoSchedule", "NoExecute")
                                            for t in n.spec.taints)}  # type: ignore[attr-defined]
            self.sched = [(self.pods_per_node.get(name, 0), i, name) for name, i in self.sched_order.items()]
            heapq.heapify(self.sched)
        heap = self.sched
        while heap:
            count, _, name = heap[0]
            if self.pods_per_node.get(name, 0) == count:
                return self.objects[("Node", "", name)]  # type: ignore[return-value]
            heapq.heappop(heap)
        return None

    def of_kind(self, kind: str, namespace: str | None = None) -> list[APIObject]:
        items = self.by_kind.get(kind, {})
        if namespace is None:
            return list(items.values())
        return [o for k, o in items.items() if k[1] == namespace]


class Cluster:
    """A modelled Kubernetes cluster.

    Parameters
    ----------
    manifests
        Anything :func:`kubelab.api.load` accepts: paths, ``"-"``, YAML text,
        dicts, objects or a list of those.  If they declare Node objects those
        are the nodes; otherwise the three kind-like default nodes are created.
    service_cidrs, pod_cidr, cluster_domain, cni, proxy_mode, dns_pods, node_port_range, node_cidr_mask
        Cluster-wide settings (see :class:`~kubelab.cluster.settings.ClusterSettings`).
    system
        Create the ``kubernetes`` and ``kube-dns`` Services, CoreDNS pods and
        system namespaces (default ``True``).
    """

    def __init__(self, manifests: Any = None, *, service_cidrs: Iterable[str] | str = ("10.96.0.0/12",),
                 pod_cidr: str = "10.244.0.0/16", cluster_domain: str = "cluster.local", cni: str = "calico",
                 proxy_mode: str = "iptables", dns_pods: str = "insecure",
                 node_port_range: str | tuple[int, int] = (30000, 32767), node_cidr_mask: int = 24,
                 system: bool = True):
        cidrs = [service_cidrs] if isinstance(service_cidrs, str) else list(service_cidrs)
        self.settings = ClusterSettings(service_cidrs=cidrs, pod_cidr=pod_cidr, cluster_domain=cluster_domain,
                                        cni=cni, proxy_mode=proxy_mode, dns_pods=dns_pods,
                                        node_port_range=node_port_range, node_cidr_mask=node_cidr_mask)
        self._s = _State(ips=ClusterIPAllocator(self.settings.service_cidrs),
                         ports=NodePortAllocator(self.settings.node_port_range))
        self._watchers: list[Callable[[Event], None]] = []
        self.events: list[Event] = []
        with gc_paused():
            objs = load(manifests) if manifests is not None else Manifests()
            initial: list[APIObject] = []
            declared = [o for o in objs if isinstance(o, Node)]
            if not declared:
                initial.extend(load(*[node_manifest(n, ip, cp) for n, ip, cp in DEFAULT_NODES]))
            if system:
                cp = self._control_plane_name(declared or initial)
                initial.extend(system_objects(self.settings, cp))
            self._apply([*[o for o in objs if isinstance(o, Node)], *initial,
                         *[o for o in objs if not isinstance(o, Node)]], objs.warnings)

    # ------------------------------------------------------------------ reading
    @staticmethod
    def _control_plane_name(nodes: list[APIObject]) -> str:
        nodes = [n for n in nodes if isinstance(n, Node)]
        for n in nodes:
            if CONTROL_PLANE_LABEL in n.metadata.labels or "control-plane" in n.name:
                return n.name
        return nodes[0].name if nodes else "kind-control-plane"

    @property
    def warnings(self) -> list[str]:
        """Warnings from every apply so far (undeclared nodes, retired APIs, unschedulable pods, ...)."""
        return list(self._s.warnings)

    def get(self, kind: str, name: str, namespace: str | None = "default") -> Any:
        """One object by resource type (``pods``, ``svc``, ``Endpoints`` ...), name and namespace."""
        qkind = resolve_kind(kind)
        ns = (namespace or "default") if kind_class(qkind).namespaced else ""
        if "/" in name and ns:
            ns, name = name.split("/", 1)
        obj = self._s.objects.get((qkind, ns, name))
        if obj is None:
            raise NotFoundError(f'{resource_name(qkind)} "{name}" not found')
        return obj

    def list(self, kind: str, namespace: str | None = None) -> list[Any]:
        """All objects of a type, in creation order; ``namespace=None`` means all namespaces."""
        return self._s.of_kind(resolve_kind(kind), namespace)

    def pods(self, namespace: str | None = None) -> list[Pod]:
        return self._s.of_kind("Pod", namespace)  # type: ignore[return-value]

    def services(self, namespace: str | None = None) -> list[Service]:
        return self._s.of_kind("Service", namespace)  # type: ignore[return-value]

    def nodes(self) -> list[Node]:
        return self._s.of_kind("Node")  # type: ignore[return-value]

    def pod(self, name: str, namespace: str = "default") -> Pod:
        return self.get("pod", name, namespace)

    def service(self, name: str, namespace: str = "default") -> Service:
        return self.get("service", name, namespace)

    def node(self, name: str) -> Node:
        return self.get("node", name)

    def endpoint_slices(self, service: str | None = None, namespace: str | None = "default") -> list[EndpointSlice]:
        """EndpointSlices, optionally only those of one Service (by the ``kubernetes.io/service-name`` label)."""
        slices = self._s.of_kind("EndpointSlice", namespace)
        return [s for s in slices if service is None or s.service_name == service]  # type: ignore[union-attr]

    def is_ready(self, pod: Pod) -> bool:
        return is_pod_ready(pod)

    def pod_by_ip(self, ip: str) -> Pod | None:
        """The pod (not on the host network) that has ``ip``, from the store's index."""
        key = self._s.pod_ips.get(ip)
        return self._s.objects.get(key) if key else None  # type: ignore[return-value]

    def node_of(self, pod: Pod) -> Node | None:
        return self._s.objects.get(("Node", "", pod.spec.node_name or ""))  # type: ignore[return-value]

    def created_before(self, a: APIObject, b: APIObject) -> bool:
        """Whether ``a`` was created before ``b`` (kubelet's service env vars depend on it)."""
        return self._s.seq.get(a.key, 0) < self._s.seq.get(b.key, 0)

    def existed_at_start(self, a: APIObject, pod: APIObject) -> bool:
        """Whether ``a`` existed when ``pod``'s containers started.

        Containers start a moment after their pod is created, so kubelab counts everything
        created up to the end of the apply that created the pod (the rest of the same file, as
        ``kubectl apply -f`` sends it in one go); objects applied later did not exist yet.
        """
        if a.key not in self._s.seq:
            return False
        if pod.key not in self._s.seq:
            return True  # a pod that is not (yet) in the cluster would start now
        return self._s.batch.get(a.key, 0) <= self._s.batch.get(pod.key, 0)

    def creation_index(self, obj: APIObject) -> int:
        return self._s.seq.get(obj.key, 0)

    @property
    def kube_proxy_config(self) -> KubeProxyConfiguration:
        """The applied KubeProxyConfiguration, or kind's default (mode from the settings, clusterCIDR = pod CIDR)."""
        found = self._s.of_kind("KubeProxyConfiguration")
        if found:
            return found[-1]  # type: ignore[return-value]
        cfg = KubeProxyConfiguration(mode=self.settings.proxy_mode, cluster_cidr=self.settings.pod_cidr)
        cfg.default()
        return cfg

    @property
    def service_cidrs(self) -> list[str]:
        return [str(n) for n in self._s.ips.networks]

    def __iter__(self):
        return iter(sorted(self._s.objects.values(), key=lambda o: self._s.seq[o.key]))

    def __len__(self) -> int:
        return len(self._s.objects)

    def copy(self) -> "Cluster":
        """An independent copy (watchers are not copied)."""
        other = copy.copy(self)
        other._s = copy.deepcopy(self._s)
        other._watchers = []
        other.events = list(self.events)
        return other

    def connect(self, src: str, host: str, port: int, proto: str = "TCP", *, mode: str | None = None,
                seed: int | None = None, dead: set[str] | None = None):
        """Trace a new connection through the data plane (see :func:`kubelab.net.connect`)."""
        from ..net import connect  # the data plane sits above the store: imported on use
        return connect(self, src, host, port, proto, mode=mode, seed=seed, dead=dead)

    # ------------------------------------------------------------------ revisions
    @property
    def revision(self) -> int:
        """The store's revision: one more after every apply or delete (0 before the first).

        Stored objects are never changed in place, so anything derived from the cluster (kube-proxy's
        rules, CoreDNS's records, the policy index) holds as long as the revision it was built at
        (:func:`kubelab.util.views.view` caches on it).  Like ``metadata.resourceVersion`` in
        Kubernetes, only equality means anything; unlike it, a :meth:`copy` starts from the
        original's number.

        >>> c = Cluster()
        >>> before = c.revision
        >>> _ = c.apply("apiVersion: v1\\nkind: Namespace\\nmetadata: {name: shop}")
        >>> c.revision == before + 1
        True
        """
        return self._s.revision

    def revision_of(self, *kinds: str) -> int:
        """The revision at which an object of one of ``kinds`` (resource names as :meth:`get` takes them)
        was last added, changed or deleted; 0 if never.

        A view that reads only some kinds caches on this instead of :attr:`revision`: kube-proxy's
        rules do not change when a pod that no Service selects starts.

        >>> c = Cluster()
        >>> services = c.revision_of("svc", "EndpointSlice")
        >>> _ = c.apply("apiVersion: v1\\nkind: Namespace\\nmetadata: {name: shop}")
        >>> c.revision_of("svc", "EndpointSlice") == services, c.revision_of("ns") == c.revision
        (True, True)
        """
        revisions = self._s.kind_revisions
        return max((revisions.get(resolve_kind(k), 0) for k in kinds), default=0)

    # ------------------------------------------------------------------ watching
    def watch(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after every change; returns a function that stops watching."""
        self._watchers.append(callback)
        return lambda: self._watchers.remove(callback) if callback in self._watchers else None

    # ------------------------------------------------------------------ writing
    def apply(self, *sources: Any) -> list[APIObject]:
        """Create or replace objects, all or nothing (like ``kubectl apply -f``); returns them as stored."""
        with gc_paused():
            objs = load(*sources)
            return self._apply(list(objs), objs.warnings)

    def delete(self, kind: str, name: str, namespace: str | None = "default", *, terminating: bool = False) -> APIObject:
        """Delete an object.  ``terminating=True`` on a pod marks it terminating (``deletionTimestamp``) instead,
        as a pod looks during its grace period."""
        obj = self.get(kind, name, namespace)
        s = self._s.fork()
        if terminating:
            if not isinstance(obj, Pod):
                raise KubelabError(f"{obj.ref}: only pods have a termination grace period")
            pod = copy.deepcopy(obj)
            pod.metadata.extra["deletionTimestamp"] = "1970-01-01T00:00:00Z"
            s.put(pod)
        else:
            s.remove(obj.key)
            if isinstance(obj, Service):
                for ip in obj.spec.cluster_ips:
                    s.ips.release(ip)
                for p in obj.spec.ports:
                    if p.node_port:
                        s.ports.release(p.node_port)
                if obj.spec.health_check_node_port:
                    s.ports.release(obj.spec.health_check_node_port)
                s.lbs.release(f"{obj.namespace}/{obj.name}")
                s.remove(("Endpoints", obj.namespace, obj.name))
                for sl in s.of_kind("EndpointSlice", obj.namespace):
                    if sl.service_name == obj.name:
                        s.remove(sl.key)
        self._commit(s)
        return obj

    def _apply(self, objs: list[APIObject], warnings: list[str]) -> list[APIObject]:
        s = self._s.fork()
        s.batches += 1
        s.warnings.extend(warnings)
        ordered = [o for o in objs if o.kind in _FIRST] + [o for o in objs if o.kind not in _FIRST]
        stored = []
        for obj in ordered:
            self._admit(s, obj)  # load() hands over private objects (it copies objects passed in)
            stored.append(obj)
        self._commit(s)
        return [self._s.objects.get(o.key, o) for o in stored]

    def _commit(self, s: _State) -> None:
        self._run_controllers(s)
        old = self._s.objects
        events = []
        for key, obj in s.objects.items():
            if key not in old:
                events.append(Event("ADDED", obj))
            elif old[key] is not obj and old[key].to_dict() != obj.to_dict():
                events.append(Event("MODIFIED", obj))
        events.extend(Event("DELETED", o) for k, o in old.items() if k not in s.objects)
        s.revision = self._s.revision + 1
        for ev in events:
            s.kind_revisions[ev.obj.key[0]] = s.revision
        self._s = s
        self.events.extend(events)
        for ev in events:
            for w in list(self._watchers):
                w(ev)

    # ------------------------------------------------------------------ admission
    def _admit(self, s: _State, obj: APIObject) -> None:
        if obj.namespaced and ("Namespace", "", obj.namespace) not in s.objects:
            ns = Namespace(metadata=ObjectMeta(name=obj.namespace))
            ns.default()
            s.put(ns)
            if obj.namespace != "default":
                s.warnings.append(f"{obj.source or '<object>'}: {obj.ref}: namespace \"{obj.namespace}\" did not "
                                  "exist; kubelab created it (the API server would answer NotFound)")
        handler = getattr(self, f"_admit_{obj.kind.lower()}", None)
        if handler is not None:
            handler(s, obj)
        s.put(obj)

    def _fail(self, obj: APIObject, err: FieldError) -> None:
        raise ValidationError([err], source=obj.source, obj=obj.ref)

    def _check_ip_families(self, svc: Service) -> None:
        """``initIPFamilyFields`` (``pkg/registry/core/service/storage/alloc.go``, v1.31) for a Service with a ClusterIP.

        The families the cluster serves are those of ``--service-cidr`` (a ServiceCIDR object of another
        family does not make a cluster dual-stack).  Headless and ExternalName Services are not checked,
        as upstream's special cases before these checks.
        """
        families = {"IPv4" if ipaddress.ip_network(c).version == 4 else "IPv6" for c in self.settings.service_cidrs}
        errs = []
        if svc.spec.ip_family_policy == "RequireDualStack" and len(families) < 2:
            errs.append(FieldError.invalid("spec.ipFamilyPolicy", "RequireDualStack",
                                           "this cluster is not configured for dual-stack services"))
        for i, family in enumerate(svc.spec.ip_families):
            if family not in families:
                errs.append(FieldError.invalid(f"spec.ipFamilies[{i}]", family, "not configured on this cluster"))
        if errs:
            raise ValidationError(errs, source=svc.source, obj=svc.ref)

    def _admit_servicecidr(self, s: _State, obj: ServiceCIDR) -> None:
        for c in obj.spec.cidrs:
            s.ips.add_range(c)

    def _admit_node(self, s: _State, node: Node) -> None:
        old = s.objects.get(node.key)
        labels = node.metadata.labels
        labels.setdefault("kubernetes.io/hostname", node.name)
        if not node.spec.pod_cidrs:
            if isinstance(old, Node) and old.spec.pod_cidrs:
                node.spec.pod_cidrs = list(old.spec.pod_cidrs)
            else:
                node.spec.pod_cidrs = [self._next_node_cidr(s, node)]
            node.spec.pod_cidr = node.spec.pod_cidrs[0]
        if node.internal_ip is None:
            from ..api.node import NodeAddress
            node.status.addresses.insert(0, NodeAddress(type="InternalIP", address=self._next_node_ip(s)))

    def _next_node_cidr(self, s: _State, node: Node) -> str:
        """The first ``/node_cidr_mask`` subnet of the pod CIDR that overlaps no node's podCIDRs.

        Two CIDR blocks overlap only when one contains the other, so a subnet is taken when a node's block
        starts inside it (a bisection of the sorted starts) or is one of its supernets (one lookup per
        shorter prefix); subnets below ``s.cidr_hint`` are known to be taken.
        """
        if s.node_bad_cidrs:
            return self._next_node_cidr_scan(s, node)
        pool, mask = self.settings.pod_cidr, self.settings.node_cidr_mask
        net = _network(pool)
        version, bits = net.version, net.max_prefixlen
        base, size = int(net.network_address), 1 << (bits - mask)
        starts, nets = s.node_net_starts, s.node_nets
        for k in range(s.cidr_hint.get((pool, mask), 0), 1 << (mask - net.prefixlen)):
            lo = base + k * size
            i = bisect.bisect_left(starts, (version, lo))
            if i < len(starts) and starts[i] <= (version, lo + size - 1):
                continue
            if any((version, lo & ~((1 << (bits - p)) - 1), p) in nets for p in range(mask)):
                continue
            s.cidr_hint[(pool, mask)] = k
            return f"{ipaddress.ip_address(lo)}/{mask}" if version == 4 else str(ipaddress.ip_network((lo, mask)))
        self._fail(node, FieldError.invalid("spec.podCIDR", None,
                                            f"no free /{self.settings.node_cidr_mask} left in {self.settings.pod_cidr}"))
        raise AssertionError  # unreachable

    def _next_node_cidr_scan(self, s: _State, node: Node) -> str:
        """:meth:`_next_node_cidr` by comparing every subnet with every node's podCIDRs (O(subnets x nodes))."""
        used = {ipaddress.ip_network(c, strict=False) for n in s.of_kind("Node") for c in n.spec.pod_cidrs}
        for sub in ipaddress.ip_network(self.settings.pod_cidr).subnets(new_prefix=self.settings.node_cidr_mask):
            if not any(sub.overlaps(u) for u in used):
                return str(sub)
        self._fail(node, FieldError.invalid("spec.podCIDR", None,
                                            f"no free /{self.settings.node_cidr_mask} left in {self.settings.pod_cidr}"))
        raise AssertionError  # unreachable

    def _next_node_ip(self, s: _State) -> str:
        """The first address of 172.18.0.0/16 (from ``.0.2``) that no node reports as its InternalIP."""
        for i in range(max(2, s.node_ip_hint), _NODE_NET.num_addresses - 1):
            ip = str(_NODE_NET[i])
            if ip not in s.node_ips:
                s.node_ip_hint = i
                return ip
        raise KubelabError("no free node address left in 172.18.0.0/16")

    def _admit_kubeproxyconfiguration(self, s: _State, obj: KubeProxyConfiguration) -> None:
        for k in [k for k in s.objects if k[0] == "KubeProxyConfiguration"]:
            s.remove(k)  # one kube-proxy configuration per cluster

    # -- Services
    def _admit_service(self, s: _State, svc: Service) -> None:
        owner = f"{svc.namespace}/{svc.name}"
        old = s.objects.get(svc.key)
        spec = svc.spec
        old_ips = old.spec.cluster_ips if isinstance(old, Service) else []
        if isinstance(old, Service) and svc.status.load_balancer is None:
            # status is a subresource: an update of the spec keeps what the cloud wrote
            svc.status.load_balancer = copy.deepcopy(old.status.load_balancer)
        if spec.type != "ExternalName" and spec.cluster_ip != "None":
            self._check_ip_families(svc)
        if spec.type == "ExternalName":
            pass
        elif spec.cluster_ip == "None":
            pass
        elif spec.cluster_ips:
            if old_ips and old_ips != spec.cluster_ips:
                self._fail(svc, FieldError.invalid("spec.clusterIPs[0]", spec.cluster_ips[0], "field is immutable"))
            for ip in spec.cluster_ips:
                try:
                    s.ips.allocate_specific(ip, owner)
                except AllocationError as exc:
                    self._fail(svc, FieldError.invalid("spec.clusterIPs", spec.cluster_ips, str(exc)))
        elif old_ips:
            spec.cluster_ips, spec.cluster_ip = list(old_ips), old_ips[0]
        else:
            try:
                ip = s.ips.allocate_next(owner)
            except AllocationError as exc:
                self._fail(svc, FieldError.invalid("spec.clusterIPs", [], str(exc)))
            spec.cluster_ip, spec.cluster_ips = ip, [ip]
        if spec.type not in ("ExternalName",) and not spec.ip_families and spec.cluster_ip != "None":
            spec.ip_families = ["IPv6" if ":" in (spec.cluster_ip or "") else "IPv4"]
            spec.ip_family_policy = spec.ip_family_policy or "SingleStack"
        elif spec.cluster_ip == "None" and not spec.ip_families:
            spec.ip_families, spec.ip_family_policy = ["IPv4"], spec.ip_family_policy or "SingleStack"
        # release ports the old version held that the new one does not keep
        if isinstance(old, Service):
            for p in old.spec.ports:
                if p.node_port:
                    s.ports.release(p.node_port)
            if old.spec.health_check_node_port:
                s.ports.release(old.spec.health_check_node_port)
        needs_node_ports = spec.type == "NodePort" or (spec.type == "LoadBalancer"
                                                       and spec.allocate_load_balancer_node_ports is not False)
        old_by_port = {(p.port, p.protocol): p.node_port for p in old.spec.ports} if isinstance(old, Service) else {}
        by_number: dict[int, int] = {}
        for i, p in enumerate(spec.ports):
            if p.node_port:
                try:
                    s.ports.allocate_specific(p.node_port, owner)
                except AllocationError as exc:
                    self._fail(svc, FieldError.invalid(f"spec.ports[{i}].nodePort", p.node_port, str(exc)))
            elif needs_node_ports:
                keep = old_by_port.get((p.port, p.protocol))
                if keep and keep not in s.ports.used:
                    s.ports.allocate_specific(keep, owner)
                    p.node_port = keep
                elif p.port in by_number:  # same port number, other protocol: share the node port
                    p.node_port = by_number[p.port]
                else:
                    try:
                        p.node_port = s.ports.allocate_next(owner, f"{i}/{p.protocol}")
                    except AllocationError as exc:
                        self._fail(svc, FieldError.invalid(f"spec.ports[{i}].nodePort", 0, str(exc)))
            if p.node_port:
                by_number.setdefault(p.port, p.node_port)
        if spec.type == "LoadBalancer" and spec.external_traffic_policy == "Local":
            if spec.health_check_node_port:
                try:
                    s.ports.allocate_specific(spec.health_check_node_port, owner)
                except AllocationError as exc:
                    self._fail(svc, FieldError.invalid("spec.healthCheckNodePort", spec.health_check_node_port, str(exc)))
            else:
                spec.health_check_node_port = s.ports.allocate_next(owner, "healthcheck")
        elif spec.health_check_node_port:
            self._fail(svc, FieldError.invalid("spec.healthCheckNodePort", spec.health_check_node_port,
                                               "may only be set when `type` is 'LoadBalancer' and "
                                               "`externalTrafficPolicy` is 'Local'"))

    # -- Pods
    def _admit_pod(self, s: _State, pod: Pod) -> None:
        old = s.objects.get(pod.key)
        if isinstance(old, Pod) and not pod.spec.node_name and old.spec.node_name:
            pod.spec.node_name = old.spec.node_name
            if not pod.status.pod_ip and old.status.pod_ip:
                pod.status.pod_ip, pod.status.pod_ips = old.status.pod_ip, list(old.status.pod_ips)
        if pod.spec.node_name:
            node = s.objects.get(("Node", "", pod.spec.node_name))
            if node is None:
                node = load(node_manifest(pod.spec.node_name, self._next_node_ip(s), False))[0]
                self._admit_node(s, node)
                s.put(node)
                s.warnings.append(f"{pod.source or '<object>'}: {pod.ref}: spec.nodeName: node "
                                  f"\"{pod.spec.node_name}\" is not declared; kubelab added it")
            conflict = self._host_port_conflict(s, pod, node.name)
            if conflict:
                pod.status.phase = "Failed"
                pod.status.extra["reason"] = "NodePorts"
                pod.status.extra["message"] = ("Pod was rejected: Predicate NodePorts failed: node(s) didn't have "
                                               "free ports for the requested pod ports")
                s.warnings.append(f"{pod.source or '<object>'}: {pod.ref}: rejected by kubelet on "
                                  f"{node.name}: {conflict}")
        else:
            node = self._schedule(s, pod)
            if node is None:
                return
            pod.spec.node_name = node.name
        self._run_pod(s, pod, node)

    def _host_port_conflict(self, s: _State, pod: Pod, node_name: str) -> str | None:
        mine = host_port_claims(pod)
        if not mine:
            return None
        for other in s.of_kind("Pod"):
            if other.spec.node_name != node_name or other.key == pod.key or other.status.phase in ("Failed", "Succeeded"):
                continue
            for claim, container in mine:
                for oclaim, ocontainer in host_port_claims(other):
                    if claims_conflict(claim, oclaim):
                        ip, proto, port = claim
                        return (f"host port {ip}:{port}/{proto} of container \"{container}\" is already used by "
                                f"{other.ref} (container \"{ocontainer}\")")
        return None

    def _schedule(self, s: _State, pod: Pod) -> Node | None:
        tolerations = pod.spec.extra.get("tolerations") or []
        selector = pod.spec.extra.get("nodeSelector") or {}
        if (not tolerations and not selector and not pod.status.host_ip and not pod.status.pod_ip
                and not host_port_claims(pod)):
            # Every filter below then passes exactly on the untainted schedulable nodes: take the
            # least loaded of them from the store's heap instead of filtering every node.
            node = s.least_loaded_untainted()
            if node is not None:
                return node
        nodes: list[Node] = s.of_kind("Node")  # type: ignore[assignment]
        reasons: dict[str, int] = {}
        fits = []
        for n in nodes:
            why = None
            if n.spec.unschedulable:
                why = "node(s) were unschedulable"
            else:
                bad = [t for t in n.spec.taints if t.effect in ("NoSchedule", "NoExecute")
                       and not _tolerated(t, tolerations)]
                if bad:
                    t = bad[0]
                    why = f"node(s) had untolerated taint {{{t.key}: {t.value or ''}}}"
                elif isinstance(selector, dict) and any(n.metadata.labels.get(k) != v for k, v in selector.items()):
                    why = "node(s) didn't match Pod's node affinity/selector"
                elif self._host_port_conflict(s, pod, n.name):
                    why = "node(s) didn't have free ports for the requested pod ports"
            if why:
                reasons[why] = reasons.get(why, 0) + 1
            else:
                fits.append(n)
        if not fits:
            detail = ", ".join(f"{c} {r}" for r, c in sorted(reasons.items()))
            message = f"0/{len(nodes)} nodes are available: {detail}."
            pod.status.phase = "Pending"
            pod.status.conditions = [PodCondition(type="PodScheduled", status="False", reason="Unschedulable")]
            pod.status.extra["message"] = message
            s.warnings.append(f"{pod.source or '<object>'}: {pod.ref}: FailedScheduling: {message}")
            return None
        # A pod that reports where it runs (status.hostIP, or a podIP inside a node's pod CIDR) stays there.
        for n in fits:
            if pod.status.host_ip and n.internal_ip == pod.status.host_ip:
                return n
        if pod.status.pod_ip:
            try:
                ip = ipaddress.ip_address(pod.status.pod_ip)
            except ValueError:
                ip = None
            for n in fits:
                if ip is not None and any(ip in ipaddress.ip_network(c, strict=False) for c in n.spec.pod_cidrs):
                    return n
        order = {n.name: i for i, n in enumerate(nodes)}
        return min(fits, key=lambda n: (s.pods_per_node.get(n.name, 0), order[n.name]))

    def _run_pod(self, s: _State, pod: Pod, node: Node) -> None:
        st = pod.status
        st.host_ip = st.host_ip or node.internal_ip
        if pod.spec.host_network:
            st.pod_ip = st.pod_ip or node.internal_ip
        elif not st.pod_ip and st.phase in (None, "Running"):
            st.pod_ip = self._allocate_pod_ip(s, pod, node)
            if st.pod_ip is None:
                return
        elif st.pod_ip and not pod.spec.host_network:
            self._check_pod_ip(s, pod, node)
        if st.pod_ip and not st.pod_ips:
            st.pod_ips = [PodIP(ip=st.pod_ip)]
        if st.phase is None:
            st.phase = "Running"
            if not st.conditions:
                st.conditions = [PodCondition(type=t, status="True") for t in
                                 ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                                  "PodScheduled")]

    def _check_pod_ip(self, s: _State, pod: Pod, node: Node) -> None:
        ip = pod.status.pod_ip
        other = s.pod_ips.get(ip)
        if other is not None and other != pod.key:
            self._fail(pod, FieldError.invalid("status.podIP", ip, f"already in use by {s.objects[other].ref}"))
        cidrs = [ipaddress.ip_network(c, strict=False) for c in node.spec.pod_cidrs]
        if cidrs and not any(ipaddress.ip_address(ip) in c for c in cidrs):
            s.warnings.append(f"{pod.source or '<object>'}: {pod.ref}: status.podIP {ip} is outside the pod CIDR "
                              f"{', '.join(map(str, cidrs))} of node {node.name} (accepted, as the API server "
                              "accepts what kubelet reports)")

    def _allocate_pod_ip(self, s: _State, pod: Pod, node: Node) -> str | None:
        """host-local: the next free address after the last one reserved on this node (gateway .1 skipped).

        When the node's range is full the pod stays Pending without an IP, as a real pod stays in
        ContainerCreating when its CNI plugin fails; the warning carries host-local's message.
        """
        net = _network(node.spec.pod_cidrs[0])
        first, last = int(net.network_address) + 2, int(net.broadcast_address) - 1
        start = s.ipam_last.get(node.name, first - 1) + 1
        span = last - first + 1
        for i in range(span):
            cand = first + (start - first + i) % span
            ip = str(ipaddress.ip_address(cand))
            if s.pod_ips.get(ip, pod.key) == pod.key:
                s.ipam_last[node.name] = cand
                return ip
        low, high = ipaddress.ip_address(first - 1), ipaddress.ip_address(last)
        pod.status.phase = "Pending"
        s.warnings.append(f"{pod.source or '<object>'}: {pod.ref}: FailedCreatePodSandBox on {node.name}: "
                          f"failed to allocate for range 0: no IP addresses available in range set: {low}-{high}")
        return None

    # ------------------------------------------------------------------ controllers
    def _run_controllers(self, s: _State) -> None:
        nodes = {n.name: n for n in s.of_kind("Node")}
        # label index: (namespace, key, value) -> pods in creation order, so that a selector
        # costs the size of its smallest label group, not the size of the cluster
        by_label: dict[tuple[str, str, str], list[Pod]] = {}
        for pod in s.of_kind("Pod"):
            for k, v in pod.metadata.labels.items():
                by_label.setdefault((pod.namespace, k, v), []).append(pod)  # type: ignore[arg-type]
        managed_by_service: dict[tuple[str, str], list] = {}
        for sl in s.of_kind("EndpointSlice"):
            if sl.metadata.labels.get(MANAGED_BY_LABEL) in (CONTROLLER, MIRRORING_CONTROLLER):
                managed_by_service.setdefault((sl.namespace, sl.service_name), []).append(sl.key)
        kubernetes_key = ("Service", "default", "kubernetes")
        self._service_controller(s)
        for svc in s.of_kind("Service"):
            assert isinstance(svc, Service)
            ep_key = ("Endpoints", svc.namespace, svc.name)
            managed = managed_by_service.get((svc.namespace, svc.name), [])
            if svc.key == kubernetes_key and not svc.spec.selector:
                self._apiserver_endpoints(s, svc, nodes)
                continue
            if svc.spec.selector:
                groups = [by_label.get((svc.namespace, k, v), []) for k, v in svc.spec.selector.items()]
                candidates = min(groups, key=len)
                ep = endpoints_for(svc, candidates)
                slices = endpoint_slices_for(svc, candidates, nodes)
                if ep is not None:
                    self._replace(s, ep_key, ep)
                elif ep_key in s.objects:
                    s.remove(ep_key)
            else:
                user_ep = s.objects.get(ep_key)
                slices = mirrored_slices_for(user_ep, svc) if isinstance(user_ep, Endpoints) else []
            new_keys = {sl.key for sl in slices}
            for k in managed:
                if k not in new_keys:
                    s.remove(k)
            for sl in slices:
                self._replace(s, sl.key, sl)

    def _service_controller(self, s: _State) -> None:
        """The simulated cloud's service controller (:mod:`kubelab.cluster.loadbalancer`)."""
        from ..api.service import LoadBalancerIngress, LoadBalancerStatus
        for svc in s.of_kind("Service"):
            owner = f"{svc.namespace}/{svc.name}"
            status = svc.status.load_balancer
            current = [i.ip for i in status.ingress if i.ip] if status else []
            if svc.spec.type != "LoadBalancer" or svc.spec.load_balancer_class:
                mine = [ip for ip in current if s.lbs.owner.get(ip) == owner]
                s.lbs.release(owner)
                if mine:  # the cloud deletes its load balancer and clears the status it wrote
                    new = copy.deepcopy(svc)
                    new.status.load_balancer.ingress = [i for i in status.ingress if i.ip not in mine]
                    s.put(new)
                continue
            if current:
                for ip in [ip for ip, who in s.lbs.owner.items() if who == owner and ip not in current]:
                    del s.lbs.owner[ip]  # the status now names other addresses
                for ip in current:
                    if s.lbs.contains(ip):
                        s.lbs.owner.setdefault(ip, owner)
                continue
            ip = s.lbs.assign(owner, svc.spec.load_balancer_ip)
            if ip is None:
                s.warnings.append(f"{svc.ref}: the simulated cloud has no free load balancer address: "
                                  "EXTERNAL-IP stays <pending>")
                continue
            new = copy.deepcopy(svc)
            new.status.load_balancer = LoadBalancerStatus(ingress=[LoadBalancerIngress(ip=ip, ip_mode="VIP")])
            s.put(new)

    def _replace(self, s: _State, key, obj: APIObject) -> None:
        obj.default()
        old = s.objects.get(key)
        if old is not None and old.to_dict() == obj.to_dict():
            return
        s.put(obj)

    def _apiserver_endpoints(self, s: _State, svc: Service, nodes: dict[str, Node]) -> None:
        from ..api import Endpoint, EndpointAddress, EndpointConditions, EndpointPort, EndpointSlicePort, EndpointSubset
        from ..api.endpoints import SERVICE_NAME_LABEL
        cp = nodes.get(self._control_plane_name(list(nodes.values())))
        if cp is None or not cp.internal_ip:
            return
        ep = Endpoints(metadata=ObjectMeta(name="kubernetes", namespace="default",
                                           labels={"endpointslice.kubernetes.io/skip-mirror": "true"}),
                       subsets=[EndpointSubset(addresses=[EndpointAddress(ip=cp.internal_ip)],
                                               ports=[EndpointPort(name="https", port=6443, protocol="TCP")])])
        sl = EndpointSlice(metadata=ObjectMeta(name="kubernetes", namespace="default",
                                               labels={SERVICE_NAME_LABEL: "kubernetes"}),
                           address_type="IPv4",
                           endpoints=[Endpoint(addresses=[cp.internal_ip], conditions=EndpointConditions(ready=True))],
                           ports=[EndpointSlicePort(name="https", port=6443, protocol="TCP")])
        self._replace(s, ep.key, ep)
        self._replace(s, sl.key, sl)


@functools.lru_cache(maxsize=16384)  # one entry per node's pod CIDR: room for 8,192 /24s and more
def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(cidr, strict=False)


_NODE_NET = ipaddress.ip_network(NODE_NETWORK)  # kind's docker network: node addresses kubelab hands out


def _node_ip_offset(ip: str | None) -> int | None:
    """Index of ``ip`` in 172.18.0.0/16, ``None`` when it is not there (or not an address)."""
    try:
        addr = ipaddress.ip_address(ip or "")
    except ValueError:
        return None
    return int(addr) - int(_NODE_NET.network_address) if addr in _NODE_NET else None


def _node_nets(node: Node) -> list[tuple[int, int, int] | None]:
    """The node's podCIDRs as ``(version, network as int, prefix length)``; ``None`` for one that does not parse."""
    out: list[tuple[int, int, int] | None] = []
    for c in node.spec.pod_cidrs:
        try:
            net = _network(c)
        except ValueError:
            out.append(None)
            continue
        out.append((net.version, int(net.network_address), net.prefixlen))
    return out


def _subnet_index(hint: tuple[str, int], freed: tuple[int, int, int]) -> int:
    """The first subnet index of ``hint`` = (pod CIDR, mask) that the freed block can overlap."""
    net = _network(hint[0])
    if net.version != freed[0]:
        return 1 << 62  # another family: the freed block never overlaps these subnets
    return max(0, (freed[1] - int(net.network_address)) >> (net.max_prefixlen - hint[1]))


def _tolerated(taint, tolerations: list) -> bool:
    for t in tolerations:
        if not isinstance(t, dict):
            continue
        if t.get("effect") not in (None, "", taint.effect):
            continue
        op = t.get("operator") or "Equal"
        key = t.get("key")
        if op == "Exists" and (not key or key == taint.key):
            return True
        if op == "Equal" and key == taint.key and (t.get("value") or "") == (taint.value or ""):
            return True
    return False
