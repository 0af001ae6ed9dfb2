"""ClusterIP and NodePort allocation, as the API server's service REST storage does it.

Upstream: ``pkg/registry/core/service/ipallocator`` and
``pkg/registry/core/service/portallocator`` with the range split of KEP-3070
(ClusterIP) and KEP-3668 (NodePort): the lower part of each range is kept for
values written in manifests (static), dynamic allocation starts in the upper
part and falls back to the lower part when it is full.  The band sizes use
the upstream formula ``min(max(16, size/step), max)`` (step 16 and max 256 for
IPs, step 32 and max 128 for ports), and no static band at all for a range of
16 values or fewer (``calculateRangeOffset`` in ``ipallocator/ipallocator.go``
and ``portallocator/allocator.go``, Kubernetes v1.31: ``if rangeSize <= min
{ return 0 }``), so ``--service-node-port-range 30080-30080`` hands out 30080.  Messages are those of the allocators:
``provided IP is already allocated``, ``provided port is not in the valid
range. The range of valid ports is 30000-32767``.

Simplification: upstream picks a random start inside the dynamic band; kubelab
starts at a position derived from a SHA-256 of the owner's name and scans
forward, so the same manifests always give the same addresses (docs/design.md).

Examples
--------
>>> ips = ClusterIPAllocator(["10.96.0.0/12"])
>>> ips.allocate_specific("10.96.0.10", "kube-system/kube-dns")
>>> ips.allocate_specific("10.96.0.10", "default/web")
Traceback (most recent call last):
...
kubelab.cluster.allocator.AllocationError: failed to allocate IP 10.96.0.10: provided IP is already allocated
>>> ips.allocate_next("default/web") == ips.allocate_next("default/web")  # not idempotent: a new IP
False
"""

from __future__ import annotations

import hashlib
import ipaddress

__all__ = ["ClusterIPAllocator", "NodePortAllocator", "AllocationError", "band_offset"]


class AllocationError(Exception):
    """An allocation failed; the message is the allocator's (the caller adds the field path)."""


def band_offset(size: int, step: int, maximum: int, minimum: int = 16) -> int:
    """Size of the static (lower) band of a range of ``size`` values (KEP-3070 / KEP-3668).

    Upstream's ``calculateRangeOffset``: 0 for a range of ``minimum`` values or
    fewer, else ``min(max(minimum, size // step), maximum)``.

    >>> band_offset(1, 32, 128), band_offset(16, 32, 128), band_offset(17, 32, 128), band_offset(2768, 32, 128)
    (0, 0, 16, 86)
    >>> band_offset(2 ** 20, 16, 256), band_offset(16, 16, 256)
    (256, 0)
    """
    if size <= minimum:
        return 0
    return min(max(minimum, size // step), maximum)


def _scan(offset: int, dynamic: int, start: int):
    """Indexes to try: the dynamic band from ``start`` (wrapping), then the static band."""
    for i in range(dynamic):
        yield offset + (start + i) % dynamic
    yield from range(offset)


def _seed(owner: str, salt: str = "") -> int:
    return int.from_bytes(hashlib.sha256(f"{owner}{salt}".encode()).digest()[:8], "big")


class ClusterIPAllocator:
    """Allocates Service ClusterIPs from one or more service CIDRs (the first is the primary)."""

    def __init__(self, cidrs: list[str]):
        self.networks = [ipaddress.ip_network(c) for c in cidrs]
        self.used: dict[str, str] = {}  # ip -> owner

    def add_range(self, cidr: str) -> None:
        net = ipaddress.ip_network(cidr)
        if net not in self.networks:
            self.networks.append(net)

    def _range_text(self) -> str:
        return ", ".join(str(n) for n in self.networks)

    def contains(self, ip: str) -> bool:
        addr = ipaddress.ip_address(ip)
        return any(addr in n and addr not in (n.network_address, n.broadcast_address) for n in self.networks)

    def allocate_specific(self, ip: str, owner: str) -> None:
        if not self.contains(ip):
            raise AllocationError(f"failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. "
                                  f"The range of valid IPs is {self._range_text()}")
        if self.used.get(ip, owner) != owner:
            raise AllocationError(f"failed to allocate IP {ip}: provided IP is already allocated")
        self.used[ip] = owner

    def allocate_next(self, owner: str) -> str:
        for net in self.networks:
            size = net.num_addresses
            usable = size - 2 if net.version == 4 else size - 1
            if usable <= 0:
                continue
            offset = min(band_offset(size, 16, 256), usable)
            dynamic = usable - offset
            start = _seed(owner, str(len(self.used))) % dynamic if dynamic > 0 else 0
            for idx in _scan(offset, dynamic, start):
                ip = str(net[1 + idx])
                if ip not in self.used:
                    self.used[ip] = owner
                    return ip
        raise AllocationError("failed to allocate a serviceIP: range is full")

    def release(self, ip: str) -> None:
        self.used.pop(ip, None)


class NodePortAllocator:
    """Allocates NodePorts (and healthCheckNodePorts) from the service node port range."""

    def __init__(self, port_range: tuple[int, int]):
        self.lo, self.hi = port_range
        self.used: dict[int, str] = {}  # port -> owner (namespace/name)

    def _range_text(self) -> str:
        return f"{self.lo}-{self.hi}"

    def allocate_specific(self, port: int, owner: str) -> None:
        if not self.lo <= port <= self.hi:
            raise AllocationError(f"provided port is not in the valid range. The range of valid ports is "
                                  f"{self._range_text()}")
        if self.used.get(port, owner) != owner:
            raise AllocationError("provided port is already allocated")
        self.used[port] = owner

    def allocate_next(self, owner: str, salt: str = "") -> int:
        size = self.hi - self.lo + 1
        offset = band_offset(size, 32, 128)
        dynamic = size - offset
        start = _seed(owner, salt) % dynamic if dynamic > 0 else 0
        for idx in _scan(offset, dynamic, start):
            port = self.lo + idx
            if port not in self.used:
                self.used[port] = owner
                return port
        raise AllocationError("range is full")

    def release(self, port: int) -> None:
        self.used.pop(port, None)
