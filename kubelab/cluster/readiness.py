"""When a pod counts as ready, running, terminating, and which port a Service's targetPort names.

Upstream: ``k8s.io/kubernetes/pkg/api/v1/pod/util.go`` (``IsPodReady``,
``FindPort``) and ``pkg/controller/util/endpoint/controller_utils.go``
(``ShouldPodBeInEndpoints``, ``ShouldSetHostname``).

Examples
--------
>>> from kubelab.api import load_text
>>> pod = load_text('''
... apiVersion: v1
... kind: Pod
... metadata: {name: p}
... spec: {containers: [{name: c, image: nginx, ports: [{name: http, containerPort: 8080}]}]}
... status: {phase: Running, podIP: 10.244.1.5}
... ''')[0]
>>> is_pod_ready(pod), find_port(pod, "http", "TCP"), find_port(pod, "http", "UDP")
(True, 8080, None)
"""

from __future__ import annotations

from ..api import Pod, Service

__all__ = ["is_pod_ready", "is_terminating", "is_terminal", "find_port", "should_be_in_endpoints",
           "should_set_hostname"]


def is_terminal(pod: Pod) -> bool:
    return pod.status.phase in ("Failed", "Succeeded")


def is_terminating(pod: Pod) -> bool:
    return bool(pod.metadata.extra.get("deletionTimestamp"))


def is_pod_ready(pod: Pod) -> bool:
    """``IsPodReady``: the Ready condition if the pod reports one; else running with an IP.

    kubelab departs from upstream only where a manifest gives no status at
    all: such a pod, once scheduled, is taken to be running and ready (docs/design.md, "The cluster").
    """
    if is_terminal(pod):
        return False
    for c in pod.status.conditions:
        if c.type == "Ready":
            return c.status == "True"
    return pod.status.phase in (None, "Running") and bool(pod.status.pod_ip)


def find_port(pod: Pod, target_port: int | str | None, protocol: str) -> int | None:
    """``FindPort``: a number is used as is; a name is looked up among the pod's container ports."""
    if isinstance(target_port, int):
        return target_port
    for c in pod.spec.containers:
        for p in c.ports:
            if p.name == target_port and (p.protocol or "TCP") == protocol:
                return p.container_port
    return None


def should_be_in_endpoints(pod: Pod, include_terminating: bool) -> bool:
    if is_terminal(pod):
        return False
    if not pod.status.pod_ip and not pod.status.pod_ips:
        return False
    if not include_terminating and is_terminating(pod):
        return False
    return True


def should_set_hostname(pod: Pod, svc: Service) -> bool:
    return bool(pod.spec.hostname) and pod.spec.subdomain == svc.name and pod.namespace == svc.namespace
