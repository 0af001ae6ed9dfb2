"""Calico selector grammar (Calico v3 reference, "Selectors"; libcalico-go ``lib/selector``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubelab.errors import KubelabError
from kubelab.api.calico_selector import SelectorError, from_label_selector, parse

LABELS = {"app": "db", "tier": "back", "env": "prod", "k8s.io/role": "x"}


@pytest.mark.parametrize("text,expected", [
    ("", True),
    ("all()", True),
    ("global()", False),
    ("app == 'db'", True),
    ('app == "db"', True),
    ("app == 'web'", False),
    ("app != 'web'", True),
    ("missing != 'x'", True),  # != matches an absent label
    ("missing == 'x'", False),
    ("app in {'db', 'web'}", True),
    ("app in {}", False),
    ("missing in {'x'}", False),
    ("app not in {'web'}", True),
    ("missing not in {'x'}", True),  # not in matches an absent label
    ("has(app)", True),
    ("!has(app)", False),
    ("has(missing)", False),
    ("!has(missing)", True),
    ("app == 'db' && env == 'prod'", True),
    ("app == 'web' || env == 'prod'", True),
    ("app == 'web' || env == 'dev' && tier == 'back'", False),
    ("(app == 'web' || env == 'prod') && tier == 'back'", True),
    ("!(app == 'db')", False),
    ("!!has(app)", True),
    ("k8s.io/role == 'x'", True),
    ("app contains 'd'", True),
    ("app starts with 'd'", True),
    ("app ends with 'b'", True),
    ("missing contains ''", False),
    ("all() && app == 'db'", True),
    ("  app   ==   'db'  ", True),
])
def test_grammar(text, expected):
    assert parse(text).matches(LABELS) is expected


@pytest.mark.parametrize("text,column", [
    ("app == db", 8), ("app = 'db'", 5), ("app ==", 7), ("(app == 'db'", 13), ("app == 'db')", 12),
    ("&& app == 'db'", 1), ("app == 'db' &&", 15), ("has(app", 8), ("has()", 5), ("app in 'db'", 8),
    ("app in {'a',}", 13), ("app not {'a'}", 9), ("app == 'db", 8), ("all(x)", 5), ("app", 4), ("!", 2),
    ("app starts 'x'", 12),
])
def test_errors_carry_the_column(text, column):
    with pytest.raises(SelectorError) as exc:
        parse(text, "spec.selector")
    assert exc.value.column == column, str(exc.value)
    assert str(exc.value).startswith(f'spec.selector: Invalid value: "{text}": column {column}: ')


def test_from_label_selector_round_trips_through_the_parser():
    from kubelab.api.meta import LabelSelector, LabelSelectorRequirement
    sel = LabelSelector(match_labels={"app": "db"}, match_expressions=[
        LabelSelectorRequirement("tier", "NotIn", ["web"]), LabelSelectorRequirement("env", "Exists")])
    text = from_label_selector(sel, "x")
    labels = {**LABELS, "projectcalico.org/namespace": "x"}
    assert parse(text).matches(labels) == sel.matches(LABELS) is True
    assert not parse(text).matches({**labels, "projectcalico.org/namespace": "y"})


_label = st.sampled_from(["app", "tier", "env", "a.b/c", "x-y", "in", "not", "has"])
_value = st.text(alphabet="abc xyz-_.", max_size=5).map(lambda v: f"'{v}'")
_atom = st.one_of(
    st.builds(lambda k, op, v: f"{k} {op} {v}", _label, st.sampled_from(["==", "!="]), _value),
    st.builds(lambda k, op, vs: f"{k} {op} {{{', '.join(vs)}}}", _label, st.sampled_from(["in", "not in"]),
              st.lists(_value, max_size=3)),
    st.builds(lambda k: f"has({k})", _label),
    st.just("all()"), st.just("global()"))
_expr = st.recursive(_atom, lambda inner: st.one_of(
    st.builds(lambda e: f"!{e}", inner), st.builds(lambda e: f"({e})", inner),
    st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["&&", "||"]), inner)), max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(_expr, st.dictionaries(_label, st.text(alphabet="abc xyz", max_size=3), max_size=3))
def test_generated_expressions_parse_and_evaluate(text, labels):
    assert isinstance(parse(text).matches(labels), bool)


_token = st.sampled_from(["app", "==", "!=", "'v'", '"v"', "in", "not", "{", "}", ",", "(", ")", "!", "&&", "||",
                          "has(", "all()", "global()", " ", "'", "=", "contains", "starts", "with", "ends", "$"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.lists(_token, max_size=10).map(" ".join), st.text(max_size=20)))
def test_arbitrary_text_never_raises_anything_but_a_kubelab_error(text):
    try:
        sel = parse(text)
    except KubelabError:
        return
    assert isinstance(sel.matches({"app": "v"}), bool)
