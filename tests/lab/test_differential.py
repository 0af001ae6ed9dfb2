"""Differential tests: every scenario runs on the model (kubelab.net, kubelab.linuxns) and on the real kernel.

One lab (tests/lab/scenarios.yaml on kind's three nodes) is built once for the
module per kube-proxy mode the lab runs (:data:`kubelab.lab.LAB_MODES`: iptables,
then nftables): real CNI plugins, kube-proxy's rendered rules loaded with the
real ``iptables-restore`` or ``nft``, one server per pod.  Every scenario runs in
each mode, against a model cluster in the same mode.  Each
scenario compares what the model says with what the kernel does: the verdict
(mapped by :func:`kubelab.lab.outcome_of`: rejected/refused -> ``refused``,
dropped/timeout -> ``timeout``) and the set of backends reached, with the split
within a binomial tolerance of the model's probabilities.

Any disagreement is a bug in one of the two; :data:`KNOWN_DISAGREEMENTS` is empty.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from kubelab import Cluster
from kubelab.api import load
from kubelab.lab import LAB_MODES, Lab, outcome_of
from kubelab.linuxns import channels, port_conflicts
from kubelab.net import Network

pytestmark = pytest.mark.requires("root", "cni", "iptables", "nft")

MANIFESTS = (Path(__file__).parent / "scenarios.yaml").read_text()
FABRIC = "172.18.0.1"
WORKER, WORKER2 = "172.18.0.3", "172.18.0.4"

#: Disagreements between the model and the kernel that remain: none.  (hostPorts, crashed vs hung
#: backends, hairpin mode, br_netfilter, unmatched destinations and ICMP rate limiting were all
#: disagreements once; each was fixed in the model.)
KNOWN_DISAGREEMENTS: dict[str, str] = {}


@pytest.fixture(scope="module", params=list(LAB_MODES))
def cluster(request):
    return Cluster(MANIFESTS, proxy_mode=request.param)


@pytest.fixture(scope="module")
def lab(cluster, host_unchanged):
    mode = cluster.kube_proxy_config.effective_mode
    with Lab(cluster, f"d{os.getpid() % 100000}{mode[0]}") as lab:
        assert lab.mode == mode
        yield lab
    assert not [ns for ns in lab.topology.namespaces if Path("/run/netns", ns).exists()]


def model(cluster, src, host, port, proto="TCP", count=1, seed=0, dead=(), **options):
    net = Network(cluster, seed=seed, dead=set(dead), **options)
    return [outcome_of(net.connect(src, host, port, proto)) for _ in range(count)]


def within(counts: Counter, n: int, expected: dict[str, float], sigmas: float = 4.0) -> bool:
    for backend, p in expected.items():
        sd = (n * p * (1 - p)) ** 0.5
        if abs(counts[backend] - n * p) > sigmas * sd + 1:
            return False
    return True


# ---------------------------------------------------------------------------------------------- Services
def test_clusterip_one_backend(cluster, lab):
    assert set(model(cluster, "client", "solo", 80, count=10)) == {"default/solo"}
    assert set(lab.curl("client", "solo", 80, count=10)) == {"default/solo"}


def test_clusterip_three_backends_split(cluster, lab):
    n = 120
    m, k = Counter(model(cluster, "client", "web", 80, count=n, seed=3)), Counter(lab.curl("client", "web", 80,
                                                                                            count=n))
    backends = {"default/web-0", "default/web-1", "default/web-2"}
    assert set(m) == set(k) == backends
    # the model's probabilities, measured over many of its connections (KUBE-SVC: 1/3, then 1/2, then the rest)
    many = Counter(model(cluster, "client", "web", 80, count=1500, seed=11))
    p = {b: many[b] / 1500 for b in backends}
    assert all(abs(x - 1 / 3) < 0.05 for x in p.values()), p
    assert within(m, n, p) and within(k, n, p), (m, k, p)


def test_clusterip_by_dns_style_name_and_udp(cluster, lab):
    m = model(cluster, "client", "kube-dns.kube-system", 53, "UDP", count=20)
    k = lab.curl("client", "kube-dns.kube-system", 53, "UDP", count=20)
    coredns = {f"kube-system/{p.name}" for p in cluster.pods("kube-system")}
    assert set(m) == set(k) == coredns


def test_nodeport_from_the_fabric(cluster, lab):
    for node_ip in (WORKER, WORKER2):
        m, k = model(cluster, FABRIC, node_ip, 30080, count=40), lab.curl("fabric", node_ip, 30080, count=40)
        assert set(m) == set(k) == {"default/web-0", "default/web-1", "default/web-2"}


def test_no_endpoints_rejected_at_once(cluster, lab):
    assert model(cluster, "client", "empty", 80) == ["refused"]
    assert Network(cluster).connect("client", "empty", 80).verdict == "rejected"
    t0 = time.perf_counter()
    assert lab.curl("client", "empty", 80, count=3, timeout=2.0) == ["refused"] * 3
    assert time.perf_counter() - t0 < 1.5  # ICMP port unreachable: no waiting for a timeout


def test_cross_node_pod_to_pod(cluster, lab):
    web2 = cluster.pod("web-2").status.pod_ip
    assert model(cluster, "client", web2, 8080) == lab.curl("client", web2, 8080) == ["default/web-2"]
    assert model(cluster, "web-2", cluster.pod("client").status.pod_ip, 7070) == \
        lab.curl("web-2", cluster.pod("client").status.pod_ip, 7070) == ["default/client"]


def test_closed_port_refused(cluster, lab):
    web2 = cluster.pod("web-2").status.pod_ip
    assert model(cluster, "client", web2, 9999) == lab.curl("client", web2, 9999) == ["refused"]


def test_hostport_via_portmap(cluster, lab):
    # the pod's node: portmap DNATs; the other worker: nothing listens there
    assert model(cluster, FABRIC, WORKER, 9090) == lab.curl("fabric", WORKER, 9090) == ["refused"]
    assert model(cluster, FABRIC, WORKER2, 9090) == lab.curl("fabric", WORKER2, 9090) == ["default/solo"]


# ---------------------------------------------------------------------------------------------- hairpin
def _hairpin(lab, node: str, on: bool) -> None:
    ports = json.loads(lab.node_exec(node, ["ip", "-j", "link", "show", "master", "cni0"]).stdout)
    for p in ports:
        lab.node_exec(node, ["ip", "link", "set", "dev", p["ifname"], "type", "bridge_slave",
                             "hairpin", "on" if on else "off"])


def test_hairpin(cluster, lab):
    """A pod reaching itself through its Service: DNAT sends the packet back out of the bridge port it came in by."""
    assert model(cluster, "solo", "solo", 80) == ["default/solo"]
    assert lab.topology.hairpin  # the bridge plugin's hairpinMode: true, as kubelet's hairpin-veth
    assert lab.curl("solo", "solo", 80) == ["default/solo"]
    _hairpin(lab, "kind-worker2", False)
    try:
        # without hairpin mode the bridge will not send a frame back out of its ingress port
        assert model(cluster, "solo", "solo", 80, hairpin=False) == \
            lab.curl("solo", "solo", 80, timeout=0.5) == ["timeout"]
        assert lab.curl("web-2", "solo", 80) == ["default/solo"]  # other pods are not affected
    finally:
        _hairpin(lab, "kind-worker2", True)
    assert lab.curl("solo", "solo", 80) == ["default/solo"]


# ---------------------------------------------------------------------------------------------- failures
def test_dead_backend(cluster, lab):
    assert model(cluster, "client", "flaky", 80) == lab.curl("client", "flaky", 80) == ["default/flaky"]
    lab.stop_server("flaky", freeze=True)  # alive but silent: the SYN is accepted, no answer ever comes
    assert model(cluster, "client", "flaky", 80, dead={"default/flaky"}) == ["timeout"]
    assert lab.curl("client", "flaky", 80, timeout=0.5) == ["timeout"]
    lab.stop_server("flaky")  # gone: the kernel RSTs
    assert model(cluster, "client", "flaky", 80, crashed={"default/flaky"}) == \
        lab.curl("client", "flaky", 80) == ["refused"]


def test_br_netfilter_off(cluster, lab):
    """bridge-nf-call-iptables=0: ClusterIP to a same-node backend fails; to another node it still works."""
    key = "net.bridge.bridge-nf-call-iptables"
    assert lab.node_exec("kind-worker", ["sysctl", "-n", key]).stdout.strip() == "1"
    assert lab.curl("client", "near", 80) == ["default/near"]
    lab.node_exec("kind-worker", ["sysctl", "-qw", f"{key}=0"])
    try:
        assert model(cluster, "client", "near", 80, br_netfilter=False) == \
            lab.curl("client", "near", 80, timeout=0.5) == ["timeout"]
        assert model(cluster, "client", "solo", 80, br_netfilter=False) == \
            lab.curl("client", "solo", 80) == ["default/solo"]  # the reply is routed, not bridged
    finally:
        lab.node_exec("kind-worker", ["sysctl", "-qw", f"{key}=1"])
    assert lab.curl("client", "near", 80) == ["default/near"]


# ---------------------------------------------------------------------------------------------- inside a pod
def _pod(doc: dict):
    return next(iter(load(json.dumps(doc))))


def test_containers_of_a_pod_talk_over_localhost(cluster, lab):
    pod = cluster.pod("client")
    net = next(c for c in channels(pod, "sidecar", "main") if c.kind == "network")
    assert net.available and "localhost:7070" in net.how
    assert lab.curl("client", "127.0.0.1", 7070) == ["default/client"]  # main's port, from the sidecar's side
    assert lab.curl("client", "127.0.0.1", 7071, "UDP") == ["default/client"]
    # another pod's localhost is its own
    assert lab.curl("web-0", "127.0.0.1", 7070) == ["refused"]


BIND = "import socket,sys\ns=socket.socket()\ntry:\n s.bind(('',int(sys.argv[1])));print('ok')\nexcept OSError as e:\n " \
       "print(e.errno)"


def test_port_conflict_between_containers_of_one_pod(cluster, lab):
    clash = _pod({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "clash"},
                  "spec": {"nodeName": "kind-worker", "containers": [
                      {"name": "main", "image": "x", "ports": [{"containerPort": 7070}]},
                      {"name": "second", "image": "x", "ports": [{"containerPort": 7070}]}]}})
    conflicts = port_conflicts([clash])
    assert [(c.scope, c.port) for c in conflicts] == [("pod", 7070)]
    assert port_conflicts([cluster.pod("client"), cluster.pod("web-0")]) == []  # one IP each: no collision
    import errno
    # the client pod's server (its first container) holds 7070: a second container's bind fails
    assert lab.pod_exec("client", [sys.executable, "-c", BIND, "7070"]).stdout.strip() == str(errno.EADDRINUSE)
    assert lab.pod_exec("web-0", [sys.executable, "-c", BIND, "7070"]).stdout.strip() == "ok"


def _shared_pid_kill(lab, share: bool) -> bool:
    """Container A runs in its own PID namespace; container B (joined to A's, or not) kills A's worker.

    A's PID 1 is a shell that reports how its worker (``sleep``, PID 2 there) ended and then stays up:
    if PID 1 exited, the kernel would kill everything in its namespace, B's ``kill`` included.
    """
    import select
    ns = lab.topology.pod("client").netns
    a = subprocess.Popen(["ip", "netns", "exec", ns, "unshare", "--pid", "--fork", "--mount-proc", "sh", "-c",
                          "sleep 30 & wait $!; echo $?; sleep 30"], stdout=subprocess.PIPE, text=True)
    sh = None
    try:
        for _ in range(200):
            kids = Path(f"/proc/{a.pid}/task/{a.pid}/children").read_text().split()
            if kids and Path(f"/proc/{kids[0]}/task/{kids[0]}/children").read_text().split():
                sh = kids[0]  # PID 1 of A's namespace; its child sleep is PID 2 there
                break
            time.sleep(0.02)
        assert sh is not None, "container A did not start"
        join = ["nsenter", "--target", sh, "--pid", "--mount", "--"] if share else \
            ["unshare", "--pid", "--fork", "--mount-proc"]
        b = subprocess.run(["ip", "netns", "exec", ns, *join, "kill", "-TERM", "2"], capture_output=True, text=True)
        ready, _, _ = select.select([a.stdout], [], [], 3 if b.returncode == 0 else 0.2)
        return bool(ready) and a.stdout.readline().strip() == str(128 + signal.SIGTERM)
    finally:
        for pid in (int(sh) if sh else a.pid, a.pid):  # killing PID 1 of A's namespace ends everything in it
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        a.wait()


def test_shared_pid_namespace_lets_one_container_signal_another(lab):
    spec = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pid"},
            "spec": {"nodeName": "kind-worker", "containers": [{"name": "a", "image": "x"},
                                                                {"name": "b", "image": "x"}]}}
    for share in (True, False):
        spec["spec"]["shareProcessNamespace"] = share
        sig = next(c for c in channels(_pod(spec), "b", "a") if c.kind == "signal")
        assert sig.available is share
        assert _shared_pid_kill(lab, share) is share


# ---------------------------------------------------------------------------------------------- the lab itself
def test_model_and_kernel_agree_on_addresses(cluster, lab):
    for pod in lab.topology.pods:
        out = lab.pod_exec(pod.ref, ["ip", "-4", "-o", "addr", "show", "eth0"]).stdout
        assert f"inet {pod.ip}/24" in out
    routes = lab.node_exec("kind-worker", ["ip", "route"]).stdout
    assert "10.244.2.0/24 via 172.18.0.4 dev eth0" in routes and "10.244.1.0/24 dev cni0" in routes


# ---------------------------------------------------------------------------------------------- source addresses
def model_seen(cluster, src, host, port):
    t = Network(cluster).connect(src, host, port)
    return f"{t.backend} {t.source_seen.rsplit(':', 1)[0]}" if t.ok else outcome_of(t)


@pytest.mark.parametrize("src,host,port", [
    ("client", "near", 80),               # pod -> ClusterIP, same node: the client's own address
    ("client", "solo", 80),               # pod -> ClusterIP, other node: still no SNAT
    ("solo", "solo", 80),                 # hairpin: masqueraded to the bridge's gateway address
    ("kind-worker", "solo", 80),          # node -> ClusterIP: the node's InternalIP
    ("kind-worker", "near", 80),          # node -> local pod: out of cni0, its address
    (FABRIC, "172.18.0.4", 30081),        # externalTrafficPolicy Local: the client address kept
])
def test_source_address_seen_by_the_backend(cluster, lab, src, host, port):
    where = "fabric" if src == FABRIC else src
    assert lab.curl(where, host, port, source=True) == [model_seen(cluster, src, host, port)]


def test_nodeport_masquerade_to_the_node_or_gateway(cluster, lab):
    """Cluster policy: SNAT to the node's address, or cni0's when the backend is on that node."""
    net = Network(cluster, seed=5)
    seen_model = {}
    for _ in range(40):
        t = net.connect(FABRIC, WORKER, 30080)
        seen_model[t.backend] = t.source_seen.rsplit(":", 1)[0]
    seen_kernel = dict(line.split() for line in lab.curl("fabric", WORKER, 30080, count=40, source=True))
    assert seen_model == seen_kernel == {"default/web-0": "10.244.1.1", "default/web-1": "10.244.1.1",
                                         "default/web-2": "172.18.0.3"}


# ---------------------------------------------------------------------------------------------- policies
def test_external_traffic_policy_local(cluster, lab):
    # the control plane has no web pod: Local policy drops there; elsewhere only local pods answer
    assert model(cluster, FABRIC, "172.18.0.2", 30081) == ["timeout"]
    assert lab.curl("fabric", "172.18.0.2", 30081, timeout=0.5) == ["timeout"]
    for node_ip, local in ((WORKER, {"default/web-0", "default/web-1"}), (WORKER2, {"default/web-2"})):
        assert set(model(cluster, FABRIC, node_ip, 30081, count=30)) == set(
            lab.curl("fabric", node_ip, 30081, count=30)) == local


def test_session_affinity_client_ip(cluster, lab):
    m, k = model(cluster, "client", "sticky", 80, count=20), lab.curl("client", "sticky", 80, count=20)
    assert len(set(m)) == len(set(k)) == 1 and set(k) <= {"default/web-0", "default/web-1", "default/web-2"}


def test_nodeport_on_a_node_without_backends(cluster, lab):
    m, k = model(cluster, FABRIC, "172.18.0.2", 30080, count=30), lab.curl("fabric", "172.18.0.2", 30080, count=30)
    assert set(m) == set(k) == {"default/web-0", "default/web-1", "default/web-2"}


def test_no_pod_at_that_address(cluster, lab):
    assert model(cluster, "client", "10.244.1.99", 8080) == lab.curl("client", "10.244.1.99", 8080,
                                                                      timeout=0.5) == ["timeout"]


def test_kube_proxy_rules_in_the_kernel_are_the_models(cluster, lab):
    """iptables-save in each node namespace: kube-proxy's lines are the model's ``save`` rendering, in order;
    in nftables mode ``nft list table ip kube-proxy`` is the ``ruleset`` rendering (elements as sets)."""
    from kubelab.proxy import proxier_for
    if lab.mode == "nftables":
        from tests.proxy.test_nftables_real import split_elements
        for node in lab.topology.nodes:
            real = lab.node_exec(node.name, ["nft", "list", "table", "ip", "kube-proxy"]).stdout
            want = proxier_for(cluster, "nftables", node=node.name).render("ruleset")
            # the affinity sets hold the clients the earlier tests sent (dynamic elements): not compared
            assert split_elements(real, runtime=True) == split_elements(want), node.name
            assert "KUBE-" not in lab.node_exec(node.name, ["iptables-save"]).stdout  # no iptables rules at all
        return
    for node in lab.topology.nodes:
        real = lab.node_exec(node.name, ["iptables-save"]).stdout
        want = proxier_for(cluster, "iptables", node=node.name).save_text("nft")
        assert [x for x in real.splitlines() if "KUBE-" in x] == [x for x in want.splitlines() if "KUBE-" in x]


# ---------------------------------------------------------------------------------------------- more paths
@pytest.mark.parametrize("src,host,port,proto", [
    ("client", "empty-udp", 53, "UDP"),          # no endpoints, UDP: REJECT's ICMP -> ECONNREFUSED on recv
    ("client", "10.244.1.5", 7070, "TCP"),       # a pod to its own IP: local, no bridge
    ("web-2", "10.244.0.2", 53, "UDP"),          # UDP across nodes, to a pod IP
    ("client", "172.18.0.4", 30080, "TCP"),      # a pod to another node's NodePort
    ("kind-worker", "172.18.0.4", 30080, "TCP"),  # a node to another node's NodePort
])
def test_more_paths(cluster, lab, src, host, port, proto):
    n = 1 if host.startswith("empty") else 20  # REJECTs are ICMP errors: rate limited (see below)
    m = set(model(cluster, src, host, port, proto, count=n))
    k = set(lab.curl(src, host, port, proto, count=n, timeout=0.5))
    assert m == k


def test_rejects_are_rate_limited_like_the_kernel(cluster, lab):
    """REJECT answers with ICMP port unreachable, and the kernel limits ICMP errors per destination
    (``net.ipv4.icmp_ratelimit``, a burst of 6 then one a second): a client hammering a Service without
    endpoints sees some attempts time out instead of failing at once.  The model's token bucket, with
    attempts 0.3 s apart (the client's timeout), shows the same."""
    time.sleep(1.2)
    k = lab.curl("web-1", "empty-udp", 53, "UDP", count=20, timeout=0.3)
    m = model(cluster, "web-1", "empty-udp", 53, "UDP", count=20, attempt_interval=0.3)
    assert k[0] == m[0] == "refused" and set(k) == set(m) == {"refused", "timeout"}
    assert set(model(cluster, "web-1", "empty-udp", 53, "UDP", count=20)) == {"refused"}  # a second apart


def test_service_port_not_defined(cluster, lab):
    """iptables mode: no rule matches web:81, so the packet is routed like any other to the default
    gateway.  nftables mode: ``cluster-ips-check`` rejects traffic to a port a ClusterIP does not serve
    (after a pause, so that earlier rejects do not leave the client's ICMP rate limit empty)."""
    time.sleep(1.2)
    want = ["refused"] if lab.mode == "nftables" else ["timeout"]
    assert model(cluster, "client", "web", 81) == lab.curl("client", "web", 81, timeout=0.5) == want


def test_unready_pod_is_not_a_backend(cluster, lab):
    """web-unready has the Service's labels and a running server, but is not Ready: kube-proxy leaves it out."""
    ip = cluster.pod("web-unready").status.pod_ip
    assert model(cluster, "client", ip, 8080) == lab.curl("client", ip, 8080) == ["default/web-unready"]
    m, k = set(model(cluster, "client", "web", 80, count=40)), set(lab.curl("client", "web", 80, count=40))
    assert m == k == {"default/web-0", "default/web-1", "default/web-2"}
