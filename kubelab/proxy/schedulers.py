"""IPVS schedulers: how the kernel picks a real server for a new connection.

Upstream: Linux ``net/netfilter/ipvs/ip_vs_{rr,wrr,lc,wlc,sed,nq,sh,dh,lblc,lblcr,mh}.c``,
``include/net/ip_vs.h`` (``ip_vs_dest_conn_overhead``: ``activeconns * 256 +
inactconns``) and ``ip_vs_ctl.c`` (``__ip_vs_update_dest``: a new destination is
added at the *head* of the service's list with ``list_add_rcu``).  kube-proxy
accepts exactly these names (``pkg/proxy/apis/config/validation``); ``rr`` is
its default.

Each scheduler is a class registered by name (:func:`register_scheduler`, the
registry :data:`SCHEDULERS`); :func:`make_scheduler` builds one for a virtual
server.  A scheduler sees the destinations in the kernel's list order and the
new connection (:class:`ConnInfo`), and returns the chosen destination with
the reason, in words, that the kernel's rule gives -- or ``None`` ("no
destination available": IPVS then answers ICMP port unreachable).

What each one does (kernel rule, faithfully):

* ``rr``   -- round robin: the next destination after the last one chosen, skipping weight 0.
* ``wrr``  -- weighted round robin: passes with a current weight ``cw`` that starts at
  the maximum weight and drops by the gcd of the weights; a destination qualifies when
  its weight is at least ``cw``.
* ``lc``   -- least connection: the least ``activeconns*256 + inactconns``; ties go to the
  first in list order.
* ``wlc``  -- weighted least connection: the least overhead/weight (compared as
  ``loh * w_dest > doh * w_least``, no division), first available destination as the start.
* ``sed``  -- shortest expected delay: like ``wlc`` with overhead ``activeconns + 1``.
* ``nq``   -- never queue: an idle destination (no active connection) at once, otherwise ``sed``.
* ``sh``   -- source hashing: 256 buckets filled from the destination list (a destination
  fills ``weight`` consecutive buckets); bucket = ``hash_32(ntohl(saddr), 8)``.
* ``dh``   -- destination hashing: the same with ``(ntohl(daddr) * 2654435761) & 255`` and one
  bucket per destination.  All connections to one VIP go to one server.
* ``lblc`` -- locality-based least connection: a table daddr -> server; reuse it unless that
  server is overloaded (``activeconns > weight`` while some server runs below half its
  weight), else pick by ``wlc`` and remember.
* ``lblcr`` -- the same with a *set* of servers per daddr (least loaded member; grows when
  the member is overloaded).
* ``mh``   -- Maglev hashing: a lookup table of 4093 slots (``CONFIG_IP_VS_MH_TAB_INDEX`` 12)
  filled from each destination's (offset, skip) permutation; slot = hash of the source address
  and, with the ``mh-port`` flag kube-proxy sets, the source port.

Simplifications: no ``IP_VS_DEST_F_OVERLOAD`` thresholds (kube-proxy sets none); the
``lblc``/``lblcr`` expiry timers are not modelled; ``mh`` fills its table with the kernel's
algorithm but hashes with SHA-256 under the kernel's fixed keys instead of ``hsiphash``, so
*which* backend a given client maps to differs from a real kernel (the stability and the
spread do not); ``sh``'s fallback/port flags are not set by kube-proxy and not modelled.

Examples
--------
>>> sorted(SCHEDULERS)
['dh', 'lblc', 'lblcr', 'lc', 'mh', 'nq', 'rr', 'sed', 'sh', 'wlc', 'wrr']
>>> sh_bucket("10.244.1.5")
115
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from typing import ClassVar, Protocol

__all__ = ["SCHEDULERS", "Scheduler", "ConnInfo", "register_scheduler", "make_scheduler", "conn_overhead",
           "sh_bucket", "dh_bucket", "MH_TABLE_SIZE"]

SCHEDULERS: dict[str, type["Scheduler"]] = {}

#: ``primes[CONFIG_IP_VS_MH_TAB_INDEX - 8]`` with the default index 12 (``ip_vs_mh.c``).
MH_TABLE_SIZE = 4093
_GOLDEN_RATIO_32 = 0x61C88647  # include/linux/hash.h


class Dest(Protocol):  # what a scheduler reads of a real server
    weight: int
    active: int
    inactive: int

    @property
    def key(self) -> str: ...


@dataclass(frozen=True)
class ConnInfo:
    """The first packet of a new connection, as the scheduler sees it."""

    proto: str
    saddr: str
    sport: int
    daddr: str
    dport: int


def conn_overhead(dest: Dest) -> int:
    """``ip_vs_dest_conn_overhead``: ``activeconns * 256 + inactconns``."""
    return (dest.active << 8) + dest.inactive


def _u32(ip: str) -> int:
    return int(ipaddress.IPv4Address(ip))


def sh_bucket(saddr: str, port: int = 0) -> int:
    """``ip_vs_sh_hashkey``: ``hash_32(ntohs(port) + ntohl(saddr), 8)`` (port 0 without ``sh-port``)."""
    v = (port + _u32(saddr)) & 0xFFFFFFFF
    return ((v * _GOLDEN_RATIO_32) & 0xFFFFFFFF) >> 24


def dh_bucket(daddr: str) -> int:
    """``ip_vs_dh_hashkey``: ``(ntohl(daddr) * 2654435761) & 255``."""
    return (_u32(daddr) * 2654435761) & 0xFF


def register_scheduler(cls: type["Scheduler"]) -> type["Scheduler"]:
    SCHEDULERS[cls.name] = cls
    return cls


def make_scheduler(name: str, dests: list) -> "Scheduler":
    try:
        cls = SCHEDULERS[name]
    except KeyError:
        raise ValueError(f'unknown IPVS scheduler "{name}": known: {", ".join(sorted(SCHEDULERS))}') from None
    return cls(dests)


def _available(d: Dest) -> bool:
    return d.weight > 0


class Scheduler:
    """One virtual server's scheduler state (``svc->sched_data``)."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""

    def __init__(self, dests: list):
        self.dests = list(dests)
        self.init()

    def init(self) -> None:
        """``init_service``."""

    def update(self, dests: list) -> None:
        """Destinations added or removed (``add_dest``/``del_dest``): keep what the kernel keeps."""
        self.dests = list(dests)
        self.init()

    def schedule(self, conn: ConnInfo) -> tuple[Dest | None, str]:  # pragma: no cover - abstract
        raise NotImplementedError


@register_scheduler
class RoundRobin(Scheduler):
    name, title = "rr", "round robin"

    def init(self) -> None:
        self.last: str | None = None  # svc->sched_data: the list head at first

    def update(self, dests: list) -> None:
        keys = [d.key for d in dests]
        if self.last is not None and self.last not in keys:
            # ip_vs_rr_del_dest: the pointer moves back to the previous entry
            old = [d.key for d in self.dests]
            i = old.index(self.last) if self.last in old else -1
            prev = next((k for k in reversed(old[:i]) if k in keys), None) if i >= 0 else None
            self.last = prev
        self.dests = list(dests)

    def schedule(self, conn):
        n = len(self.dests)
        keys = [d.key for d in self.dests]
        start = keys.index(self.last) + 1 if self.last in keys else 0
        for i in range(n):
            d = self.dests[(start + i) % n]
            if _available(d):
                self.last = d.key
                pos = keys.index(d.key) + 1
                return d, f"next in turn after the last one chosen (position {pos} of {n} in the kernel's list)"
        return None, "no destination with weight > 0"


@register_scheduler
class WeightedRoundRobin(Scheduler):
    name, title = "wrr", "weighted round robin"

    def init(self) -> None:
        self.cl = -1  # index in self.dests; -1 is the list head
        self.di = self._gcd()
        self.mw = self._max() - (self.di - 1)
        self.cw = self.mw

    def _gcd(self) -> int:
        g = 0
        for d in self.dests:
            if d.weight > 0:
                g = math.gcd(d.weight, g) if g else d.weight
        return g or 1

    def _max(self) -> int:
        return max((d.weight for d in self.dests), default=0)

    def update(self, dests: list) -> None:  # ip_vs_wrr_dest_changed
        self.dests = list(dests)
        self.cl = -1
        self.di = self._gcd()
        self.mw = self._max() - (self.di - 1)
        if self.cw > self.mw or not self.cw:
            self.cw = self.mw
        elif self.di > 1:
            self.cw = (self.cw // self.di) * self.di + 1

    def schedule(self, conn):
        if self.mw == 0 or not self.dests:
            return None, "no destination available"
        n = len(self.dests)
        last, stop = self.cl, None
        last_pass = restarted = False
        i = self.cl
        while True:
            # list_for_each_entry_continue: from the entry after i up to the head
            for j in range(i + 1, n):
                d = self.dests[j]
                if d.weight >= self.cw:
                    self.cl = j
                    return d, f"weight {d.weight} >= current weight {self.cw} (pass step {self.di}, max {self.mw})"
                if j == stop:
                    self.cl = j
                    return None, "all destinations are overloaded"
            i = -1
            self.cw -= self.di
            if self.cw <= 0:
                self.cw = self.mw
                if last_pass or last == -1:
                    return None, "all destinations are overloaded"
                restarted = True
            last_pass = self.cw <= self.di
            if last_pass and restarted and last != -1:
                stop = last


class _LeastBase(Scheduler):
    """The wlc-style loop: first available destination, then ``loh * w > doh * w_least``."""

    weighted: ClassVar[bool] = True

    def overhead(self, d: Dest) -> int:
        return conn_overhead(d)

    def least(self, dests: list) -> Dest | None:
        least, loh = None, 0
        for d in dests:
            if not _available(d):
                continue
            doh = self.overhead(d)
            if least is None or loh * d.weight > doh * least.weight:
                least, loh = d, doh
        return least

    def schedule(self, conn):
        d = self.least(self.dests)
        if d is None:
            return None, "no destination with weight > 0"
        return d, self.explain(d)

    def explain(self, d: Dest) -> str:
        return (f"least overhead/weight: ({d.active} active * 256 + {d.inactive} inactive) / {d.weight} "
                f"= {self.overhead(d) / d.weight:g}")


@register_scheduler
class LeastConnection(_LeastBase):
    name, title = "lc", "least connection"

    def least(self, dests):
        least, loh = None, 0
        for d in dests:
            if not _available(d):
                continue
            doh = conn_overhead(d)
            if least is None or doh < loh:
                least, loh = d, doh
        return least

    def explain(self, d):
        return f"least overhead: {d.active} active * 256 + {d.inactive} inactive = {conn_overhead(d)}"


@register_scheduler
class WeightedLeastConnection(_LeastBase):
    name, title = "wlc", "weighted least connection"


@register_scheduler
class ShortestExpectedDelay(_LeastBase):
    name, title = "sed", "shortest expected delay"

    def overhead(self, d):
        return d.active + 1

    def explain(self, d):
        return f"shortest expected delay: ({d.active} active + 1) / weight {d.weight}"


@register_scheduler
class NeverQueue(ShortestExpectedDelay):
    name, title = "nq", "never queue"

    def schedule(self, conn):
        for d in self.dests:
            if _available(d) and d.active == 0:
                return d, "idle (no active connection): taken at once, never queued"
        return super().schedule(conn)


class _HashTable(Scheduler):
    """``sh``/``dh``: 256 buckets assigned from the destination list."""

    by_weight: ClassVar[bool] = True

    def init(self) -> None:
        self.buckets: list = [None] * 256
        if not self.dests:
            return
        i, count = 0, 0
        for b in range(256):
            d = self.dests[i % len(self.dests)]
            self.buckets[b] = d
            count += 1
            if not self.by_weight or count >= d.weight:
                i, count = i + 1, 0

    def bucket(self, conn: ConnInfo) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def schedule(self, conn):
        b = self.bucket(conn)
        d = self.buckets[b]
        if d is None or not _available(d):
            return None, f"bucket {b} has no available destination"
        return d, self.explain(conn, b)


@register_scheduler
class SourceHashing(_HashTable):
    name, title = "sh", "source hashing"

    def bucket(self, conn):
        return sh_bucket(conn.saddr)

    def explain(self, conn, b):
        return f"hash of the client address {conn.saddr} -> bucket {b} of 256 (same client, same server)"


@register_scheduler
class DestinationHashing(_HashTable):
    name, title = "dh", "destination hashing"
    by_weight = False

    def bucket(self, conn):
        return dh_bucket(conn.daddr)

    def explain(self, conn, b):
        return f"hash of the destination {conn.daddr} -> bucket {b} of 256 (every client of this VIP gets this server)"


def _lblc_overloaded(d: Dest, dests: list) -> bool:
    """``is_overloaded`` of ip_vs_lblc.c/ip_vs_lblcr.c."""
    if d.active > d.weight:
        return any(x.active * 2 < x.weight for x in dests)
    return False


@register_scheduler
class LocalityLeastConnection(WeightedLeastConnection):
    name, title = "lblc", "locality-based least connection"

    def init(self) -> None:
        self.table: dict[str, str] = {}

    def update(self, dests):
        self.dests = list(dests)
        keys = {d.key for d in dests}
        self.table = {k: v for k, v in self.table.items() if v in keys}

    def schedule(self, conn):
        by_key = {d.key: d for d in self.dests}
        known = by_key.get(self.table.get(conn.daddr, ""))
        if known is not None and _available(known) and not _lblc_overloaded(known, self.dests):
            return known, f"the server already serving destination {conn.daddr} (locality)"
        d = self.least(self.dests)
        if d is None:
            return None, "no destination with weight > 0"
        self.table[conn.daddr] = d.key
        return d, f"no usable entry for {conn.daddr}: " + self.explain(d)


@register_scheduler
class LocalityLeastConnectionReplication(WeightedLeastConnection):
    name, title = "lblcr", "locality-based least connection with replication"

    def init(self) -> None:
        self.sets: dict[str, list[str]] = {}

    def update(self, dests):
        self.dests = list(dests)
        keys = {d.key for d in dests}
        self.sets = {k: [x for x in v if x in keys] for k, v in self.sets.items()}

    def schedule(self, conn):
        by_key = {d.key: d for d in self.dests}
        members = [by_key[k] for k in self.sets.get(conn.daddr, []) if k in by_key]
        if members:
            d = self.least(members)
            if d is not None and not _lblc_overloaded(d, self.dests):
                return d, f"least loaded of the {len(members)} server(s) serving {conn.daddr}"
        d = self.least(self.dests)
        if d is None:
            return None, "no destination with weight > 0"
        self.sets.setdefault(conn.daddr, [])
        if d.key not in self.sets[conn.daddr]:
            self.sets[conn.daddr].append(d.key)
        return d, f"added to the set serving {conn.daddr}: " + self.explain(d)


def _mh_hash(key: int, addr: int, port: int) -> int:
    data = f"{key}:{(port + addr) & 0xFFFFFFFF}".encode()
    return int.from_bytes(hashlib.sha256(data).digest()[:4], "big")


@register_scheduler
class MaglevHashing(Scheduler):
    name, title = "mh", "Maglev hashing"
    #: ``generate_hash_secret`` in ip_vs_mh.c: fixed keys, so every load balancer agrees.
    KEY1, KEY2 = 2654435761, 2654446892

    def init(self) -> None:
        size = MH_TABLE_SIZE
        self.lookup: list = [None] * size
        setup = []
        for d in self.dests:
            addr, port = _u32(d.key.rsplit(":", 1)[0]), int(d.key.rsplit(":", 1)[1])
            offset = _mh_hash(self.KEY1, addr, port) % size
            skip = _mh_hash(self.KEY2, addr, port) % (size - 1) + 1
            setup.append([offset, skip, 1 if d.weight > 0 else 0])
        if not any(s[2] for s in setup):
            return
        taken = [False] * size
        n = 0
        while n < size:
            for d, s in zip(self.dests, setup):
                for _ in range(s[2]):  # turns
                    c = s[0]
                    while taken[c]:
                        s[0] = (s[0] + s[1]) % size
                        c = s[0]
                    taken[c] = True
                    self.lookup[c] = d
                    n += 1
                    if n == size:
                        return

    def schedule(self, conn):
        slot = _mh_hash(self.KEY1, _u32(conn.saddr), conn.sport) % MH_TABLE_SIZE
        d = self.lookup[slot]
        if d is None or not _available(d):
            return None, f"slot {slot} has no available destination"
        return d, f"hash of {conn.saddr}:{conn.sport} (mh-port) -> slot {slot} of the {MH_TABLE_SIZE}-slot Maglev table"
