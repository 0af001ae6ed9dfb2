"""ipsets as kube-proxy's IPVS mode keeps them, and the iptables vocabulary around them.

Upstream: kubernetes ``pkg/proxy/ipvs/ipset.go`` (set names and comments),
``pkg/proxy/ipvs/ipset/ipset.go`` (``Entry.String``: ``ip,proto:port``,
``ip,proto:port,ip``, ``ip,proto:port,net``, bare ``port``; ``createSet``:
``family inet hashsize 1024 maxelem 65536`` for hash sets, ``range 0-65535``
for ``bitmap:port``; no ``comment`` option, so members carry no comments);
ipset 7.x ``lib/print.c``/``session.c`` for the ``ipset list`` and
``ipset save`` layout; iptables ``extensions/libxt_set.c`` (``-m set
--match-set NAME dst,dst``), ``libxt_physdev.c``, ``libxt_ipvs.c``,
``libxt_state.c``.

Checked against the real ``ipset`` 7.17 on Linux 6.18 (in a throwaway ``kl-``
network namespace): the header lines, the type revisions (``hash:ip,port`` 7,
``hash:ip,port,ip`` 6, ``hash:ip,port,net`` 8, ``hash:ip`` 6,
``bitmap:port`` 3) and the sizes in memory (``hash:ip,port`` 216 + 48 per
entry, ``hash:ip,port,ip`` 208 + 56, ``hash:ip,port,net`` 464 + 56,
``hash:ip`` 216 + 40, ``bitmap:port`` 0-65535 8264) are those of that kernel.
Simplifications: members are listed sorted (the kernel lists hash sets in
bucket order, which depends on the random ``initval``; kube-proxy itself keeps
them in a sorted ``sets.String``); ``initval`` is a stable stand-in derived
from the set name (the kernel draws it at random); ``References`` counts the
iptables rules of the model that name the set; sizes are the measured linear
fit, exact while entries land in distinct buckets.

Examples
--------
>>> s = IPSet("KUBE-CLUSTER-IP", "hash:ip,port", "Kubernetes service cluster ip + port for masquerade purpose")
>>> s.add("10.96.0.10,udp:53"); s.add("10.96.0.1,tcp:443")
>>> s.contains(dst="10.96.0.1", proto="tcp", dport=443, flags="dst,dst")
True
>>> print(s.save(), end="")
create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x...
add KUBE-CLUSTER-IP 10.96.0.1,tcp:443
add KUBE-CLUSTER-IP 10.96.0.10,udp:53
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
from dataclasses import dataclass, field

from ..netfilter.evaluator import ChainStep, Evaluator, RunResult
from ..netfilter.packet import Packet
from ..netfilter.xtables import Rule, Table

__all__ = ["IPSet", "parse_rule", "KubeProxyEvaluator", "SET_TYPES"]

#: type -> (revision, size in memory when empty, bytes per entry), measured (see the module docstring).
SET_TYPES = {
    "hash:ip,port": (7, 216, 48),
    "hash:ip,port,ip": (6, 208, 56),
    "hash:ip,port,net": (8, 464, 56),
    "hash:ip": (6, 216, 40),
    "bitmap:port": (3, 8264, 0),
}


def _ip_sort_key(entry: str):
    parts = entry.split(",")
    out = []
    for p in parts:
        head = p.split(":")[-1] if ":" in p else p
        try:
            out.append((0, int(ipaddress.ip_network(p, strict=False).network_address), 0))
        except ValueError:
            proto, _, port = p.partition(":")
            out.append((1, proto, int(port) if port.isdigit() else head))
    return out


@dataclass
class IPSet:
    """One kernel ipset: name, type, kube-proxy's comment (not stored in the kernel) and members."""

    name: str
    type: str
    comment: str = ""
    entries: set[str] = field(default_factory=set)
    references: int = 0

    def add(self, entry: str) -> None:
        self.entries.add(entry)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def is_empty(self) -> bool:
        return not self.entries

    @property
    def members(self) -> list[str]:
        if self.type == "bitmap:port":
            return [str(p) for p in sorted(int(e) for e in self.entries)]
        return sorted(self.entries, key=_ip_sort_key)

    @property
    def initval(self) -> str:
        return "0x" + hashlib.sha256(self.name.encode()).hexdigest()[:8]

    @property
    def header(self) -> str:
        if self.type == "bitmap:port":
            return "range 0-65535"
        return f"family inet hashsize 1024 maxelem 65536 bucketsize 12 initval {self.initval}"

    @property
    def size_in_memory(self) -> int:
        _, base, per = SET_TYPES[self.type]
        return base + per * len(self.entries)

    def list(self) -> str:
        """``ipset list NAME``."""
        rev = SET_TYPES[self.type][0]
        lines = [f"Name: {self.name}", f"Type: {self.type}", f"Revision: {rev}", f"Header: {self.header}",
                 f"Size in memory: {self.size_in_memory}", f"References: {self.references}",
                 f"Number of entries: {len(self.entries)}", "Members:", *self.members]
        return "\n".join(lines) + "\n"

    def save(self) -> str:
        """``ipset save NAME`` (also valid ``ipset restore`` input)."""
        lines = [f"create {self.name} {self.type} {self.header}"]
        lines += [f"add {self.name} {m}" for m in self.members]
        return "\n".join(lines) + "\n"

    # -- the kernel's membership test (``ip_set_test`` with the match's direction flags)
    def contains(self, *, src: str = "", dst: str = "", proto: str = "", sport: int = 0, dport: int = 0,
                 flags: str = "dst,dst") -> bool:
        dirs = flags.split(",")
        values = {"src": (src, sport), "dst": (dst, dport)}
        proto = proto.lower()
        if self.type == "bitmap:port":
            return str(values[dirs[0]][1]) in self.entries
        if self.type == "hash:ip":
            return values[dirs[0]][0] in self.entries
        if len(dirs) < 2:
            return False
        ip = values[dirs[0]][0]
        port = values[dirs[1]][1]
        head = f"{ip},{proto}:{port}"
        if self.type == "hash:ip,port":
            return head in self.entries
        if len(dirs) < 3:
            return False
        third = values[dirs[2]][0]
        if self.type == "hash:ip,port,ip":
            return f"{head},{third}" in self.entries
        if self.type == "hash:ip,port,net":
            for e in self.entries:
                if e.startswith(head + ","):
                    net = e[len(head) + 1:]
                    if third and ipaddress.ip_address(third) in ipaddress.ip_network(net, strict=False):
                        return True
        return False


# ----------------------------------------------------------------------------- iptables rules with sets
def parse_rule(chain: str, words: list[str]) -> Rule:
    """A :class:`~kubelab.netfilter.xtables.Rule` from kube-proxy's argument words (the shared parser knows
    ``set``'s two-word ``--match-set`` and the ``ipvs``, ``physdev`` and ``state`` options)."""
    return Rule.parse(chain, list(words))


def append(table: Table, chain: str, words: list[str]) -> Rule:
    rule = parse_rule(chain, words)
    table.rules.append(rule)
    return rule


class KubeProxyEvaluator(Evaluator):
    """The netfilter evaluator plus what the IPVS and userspace modes use: ``-m set`` (kernel ipsets),
    ``-m physdev ! --physdev-is-in`` (the packet did not come in through a bridge port: not from a local
    pod), ``-m ipvs`` (the packet belongs to an IPVS virtual service), ``-m state`` and the ``REDIRECT``
    target (to the primary address of the incoming interface)."""

    def __init__(self, tables: dict[str, Table], local_ips: set[str], rng: random.Random | None = None, *,
                 ipsets: dict[str, IPSet] | None = None, bridged: set[str] | None = None,
                 redirect_ip: str | None = None):
        super().__init__(tables, local_ips, rng)
        self.ipsets = ipsets or {}
        self.bridged = bridged or set()  # pod CIDRs whose packets arrive through a bridge port
        self.redirect_ip = redirect_ip
        self.ipvs_vip: tuple[str, str, int] | None = None  # set by the IPVS hook once a VS took the packet

    def _from_bridge(self, pkt: Packet) -> bool:
        return any(ipaddress.ip_address(pkt.src) in ipaddress.ip_network(c) for c in self.bridged)

    def _match(self, m, pkt: Packet, new: bool) -> bool:
        name = m.name
        if name == "set":
            set_name, _, flags = (m.get("--match-set") or "").partition(" ")
            s = self.ipsets.get(set_name)
            hit = s is not None and s.contains(src=pkt.src, dst=pkt.dst, proto=pkt.proto, sport=pkt.sport,
                                               dport=pkt.dport, flags=flags)
            return hit != m.negated("--match-set")
        if name == "physdev":
            if m.has("--physdev-is-in"):
                return self._from_bridge(pkt) != m.negated("--physdev-is-in")
            return True
        if name == "state":
            states = set((m.get("--state") or "").split(","))
            return bool(states & ({"NEW"} if new else {"ESTABLISHED"})) != m.negated("--state")
        if name == "ipvs":
            if self.ipvs_vip is None:
                return False
            vaddr, vproto, vport = self.ipvs_vip
            want = (m.get("--vaddr") or "").split("/")[0]
            return (not want or want == vaddr) and (m.get("--vproto") or vproto) == vproto and \
                int(m.get("--vport") or vport) == vport
        return super()._match(m, pkt, new)

    def _chain(self, t: Table, chain: str, pkt: Packet, res: RunResult, new: bool, depth: int) -> str | None:
        # REDIRECT is terminal and rewrites the destination; everything else as the base evaluator does.
        rules = t.chain_rules(chain)
        if not any(r.target == "REDIRECT" for r in rules):
            return super()._chain(t, chain, pkt, res, new, depth)
        others = [r for r in t.rules if r.chain != chain]
        for rule in rules:
            if rule.target != "REDIRECT":
                sub = Table(t.name, list(t.chains), [rule, *others])
                before = len(res.steps)
                verdict = super()._chain(sub, chain, pkt, res, new, depth)
                for s in res.steps[before:]:
                    s.table = t.name
                if verdict is not None:
                    return verdict
                if res.steps[before:] and res.steps[before].matched and res.steps[before].action == "RETURN":
                    return None
                continue
            matched = self._matches(rule, pkt, new)
            step = ChainStep(t.name, chain, rule.restore(), matched)
            res.steps.append(step)
            if matched:
                port = int(rule.target_option("--to-ports") or pkt.dport)
                to = self.redirect_ip or pkt.dst
                step.action = f"REDIRECT {pkt.dst}:{pkt.dport} -> {to}:{port}"
                pkt.dst, pkt.dport, pkt.dnat = to, port, True
                return "ACCEPT"
        return None
