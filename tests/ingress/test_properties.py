"""Property tests (hypothesis) of path matching: the Prefix rules of the Ingress spec, determinism."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from kubelab.api import load_text
from kubelab.ingress import RouteTable, normalize_path, path_matches

SEGMENT = st.text(alphabet="abcAZ09-_.~", min_size=1, max_size=6).filter(lambda s: s not in (".", ".."))
SEGMENTS = st.lists(SEGMENT, min_size=1, max_size=4)


def as_path(segments: list[str]) -> str:
    return "/" + "/".join(segments)


@given(SEGMENTS, st.booleans())
def test_prefix_matches_itself_with_and_without_trailing_slash(segs, slash):
    path = as_path(segs) + ("/" if slash else "")
    for request in (as_path(segs), as_path(segs) + "/"):
        assert path_matches("Prefix", path, normalize_path(request))


@given(SEGMENTS, st.text(alphabet="abcxyz09", min_size=1, max_size=5))
def test_prefix_never_matches_a_longer_last_element(segs, tail):
    """``/aaa`` never matches ``/aaaccc``: the last element must match whole."""
    path = as_path(segs)
    assert not path_matches("Prefix", path, normalize_path(path + tail))
    assert not path_matches("Exact", path, normalize_path(path + tail))


@given(SEGMENTS, SEGMENTS)
def test_prefix_matches_every_subpath(segs, more):
    assert path_matches("Prefix", as_path(segs), normalize_path(as_path(segs + more)))


def _ingress(paths: list[tuple[str, str]]) -> str:
    items = "\n".join(f"      - {{path: '{p}', pathType: {t}, backend: {{service: {{name: s{i}, port: {{number: 80}}}}}}}}"
                      for i, (p, t) in enumerate(paths))
    return f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: ing}}
spec:
  rules:
  - http:
      paths:
{items}
"""


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(SEGMENTS, st.sampled_from(["Prefix", "Exact"])), min_size=1, max_size=6),
       SEGMENTS, st.randoms(use_true_random=False))
def test_longest_match_is_deterministic_and_order_free(rules, request_segs, rnd):
    """Whatever the order of the paths, the same (path, pathType) wins, and it is a longest match."""
    paths = list(dict.fromkeys((as_path(s), t) for s, t in rules))
    request = as_path(request_segs)
    first = RouteTable(load_text(_ingress(paths))).match("h", request)
    shuffled = paths[:]
    rnd.shuffle(shuffled)
    second = RouteTable(load_text(_ingress(shuffled))).match("h", request)
    pick = lambda m: (m.rule.path, m.rule.path_type) if m.rule else None  # noqa: E731
    assert pick(first) == pick(second)
    matching = [(p, t) for p, t in paths if path_matches(t, p, request)]
    assert (first.rule is None) == (not matching)
    if matching:
        longest = max(len(p.rstrip("/")) if t == "Prefix" else len(p) for p, t in matching)
        chosen = first.rule
        assert (len(chosen.path.rstrip("/")) if chosen.path_type == "Prefix" else len(chosen.path)) == longest


def test_random_is_seeded():
    assert random.Random(1).random() == random.Random(1).random()
