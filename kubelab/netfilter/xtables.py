"""iptables rules as data: parse the arguments kube-proxy writes, render them as ``iptables-save`` prints them.

kube-proxy hands ``iptables-restore`` lines such as
``-A KUBE-SVC-X -m comment --comment "ns/svc cluster IP" -m tcp -p tcp -d 10.96.0.5 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ``.
The kernel keeps them as an address/protocol header plus a list of match and
target extensions, and ``iptables-save`` prints them back in its own order.
This module models exactly that round trip, for the vocabulary kube-proxy
uses (``comment``, ``tcp``/``udp``/``sctp``, ``addrtype``, ``mark``,
``conntrack``, ``statistic``, ``recent``; targets ``MARK``, ``MASQUERADE``,
``DNAT``, ``REJECT``, ``DROP``, ``ACCEPT``, ``RETURN`` and chain jumps).

Upstream: iptables 1.8 ``iptables/iptables.c`` and ``iptables-save``
(header fields ``-s -d -i -o -p`` first, ``!`` before the flag, host addresses
as ``/32``), libxtables ``xtables_save_string`` (quote unless only
``[A-Za-z0-9_-]``), ``extensions/libxt_statistic.c`` (probability stored as
``lround(p * 2^31)``, printed ``%.11f``), ``libxt_MARK.c`` (``--or-mark X`` is
saved ``--set-xmark X/X``, ``--xor-mark X`` as ``--set-xmark X/0x0``),
``libxt_recent.c`` (save order and the implicit ``--mask 255.255.255.255
--rsource``), ``libipt_REJECT.c`` (the default ``--reject-with
icmp-port-unreachable``).  Checked against iptables 1.8.9 (nft and legacy back
ends): the rule text is identical; the legacy back end prints the ``nat`` table
before ``filter``, the nft back end the other way round.

Examples
--------
>>> r = Rule.parse("KUBE-SVC-X", '-m comment --comment "a/b -> 10.0.0.1:80" -m statistic --mode random '
...                '--probability 0.3333333333 -j KUBE-SEP-Y')
>>> r.save()
'-A KUBE-SVC-X -m comment --comment "a/b -> 10.0.0.1:80" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-Y'
"""

from __future__ import annotations

import ipaddress
import shlex
from dataclasses import dataclass, field

__all__ = ["Rule", "Match", "Table", "save_string", "kernel_probability", "parse_restore", "BUILTIN_CHAINS"]

#: Built-in chains per table, in the order iptables-save lists them.
BUILTIN_CHAINS = {
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
}
_SAFE = frozenset("_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_CT_ORDER = ("INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED", "SNAT", "DNAT")


def save_string(value: str) -> str:
    """``xtables_save_string``: bare if only ``[A-Za-z0-9_-]``, else double-quoted with ``"\\'`` escaped."""
    if value and all(c in _SAFE for c in value):
        return value
    escaped = "".join("\\" + c if c in "\"\\'" else c for c in value)
    return f'"{escaped}"'


def kernel_probability(text: str) -> str:
    """What ``iptables-save`` prints for ``--probability text``: the kernel keeps ``lround(p * 2^31)``."""
    stored = int(float(text) * 0x80000000 + 0.5)
    return f"{stored / 0x80000000:.11f}"


def _addr(value: str) -> str:
    net = ipaddress.ip_network(value, strict=False)
    return f"{net.network_address}/{net.prefixlen}"


@dataclass
class Match:
    """One ``-m NAME`` extension with its options, in the order they were given."""

    name: str
    options: list[tuple[bool, str, str | None]] = field(default_factory=list)  # (negated, --flag, value)

    def get(self, flag: str) -> str | None:
        for _, f, v in self.options:
            if f == flag:
                return v
        return None

    def has(self, flag: str) -> bool:
        return any(f == flag for _, f, _ in self.options)

    def negated(self, flag: str) -> bool:
        return any(n for n, f, _ in self.options if f == flag)

    def save(self) -> str:
        n = self.name
        if n == "comment":
            return f"-m comment --comment {save_string(self.get('--comment') or '')}"
        if n == "statistic":
            parts = ["-m statistic --mode", self.get("--mode") or "random"]
            if self.has("--probability"):
                parts += ["--probability", kernel_probability(self.get("--probability") or "0")]
            if self.has("--every"):
                parts += ["--every", self.get("--every") or "", "--packet", self.get("--packet") or "0"]
            return " ".join(parts)
        if n == "recent":
            parts = ["-m recent"]
            for mode in ("--set", "--rcheck", "--update", "--remove"):
                if self.has(mode):
                    parts.append(("! " if self.negated(mode) else "") + mode)
            if self.get("--seconds"):
                parts.append(f"--seconds {self.get('--seconds')}")
            if self.has("--reap"):
                parts.append("--reap")
            if self.get("--hitcount"):
                parts.append(f"--hitcount {self.get('--hitcount')}")
            parts.append(f"--name {self.get('--name') or 'DEFAULT'}")
            parts.append(f"--mask {self.get('--mask') or '255.255.255.255'}")
            parts.append("--rdest" if self.has("--rdest") else "--rsource")
            return " ".join(parts)
        if n == "mark":
            value = self.get("--mark") or "0"
            v, _, m = value.partition("/")
            text = f"{int(v, 0):#x}" + (f"/{int(m, 0):#x}" if m and int(m, 0) != 0xFFFFFFFF else "")
            return f"-m mark {'! ' if self.negated('--mark') else ''}--mark {text}"
        if n == "conntrack":
            states = (self.get("--ctstate") or "").split(",")
            ordered = ",".join(s for s in _CT_ORDER if s in states)
            return f"-m conntrack {'! ' if self.negated('--ctstate') else ''}--ctstate {ordered}"
        out = [f"-m {n}"]
        for neg, flag, value in self.options:
            out.append(("! " if neg else "") + flag + (f" {value}" if value is not None else ""))
        return " ".join(out)


_VALUE_FLAGS = {"--comment", "--dport", "--sport", "--dst-type", "--src-type", "--mark", "--ctstate", "--mode",
                "--probability", "--every", "--packet", "--name", "--seconds", "--hitcount", "--mask",
                "--to-destination", "--to-source", "--or-mark", "--xor-mark", "--set-xmark", "--set-mark",
                "--reject-with", "--to-ports", "--nfacct-name", "--dports", "--set-mss", "--state",
                "--vaddr", "--vproto", "--vport"}
#: options that take two words (``-m set --match-set KUBE-CLUSTER-IP dst,dst``)
_TWO_VALUE_FLAGS = {"--match-set"}
_HEADER = {"-s": "src", "--source": "src", "-d": "dst", "--destination": "dst", "-p": "proto", "--protocol": "proto",
           "-i": "in_iface", "-o": "out_iface"}


@dataclass
class Rule:
    """A rule of one chain: the header fields, the matches and the target, plus the text it was written as."""

    chain: str
    args: list[str]
    src: str | None = None
    src_neg: bool = False
    dst: str | None = None
    dst_neg: bool = False
    proto: str | None = None
    in_iface: str | None = None
    out_iface: str | None = None
    matches: list[Match] = field(default_factory=list)
    target: str | None = None
    target_options: list[tuple[str, str | None]] = field(default_factory=list)

    @classmethod
    def parse(cls, chain: str, args: str | list[str]) -> "Rule":
        words = shlex.split(args) if isinstance(args, str) else list(args)
        rule = cls(chain=chain, args=words)
        i, negate, current = 0, False, None
        while i < len(words):
            w = words[i]
            if w == "!":
                negate = True
                i += 1
                continue
            if w in _HEADER:
                attr = _HEADER[w]
                setattr(rule, attr, words[i + 1])
                if attr in ("src", "dst"):
                    setattr(rule, attr + "_neg", negate)
                negate, i = False, i + 2
                continue
            if w in ("-m", "--match"):
                current = Match(words[i + 1])
                rule.matches.append(current)
                i += 2
                continue
            if w in ("-j", "--jump"):
                rule.target = words[i + 1]
                current = None
                i += 2
                continue
            if w.startswith("--"):
                if w in _TWO_VALUE_FLAGS and i + 2 < len(words):
                    value, step = f"{words[i + 1]} {words[i + 2]}", 3
                elif w in _VALUE_FLAGS and i + 1 < len(words):
                    value, step = words[i + 1], 2
                else:
                    value, step = None, 1
                if rule.target is not None:
                    rule.target_options.append((w, value))
                elif current is not None:
                    current.options.append((negate, w, value))
                else:
                    raise ValueError(f"option {w} outside a match in {words}")
                negate = False
                i += step
                continue
            raise ValueError(f"cannot parse {w!r} in {words}")
        return rule

    # -- queries used by the trace engine and tests
    def match(self, name: str) -> Match | None:
        return next((m for m in self.matches if m.name == name), None)

    @property
    def comment(self) -> str | None:
        m = self.match("comment")
        return m.get("--comment") if m else None

    def target_option(self, flag: str) -> str | None:
        for f, v in self.target_options:
            if f == flag:
                return v
        return None

    # -- renderings
    def restore(self) -> str:
        """The line as kube-proxy writes it into ``iptables-restore`` input."""
        return " ".join(["-A", self.chain, *(_restore_word(w) for w in self.args)])

    def save(self) -> str:
        """The line as ``iptables-save`` prints it back."""
        out = ["-A", self.chain]
        if self.src:
            out.append(("! " if self.src_neg else "") + f"-s {_addr(self.src)}")
        if self.dst:
            out.append(("! " if self.dst_neg else "") + f"-d {_addr(self.dst)}")
        if self.in_iface:
            out.append(f"-i {self.in_iface}")
        if self.out_iface:
            out.append(f"-o {self.out_iface}")
        if self.proto:
            out.append(f"-p {self.proto}")
        out.extend(m.save() for m in self.matches)
        if self.target:
            out.append(f"-j {self.target}")
            out.extend(_save_target(self.target, self.target_options))
        return " ".join(out)


def _restore_word(word: str) -> str:
    """kube-proxy quotes comments itself (``"...")``); keep words with spaces quoted."""
    return f'"{word}"' if (" " in word or not word) else word


def _save_target(target: str, options: list[tuple[str, str | None]]) -> list[str]:
    opts = dict(options)
    if target == "MARK":
        if "--or-mark" in opts:
            v = int(opts["--or-mark"] or "0", 0)
            return [f"--set-xmark {v:#x}/{v:#x}"]
        if "--xor-mark" in opts:
            v = int(opts["--xor-mark"] or "0", 0)
            return [f"--set-xmark {v:#x}/0x0"]
        if "--set-xmark" in opts:
            v, _, m = (opts["--set-xmark"] or "0").partition("/")
            return [f"--set-xmark {int(v, 0):#x}/{int(m or '0xffffffff', 0):#x}"]
    if target == "REJECT":
        return [f"--reject-with {opts.get('--reject-with') or 'icmp-port-unreachable'}"]
    out = []
    for flag, value in options:
        out.append(flag + (f" {value}" if value is not None else ""))
    return out


@dataclass
class Table:
    """One table (``nat`` or ``filter``): chains in declaration order and their rules.

    Chain membership and the rules of each chain are indexed, so declaring, appending,
    walking a chain and rendering stay linear at the scale of 10,000 Services.
    """

    name: str
    chains: list[str] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    _declared: set[str] = field(default_factory=set, repr=False, compare=False)
    _by_chain: dict[str, list[Rule]] = field(default_factory=dict, repr=False, compare=False)
    _indexed: int = field(default=0, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._declared = set(self.chains)

    def declare(self, chain: str) -> None:
        if chain not in self._declared:
            self._declared.add(chain)
            self.chains.append(chain)

    def append(self, chain: str, args: str | list[str]) -> Rule:
        rule = Rule.parse(chain, args)
        self.rules.append(rule)
        return rule

    def _index(self) -> dict[str, list[Rule]]:
        if self._indexed != len(self.rules):  # rules were added since (by append or directly)
            by_chain: dict[str, list[Rule]] = {}
            for r in self.rules:
                by_chain.setdefault(r.chain, []).append(r)
            self._by_chain, self._indexed = by_chain, len(self.rules)
        return self._by_chain

    def chain_rules(self, chain: str) -> list[Rule]:
        return self._index().get(chain, [])

    def save(self) -> str:
        """``iptables-save`` text of this table: built-in chains, user chains sorted by name, rules per chain."""
        builtins = BUILTIN_CHAINS.get(self.name, ())
        by_chain = self._index()
        user = sorted(c for c in set(self.chains) | set(by_chain) if c not in builtins)
        lines = [f"*{self.name}"]
        lines += [f":{c} ACCEPT [0:0]" for c in builtins]
        lines += [f":{c} - [0:0]" for c in user]
        for c in (*builtins, *user):
            lines += [r.save() for r in by_chain.get(c, ())]
        lines.append("COMMIT")
        return "\n".join(lines) + "\n"


def parse_restore(text: str) -> dict[str, Table]:
    """Parse ``iptables-restore`` (or ``iptables-save``) text into tables; comments and counters are ignored."""
    tables: dict[str, Table] = {}
    table: Table | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            table = tables.setdefault(line[1:], Table(line[1:]))
        elif line == "COMMIT":
            table = None
        elif line.startswith(":") and table is not None:
            table.declare(line[1:].split()[0])
        elif line.startswith("-A ") and table is not None:
            _, chain, rest = line.split(" ", 2)
            table.append(chain, rest)
        elif line.startswith("-X ") and table is not None:
            continue  # chain deletion of a previous sync
        else:
            raise ValueError(f"unexpected line in iptables-restore input: {line!r}")
    return tables
