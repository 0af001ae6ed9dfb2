"""Packets and connections as the kernel's conntrack sees them.

Upstream: ``include/net/netfilter/nf_conntrack_tuple.h`` (a connection is the
5-tuple of its first packet; the reply tuple is its mirror after NAT) and
``nf_nat_core.c`` (DNAT rewrites the destination of the original direction,
SNAT/MASQUERADE the source).

Examples
--------
>>> p = Packet("10.244.1.2", 40000, "10.96.0.10", 53, "UDP")
>>> p.tuple
('UDP', '10.244.1.2', 40000, '10.96.0.10', 53)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["Packet"]


@dataclass
class Packet:
    """The header fields netfilter looks at, plus the skb mark."""

    src: str
    sport: int
    dst: str
    dport: int
    proto: str = "TCP"
    mark: int = 0
    dnat: bool = False  # conntrack status IPS_DST_NAT (the ``DNAT`` ctstate)

    @property
    def tuple(self) -> tuple[str, str, int, str, int]:
        return (self.proto, self.src, self.sport, self.dst, self.dport)

    def copy(self, **changes) -> "Packet":
        return replace(self, **changes)

    def __str__(self) -> str:
        return f"{self.proto} {self.src}:{self.sport} -> {self.dst}:{self.dport}"
