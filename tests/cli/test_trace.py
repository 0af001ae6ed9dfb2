"""``kubelab trace``: one connection hop by hop, N connections and their split, exit codes, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kubelab.cli.common import UsageError
from kubelab.cli.trace import parse_target, split_rows

SCRIPT = Path(sys.executable).with_name("kubelab")
BACKENDS = {"default/web-1", "default/web-2", "default/web-3"}


def test_one_connection_hops_verdict_backend(kubelab, web):
    r = kubelab("trace", "-f", web, "--from", "web-2", "--to", "web:80")
    assert (r.code, r.err) == (0, "")
    lines = r.out.splitlines()
    assert lines[0].startswith("[send] Pod default/web-2: new connection TCP 10.244.2.2:")
    assert any(line.startswith("[netfilter] kind-worker2: nat PREROUTING: DNAT to 10.244.") for line in lines)
    assert any(" match nat/KUBE-SERVICES: " in line and "=> jump KUBE-SVC-" in line for line in lines)
    assert lines[-2].startswith("verdict: delivered (backend default/web-")
    assert lines[-1].startswith("rules evaluated: ")


def test_no_rules_keeps_the_hops_only(kubelab, web):
    full = kubelab("trace", "-f", web, "--from", "web-2", "--to", "web:80").out.splitlines()
    short = kubelab("trace", "-f", web, "--from", "web-2", "--to", "web:80", "--no-rules").out.splitlines()
    assert short == [line for line in full if line.startswith(("[", "verdict:", "rules evaluated:"))]
    assert len(short) < len(full)


def test_json_hops_with_steps(kubelab, web):
    r = kubelab("trace", "-f", web, "--from", "kind-worker", "--to", "10.96.100.10:443", "-o", "json")
    doc = json.loads(r.out)
    assert r.code == 0 and doc["verdict"] == "delivered" and doc["backend"] in BACKENDS
    assert doc["mode"] == "iptables" and doc["dst"] == "10.96.100.10:443/TCP"
    assert doc["rules_evaluated"] == sum(len(h["steps"]) for h in doc["hops"]) > 0
    step = next(s for h in doc["hops"] for s in h["steps"] if s["matched"])
    assert set(step) == {"table", "chain", "rule", "matched", "action"}
    assert [h["kind"] for h in doc["hops"]][:2] == ["send", "netfilter"]


def test_no_endpoints_is_rejected_exit_1(kubelab, web):
    r = kubelab("trace", "-f", web, "--from", "web-2", "--to", "db:5432", "--no-rules")
    assert r.code == 1
    assert "verdict: rejected" in r.out.splitlines()


def test_count_lines_and_split_sum_to_n(kubelab, web):
    r = kubelab("trace", "-f", web, "--from", "web-2", "--to", "web:80", "--count", "30")
    assert r.code == 0
    lines = r.out.splitlines()
    for i, line in enumerate(lines[:30], 1):
        n, backend = line.split()
        assert int(n) == i and backend in BACKENDS
    assert lines[30] == "split over 30 connections (30 delivered):"
    rows = [line.split() for line in lines[32:]]
    assert sum(int(row[1]) for row in rows) == 30
    assert abs(sum(float(row[2].rstrip("%")) for row in rows) - 100) < 0.5
    assert len(rows) == 3  # every backend is chosen at least once in 30


def test_count_json_split(kubelab, web):
    doc = json.loads(kubelab("trace", "-f", web, "--from", "web-2", "--to", "web:80", "--count", "50",
                             "-o", "json").out)
    assert doc["count"] == doc["delivered"] == len(doc["connections"]) == 50
    assert sum(s["count"] for s in doc["split"]) == 50
    assert [c["n"] for c in doc["connections"]] == list(range(1, 51))


def test_seed_makes_it_deterministic(kubelab, web):
    def run(seed: str) -> str:
        return kubelab("trace", "-f", web, "--from", "web-2", "--to", "web:80", "--count", "20", "--seed", seed).out
    assert run("7") == run("7")
    assert run("7") != run("8")
    assert kubelab("trace", "-f", web, "--from", "web-2", "--to", "web:80", "--count", "20").out == run("0")


def test_dead_backend_times_out_in_iptables_mode(kubelab, web):
    r = kubelab("trace", "-f", web, "--from", "kind-worker", "--to", "web:80", "--count", "40", "--mode", "iptables",
                "--dead", "web-1", "--dead", "default/web-3", "-o", "json")
    assert r.code == 1
    doc = json.loads(r.out)
    for c in doc["connections"]:
        if c["backend"] in ("default/web-1", "default/web-3"):
            assert c["verdict"] == "timeout"
        else:
            assert c["verdict"] == "delivered" and c["backend"] == "default/web-2"
    outcomes = {s["outcome"] for s in doc["split"]}
    assert outcomes == {"default/web-2", "timeout"}
    text = kubelab("trace", "-f", web, "--from", "kind-worker", "--to", "web:80", "--count", "40",
                   "--dead", "web-1", "--dead", "default/web-3").out
    assert "timeout (default/web-1)" in text and "timeout (default/web-3)" in text


def test_a_single_dead_connection(kubelab, web):
    r = kubelab("trace", "-f", web, "--from", "web-2", "--to", "web:80", "--no-rules",
                "--dead", "web-1", "--dead", "web-2", "--dead", "web-3")
    assert r.code == 1 and "verdict: timeout" in r.out


@pytest.mark.parametrize("argv, message", [
    (["--to", "web"], 'error: --to "web": want HOST:PORT (a Service or an IP address, then a port number)'),
    (["--to", "web:"], 'error: --to "web:": want HOST:PORT (a Service or an IP address, then a port number)'),
    (["--to", "web:http"], 'error: --to "web:http": port "http" is not a number from 1 to 65535'),
    (["--to", "web:70000"], 'error: --to "web:70000": port "70000" is not a number from 1 to 65535'),
    (["--to", "nope:80"], 'error: --to "nope:80": cannot resolve "nope": no Service "nope" in namespace "default"'),
    (["--to", "web:80", "--dead", "web-9"], 'error: --dead "web-9": no pod "web-9" in namespace "default"'),
    (["--to", "web:80", "--count", "0"], 'error: --count "0": must be between 1 and 10000'),
    (["--to", "web:80", "--count", "1000000000"], 'error: --count "1000000000": must be between 1 and 10000'),
])
def test_bad_input_is_one_error_line_exit_2(kubelab, web, argv, message):
    r = kubelab("trace", "-f", web, "--from", "web-2", *argv)
    assert (r.code, r.out, r.err_lines) == (2, "", [message])


def test_unknown_source(kubelab, web):
    r = kubelab("trace", "-f", web, "--from", "web-9", "--to", "web:80")
    assert (r.code, r.out, r.err_lines) == (2, "", ['error: --from "web-9": no pod, node or IP address of that name'])


def test_parse_target():
    assert parse_target("10.96.0.10:53") == ("10.96.0.10", 53)
    assert parse_target("[fd00::a]:8080") == ("fd00::a", 8080)
    for bad in ("fd00::a", "[fd00::a]", ":80", "web:-1"):
        with pytest.raises(UsageError):
            parse_target(bad)


def test_split_rows_order():
    rows = split_rows(["timeout", "default/b", "default/a", "rejected", "default/b"])
    assert [r["outcome"] for r in rows] == ["default/a", "default/b", "rejected", "timeout"]
    assert [r["percent"] for r in rows] == [20.0, 40.0, 20.0, 20.0]


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"no console script at {SCRIPT} (pip install -e .)")
def test_console_script_exit_statuses(web, tmp_path):
    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(SCRIPT), "trace", "-f", web, *argv], cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)
    ok = run("--from", "web-2", "--to", "web:80", "--count", "5", "--seed", "1")
    assert ok.returncode == 0 and ok.stdout.splitlines()[5] == "split over 5 connections (5 delivered):"
    negative = run("--from", "web-2", "--to", "db:5432", "--no-rules")
    assert negative.returncode == 1 and "verdict: rejected\n" in negative.stdout
    bad = run("--from", "web-2", "--to", "web:x")
    assert (bad.returncode, bad.stdout, bad.stderr) == (2, "", 'error: --to "web:x": port "x" is not a number '
                                                               "from 1 to 65535\n")
