"""``Cluster``: the façade over the store, admission, scheduler, kubelet and controllers.

This is the part of a cluster that turns manifests into state.  ``apply`` loads
the manifests (defaulting and validation: :mod:`kubelab.api`), forks the store
(:mod:`kubelab.cluster.store`), admits each object (:mod:`kubelab.cluster.admission`:
ClusterIP and NodePort allocation, node podCIDRs from :mod:`kubelab.cluster.nodeipam`,
pods bound by :mod:`kubelab.cluster.scheduler` and started by
:mod:`kubelab.cluster.kubelet` with host-local's addresses), runs the controllers
(:mod:`kubelab.cluster.controllers`: Endpoints, EndpointSlices, load balancers) and
commits.  Every change is all-or-nothing: an ``apply`` that fails on its tenth
object leaves the cluster exactly as it was.  Every commit moves
:attr:`Cluster.revision`; what is derived from the store (kube-proxy's rules, DNS
records, the policy index) is cached on it (:mod:`kubelab.util.views`).
:meth:`Cluster.watch` still delivers ``ADDED``/``MODIFIED``/``DELETED`` events,
like a Kubernetes watch, for code that wants to see the changes themselves
(notebook 01 does).  See :mod:`kubelab.cluster.settings` for the kind-like
defaults.

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

import copy
from typing import Any, Callable, Iterable

from ..api import APIObject, EndpointSlice, KubeProxyConfiguration, Manifests, Node, Pod, Service, load
from ..api.registry import kind_class, resolve_kind, resource_name
from ..errors import KubelabError, NotFoundError
from ..util.gc import gc_paused
from .admission import ADMISSION_ORDER, admit, remove
from .allocator import ClusterIPAllocator, NodePortAllocator
from .controllers import run_controllers
from .readiness import is_pod_ready
from .settings import DEFAULT_NODES, ClusterSettings
from .store import Event, Store
from .system import control_plane_name, node_manifest, system_objects

__all__ = ["Cluster"]

_RESOLVED: dict[str, str] = {}  # resource name as asked -> qualified kind (resolve_kind, remembered)


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
        self._s = Store(ips=ClusterIPAllocator(self.settings.service_cidrs),
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
                cp = control_plane_name(declared or initial)
                initial.extend(system_objects(self.settings, cp))
            self._apply([*[o for o in objs if isinstance(o, Node)], *initial,
                         *[o for o in objs if not isinstance(o, Node)]], objs.warnings)

    # ------------------------------------------------------------------ reading
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
        revisions, latest = self._s.kind_revisions, 0
        for k in kinds:  # plain loop: proxiers ask before every use (bench_views)
            qkind = _RESOLVED.get(k)
            if qkind is None:
                qkind = _RESOLVED[k] = resolve_kind(k)
            revision = revisions.get(qkind, 0)
            if revision > latest:
                latest = revision
        return latest

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
            remove(s, obj)
        self._commit(s)
        return obj

    def _apply(self, objs: list[APIObject], warnings: list[str]) -> list[APIObject]:
        s = self._s.fork()
        s.batches += 1
        s.warnings.extend(warnings)
        ordered = ([o for o in objs if o.kind in ADMISSION_ORDER]
                   + [o for o in objs if o.kind not in ADMISSION_ORDER])
        stored = []
        for obj in ordered:
            admit(self.settings, s, obj)  # load() hands over private objects (it copies objects passed in)
            stored.append(obj)
        self._commit(s)
        return [self._s.objects.get(o.key, o) for o in stored]

    def _commit(self, s: Store) -> None:
        run_controllers(s)
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
