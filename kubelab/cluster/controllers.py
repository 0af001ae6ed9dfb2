"""The controllers that write objects after every apply or delete.

Upstream (Kubernetes v1.31): ``pkg/controller/endpoint`` (Endpoints,
:mod:`kubelab.cluster.endpoints`), ``pkg/controller/endpointslice`` and
``endpointslicemirroring`` (:mod:`kubelab.cluster.endpointslice`), the API
server's endpoint reconciler for ``default/kubernetes``
(``pkg/controlplane/reconcilers``) and a cloud provider's service controller
(``k8s.io/cloud-provider/controllers/service``; a simulated cloud,
:mod:`kubelab.cluster.loadbalancer`).

Simplification: the controllers run to completion inside the apply that
changed something, so an apply returns a settled cluster (no reconcile delay).
"""

from __future__ import annotations

import copy

from ..api import (APIObject, Endpoint, EndpointAddress, EndpointConditions, EndpointPort, Endpoints, EndpointSlice,
                   EndpointSlicePort, EndpointSubset, Node, ObjectMeta, Pod, Service)
from ..api.endpoints import MANAGED_BY_LABEL, SERVICE_NAME_LABEL
from ..api.service import LoadBalancerIngress, LoadBalancerStatus
from .endpoints import endpoints_for
from .endpointslice import CONTROLLER, MIRRORING_CONTROLLER, endpoint_slices_for, mirrored_slices_for
from .store import Store
from .system import control_plane_name

__all__ = ["run_controllers", "service_controller"]


def run_controllers(s: Store) -> None:
    """One pass of the controllers over ``s``: the cloud's service controller, then per Service its
    Endpoints and EndpointSlices (selector Services), mirrored slices (Services without a selector)
    or the API server's own endpoints (``default/kubernetes``)."""
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
    service_controller(s)
    for svc in s.of_kind("Service"):
        assert isinstance(svc, Service)
        ep_key = ("Endpoints", svc.namespace, svc.name)
        managed = managed_by_service.get((svc.namespace, svc.name), [])
        if svc.key == kubernetes_key and not svc.spec.selector:
            apiserver_endpoints(s, svc, nodes)
            continue
        if svc.spec.selector:
            groups = [by_label.get((svc.namespace, k, v), []) for k, v in svc.spec.selector.items()]
            candidates = min(groups, key=len)
            ep = endpoints_for(svc, candidates)
            slices = endpoint_slices_for(svc, candidates, nodes)
            if ep is not None:
                replace(s, ep_key, ep)
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
            replace(s, sl.key, sl)


def service_controller(s: Store) -> None:
    """The simulated cloud's service controller (:mod:`kubelab.cluster.loadbalancer`)."""
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


def replace(s: Store, key: tuple[str, str, str], obj: APIObject) -> None:
    """Store a controller's object unless the stored one is the same (no event, no new revision of the kind)."""
    obj.default()
    old = s.objects.get(key)
    if old is not None and old.to_dict() == obj.to_dict():
        return
    s.put(obj)


def apiserver_endpoints(s: Store, svc: Service, nodes: dict[str, Node]) -> None:
    """The endpoint reconciler's ``default/kubernetes`` Endpoints and EndpointSlice: the control plane's 6443."""
    cp = nodes.get(control_plane_name(list(nodes.values())))
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
    replace(s, ep.key, ep)
    replace(s, sl.key, sl)
