"""The Gateway route explorer widget (kubelab.viz.gateway): the winning rule is marked, the text says it."""

from __future__ import annotations

import pytest

from kubelab import Cluster
from kubelab.viz.gateway import GatewayExplorer, gateway_explorer, parse_headers, rule_rows

from tests.gateway.conftest import BASE, NS
from tests.gateway.test_cli import ROUTES


@pytest.fixture
def cluster():
    return Cluster(BASE + "---" + ROUTES)


def test_rule_rows_mark_only_the_winner_in_precedence_order(cluster):
    rows = rule_rows(cluster, f"{NS}/same-namespace", f"{NS}/web", 3)
    assert [r[0] for r in rows].count("WINS") == 1
    win = next(r for r in rows if r[0])
    assert win[1] == f"{NS}/web rules[3]" and "header x-env=beta" in win[4]
    # /broken, /canary and /old (longest prefixes, 7 and 7 and 4 characters) come before "/" with a header
    assert [r[1].split()[-1] for r in rows] == ["rules[1]", "rules[2]", "rules[0]", "rules[3]", "rules[4]"]


def test_explorer_follows_its_controls(cluster, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    app = gateway_explorer(cluster, f"{NS}/same-namespace", host="shop.example.com", path="/")
    assert isinstance(app, GatewayExplorer)
    assert f"{NS}/infra-backend-v1:8080" in app.html
    app.controls["Headers"].value = "x-env: beta"
    assert f"answer is {NS}/infra-backend-v3:8080" in app.html
    app.controls["Path"].value = "/old/x"
    assert "301 https://shop.example.com/old/x" in app.html
    app.controls["Host"].value = "other.example.com"
    assert "no rule matches, so the answer is 404" in app.html
    assert len(app.timings) == 3


def test_static_under_nbgrader(cluster, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    out = gateway_explorer(cluster, f"{NS}/same-namespace", host="shop.example.com", path="/broken")
    assert "answer is 500" in out.data


def test_parse_headers_ignores_malformed_entries():
    assert parse_headers("a: 1; nocolon; : x; b:2") == {"a": "1", "b": "2"}
