"""kubelab.kind.client against a fake client holding real ``kubernetes`` model objects (no network).

The live objects are built as the API server returns them: server-filled
metadata (uid, resourceVersion, creationTimestamp, managedFields), defaulted
specs, and kubelet's status (podIP, hostIP, conditions, containerStatuses).
"""

from __future__ import annotations

import pytest
from kubernetes import client as k8s

from kubelab import Cluster
from kubelab.errors import KubelabError
from kubelab.kind import MANAGED_BY_LABEL, RUN_ID_LABEL, apply, connect, delete_created, import_cluster, user_objects
from kubelab.kind.client import KINDS, KindClient

from .fake import NOW, fake_context, live_objects, served

MODEL = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 8080}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}}
"""


def _meta(name, namespace=None, labels=None):
    return k8s.V1ObjectMeta(
        name=name, namespace=namespace, labels=labels, uid=f"uid-{name}", resource_version="4242",
        creation_timestamp=NOW,
        managed_fields=[k8s.V1ManagedFieldsEntry(api_version="v1", fields_type="FieldsV1", fields_v1={},
                                                 manager="kubelet", operation="Update", time=NOW)])


def live_node(name, ip, pod_cidr, control_plane=False):
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
    taints = None
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
        taints = [k8s.V1Taint(key="node-role.kubernetes.io/control-plane", effect="NoSchedule")]
    return k8s.V1Node(
        api_version="v1", kind="Node", metadata=_meta(name, labels=labels),
        spec=k8s.V1NodeSpec(pod_cidr=pod_cidr, pod_cidrs=[pod_cidr], provider_id=f"kind://docker/kubelab/{name}",
                            taints=taints),
        status=k8s.V1NodeStatus(addresses=[k8s.V1NodeAddress(type="InternalIP", address=ip),
                                           k8s.V1NodeAddress(type="Hostname", address=name)],
                                conditions=[k8s.V1NodeCondition(type="Ready", status="True")]))


def live_pod(name, namespace, node, pod_ip, host_ip, labels, env=None):
    return k8s.V1Pod(
        metadata=_meta(name, namespace, labels),
        spec=k8s.V1PodSpec(node_name=node, restart_policy="Always", dns_policy="ClusterFirst",
                           service_account_name="default", termination_grace_period_seconds=30,
                           containers=[k8s.V1Container(name="c", image="nginx", image_pull_policy="Always",
                                                       env=env, ports=[k8s.V1ContainerPort(container_port=8080,
                                                                                           protocol="TCP")])]),
        status=k8s.V1PodStatus(
            phase="Running", pod_ip=pod_ip, pod_ips=[k8s.V1PodIP(ip=pod_ip)], host_ip=host_ip,
            host_ips=[k8s.V1HostIP(ip=host_ip)], qos_class="BestEffort", start_time=NOW,
            conditions=[k8s.V1PodCondition(type="Ready", status="True", last_transition_time=NOW)],
            container_statuses=[k8s.V1ContainerStatus(name="c", image="docker.io/library/nginx:latest",
                                                      image_id="sha256:abc", ready=True, restart_count=0,
                                                      started=True, container_id="containerd://1")]))


def live_service(name, namespace, cluster_ip, selector, port=80, target=8080):
    return k8s.V1Service(
        metadata=_meta(name, namespace),
        spec=k8s.V1ServiceSpec(type="ClusterIP", cluster_ip=cluster_ip, cluster_ips=[cluster_ip],
                               ip_families=["IPv4"], ip_family_policy="SingleStack", session_affinity="None",
                               internal_traffic_policy="Cluster", selector=selector,
                               ports=[k8s.V1ServicePort(name="http", port=port, target_port=target,
                                                        protocol="TCP")]),
        status=k8s.V1ServiceStatus(load_balancer=k8s.V1LoadBalancerStatus()))


def live_slice(name, namespace, service, addresses, pod_names, node, port=8080, managed=True):
    labels = {"kubernetes.io/service-name": service}
    if managed:
        labels["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io"
    return k8s.V1EndpointSlice(
        address_type="IPv4", metadata=_meta(name, namespace, labels),
        endpoints=[k8s.V1Endpoint(addresses=[a], node_name=node,
                                  conditions=k8s.V1EndpointConditions(ready=True, serving=True, terminating=False),
                                  target_ref=k8s.V1ObjectReference(kind="Pod", name=p, namespace=namespace,
                                                                   uid=f"uid-{p}"))
                   for a, p in zip(addresses, pod_names)],
        ports=[k8s.DiscoveryV1EndpointPort(name="http", port=port, protocol="TCP")])


def kind_cluster_objects():
    """A two-node kind cluster (addresses of another docker network) running one Service and two pods."""
    return [
        live_node("kubelab-control-plane", "172.19.0.3", "10.244.0.0/24", control_plane=True),
        live_node("kubelab-worker", "172.19.0.2", "10.244.1.0/24"),
        k8s.V1Namespace(metadata=_meta("default"), status=k8s.V1NamespaceStatus(phase="Active")),
        k8s.V1Namespace(metadata=_meta("shop"), status=k8s.V1NamespaceStatus(phase="Active")),
        live_service("kubernetes", "default", "10.96.0.1", None, 443, 6443),
        live_service("web", "shop", "10.96.77.7", {"app": "web"}),
        live_pod("web-1", "shop", "kubelab-worker", "10.244.1.5", "172.19.0.2", {"app": "web"}),
        live_pod("web-2", "shop", "kubelab-worker", "10.244.1.6", "172.19.0.2", {"app": "web"},
                 env=[k8s.V1EnvVar(name="MODE", value="blue")]),
        live_slice("web-x7k2p", "shop", "web", ["10.244.1.5", "10.244.1.6"], ["web-1", "web-2"], "kubelab-worker"),
        k8s.V1NetworkPolicy(metadata=_meta("deny", "shop"),
                            spec=k8s.V1NetworkPolicySpec(pod_selector=k8s.V1LabelSelector(),
                                                         policy_types=["Ingress"])),
    ]


# ---------------------------------------------------------------- the guard
@pytest.mark.parametrize("context", ["prod-cluster", "kubelab", "gke_project_zone_kind-x", ""])
def test_guard_refuses_non_kind_contexts(context):
    with pytest.raises(KubelabError) as exc:
        connect(context)
    assert "\n" not in str(exc.value) and "--context" in str(exc.value)


def test_guard_names_the_context_and_happens_before_any_kubeconfig_read(tmp_path):
    with pytest.raises(KubelabError, match='refusing "prod-cluster"'):
        connect("prod-cluster", config_file=str(tmp_path / "does-not-matter"))


def test_allow_non_kind_passes_the_guard(tmp_path):
    missing = str(tmp_path / "kubeconfig")
    with pytest.raises(KubelabError, match='cannot load context "prod-cluster"'):
        connect("prod-cluster", allow_non_kind=True, config_file=missing)


def test_connect_to_a_kind_context_from_a_kubeconfig(tmp_path):
    cfg = tmp_path / "kubeconfig"
    cfg.write_text("""apiVersion: v1
kind: Config
clusters: [{name: kind-kubelab, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: kind-kubelab, user: {token: x}}]
contexts: [{name: kind-kubelab, context: {cluster: kind-kubelab, user: kind-kubelab}}]
current-context: kind-kubelab
""")
    ctx = connect("kind-kubelab", config_file=str(cfg))
    assert isinstance(ctx, KindClient) and ctx.context == "kind-kubelab"
    assert type(ctx.core).__name__ == "CoreV1Api" and ctx.core.api_client.configuration.host == "https://127.0.0.1:6443"
    assert len(ctx.run_id) == 8


# ---------------------------------------------------------------- apply / delete
def test_apply_creates_only_user_objects_labelled():
    model = Cluster(MODEL)
    ctx, store = fake_context(live_objects(Cluster()), run_id="abc123")
    created = apply(model, ctx)
    assert created == [("Namespace", "", "shop"), ("Service", "shop", "web"), ("Pod", "shop", "web-1"),
                       ("NetworkPolicy", "shop", "deny")]
    for kind, body in store.created:
        assert type(body).__name__ == f"V1{kind}"  # real client model classes
        assert body.metadata.labels[MANAGED_BY_LABEL] == "kubelab"
        assert body.metadata.labels[RUN_ID_LABEL] == "abc123"
        assert body.metadata.uid is None and body.metadata.resource_version is None
    svc = dict(store.created)["Service"]
    assert svc.spec.cluster_ip == model.service("web", "shop").spec.cluster_ip  # so env vars match the model
    pod = dict(store.created)["Pod"]
    assert pod.status is None
    assert model.pod("web-1", "shop").spec.node_name == "kind-worker"
    assert pod.spec.node_name == "kubelab-worker"  # paired with kind's node of the same rank
    assert pod.metadata.labels["app"] == "web"


def test_user_objects_leave_out_the_system_ones():
    names = {(o.kind, o.name) for o in user_objects(Cluster(MODEL))}
    assert names == {("Namespace", "shop"), ("Service", "web"), ("Pod", "web-1"), ("NetworkPolicy", "deny")}


def test_apply_objects_list_drops_unknown_node_names():
    model = Cluster(MODEL)
    ctx, store = fake_context([])  # no nodes at all
    apply([model.pod("web-1", "shop")], ctx)
    assert dict(store.created)["Pod"].spec.node_name is None


def _labelled(name, run_id, managed="kubelab"):
    return served(k8s.V1Pod(metadata=k8s.V1ObjectMeta(name=name, namespace="default",
                                                      labels={MANAGED_BY_LABEL: managed, RUN_ID_LABEL: run_id}),
                            spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="c", image="x")])))


@pytest.mark.parametrize("ignore_selector", [False, True])
def test_delete_touches_only_this_runs_labelled_objects(ignore_selector):
    others = kind_cluster_objects()
    objs = [*others, _labelled("mine", "r1"), _labelled("other-run", "r2"), _labelled("helm", "r1", managed="Helm")]
    ctx, store = fake_context(objs, ignore_selector=ignore_selector)
    deleted = delete_created(ctx, "r1")
    assert deleted == store.deleted == [("Pod", "default", "mine")]
    left = {o.metadata.name for o in store.objects["Pod"]}
    assert left == {"web-1", "web-2", "other-run", "helm"}


def test_apply_then_delete_round_trip():
    ctx, store = fake_context(live_objects(Cluster()), run_id="r9")
    before = {k: len(v) for k, v in store.objects.items()}
    apply(Cluster(MODEL), ctx)
    deleted = delete_created(ctx)
    assert sorted(deleted) == sorted([("NetworkPolicy", "shop", "deny"), ("Pod", "shop", "web-1"),
                                      ("Service", "shop", "web"), ("Namespace", "", "shop")])
    assert deleted[-1][0] == "Namespace"  # the namespace goes last
    assert {k: len(v) for k, v in store.objects.items()} == before


# ---------------------------------------------------------------- import
def test_import_mirrors_the_live_cluster():
    ctx, _ = fake_context(kind_cluster_objects())
    c = import_cluster(ctx)
    assert [n.name for n in c.nodes()] == ["kubelab-control-plane", "kubelab-worker"]
    assert c.node("kubelab-worker").spec.pod_cidr == "10.244.1.0/24"
    assert c.settings.pod_cidr == "10.244.0.0/16" and c.settings.service_cidrs == ["10.96.0.0/12"]
    pod = c.pod("web-2", "shop")
    assert (pod.status.pod_ip, pod.status.host_ip, pod.spec.node_name) == ("10.244.1.6", "172.19.0.2",
                                                                           "kubelab-worker")
    assert c.service("web", "shop").spec.cluster_ip == "10.96.77.7"
    assert [n.name for n in c.list("NetworkPolicy", "shop")] == ["deny"]
    # the controller's slices are the model's (derived from the same pods), not a duplicate of the live ones
    slices = c.endpoint_slices("web", "shop")
    assert len(slices) == 1
    assert sorted(a for e in slices[0].endpoints for a in e.addresses) == ["10.244.1.5", "10.244.1.6"]
    assert not c.warnings


def test_import_keeps_slices_of_services_without_selector():
    objs = [*kind_cluster_objects(), live_service("db", "shop", "10.96.8.8", None, 5432, 5432),
            live_slice("db-1", "shop", "db", ["192.168.5.5"], ["ext"], None, 5432, managed=False)]
    objs[-1].endpoints[0].target_ref = None
    c = import_cluster(fake_context(objs)[0])
    assert [e.addresses for s in c.endpoint_slices("db", "shop") for e in s.endpoints] == [["192.168.5.5"]]


def test_import_infers_other_ranges():
    objs = [live_node("kind-control-plane", "172.18.0.2", "10.32.0.0/24", control_plane=True),
            live_node("kind-worker", "172.18.0.3", "10.32.1.0/24"),
            live_service("kubernetes", "default", "10.55.0.1", None, 443, 6443)]
    c = import_cluster(fake_context(objs)[0])
    assert c.settings.pod_cidr == "10.32.0.0/23" and c.settings.service_cidrs == ["10.55.0.0/16"]


def test_model_round_trip_through_a_live_cluster():
    """model -> the client objects a cluster would hold -> import: the same pods, services and endpoints."""
    model = Cluster(MODEL)
    back = import_cluster(fake_context(live_objects(model, pod_ip_offset=0))[0])
    for pod in model.pods():
        got = back.pod(pod.name, pod.namespace)
        assert got.status.pod_ip == pod.status.pod_ip and got.spec.containers == pod.spec.containers
    for svc in model.services():
        assert back.service(svc.name, svc.namespace).spec == svc.spec
    assert ([e.addresses for e in back.endpoint_slices("web", "shop")[0].endpoints]
            == [e.addresses for e in model.endpoint_slices("web", "shop")[0].endpoints])


def test_import_host_network_pods_keep_the_node_ip():
    proxy = live_pod("kube-proxy-q8x2n", "kube-system", "kubelab-worker", "172.19.0.2", "172.19.0.2",
                     {"k8s-app": "kube-proxy"})
    proxy.spec.host_network = True
    objs = [*kind_cluster_objects(), k8s.V1Namespace(metadata=_meta("kube-system")), proxy]
    c = import_cluster(fake_context(objs)[0])
    pod = c.pod("kube-proxy-q8x2n", "kube-system")
    assert pod.spec.host_network and pod.status.pod_ip == "172.19.0.2" and not c.warnings


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_fake_only_answers_methods_the_real_client_has(kind):
    k = KINDS[kind]
    api = {"core": k8s.CoreV1Api, "discovery": k8s.DiscoveryV1Api, "networking": k8s.NetworkingV1Api}[k.api]
    names = ([f"list_{k.plural}_for_all_namespaces", f"create_namespaced_{k.plural}", f"delete_namespaced_{k.plural}"]
             if k.namespaced else [f"list_{k.plural}", f"create_{k.plural}", f"delete_{k.plural}"])
    assert all(hasattr(api, n) for n in names)
    assert all(hasattr(k8s.CoreV1Api, n) for n in ("read_namespaced_pod", "read_namespaced_pod_log"))
