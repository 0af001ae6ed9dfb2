"""Host ports a pod claims on its node, and when two claims collide.

Upstream: the scheduler's ``NodePorts`` filter
(``pkg/scheduler/framework/plugins/nodeports/node_ports.go`` and
``framework.HostPortInfo``): a claim is (hostIP, protocol, hostPort); the
wildcard ``0.0.0.0`` (an empty hostIP) conflicts with every address of the
same protocol and port.  A ``hostNetwork`` pod's container ports are host
ports too (defaulting copies ``containerPort`` to ``hostPort``).

Examples
--------
>>> claims_conflict(("0.0.0.0", "TCP", 80), ("10.0.0.1", "TCP", 80))
True
>>> claims_conflict(("10.0.0.1", "TCP", 80), ("10.0.0.2", "TCP", 80))
False
"""

from __future__ import annotations

from ..api import Pod

__all__ = ["HostPortClaim", "host_port_claims", "claims_conflict"]

#: (hostIP, protocol, hostPort)
HostPortClaim = tuple[str, str, int]


def host_port_claims(pod: Pod) -> list[tuple[HostPortClaim, str]]:
    """Every host port the pod asks for, with the container that asks: ``[((ip, proto, port), container)]``."""
    out = []
    for c in pod.spec.all_containers():
        for p in c.ports:
            port = p.host_port or (p.container_port if pod.spec.host_network else None)
            if port:
                out.append(((p.host_ip or "0.0.0.0", p.protocol or "TCP", port), c.name or ""))
    return out


def claims_conflict(a: HostPortClaim, b: HostPortClaim) -> bool:
    (ip_a, proto_a, port_a), (ip_b, proto_b, port_b) = a, b
    if proto_a != proto_b or port_a != port_b:
        return False
    return ip_a == ip_b or "0.0.0.0" in (ip_a, ip_b)
