"""The record of one connection's path: hops, the verdict the client sees, what it cost.

:class:`Trace` is what :func:`kubelab.net.connect` returns and :class:`Hop` one
step of it.  The types sit below every component that adds hops -- the trace
engine (:mod:`kubelab.net.trace`), the proxy modes' own hooks
(:mod:`kubelab.proxy.ipvs`, :mod:`kubelab.proxy.nftables`,
:mod:`kubelab.proxy.userspace`) and NetworkPolicy's ``policy`` hop
(:mod:`kubelab.policy.verdict`) -- so none of them imports the engine for them.
The verdicts are the ones :mod:`kubelab.net.trace` documents (what the client
sees); the hop kinds are free text shown in traces.  :class:`DataPlane` is what
those hooks may ask of the engine that calls them (:class:`kubelab.net.Network`
is the one implementation), so the proxy modes and the policy hop are typed
without importing the engine above them.

Examples
--------
>>> t = Trace("10.244.1.2", "10.96.0.10:53")
>>> t.hops.append(Hop("send", "kind-worker", "SYN to 10.96.0.10:53"))
>>> t.verdict = "delivered"
>>> print(t)
[send] kind-worker: SYN to 10.96.0.10:53
verdict: delivered
rules evaluated: 0
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Protocol

from .netfilter.evaluator import ChainStep, Evaluator
from .netfilter.packet import Packet

__all__ = ["Hop", "Trace", "VERDICTS", "DataPlane"]

VERDICTS = ("delivered", "rejected", "dropped", "timeout", "refused", "closed", "no route")


@dataclass
class Hop:
    """One step of the path.  ``kind``: send, veth, netfilter, route, deliver, proxy, ipvs."""

    kind: str
    where: str
    detail: str
    steps: list[ChainStep] = field(default_factory=list)

    def __str__(self) -> str:
        return f"[{self.kind}] {self.where}: {self.detail}"


@dataclass
class Trace:
    src: str
    dst: str
    hops: list[Hop] = field(default_factory=list)
    verdict: str = ""
    backend: str | None = None  # "namespace/pod" that answered
    backend_address: str | None = None  # ip:port after DNAT
    source_seen: str | None = None  # the client address as the backend sees it
    mode: str = "iptables"
    #: the cost model of the path, by unit: the trace counts iptables rules evaluated itself;
    #: proxy modes add theirs (``ipvs_hash_lookups``, ``user_kernel_copies``, ...)
    extra_cost: dict[str, int] = field(default_factory=dict)

    @property
    def rules_evaluated(self) -> int:
        return sum(len(h.steps) for h in self.hops)

    @property
    def cost(self) -> dict[str, int]:
        """What this connection's first packet cost in the model: rules evaluated plus mode-specific units."""
        return {"rules_evaluated": self.rules_evaluated, **self.extra_cost}

    @property
    def ok(self) -> bool:
        return self.verdict == "delivered"

    def lines(self, rules: bool = True) -> list[str]:
        out = []
        for h in self.hops:
            out.append(str(h))
            if rules:
                for s in h.steps:
                    mark = "match" if s.matched else "  -  "
                    action = f"  => {s.action}" if s.action else ""
                    out.append(f"      {mark} {s.table}/{s.chain}: {s.rule}{action}")
        tail = f"verdict: {self.verdict}"
        if self.backend:
            tail += f" (backend {self.backend} at {self.backend_address}, sees client as {self.source_seen})"
        out.append(tail)
        if self.extra_cost:
            out.append("cost: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.extra_cost.items()))
        out.append(f"rules evaluated: {self.rules_evaluated}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


class DataPlane(Protocol):
    """What a proxy mode's trace hook (``Proxier.trace_hook``) and the policy hop use of the trace engine.

    :class:`kubelab.net.Network` implements it; the underscored members are the engine's own steps
    that a mode which takes a packet over (IPVS, nftables, the user-space proxy) continues with.
    """

    cluster: Any
    clock: int
    rng: random.Random
    dead: set[str]
    #: traced connection (by trace id) -> (first node, packet after NAT, hook it entered by)
    conntrack: dict[int, tuple[str, Packet, str]]
    _origin: tuple[str, str, Any, Any]
    _next_port: int

    def evaluator(self, node: str) -> Evaluator: ...
    def local_ips(self, node_name: str) -> set[str]: ...
    def pod_by_ip(self, ip: str) -> Any: ...
    def node_by_ip(self, ip: str) -> Any: ...
    def _deliver(self, trace: Trace, pkt: Packet, node: str) -> None: ...
    def _egress_ip(self, node: str, dst: str) -> str: ...
    def _icmp_allowed(self, node: str, client: str, ratelimit: float = 1.0, burst: int = 6) -> bool: ...
    def _portmap(self, trace: Trace, pkt: Packet, node: str) -> None: ...
