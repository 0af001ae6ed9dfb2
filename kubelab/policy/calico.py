"""Calico policy evaluation: NetworkPolicy, GlobalNetworkPolicy and Kubernetes policies, in tiers.

Upstream: the Calico v3 API reference (NetworkPolicy, GlobalNetworkPolicy: ``order``,
``selector``, ``types``, rule ``action``, entity rules with ``nets``/``notNets``,
``selector``/``notSelector``, ``namespaceSelector``, ``ports``/``notPorts``), the Tier
reference ("How policy is evaluated") and libcalico-go ``lib/backend/k8s/conversion``
(a Kubernetes NetworkPolicy becomes the Calico policy ``knp.default.<name>`` in the
``default`` tier at order 1000, its rules all ``Allow``).

How Felix decides one direction (ingress at the destination pod, egress at the source):

1. Tiers in order.  In a tier, the policies that apply to the endpoint (selector and
   ``types``), lowest ``order`` first (omitted order: last; ties by name).
2. In each policy, rules in order; the first rule that matches decides: ``Allow``
   (accept, no further tier), ``Deny`` (drop), ``Pass`` (skip the rest of this tier, go
   to the next tier).  ``Log`` logs and goes on to the next rule.
3. A tier in which some policy applies but no rule decided drops the packet
   ("end of tier drop").  A tier where no policy applies is skipped.
4. After the last tier (or a ``Pass`` out of it): the namespace's profile
   (``kns.<namespace>``), which allows.

So a Calico ``Deny`` at order below 1000 beats a Kubernetes allow.  A Kubernetes
default-deny has no rule to match: it drops only at the end of the tier, so a Calico
``Allow`` in the same tier, even at order 1100, still lets traffic through.

Simplifications: no Tier objects (tiers other than ``default`` sort by name and come
first, as they normally have lower orders); ``serviceAccounts``, ``services``, ``http``
and ``icmp`` matches are not interpreted (a rule using them never matches, and says
so); host endpoints, network sets and ``preDNAT``/``doNotTrack`` are not modelled;
``Pass`` from the last tier goes to the profile (allow) -- from the documentation, not
from Felix's source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from ..api.calico_selector import Selector, from_label_selector, parse
from . import kubernetes as k8s
from .model import CALICO_NAMESPACE_LABEL, CALICO_ORCHESTRATOR_LABEL, Decision, Endpoint, PolicyIndex, ip_in

__all__ = ["CompiledPolicy", "CompiledRule", "compile_policies", "calico_labels", "direction_verdict", "evaluate",
           "KNP_ORDER", "KNP_PREFIX"]

KNP_ORDER = 1000.0
KNP_PREFIX = "knp.default."
PROTOCOL_NUMBERS = {"ICMP": 1, "TCP": 6, "UDP": 17, "ICMPv6": 58, "SCTP": 132, "UDPLite": 136}


def calico_labels(idx: PolicyIndex, ep: Endpoint) -> dict[str, str]:
    """The labels Calico sees on a workload endpoint: the pod's, plus namespace and orchestrator."""
    key = ("calico-labels", ep.pod.key)
    hit = idx.cache.get(key)
    if hit is None:
        hit = idx.cache[key] = {**ep.labels, CALICO_NAMESPACE_LABEL: ep.namespace, CALICO_ORCHESTRATOR_LABEL: "k8s"}
    return hit


def _ns_labels(idx: PolicyIndex, ep: Endpoint) -> dict[str, str]:
    return {**ep.namespace_labels, "projectcalico.org/name": ep.namespace or ""}


@dataclass
class CompiledRule:
    """One rule: its ``action`` and a test ``match(idx, src, dst, port, proto, sport) -> bool``."""

    action: str
    match: Callable[..., bool]
    describe: str


@dataclass
class CompiledPolicy:
    ref: str
    tier: str
    order: float
    sort_name: str
    applies: Callable[[PolicyIndex, Endpoint], bool]
    types: tuple[str, ...]
    rules: dict[str, list[CompiledRule]] = field(default_factory=dict)
    kind: str = "calico"  # calico | knp
    namespace: str | None = None  # None: a GlobalNetworkPolicy
    selector_text: str = ""

    @property
    def sort_key(self):
        return (self.order, self.sort_name)


# ------------------------------------------------------------------ entity rules
def _port_matcher(ports: list, negate: bool) -> Callable[[Endpoint, int | None, str], bool] | None:
    if not ports:
        return None

    def one(p, ep: Endpoint, port: int, proto: str) -> bool:
        if isinstance(p, int):
            return p == port
        text = str(p)
        if ":" in text:
            lo, _, hi = text.partition(":")
            return int(lo) <= port <= int(hi)
        if text.isdigit():
            return int(text) == port
        return port in ep.named_port(text, proto)

    def test(ep: Endpoint, port: int | None, proto: str) -> bool:
        if port is None:
            return negate  # the source port of a probe is unknown: a ports match cannot hold
        hit = any(one(p, ep, port, proto) for p in ports)
        return not hit if negate else hit
    return test


def _entity(ent, policy_ns: str | None, path: str) -> Callable[[PolicyIndex, Endpoint, int | None, str], bool]:
    """A test for one side (source or destination) of a rule."""
    sel: Selector | None = parse(ent.selector, f"{path}.selector") if ent.selector is not None else None
    notsel = parse(ent.not_selector, f"{path}.notSelector") if ent.not_selector is not None else None
    nssel = parse(ent.namespace_selector, f"{path}.namespaceSelector") if ent.namespace_selector is not None else None
    nets, not_nets = list(ent.nets), list(ent.not_nets)
    ports = _port_matcher(list(ent.ports), False)
    not_ports = _port_matcher(list(ent.not_ports), True)
    unsupported = bool(ent.service_accounts or ent.services)

    def in_scope(idx: PolicyIndex, ep: Endpoint) -> bool:
        """The endpoint is a pod in the namespaces this side may select."""
        if ep.pod is None:
            return False
        if nssel is not None:
            return nssel.matches(_ns_labels(idx, ep))
        return policy_ns is None or ep.namespace == policy_ns

    def test(idx: PolicyIndex, ep: Endpoint, port: int | None, proto: str) -> bool:
        if unsupported:
            return False
        if nets and not any(ip_in(ep.ip, n) for n in nets):
            return False
        if not_nets and any(ip_in(ep.ip, n) for n in not_nets):
            return False
        if sel is not None or nssel is not None:
            if not in_scope(idx, ep):
                return False
            if sel is not None and not sel.matches(calico_labels(idx, ep)):
                return False
        if notsel is not None and in_scope(idx, ep) and notsel.matches(calico_labels(idx, ep)):
            return False
        if ports is not None and not ports(ep, port, proto):
            return False
        if not_ports is not None and not not_ports(ep, port, proto):
            return False
        return True
    return test


def _proto_matches(value, proto: str) -> bool:
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return int(value) == PROTOCOL_NUMBERS.get(proto, -1)
    return str(value).upper() == proto.upper()


def _describe_rule(r) -> str:
    bits = [r.action]
    if r.protocol is not None:
        bits.append(str(r.protocol))
    for side, ent in (("from", r.source), ("to", r.destination)):
        parts = []
        if ent.nets:
            parts.append("nets " + ",".join(ent.nets))
        if ent.not_nets:
            parts.append("notNets " + ",".join(ent.not_nets))
        if ent.namespace_selector is not None:
            parts.append(f"namespaceSelector {ent.namespace_selector or 'all()'}")
        if ent.selector is not None:
            parts.append(f"selector {ent.selector or 'all()'}")
        if ent.not_selector is not None:
            parts.append(f"notSelector {ent.not_selector}")
        if ent.ports:
            parts.append("ports " + ",".join(map(str, ent.ports)))
        if ent.not_ports:
            parts.append("notPorts " + ",".join(map(str, ent.not_ports)))
        if parts:
            bits.append(f"{side} " + " ".join(parts))
    return " ".join(bits) if len(bits) > 1 else f"{r.action} (matches everything)"


def _compile_rule(r, policy_ns: str | None, path: str) -> CompiledRule:
    src = _entity(r.source, policy_ns, f"{path}.source")
    dst = _entity(r.destination, policy_ns, f"{path}.destination")
    protocol, not_protocol, ipv = r.protocol, r.not_protocol, r.ip_version
    unsupported = bool(r.http or r.icmp or r.not_icmp)

    def match(idx: PolicyIndex, s: Endpoint, d: Endpoint, port: int, proto: str, sport: int | None) -> bool:
        if unsupported:
            return False
        if protocol is not None and not _proto_matches(protocol, proto):
            return False
        if not_protocol is not None and _proto_matches(not_protocol, proto):
            return False
        if ipv is not None and (":" in d.ip) != (ipv == 6):
            return False
        return src(idx, s, sport, proto) and dst(idx, d, port, proto)
    desc = _describe_rule(r) + (" (http/icmp match not modelled: never matches)" if unsupported else "")
    return CompiledRule(r.action or "Allow", match, desc)


def _compile_calico(p, is_global: bool) -> CompiledPolicy:
    s = p.spec
    ns = None if is_global else p.namespace
    sel = parse(s.selector, "spec.selector")
    nssel = parse(s.namespace_selector, "spec.namespaceSelector") if is_global and s.namespace_selector else None

    def applies(idx: PolicyIndex, ep: Endpoint) -> bool:
        if ep.pod is None or (ns is not None and ep.namespace != ns):
            return False
        if nssel is not None and not nssel.matches(_ns_labels(idx, ep)):
            return False
        return sel.matches(calico_labels(idx, ep))
    types = tuple(s.types) or (("Ingress", "Egress") if s.ingress and s.egress else
                                ("Egress",) if s.egress else ("Ingress",))
    name = p.name if is_global else f"{p.namespace}/{p.name}"
    ref = f"GlobalNetworkPolicy {p.name}" if is_global else f"NetworkPolicy.projectcalico.org {name}"
    cp = CompiledPolicy(ref, s.tier or "default", math.inf if s.order is None else float(s.order), name, applies,
                        types, selector_text=sel.text or "all()", namespace=ns)
    cp.rules = {d: [_compile_rule(r, ns, f"spec.{d}[{i}]") for i, r in enumerate(rules)]
                for d, rules in (("ingress", s.ingress), ("egress", s.egress))}
    return cp


def _compile_knp(np) -> CompiledPolicy:
    name = f"{np.namespace}/{KNP_PREFIX}{np.name}"

    def rule_for(rule, direction: str) -> CompiledRule:
        def match(idx, s, d, port, proto, sport, rule=rule) -> bool:
            other = s if direction == "ingress" else d
            return k8s.rule_matches(np, rule, direction, other, port, proto, d)
        peers = rule.from_ if direction == "ingress" else rule.to
        who = " OR ".join(k8s.describe_peer(p) for p in peers) or "anywhere"
        return CompiledRule("Allow", match, f"Allow {'from' if direction == 'ingress' else 'to'} {who} on "
                                            f"{k8s.describe_ports(rule.ports)}")
    cp = CompiledPolicy(f"NetworkPolicy.projectcalico.org {name}", "default", KNP_ORDER, name,
                        lambda idx, ep: k8s.selects(np, ep.pod), tuple(k8s.policy_types(np)), kind="knp",
                        namespace=np.namespace)
    cp.rules = {"ingress": [rule_for(r, "ingress") for r in np.spec.ingress],
                "egress": [rule_for(r, "egress") for r in np.spec.egress]}
    cp.selector_text = from_label_selector(np.spec.pod_selector, np.namespace)
    return cp


def compile_policies(idx: PolicyIndex, *, calico: bool = True) -> list[CompiledPolicy]:
    """Every policy of the cluster as Calico sees it (Kubernetes ones as ``knp.default.*``)."""
    key = ("calico-compiled", calico)
    hit = idx.cache.get(key)
    if hit is None:
        hit = [_compile_knp(np) for np in idx.k8s_policies]
        if calico:
            hit += [_compile_calico(p, False) for p in idx.calico_policies]
            hit += [_compile_calico(p, True) for p in idx.global_policies]
        idx.cache[key] = hit
    return hit


def _by_namespace(idx: PolicyIndex, calico: bool) -> dict[str | None, list[CompiledPolicy]]:
    """Compiled policies by the namespace they live in (``None``: global), so a pod checks only its own."""
    key = ("calico-by-ns", calico)
    hit = idx.cache.get(key)
    if hit is None:
        hit = idx.cache[key] = {}
        for cp in compile_policies(idx, calico=calico):
            hit.setdefault(cp.namespace, []).append(cp)
    return hit


def _tier_key(tier: str):
    return (tier == "default", tier)


def applying(idx: PolicyIndex, ep: Endpoint, direction: str, calico: bool = True) -> list[list[CompiledPolicy]]:
    """The policies applying to ``ep`` for ``direction``, grouped by tier in evaluation order (cached per pod)."""
    if ep.pod is None:
        return []
    key = ("calico-applying", direction, calico, ep.pod.key)
    hit = idx.cache.get(key)
    if hit is None:
        t = "Ingress" if direction == "ingress" else "Egress"
        tiers: dict[str, list[CompiledPolicy]] = {}
        for cp in _by_namespace(idx, calico).get(ep.namespace, []) + _by_namespace(idx, calico).get(None, []):
            if t in cp.types and cp.applies(idx, ep):
                tiers.setdefault(cp.tier, []).append(cp)
        hit = idx.cache[key] = [sorted(tiers[t_], key=lambda c: c.sort_key) for t_ in sorted(tiers, key=_tier_key)]
    return hit


def direction_verdict(idx: PolicyIndex, ep: Endpoint, direction: str, src: Endpoint, dst: Endpoint, port: int,
                      proto: str, sport: int | None = None, calico: bool = True) -> tuple[bool, list[Decision]]:
    """Felix's decision for one direction at ``ep``: ``(allowed, decisions)``."""
    tiers = applying(idx, ep, direction, calico)
    if not tiers:
        return True, []
    decisions: list[Decision] = []
    for policies in tiers:
        passed = False
        for cp in policies:
            for i, rule in enumerate(cp.rules.get(direction, ())):
                if not rule.match(idx, src, dst, port, proto, sport):
                    continue
                order = "no order (last)" if cp.order == math.inf else f"order {cp.order:g}"
                where = f"tier {cp.tier}, {order}"
                if rule.action == "Log":
                    decisions.append(Decision(cp.ref, i, direction, f"Log (goes on to the next rule; {where}): "
                                              f"{rule.describe}"))
                    continue
                if rule.action == "Pass":
                    decisions.append(Decision(cp.ref, i, direction, f"Pass: skips the rest of tier {cp.tier} "
                                              f"({where}): {rule.describe}"))
                    passed = True
                    break
                allowed = rule.action == "Allow"
                decisions.append(Decision(cp.ref, i, direction, f"{rule.action} ({where}): {rule.describe}"))
                return allowed, decisions
            if passed:
                break
        if not passed:
            names = ", ".join(cp.sort_name for cp in policies)
            decisions.append(Decision(policies[0].ref, None, direction,
                                      f"end of tier {policies[0].tier}: policies apply to {ep} ({names}) but no rule "
                                      f"matched, so the packet is dropped"))
            return False, decisions
    decisions.append(Decision(f"Profile kns.{ep.namespace}", None, direction,
                              "passed through every tier: the namespace profile allows"))
    return True, decisions


def evaluate(idx: PolicyIndex, src: Endpoint, dst: Endpoint, port: int, proto: str, sport: int | None = None,
             calico: bool = True) -> tuple[bool, list[Decision], str]:
    """``(allowed, decisions, note)`` as Calico (Felix) decides: egress at the source, then ingress at the destination."""
    proto = proto.upper()
    bypass = k8s.always_allowed(src, dst)
    if bypass:
        return True, [], bypass
    eg_ok, eg = direction_verdict(idx, src, "egress", src, dst, port, proto, sport, calico)
    if not eg_ok:
        return False, eg, "denied by the source's egress policy"
    in_ok, ing = direction_verdict(idx, dst, "ingress", src, dst, port, proto, sport, calico)
    if not in_ok:
        return False, eg + ing, "denied by the destination's ingress policy"
    note = "" if eg or ing else "no policy applies to either end"
    return True, eg + ing, note
