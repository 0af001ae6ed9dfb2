"""kubelab.api.re2, the stand-in for google-re2 in the browser: the same answers as RE2 on the
Gateway API CRDs' patterns, and RE2's refusals; the CEL rules give the same results with it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kubelab.api import crd
from kubelab.api import re2 as stand_in

REPO = Path(__file__).resolve().parents[2]
BUNDLE = crd.DATA_DIR / "gateway-api-v1.4.0-standard.json"


def cel_rules() -> list[str]:
    rules: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            rules.update(r["rule"] for r in node.get("x-kubernetes-validations") or [])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(BUNDLE.read_text()))
    return sorted(rules)


def matches_patterns() -> list[str]:
    """The regular expressions of the bundle's ``matches()`` calls (CEL raw strings r\"\"\"...\"\"\")."""
    found = {m for rule in cel_rules() for m in re.findall(r'matches\(r"""(.*?)"""\)', rule)}
    assert len(found) >= 3, found  # hostnames, header names, paths
    return sorted(found)


# Strings near the edges of those patterns: valid names, wildcards, case, a final newline
# (Python's $ matches before it, RE2's does not), empty, percent-encoding, spaces, Unicode.
SAMPLES = ["example.com", "*.example.com", "Example.com", "example.com\n", "\nexample.com", "", "a",
           "-a.com", "a-.com", "a..b", "x-version", "X-Version", "x version", "my.domain/x-Version",
           "/api/items", "/api/%2F", "/api/%zz", "/a b", "/caf\u00e9", "/~!$&'()*+,;=:@", "*", "*.",
           "a" * 70, "1.2.3.4", "/path\n", "exa\u0301mple.com", "\u0661.com"]


def test_the_stand_in_answers_as_google_re2_on_the_gateway_patterns():
    re2 = pytest.importorskip("re2", reason="google-re2 (cel-python's dependency) is the reference")
    for pattern in matches_patterns():
        for text in SAMPLES:
            assert bool(stand_in.search(pattern, text)) == bool(re2.search(pattern, text)), (pattern, text)


@pytest.mark.parametrize("pattern", [r"(a)\1", r"a(?=b)", r"a(?!b)", r"(?<=a)b", r"(?>a)", r"a*+", r"\pN",
                                     r"[[:alpha:]]", r"a\Z", r"(?U)a+"])
def test_what_re2_refuses_or_reads_otherwise_is_an_error(pattern):
    with pytest.raises(stand_in.error):
        stand_in.search(pattern, "aab")


@pytest.mark.parametrize(("pattern", "text", "expected"), [
    (r"^a$", "a\n", False), (r"(?m)^a$", "a\nb", True), (r"a\z", "a", True), (r"^\d$", "\u0661", False),
    (r"^\s$", "\v", False), (r"^\s$", "\t", True), (r"^[\s]$", "\v", False), (r"^[^\s]$", "x", True),
    (r"^[]a]+$", "]a", True), (r"^[$]$", "$", True), (r"\\p", "\\p", True), (r"^a+?$", "aaa", True),
])
def test_translation(pattern, text, expected):
    assert bool(stand_in.search(pattern, text)) is expected


# Run in a child where google-re2 cannot be imported, as in Pyodide: every rule of the bundle that
# calls matches(), on values built from SAMPLES, gives what this process (with google-re2) gives.
CHILD = r"""
import json, sys
sys.modules["re2"] = None
from kubelab.api import crd
cases = json.loads(sys.stdin.read())
out = [crd._evaluate(rule, value) for rule, value in cases]
print(json.dumps([sys.modules["re2"].__name__, out]))
"""


def cases() -> list[tuple[str, str]]:
    out = []
    for rule in cel_rules():
        if "matches(" not in rule:
            continue
        for text in SAMPLES:
            if "self.all(key" in rule:  # a map of header names
                value = {text: "v"}
            elif "self.type in ['Exact','PathPrefix']" in rule:
                value = {"type": "PathPrefix", "value": text}
            else:
                value = {"type": "Hostname", "value": text}
            out.append((rule, json.dumps(value, sort_keys=True)))
    return out


def test_the_cel_rules_give_the_same_results_without_google_re2():
    pytest.importorskip("re2", reason="google-re2 (cel-python's dependency) is the reference")
    todo = cases()
    expected = [list(crd._evaluate(rule, value)) for rule, value in todo]
    assert any(not ok for ok, _ in expected) and any(ok for ok, _ in expected)
    done = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps(todo), capture_output=True,
                          text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    engine, got = json.loads(done.stdout)
    assert engine == "kubelab.api.re2"
    assert got == expected
