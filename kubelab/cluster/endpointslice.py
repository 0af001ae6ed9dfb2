"""The EndpointSlice controllers: slices for Services with selectors, and mirrored slices.

Upstream: ``pkg/controller/endpointslice`` (``reconciler.go``, ``utils.go``
``podToEndpoint``), ``staging/src/k8s.io/endpointslice/utils.go`` and
``pkg/controller/endpointslicemirroring``.  For a Service with a selector,
every matching pod that has an IP and is not terminal becomes an endpoint with
``conditions.ready`` (ready and not terminating, or always with
``publishNotReadyAddresses``), ``serving`` (ready) and ``terminating``;
``nodeName``, ``zone`` (the node's ``topology.kubernetes.io/zone`` label),
``hostname`` (when the pod's ``subdomain`` names the Service) and a
``targetRef``.  Endpoints are grouped by their resolved port set (a pod
lacking a named ``targetPort`` lands in a slice without that port) and packed
at most ``maxEndpointsPerSlice`` (100) to a slice.  Slices are labelled
``kubernetes.io/service-name`` and
``endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io``
and named ``<service>-<5 characters>`` (``generateName``).  For a Service
without a selector, user-written Endpoints are mirrored into slices managed by
``endpointslicemirroring-controller.k8s.io``.

Simplification: the random ``generateName`` suffix is derived from a hash (same
alphabet), so names are stable; the reconciler's reuse of partly filled slices
across updates is not modelled (slices are recomputed whole).
"""

from __future__ import annotations

import hashlib

from ..api import (Endpoint, EndpointConditions, Endpoints, EndpointSlice, EndpointSlicePort, ObjectMeta,
                   ObjectReference, Pod, Service)
from ..api.endpoints import MANAGED_BY_LABEL, MAX_ENDPOINTS_PER_SLICE, SERVICE_NAME_LABEL
from .endpoints import HEADLESS_LABEL, _selects
from .readiness import find_port, is_pod_ready, is_terminating, should_be_in_endpoints, should_set_hostname

__all__ = ["endpoint_slices_for", "mirrored_slices_for", "generate_name", "CONTROLLER", "MIRRORING_CONTROLLER"]

CONTROLLER = "endpointslice-controller.k8s.io"
MIRRORING_CONTROLLER = "endpointslicemirroring-controller.k8s.io"
#: ``k8s.io/apimachinery/pkg/util/rand`` alphabet (no vowels, no confusable characters).
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_MAX_GENERATED_NAME = 63 - 5


def generate_name(prefix: str, seed: str) -> str:
    """``SimpleNameGenerator``: prefix (cut to 58 characters) + 5 characters from the rand alphabet."""
    digest = hashlib.sha256(seed.encode()).digest()
    suffix = "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:5])
    return prefix[:_MAX_GENERATED_NAME] + suffix


def _address_type(ip: str) -> str:
    return "IPv6" if ":" in ip else "IPv4"


def _pack(svc_name: str, namespace: str, labels: dict[str, str], groups, seed: str) -> list[EndpointSlice]:
    slices = []
    for (ports, address_type), endpoints in groups.items():
        for start in range(0, max(len(endpoints), 1), MAX_ENDPOINTS_PER_SLICE):
            chunk = endpoints[start:start + MAX_ENDPOINTS_PER_SLICE]
            name = generate_name(f"{svc_name}-", f"{seed}/{namespace}/{svc_name}/{address_type}/{ports}/{start}")
            slices.append(EndpointSlice(
                metadata=ObjectMeta(name=name, namespace=namespace, labels=dict(labels)),
                address_type=address_type, endpoints=chunk,
                ports=[EndpointSlicePort(name=n, port=p, protocol=proto, app_protocol=ap)
                       for n, p, proto, ap in ports]))
    return slices


def endpoint_slices_for(svc: Service, pods: list[Pod], nodes: dict | None = None) -> list[EndpointSlice]:
    """The slices the EndpointSlice controller keeps for ``svc`` (empty list: none to keep)."""
    if not svc.spec.selector or svc.spec.type == "ExternalName":
        return []
    nodes = nodes or {}
    publish = bool(svc.spec.publish_not_ready_addresses)
    groups: dict[tuple, list[Endpoint]] = {}
    for pod in pods:
        if pod.namespace != svc.namespace or not _selects(svc, pod):
            continue
        if not should_be_in_endpoints(pod, include_terminating=True):
            continue
        ports = []
        for sp in svc.spec.ports:
            number = find_port(pod, sp.target_port, sp.protocol or "TCP")
            if number is not None:
                ports.append((sp.name or "", number, sp.protocol, sp.app_protocol))
        serving = is_pod_ready(pod)
        terminating = is_terminating(pod)
        node = nodes.get(pod.spec.node_name)
        zone = node.metadata.labels.get("topology.kubernetes.io/zone") if node is not None else None
        ip = pod.status.pod_ip or pod.status.pod_ips[0].ip
        ep = Endpoint(
            addresses=[ip],
            conditions=EndpointConditions(ready=publish or (serving and not terminating), serving=serving,
                                          terminating=terminating),
            hostname=pod.spec.hostname if should_set_hostname(pod, svc) else None,
            node_name=pod.spec.node_name, zone=zone,
            target_ref=ObjectReference(kind="Pod", namespace=pod.namespace, name=pod.name,
                                       uid=pod.metadata.extra.get("uid")))
        groups.setdefault((tuple(ports), _address_type(ip)), []).append(ep)
    if not groups:
        # The controller keeps one placeholder slice with no endpoints so that consumers see the Service.
        groups[((), "IPv4")] = []  # placeholder slice: no endpoints, no ports
    labels = dict(svc.metadata.labels)
    labels[SERVICE_NAME_LABEL] = svc.name
    labels[MANAGED_BY_LABEL] = CONTROLLER
    if svc.is_headless:
        labels[HEADLESS_LABEL] = ""
    return _pack(svc.name, svc.namespace, labels, groups, "slice")


def mirrored_slices_for(endpoints: Endpoints, svc: Service) -> list[EndpointSlice]:
    """Slices the mirroring controller writes for user-managed Endpoints of a selector-less Service."""
    if svc.spec.selector:
        return []
    groups: dict[tuple, list[Endpoint]] = {}
    for subset in endpoints.subsets:
        ports = tuple((p.name or "", p.port, p.protocol, p.app_protocol) for p in subset.ports)
        for ready, addrs in ((True, subset.addresses), (False, subset.not_ready_addresses)):
            for a in addrs:
                if not a.ip:
                    continue
                groups.setdefault((ports, _address_type(a.ip)), []).append(Endpoint(
                    addresses=[a.ip], conditions=EndpointConditions(ready=ready), hostname=a.hostname,
                    node_name=a.node_name, target_ref=a.target_ref))
    labels = {k: v for k, v in endpoints.metadata.labels.items()}
    labels[SERVICE_NAME_LABEL] = svc.name
    labels[MANAGED_BY_LABEL] = MIRRORING_CONTROLLER
    return _pack(endpoints.name, endpoints.namespace, labels, groups, "mirror")
