"""Kubernetes NetworkPolicy (``networking.k8s.io/v1``): who may open a connection to whom.

Upstream: kubernetes/website ``content/en/docs/concepts/services-networking/network-policies.md``
and the truth tables of ``test/e2e/network/netpol`` (the x/y/z namespaces with pods
a/b/c).  The semantics, exactly:

- A pod is *isolated* for a direction (ingress, egress) once any NetworkPolicy in its
  namespace selects it and lists that direction in ``policyTypes``; otherwise that
  direction is open.  Policies never deny: what an isolated pod may do is the union of
  the rules of every policy selecting it, in any order.
- A connection needs both the source pod's egress and the destination pod's ingress to
  allow it; replies of an allowed connection are implied.
- A peer with ``podSelector`` only means pods of the policy's own namespace; with
  ``namespaceSelector`` only, every pod of the matching namespaces
  (``namespaceSelector: {}``: every pod of the cluster, not outside addresses); with
  both in one peer, pods matching both (AND); separate peers are alternatives (OR).
  Omitted ``from``/``to``: any peer.  ``ipBlock.except`` only carves addresses out of
  that one peer: another peer or policy may still allow them.
- ``ports``: protocol defaults to TCP; a named port is looked up on the destination
  pod; ``endPort`` makes an inclusive range.  Omitted ``ports``: every port.
- Traffic from the node to a pod on it (kubelet's probes) is always allowed, and so is
  a pod talking to itself.

Simplification: ``hostNetwork`` pods are treated as their node's address (selectors do
not select them), which is what most plugins do; SCTP is matched like any protocol.
"""

from __future__ import annotations

from ..api.networkpolicy import NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort
from .model import Decision, Endpoint, PolicyIndex, ip_in

__all__ = ["selects", "peer_matches", "ports_match", "rule_matches", "policies_for", "direction_verdict",
           "evaluate", "always_allowed", "describe_peer", "describe_ports"]

DIRECTIONS = ("ingress", "egress")
_TYPE = {"ingress": "Ingress", "egress": "Egress"}


def ref(np: "NetworkPolicy") -> str:
    return f"NetworkPolicy {np.namespace}/{np.name}"


def selects(np: "NetworkPolicy", pod) -> bool:
    """The policy applies to ``pod`` (same namespace, ``podSelector`` matches; ``{}`` selects all)."""
    return pod is not None and np.namespace == pod.namespace and np.spec.pod_selector.matches(pod.metadata.labels)


def policy_types(np: "NetworkPolicy") -> list[str]:
    """``policyTypes`` as the API server defaults them (``default()`` normally did this already)."""
    return np.spec.policy_types or (["Ingress"] + (["Egress"] if np.spec.egress else []))


def peer_matches(np: "NetworkPolicy", peer: "NetworkPolicyPeer", other: Endpoint) -> bool:
    """Does ``other`` (the far end of the connection) match one ``from``/``to`` item of ``np``?"""
    if peer.ip_block is not None:
        b = peer.ip_block
        return bool(b.cidr) and ip_in(other.ip, b.cidr) and not any(ip_in(other.ip, e) for e in b.except_)
    if other.pod is None:  # selectors select pods only: never nodes or outside addresses
        return False
    if peer.namespace_selector is None:
        if other.namespace != np.namespace:
            return False
    elif not peer.namespace_selector.matches(other.namespace_labels):
        return False
    return peer.pod_selector is None or peer.pod_selector.matches(other.labels)


def port_matches(p: "NetworkPolicyPort", port: int, proto: str, dst: Endpoint) -> bool:
    if (p.protocol or "TCP") != proto:
        return False
    if p.port is None:
        return True
    if isinstance(p.port, str):
        return port in dst.named_port(p.port, proto)
    if p.end_port is not None:
        return p.port <= port <= p.end_port
    return p.port == port


def ports_match(ports: list["NetworkPolicyPort"], port: int, proto: str, dst: Endpoint) -> bool:
    """Omitted ``ports``: every port; else any entry matches (named ports resolve on ``dst``)."""
    return not ports or any(port_matches(p, port, proto, dst) for p in ports)


def rule_matches(np: "NetworkPolicy", rule, direction: str, other: Endpoint, port: int, proto: str,
                 dst: Endpoint) -> bool:
    peers = rule.from_ if direction == "ingress" else rule.to
    if not ports_match(rule.ports, port, proto, dst):
        return False
    return not peers or any(peer_matches(np, peer, other) for peer in peers)


def policies_for(idx: PolicyIndex, ep: Endpoint, direction: str) -> list["NetworkPolicy"]:
    """The NetworkPolicies that isolate ``ep``'s pod for ``direction`` (cached per pod)."""
    if ep.pod is None:
        return []
    key = ("k8s", direction, ep.pod.key)
    hit = idx.cache.get(key)
    if hit is None:
        t = _TYPE[direction]
        hit = idx.cache[key] = [np for np in idx.k8s_by_namespace.get(ep.namespace, ())
                                if t in policy_types(np) and selects(np, ep.pod)]
    return hit


def describe_peer(peer: "NetworkPolicyPeer") -> str:
    if peer.ip_block is not None:
        ex = f" except {', '.join(peer.ip_block.except_)}" if peer.ip_block.except_ else ""
        return f"ipBlock {peer.ip_block.cidr}{ex}"
    parts = []
    if peer.namespace_selector is not None:
        parts.append(f"namespaceSelector {peer.namespace_selector}")
    if peer.pod_selector is not None:
        parts.append(f"podSelector {peer.pod_selector}")
    return " AND ".join(parts)


def describe_ports(ports: list["NetworkPolicyPort"]) -> str:
    if not ports:
        return "any port"
    out = []
    for p in ports:
        num = "any" if p.port is None else (f"{p.port}-{p.end_port}" if p.end_port is not None else str(p.port))
        out.append(f"{num}/{p.protocol or 'TCP'}")
    return ", ".join(out)


def why_rule(np: "NetworkPolicy", rule, direction: str, other: Endpoint) -> str:
    peers = rule.from_ if direction == "ingress" else rule.to
    word = "from" if direction == "ingress" else "to"
    if not peers:
        who = f"{word} anywhere"
    else:
        matched = [i for i, peer in enumerate(peers) if peer_matches(np, peer, other)]
        i = matched[0] if matched else 0
        who = f"{word}[{i}] {describe_peer(peers[i])}"
    return f"allows {who} on {describe_ports(rule.ports)}"


def always_allowed(src: Endpoint, dst: Endpoint) -> str | None:
    """Why the connection bypasses policy altogether, or ``None``."""
    if dst.pod is not None and src.pod is not None and src.pod.key == dst.pod.key:
        return "a pod may always talk to itself"
    if dst.pod is not None and src.pod is None and src.node is not None and src.node == dst.node:
        return f"traffic from node {src.node} to a pod on it (kubelet probes) is always allowed"
    return None


def direction_verdict(idx: PolicyIndex, ep: Endpoint, direction: str, other: Endpoint, port: int, proto: str,
                      dst: Endpoint) -> tuple[bool, list[Decision]]:
    """Is ``direction`` at ``ep`` allowed?  With the decisions (allowing rules, or the isolating policies)."""
    pols = policies_for(idx, ep, direction)
    if not pols:
        return True, []
    allowing = []
    for np in pols:
        rules = np.spec.ingress if direction == "ingress" else np.spec.egress
        for i, rule in enumerate(rules):
            if rule_matches(np, rule, direction, other, port, proto, dst):
                allowing.append(Decision(ref(np), i, direction, why_rule(np, rule, direction, other)))
    if allowing:
        return True, allowing
    names = ", ".join(ref(np).split(" ", 1)[1] for np in pols)
    return False, [Decision(ref(np), None, direction,
                            f"selects {ep} for {_TYPE[direction]} (isolated by {names}); no rule of any "
                            f"selecting policy allows {other} on {port}/{proto}") for np in pols]


def evaluate(idx: PolicyIndex, src: Endpoint, dst: Endpoint, port: int, proto: str) -> tuple[bool, list[Decision], str]:
    """``(allowed, decisions, note)`` under Kubernetes semantics (source egress AND destination ingress)."""
    proto = proto.upper()
    bypass = always_allowed(src, dst)
    if bypass:
        return True, [], bypass
    eg_ok, eg = direction_verdict(idx, src, "egress", dst, port, proto, dst)
    in_ok, ing = direction_verdict(idx, dst, "ingress", src, port, proto, dst)
    decisions = ([d for d in eg if d.rule is None] + [d for d in ing if d.rule is None]) if not (eg_ok and in_ok) \
        else eg + ing
    if eg_ok and in_ok:
        note = "" if decisions else "no NetworkPolicy isolates either end"
    else:
        sides = [s for s, ok in (("the source's egress", eg_ok), ("the destination's ingress", in_ok)) if not ok]
        note = "denied by " + " and ".join(sides)
    return eg_ok and in_ok, decisions, note
