"""``kubelab describe pod``: header, Linux namespaces, channels, port bindings and conflicts; -o json."""

from __future__ import annotations

import json


def test_describe_shared_pid_namespace_and_signal_channel(kubelab, web):
    r = kubelab("describe", "pod", "web-1", "-f", web)
    assert (r.code, r.err) == (0, "")
    lines = r.out.splitlines()
    assert lines[:5] == [
        "Name:       web-1",
        "Namespace:  default",
        "Node:       kind-worker/172.18.0.3",
        "IP:         10.244.1.2",
        "Status:     Running",
    ]
    assert lines[5] == "Linux namespaces (pause image registry.k8s.io/pause:3.10.1):"
    pid = [line for line in lines if line.startswith("  pid ")]
    assert len(pid) == 1 and pid[0].split()[1:7] == ["POD", "CRI", "NamespaceOption.pid", "pause", "pause,app,log", "4026532164"]
    assert "Channels:" in lines and "  app <-> log:" in lines
    signal = [line for line in lines if line.lstrip().startswith("signal ")]
    assert len(signal) == 1 and signal[0].split()[1] == "yes"
    assert any("security: in a shared PID namespace" in line for line in lines)
    assert lines[lines.index("Port bindings:") + 1].split() == ["CONTAINER", "ADDRESS", "SOURCE", "NETWORK",
                                                               "NAMESPACE"]
    assert "  app         0.0.0.0:80/TCP     hostPort        node kind-worker" in lines
    assert lines[-2:] == ["Port conflicts:", "  <none>"]


def test_unavailable_channels_say_why(kubelab, manifest):
    path = manifest("pod.yaml", """
        apiVersion: v1
        kind: Pod
        metadata: {name: two, namespace: shop}
        spec: {containers: [{name: a, image: nginx}, {name: b, image: nginx}]}
        """)
    r = kubelab("describe", "pod", "shop/two", "-f", path)
    assert r.code == 0
    signal = [line for line in r.out.splitlines() if line.lstrip().startswith("signal ")][0]
    assert signal.split()[1] == "no" and "pid" in signal.lower()
    # -n works as well as NAMESPACE/NAME
    assert kubelab("describe", "pod", "two", "-n", "shop", "-f", path).out == r.out


def test_describe_json(kubelab, web):
    r = kubelab("describe", "pod", "web-1", "-o", "json", "-f", web)
    doc = json.loads(r.out)
    assert (doc["name"], doc["node"], doc["ip"], doc["status"]) == ("web-1", "kind-worker", "10.244.1.2", "Running")
    pid = [n for n in doc["linuxNamespaces"]["namespaces"] if n["kind"] == "pid"][0]
    assert (pid["mode"], pid["sharedBy"]) == ("POD", ["pause", "app", "log"])
    [pair] = doc["channels"]
    assert (pair["a"], pair["b"]) == ("app", "log")
    assert {c["kind"]: c["available"] for c in pair["channels"]} == {
        "network": True, "ipc": True, "volume": True, "signal": True}
    assert all(c["security"] for c in pair["channels"])
    assert [(b["port"], b["source"]) for b in doc["portBindings"]] == [(8080, "containerPort"), (80, "hostPort")]
    assert doc["portConflicts"] == []


def test_host_port_conflict_on_the_node(kubelab, manifest):
    path = manifest("ports.yaml", """
        apiVersion: v1
        kind: Pod
        metadata: {name: a}
        spec: {nodeName: kind-worker, containers: [{name: c, image: nginx, ports: [{containerPort: 80, hostPort: 8080}]}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: b}
        spec: {nodeName: kind-worker, containers: [{name: c, image: nginx, ports: [{containerPort: 81, hostPort: 8080}]}]}
        """)
    r = kubelab("describe", "pod", "b", "-f", path)
    assert r.code == 0
    assert "Status:     Failed" in r.out and "Reason:     NodePorts" in r.out
    conflicts = r.out.split("Port conflicts:\n")[1].splitlines()
    assert len(conflicts) == 1 and "default/a/c and default/b/c both ask for hostPort 0.0.0.0:8080/TCP" in conflicts[0]
    assert r.err.startswith("Warning: ports.yaml: Pod default/b: rejected by kubelet on kind-worker")
    doc = json.loads(kubelab("describe", "pod", "b", "-o", "json", "-f", path).out)
    assert [(c["scope"], c["port"]) for c in doc["portConflicts"]] == [("node", 8080)]


def test_describe_not_found_and_wrong_kind(kubelab, web):
    r = kubelab("describe", "pod", "nope", "-f", web)
    assert (r.code, r.out, r.err) == (1, "", 'Error from server (NotFound): pods "nope" not found\n')
    r = kubelab("describe", "svc", "web", "-f", web)
    assert (r.code, r.err) == (2, 'error: kubelab describe supports pods only, not "svc"\n')


def test_describe_every_pod_of_a_namespace(kubelab, web):
    r = kubelab("describe", "pods", "-f", web)
    assert [line for line in r.out.splitlines() if line.startswith("Name:")] == [
        "Name:       web-1", "Name:       web-2", "Name:       web-3"]
    doc = json.loads(kubelab("describe", "pods", "-n", "kube-system", "-o", "json", "-f", web).out)
    assert [i["name"] for i in doc["items"]] == ["coredns-7c65d6cfc9-8xk2p", "coredns-7c65d6cfc9-r4lmq"]
