"""Endpoints and EndpointSlice controllers.

Behaviour from pkg/controller/endpoint/endpoints_controller.go,
pkg/controller/endpointslice (reconciler.go, utils.go podToEndpoint),
pkg/controller/endpointslicemirroring, and pkg/api/v1/pod/util.go FindPort.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubelab import Cluster
from kubelab.api import MAX_ENDPOINTS_PER_SLICE, SERVICE_NAME_LABEL
from kubelab.cluster import ClusterIPAllocator, NodePortAllocator
from kubelab.cluster.allocator import AllocationError

HTTP = [{"name": "http", "containerPort": 8080}]


def addrs(subset, ready=True):
    return sorted(a.ip for a in (subset.addresses if ready else subset.not_ready_addresses))


def test_ready_and_not_ready_addresses(make):
    c = Cluster(make.docs(
        make.svc("web", {"app": "web"}, ports=[{"port": 80, "targetPort": 8080}]),
        make.pod("a", {"app": "web"}),
        make.pod("b", {"app": "web"}, status={"phase": "Running", "podIP": "10.244.2.50",
                                             "conditions": [{"type": "Ready", "status": "False"}]}),
        make.pod("c", {"app": "web"}, status={"phase": "Pending"}),  # no IP yet: not listed at all
        make.pod("d", {"app": "other"}),
        make.pod("e", {"app": "web"}, status={"phase": "Succeeded", "podIP": "10.244.2.60"}),  # terminal
    ))
    ep = c.get("ep", "web")
    assert len(ep.subsets) == 1
    assert addrs(ep.subsets[0]) == [c.pod("a").status.pod_ip]
    assert addrs(ep.subsets[0], ready=False) == ["10.244.2.50"]
    assert ep.subsets[0].ports[0].port == 8080
    [sl] = c.endpoint_slices("web")
    conds = {e.target_ref.name: (e.conditions.ready, e.conditions.serving, e.conditions.terminating)
             for e in sl.endpoints}
    assert conds == {"a": (True, True, False), "b": (False, False, False)}
    assert sl.metadata.labels[SERVICE_NAME_LABEL] == "web"
    assert sl.metadata.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    assert sl.name.startswith("web-") and len(sl.name) == len("web-") + 5


def test_publish_not_ready_addresses(make):
    c = Cluster(make.docs(
        make.svc("db", {"app": "db"}, clusterIP="None", publishNotReadyAddresses=True),
        make.pod("db-0", {"app": "db"}, status={"phase": "Running", "podIP": "10.244.1.40",
                                               "conditions": [{"type": "Ready", "status": "False"}]})))
    assert addrs(c.get("ep", "db").subsets[0]) == ["10.244.1.40"]
    [sl] = c.endpoint_slices("db")
    assert (sl.endpoints[0].conditions.ready, sl.endpoints[0].conditions.serving) == (True, False)
    assert "service.kubernetes.io/headless" in sl.metadata.labels


def test_terminating_pods(make):
    c = Cluster(make.docs(make.svc("web", {"app": "web"}), make.pod("a", {"app": "web"}),
                          make.pod("b", {"app": "web"})))
    c.delete("pod", "b", terminating=True)
    ep = c.get("ep", "web")
    assert addrs(ep.subsets[0]) == [c.pod("a").status.pod_ip] and not ep.subsets[0].not_ready_addresses
    [sl] = c.endpoint_slices("web")
    b = next(e for e in sl.endpoints if e.target_ref.name == "b")
    assert (b.conditions.ready, b.conditions.serving, b.conditions.terminating) == (False, True, True)


def test_named_target_port_resolved_per_pod(make):
    c = Cluster(make.docs(
        make.svc("web", {"app": "web"}, ports=[{"port": 80, "targetPort": "http"}]),
        make.pod("a", {"app": "web"}, ports=HTTP),
        make.pod("b", {"app": "web"}, ports=[{"name": "http", "containerPort": 9090}]),
        make.pod("c", {"app": "web"})))  # no port named http
    ep = c.get("ep", "web")
    got = sorted((a.ip, s.ports[0].port) for s in ep.subsets for a in s.addresses)
    assert got == sorted([(c.pod("a").status.pod_ip, 8080), (c.pod("b").status.pod_ip, 9090)])
    slices = c.endpoint_slices("web")
    by_ports = {tuple(p.port for p in s.ports): sorted(e.target_ref.name for e in s.endpoints) for s in slices}
    assert by_ports == {(8080,): ["a"], (9090,): ["b"], (): ["c"]}


def test_named_port_must_match_protocol(make):
    c = Cluster(make.docs(
        make.svc("dns", {"app": "dns"}, ports=[{"port": 53, "protocol": "UDP", "targetPort": "dns"}]),
        make.pod("a", {"app": "dns"}, ports=[{"name": "dns", "containerPort": 5353, "protocol": "TCP"}])))
    assert c.get("ep", "dns").subsets == []


def test_hostname_and_subdomain(make):
    c = Cluster(make.docs(
        make.svc("db", {"app": "db"}, clusterIP="None"),
        make.pod("db-0", {"app": "db"}, hostname="db-0", subdomain="db"),
        make.pod("x", {"app": "db"}, hostname="x", subdomain="other")))
    hosts = {a.target_ref.name: a.hostname for s in c.get("ep", "db").subsets for a in s.addresses}
    assert hosts == {"db-0": "db-0", "x": None}


def test_more_than_100_endpoints_split_into_slices(make):
    pods = [make.pod(f"p{i:03d}", {"app": "big"}, status={"phase": "Running", "podIP": f"10.244.{1 + i // 200}.{2 + i % 200}"})
            for i in range(MAX_ENDPOINTS_PER_SLICE + 5)]
    c = Cluster(make.docs(make.svc("big", {"app": "big"}), *pods))
    sizes = sorted(len(s.endpoints) for s in c.endpoint_slices("big"))
    assert sizes == [5, 100]
    assert len({s.name for s in c.endpoint_slices("big")}) == 2


def test_selectorless_service_keeps_user_endpoints_and_mirrors_them(make):
    c = Cluster(make.docs(make.svc("ext", ports=[{"name": "pg", "port": 5432}]), """
        apiVersion: v1
        kind: Endpoints
        metadata: {name: ext}
        subsets:
        - addresses: [{ip: 192.0.2.10}]
          notReadyAddresses: [{ip: 192.0.2.11}]
          ports: [{name: pg, port: 5432}]
        """))
    assert addrs(c.get("ep", "ext").subsets[0]) == ["192.0.2.10"]
    [sl] = c.endpoint_slices("ext")
    assert sl.metadata.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslicemirroring-controller.k8s.io"
    assert {e.addresses[0]: e.conditions.ready for e in sl.endpoints} == {"192.0.2.10": True, "192.0.2.11": False}


def test_user_endpoint_slice_for_selectorless_service_is_kept(make):
    c = Cluster(make.docs(make.svc("ext"), """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: ext-1, labels: {kubernetes.io/service-name: ext}}
        addressType: IPv4
        endpoints: [{addresses: [192.0.2.20]}]
        ports: [{port: 80}]
        """))
    [sl] = c.endpoint_slices("ext")
    assert sl.name == "ext-1" and sl.endpoints[0].conditions.ready is True


def test_service_without_matching_pods_has_placeholder_slice(make):
    c = Cluster(make.svc("lonely", {"app": "nobody"}))
    [sl] = c.endpoint_slices("lonely")
    assert sl.endpoints == [] and sl.ports == []
    assert c.get("ep", "lonely").subsets == []


def test_external_name_service_gets_no_endpoints(make):
    c = Cluster(make.svc("ext", {"app": "x"}, type="ExternalName", externalName="db.example.com", ports=[]))
    assert c.endpoint_slices("ext") == []
    with pytest.raises(Exception, match="not found"):
        c.get("ep", "ext")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=60), st.sampled_from(["10.96.0.0/24", "10.96.0.0/28"]))
def test_ip_allocator_never_hands_out_twice(owners, cidr):
    alloc = ClusterIPAllocator([cidr])
    got = []
    for o in owners:
        try:
            got.append(alloc.allocate_next(o))
        except AllocationError:
            break
    assert len(got) == len(set(got))
    assert all(alloc.contains(ip) for ip in got)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(30000, 30100), max_size=30), st.integers(0, 40))
def test_node_port_allocator_specific_and_next_never_collide(specific, n):
    alloc = NodePortAllocator((30000, 30100))
    taken = set()
    for i, p in enumerate(specific):
        try:
            alloc.allocate_specific(p, f"s{i}")
            taken.add(p)
        except AllocationError as e:
            assert "already allocated" in str(e) and p in taken
    for i in range(n):
        try:
            p = alloc.allocate_next(f"n{i}")
        except AllocationError:
            assert len(alloc.used) == 101
            break
        assert p not in taken and 30000 <= p <= 30100
        taken.add(p)
