"""The scheduler: which node a pod without ``spec.nodeName`` runs on.

Upstream: ``pkg/scheduler/framework/plugins`` (Kubernetes v1.31), the filters
``NodeUnschedulable``, ``TaintToleration`` (``NoSchedule``/``NoExecute`` taints
need a matching toleration), ``NodeAffinity`` for ``nodeSelector`` and
``NodePorts`` (host ports, :mod:`kubelab.cluster.hostports`); a pod no node fits
stays ``Pending`` with the scheduler's ``0/N nodes are available: ...`` message.

Simplifications: scoring is replaced by "fewest pods, then node order" (which
spreads pods as kind's scheduler roughly does); a pod that reports where it runs
(``status.hostIP``, or a ``status.podIP`` inside a node's pod CIDR) stays there.
"""

from __future__ import annotations

import ipaddress

from ..api import Node, Pod
from ..api.pod import PodCondition
from .hostports import claims_conflict, host_port_claims
from .store import Store

__all__ = ["schedule", "host_port_conflict"]


def schedule(s: Store, pod: Pod) -> Node | None:
    """The node for ``pod``, or ``None`` (the pod is then Pending, with the scheduler's message in a warning)."""
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
            elif host_port_conflict(s, pod, n.name):
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


def host_port_conflict(s: Store, pod: Pod, node_name: str) -> str | None:
    """Why ``pod``'s host ports clash with a running pod's on ``node_name``, or ``None``."""
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
