"""Admission: what the API server does to an object before storing it (and after deleting it).

Upstream: the registry strategies and storage of ``pkg/registry`` (Kubernetes
v1.31): ``core/service/storage`` (ClusterIP and NodePort allocation, kept across
updates, released when a port goes; ``healthCheckNodePort`` for
``LoadBalancer`` + ``externalTrafficPolicy: Local``; ``initIPFamilyFields`` in
``alloc.go``), ``networking/servicecidr`` (extra ClusterIP ranges), the node's
podCIDR from the node IPAM controller (:mod:`kubelab.cluster.nodeipam`), the
binding of a pod to a node (the scheduler, :mod:`kubelab.cluster.scheduler`,
or ``spec.nodeName``) and kubelet starting it (:mod:`kubelab.cluster.kubelet`).
Defaulting and validation of each object happen earlier, in :mod:`kubelab.api`.

Simplifications: a namespace that does not exist is created with a warning
(the API server answers NotFound); a pod naming an undeclared node adds that
node with a warning; a second KubeProxyConfiguration replaces the first (a
cluster has one kube-proxy configuration).
"""

from __future__ import annotations

import copy
import ipaddress
from typing import Any, Callable

from ..api import APIObject, KubeProxyConfiguration, Namespace, Node, ObjectMeta, Pod, Service, ServiceCIDR, load
from ..api.node import NodeAddress
from ..errors import FieldError, ValidationError
from .allocator import AllocationError
from .kubelet import run_pod
from .nodeipam import next_node_cidr, next_node_ip
from .scheduler import host_port_conflict, schedule
from .settings import ClusterSettings
from .store import Store
from .system import node_manifest

__all__ = ["ADMISSION_ORDER", "admit", "remove", "check_ip_families"]

#: Kinds admitted before the others in one apply, so that references resolve.
ADMISSION_ORDER = ("Namespace", "Node", "ServiceCIDR", "KubeProxyConfiguration", "IngressClass", "GatewayClass")


def _reject(obj: APIObject, err: FieldError) -> None:
    raise ValidationError([err], source=obj.source, obj=obj.ref)


def admit(settings: ClusterSettings, s: Store, obj: APIObject) -> None:
    """Admit ``obj`` into ``s`` (its namespace, the kind's own admission below, then the store); raises
    :class:`~kubelab.errors.ValidationError` for what the API server refuses."""
    if obj.namespaced and ("Namespace", "", obj.namespace) not in s.objects:
        ns = Namespace(metadata=ObjectMeta(name=obj.namespace))
        ns.default()
        s.put(ns)
        if obj.namespace != "default":
            s.warnings.append(f"{obj.source or '<object>'}: {obj.ref}: namespace \"{obj.namespace}\" did not "
                              "exist; kubelab created it (the API server would answer NotFound)")
    handler = _ADMIT.get(obj.kind)
    if handler is not None:
        handler(settings, s, obj)
    s.put(obj)


def check_ip_families(settings: ClusterSettings, svc: Service) -> None:
    """``initIPFamilyFields`` (``pkg/registry/core/service/storage/alloc.go``, v1.31) for a Service with a ClusterIP.

    The families the cluster serves are those of ``--service-cidr`` (a ServiceCIDR object of another
    family does not make a cluster dual-stack).  Headless and ExternalName Services are not checked,
    as upstream's special cases before these checks.
    """
    families = {"IPv4" if ipaddress.ip_network(c).version == 4 else "IPv6" for c in settings.service_cidrs}
    errs = []
    if svc.spec.ip_family_policy == "RequireDualStack" and len(families) < 2:
        errs.append(FieldError.invalid("spec.ipFamilyPolicy", "RequireDualStack",
                                       "this cluster is not configured for dual-stack services"))
    for i, family in enumerate(svc.spec.ip_families):
        if family not in families:
            errs.append(FieldError.invalid(f"spec.ipFamilies[{i}]", family, "not configured on this cluster"))
    if errs:
        raise ValidationError(errs, source=svc.source, obj=svc.ref)


def admit_servicecidr(settings: ClusterSettings, s: Store, obj: ServiceCIDR) -> None:
    """A ServiceCIDR adds its ranges to the ClusterIP allocator (KEP-1880)."""
    for c in obj.spec.cidrs:
        s.ips.add_range(c)


def admit_node(settings: ClusterSettings, s: Store, node: Node) -> None:
    """A node keeps its podCIDR and InternalIP, or gets them (:mod:`kubelab.cluster.nodeipam`)."""
    old = s.objects.get(node.key)
    labels = node.metadata.labels
    labels.setdefault("kubernetes.io/hostname", node.name)
    if not node.spec.pod_cidrs:
        if isinstance(old, Node) and old.spec.pod_cidrs:
            node.spec.pod_cidrs = list(old.spec.pod_cidrs)
        else:
            node.spec.pod_cidrs = [next_node_cidr(settings, s, node)]
        node.spec.pod_cidr = node.spec.pod_cidrs[0]
    if node.internal_ip is None:
        node.status.addresses.insert(0, NodeAddress(type="InternalIP", address=next_node_ip(s)))


def admit_kubeproxyconfiguration(settings: ClusterSettings, s: Store, obj: KubeProxyConfiguration) -> None:
    """One kube-proxy configuration per cluster: a new one replaces the old."""
    for k in [k for k in s.objects if k[0] == "KubeProxyConfiguration"]:
        s.remove(k)  # one kube-proxy configuration per cluster


def admit_service(settings: ClusterSettings, s: Store, svc: Service) -> None:
    """ClusterIP(s), NodePorts and healthCheckNodePort: kept, checked or allocated."""
    owner = f"{svc.namespace}/{svc.name}"
    old = s.objects.get(svc.key)
    spec = svc.spec
    old_ips = old.spec.cluster_ips if isinstance(old, Service) else []
    if isinstance(old, Service) and svc.status.load_balancer is None:
        # status is a subresource: an update of the spec keeps what the cloud wrote
        svc.status.load_balancer = copy.deepcopy(old.status.load_balancer)
    if spec.type != "ExternalName" and spec.cluster_ip != "None":
        check_ip_families(settings, svc)
    if spec.type == "ExternalName":
        pass
    elif spec.cluster_ip == "None":
        pass
    elif spec.cluster_ips:
        if old_ips and old_ips != spec.cluster_ips:
            _reject(svc, FieldError.invalid("spec.clusterIPs[0]", spec.cluster_ips[0], "field is immutable"))
        for ip in spec.cluster_ips:
            try:
                s.ips.allocate_specific(ip, owner)
            except AllocationError as exc:
                _reject(svc, FieldError.invalid("spec.clusterIPs", spec.cluster_ips, str(exc)))
    elif old_ips:
        spec.cluster_ips, spec.cluster_ip = list(old_ips), old_ips[0]
    else:
        try:
            ip = s.ips.allocate_next(owner)
        except AllocationError as exc:
            _reject(svc, FieldError.invalid("spec.clusterIPs", [], str(exc)))
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
                _reject(svc, FieldError.invalid(f"spec.ports[{i}].nodePort", p.node_port, str(exc)))
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
                    _reject(svc, FieldError.invalid(f"spec.ports[{i}].nodePort", 0, str(exc)))
        if p.node_port:
            by_number.setdefault(p.port, p.node_port)
    if spec.type == "LoadBalancer" and spec.external_traffic_policy == "Local":
        if spec.health_check_node_port:
            try:
                s.ports.allocate_specific(spec.health_check_node_port, owner)
            except AllocationError as exc:
                _reject(svc, FieldError.invalid("spec.healthCheckNodePort", spec.health_check_node_port, str(exc)))
        else:
            spec.health_check_node_port = s.ports.allocate_next(owner, "healthcheck")
    elif spec.health_check_node_port:
        _reject(svc, FieldError.invalid("spec.healthCheckNodePort", spec.health_check_node_port,
                                           "may only be set when `type` is 'LoadBalancer' and "
                                           "`externalTrafficPolicy` is 'Local'"))


def admit_pod(settings: ClusterSettings, s: Store, pod: Pod) -> None:
    """A pod is bound to its node (declared, added, or chosen by the scheduler) and started there."""
    old = s.objects.get(pod.key)
    if isinstance(old, Pod) and not pod.spec.node_name and old.spec.node_name:
        pod.spec.node_name = old.spec.node_name
        if not pod.status.pod_ip and old.status.pod_ip:
            pod.status.pod_ip, pod.status.pod_ips = old.status.pod_ip, list(old.status.pod_ips)
    if pod.spec.node_name:
        node = s.objects.get(("Node", "", pod.spec.node_name))
        if node is None:
            node = load(node_manifest(pod.spec.node_name, next_node_ip(s), False))[0]
            admit_node(settings, s, node)
            s.put(node)
            s.warnings.append(f"{pod.source or '<object>'}: {pod.ref}: spec.nodeName: node "
                              f"\"{pod.spec.node_name}\" is not declared; kubelab added it")
        conflict = host_port_conflict(s, pod, node.name)
        if conflict:
            pod.status.phase = "Failed"
            pod.status.extra["reason"] = "NodePorts"
            pod.status.extra["message"] = ("Pod was rejected: Predicate NodePorts failed: node(s) didn't have "
                                           "free ports for the requested pod ports")
            s.warnings.append(f"{pod.source or '<object>'}: {pod.ref}: rejected by kubelet on "
                              f"{node.name}: {conflict}")
    else:
        node = schedule(s, pod)
        if node is None:
            return
        pod.spec.node_name = node.name
    run_pod(s, pod, node)


#: kind -> its admission step (kinds without one are stored as they are)
_ADMIT: dict[str, Callable[[ClusterSettings, Store, Any], None]] = {
    "ServiceCIDR": admit_servicecidr, "Node": admit_node, "KubeProxyConfiguration": admit_kubeproxyconfiguration,
    "Service": admit_service, "Pod": admit_pod}


def remove(s: Store, obj: APIObject) -> None:
    """Delete ``obj`` from ``s``; a Service releases its ClusterIPs, NodePorts and load balancer address, and
    its Endpoints and EndpointSlices go with it (``releaseAllocatedResources`` in the service storage, then
    the endpoint controllers' cleanup)."""
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
