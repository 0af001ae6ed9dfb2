"""Cluster: defaults, allocation, scheduling, all-or-nothing apply, watch events.

Expected values come from kind/kubeadm defaults (docs/design.md, "The cluster") and the API
server's allocators (pkg/registry/core/service/ipallocator, portallocator).
"""

import ipaddress

import pytest

from kubelab import Cluster
from kubelab.errors import KubelabError, NotFoundError, ValidationError


def test_default_cluster_is_kind_like():
    c = Cluster()
    nodes = c.nodes()
    assert [(n.name, n.internal_ip, n.spec.pod_cidr) for n in nodes] == [
        ("kind-control-plane", "172.18.0.2", "10.244.0.0/24"),
        ("kind-worker", "172.18.0.3", "10.244.1.0/24"),
        ("kind-worker2", "172.18.0.4", "10.244.2.0/24"),
    ]
    assert not nodes[0].schedulable and nodes[1].schedulable
    k8s = c.service("kubernetes")
    assert (k8s.spec.cluster_ip, k8s.spec.ports[0].port, k8s.spec.ports[0].target_port) == ("10.96.0.1", 443, 6443)
    ep = c.get("endpoints", "kubernetes")
    assert ep.subsets[0].addresses[0].ip == "172.18.0.2" and ep.subsets[0].ports[0].port == 6443
    dns = c.service("kube-dns", "kube-system")
    assert dns.spec.cluster_ip == "10.96.0.10"
    assert [(p.name, p.port, p.protocol) for p in dns.spec.ports] == [
        ("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")]
    dns_ep = c.get("endpoints", "kube-dns", "kube-system")
    assert sorted(a.ip for a in dns_ep.subsets[0].addresses) == ["10.244.0.2", "10.244.0.3"]
    assert {n.name for n in c.list("ns")} == {"default", "kube-system", "kube-public", "kube-node-lease"}


def test_settings_change_service_and_pod_ranges():
    c = Cluster(service_cidrs=["10.100.0.0/16"], pod_cidr="192.168.0.0/16", cluster_domain="corp.local")
    assert c.service("kubernetes").spec.cluster_ip == "10.100.0.1"
    assert c.service("kube-dns", "kube-system").spec.cluster_ip == "10.100.0.10"
    assert c.node("kind-worker").spec.pod_cidr == "192.168.1.0/24"
    with pytest.raises(KubelabError, match="--cni"):
        Cluster(cni="nope")
    with pytest.raises(KubelabError, match="--service-cidr"):
        Cluster(service_cidrs=["10.0.0.0/33"])


def test_declared_nodes_replace_the_defaults(make):
    c = Cluster(make.docs("""
        apiVersion: v1
        kind: Node
        metadata: {name: n1}
        spec: {podCIDR: 10.10.1.0/24}
        status: {addresses: [{type: InternalIP, address: 192.168.50.11}]}
        """, make.pod("a", nodeName="n1")))
    assert [n.name for n in c.nodes()] == ["n1"]
    p = c.pod("a")
    # the two CoreDNS pods came first (.2, .3): they run on the only node
    assert (p.status.pod_ip, p.status.host_ip) == ("10.10.1.4", "192.168.50.11")
    # the kubernetes Service points at the only node (no control plane declared)
    assert c.get("ep", "kubernetes").subsets[0].addresses[0].ip == "192.168.50.11"


def test_undeclared_node_name_creates_the_node_with_a_warning(make):
    c = Cluster(make.pod("a", nodeName="edge-7"))
    assert c.node("edge-7").spec.pod_cidr == "10.244.3.0/24"
    assert c.pod("a").status.pod_ip == "10.244.3.2"
    assert any('node "edge-7" is not declared' in w for w in c.warnings)


def test_pod_ip_from_manifest_wins_and_places_the_pod(make):
    c = Cluster(make.pod("a", status={"phase": "Running", "podIP": "10.244.2.77"}))
    p = c.pod("a")
    assert (p.status.pod_ip, p.spec.node_name) == ("10.244.2.77", "kind-worker2")
    assert not c.warnings


def test_pod_ip_outside_node_cidr_is_accepted_with_warning(make):
    c = Cluster(make.pod("a", nodeName="kind-worker", status={"phase": "Running", "podIP": "10.9.9.9"}))
    assert c.pod("a").status.pod_ip == "10.9.9.9"
    assert any("outside the pod CIDR" in w for w in c.warnings)


def test_duplicate_pod_ip_is_an_error(make):
    with pytest.raises(ValidationError, match=r"status.podIP: Invalid value: \"10.244.1.9\": already in use by Pod default/a"):
        Cluster(make.docs(make.pod("a", status={"podIP": "10.244.1.9"}),
                          make.pod("b", status={"podIP": "10.244.1.9"})))


def test_host_local_ipam_is_sequential_and_does_not_reuse_at_once(make):
    c = Cluster(make.docs(*[make.pod(f"p{i}", nodeName="kind-worker") for i in range(3)]))
    assert [c.pod(f"p{i}").status.pod_ip for i in range(3)] == ["10.244.1.2", "10.244.1.3", "10.244.1.4"]
    c.delete("pod", "p1")
    c.apply(make.pod("p3", nodeName="kind-worker"))
    assert c.pod("p3").status.pod_ip == "10.244.1.5"  # resumes after the last reserved address


def test_scheduling_spreads_and_respects_taints_and_selectors(make):
    c = Cluster(make.docs(*[make.pod(f"p{i}") for i in range(4)]))
    assert [c.pod(f"p{i}").spec.node_name for i in range(4)] == ["kind-worker", "kind-worker2"] * 2
    c.apply(make.pod("cp", tolerations=[{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
                                         "effect": "NoSchedule"}]))
    assert c.pod("cp").spec.node_name == "kind-control-plane"
    c.apply(make.pod("sel", nodeSelector={"kubernetes.io/hostname": "kind-worker2"}))
    assert c.pod("sel").spec.node_name == "kind-worker2"


def test_host_port_conflicts_steer_scheduling_then_leave_pod_pending(make):
    hp = [{"containerPort": 80, "hostPort": 8080}]
    c = Cluster(make.docs(make.pod("a", ports=hp), make.pod("b", ports=hp), make.pod("c", ports=hp)))
    assert {c.pod("a").spec.node_name, c.pod("b").spec.node_name} == {"kind-worker", "kind-worker2"}
    pending = c.pod("c")
    assert pending.status.phase == "Pending" and pending.spec.node_name is None and not pending.status.pod_ip
    assert "0/3 nodes are available: 2 node(s) didn't have free ports for the requested pod ports, " \
           "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }." == pending.status.extra["message"]
    # UDP on the same port is another claim
    c.apply(make.pod("d", ports=[{"containerPort": 80, "hostPort": 8080, "protocol": "UDP"}]))
    assert c.pod("d").spec.node_name == "kind-worker"


def test_explicit_node_with_taken_host_port_is_rejected_by_kubelet(make):
    hp = [{"containerPort": 80, "hostPort": 8080}]
    c = Cluster(make.docs(make.pod("a", ports=hp, nodeName="kind-worker"),
                          make.pod("b", ports=hp, nodeName="kind-worker")))
    b = c.pod("b")
    assert b.status.phase == "Failed" and b.status.extra["reason"] == "NodePorts"
    assert not c.is_ready(b)


def test_host_network_pod_uses_the_node_ip(make):
    c = Cluster(make.pod("h", ports=[{"containerPort": 9100}], hostNetwork=True, nodeName="kind-worker2"))
    p = c.pod("h")
    assert p.status.pod_ip == p.status.host_ip == "172.18.0.4"
    assert p.spec.containers[0].ports[0].host_port == 9100  # defaulted from containerPort


def test_service_allocation_is_deterministic_and_in_range(make):
    text = make.docs(*[make.svc(f"s{i}", {"app": "x"}, type="NodePort") for i in range(5)])
    a, b = Cluster(text), Cluster(text)
    ips = [a.service(f"s{i}").spec.cluster_ip for i in range(5)]
    assert ips == [b.service(f"s{i}").spec.cluster_ip for i in range(5)]
    assert len(set(ips)) == 5
    net = ipaddress.ip_network("10.96.0.0/12")
    for ip in ips:
        addr = ipaddress.ip_address(ip)
        assert addr in net and int(addr) - int(net.network_address) > 256  # dynamic (upper) band, KEP-3070
    ports = [a.service(f"s{i}").spec.ports[0].node_port for i in range(5)]
    assert len(set(ports)) == 5 and all(30086 <= p <= 32767 for p in ports)  # KEP-3668 dynamic band


def test_written_values_win_and_conflicts_are_errors(make):
    c = Cluster(make.svc("web", {"app": "web"}, type="NodePort", clusterIP="10.96.0.50",
                         ports=[{"port": 80, "nodePort": 30080}]))
    s = c.service("web")
    assert (s.spec.cluster_ip, s.spec.ports[0].node_port) == ("10.96.0.50", 30080)
    with pytest.raises(ValidationError) as e:
        c.apply(make.svc("other", {"app": "o"}, clusterIP="10.96.0.50"))
    assert str(e.value) == ('<string>: Service default/other: spec.clusterIPs: Invalid value: ["10.96.0.50"]: '
                            'failed to allocate IP 10.96.0.50: provided IP is already allocated')
    with pytest.raises(ValidationError, match=r"spec.ports\[0\].nodePort: Invalid value: 30080: provided port is already allocated"):
        c.apply(make.svc("other", {"app": "o"}, type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    with pytest.raises(ValidationError, match="The range of valid ports is 30000-32767"):
        c.apply(make.svc("other", {"app": "o"}, type="NodePort", ports=[{"port": 80, "nodePort": 80}]))
    with pytest.raises(ValidationError, match="not in the valid range. The range of valid IPs is 10.96.0.0/12"):
        c.apply(make.svc("other", {"app": "o"}, clusterIP="10.0.0.5"))


def test_service_cidr_objects_add_ranges(make):
    c = Cluster(make.docs("""
        apiVersion: networking.k8s.io/v1
        kind: ServiceCIDR
        metadata: {name: extra}
        spec: {cidrs: [10.200.0.0/24]}
        """, make.svc("web", {"app": "web"}, clusterIP="10.200.0.20")))
    assert c.service("web").spec.cluster_ip == "10.200.0.20"
    assert c.service_cidrs == ["10.96.0.0/12", "10.200.0.0/24"]


def test_same_port_tcp_and_udp_share_a_node_port(make):
    c = Cluster(make.svc("dns", {"app": "dns"}, type="NodePort",
                         ports=[{"name": "u", "port": 53, "protocol": "UDP"}, {"name": "t", "port": 53}]))
    p = c.service("dns").spec.ports
    assert p[0].node_port == p[1].node_port


def test_load_balancer_local_gets_health_check_node_port(make):
    c = Cluster(make.svc("lb", {"app": "lb"}, type="LoadBalancer", externalTrafficPolicy="Local"))
    s = c.service("lb")
    assert s.spec.health_check_node_port and s.spec.health_check_node_port != s.spec.ports[0].node_port
    assert s.spec.allocate_load_balancer_node_ports is True
    c2 = Cluster(make.svc("lb", {"app": "lb"}, type="LoadBalancer", allocateLoadBalancerNodePorts=False))
    assert c2.service("lb").spec.ports[0].node_port is None


def test_reapply_keeps_allocations_and_cluster_ip_is_immutable(make):
    c = Cluster(make.svc("web", {"app": "web"}, type="NodePort"))
    before = c.service("web")
    ip, np = before.spec.cluster_ip, before.spec.ports[0].node_port
    c.apply(make.svc("web", {"app": "web2"}, type="NodePort"))
    after = c.service("web")
    assert (after.spec.cluster_ip, after.spec.ports[0].node_port, after.spec.selector) == (ip, np, {"app": "web2"})
    other = "10.96.0.99" if ip != "10.96.0.99" else "10.96.0.98"
    with pytest.raises(ValidationError, match="field is immutable"):
        c.apply(make.svc("web", {"app": "web"}, clusterIP=other))


def test_apply_is_all_or_nothing(make):
    c = Cluster(make.pod("a"))
    n_objects, n_events = len(c), len(c.events)
    with pytest.raises(ValidationError):
        c.apply(make.docs(make.svc("ok", {"app": "a"}), make.pod("b"),
                          make.svc("bad", {"app": "a"}, type="NodePort", ports=[{"port": 80, "nodePort": 1}])))
    assert len(c) == n_objects and len(c.events) == n_events
    with pytest.raises(NotFoundError):
        c.service("ok")
    with pytest.raises(NotFoundError):
        c.pod("b")
    c.apply(make.svc("ok", {"app": "a"}))  # the allocator state was not consumed either
    assert c.service("ok").spec.cluster_ip


def test_watch_sees_controller_updates(make):
    c = Cluster(make.svc("web", {"app": "web"}))
    seen = []
    stop = c.watch(lambda ev: seen.append(str(ev)))
    c.apply(make.pod("w1", {"app": "web"}))
    assert "ADDED Pod default/w1" in seen
    assert "MODIFIED Endpoints default/web" in seen
    assert any(s.startswith("MODIFIED EndpointSlice default/web-") or s.startswith("ADDED EndpointSlice default/web-")
               for s in seen)
    seen.clear()
    c.delete("service", "web")
    assert "DELETED Service default/web" in seen and "DELETED Endpoints default/web" in seen
    assert not c.endpoint_slices("web")
    stop()
    c.apply(make.pod("w2", {"app": "web"}))
    assert not any("w2" in s for s in seen)


def test_deleting_a_service_releases_its_ip(make):
    c = Cluster(make.svc("a", {"app": "a"}, clusterIP="10.96.5.5"))
    c.delete("svc", "a")
    c.apply(make.svc("b", {"app": "b"}, clusterIP="10.96.5.5"))
    assert c.service("b").spec.cluster_ip == "10.96.5.5"


def test_get_accepts_kubectl_resource_names_and_reports_not_found():
    c = Cluster()
    assert c.get("svc", "kube-dns", "kube-system") is c.get("services", "kube-system/kube-dns")
    assert c.get("no", "kind-worker").name == "kind-worker"
    with pytest.raises(NotFoundError, match='pods "nope" not found'):
        c.get("po", "nope")
    with pytest.raises(NotFoundError, match='endpointslices.discovery.k8s.io "x" not found'):
        c.get("endpointslices", "x")
    with pytest.raises(KubelabError, match="the server doesn't have a resource type \"gadgets\""):
        c.list("gadgets")


def test_kube_proxy_configuration_from_manifests():
    c = Cluster()
    assert (c.kube_proxy_config.effective_mode, c.kube_proxy_config.cluster_cidr) == ("iptables", "10.244.0.0/16")
    c.apply("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\n"
            "ipvs: {scheduler: lc}\n")
    assert c.kube_proxy_config.effective_mode == "ipvs" and c.kube_proxy_config.ipvs.scheduler == "lc"
    assert c.kube_proxy_config.iptables.masquerade_bit == 14
    assert Cluster(proxy_mode="ipvs").kube_proxy_config.effective_mode == "ipvs"


def test_namespaces_are_created_with_a_warning(make):
    c = Cluster("apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: shop}\n"
                "spec: {containers: [{name: c, image: nginx}]}\n")
    assert c.get("ns", "shop").metadata.labels["kubernetes.io/metadata.name"] == "shop"
    assert any('namespace "shop" did not exist' in w for w in c.warnings)


def test_copy_is_independent(make):
    c = Cluster(make.pod("a"))
    d = c.copy()
    d.apply(make.pod("b"))
    with pytest.raises(NotFoundError):
        c.pod("b")


def test_existed_at_start_counts_the_rest_of_the_same_apply(make):
    c = Cluster(make.docs(make.pod("a"), make.svc("same-file", {"app": "x"})))
    c.apply(make.svc("later", {"app": "x"}))
    pod = c.pod("a")
    assert c.existed_at_start(c.service("same-file"), pod)
    assert not c.existed_at_start(c.service("later"), pod)
    assert c.existed_at_start(c.service("kubernetes"), pod)
    assert c.created_before(pod, c.service("same-file"))  # creation order itself is kept
