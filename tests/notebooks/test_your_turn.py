"""The ungraded "Your turn" cells: a right answer prints ``Right.``, a plausible wrong one ``Not yet: …``.

Each case runs the notebook's code cells in order (as Run All would, in one namespace) up to the
self-check cell, then runs that cell with ``MINE`` set to a learner's answer.  The answers below
are what a learner would write after reading the section, not the values the cell computes.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import io
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]

def _hash8(readable: str) -> str:
    """The hash part of an nftables chain name, computed as notebook 05 teaches it."""
    return base64.b32encode(hashlib.sha256(readable.encode()).digest()).decode()[:8]


#: (notebook, self-check cell id) -> (right answers, wrong answers)
CASES: dict[tuple[str, str], tuple[list, list]] = {
    ("05", "masquerading-your-turn-check"): ([{"kind-control-plane"}, "kind-control-plane"],
                                             [{"kind-control-plane", "batch"}, {"client", "kind-control-plane"}, set()]),
    ("05", "session-affinity-your-turn-check"): ([1], [2, 3, "1"]),
    ("05", "iptables-your-turn-check"): (["1/3", 0.3333333333, "0.3333333333"], [0.25, "1/4", 0.5, "a third"]),
    ("05", "ipvs-your-turn-check"): (["rr", {"rr"}], ["wlc", "lc", "round robin"]),
    ("05", "nftables-your-turn-check"): ([_hash8("kube-system/kube-dns/udp/dns")],
                                         [_hash8("kube-system/kube-dns/tcp/dns-tcp"), _hash8("kube-dns/udp/dns")]),
    ("05", "when-pod-stops-your-turn-check"): ([{"userspace"}, "userspace"], [{"iptables"}, {"userspace", "ipvs"}]),
    ("06", "discovery-your-turn-check"): ([2], [1, 4, "2"]),
    ("07", "v1beta1-your-turn-check"): ([{"any.host/testpath.html", "any.host/testpathx/y"}],
                                        [{"any.host/testpath/"}, {"any.host/testpath.html"}]),
    ("07", "request-end-end-your-turn-check"): (["controller", {"controller"}], ["client", "node", {"client", "controller"}]),
    ("07", "exposure-your-turn-check"): ([2], [1, 12, 24]),
    ("07", "five-variants-your-turn-check"): ([{"foo.com/foo/bar", "FOO.com/foo", "foo.com/foo/"}],
                                              [{"foo.com/foo/bar", "foo.com/foobar"}, {"foo.com/foo/bar"}]),
    ("08", "cni-contract-your-turn-check"): (["portmap", {"portmap"}], ["bridge", "host-local", {"portmap", "bridge"}]),
    ("08", "host-local-your-turn-check"): (["10.1.2.4", {"10.1.2.4"}], ["10.1.2.2", "10.1.2.5", "10.1.2.4/29"]),
    ("08", "calico-ipam-your-turn-check"): ([1024], [64, 256, 3]),
    ("08", "routes-tunnels-your-turn-check"): ([30], [50, 20, 70]),
    ("08", "kops-your-turn-check"): ([1], [3, 2, "one"]),
    ("09", "figure-cluster-your-turn-check"): ([2], [1, 4, "2"]),
    ("09", "between-pods-your-turn-check"): (["kind-worker2", {"kind-worker2"}], ["kind-worker", {"kind-worker", "kind-worker2"}]),
    ("09", "outside-your-turn-check"): ([{"kind-worker2"}], [{"kind-worker", "kind-worker2", "kind-control-plane"},
                                                               {"kind-worker"}]),
    ("06", "service-types-your-turn-check"): (
        [{"KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-EXT", "KUBE-MARK-MASQ", "KUBE-SVC", "KUBE-SEP"}],
        [{"KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-EXT", "KUBE-SVC", "KUBE-SEP"},
         {"KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-EXT", "KUBE-MARK-MASQ", "KUBE-SVL", "KUBE-SEP"}]),
}

def _cells(number: str) -> list:
    path = next((ROOT / "notebooks").glob(f"{number}-*.ipynb"))
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@functools.cache
def _prepared(number: str) -> dict[str, tuple[dict, str]]:
    """Run the notebook's code cells once, in order; for each self-check cell of ``CASES``, the
    namespace just before it (a shallow copy) and its source."""
    wanted = {cid for n, cid in CASES if n == number}
    namespace: dict = {"__name__": "__main__"}
    out: dict[str, tuple[dict, str]] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in _cells(number):
            if cell.id in wanted:
                out[cell.id] = (dict(namespace), cell.source)
            if wanted <= out.keys():
                break
            exec(compile(cell.source, f"{number}:{cell.id}", "exec"), namespace)
    assert wanted <= out.keys(), f"notebook {number} has no cell {sorted(wanted - out.keys())}"
    return out


def _answer(source: str, namespace: dict, answer) -> str:
    assert re.search(r"^MINE = \.\.\.", source, re.M), "the self-check starts unanswered"
    code = re.sub(r"^MINE = \.\.\..*$", "MINE = __answer__", source, count=1, flags=re.M)
    ns = dict(namespace, __answer__=answer)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "your-turn", "exec"), ns)
    return out.getvalue()


@pytest.mark.parametrize("key", sorted(CASES), ids=lambda k: f"{k[0]}-{k[1]}")
def test_your_turn_says_right_or_wrong(key):
    number, cell_id = key
    namespace, source = _prepared(number)[cell_id]
    right, wrong = CASES[key]
    assert _answer(source, namespace, ...).startswith("Not yet: write your answer")
    for answer in right:
        assert _answer(source, namespace, answer).strip().endswith("Right."), answer
    for answer in wrong:
        out = _answer(source, namespace, answer)
        assert out.startswith("Not yet:") and "Traceback" not in out, (answer, out)
