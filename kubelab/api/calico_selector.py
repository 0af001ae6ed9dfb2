"""Calico's label selector language: a parser and an evaluator.

Upstream: the Calico v3 API reference, "Selectors" (the ``selector`` fields of
NetworkPolicy, GlobalNetworkPolicy and their entity rules) and libcalico-go
``lib/selector/parser`` (the grammar below; written from the documentation,
not from that code).

Grammar (``||`` binds loosest, then ``&&``, then ``!``)::

    expr    := and ( "||" and )*
    and     := unary ( "&&" unary )*
    unary   := "!" unary | "(" expr ")" | "all()" | "global()" | "has(" LABEL ")" | LABEL op
    op      := "==" STR | "!=" STR | "in" SET | "not" "in" SET
             | "contains" STR | "starts" "with" STR | "ends" "with" STR
    SET     := "{" [ STR ( "," STR )* ] "}"
    STR     := '...' | "..."          (no escapes; values are always quoted)

Semantics worth a test: ``k != 'v'`` and ``k not in {...}`` match when ``k`` is
absent; ``contains``/``starts with``/``ends with`` need the label; the empty
selector is ``all()``; ``global()`` selects non-namespaced endpoints (host
endpoints, global network sets), of which kubelab has none, so it matches no pod.

A syntax error is a :class:`SelectorError` naming the field and the 1-based column.

Examples
--------
>>> s = parse("app == 'db' && tier not in {'cache'}")
>>> s.matches({"app": "db"}), s.matches({"app": "db", "tier": "cache"})
(True, False)
>>> parse("env != 'prod'").matches({})
True
>>> parse("app == db", field="spec.selector")
Traceback (most recent call last):
...
kubelab.api.calico_selector.SelectorError: spec.selector: Invalid value: "app == db": column 8: expected a quoted string after '==', found 'db'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ..errors import FieldError, KubelabError

__all__ = ["Selector", "SelectorError", "parse", "selector_errors", "from_label_selector", "ALL"]

Labels = dict

_LABEL = re.compile(r"[A-Za-z0-9_./\-]+")
_WS = re.compile(r"\s*")


class SelectorError(KubelabError):
    """A selector that does not parse: ``field``, ``text`` and ``column`` (1-based) say where."""

    def __init__(self, field: str, text: str, column: int, problem: str):
        self.field, self.text, self.column, self.problem = field, text, column, problem
        self.field_error = FieldError.invalid(field, text, f"column {column}: {problem}")
        super().__init__(str(self.field_error))


@dataclass(frozen=True)
class Selector:
    """A parsed selector: ``text`` as written, ``matches(labels)`` its meaning."""

    text: str
    _fn: Callable[[Labels], bool]
    is_all: bool = False

    def matches(self, labels: Labels | None) -> bool:
        return self._fn(labels or {})

    def __str__(self) -> str:
        return self.text or "all()"


class _Parser:
    def __init__(self, text: str, field: str):
        self.text, self.field, self.pos = text, field, 0

    # -- lexing helpers
    def error(self, problem: str, pos: int | None = None):
        raise SelectorError(self.field, self.text, (self.pos if pos is None else pos) + 1, problem)

    def skip(self) -> None:
        self.pos = _WS.match(self.text, self.pos).end()

    def peek(self, lit: str) -> bool:
        self.skip()
        return self.text.startswith(lit, self.pos)

    def peek_word(self, word: str) -> bool:
        """``word`` as a whole token (not the start of a longer label)."""
        self.skip()
        if not self.text.startswith(word, self.pos):
            return False
        end = self.pos + len(word)
        return end >= len(self.text) or not _LABEL.match(self.text, end)

    def take(self, lit: str) -> bool:
        if self.peek(lit):
            self.pos += len(lit)
            return True
        return False

    def expect(self, lit: str, after: str) -> None:
        if not self.take(lit):
            self.error(f"expected '{lit}' {after}, found {self.found()}")

    def found(self) -> str:
        self.skip()
        if self.pos >= len(self.text):
            return "the end of the selector"
        ch = self.text[self.pos]
        if ch in "'\"":
            end = self.text.find(ch, self.pos + 1)
            return "the string " + (self.text[self.pos:end + 1] if end > 0 else self.text[self.pos:])
        m = _LABEL.match(self.text, self.pos)
        tok = m.group(0) if m else self.text[self.pos:self.pos + 2].strip() or ch
        return repr(tok)

    def label(self, after: str) -> str:
        self.skip()
        m = _LABEL.match(self.text, self.pos)
        if not m:
            self.error(f"expected a label name {after}, found {self.found()}")
        self.pos = m.end()
        return m.group(0)

    def string(self, after: str) -> str:
        self.skip()
        if self.pos < len(self.text) and self.text[self.pos] in "'\"":
            q = self.text[self.pos]
            end = self.text.find(q, self.pos + 1)
            if end < 0:
                self.error(f"unterminated string: no closing {q}")
            value = self.text[self.pos + 1:end]
            self.pos = end + 1
            return value
        self.error(f"expected a quoted string {after}, found {self.found()}")
        raise AssertionError  # pragma: no cover

    def value_set(self, after: str) -> frozenset[str]:
        self.expect("{", after)
        values = []
        if not self.take("}"):
            while True:
                values.append(self.string("in the set"))
                if self.take("}"):
                    break
                self.expect(",", "or '}' in the set")
        return frozenset(values)

    # -- grammar
    def parse(self) -> Selector:
        self.skip()
        if self.pos >= len(self.text):
            return ALL
        fn = self.expr()
        self.skip()
        if self.pos < len(self.text):
            self.error(f"unexpected {self.found()}: expected '&&', '||' or the end of the selector")
        return Selector(self.text, fn, self.text.strip() == "all()")

    def expr(self) -> Callable[[Labels], bool]:
        parts = [self.conj()]
        while self.take("||"):
            parts.append(self.conj())
        if len(parts) == 1:
            return parts[0]
        return lambda labels: any(p(labels) for p in parts)

    def conj(self) -> Callable[[Labels], bool]:
        parts = [self.unary()]
        while self.take("&&"):
            parts.append(self.unary())
        if len(parts) == 1:
            return parts[0]
        return lambda labels: all(p(labels) for p in parts)

    def unary(self) -> Callable[[Labels], bool]:
        self.skip()
        if self.pos >= len(self.text):
            self.error("unexpected end of the selector: expected a label, '!', '(', has(), all() or global()")
        if self.take("!"):
            if self.peek("="):
                self.error("unexpected '=': '!=' needs a label on its left", self.pos - 1)
            inner = self.unary()
            return lambda labels: not inner(labels)
        if self.take("("):
            inner = self.expr()
            self.expect(")", "to close '('")
            return inner
        for name, fn in (("all", lambda labels: True), ("global", lambda labels: False)):
            if self.peek_word(name) and self._call_follows(name):
                self.pos += len(name)
                self.expect("(", f"after {name}")
                self.expect(")", f"after {name}(: {name}() takes no argument")
                return fn
        if self.peek_word("has") and self._call_follows("has"):
            self.pos += 3
            self.expect("(", "after has")
            key = self.label("inside has()")
            self.expect(")", "to close has(")
            return lambda labels: key in labels
        start = self.pos
        key = self.label("at the start of an expression")
        return self.operation(key, start)

    def _call_follows(self, name: str) -> bool:
        rest = self.text[self.pos + len(name):]
        return rest.lstrip().startswith("(")

    def operation(self, key: str, start: int) -> Callable[[Labels], bool]:
        self.skip()
        if self.take("=="):
            v = self.string("after '=='")
            return lambda labels: labels.get(key) == v
        if self.take("!="):
            v = self.string("after '!='")
            return lambda labels: labels.get(key) != v  # absent matches
        if self.peek_word("in"):
            self.pos += 2
            vs = self.value_set("after 'in'")
            return lambda labels: key in labels and labels[key] in vs
        if self.peek_word("not"):
            self.pos += 3
            if not self.peek_word("in"):
                self.error(f"expected 'in' after 'not', found {self.found()}")
            self.pos += 2
            vs = self.value_set("after 'not in'")
            return lambda labels: labels.get(key) not in vs  # absent matches
        if self.peek_word("contains"):
            self.pos += len("contains")
            v = self.string("after 'contains'")
            return lambda labels: key in labels and v in labels[key]
        for word, test in (("starts", str.startswith), ("ends", str.endswith)):
            if self.peek_word(word):
                self.pos += len(word)
                if not self.peek_word("with"):
                    self.error(f"expected 'with' after '{word}', found {self.found()}")
                self.pos += 4
                v = self.string(f"after '{word} with'")
                return lambda labels, t=test: key in labels and t(labels[key], v)
        if self.peek("="):
            self.error("'=' is not an operator: use '==' (Calico selectors are not kubectl selectors)")
        self.error(f"expected an operator (==, !=, in, not in, contains, starts with, ends with) after label "
                   f"'{key}', found {self.found()}")
        raise AssertionError  # pragma: no cover


ALL = Selector("", lambda labels: True, True)
_CACHE: dict[tuple[str, str], Selector] = {}


def parse(text: str | None, field: str = "selector") -> Selector:
    """Parse ``text``; ``None`` or blank is ``all()``.  Raises :class:`SelectorError`."""
    if text is None or not text.strip():
        return ALL
    key = (text, field)
    sel = _CACHE.get(key)
    if sel is None:
        if len(_CACHE) > 10_000:
            _CACHE.clear()
        sel = _CACHE[key] = _Parser(text, field).parse()
    return sel


def _q(v: str) -> str:
    return f'"{v}"' if "'" in v else f"'{v}'"


def from_label_selector(sel, namespace: str | None = None) -> str:
    """A Kubernetes ``LabelSelector`` in Calico's syntax, as libcalico-go's conversion writes it.

    >>> from kubelab.api.meta import LabelSelector
    >>> from_label_selector(LabelSelector(match_labels={"pod": "a"}), "x")
    "projectcalico.org/namespace == 'x' && pod == 'a'"
    """
    parts = [f"projectcalico.org/namespace == {_q(namespace)}"] if namespace else []
    parts += [f"{k} == {_q(v)}" for k, v in sorted(sel.match_labels.items())]
    for r in sel.match_expressions:
        vals = "{" + ", ".join(_q(v) for v in sorted(r.values)) + "}"
        parts.append({"In": f"{r.key} in {vals}", "NotIn": f"{r.key} not in {vals}", "Exists": f"has({r.key})",
                      "DoesNotExist": f"!has({r.key})"}.get(r.operator or "", "all()"))
    return " && ".join(parts) or "all()"


def selector_errors(policy) -> list[FieldError]:
    """Syntax errors in every selector field of a Calico policy object, as field errors."""
    s = policy.spec
    fields = [("spec.selector", s.selector), ("spec.namespaceSelector", s.namespace_selector),
              ("spec.serviceAccountSelector", s.service_account_selector)]
    for direction, rules in (("ingress", s.ingress), ("egress", s.egress)):
        for i, r in enumerate(rules):
            for side, ent in (("source", r.source), ("destination", r.destination)):
                base = f"spec.{direction}[{i}].{side}"
                fields += [(f"{base}.selector", ent.selector), (f"{base}.notSelector", ent.not_selector),
                           (f"{base}.namespaceSelector", ent.namespace_selector)]
    errs = []
    for path, text in fields:
        if text is None:
            continue
        try:
            parse(text, path)
        except SelectorError as exc:
            errs.append(exc.field_error)
    return errs
