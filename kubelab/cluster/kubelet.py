"""kubelet's part: a scheduled pod starts, gets its address from the CNI plugin and reports its status.

Upstream: kubelet's sandbox creation (``pkg/kubelet/kuberuntime``: the runtime
calls the CNI plugin's ADD, here host-local IPAM: its allocator,
:mod:`kubelab.util.ipranges`, is the one :mod:`kubelab.cni.ipam.host_local` runs
and ``tests/cni/test_host_local_real.py`` checks against the real binary) and its status manager (``status.podIP``,
``podIPs``, ``hostIP``, phase, the five conditions of a started pod).  A pod on
the host network reports its node's address.  A full range leaves the pod
``Pending`` with host-local's message, as a real pod stays in
``ContainerCreating`` when its sandbox cannot be created.

Simplifications: containers start at once and stay up (no image pulls,
probes, restarts); the CNI ADD is only host-local's address (the interfaces
and routes are the CNI plugin models', :mod:`kubelab.cni.plugins`).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..api import Node, Pod
from ..api.pod import PodCondition, PodIP
from ..errors import FieldError, ValidationError
from ..util.ipranges import PluginError, allocate_in_subnet
from .store import Store, network

__all__ = ["run_pod", "check_pod_ip", "allocate_pod_ip"]


def run_pod(s: Store, pod: Pod, node: Node) -> None:
    """Start ``pod`` on ``node``: host IP, pod IP (the node's address on the host network, else
    host-local's), phase ``Running`` and the conditions of a started pod."""
    st = pod.status
    st.host_ip = st.host_ip or node.internal_ip
    if pod.spec.host_network:
        st.pod_ip = st.pod_ip or node.internal_ip
    elif not st.pod_ip and st.phase in (None, "Running"):
        st.pod_ip = allocate_pod_ip(s, pod, node)
        if st.pod_ip is None:
            return
    elif st.pod_ip and not pod.spec.host_network:
        check_pod_ip(s, pod, node)
    if st.pod_ip and not st.pod_ips:
        st.pod_ips = [PodIP(ip=st.pod_ip)]
    if st.phase is None:
        st.phase = "Running"
        if not st.conditions:
            st.conditions = [PodCondition(type=t, status="True") for t in
                             ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                              "PodScheduled")]


def check_pod_ip(s: Store, pod: Pod, node: Node) -> None:
    """A pod IP written in the manifest: refused if another pod has it, a warning if it is outside the node's range."""
    ip = pod.status.pod_ip
    other = s.pod_ips.get(ip)
    if other is not None and other != pod.key:
        raise ValidationError([FieldError.invalid("status.podIP", ip, f"already in use by {s.objects[other].ref}")],
                              source=pod.source, obj=pod.ref)
    cidrs = [ipaddress.ip_network(c, strict=False) for c in node.spec.pod_cidrs]
    if cidrs and not any(ipaddress.ip_address(ip) in c for c in cidrs):
        s.warnings.append(f"{pod.source or '<object>'}: {pod.ref}: status.podIP {ip} is outside the pod CIDR "
                          f"{', '.join(map(str, cidrs))} of node {node.name} (accepted, as the API server "
                          "accepts what kubelet reports)")


def allocate_pod_ip(s: Store, pod: Pod, node: Node) -> str | None:
    """kubelet's CNI ADD on ``node``: host-local hands out the pod's address
    (:func:`kubelab.util.ipranges.allocate_in_subnet`, host-local's allocator, over :class:`_NodeAddresses`).

    When the node's range is full the pod stays Pending without an IP, as a real pod stays in
    ContainerCreating when its CNI plugin fails; the warning carries host-local's message.
    """
    try:
        ip = allocate_in_subnet(str(network(node.spec.pod_cidrs[0])), f"{pod.namespace}/{pod.name}", "eth0",
                                _NodeAddresses(s, node.name, pod.key))
    except PluginError as exc:
        pod.status.phase = "Pending"
        s.warnings.append(f"{pod.source or '<object>'}: {pod.ref}: FailedCreatePodSandBox on {node.name}: {exc}")
        return None
    return str(ip)



class _NodeAddresses:
    """host-local's store for one node's pod network, read from the cluster's store.

    host-local keeps one file per address it handed out and ``last_reserved_ip.0``
    (``backend/disk/backend.go``); here an address is taken when a pod (not on the host network)
    has it, whichever node it runs on, and the last reserved address is kept per node.  Each pod
    admission is a new sandbox, so no address is held by its container ID yet.
    """

    def __init__(self, s: Store, node: str, pod_key: tuple[str, str, str]):
        self.s, self.node, self.pod_key = s, node, pod_key

    def __enter__(self) -> "_NodeAddresses":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def reserve(self, cid: str, ifname: str, ip: Any, range_id: str) -> bool:
        if self.s.pod_ips.get(str(ip), self.pod_key) != self.pod_key:
            return False
        self.s.ipam_last[self.node] = ip
        return True

    def last_reserved_ip(self, range_id: str) -> Any:
        return self.s.ipam_last.get(self.node)

    def get_by_id(self, cid: str, ifname: str) -> list:
        return []
