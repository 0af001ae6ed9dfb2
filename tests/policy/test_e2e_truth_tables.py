"""Truth tables of kubernetes ``test/e2e/network/netpol/network_policy.go``, one test per upstream case.

Each case creates the pods upstream's ``initializeResources`` creates, the same
policies, and checks the whole matrix against the same ``Reachability`` expectations
(loopback ignored, as upstream).  Every case runs under Calico (Felix's tiers, the
policies as ``knp.default.*``) and under Cilium (plain Kubernetes semantics): both must
agree with upstream, and the matrix must agree with one-by-one :func:`evaluate`.
"""

from __future__ import annotations

import pytest

from kubelab.policy import evaluate, reachability

from .model import Expect, cluster, netpol, ns_sel

A = {"matchLabels": {"pod": "a"}}
B = {"matchLabels": {"pod": "b"}}
NOT_X = {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["x"]}]}

# (upstream title, pods, policies, port, protocol, expectation builder)
CASES = [
    ("should support a 'default-deny-ingress' policy", ["x/a", "x/b", "y/a", "y/b"],
     [netpol("deny-ingress", "x", ingress=[])], 80, "TCP",
     lambda e: e.peer(dst=("x", None))),
    ("should support a 'default-deny-all' policy", ["x/a", "x/b", "y/a"],
     [netpol("deny-all", "x", ingress=[], egress=[], types=["Ingress", "Egress"])], 80, "TCP",
     lambda e: e.peer(dst=("x", None)).peer(src=("x", None))),
    ("should enforce policy to allow traffic from pods within server namespace based on PodSelector",
     ["x/a", "x/b", "x/c", "y/a"], [netpol("x-a-allows-x-b", "x", A, ingress=[{"from": [{"podSelector": B}]}])],
     80, "TCP", lambda e: e.all_ingress("x/a").expect("x/b", "x/a", True)),
    ("should enforce policy to allow ingress traffic for a target", ["x/a", "x/b", "y/a"],
     [netpol("deny-all", "x", ingress=[]),
      netpol("allow-all-to-a", "x", A, ingress=[{"from": [{"podSelector": {}, "namespaceSelector": {}}]}])],
     80, "TCP", lambda e: e.all_ingress("x/a", True).all_ingress("x/b", False)),
    ("should enforce policy to allow ingress traffic from pods in all namespaces", ["x/a", "x/b", "y/a", "z/a"],
     [netpol("allow-from-another-ns", "x", A, ingress=[{"from": [{"namespaceSelector": {}}]}])], 80, "TCP",
     lambda e: e),
    ("should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector",
     ["x/a", "x/b", "y/a", "z/a"],
     [netpol("allow-client-a-via-ns-selector", "x", A, ingress=[{"from": [{"namespaceSelector": ns_sel("y")}]}])],
     80, "TCP", lambda e: e.peer(("x", None), ("x", "a")).peer(("z", None), ("x", "a"))),
    ("should enforce policy based on PodSelector or NamespaceSelector", ["x/a", "x/b", "x/c", "y/a"],
     [netpol("allow-ns-y-match-selector", "x", A,
             ingress=[{"from": [{"namespaceSelector": NOT_X}, {"podSelector": B}]}])], 80, "TCP",
     lambda e: e.expect("x/a", "x/a", False).expect("x/c", "x/a", False)),
    ("should enforce policy based on PodSelector and NamespaceSelector", ["x/a", "x/b", "y/a", "y/b", "z/b"],
     [netpol("allow-ns-y-podselector-and-nsselector", "x", A,
             ingress=[{"from": [{"namespaceSelector": NOT_X, "podSelector": B}]}])], 80, "TCP",
     lambda e: e.all_ingress("x/a").expect("y/b", "x/a", True).expect("z/b", "x/a", True)),
    ("should enforce policy based on Multiple PodSelectors and NamespaceSelectors",
     ["x/a", "x/b", "y/a", "y/b", "y/c"],
     [netpol("allow-ns-y-z-pod-b-c", "x", A, ingress=[{"from": [{
         "namespaceSelector": NOT_X,
         "podSelector": {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["b", "c"]}]}}]}])],
     80, "TCP", lambda e: e.peer(("x", None), ("x", "a")).expect("y/a", "x/a", False)),
    ("should enforce policy based on Ports", ["x/a", "x/b", "y/a", "y/b", "z/a"],
     [netpol("allow-client-a-via-ns-selector", "x", A, ingress=[{
         "from": [{"namespaceSelector": ns_sel("y")}], "ports": [{"port": 81, "protocol": "TCP"}]}])], 81, "TCP",
     lambda e: e.peer(("x", None), ("x", "a")).peer(("y", None), ("x", "a"), True).peer(("z", None), ("x", "a"))),
    ("should allow ingress access on one named port (port 80 blocked)", ["x/a", "x/b", "y/a"],
     [netpol("allow-all", "x", ingress=[{"ports": [{"port": "serve-81-tcp"}]}])], 80, "TCP",
     lambda e: e.peer(dst=("x", None))),
    ("should allow ingress access on one named port (port 81 open)", ["x/a", "x/b", "y/a"],
     [netpol("allow-all", "x", ingress=[{"ports": [{"port": "serve-81-tcp"}]}])], 81, "TCP", lambda e: e),
    ("should allow egress access on one named port (port 81 blocked)", ["x/a", "y/a"],
     [netpol("allow-egress", "x", egress=[{"ports": [{"port": "serve-80-tcp"}]}], types=["Egress"])], 81, "TCP",
     lambda e: e.peer(src=("x", None))),
    ("should allow egress access on one named port (port 80 open)", ["x/a", "y/a"],
     [netpol("allow-egress", "x", egress=[{"ports": [{"port": "serve-80-tcp"}]}], types=["Egress"])], 80, "TCP",
     lambda e: e),
    ("should deny ingress from pods on other namespaces", ["x/a", "x/b", "y/a", "z/a"],
     [netpol("deny-empty-policy", "x", ingress=[{"from": [{"podSelector": {}}]}])], 80, "TCP",
     lambda e: e.peer(("y", None), ("x", None)).peer(("z", None), ("x", None))),
    ("should deny egress from pods based on PodSelector", ["x/a", "x/b", "y/a"],
     [netpol("deny-egress-pod-a", "x", A, egress=[], types=["Egress"])], 80, "TCP",
     lambda e: e.all_egress("x/a")),
    ("should deny egress from all pods in a namespace", ["x/a", "x/b", "y/a"],
     [netpol("deny-egress-ns-x", "x", egress=[], types=["Egress"])], 80, "TCP",
     lambda e: e.peer(src=("x", None))),
    ("should work with Ingress, Egress specified together (port 81)", ["x/a", "x/b", "x/c", "y/a"],
     [netpol("allow-client-a-via-pod-selector", "x", A, ingress=[{"from": [{"podSelector": B}]}],
             egress=[{"ports": [{"port": 80}]}], types=["Egress", "Ingress"])], 81, "TCP",
     lambda e: e.all_ingress("x/a").all_egress("x/a").expect("x/b", "x/a", True)),
    ("should support denying of egress traffic on the client side (even if the server explicitly allows this "
     "traffic)", ["x/a", "y/a", "y/b"],
     [netpol("allow-to-ns-y-pod-a", "x", A, egress=[{"to": [{"namespaceSelector": ns_sel("y"), "podSelector": A}]}],
             types=["Egress"]),
      netpol("allow-from-xa-on-ya-match-selector", "y", A,
             ingress=[{"from": [{"namespaceSelector": ns_sel("x"), "podSelector": A}]}]),
      netpol("allow-from-xa-on-yb-match-selector", "y", B,
             ingress=[{"from": [{"namespaceSelector": ns_sel("x"), "podSelector": A}]}])], 80, "TCP",
     lambda e: e.peer(("x", "a"), (None, None)).peer((None, None), ("y", "a")).peer(("x", "a"), ("y", "a"), True)
     .peer((None, None), ("y", "b"))),
    ("should enforce ingress policy allowing any port traffic to a server on a specific protocol (UDP)",
     ["x/a", "y/a"], [netpol("allow-ingress-by-proto", "x", A, ingress=[{"ports": [{"protocol": "TCP"}]}])],
     80, "UDP", lambda e: e.peer(dst=("x", "a"))),
    ("should enforce multiple ingress policies with ingress allow-all policy taking precedence", ["x/a", "y/a"],
     [netpol("allow-ingress-port-80", "x", ingress=[{"ports": [{"port": 80}]}]),
      netpol("allow-ingress", "x", ingress=[{}])], 81, "TCP", lambda e: e),
    ("should enforce multiple egress policies with egress allow-all policy taking precedence", ["x/a", "y/a"],
     [netpol("allow-egress-port-80", "x", egress=[{"ports": [{"port": 80}]}], types=["Egress"]),
      netpol("allow-egress", "x", egress=[{}], types=["Egress"])], 81, "TCP", lambda e: e),
    ("should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP",
     ["x/a", "y/a"],
     [netpol("deny-ingress", "x", ingress=[]),
      netpol("allow-only-sctp-ingress-on-port-81", "x", A, ingress=[{"ports": [{"port": 81, "protocol": "SCTP"}]}])],
     81, "TCP", lambda e: e.peer(dst=("x", None))),
    ("should not allow access by TCP when a policy specifies only UDP", ["x/a", "y/a"],
     [netpol("allow-only-udp-ingress-on-port-81", "x", A, ingress=[{"ports": [{"port": 81, "protocol": "UDP"}]}])],
     81, "TCP", lambda e: e.all_ingress("x/a")),
]


@pytest.mark.parametrize("cni", ["calico", "cilium"])
@pytest.mark.parametrize("title,pods,policies,port,proto,build", CASES, ids=[c[0] for c in CASES])
def test_upstream_truth_table(title, pods, policies, port, proto, build, cni):
    c = cluster(*policies, cni=cni, pods=pods)
    matrix = reachability(c, ["x", "y", "z"], port, proto)
    assert sorted(matrix.pods) == sorted(pods)
    assert build(Expect(pods)).mismatches(matrix) == [], "\n" + str(matrix)
    for s in pods:  # the fast matrix and one-by-one verdicts agree
        for d in pods:
            assert evaluate(c, s, d, port, proto).allowed == matrix[s, d], (s, d)


def _ip_of(c, name: str) -> str:
    ns, pod = name.split("/")
    return c.pod(pod, ns).status.pod_ip


@pytest.mark.parametrize("cni", ["calico", "cilium"])
def test_should_allow_egress_access_to_server_in_cidr_block(cni):
    pods = ["x/a", "y/a", "y/b"]
    probe = cluster(pods=pods)
    pol = netpol("allow-client-a-via-cidr-egress-rule", "x", A, types=["Egress"],
                 egress=[{"to": [{"ipBlock": {"cidr": _ip_of(probe, "y/b") + "/32"}}]}])
    m = reachability(cluster(pol, cni=cni, pods=pods), ["x", "y"])
    assert Expect(pods).all_egress("x/a").expect("x/a", "y/b", True).mismatches(m) == []


@pytest.mark.parametrize("cni", ["calico", "cilium"])
def test_should_ensure_an_ip_overlapping_both_ipblock_cidr_and_ipblock_except_is_allowed(cni):
    """First the except clause blocks x/b; a second policy allowing x/b's /32 wins (union)."""
    pods = ["x/a", "x/b", "x/c"]
    probe = cluster(pods=pods)
    ip_b = _ip_of(probe, "x/b")
    big = ip_b.rsplit(".", 2)[0] + ".0.0/16"
    except_pol = netpol("allow-client-a-via-cidr-egress-rule", "x", A, types=["Egress"],
                        egress=[{"to": [{"ipBlock": {"cidr": big, "except": [ip_b + "/32"]}}]}])
    m = reachability(cluster(except_pol, cni=cni, pods=pods), ["x"])
    assert Expect(pods).expect("x/a", "x/b", False).mismatches(m) == []  # "should enforce except clause ..."
    allow_b = netpol("allow-b", "x", A, types=["Egress"], egress=[{"to": [{"ipBlock": {"cidr": ip_b + "/32"}}]}])
    m = reachability(cluster(except_pol, allow_b, cni=cni, pods=pods), ["x"])
    assert Expect(pods).mismatches(m) == []


def test_should_support_allow_all_policy_on_both_ports():
    pods = ["x/a", "x/b", "y/a"]
    c = cluster(netpol("allow-all", "x", ingress=[{}]), pods=pods)
    for port in (80, 81):
        assert reachability(c, port=port).blocked() == []


def test_should_stop_enforcing_policies_after_they_are_deleted():
    pods = ["x/a", "y/a"]
    c = cluster(netpol("deny-all", "x", ingress=[], egress=[], types=["Ingress", "Egress"]), pods=pods)
    assert sorted(reachability(c).blocked()) == [("x/a", "y/a"), ("y/a", "x/a")]
    c.delete("networkpolicies", "deny-all", "x")
    assert reachability(c).blocked() == []


def test_should_allow_ingress_access_from_updated_pod():
    """Labels change -> the per-pod caches are rebuilt with the new cluster state."""
    pods = ["x/a", "x/b"]
    pol = netpol("allow-client-a-via-pod-selector", "x", A,
                 ingress=[{"from": [{"podSelector": {"matchLabels": {"pod": "b", "pod2": "updated"}}}]}])
    c = cluster(pol, pods=pods)
    assert not reachability(c)["x/b", "x/a"]
    from .model import pod
    c.delete("pods", "b", "x")
    c.apply([pod("x", "b", {"pod2": "updated"})])
    assert reachability(c)["x/b", "x/a"]
