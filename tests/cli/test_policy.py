"""``kubelab policy``: allow/deny with exit 0/1, the deciding policies, --cni, -o json, --matrix, bad input (2).

Cases follow kubernetes ``test/e2e/network/netpol`` ("should enforce policy to allow
traffic from pods within server namespace based on PodSelector") and the Calico
conversion of Kubernetes policies (``knp.default.*``).
"""

from __future__ import annotations

import json

import pytest

# "y" quoted: go-yaml v2 (kubectl, the API server) reads a bare y as the boolean true
PODS = """
apiVersion: v1
kind: Namespace
metadata: {name: x}
---
apiVersion: v1
kind: Namespace
metadata: {name: "y"}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {pod: a}}
spec: {containers: [{name: c, image: agnhost, ports: [{name: serve-80-tcp, containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {pod: b}}
spec: {containers: [{name: c, image: agnhost}]}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: "y", labels: {pod: a}}
spec: {containers: [{name: c, image: agnhost}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: x-a-allows-x-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]
"""


@pytest.fixture
def netpol(manifest) -> str:
    return manifest("netpol.yaml", PODS)


def test_allow_exits_0_and_names_the_rule(kubelab, netpol):
    r = kubelab("policy", "--from", "x/b", "--to", "x/a", "--port", "80", "-f", netpol)
    assert r.code == 0 and r.err == ""
    lines = r.out.splitlines()
    assert lines[0] == "allow"
    assert lines[1].startswith("  NetworkPolicy.projectcalico.org x/knp.default.x-a-allows-x-b ingress rule 0: Allow")


def test_deny_exits_1(kubelab, netpol):
    r = kubelab("policy", "--from", "y/a", "--to", "x/a", "--port", "80/tcp", "-f", netpol)
    assert r.code == 1 and r.out.splitlines()[0] == "deny"
    assert "end of tier default" in r.out


def test_kubernetes_semantics_under_cilium(kubelab, netpol):
    r = kubelab("policy", "--cni", "cilium", "--from", "y/a", "--to", "x/a", "--port", "80", "-f", netpol)
    assert r.code == 1 and "NetworkPolicy x/x-a-allows-x-b (ingress): selects x/a" in r.out


def test_flannel_allows_and_says_the_policies_are_ignored(kubelab, netpol):
    r = kubelab("policy", "--from", "y/a", "--to", "x/a", "--port", "80", "-f", netpol, "--cni", "flannel")
    assert r.code == 0 and r.out.startswith("allow\n")
    assert "would deny" in r.out and "Flannel has no policy agent" in r.out


def test_ip_addresses_and_json(kubelab, netpol):
    r = kubelab("policy", "--from", "203.0.113.7", "--to", "x/a", "--port", "80", "-f", netpol, "-o", "json")
    doc = json.loads(r.out)
    assert r.code == 1 and doc["verdict"] == "deny" and doc["engine"] == "calico"
    assert doc["decidedBy"][0]["direction"] == "ingress" and doc["decidedBy"][0]["rule"] is None
    r = kubelab("policy", "--from", "x/a", "--to", "1.1.1.1", "--port", "443", "-f", netpol)
    assert r.code == 0  # x/a is not isolated for egress


def test_matrix(kubelab, netpol):
    r = kubelab("policy", "--matrix", "--port", "80", "-n", "x", "-n", "y", "-f", netpol)
    assert r.code == 0
    assert r.out.splitlines() == ["-\tx/a\tx/b\ty/a", "x/a\t.\t.\t.", "x/b\t.\t.\t.", "y/a\tX\t.\t."]


@pytest.mark.parametrize("argv,message", [
    (["--from", "x/nope", "--to", "x/a", "--port", "80"], 'error: --from "x/nope": no pod, node or IP address'),
    (["--from", "x/a", "--to", "x/b", "--port", "http"], 'error: --port "http": want PORT[/PROTO]'),
    (["--from", "x/a", "--to", "x/b", "--port", "80/icmp"], 'unsupported protocol "ICMP"'),
    (["--from", "x/a", "--port", "80"], "error: --from and --to are required"),
])
def test_bad_input_exits_2(kubelab, netpol, argv, message):
    r = kubelab("policy", *argv, "-f", netpol)
    assert r.code == 2 and r.out == ""
    assert message in r.err_lines[0]


def test_bad_calico_selector_exits_2_naming_field_and_column(kubelab, manifest):
    bad = manifest("bad.yaml", """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: bad}
        spec: {selector: "role == admin"}
        """)
    r = kubelab("policy", "--from", "1.2.3.4", "--to", "5.6.7.8", "--port", "80", "-f", bad)
    assert r.code == 2
    assert 'spec.selector: Invalid value: "role == admin": column 9: expected a quoted string' in r.err_lines[0]
