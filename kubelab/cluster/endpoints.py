"""The Endpoints controller: one ``Endpoints`` object per Service with a selector.

Upstream: ``pkg/controller/endpoint/endpoints_controller.go`` (``syncService``,
``addEndpointSubset``) and ``pkg/api/v1/endpoints/util.go`` (``RepackSubsets``).
Pods are matched by the Service's selector in its namespace; a pod with a
resolved port goes to ``addresses`` when ready, else to ``notReadyAddresses``
(to ``addresses`` with ``publishNotReadyAddresses``); a named ``targetPort``
is resolved per pod and a pod lacking that port is left out for that port;
terminating pods are left out unless ``publishNotReadyAddresses``.  A headless
Service without ports gets addresses with no ports.  Subsets are repacked:
addresses that share the same port set form one subset, addresses and ports
sorted as ``RepackSubsets`` sorts them.

Simplification: the ``endpoints.kubernetes.io/last-change-trigger-time``
annotation is not written (it is a timestamp, and models are deterministic).

Examples
--------
>>> from kubelab import Cluster
>>> c = Cluster('''
... apiVersion: v1
... kind: Service
... metadata: {name: web}
... spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
... ---
... apiVersion: v1
... kind: Pod
... metadata: {name: web-1, labels: {app: web}}
... spec: {containers: [{name: c, image: nginx}]}
... ''')
>>> ep = c.get("endpoints", "web")
>>> [a.ip for a in ep.subsets[0].addresses], ep.subsets[0].ports[0].port
(['10.244.1.2'], 8080)
"""

from __future__ import annotations

import ipaddress

from ..api import (EndpointAddress, EndpointPort, Endpoints, EndpointSubset, ObjectMeta, ObjectReference, Pod,
                   Service)
from .readiness import find_port, is_pod_ready, should_be_in_endpoints, should_set_hostname

__all__ = ["endpoints_for", "HEADLESS_LABEL"]

HEADLESS_LABEL = "service.kubernetes.io/headless"


def _address(pod: Pod, svc: Service) -> EndpointAddress:
    return EndpointAddress(
        ip=pod.status.pod_ip,
        hostname=pod.spec.hostname if should_set_hostname(pod, svc) else None,
        node_name=pod.spec.node_name,
        target_ref=ObjectReference(kind="Pod", namespace=pod.namespace, name=pod.name,
                                   uid=pod.metadata.extra.get("uid")),
    )


def _ip_key(a: EndpointAddress) -> tuple:
    try:
        return (0, ipaddress.ip_address(a.ip or ""))
    except ValueError:
        return (1, a.ip)


def endpoints_for(svc: Service, pods: list[Pod]) -> Endpoints | None:
    """The Endpoints object the controller writes for ``svc``, or ``None`` if it writes none."""
    if not svc.spec.selector or svc.spec.type == "ExternalName":
        return None
    publish = bool(svc.spec.publish_not_ready_addresses)
    # port-set key -> (ports, ready addresses, not-ready addresses)
    groups: dict[tuple, tuple[list[EndpointPort], list[EndpointAddress], list[EndpointAddress]]] = {}

    def add(ports: list[EndpointPort], addr: EndpointAddress, ready: bool) -> None:
        key = tuple((p.name or "", p.port, p.protocol) for p in ports)
        entry = groups.setdefault(key, (ports, [], []))
        (entry[1] if ready else entry[2]).append(addr)

    for pod in pods:
        if pod.namespace != svc.namespace or not _selects(svc, pod):
            continue
        if not should_be_in_endpoints(pod, publish):
            continue
        ready = publish or is_pod_ready(pod)
        addr = _address(pod, svc)
        if not svc.spec.ports and svc.is_headless:
            add([], addr, ready)
            continue
        for sp in svc.spec.ports:
            number = find_port(pod, sp.target_port, sp.protocol or "TCP")
            if number is None:
                continue  # the controller logs "Failed to find port for service" and skips
            add([EndpointPort(name=sp.name, port=number, protocol=sp.protocol, app_protocol=sp.app_protocol)],
                addr, ready)
    subsets = _repack(groups)
    labels = dict(svc.metadata.labels)
    if svc.is_headless:
        labels[HEADLESS_LABEL] = ""
    return Endpoints(metadata=ObjectMeta(name=svc.name, namespace=svc.namespace, labels=labels), subsets=subsets)


def _selects(svc: Service, pod: Pod) -> bool:
    return all(pod.metadata.labels.get(k) == v for k, v in svc.spec.selector.items())


def _repack(groups) -> list[EndpointSubset]:
    """``RepackSubsets``: merge per-port entries of the same addresses into one subset."""
    # address identity -> set of ports (ready flag kept per port group)
    by_addrs: dict[tuple, tuple[list[EndpointAddress], list[EndpointAddress], list[EndpointPort]]] = {}
    addr_ports: dict[tuple[str, bool], list[EndpointPort]] = {}
    addr_obj: dict[tuple[str, bool], EndpointAddress] = {}
    for ports, ready, not_ready in groups.values():
        for flag, addrs in ((True, ready), (False, not_ready)):
            for a in addrs:
                k = (a.ip or "", flag)
                addr_obj.setdefault(k, a)
                addr_ports.setdefault(k, []).extend(ports)
    for k, ports in addr_ports.items():
        pkey = tuple(sorted((p.name or "", p.port or 0, p.protocol or "") for p in ports))
        entry = by_addrs.setdefault(pkey, ([], [], sorted(ports, key=lambda p: (p.name or "", p.port or 0))))
        (entry[0] if k[1] else entry[1]).append(addr_obj[k])
    subsets = []
    for ready, not_ready, ports in by_addrs.values():
        subsets.append(EndpointSubset(addresses=sorted(ready, key=_ip_key),
                                      not_ready_addresses=sorted(not_ready, key=_ip_key), ports=ports))
    subsets.sort(key=lambda s: [(p.name or "", p.port) for p in s.ports])
    return subsets
