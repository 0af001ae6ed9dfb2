"""The little of a Linux node the in-memory main plugins touch: links, addresses, routes, sysctls, iptables.

A :class:`Node` is the network namespace the plugins run in (the host of the
pods); :meth:`Node.netns` gives the namespace behind a ``CNI_NETNS`` path
(created on first use: the in-memory backend has no real namespaces to open).
MAC addresses are derived from a hash of the namespace and link name
(locally administered, unicast), where the kernel picks random ones; a veth's
host-side name is ``veth`` + 8 hex digits of a hash of the container ID and
interface, where the bridge plugin picks random ones.  iptables state is kept
as :class:`kubelab.netfilter.xtables.Table` objects, so it renders as
``iptables-save`` would print it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ...netfilter.xtables import BUILTIN_CHAINS, Table

__all__ = ["Link", "NetNSState", "Node", "derived_mac"]


def derived_mac(*parts: str) -> str:
    """A stable locally-administered unicast MAC for ``parts``."""
    h = bytearray(hashlib.sha256("/".join(parts).encode()).digest()[:6])
    h[0] = (h[0] & 0xFC) | 0x02
    return ":".join(f"{b:02x}" for b in h)


@dataclass
class Link:
    name: str
    kind: str  # "bridge", "veth", "loopback"
    mac: str
    mtu: int = 1500
    up: bool = False
    master: str | None = None
    peer: tuple[str, str] | None = None  # (netns path, link name)
    hairpin: bool = False
    addresses: list[str] = field(default_factory=list)  # CIDR, e.g. "10.244.1.1/24"


@dataclass
class NetNSState:
    path: str
    links: dict[str, Link] = field(default_factory=dict)
    routes: list[dict] = field(default_factory=list)  # {"dst", "gw"?, "dev", "scope"?, "src"?}
    sysctls: dict[str, str] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.links.setdefault("lo", Link("lo", "loopback", "00:00:00:00:00:00", 65536))

    def table(self, name: str) -> Table:
        if name not in self.tables:
            t = Table(name)
            for chain in BUILTIN_CHAINS.get(name, ()):
                t.declare(chain)
            self.tables[name] = t
        return self.tables[name]

    def iptables_save(self) -> str:
        return "".join(self.tables[t].save() for t in sorted(self.tables))


class Node:
    """The node's own namespace plus every pod namespace the plugins have been pointed at."""

    def __init__(self, name: str = "node", ipam_store=None):
        self.name = name
        self.host = NetNSState("<host>")
        self.namespaces: dict[str, NetNSState] = {}
        self.ipam_store = ipam_store
        #: True when the plugins stand in for the binaries on this machine (``kubelab cni exec``): a
        #: CNI_NETNS path must then exist, as ``ns.GetNS`` requires.
        self.real_netns = False

    def netns(self, path: str) -> NetNSState:
        if path not in self.namespaces:
            self.namespaces[path] = NetNSState(path)
        return self.namespaces[path]
