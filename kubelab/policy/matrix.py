"""The reachability matrix: every pod to every pod on one port, as the upstream e2e tests print it.

Upstream: kubernetes ``test/e2e/network/netpol`` (``Reachability``, ``TruthTable``):
rows are sources, columns destinations, ``.`` connected and ``X`` blocked, the
first header cell ``-``, tab-separated.

Speed: the policies selecting each pod are computed once per pod (the index
caches them), and for Kubernetes semantics the peers of every rule are turned into
bit sets over the pods once, so a 100 x 100 matrix costs 10,000 bit tests plus
one pass over the rules per pod.

Examples
--------
>>> from kubelab import Cluster
>>> c = Cluster([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": n, "namespace": "x",
...               "labels": {"pod": n}}, "spec": {"containers": [{"name": "c", "image": "i"}]}} for n in "ab"]
...             + [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
...                 "metadata": {"name": "deny", "namespace": "x"},
...                 "spec": {"podSelector": {"matchLabels": {"pod": "a"}}}}])
>>> print(reachability(c, ["x"], 80))  # doctest: +NORMALIZE_WHITESPACE
-	x/a	x/b
x/a	.	.
x/b	X	.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ..cluster import Cluster
from . import kubernetes as k8s
from .enforcement import support
from .model import Endpoint, index_for
from .verdict import _decide

__all__ = ["Reachability", "reachability"]


@dataclass
class Reachability:
    """``pods`` (``ns/name``) and ``allowed[i][j]``: may ``pods[i]`` connect to ``pods[j]``?"""

    pods: list[str]
    allowed: list[list[bool]]
    port: int = 80
    proto: str = "TCP"
    enforced: bool = True
    note: str = field(default="", repr=False)

    def __getitem__(self, pair: tuple[str, str]) -> bool:
        src, dst = pair
        return self.allowed[self.pods.index(src)][self.pods.index(dst)]

    def lines(self) -> list[str]:
        out = ["\t".join(["-", *self.pods])]
        for name, row in zip(self.pods, self.allowed):
            out.append("\t".join([name, *("." if ok else "X" for ok in row)]))
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def legend(self) -> str:
        """How to read :meth:`lines` (the layout of the upstream netpol e2e truth table).

        >>> print(Reachability(["a/x", "a/y"], [[True, False], [True, True]], port=5432).legend())
        rows: the source pod (opens the connection); columns: the destination pod; '.' allowed, 'X' denied; on 5432/TCP
        """
        text = (f"rows: the source pod (opens the connection); columns: the destination pod; "
                f"'.' allowed, 'X' denied; on {self.port}/{self.proto}")
        if not self.enforced:
            text += f"; nothing is enforced ({self.note or 'the plugin ignores policies'})"
        return text

    def blocked(self) -> list[tuple[str, str]]:
        return [(s, d) for s, row in zip(self.pods, self.allowed) for d, ok in zip(self.pods, row) if not ok]


def _bits_k8s(idx, eps: list[Endpoint], port: int, proto: str) -> list[list[bool]]:
    """Kubernetes semantics with bit sets: allowed-peer masks per isolated pod."""
    n = len(eps)
    peer_cache: dict[int, int] = {}

    def peer_mask(np, peer) -> int:
        key = id(peer)
        m = peer_cache.get(key)
        if m is None:
            m = 0
            for j, ep in enumerate(eps):
                if k8s.peer_matches(np, peer, ep):
                    m |= 1 << j
            peer_cache[key] = m
        return m

    everyone = (1 << n) - 1
    ingress: list[int | None] = []  # None: not isolated; else mask of allowed sources
    for dst in eps:
        pols = k8s.policies_for(idx, dst, "ingress")
        if not pols:
            ingress.append(None)
            continue
        mask = 0
        for np in pols:
            for rule in np.spec.ingress:
                if k8s.ports_match(rule.ports, port, proto, dst):
                    mask |= everyone if not rule.from_ else _union(peer_mask(np, p) for p in rule.from_)
        ingress.append(mask)
    egress: list[int | None] = []  # None: not isolated; else mask of allowed destinations
    for src in eps:
        pols = k8s.policies_for(idx, src, "egress")
        if not pols:
            egress.append(None)
            continue
        mask = 0
        for np in pols:
            for rule in np.spec.egress:
                peers = everyone if not rule.to else _union(peer_mask(np, p) for p in rule.to)
                if any(isinstance(p.port, str) for p in rule.ports):  # named ports: per destination
                    for j, dst in enumerate(eps):
                        if peers >> j & 1 and k8s.ports_match(rule.ports, port, proto, dst):
                            mask |= 1 << j
                elif k8s.ports_match(rule.ports, port, proto, Endpoint("")):
                    mask |= peers
        egress.append(mask)
    rows = []
    for i, src in enumerate(eps):
        row = []
        for j, dst in enumerate(eps):
            if i == j or k8s.always_allowed(src, dst):
                row.append(True)
                continue
            e, g = egress[i], ingress[j]
            row.append((e is None or bool(e >> j & 1)) and (g is None or bool(g >> i & 1)))
        rows.append(row)
    return rows


def _union(masks: Iterable[int]) -> int:
    out = 0
    for m in masks:
        out |= m
    return out


def reachability(cluster: "Cluster", namespaces: Iterable[str] | None = None, port: int = 80, proto: str = "TCP",
                 *, enforce: bool | None = None) -> Reachability:
    """The pods x pods matrix of ``namespaces`` (default: every namespace with pods but kube-system).

    ``enforce=None`` follows the cluster's CNI plugin (Flannel: every cell ``.``);
    ``True`` shows what the policies say whatever the plugin.
    """
    idx = index_for(cluster)
    proto = proto.upper()
    wanted = list(namespaces) if namespaces is not None else None
    pods = [p for p in idx.pods if not p.spec.host_network
            and (p.namespace in wanted if wanted is not None else p.namespace != "kube-system")]
    pods.sort(key=lambda p: (p.namespace, p.name))
    eps = [idx.pod_endpoint(p) for p in pods]
    names = [f"{p.namespace}/{p.name}" for p in pods]
    sup = support(cluster.settings.cni)
    enforced = sup.kubernetes if enforce is None else enforce
    if not enforced:
        return Reachability(names, [[True] * len(eps) for _ in eps], port, proto, False, sup.note)
    calico = sup.calico and bool(idx.calico_policies or idx.global_policies)
    directions = sup.directions() if sup.kubernetes else ("egress", "ingress")
    if not calico and directions == ("ingress", "egress"):
        return Reachability(names, _bits_k8s(idx, eps, port, proto), port, proto, True)
    rows = [[_decide(idx, sup, s, d, port, proto, None, s, calico, directions)[0] for d in eps] for s in eps]
    return Reachability(names, rows, port, proto, True)
