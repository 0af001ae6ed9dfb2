"""An nftables transaction and table, as sigs.k8s.io/knftables builds and prints them.

kube-proxy's nftables mode does not write nft text itself: it fills a
``knftables.Transaction`` (``tx.Add``/``tx.Flush``/``tx.Delete`` of a table,
chains, rules, sets, maps and elements) and runs it, which pipes the
transaction's text to ``nft -f -``.  Its unit tests run the same transaction
against ``knftables.Fake`` and compare ``Fake.Dump()``.  This module is that
pair, in the small: :class:`Transaction` records the operations and prints
them as the text kube-proxy pipes to ``nft``; :class:`Table` applies them the
way ``Fake.Run`` does and prints ``Dump()`` (:meth:`Table.dump`) and what
``nft list table`` shows once the kernel holds it (:meth:`Table.ruleset`).

Upstream: sigs.k8s.io/knftables ``fake.go`` (``Run``: an ``add`` of an existing
chain/set/map is a no-op, ``flush`` empties it; ``Dump``: the table, then every
chain by name (Go byte order) each followed by its rules, then every set by
name with its elements, then every map by name with its elements) and
``objects.go`` (``writeOperation``: ``add chain ip kube-proxy NAME { type T hook
H priority P ; comment "C" ; }``, set/map ``{ type T ; flags a,b ; timeout Ns ;
comment "C" ; }``, element ``{ KEY comment "C" : VALUE }``), as vendored by
Kubernetes v1.35 (knftables v0.0.18 era: base-chain priorities are written as
numbers, ``dstnat-10`` -> ``-110``; set timeouts carry the ``s`` unit);
``util.go`` (``Concat``: words joined by one space).

The :meth:`Table.ruleset` rendering is nft 1.0.6's (Debian 12) ``list table`` output, checked
against the real ``nft`` on this machine by ``tests/proxy/test_nftables_real.py``: a tab per
level; sets and maps before chains, in creation order; named priorities where nft has a name
valid for the hook within 10 (``dstnat - 10`` in prerouting, ``filter``, ``srcnat``; plain
``-110`` in output); mark expressions spelt out (``meta mark set meta mark | 0x00004000``);
anonymous sets without braces for one element, sorted and merged as intervals for several;
``size 65535`` on dynamic sets; timeouts as ``3h``; elements wrapped as nft's
``calculate_delim`` does.  Element order is the kernel's hash order, which the model does not
reproduce: compare elements as sets.

Examples
--------
>>> tx = Transaction("ip", "kube-proxy")
>>> tx.add_table(comment="rules for kube-proxy")
>>> tx.add_chain("services")
>>> tx.add_rule("services", "ip daddr . meta l4proto . th dport vmap @service-ips")
>>> t = Table.run(tx)
>>> print(t.dump(), end="")
add table ip kube-proxy { comment "rules for kube-proxy" ; }
add chain ip kube-proxy services
add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
"""

from __future__ import annotations

import ipaddress
import json
import re
import sys
import weakref
from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = ["Transaction", "Table", "Chain", "NftSet", "Element", "Op", "concat", "quote", "PRIORITIES"]

#: knftables ``numericPriorities`` (``objects.go``): the named priorities of the ip/ip6/inet families.
PRIORITIES = {"raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100}


def concat(*parts: object) -> str:
    """``knftables.Concat``: the words joined by single spaces (lists flattened, empty strings skipped).

    >>> concat("ip", "daddr", "{", ["10.0.0.0/8", ",", "fd00::/8"], "}", "drop")
    'ip daddr { 10.0.0.0/8 , fd00::/8 } drop'
    """
    words: list[str] = []
    for p in parts:
        if type(p) is str:  # the usual case, first
            if p:
                words.append(p)
        elif isinstance(p, (list, tuple)):
            words += [w for w in map(str, p) if w]
        else:
            w = str(p)
            if w:
                words.append(w)
    return " ".join(words)


def quote(text: str) -> str:
    """Go's ``%q`` for the plain text kube-proxy puts in comments.

    >>> quote('ns1/svc1:p80')
    '"ns1/svc1:p80"'
    """
    return json.dumps(text, ensure_ascii=False)


@dataclass
class Chain:
    """A chain: a base chain when ``hook`` is set (then ``type`` and numeric ``priority`` too)."""

    name: str
    type: str | None = None
    hook: str | None = None
    priority: int | None = None
    comment: str | None = None
    rules: list[tuple[str, str | None]] = field(default_factory=list)  # (rule text, comment)


@dataclass
class Element:
    """A set element (``value`` empty) or a map element (``value``: the verdict or data)."""

    key: tuple[str, ...]
    value: tuple[str, ...] = ()
    comment: str | None = None

    def text(self) -> str:
        out = " . ".join(self.key)
        if self.comment is not None:
            out += f" comment {quote(self.comment)}"
        if self.value:
            out += " : " + " . ".join(self.value)
        return out


@dataclass
class NftSet:
    """A named set, or a map when ``is_map`` (its ``type`` then ends with ``: verdict``)."""

    name: str
    type: str
    is_map: bool = False
    flags: tuple[str, ...] = ()
    timeout: int | None = None  # seconds
    comment: str | None = None
    elements: list[Element] = field(default_factory=list)
    _index: dict[tuple[str, ...], int] = field(default_factory=dict, repr=False)

    @property
    def kind(self) -> str:
        return "map" if self.is_map else "set"

    def header(self) -> str:
        out = f" {{ type {self.type} ;"
        if self.flags:
            out += f" flags {','.join(self.flags)} ;"
        if self.timeout is not None:
            out += f" timeout {self.timeout}s ;"
        if self.comment is not None:
            out += f" comment {quote(self.comment)} ;"
        return out + " }"

    def put(self, element: Element) -> None:
        """``Fake.Run`` of ``add element``: replace an element with the same key, else append."""
        i = self._index.get(element.key)
        if i is None:
            self._index[element.key] = len(self.elements)
            self.elements.append(element)
        else:
            self.elements[i] = element

    def lookup(self, key: tuple[str, ...]) -> Element | None:
        i = self._index.get(key)
        return None if i is None else self.elements[i]


@dataclass
class Op:
    """One transaction operation: ``verb`` (add, flush, delete) of an object ``kind`` named ``name``."""

    verb: str
    kind: str  # table, chain, rule, set, map, element
    name: str
    obj: object = None


#: what :func:`shared` hands out, by value (held weakly: gone when no table holds it)
_SHARED: "weakref.WeakValueDictionary[Any, Any]" = weakref.WeakValueDictionary()


def shared(element: Element) -> Element:
    """One :class:`Element` object for equal elements across the transactions (the nodes) of a cluster.

    kube-proxy writes the same map elements and rules on every node but for
    the node's own addresses and local endpoints; they are never changed after
    they are added, so the tables of all nodes can share them (rule texts are
    shared with :func:`sys.intern`).

    >>> shared(Element(("10.96.0.1",), ("goto x",))) is shared(Element(("10.96.0.1",), ("goto x",)))
    True
    """
    key = (element.key, element.value, element.comment)
    hit = _SHARED.get(key)
    if hit is None:
        hit = _SHARED[key] = element
    return hit


class Transaction:
    """``knftables.Transaction``: operations on one table, kept in order."""

    def __init__(self, family: str, table: str):
        self.family, self.table = family, table
        self.ops: list[Op] = []
        self.table_comment: str | None = None

    # -- tx.Add / tx.Flush / tx.Delete
    def add_table(self, comment: str | None = None) -> None:
        self.table_comment = comment
        self.ops.append(Op("add", "table", self.table, comment))

    def add_chain(self, name: str, type: str | None = None, hook: str | None = None, priority: int | None = None,
                  comment: str | None = None) -> None:
        self.ops.append(Op("add", "chain", name, Chain(name, type, hook, priority, comment)))

    def flush_chain(self, name: str) -> None:
        self.ops.append(Op("flush", "chain", name))

    def delete_chain(self, name: str) -> None:
        self.ops.append(Op("delete", "chain", name))

    def add_rule(self, chain: str, rule: str, comment: str | None = None) -> None:
        # the nodes of a cluster write mostly the same rules: their text is kept once (see :func:`shared`)
        self.ops.append(Op("add", "rule", chain, (sys.intern(rule), comment if comment is None else sys.intern(comment))))

    def add_set(self, s: NftSet) -> None:
        self.ops.append(Op("add", s.kind, s.name, s))

    def flush_set(self, name: str, is_map: bool = False) -> None:
        self.ops.append(Op("flush", "map" if is_map else "set", name))

    def delete_set(self, name: str, is_map: bool = False) -> None:
        self.ops.append(Op("delete", "map" if is_map else "set", name))

    def add_element(self, container: str, element: Element) -> None:
        self.ops.append(Op("add", "element", container, shared(element)))

    # -- what kube-proxy pipes to ``nft -f -``
    def text(self) -> str:
        """The transaction as nft commands, one per line (``Transaction.String()``)."""
        fam, tab = self.family, self.table
        out = []
        for op in self.ops:
            if op.kind == "table":
                line = f"{op.verb} table {fam} {tab}"
                if op.verb == "add" and op.obj is not None:
                    line += f" {{ comment {quote(op.obj)} ; }}"
            elif op.kind == "chain":
                line = f"{op.verb} chain {fam} {tab} {op.name}"
                if op.verb == "add":
                    line += _chain_braces(op.obj)
            elif op.kind == "rule":
                rule, comment = op.obj
                line = f"add rule {fam} {tab} {op.name} {rule}"
                if comment is not None:
                    line += f" comment {quote(comment)}"
            elif op.kind in ("set", "map"):
                line = f"{op.verb} {op.kind} {fam} {tab} {op.name}"
                if op.verb == "add":
                    line += op.obj.header()
            else:
                line = f"add element {fam} {tab} {op.name} {{ {op.obj.text()} }}"
            out.append(line)
        return "".join(line + "\n" for line in out)


def _chain_braces(ch: Chain) -> str:
    if ch.type is None and ch.comment is None:
        return ""
    out = " {"
    if ch.type is not None:
        out += f" type {ch.type} hook {ch.hook} priority {ch.priority} ;"
    if ch.comment is not None:
        out += f" comment {quote(ch.comment)} ;"
    return out + " }"


class Table:
    """The table after the transaction ran: what ``knftables.Fake`` (and the kernel) holds."""

    def __init__(self, family: str, name: str):
        self.family, self.name = family, name
        self.comment: str | None = None
        self.chains: dict[str, Chain] = {}
        self.sets: dict[str, NftSet] = {}
        self.maps: dict[str, NftSet] = {}
        #: sets and maps in creation order (the kernel's handle order, which ``nft list`` follows)
        self.created: dict[tuple[str, str], NftSet] = {}

    @classmethod
    def run(cls, tx: Transaction, into: "Table | None" = None) -> "Table":
        """``Fake.Run(tx)``: apply the operations in order."""
        t = into or cls(tx.family, tx.table)
        for op in tx.ops:
            if op.kind == "table":
                if op.verb == "add":
                    t.comment = op.obj if op.obj is not None else t.comment
                continue
            if op.kind == "chain":
                if op.verb == "add":
                    t.chains.setdefault(op.name, Chain(**{**op.obj.__dict__, "rules": []}))
                elif op.verb == "flush":
                    t.chains[op.name].rules = []
                else:
                    del t.chains[op.name]
            elif op.kind == "rule":
                t.chains[op.name].rules.append(op.obj)
            elif op.kind in ("set", "map"):
                where = t.maps if op.kind == "map" else t.sets
                if op.verb == "add":
                    if op.name not in where:
                        s = op.obj
                        where[op.name] = NftSet(s.name, s.type, s.is_map, s.flags, s.timeout, s.comment)
                        t.created[(op.kind, op.name)] = where[op.name]
                elif op.verb == "flush":
                    where[op.name].elements, where[op.name]._index = [], {}
                else:
                    del where[op.name]
                    del t.created[(op.kind, op.name)]
            else:
                container = t.maps.get(op.name) or t.sets[op.name]
                container.put(op.obj)
        return t

    # -- Fake.Dump()
    def dump(self) -> str:
        """``knftables.Fake.Dump()``: the form kube-proxy's unit tests compare.

        Not loadable by ``nft -f`` as it stands: rules naming a set (``@cluster-ips``) come
        before the set is declared, and nft 1.0.6 answers "No such file or directory".
        """
        fam, tab = self.family, self.name
        out = [f"add table {fam} {tab}" + (f" {{ comment {quote(self.comment)} ; }}" if self.comment else "")]
        for name in sorted(self.chains, key=_go_key):
            ch = self.chains[name]
            out.append(f"add chain {fam} {tab} {name}{_chain_braces(ch)}")
            for rule, comment in ch.rules:
                out.append(f"add rule {fam} {tab} {name} {rule}" + (f" comment {quote(comment)}" if comment else ""))
        for where in (self.sets, self.maps):
            for name in sorted(where, key=_go_key):
                s = where[name]
                out.append(f"add {s.kind} {fam} {tab} {name}{s.header()}")
                out += [f"add element {fam} {tab} {name} {{ {e.text()} }}" for e in s.elements]
        return "".join(line + "\n" for line in out)

    @property
    def rule_count(self) -> int:
        return sum(len(c.rules) for c in self.chains.values())

    @property
    def element_count(self) -> int:
        return sum(len(s.elements) for s in (*self.sets.values(), *self.maps.values()))

    # -- nft list table
    def ruleset(self) -> str:
        """What ``nft list table FAMILY NAME`` (nft 1.0.6) prints once the kernel holds the table.

        Sets and maps first, then chains, each in the order they were created (the kernel's
        handle order, which nft follows); elements in insertion order (the kernel's
        own order is its hash order -- compare elements as sets).
        """
        out = [f"table {self.family} {self.name} {{"]
        if self.comment:
            out.append(f"\tcomment {quote(self.comment)}")
        blocks: list[list[str]] = []
        for s in self.created.values():
            blocks.append(_list_set(s))
        for ch in self.chains.values():
            blocks.append(_list_chain(ch))
        for i, b in enumerate(blocks):
            if i:
                out.append("")
            out += b
        out.append("}")
        return "\n".join(out) + "\n"


def _go_key(name: str) -> bytes:
    """Go's ``sort.Slice`` on strings compares bytes."""
    return name.encode()


#: nft's named priorities for the ip/ip6 families and the hooks where each name is valid
#: (nft ``src/rule.c``, ``std_prio_table``: ``dstnat`` only in prerouting, ``srcnat`` only in
#: postrouting, the others everywhere); nft prints a name when the priority is within 10 of it.
_NAMED = (("raw", None), ("mangle", None), ("dstnat", "prerouting"), ("filter", None), ("security", None),
          ("srcnat", "postrouting"))


def _priority_text(ch: Chain) -> str:
    """``dstnat - 10`` in prerouting, plain ``-110`` in output (no name is valid and near there)."""
    for name, hook in _NAMED:
        off = ch.priority - PRIORITIES[name]
        if abs(off) <= 10 and hook in (None, ch.hook):
            return name if off == 0 else f"{name} {'+' if off > 0 else '-'} {abs(off)}"
    return str(ch.priority)


def _list_chain(ch: Chain) -> list[str]:
    lines = [f"\tchain {ch.name} {{"]
    if ch.comment:
        lines.append(f"\t\tcomment {quote(ch.comment)}")
    if ch.hook:
        lines.append(f"\t\ttype {ch.type} hook {ch.hook} priority {_priority_text(ch)}; policy accept;")
    for rule, comment in ch.rules:
        text = _list_rule(rule)
        if comment:
            text += f" comment {quote(comment)}"
        lines.append(f"\t\t{text}")
    lines.append("\t}")
    return lines


_MARK_RULES = (
    (re.compile(r"^mark set mark or (0x[0-9a-f]+)"), "meta mark set meta mark | {}"),
    (re.compile(r"^mark set mark xor (0x[0-9a-f]+)"), "meta mark set meta mark ^ {}"),
    (re.compile(r"^mark and (0x[0-9a-f]+) == 0 return"), "meta mark & {} == 0x00000000 return"),
)


def _list_rule(rule: str) -> str:
    """A rule as nft prints it back: one-element anonymous sets lose their braces, anonymous
    lists take nft's ``, `` separators, and mark expressions are spelt out (``meta mark set meta
    mark | 0x00004000``: a mark prints as ``0x%08x``)."""
    for pattern, form in _MARK_RULES:
        m = pattern.match(rule)
        if m:
            return form.format(f"0x{int(m.group(1), 16):08x}") + rule[m.end():]
    if rule.startswith("update @"):  # "update @set { ip saddr }": a set update, printed as written
        return rule
    out = rule
    while "{ " in out:  # "{ a }" -> "a" (one element); "{ a , b }" -> "{ a, b }"
        start = out.index("{ ")
        end = out.index(" }", start)
        items = _merge_intervals([x.strip() for x in out[start + 2:end].split(" , ")])
        repl = items[0] if len(items) == 1 and " : " not in items[0] else "\x01 " + ", ".join(items) + " \x02"
        out = out[:start] + repl + out[end + 2:]
    return out.replace("\x01", "{").replace("\x02", "}")


def _list_set(s: NftSet) -> list[str]:
    lines = [f"\t{s.kind} {s.name} {{", f"\t\ttype {s.type}"]
    if "dynamic" in s.flags:
        lines.append("\t\tsize 65535")  # the kernel's default size for a dynamic set
    if s.flags:
        lines.append(f"\t\tflags {','.join(s.flags)}")
    if s.timeout is not None:
        lines.append(f"\t\ttimeout {_duration(s.timeout)}")
    if s.comment:
        lines.append(f"\t\tcomment {quote(s.comment)}")
    if s.elements:
        per_line = _PER_LINE.get(s.type, 1)
        items = [_element_text(e) for e in s.elements]
        rows = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        text = ",\n\t\t\t     ".join(rows)
        lines += ("\t\telements = { " + text + " }").split("\n")
    lines.append("\t}")
    return lines


def _merge_intervals(items: list[str]) -> list[str]:
    """An anonymous set of addresses as the kernel keeps it: an interval set, sorted, with
    overlapping and adjacent ranges merged (``203.0.113.0/25, 172.18.0.0/16, 172.18.255.200`` ->
    ``172.18.0.0/16, 203.0.113.0/25``); other element types are left alone."""
    try:
        nets = [ipaddress.ip_network(x, strict=False) for x in items]
    except ValueError:
        return items
    spans: list[list[int]] = []
    for n in sorted(nets, key=lambda n: (n.version, int(n.network_address))):
        lo, hi = int(n.network_address), int(n.broadcast_address)
        if spans and lo <= spans[-1][1] + 1:
            spans[-1][1] = max(spans[-1][1], hi)
        else:
            spans.append([lo, hi])
    version = nets[0].version
    out = []
    for lo, hi in spans:
        a, b = ipaddress.ip_address(lo) if version == 4 else ipaddress.IPv6Address(lo), \
            ipaddress.ip_address(hi) if version == 4 else ipaddress.IPv6Address(hi)
        cidrs = list(ipaddress.summarize_address_range(a, b))
        if len(cidrs) == 1:
            c = cidrs[0]
            out.append(str(c.network_address) if c.prefixlen == c.max_prefixlen else str(c))
        else:
            out.append(f"{a}-{b}")
    return out


#: nft ``calculate_delim`` (``src/expression.c``): elements per line of a named set by key type
#: (an IPv4 address: 2; a protocol or port: 5; concatenations and IPv6 addresses: 1).
_PER_LINE = {"ipv4_addr": 2, "inet_proto": 5, "inet_service": 5, "mark": 5}


def _element_text(e: Element) -> str:
    out = " . ".join(e.key)
    if e.comment is not None:
        out += f" comment {quote(e.comment)}"
    if e.value:
        out += " : " + " . ".join(e.value)
    return out


def _duration(seconds: int) -> str:
    """nft's time format: ``10800`` -> ``3h``, ``90`` -> ``1m30s``."""
    out = ""
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= n:
            out += f"{seconds // n}{unit}"
            seconds %= n
    if seconds or not out:
        out += f"{seconds}s"
    return out


def lines_of(text: str) -> Iterable[str]:
    return (line for line in text.splitlines() if line.strip())
