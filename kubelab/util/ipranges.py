"""host-local's address ranges and the order it hands addresses out in.

Upstream: containernetworking/plugins v1.1.1 ``plugins/ipam/host-local/backend/allocator``:
``range.go`` (``Range.Canonicalize``: gateway default network+1; rangeStart default
network+1; rangeEnd default broadcast-1 for IPv4, the last address for IPv6; the
"too small" and "host bits set" errors), ``range_set.go`` (one family, no overlaps)
and ``allocator.go`` (``IPAllocator.Get`` and ``RangeIter``: start after the last
reserved address, skip the gateway, give up on coming back to the start).

Two users, one algorithm: the host-local plugin model
(:mod:`kubelab.cni.ipam.host_local`: configuration, stores on disk or in memory,
cmdAdd/cmdDel/cmdCheck, compared byte for byte with the real binary in
``tests/cni/test_host_local_real.py``) and kubelet's pod addresses in the cluster
(:mod:`kubelab.cluster.kubelet`, with the store as host-local's backend).  It
imports nothing from kubelab, so the cluster can use it without the CNI package
above it.

Examples
--------
>>> rs = RangeSet.from_json([{"subnet": "10.1.2.0/29"}])
>>> str(rs), str(rs[0].gateway)
('10.1.2.1-10.1.2.6', '10.1.2.1')
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from typing import Any

__all__ = ["PluginError", "Address", "Range", "RangeSet", "parse_ip", "parse_cidr", "next_free",
           "allocate_in_subnet", "range_failure"]


class PluginError(Exception):
    """A plain error returned by a CNI plugin's cmdAdd/cmdDel/cmdCheck (skel turns it into code 999).

    Defined here, with the ranges that raise it most; :mod:`kubelab.cni.skel` exports the same class.
    """


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(text: Any, what: str = "IP") -> Address:
    if not isinstance(text, str):
        raise PluginError(f"json: cannot unmarshal {type(text).__name__} into Go value of type net.IP")
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise PluginError(f"invalid IP address: {text}") from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        return addr.ipv4_mapped  # canonicalizeIP: To4() first
    return addr


def parse_cidr(text: Any) -> tuple[Address, ipaddress.IPv4Network | ipaddress.IPv6Network]:
    if not isinstance(text, str):
        raise PluginError(f"json: cannot unmarshal {type(text).__name__} into Go value of type string")
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError:
        raise PluginError(f"invalid CIDR address: {text}") from None
    return iface.ip, iface.network


@dataclass
class Range:
    """One ``{"subnet", "rangeStart", "rangeEnd", "gateway"}`` after ``Range.Canonicalize``."""

    subnet_ip: Address
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    range_start: Address
    range_end: Address
    gateway: Address

    @classmethod
    def from_json(cls, raw: dict) -> "Range":
        if not isinstance(raw, dict):
            raise PluginError("json: cannot unmarshal into Go struct field of type allocator.Range")
        ip, net = parse_cidr(raw.get("subnet", ""))
        if net.prefixlen > net.max_prefixlen - 2:
            raise PluginError(f"Network {ip}/{net.prefixlen} too small to allocate from")
        if ip != net.network_address:
            raise PluginError(f"Network has host bits set. For a subnet mask of length {net.prefixlen} the network "
                              f"address is {net.network_address}")
        gateway = parse_ip(raw["gateway"]) if raw.get("gateway") else net.network_address + 1
        r = cls(ip, net, net.network_address + 1, net.broadcast_address - (1 if net.version == 4 else 0), gateway)
        if raw.get("rangeStart"):
            start = parse_ip(raw["rangeStart"])
            if not r._in_subnet(start):
                raise PluginError(f"RangeStart {start} not in network {ip}/{net.prefixlen}")
            r.range_start = start
        if raw.get("rangeEnd"):
            end = parse_ip(raw["rangeEnd"])
            if not r._in_subnet(end) or end < r.range_start:
                raise PluginError(f"RangeEnd {end} not in network {ip}/{net.prefixlen}")
            r.range_end = end
        return r

    def _in_subnet(self, addr: Address) -> bool:
        return addr.version == self.network.version and addr in self.network

    def contains(self, addr: Address) -> bool:
        return self._in_subnet(addr) and self.range_start <= addr <= self.range_end

    def overlaps(self, other: "Range") -> bool:
        if self.network.version != other.network.version:
            return False
        return (self.contains(other.range_start) or self.contains(other.range_end)
                or other.contains(self.range_start) or other.contains(self.range_end))

    def __str__(self) -> str:
        return f"{self.range_start}-{self.range_end}"


class RangeSet(list):
    """A list of ranges of one address family; an address comes from exactly one of them."""

    @classmethod
    def from_json(cls, raw: Any) -> "RangeSet":
        if not isinstance(raw, list):
            raise PluginError("json: cannot unmarshal object into Go value of type allocator.RangeSet")
        if not raw:
            raise PluginError("empty range set")
        rs = cls()
        for item in raw:
            r = Range.from_json(item)
            if rs and rs[0].network.version != r.network.version:
                raise PluginError("mixed address families")
            rs.append(r)
        for i, r1 in enumerate(rs):
            for r2 in rs[i + 1:]:
                if r1.overlaps(r2):
                    raise PluginError(f"subnets {r1} and {r2} overlap")
        return rs

    def range_for(self, addr: Address) -> Range:
        for r in self:
            if r.contains(addr):
                return r
        raise PluginError(f"{addr} not in range set {self}")

    def contains(self, addr: Address) -> bool:
        return any(r.contains(addr) for r in self)

    def overlaps(self, other: "RangeSet") -> bool:
        return any(r.overlaps(r1) for r in self for r1 in other)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self)


class _RangeIter:
    """``allocator.RangeIter``, with its exact order (and its recursion to skip the gateway)."""

    def __init__(self, rangeset: RangeSet, last: Address | None):
        self.rs, self.idx, self.cur, self.start = rangeset, 0, None, None
        if last is not None and rangeset.contains(last):
            for i, r in enumerate(rangeset):
                if r.contains(last):
                    self.idx, self.cur = i, last
                    break
        else:
            self.start = rangeset[0].range_start

    def next(self) -> tuple[Address, Range] | None:
        while True:
            r = self.rs[self.idx]
            if self.cur is None:
                self.cur = self.start = r.range_start
                if self.cur == r.gateway:
                    continue
                return self.cur, r
            if self.cur == r.range_end:
                self.idx = (self.idx + 1) % len(self.rs)
                r = self.rs[self.idx]
                self.cur = r.range_start
            else:
                self.cur = self.cur + 1
            if self.start is None:
                self.start = self.cur
            elif self.cur == self.start:
                return None
            if self.cur == r.gateway:
                continue
            return self.cur, r


def next_free(net: Any, rangeset: RangeSet, range_id: str, cid: str, ifname: str) -> tuple[Address, Range]:
    """``IPAllocator.Get`` without a requested address: no second address for the same container, then
    the first address from the range iterator (after ``last_reserved_ip``) that the store reserves."""
    for ip in net.get_by_id(cid, ifname):
        if rangeset.contains(ip):
            raise PluginError(f"{ip} has been allocated to {cid}, duplicate allocation is not allowed")
    it = _RangeIter(rangeset, net.last_reserved_ip(range_id))
    while True:
        nxt = it.next()
        if nxt is None:
            raise PluginError(f"no IP addresses available in range set: {rangeset}")
        if net.reserve(cid, ifname, nxt[0], range_id):
            return nxt


@functools.lru_cache(maxsize=16384)  # one per node pod CIDR: room for 8,192 /24s and more
def _subnet_range_set(subnet: str) -> RangeSet:
    return RangeSet.from_json([{"subnet": subnet}])


def allocate_in_subnet(subnet: str, container_id: str, ifname: str, net: Any) -> Address:
    """What :func:`kubelab.cni.ipam.host_local.allocate` does for ``{"ipam": {"type": "host-local", "ranges": [[{"subnet": subnet}]]}}``
    (one range set, nothing requested, no routes), with the parsed range set kept between calls:
    the address host-local hands out, from the already opened store ``net``.

    This is the path kubelab's cluster takes for every pod IP (kubelet's CNI ADD on the pod's node),
    so it costs a few microseconds instead of a configuration parse.  Errors are ``allocate``'s.

    >>> from kubelab.cni.ipam.host_local import MemoryStore
    >>> net = MemoryStore().open("n")
    >>> str(allocate_in_subnet("10.1.2.0/30", "c1", "eth0", net))
    '10.1.2.2'
    >>> try:
    ...     allocate_in_subnet("10.1.2.0/30", "c2", "eth0", net)
    ... except PluginError as exc:
    ...     print(exc)
    failed to allocate for range 0: no IP addresses available in range set: 10.1.2.1-10.1.2.2
    """
    try:
        rangeset = _subnet_range_set(subnet)
        with net:
            return next_free(net, rangeset, "0", container_id, ifname)[0]
    except PluginError as exc:
        raise range_failure(0, exc) from None


def range_failure(index: int, exc: Exception) -> PluginError:
    """cmdAdd's error for range set ``index``: ``failed to allocate for range 0: ...``."""
    return PluginError(f"failed to allocate for range {index}: {exc}")
