"""Netfilter evaluation: walk a packet through iptables chains, rule by rule, as the kernel does.

Upstream: ``net/ipv4/netfilter/ip_tables.c`` (``ipt_do_table``: rules in order,
a jump pushes a return point, ``RETURN`` or the end of a user chain returns,
the end of a built-in chain applies its policy; a terminating target ends the
table), ``nf_nat_core.c`` (NAT rules are consulted only for the first packet
of a connection), and the match extensions kube-proxy uses: ``xt_addrtype``,
``xt_mark``, ``xt_conntrack``, ``xt_statistic`` (random mode draws a 32-bit
number and matches when it is below the stored probability), ``xt_recent``
(``--set`` records the source, ``--rcheck --seconds N --reap`` matches a source
seen in the last N seconds), ``xt_tcpudp``.

Simplifications: no packet counters, no ``-i``/``-o`` interface matching
(kube-proxy's rules do not use it), time in whole seconds of a model clock.

Examples
--------
>>> from kubelab.netfilter.xtables import Table
>>> t = Table("nat")
>>> _ = t.append("PREROUTING", "-d 10.96.0.5 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.244.1.2:8080")
>>> ev = Evaluator({"nat": t}, local_ips={"172.18.0.3"})
>>> from kubelab.netfilter.packet import Packet
>>> pkt = Packet("10.244.2.9", 40000, "10.96.0.5", 80)
>>> result = ev.run("nat", "PREROUTING", pkt)
>>> result.verdict, pkt.dst, pkt.dport
('ACCEPT', '10.244.1.2', 8080)
"""

from __future__ import annotations

import functools
import ipaddress
import random
from dataclasses import dataclass, field

from .packet import Packet
from .xtables import Rule, Table

__all__ = ["Evaluator", "ChainStep", "RunResult", "TERMINATING"]

TERMINATING = {"ACCEPT", "DROP", "REJECT", "DNAT", "SNAT", "MASQUERADE", "REDIRECT"}


@dataclass
class ChainStep:
    """One rule looked at: where, the rule text, whether it matched, and what it did."""

    table: str
    chain: str
    rule: str
    matched: bool
    action: str = ""


@dataclass
class RunResult:
    verdict: str  # ACCEPT, DROP, REJECT (the hook's outcome)
    steps: list[ChainStep] = field(default_factory=list)
    reject_with: str | None = None


@functools.lru_cache(maxsize=65536)
def _in(ip: str, net: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(net, strict=False)
    except ValueError:
        return False


class Evaluator:
    """Evaluates packets against the tables of one network namespace (a node).

    ``local_ips`` are the addresses ``-m addrtype --src-type/--dst-type LOCAL`` treat as
    local; ``rng`` draws the ``statistic`` random numbers; ``recent`` is the ``xt_recent``
    state and ``clock`` the model time in seconds.
    """

    def __init__(self, tables: dict[str, Table], local_ips: set[str], rng: random.Random | None = None):
        self.tables = tables
        self.local_ips = set(local_ips)
        self.rng = rng or random.Random(0)
        self.recent: dict[str, dict[str, int]] = {}
        self.clock = 0
        #: id(rule) -> (rule, its restore text): a trace records every rule it looks at, and the same
        #: rules are looked at by every connection through this node (the rule is kept, so its id stays its own)
        self._texts: dict[int, tuple[Rule, str]] = {}

    def _text(self, rule: Rule) -> str:
        hit = self._texts.get(id(rule))
        if hit is None or hit[0] is not rule:
            hit = self._texts[id(rule)] = (rule, rule.restore())
        return hit[1]

    def is_local(self, ip: str) -> bool:
        return ip in self.local_ips or _in(ip, "127.0.0.0/8")

    def run(self, table: str, chain: str, pkt: Packet, new: bool = True) -> RunResult:
        """Traverse built-in ``chain`` of ``table``; ``pkt`` is modified in place by NAT and MARK."""
        res = RunResult("ACCEPT")
        t = self.tables.get(table)
        if t is None:
            return res
        verdict = self._chain(t, chain, pkt, res, new, depth=0)
        res.verdict = verdict or "ACCEPT"
        return res

    def _chain(self, t: Table, chain: str, pkt: Packet, res: RunResult, new: bool, depth: int) -> str | None:
        if depth > 32:
            raise RuntimeError(f"chain loop at {chain}")
        for rule in t.chain_rules(chain):
            matched = self._matches(rule, pkt, new)
            step = ChainStep(t.name, chain, self._text(rule), matched)
            res.steps.append(step)
            if not matched:
                continue
            target = rule.target
            if target is None:
                step.action = "no target (counts only)"
                continue
            if target == "RETURN":
                step.action = "RETURN"
                return None
            if target == "MARK":
                before = pkt.mark
                opts = dict(rule.target_options)
                if "--or-mark" in opts:
                    pkt.mark |= int(opts["--or-mark"] or "0", 0)
                elif "--xor-mark" in opts:
                    pkt.mark ^= int(opts["--xor-mark"] or "0", 0)
                elif "--set-xmark" in opts:
                    v, _, m = (opts["--set-xmark"] or "0").partition("/")
                    pkt.mark = (pkt.mark & ~int(m or "0xffffffff", 0)) ^ int(v, 0)
                step.action = f"MARK {before:#x} -> {pkt.mark:#x}"
                continue
            if target == "DNAT":
                to = rule.target_option("--to-destination") or ""
                ip, _, port = to.rpartition(":")
                step.action = f"DNAT {pkt.dst}:{pkt.dport} -> {to}"
                pkt.dst, pkt.dport, pkt.dnat = ip, int(port), True
                return "ACCEPT"
            if target == "MASQUERADE":
                step.action = "MASQUERADE"
                return "MASQUERADE"
            if target in ("ACCEPT", "DROP"):
                step.action = target
                return target
            if target == "REJECT":
                res.reject_with = rule.target_option("--reject-with") or "icmp-port-unreachable"
                step.action = f"REJECT ({res.reject_with})"
                return "REJECT"
            # a jump to a user-defined chain
            step.action = f"jump {target}"
            verdict = self._chain(t, target, pkt, res, new, depth + 1)
            if verdict is not None:
                return verdict
        return None

    def _matches(self, rule: Rule, pkt: Packet, new: bool) -> bool:
        if rule.proto and rule.proto.lower() != pkt.proto.lower():
            return False
        if rule.src and _in(pkt.src, rule.src) == rule.src_neg:
            return False
        if rule.dst and _in(pkt.dst, rule.dst) == rule.dst_neg:
            return False
        for m in rule.matches:
            if not self._match(m, pkt, new):
                return False
        return True

    def _match(self, m, pkt: Packet, new: bool) -> bool:
        name = m.name
        if name == "comment":
            return True
        if name in ("tcp", "udp", "sctp"):
            if name != pkt.proto.lower():
                return False
            dport = m.get("--dport")
            if dport is not None and (int(dport) == pkt.dport) == m.negated("--dport"):
                return False
            return True
        if name == "addrtype":
            for flag, ip in (("--src-type", pkt.src), ("--dst-type", pkt.dst)):
                want = m.get(flag)
                if want is not None:
                    is_type = want == "LOCAL" and self.is_local(ip)
                    if is_type == m.negated(flag):
                        return False
            return True
        if name == "mark":
            v, _, mask = (m.get("--mark") or "0").partition("/")
            ok = (pkt.mark & int(mask or "0xffffffff", 0)) == int(v, 0)
            return ok != m.negated("--mark")
        if name == "conntrack":
            states = set((m.get("--ctstate") or "").split(","))
            have = {"NEW"} if new else {"ESTABLISHED"}
            if pkt.dnat:
                have.add("DNAT")
            return bool(states & have) != m.negated("--ctstate")
        if name == "statistic":
            p = float(m.get("--probability") or "0")
            threshold = int(p * 0x80000000 + 0.5)  # what the kernel stored (lround(p * 2^31))
            return self.rng.getrandbits(31) < threshold
        if name == "recent":
            table = self.recent.setdefault(m.get("--name") or "DEFAULT", {})
            if m.has("--set"):
                table[pkt.src] = self.clock
                return True
            if m.has("--rcheck") or m.has("--update"):
                seen = table.get(pkt.src)
                seconds = m.get("--seconds")
                ok = seen is not None and (seconds is None or self.clock - seen <= int(seconds))
                if m.has("--reap") and seconds is not None:
                    for src in [s for s, t in table.items() if self.clock - t > int(seconds)]:
                        del table[src]
                if ok and m.has("--update"):
                    table[pkt.src] = self.clock
                return ok
            return True
        return True  # unknown matches (e.g. nfacct counters) do not filter
