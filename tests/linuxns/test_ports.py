from kubelab.linuxns import bind, docker_host_ports, host_process_ports, port_conflicts
from kubelab.linuxns.ports import KUBELET_ERROR, NODEPORTS_REASON, SCHEDULER_ERROR

from ._pods import make_pod, port


def one(name, node="kind-worker", **p):
    cp = p.pop("container_port", 80)
    return make_pod(name, node=node, containers=[{"name": "c", "ports": [port(cp, **p)]}])


def test_two_containers_same_port_in_one_pod_conflict():
    pod = make_pod(containers=[{"name": "apache", "ports": [port(80)]}, {"name": "nginx", "ports": [port(80)]}])
    (c,) = port_conflicts([pod])
    assert (c.scope, c.first, c.second, c.port, c.protocol) == ("pod", "default/web/apache", "default/web/nginx",
                                                               80, "TCP")
    assert "address already in use" in c.error and "shared network namespace" in c.reason


def test_same_port_in_different_pods_on_one_node_is_fine():
    assert port_conflicts([one("a"), one("b")]) == []


def test_udp_and_tcp_on_the_same_port_do_not_conflict():
    pod = make_pod(containers=[{"name": "dns", "ports": [port(53, protocol="UDP")]},
                               {"name": "dnstcp", "ports": [port(53, protocol="TCP")]}])
    assert port_conflicts([pod]) == []
    assert port_conflicts([one("a", host_port=53, protocol="UDP"), one("b", host_port=53, protocol="TCP")]) == []


def test_host_port_conflicts_per_node():
    (c,) = port_conflicts([one("a", host_port=8080), one("b", host_port=8080)])
    assert c.scope == "node" and c.node == "kind-worker" and c.port == 8080
    assert (c.first, c.second) == ("default/a/c", "default/b/c")
    assert NODEPORTS_REASON in c.error
    assert port_conflicts([one("a", host_port=8080), one("b", node="kind-worker2", host_port=8080)]) == []


def test_host_ip_overlap_rules_of_the_scheduler():
    specific = [one("a", host_port=80, host_ip="10.0.0.1"), one("b", host_port=80, host_ip="10.0.0.2")]
    assert port_conflicts(specific) == []
    (c,) = port_conflicts([one("a", host_port=80), one("b", host_port=80, host_ip="10.0.0.1")])
    assert (c.first_ip, c.second_ip) == ("0.0.0.0", "10.0.0.1")
    (c,) = port_conflicts([one("a", host_port=80, host_ip="10.0.0.1"), one("b", host_port=80, host_ip="0.0.0.0")])
    assert c.second == "default/b/c"


def test_host_network_pods_bind_on_the_node():
    hn = make_pod("hn", hostNetwork=True, containers=[{"name": "c", "ports": [port(80)]}])
    hn2 = make_pod("hn2", hostNetwork=True, containers=[{"name": "c", "ports": [port(80)]}])
    (c,) = port_conflicts([hn, hn2])
    assert c.scope == "node" and "hostNetwork" in c.reason and "address already in use" in c.reason
    assert NODEPORTS_REASON in c.error  # the scheduler counts hostNetwork ports as host ports
    (c,) = port_conflicts([one("hp", host_port=80), hn])
    assert c.first == "default/hp/c" and c.second == "default/hn/c" and "portmap" in c.reason
    assert port_conflicts([one("hp", host_port=80, protocol="UDP"), hn]) == []
    same = make_pod("two", hostNetwork=True, containers=[{"name": "a", "ports": [port(9100)]},
                                                        {"name": "b", "ports": [port(9100)]}])
    (c,) = port_conflicts([same])
    assert c.scope == "node" and "API server rejects" in c.error
    # a hostNetwork pod's port does not touch another pod's containerPort 80 (own network namespace)
    assert port_conflicts([hn, one("plain")]) == []
    b = [x for x in bind([hn]) if x.owner == "default/hn/c"]
    assert [(x.netns, x.source) for x in b] == [("node kind-worker", "hostNetwork")]


def test_first_listener_keeps_the_port():
    cs = port_conflicts([one("a", host_port=80), one("b", host_port=80), one("c", host_port=80)])
    assert [(c.first, c.second) for c in cs] == [("default/a/c", "default/b/c"), ("default/a/c", "default/c/c")]


def test_docker_host_ports_figure_2_2():
    (c,) = docker_host_ports([("A", 80, 80), ("B", 80, 80)])
    assert (c.first, c.second, c.port) == ("A", "B", 80)
    assert c.error == "Bind for 0.0.0.0:80 failed: port is already allocated"
    assert docker_host_ports([("A", 80, 80), ("B", 80, 8080)]) == []
    assert docker_host_ports([("A", 53, 53, "udp"), ("B", 53, 53, "tcp")]) == []


def test_processes_on_one_host_figure_2_1():
    (c,) = host_process_ports([("app-a", 80), ("app-b", 80)])
    assert c.scope == "host" and "EADDRINUSE" in c.error and c.second == "app-b"
    assert host_process_ports([("a", 80), ("b", 81)]) == []
    assert len(host_process_ports([("a", 80, "TCP", "0.0.0.0"), ("b", 80, "TCP", "127.0.0.1")])) == 1
    assert c.to_dict()["port"] == 80


def test_who_rejects_a_host_port_conflict():
    """spec.nodeName bypasses kube-scheduler: the kubelet's admission (predicate.go) rejects the pod."""
    bound = [one("a", host_port=8080), one("b", host_port=8080)]
    (c,) = port_conflicts(bound)
    assert c.error == KUBELET_ERROR
    assert c.error.endswith("Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports")
    left_to_scheduler = [one("a", node=None, host_port=8080), one("b", node=None, host_port=8080)]
    (c,) = port_conflicts(left_to_scheduler, node_name="kind-worker")
    assert c.error == SCHEDULER_ERROR
    (c,) = port_conflicts([one("a", host_port=8080), one("b", node=None, host_port=8080)], node_name="kind-worker")
    assert c.error == SCHEDULER_ERROR  # the second pod is the one placed: it went through the scheduler
