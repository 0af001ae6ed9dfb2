"""Property: the real kernel accepts every ruleset the iptables model can write, and saves it back as modelled.

Hypothesis builds clusters over the cross product the model covers: Service type (ClusterIP,
NodePort, LoadBalancer, ExternalName), external and internal traffic policy, ClientIP
affinity, loadBalancerSourceRanges (one of them holding a node IP), externalIPs,
LoadBalancer ingress IPs with ``ipMode`` VIP/Proxy/unset, TCP/UDP/SCTP, named and unnamed
ports, EndpointSlices written by hand whose endpoints are ready, serving-terminating,
terminating and not serving, or not ready, on this node, another node or none, or pods behind a
selector (ready or not, terminating or not, with target ports by name or number, some pods
lacking a port) whose slices the EndpointSlice controller writes, and the kube-proxy settings
(``localhostNodePorts``, ``masqueradeAll``, a cluster CIDR or none), seen from either node.

For each one, in one throwaway ``kl-`` network namespace: every chain a rule jumps to is
declared in the restore text; the built-in jumps kube-proxy ensures plus ``iptables-restore
--noflush`` of the model's text load without error; and ``iptables-save`` prints exactly the
model's save text (both the nft and the legacy back end).  A real node would reject the whole
sync on the first undeclared chain (``Chain 'KUBE-SVC-…' does not exist``).

Deterministic in CI (``derandomize`` when ``CI`` is set, no example database); bounded to
``KUBELAB_PROPERTY_EXAMPLES`` examples (default 25, about 20 s here).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kubelab.proxy import proxier_for
from kubelab.netfilter.xtables import parse_restore

from .test_iptables import by_table, strip_comments
from .upstream_iptables import endpoint, fake_cluster, service, slice_

NODES = (("test-node", "192.168.0.2"), ("node2", "192.168.0.3"))
EXAMPLES = int(os.environ.get("KUBELAB_PROPERTY_EXAMPLES", "25"))
CI = bool(os.environ.get("CI"))
#: targets that are not chains
VERDICTS = {"ACCEPT", "DROP", "REJECT", "RETURN", "MARK", "MASQUERADE", "DNAT", "SNAT", "", None}

PROTOCOLS = ("TCP", "UDP", "SCTP")
STATES = {  # (ready, serving, terminating) as written in the EndpointSlice; None = unset
    "unset": (None, None, None), "ready": (True, True, False), "serving-terminating": (False, True, True),
    "terminating": (False, False, True), "not-ready": (False, None, None),
}


@st.composite
def services(draw, index: int):
    kind = draw(st.sampled_from(("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")))
    name = f"svc{index}"
    n_ports = draw(st.integers(1, 2))
    protos = draw(st.lists(st.sampled_from(PROTOCOLS), min_size=n_ports, max_size=n_ports))
    numbers = draw(st.lists(st.sampled_from((80, 53, 443)), min_size=n_ports, max_size=n_ports, unique=True))
    named = n_ports > 1 or draw(st.booleans())
    ports = [{"port": num, "protocol": proto, "targetPort": num + 8000, **({"name": f"p{i}"} if named else {})}
             for i, (num, proto) in enumerate(zip(numbers, protos))]
    spec: dict = {"type": kind}
    status = None
    if kind == "ExternalName":
        svc = service("ns1", name, None, ports, **spec, externalName="db.example.com")
        del svc["spec"]["clusterIP"]
        return svc, []
    spec["internalTrafficPolicy"] = draw(st.sampled_from(("Cluster", "Local")))
    if draw(st.booleans()):
        spec["externalIPs"] = [f"192.168.99.{20 + index}"]
    if draw(st.booleans()):
        spec["sessionAffinity"] = "ClientIP"
        spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": draw(st.sampled_from((10800, 60)))}}
    if kind in ("NodePort", "LoadBalancer"):
        spec["externalTrafficPolicy"] = draw(st.sampled_from(("Cluster", "Local")))
    if kind == "LoadBalancer":
        spec["loadBalancerSourceRanges"] = draw(st.lists(
            st.sampled_from(("203.0.113.0/25", "192.168.0.0/24", " 198.51.100.0/24")), max_size=2, unique=True))
        ingress = draw(st.lists(st.sampled_from((
            {"ip": f"1.2.3.{4 + index}"}, {"ip": f"5.6.7.{8 + index}", "ipMode": "VIP"},
            {"ip": f"9.9.9.{9 + index}", "ipMode": "Proxy"})), max_size=2, unique_by=lambda i: i["ip"]))
        status = ingress
    if draw(st.booleans()):  # pods behind a selector: the EndpointSlice controller writes the slices
        return with_pods(draw, index, name, ports, status, spec)
    svc = service("ns1", name, f"172.30.0.{10 + index}", ports, status_ips=status, **spec)
    slices = []
    for s in range(draw(st.integers(0, 2))):
        eps = []
        for e in range(draw(st.integers(0, 3))):
            ready, serving, terminating = STATES[draw(st.sampled_from(sorted(STATES)))]
            node = draw(st.sampled_from(("test-node", "node2", None)))
            eps.append(endpoint(f"10.180.{index}.{s * 4 + e + 1}", node, ready, serving, terminating))
        kept = draw(st.lists(st.sampled_from(ports), min_size=1, max_size=len(ports), unique_by=lambda p: p["port"]))
        slices.append(slice_("ns1", name, s + 1, eps,
                             [(p.get("name", ""), p["targetPort"], p["protocol"]) for p in kept]))
    return svc, slices


POD_STATES = ("ready", "not-ready", "terminating-ready", "terminating-not-ready")


def with_pods(draw, index: int, name: str, ports: list[dict], status, spec: dict):
    """The Service with a selector, target ports by name or number, and pods carrying (some of) those ports."""
    ports = [{**p, "targetPort": draw(st.sampled_from((f"n{i}", p["targetPort"])))} for i, p in enumerate(ports)]
    svc = service("ns1", name, f"172.30.0.{10 + index}", ports, status_ips=status, selector={"app": name}, **spec)
    pods = []
    for k in range(draw(st.integers(0, 3))):
        node = draw(st.sampled_from(("test-node", "node2")))
        state = draw(st.sampled_from(POD_STATES))
        declared = draw(st.lists(st.sampled_from(range(len(ports))), min_size=1, unique=True))
        meta = {"name": f"{name}-{k}", "namespace": "ns1", "labels": {"app": name}}
        if state.startswith("terminating"):
            meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
        pod_status: dict = {"phase": "Running", "podIP": f"10.0.{0 if node == 'test-node' else 1}.{10 * index + k + 2}"}
        if state.endswith("not-ready"):
            pod_status["conditions"] = [{"type": "Ready", "status": "False"}]
        containers = [{"name": "c", "image": "nginx", "ports": [
            {"name": f"n{i}", "containerPort": ports[i]["port"] + 8000, "protocol": ports[i]["protocol"]}
            for i in sorted(declared)]}]
        pods.append({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                     "spec": {"nodeName": node, "containers": containers}, "status": pod_status})
    return svc, pods


@st.composite
def clusters(draw):
    objects = []
    for i in range(draw(st.integers(1, 3))):
        svc, slices = draw(services(i))
        objects += [svc, *slices]
    proxy = {"iptables": {"localhostNodePorts": draw(st.booleans()), "masqueradeAll": draw(st.booleans())}}
    if draw(st.booleans()):
        proxy["clusterCIDR"] = None  # no local-traffic detection
    return fake_cluster(*objects, nodes=NODES, proxy=proxy), draw(st.sampled_from([n for n, _ in NODES]))


def undeclared_jumps(restore: str) -> list[str]:
    """Chains a rule jumps to (or appends to) that the restore text does not declare, per table."""
    missing = []
    for name, table in parse_restore(restore).items():
        declared = set(table.chains)
        for rule in table.rules:
            for chain in (rule.chain, rule.target):
                if chain not in VERDICTS and chain not in declared:
                    missing.append(f"{name}: {chain}")
    return missing


@pytest.fixture(scope="module")
def netns():
    from kubelab.lab import NetNS
    with NetNS(f"kl-h20-props-{os.getpid()}") as ns:
        yield ns


def load(ns, backend: str, p) -> str:
    """Empty tables, kube-proxy's ensured jumps (one restore, as kubelab.lab.build does), then the sync."""
    for table in ("nat", "filter"):
        ns.run([f"iptables-{backend}", "-t", table, "-F"])
        ns.run([f"iptables-{backend}", "-t", table, "-X"])
    jumps = []
    for table, rules in p.jump_rules().items():
        jumps.append(f"*{table}")
        jumps += [f":{chain} - [0:0]" for chain in dict.fromkeys(r.target for r in rules)]
        jumps += ["-I " + r.restore()[3:].replace(" ", " 1 ", 1) for r in reversed(rules)]
        jumps.append("COMMIT")
    ns.run([f"iptables-{backend}-restore", "--noflush"], input="\n".join(jumps) + "\n")
    loaded = ns.run([f"iptables-{backend}-restore", "--noflush"], input=p.render("restore"), check=False)
    assert loaded.returncode == 0, f"iptables-{backend}-restore refused the model's text: {loaded.stderr}"
    return ns.run([f"iptables-{backend}-save"]).stdout


def both_local_remote_only():
    """The issue's case: NodePort with both policies Local, seen from a node without a local endpoint."""
    return fake_cluster(
        service("ns1", "svc0", "172.30.0.10", [{"name": "p0", "port": 80, "protocol": "TCP", "nodePort": 30080}],
                type="NodePort", externalTrafficPolicy="Local", internalTrafficPolicy="Local"),
        slice_("ns1", "svc0", 1, [endpoint("10.180.0.1", "node2")], [("p0", 80, "TCP")]), nodes=NODES), "test-node"


@pytest.mark.requires("root", "iptables")
@example(drawn=both_local_remote_only())
@settings(max_examples=EXAMPLES, deadline=None, derandomize=CI, database=None if CI else settings().database,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(clusters())
def test_the_kernel_accepts_every_ruleset_the_model_writes(netns, drawn):
    cluster, node = drawn
    p = proxier_for(cluster, "iptables", node=node)
    restore = p.render("restore")
    assert undeclared_jumps(restore) == []
    for backend in ("nft", "legacy"):
        real = load(netns, backend, p)
        assert by_table(p.save_text(backend)) == by_table(real)
        if backend == "nft":
            assert p.save_text("nft") == strip_comments(real)


def test_undeclared_jumps_are_found():
    """The check itself: a KUBE-EXT- chain jumping to a KUBE-SVC- chain nobody declared is reported."""
    text = "*nat\n:KUBE-EXT-X - [0:0]\n-A KUBE-EXT-X -j KUBE-SVC-X\n-A KUBE-EXT-X -j KUBE-MARK-MASQ\nCOMMIT\n"
    assert undeclared_jumps(text) == ["nat: KUBE-SVC-X", "nat: KUBE-MARK-MASQ"]
