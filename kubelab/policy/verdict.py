"""One question, one answer: may ``src`` open a connection to ``dst`` on ``port``?

:func:`evaluate` picks the engine the cluster's CNI plugin runs (see
:mod:`kubelab.policy.enforcement`): Calico and Canal decide as Felix does, tiers and
all (:mod:`kubelab.policy.calico`); Cilium, Weave and kube-router apply Kubernetes
NetworkPolicy (:mod:`kubelab.policy.kubernetes`) and ignore Calico's objects; Flannel,
bridge and kindnet enforce nothing -- the verdict is then ``allowed`` with
``enforced=False``, and lists under ``ignored`` what the stored policies would have done.

:func:`policy_hop` is the trace engine's entry point: the ``policy`` hop of a
connection delivered to a pod (``None`` when the cluster holds no policy at all).

Examples
--------
>>> from kubelab import Cluster
>>> c = Cluster('''
... apiVersion: v1
... kind: Pod
... metadata: {name: web, labels: {app: web}}
... spec: {containers: [{name: c, image: nginx}]}
... ---
... apiVersion: v1
... kind: Pod
... metadata: {name: client}
... spec: {containers: [{name: c, image: busybox}]}
... ---
... apiVersion: networking.k8s.io/v1
... kind: NetworkPolicy
... metadata: {name: deny-all}
... spec: {podSelector: {}}
... ''')
>>> v = evaluate(c, "client", "web", 80)
>>> v.allowed, [d.policy for d in v.decided_by]
(False, ['NetworkPolicy.projectcalico.org default/knp.default.deny-all'])
>>> print(v)  # doctest: +NORMALIZE_WHITESPACE
deny
  NetworkPolicy.projectcalico.org default/knp.default.deny-all (ingress): end of tier default: policies apply to
  default/web (10.244.1.2) (default/knp.default.deny-all) but no rule matched, so the packet is dropped
note: denied by the destination's ingress
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ..cluster import Cluster
from ..errors import KubelabError
from ..hops import Hop
from . import calico as calico_engine
from . import kubernetes as k8s_engine
from .enforcement import PolicySupport, support
from .model import Decision, Endpoint, PolicyIndex, index_for

__all__ = ["Verdict", "Decision", "evaluate", "resolve_endpoint", "policy_hop"]


@dataclass
class Verdict:
    """``allowed``; ``decided_by`` (policy, rule index, direction, why); ``enforced``; ``note``."""

    allowed: bool
    decided_by: list[Decision] = field(default_factory=list)
    enforced: bool = True
    note: str = ""
    src: str = ""
    dst: str = ""
    port: int = 0
    proto: str = "TCP"
    engine: str = "kubernetes"  # calico | kubernetes | none
    #: what the stored policies would decide if the plugin enforced them (differs from ``allowed`` on Flannel)
    policy_allowed: bool = True
    ignored: list[Decision] = field(default_factory=list)

    @property
    def word(self) -> str:
        return "allow" if self.allowed else "deny"

    def lines(self) -> list[str]:
        out = [self.word]
        out += [f"  {d}" for d in self.decided_by]
        if self.ignored:
            out.append("  not enforced (the CNI plugin ignores policies); the stored policies would "
                       + ("allow:" if self.policy_allowed else "deny:"))
            out += [f"    {d}" for d in self.ignored]
        if self.note:
            out.append(f"note: {self.note}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def to_dict(self) -> dict[str, Any]:
        dec = [d._asdict() for d in self.decided_by]
        return {"verdict": self.word, "allowed": self.allowed, "enforced": self.enforced, "engine": self.engine,
                "from": self.src, "to": self.dst, "port": self.port, "protocol": self.proto,
                "decidedBy": dec, "policyAllowed": self.policy_allowed,
                "ignored": [d._asdict() for d in self.ignored], "note": self.note}


def resolve_endpoint(cluster: "Cluster", what: Any, idx: PolicyIndex | None = None, role: str = "--from") -> Endpoint:
    """A pod (``ns/name``, ``name`` or a Pod), a node name, or an IP address -> an :class:`Endpoint`."""
    idx = idx or index_for(cluster)
    if isinstance(what, Endpoint):
        return what
    if hasattr(what, "spec") and hasattr(what, "status"):
        return idx.pod_endpoint(what)
    text = str(what)
    ns, _, name = text.rpartition("/")
    p = idx.pod_by_name.get(f"{ns or 'default'}/{name}")
    if p is not None:
        if not p.status.pod_ip:
            raise KubelabError(f'{role} "{text}": {p.ref} has no IP yet (phase {p.status.phase})')
        return idx.pod_endpoint(p)
    for n in idx.nodes:
        if n.name == text:
            return Endpoint(n.internal_ip or "", None, {}, n.name)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise KubelabError(f'{role} "{text}": no pod, node or IP address of that name') from None
    return idx.endpoint(text)


def _decide(idx: PolicyIndex, sup: PolicySupport, src: Endpoint, dst: Endpoint, port: int, proto: str,
            sport: int | None, seen: Endpoint, calico: bool, directions: tuple[str, ...]
            ) -> tuple[bool, list[Decision], str]:
    """Egress at the original source, ingress at the destination as it sees the source (``seen``, after SNAT)."""
    bypass = k8s_engine.always_allowed(src, dst) or k8s_engine.always_allowed(seen, dst)
    if bypass:
        return True, [], bypass
    results = []
    for direction in ("egress", "ingress"):
        if direction not in directions:
            continue
        if calico:
            ep = src if direction == "egress" else dst
            ok, dec = calico_engine.direction_verdict(idx, ep, direction, src if direction == "egress" else seen,
                                                      dst, port, proto, sport, calico=sup.calico)
        elif direction == "egress":
            ok, dec = k8s_engine.direction_verdict(idx, src, "egress", dst, port, proto, dst)
        else:
            ok, dec = k8s_engine.direction_verdict(idx, dst, "ingress", seen, port, proto, dst)
        results.append((direction, ok, dec))
        if not ok and calico:  # Felix drops at the first direction that denies
            break
    allowed = all(ok for _, ok, _ in results)
    if allowed:
        decisions = [d for _, _, dec in results for d in dec]
        note = "" if decisions else "no policy applies to either end"
    else:
        decisions = [d for _, ok, dec in results if not ok for d in dec]
        sides = {"egress": "the source's egress", "ingress": "the destination's ingress"}
        note = "denied by " + " and ".join(sides[d] for d, ok, _ in results if not ok)
    return allowed, decisions, note


def evaluate(cluster: "Cluster", src: Any, dst: Any, port: int, proto: str = "TCP", *, sport: int | None = None,
             seen_src: Any = None) -> Verdict:
    """The verdict for a new connection ``src -> dst:port/proto`` in ``cluster``.

    ``src``/``dst``: a pod (``ns/name``, ``name``, a Pod object), a node name or an IP.
    ``seen_src``: the source address as the destination sees it, when NAT changed it.
    """
    idx = index_for(cluster)
    proto = str(proto).upper()
    s = resolve_endpoint(cluster, src, idx, "--from")
    d = resolve_endpoint(cluster, dst, idx, "--to")
    seen = resolve_endpoint(cluster, seen_src, idx, "--from") if seen_src is not None else s
    sup = support(cluster.settings.cni)
    v = Verdict(True, src=str(s), dst=str(d), port=int(port), proto=proto)
    notes = []
    if d.pod is None and s.pod is None:
        notes.append("neither end is a pod: NetworkPolicy selects pods only")
    if sup.kubernetes:
        v.engine = "calico" if sup.calico else "kubernetes"
        v.allowed, v.decided_by, note = _decide(idx, sup, s, d, int(port), proto, sport, seen, sup.calico,
                                                sup.directions())
        v.policy_allowed = v.allowed
        notes.append(note)
        if not sup.calico and (idx.calico_policies or idx.global_policies):
            n = len(idx.calico_policies) + len(idx.global_policies)
            notes.append(f"{n} Calico polic{'y' if n == 1 else 'ies'} ignored: {sup.plugin} does not enforce "
                         "projectcalico.org policies")
        if sup.plugin == "kube-router":
            notes.append(sup.note)
    else:
        v.engine, v.enforced = "none", False
        would, dec, note = _decide(idx, sup, s, d, int(port), proto, sport, seen, bool(idx.calico_policies or
                                   idx.global_policies), ("egress", "ingress"))
        v.policy_allowed, v.ignored = would, dec
        if idx.has_policies:
            n = len(idx.k8s_policies) + len(idx.calico_policies) + len(idx.global_policies)
            notes.append(f"{sup.note}; {n} stored polic{'y is' if n == 1 else 'ies are'} ignored"
                         + ("" if would else f", which would deny this connection ({note})"))
        else:
            notes.append(sup.note)
    v.note = "; ".join(n for n in notes if n)
    return v


def policy_hop(network, trace, pkt, pod):
    """The trace engine's hook: the ``policy`` hop for a packet about to enter ``pod``, or ``None``.

    ``None`` when the cluster has no policy (traces stay as they were before policy
    existed).  A denied connection gets the verdict ``dropped``: NetworkPolicy drops
    silently, the client times out.
    """

    cluster = network.cluster
    idx = index_for(cluster)
    if not idx.has_policies:
        return None
    original = trace.src.rpartition("(")[2].rstrip(")") if trace.src.endswith(")") else pkt.src
    try:
        v = evaluate(cluster, original, pkt.dst, pkt.dport, pkt.proto, sport=pkt.sport,
                     seen_src=pkt.src if pkt.src != original else None)
    except KubelabError:  # pragma: no cover - addresses come from the trace itself
        return None
    where = f"{pod.spec.node_name or '-'}"
    if not v.enforced:
        detail = f"not enforced ({v.note})"
        return Hop("policy", where, detail)
    if v.allowed:
        by = "; ".join(str(d) for d in v.decided_by) or v.note
        return Hop("policy", where, f"allowed into {pod.ref}: {by}")
    trace.verdict = "dropped"
    by = "; ".join(str(d) for d in v.decided_by)
    return Hop("policy", where, f"denied into {pod.ref}, dropped silently (the client times out): {by}")
