"""Reading kube-proxy's iptables chains: one Service's path, and the two syntaxes of one rule.

A learner meets kube-proxy's rules in two spellings. kube-proxy writes them as
``iptables-restore`` input (``pkg/proxy/iptables/proxier.go``, ``syncProxyRules``, Kubernetes
v1.35): ``-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000``, ``-m tcp -p tcp -d 10.96.0.5``.
On a node, ``iptables-save`` prints what the kernel kept: ``--set-xmark 0x4000/0x4000``, ``-d
10.96.0.5/32 -p tcp -m tcp``. The difference is the round trip through the kernel's rule
format, modelled by :mod:`kubelab.netfilter.xtables` (iptables 1.8 ``iptables-save``,
``extensions/libxt_MARK.c``, ``libxt_statistic.c``, ``libxt_recent.c``; checked against
iptables 1.8.9 in ``tests/proxy/test_iptables_kernel_props.py``). :func:`why_they_differ` says,
rule by rule, which part of that round trip changed the text.

:func:`walk` follows one Service from a built-in chain (``PREROUTING``, ``OUTPUT``,
``POSTROUTING``) through the jumps a packet can take: ``KUBE-SERVICES`` → ``KUBE-SVC-…`` →
``KUBE-SEP-…`` for the cluster IP, ``KUBE-SERVICES`` → ``KUBE-NODEPORTS`` → ``KUBE-EXT-…`` for a
node port, and ``KUBE-MARK-MASQ`` / ``KUBE-POSTROUTING`` for masquerading.

Simplification: a rule belongs to the Service when its comment names it; rules without a
comment (``KUBE-MARK-MASQ``, the first two of ``KUBE-POSTROUTING``) are shared by every Service
and always kept. In "large cluster mode" (over 1000 endpoints) kube-proxy drops the per-endpoint
comments, and the walk then keeps every endpoint rule it reaches.

Examples
--------
>>> from kubelab import Cluster
>>> from kubelab.examples import manifest
>>> from kubelab.proxy import proxier_for
>>> ipt = proxier_for(Cluster(manifest("web-service", "web-pods")), "iptables", node="kind-worker")
>>> [r.chain for r in walk(ipt, "POSTROUTING")]
['POSTROUTING', 'KUBE-POSTROUTING', 'KUBE-POSTROUTING', 'KUBE-POSTROUTING']
>>> mark = next(r for r in walk(ipt, "PREROUTING", "default/web") if r.chain == "KUBE-MARK-MASQ")
>>> mark.restore(), mark.save()
('-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000', '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000')
>>> why_they_differ(mark)
['--or-mark X is kept by the kernel as a value and a mask: iptables-save prints --set-xmark X/X, in short hex']
"""

from __future__ import annotations

import re

from .iptables import IPTablesProxier
from ..netfilter.xtables import BUILTIN_CHAINS, Rule, kernel_probability

__all__ = ["walk", "why_they_differ", "side_by_side"]

_HEADER_FLAGS = {"-s", "--source", "-d", "--destination", "-p", "--protocol", "-i", "-o"}


_SERVICE_WORD = re.compile(r"^([a-z0-9-]+/[a-z0-9][a-z0-9.-]*)(:\S*)?$")


def _services_named(rule: Rule) -> set[str]:
    """The ``namespace/name`` of every Service the rule's comment names (empty for a generic comment)."""
    words = (rule.comment or "").replace(",", " ").split()
    return {m.group(1) for m in map(_SERVICE_WORD.match, words) if m}


def walk(proxier: IPTablesProxier, start: str, service: str | None = None, table: str = "nat") -> list[Rule]:
    """The rules one Service's packets can meet from chain ``start``, in the order they are reached.

    Depth first: each rule of a chain, then (when it jumps to a kube-proxy chain not yet
    visited) that chain's rules. A rule is kept when its comment names ``service``
    (``"namespace/name"``), when it has no comment, or when it jumps to a chain that keeps
    rules; every chain is listed once.

    Parameters
    ----------
    proxier
        An iptables-mode proxier (``proxier_for(cluster, "iptables", node=...)``).
    start
        The chain to start from: a built-in one (``PREROUTING``, ``OUTPUT``, ``POSTROUTING``)
        or a kube-proxy chain (``KUBE-NODEPORTS``).
    service
        ``"namespace/name"``; ``None`` keeps every rule.
    table
        ``"nat"`` (default) or ``"filter"``.

    Examples
    --------
    >>> from kubelab import Cluster
    >>> from kubelab.examples import manifest
    >>> from kubelab.proxy import proxier_for
    >>> ipt = proxier_for(Cluster(manifest("web-service", "web-pods")), "iptables", node="kind-worker")
    >>> chains = dict.fromkeys(r.chain for r in walk(ipt, "PREROUTING", "default/web"))
    >>> [c[:9] + "…" if c.startswith(("KUBE-SVC-", "KUBE-SEP-")) else c for c in chains]
    ['PREROUTING', 'KUBE-SERVICES', 'KUBE-SVC-…', 'KUBE-MARK-MASQ', 'KUBE-SEP-…', 'KUBE-SEP-…', 'KUBE-SEP-…']
    """
    tables = proxier.full_tables()
    tab = tables[table]
    builtins = set(BUILTIN_CHAINS.get(table, ()))
    visited: set[str] = set()

    def chain(name: str) -> list[Rule]:
        visited.add(name)
        out: list[Rule] = []
        for rule in tab.chain_rules(name):
            named = _services_named(rule)
            if service is not None and named and service not in named:
                continue  # another Service's rule
            target = rule.target or ""
            if target.startswith("KUBE-") and target not in builtins and target not in visited:
                below = chain(target)
                if below or not named and rule.comment is None or service is None or service in named:
                    out.append(rule)
                    out.extend(below)
                continue
            out.append(rule)
        return out

    return chain(start)


def why_they_differ(rule: Rule) -> list[str]:
    """Why ``iptables-save`` prints ``rule`` differently from the line kube-proxy wrote.

    One sentence per kind of change, in the order they appear in the line; an empty list when
    the two lines are the same.

    Examples
    --------
    >>> r = Rule.parse("KUBE-SVC-X", '-m comment --comment "a/b:p cluster IP" -m tcp -p tcp -d 10.96.0.5 '
    ...                '--dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ')
    >>> for reason in why_they_differ(r):
    ...     print(reason)
    the header fields -s, -d, -p (kept in the rule's fixed header, not as extensions) come first, before every -m match
    a host address is kept with its mask: -d 10.96.0.5 is printed -d 10.96.0.5/32
    """
    if rule.restore() == rule.save():
        return []
    reasons: list[str] = []
    words = rule.args
    first_match = next((i for i, w in enumerate(words) if w in ("-m", "--match", "-j", "--jump")), len(words))
    late = [w for i, w in enumerate(words) if w in _HEADER_FLAGS and i > first_match]
    if late:
        reasons.append("the header fields -s, -d, -p (kept in the rule's fixed header, not as extensions) come "
                       "first, before every -m match")
    for flag, addr in (("-s", rule.src), ("-d", rule.dst)):
        if addr and "/" not in addr:
            reasons.append(f"a host address is kept with its mask: {flag} {addr} is printed {flag} {addr}/32")
    for m in rule.matches:
        if m.name == "statistic" and m.get("--probability"):
            p = m.get("--probability") or "0"
            reasons.append(f"the kernel keeps a probability as a 31-bit fraction: {p} comes back as "
                           f"{kernel_probability(p)}")
        if m.name == "recent" and not (m.has("--mask") and (m.has("--rsource") or m.has("--rdest"))):
            reasons.append("-m recent is printed with its defaults spelled out (--mask 255.255.255.255 --rsource) "
                           "and its options in a fixed order")
        if m.name == "mark" and m.get("--mark") and m.save().split()[-1] != m.get("--mark"):
            reasons.append("a mark is printed in short hex: 0x00004000 is printed 0x4000")
    opts = dict(rule.target_options)
    if rule.target == "MARK" and "--or-mark" in opts:
        reasons.append("--or-mark X is kept by the kernel as a value and a mask: iptables-save prints "
                       "--set-xmark X/X, in short hex")
    if rule.target == "MARK" and "--xor-mark" in opts:
        reasons.append("--xor-mark X is kept by the kernel as a value and a mask: iptables-save prints "
                       "--set-xmark X/0x0, in short hex")
    if rule.target == "REJECT" and "--reject-with" not in opts:
        reasons.append("REJECT is printed with its default --reject-with icmp-port-unreachable")
    if not reasons:
        reasons.append("iptables-save quotes a comment only when it has characters other than letters, digits, "
                       "- and _")
    return reasons


def side_by_side(rules: list[Rule], explain: bool = True) -> str:
    """Each rule as kube-proxy writes it and as ``iptables-save`` prints it, with why they differ.

    Examples
    --------
    >>> print(side_by_side([Rule.parse("KUBE-POSTROUTING", "-j MARK --xor-mark 0x00004000")]))
    restore: -A KUBE-POSTROUTING -j MARK --xor-mark 0x00004000
    save:    -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
             (--xor-mark X is kept by the kernel as a value and a mask: iptables-save prints --set-xmark X/0x0, in short hex)
    """
    out: list[str] = []
    for rule in rules:
        restore, save = rule.restore(), rule.save()
        out.append(f"restore: {restore}")
        out.append(f"save:    {save}" if save != restore else "save:    (the same)")
        if explain:
            out += [f"         ({reason})" for reason in why_they_differ(rule)]
    return "\n".join(out)
