"""kubelab.grading: right answers pass in any reasonable form; wrong ones raise an AssertionError that says why."""

from __future__ import annotations

import copy
import subprocess
import sys
import re

import pytest

import kubelab
from kubelab.api import Pod, load_text
from kubelab.linuxns import describe
from kubelab.grading import (WrongAnswer, channel_kinds, check_channels, check_container_ips, check_ip_per,
                             check_pause_namespaces, check_port_conflicts, check_shared_namespaces, namespace_kinds)
from tests import factories


def pod(name="web", containers=("app", "proxy"), **spec):
    return Pod.from_dict(factories.pod(name, namespace="default",
                                       containers=[{"name": c, "image": "busybox"} for c in containers], **spec))


def raises(fn, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, WrongAnswer)
    return str(info.value)


# ------------------------------------------------------------------ reading answers
@pytest.mark.parametrize("answer", [
    {"net", "ipc", "uts"}, ["NET", "IPC", "UTS"], ("network", "ipc", "hostname"), frozenset({"Net", "Ipc", "Uts"}),
    "net, ipc, uts", "Network, IPC and UTS namespaces", "net ; ipc | uts", ["net", "network", "ipc", "uts"],
    [" net ", "ipc namespace", "UTS"],
])
def test_namespace_kinds_forms(answer):
    assert namespace_kinds(answer) == {"net", "ipc", "uts"}


@pytest.mark.parametrize("answer", [None, ..., "", "   "])
def test_unanswered(answer):
    assert "No answer yet" in raises(namespace_kinds, answer)


@pytest.mark.parametrize("answer, phrase", [
    (["net", "docker"], "'docker' is not one of the Linux namespace kinds"),
    ({"net": True}, "got a dict"),
    (42, "got int"),
    (["net", 3], "as names"),
])
def test_namespace_kinds_unreadable(answer, phrase):
    assert phrase in raises(namespace_kinds, answer)


@pytest.mark.parametrize("answer, expected", [
    ({"network": True, "ipc": True, "volume": False, "signal": False}, {"network", "ipc"}),
    ({"Network": 1, "IPC": 0}, {"network"}),
    ({"network", "shared memory", "volumes"}, {"network", "ipc", "volume"}),
    ("localhost and signals", {"network", "signal"}),
    (set(), set()),
    ([], set()),
])
def test_channel_kinds_forms(answer, expected):
    assert channel_kinds(answer) == expected


def test_channel_kinds_unreadable():
    assert "True or False" in raises(channel_kinds, {"network": "yes"})
    assert "'pigeon' is not one of the channel kinds" in raises(channel_kinds, {"pigeon": True})
    assert "'telepathy'" in raises(channel_kinds, ["network", "telepathy"])


# ------------------------------------------------------------------ IP per pod
@pytest.mark.parametrize("answer", ["pod", "Pod", " per pod ", "PER-POD", "each pod"])
def test_ip_per_pod(answer):
    check_ip_per(answer)


@pytest.mark.parametrize("answer, phrase", [
    ("container", "each container gets its own IP"),
    ("per container", "held by the pause container"),
    ("node", "pod CIDR"),
    ("banana", "'pod' or 'container'"),
    (None, "'pod' or 'container'"),
    (1, "'pod' or 'container'"),
])
def test_ip_per_wrong(answer, phrase):
    assert phrase in raises(check_ip_per, answer)


@pytest.fixture(scope="module")
def cluster():
    return kubelab.Cluster("""
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  nodeName: kind-worker
  initContainers: [{name: init, image: busybox}]
  containers: [{name: app, image: nginx}, {name: proxy, image: envoy}]
---
apiVersion: v1
kind: Pod
metadata: {name: agent}
spec:
  nodeName: kind-worker2
  hostNetwork: true
  containers: [{name: collector, image: otel}]
""")


def test_container_ips_right(cluster):
    web, agent = cluster.pod("web"), cluster.pod("agent")
    check_container_ips({"app": web.status.pod_ip, "proxy": web.status.pod_ip}, web)
    check_container_ips({"app": web.status.pod_ip, "proxy": web.status.pod_ip, "init": web.status.pod_ip}, web)
    check_container_ips({"collector": agent.status.host_ip}, agent)  # hostNetwork: the node's IP


def test_container_ips_wrong(cluster):
    web, agent = cluster.pod("web"), cluster.pod("agent")
    ip = web.status.pod_ip
    msg = raises(check_container_ips, {"app": ip, "proxy": "10.244.9.9"}, web)
    assert "You gave proxy the IP 10.244.9.9" in msg and f"pod's IP {ip}" in msg
    assert "status.hostIP" in raises(check_container_ips, {"app": ip, "proxy": web.status.host_ip}, web)
    assert "left out proxy" in raises(check_container_ips, {"app": ip}, web)
    assert "no container named 'sidecar'" in raises(check_container_ips, {"app": ip, "proxy": ip, "sidecar": ip}, web)
    assert "hostNetwork" in raises(check_container_ips, {"collector": "10.244.2.2"}, agent)
    assert "dict" in raises(check_container_ips, [ip, ip], web)
    assert "No answer yet" in raises(check_container_ips, None, web)
    assert "no IP yet" in raises(check_container_ips, {"app": ip}, pod())


# ------------------------------------------------------------------ shared namespaces and the pause container
@pytest.mark.parametrize("spec, right", [
    ({}, {"net", "ipc", "uts"}),
    ({"shareProcessNamespace": True}, {"net", "ipc", "uts", "pid"}),
    ({"hostNetwork": True}, {"net", "ipc", "uts"}),
    ({"hostPID": True}, {"net", "ipc", "uts", "pid"}),
    ({"hostUsers": False}, {"net", "ipc", "uts", "user"}),
])
def test_shared_namespaces_right(spec, right):
    p = pod(**spec)
    check_shared_namespaces(right, p)
    check_shared_namespaces(right | {"user"}, p)  # the node's user namespace: either way


def test_shared_namespaces_matches_describe():
    from kubelab.linuxns import describe

    for spec in ({}, {"shareProcessNamespace": True}, {"hostNetwork": True, "hostIPC": True}):
        check_shared_namespaces(describe(pod(**spec)).shared_kinds(), pod(**spec))


A05_PODS = {  # the pods of a05-chapter-questions' setup cell
    "web": {"metadata": {"name": "web"}, "spec": {"containers": [{"name": "app", "image": "nginx"},
                                                                 {"name": "log-shipper", "image": "fluent-bit"}]}},
    "web-pid": {"metadata": {"name": "web-pid"}, "spec": {"shareProcessNamespace": True, "containers": [
        {"name": "app", "image": "nginx"}, {"name": "log-shipper", "image": "fluent-bit"}]}},
    "agent": {"metadata": {"name": "agent"}, "spec": {"hostNetwork": True,
                                                      "containers": [{"name": "agent", "image": "example/agent"}]}},
}


@pytest.mark.parametrize("name", sorted(A05_PODS))
def test_a05_answers_follow_from_the_displayed_namespace_table(name):
    """a05 questions 2 and 3: a learner who reads the table notebooks 02 and 09 print gets full marks."""
    pod = Pod.from_dict(A05_PODS[name])
    lines = str(describe(pod)).splitlines()
    cols = [m.start() for m in re.finditer(r"(?<=  )\S|^\S", lines[0])]
    header = [lines[0][a:b].strip() for a, b in zip(cols, cols[1:] + [None])]
    rows = [dict(zip(header, (line[a:b].strip() for a, b in zip(cols, cols[1:] + [None])))) for line in lines[1:]]
    shared = {r["KIND"] for r in rows if r["SHARED BY"] != "-"}
    held = {r["KIND"] for r in rows if r["HOLDER"] == "pause"}
    check_shared_namespaces(shared, pod)
    check_pause_namespaces(held, pod)
    if name == "web":
        assert shared - {"user"} == {"net", "ipc", "uts"}  # uts too: containerd/CRI-O join the sandbox's
        with pytest.raises(WrongAnswer, match="left out 'uts'"):
            check_shared_namespaces({"net", "ipc"}, pod)


def test_shared_namespaces_wrong():
    msg = raises(check_shared_namespaces, {"net", "ipc", "uts", "pid"}, pod())
    assert msg.startswith("You said the containers of pod default/web share the 'pid' namespace, but "
                          "shareProcessNamespace is false, so each container has its own PID namespace.")
    assert "Shared here" not in msg and "ipc, net, uts" not in msg  # the right set is never spelled out
    assert 'Taught in notebooks/02-inside-a-pod.ipynb, section "Who shares what"' in msg
    msg = raises(check_shared_namespaces, {"net", "ipc", "uts"}, pod(shareProcessNamespace=True))
    assert "You left out 'pid'" in msg and "PID 1" in msg
    assert "own mount namespace" in raises(check_shared_namespaces, "net, ipc, uts, mnt", pod())
    assert "cgroup" in raises(check_shared_namespaces, ["net", "ipc", "uts", "cgroup"], pod())
    msg = raises(check_shared_namespaces, {"ipc"}, pod(hostNetwork=True))
    assert "You left out 'net': hostNetwork: true puts every container in the node's own net namespace" in msg
    assert "left out 'user'" in raises(check_shared_namespaces, {"net", "ipc", "uts"}, pod(hostUsers=False))


@pytest.mark.parametrize("spec, right", [
    ({}, {"net", "ipc", "uts"}),
    ({"shareProcessNamespace": True}, {"net", "ipc", "uts", "pid"}),
    ({"hostNetwork": True}, {"ipc"}),
    ({"hostIPC": True, "hostNetwork": True}, set()),
])
def test_pause_namespaces_right(spec, right):
    check_pause_namespaces(right, pod(**spec))


def test_pause_namespaces_wrong():
    msg = raises(check_pause_namespaces, {"net"}, pod())
    # One mistake explained, the others counted: the message never completes the answer.
    assert "You left out 'ipc'" in msg and "'uts'" not in msg and "1 more thing to fix" in msg
    assert "without shareProcessNamespace" in raises(check_pause_namespaces, {"net", "ipc", "uts", "pid"}, pod())
    assert "nobody joins the pause container's" in raises(check_pause_namespaces, {"net", "ipc", "uts", "mnt"}, pod())
    assert "merely joins" in raises(check_pause_namespaces, {"net", "ipc", "uts"}, pod(hostNetwork=True))


# ------------------------------------------------------------------ channels
LOGGING = """
apiVersion: v1
kind: Pod
metadata: {name: logging}
spec:
  nodeName: kind-worker
  volumes: [{name: logs, emptyDir: {}}]
  containers:
  - {name: app, image: busybox, volumeMounts: [{name: logs, mountPath: /var/log/app}]}
  - {name: shipper, image: fluent-bit, volumeMounts: [{name: logs, mountPath: /logs, readOnly: true}]}
"""


@pytest.fixture()
def logging_pod():
    return load_text(LOGGING)[0]


@pytest.mark.parametrize("answer", [
    {"network": True, "ipc": True, "volume": True, "signal": False},
    {"network": True, "ipc": True, "volume": True},
    {"network", "ipc", "volume"},
    ["Network", "IPC", "volumes"],
    "localhost, shared memory and emptyDir",
])
def test_channels_right(logging_pod, answer):
    check_channels(answer, logging_pod, "app", "shipper")
    check_channels(answer, logging_pod, "shipper", "app")


def test_channels_wrong(logging_pod):
    msg = raises(check_channels, {"network": True, "ipc": False, "volume": True, "signal": True},
                 logging_pod, "app", "shipper")
    assert msg.startswith("You left out ipc") and "1 more thing to fix in this answer" in msg
    assert "signal" not in msg and "Available here" not in msg
    msg = raises(check_channels, {"network": True, "ipc": True, "volume": True, "signal": True},
                 logging_pod, "app", "shipper")
    assert "You said app and shipper can use signal, but they cannot" in msg
    assert "shareProcessNamespace: true would give the pod one" in msg and "more thing" not in msg
    debug = copy.deepcopy(logging_pod)
    debug.spec.share_process_namespace = True
    check_channels({"network", "ipc", "volume", "signal"}, debug, "app", "shipper")
    assert "You left out signal" in raises(check_channels, {"network", "ipc", "volume"}, debug, "app", "shipper")


def test_channels_across_pods(logging_pod):
    other = load_text(LOGGING.replace("name: logging", "name: other"))[0]
    check_channels({"network"}, logging_pod, "app", other_pod=other, b="shipper")
    msg = raises(check_channels, {"network", "ipc", "volume"}, logging_pod, "app", "shipper", other_pod=other)
    assert "can use ipc, but they cannot" in msg and "1 more thing to fix" in msg


# ------------------------------------------------------------------ port conflicts
def scenario(edge_b_node="kind-worker"):
    def one(name, node, *containers):
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"nodeName": node,
                "containers": [{"name": c, "image": "nginx", "ports": [p]} for c, p in containers]}}
    return kubelab.load(
        one("duo", "kind-worker", ("web", {"containerPort": 8080}), ("metrics", {"containerPort": 8080})),
        one("edge-a", "kind-worker", ("nginx", {"containerPort": 80, "hostPort": 80})),
        one("edge-b", edge_b_node, ("nginx", {"containerPort": 8080, "hostPort": 80})),
        one("edge-c", "kind-worker2", ("nginx", {"containerPort": 80, "hostPort": 80})),
        one("blue", "kind-worker", ("web", {"containerPort": 80})),
        one("green", "kind-worker", ("web", {"containerPort": 80})),
    )


@pytest.mark.parametrize("answer", [
    {("duo/web", "duo/metrics"), ("edge-a", "edge-b")},
    [("edge-b", "edge-a"), ["duo/metrics", "duo/web"]],
    {frozenset({"default/duo/web", "default/duo/metrics"}), ("edge-a/nginx", "edge-b/nginx")},
    ["duo/web <-> duo/metrics", "edge-a and edge-b"],
    {("duo", "duo"), ("edge-a", "edge-b")},
    {("duo/web", "metrics"), ("edge-a", "edge-b"), ("edge-b", "edge-a")},  # a unique bare name; repeats fine
])
def test_port_conflicts_right(answer):
    check_port_conflicts(answer, scenario())


def test_port_conflicts_after_move():
    check_port_conflicts({("duo/web", "duo/metrics"), ("edge-b", "edge-c")}, scenario("kind-worker2"))


def test_port_conflicts_wrong():
    pods = scenario()
    msg = raises(check_port_conflicts, {("edge-a", "edge-b"), ("blue", "green")}, pods)
    assert "You listed blue and green, but they do not conflict" in msg
    assert "each pod has its own network namespace and IP" in msg
    assert ("You missed a conflict: default/duo/web and default/duo/metrics both listen on 8080/TCP in pod "
            "default/duo's shared network namespace") in msg
    msg = raises(check_port_conflicts, {("duo/web", "duo/metrics"), ("edge-a", "edge-c")}, pods)
    assert "edge-a and edge-c, but they do not conflict" in msg
    assert "they are on different nodes (kind-worker, kind-worker2)" in msg
    assert "kubelet admission rejects the pod" in msg  # edge-a/edge-b set nodeName: no scheduler involved
    assert "blue and edge-a, but" in raises(check_port_conflicts, {("duo", "duo"), ("edge-a", "edge-b"),
                                                                   ("blue", "edge-a")}, pods)
    assert "with itself" in raises(check_port_conflicts, {("edge-a", "edge-a")}, pods)


@pytest.mark.parametrize("answer, phrase", [
    (None, "No answer yet"),
    ("edge-a, edge-b", "set or list of pairs"),
    ({("edge-a",)}, "pair of two names"),
    ({("edge-a", "edge-b", "edge-c")}, "pair of two names"),
    ({("edge-a", "nope")}, "'nope' is not a pod or container here"),
    ({("edge-a", 3)}, "Name each side"),
    ({("web", "metrics")}, "several pods"),  # web is a container of duo, blue and green
])
def test_port_conflicts_unreadable(answer, phrase):
    assert phrase in raises(check_port_conflicts, answer, scenario())


def test_no_conflict_answer():
    pods = [p for p in scenario() if p.name in ("blue", "green", "edge-c")]
    check_port_conflicts(set(), pods)
    check_port_conflicts([], pods)


# ------------------------------------------------------------------ the package
def test_public_api():
    import kubelab.grading as g

    for name in g.__all__:
        assert getattr(g, name) is not None
    assert issubclass(g.WrongAnswer, AssertionError)


def test_import_is_light():
    code = ("import sys, kubelab.grading; "
            "print(sorted(m for m in ('kubelab.linuxns', 'kubelab.cluster', 'yaml', 'ipywidgets', 'networkx') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("port_b, phrase", [
    ({"containerPort": 80, "hostPort": 81}, "they ask for different ports or protocols"),
    ({"containerPort": 80, "hostPort": 80, "protocol": "UDP"}, "they ask for different ports or protocols"),
    ({"containerPort": 80, "hostPort": 80, "hostIP": "10.0.0.2"}, "they bind different host IPs"),
])
def test_port_conflicts_why_host_ports_do_not_meet(port_b, phrase):
    def one(name, port):
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"nodeName": "n1",
                "containers": [{"name": "c", "image": "nginx", "ports": [port]}]}}
    pods = kubelab.load(one("a", {"containerPort": 80, "hostPort": 80, "hostIP": "10.0.0.1"}), one("b", port_b))
    check_port_conflicts(set(), pods)
    assert phrase in raises(check_port_conflicts, {("a", "b")}, pods)
