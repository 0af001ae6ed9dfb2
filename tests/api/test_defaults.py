"""Defaulting as the API server does it (``obj.default()``, run by the loader).

Upstream: ``pkg/apis/core/v1/defaults.go`` (``SetDefaults_Service``,
``SetDefaults_ServicePort``, ``SetDefaults_Pod``, ``SetDefaults_PodSpec``,
``SetDefaults_Namespace``, ``defaultHostNetworkPorts``),
``pkg/apis/networking/v1/defaults.go`` (``SetDefaults_NetworkPolicy``),
``pkg/apis/discovery/v1/defaults.go``, ``pkg/proxy/apis/config/v1alpha1/defaults.go``,
Calico ``api/pkg/apis/projectcalico/v3`` (``types`` defaulting) and the
v1beta1 Ingress defaulting/deprecation warnings (removed in Kubernetes 1.22).
"""

from __future__ import annotations

import pytest

from kubelab.api import load, load_text
from kubelab.api.ingress import LEGACY_INGRESS_WARNINGS

from .manifests import LEGACY_INGRESS, LEGACY_INGRESS_BETA, fresh


def one(doc):
    (obj,) = load(doc)
    return obj


def svc(spec, **meta):
    return one({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", **meta}, "spec": spec})


def pod(spec, status=None):
    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}
    if status:
        doc["status"] = status
    return one(doc)


C = [{"name": "c", "image": "nginx:1.27"}]


class TestService:
    def test_cluster_ip_type_tcp_and_target_port(self):
        s = svc({"ports": [{"port": 80}]})
        p = s.spec.ports[0]
        assert (s.spec.type, p.protocol, p.target_port) == ("ClusterIP", "TCP", 80)
        assert s.metadata.namespace == "default"

    def test_target_port_name_and_zero(self):
        s = svc({"ports": [{"name": "a", "port": 80, "targetPort": "http"}, {"name": "b", "port": 81, "targetPort": 0}]})
        assert [p.target_port for p in s.spec.ports] == ["http", 81]  # 0 is Go's unset intstr

    def test_session_affinity(self):
        assert svc({"ports": [{"port": 80}]}).spec.session_affinity == "None"
        s = svc({"ports": [{"port": 80}], "sessionAffinity": "ClientIP"})
        assert s.spec.session_affinity_config.client_ip.timeout_seconds == 10800
        assert s.affinity_timeout == 10800
        s = svc({"ports": [{"port": 80}], "sessionAffinity": "ClientIP",
                 "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}}})
        assert s.affinity_timeout == 60

    def test_external_traffic_policy_only_for_node_ports(self):
        assert svc({"type": "NodePort", "ports": [{"port": 80}]}).spec.external_traffic_policy == "Cluster"
        assert svc({"type": "LoadBalancer", "ports": [{"port": 80}]}).spec.external_traffic_policy == "Cluster"
        assert svc({"ports": [{"port": 80}]}).spec.external_traffic_policy is None
        assert svc({"type": "NodePort", "externalTrafficPolicy": "Local",
                    "ports": [{"port": 80}]}).spec.external_traffic_policy == "Local"

    def test_internal_traffic_policy_and_lb_node_ports(self):
        assert svc({"ports": [{"port": 80}]}).spec.internal_traffic_policy == "Cluster"
        assert svc({"type": "ExternalName", "externalName": "x.example"}).spec.internal_traffic_policy is None
        lb = svc({"type": "LoadBalancer", "ports": [{"port": 80}]})
        assert lb.spec.allocate_load_balancer_node_ports is True

    def test_cluster_ip_and_cluster_ips_agree(self):
        assert svc({"ports": [{"port": 80}], "clusterIP": "10.96.0.5"}).spec.cluster_ips == ["10.96.0.5"]
        assert svc({"ports": [{"port": 80}], "clusterIPs": ["10.96.0.6"]}).spec.cluster_ip == "10.96.0.6"

    def test_defaulting_is_idempotent(self):
        s = svc({"type": "NodePort", "sessionAffinity": "ClientIP", "ports": [{"port": 80}]})
        before = s.to_dict()
        s.default()
        assert s.to_dict() == before


class TestPod:
    def test_pod_spec_defaults(self):
        p = pod({"containers": C})
        s = p.spec
        assert (s.restart_policy, s.dns_policy, s.enable_service_links) == ("Always", "ClusterFirst", True)
        assert (s.termination_grace_period_seconds, s.scheduler_name) == (30, "default-scheduler")

    def test_enable_service_links_false_is_kept(self):
        assert pod({"containers": C, "enableServiceLinks": False}).spec.enable_service_links is False

    @pytest.mark.parametrize("image,policy", [("nginx", "Always"), ("nginx:latest", "Always"),
                                              ("nginx:1.27", "IfNotPresent"), ("reg:5000/nginx", "Always"),
                                              ("nginx@sha256:" + "a" * 64, "IfNotPresent")])
    def test_image_pull_policy(self, image, policy):
        # SetDefaults_Container: Always for :latest or no tag, else IfNotPresent.
        assert pod({"containers": [{"name": "c", "image": image}]}).spec.containers[0].image_pull_policy == policy

    def test_container_port_protocol(self):
        p = pod({"containers": [{"name": "c", "image": "i:1", "ports": [{"containerPort": 80}]}]})
        assert p.spec.containers[0].ports[0].protocol == "TCP"
        assert p.spec.containers[0].ports[0].host_port is None

    @pytest.mark.parametrize("host_port", [None, 0])
    def test_host_network_defaults_host_port(self, host_port):
        port = {"containerPort": 9100} if host_port is None else {"containerPort": 9100, "hostPort": host_port}
        p = pod({"hostNetwork": True, "containers": [{"name": "c", "image": "i:1", "ports": [port]}],
                 "initContainers": [{"name": "i", "image": "i:1", "ports": [{"containerPort": 9101}]}]})
        assert p.spec.containers[0].ports[0].host_port == 9100  # defaultHostNetworkPorts
        assert p.spec.init_containers[0].ports[0].host_port == 9101

    def test_pod_ips_from_pod_ip(self):
        p = pod({"containers": C}, {"podIP": "10.244.1.5"})
        assert [i.ip for i in p.status.pod_ips] == ["10.244.1.5"]


def test_namespace_gets_its_name_label_always():
    ns = one({"apiVersion": "v1", "kind": "Namespace",
              "metadata": {"name": "shop", "labels": {"kubernetes.io/metadata.name": "other"}}})
    assert ns.labels["kubernetes.io/metadata.name"] == "shop"  # overwritten: the label can be trusted
    assert ns.namespace == ""


def test_cluster_scoped_kinds_get_no_namespace():
    node = one({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}, "spec": {"podCIDR": "10.244.1.0/24"}})
    assert node.metadata.namespace is None and node.spec.pod_cidrs == ["10.244.1.0/24"]


def test_endpoints_and_slices():
    ep = one({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"},
              "subsets": [{"addresses": [{"ip": "10.244.1.2"}], "ports": [{"port": 80}]}]})
    assert ep.subsets[0].ports[0].protocol == "TCP"
    sl = one({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "web-x"},
              "addressType": "IPv4", "endpoints": [{"addresses": ["10.244.1.2"]}], "ports": [{"port": 80}]})
    assert sl.ports[0].protocol == "TCP" and sl.endpoints[0].conditions.ready is True


class TestNetworkPolicy:
    def np(self, spec):
        return one({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p"},
                    "spec": spec})

    def test_policy_types(self):
        assert self.np({"podSelector": {}}).spec.policy_types == ["Ingress"]
        assert self.np({"podSelector": {}, "ingress": [{}]}).spec.policy_types == ["Ingress"]
        # Egress rules add Egress, but Ingress is always there: egress-only needs explicit policyTypes.
        assert self.np({"podSelector": {}, "egress": [{}]}).spec.policy_types == ["Ingress", "Egress"]
        assert self.np({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]}).spec.policy_types == ["Egress"]

    def test_port_protocol(self):
        p = self.np({"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}], "egress": [{"ports": [{"port": 53}]}]})
        assert p.spec.ingress[0].ports[0].protocol == "TCP" and p.spec.egress[0].ports[0].protocol == "TCP"


class TestCalico:
    def calico(self, spec, kind="NetworkPolicy"):
        return one({"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": {"name": "p"}, "spec": spec})

    @pytest.mark.parametrize("spec,types", [
        ({"selector": "all()"}, ["Ingress"]),
        ({"ingress": [{"action": "Allow"}]}, ["Ingress"]),
        ({"egress": [{"action": "Allow"}]}, ["Egress"]),  # unlike Kubernetes NetworkPolicy
        ({"ingress": [{"action": "Allow"}], "egress": [{"action": "Deny"}]}, ["Ingress", "Egress"]),
    ])
    @pytest.mark.parametrize("kind", ["NetworkPolicy", "GlobalNetworkPolicy"])
    def test_types(self, spec, types, kind):
        p = self.calico(spec, kind)
        assert p.spec.types == types and p.spec.tier == "default"

    def test_kubernetes_and_calico_networkpolicy_are_different_keys(self):
        k8s = one({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p"},
                   "spec": {"podSelector": {}}})
        cal = self.calico({})
        assert k8s.key != cal.key and cal.ref == "NetworkPolicy.projectcalico.org default/p"

    @pytest.mark.parametrize("kind", ["NetworkPolicy", "GlobalNetworkPolicy"])
    def test_an_empty_match_survives_a_round_trip(self, kind):
        # Pointers to structs in Calico's Go types (HTTP *HTTPMatch, ICMP *ICMPFields, Services *ServiceMatch):
        # encoding/json writes a non-nil empty one as {}, and decoding {} gives a non-nil pointer again.
        rule = {"action": "Allow", "http": {}, "icmp": {}, "destination": {"services": {}, "ports": []},
                "metadata": {"annotations": {}}}
        p = self.calico({"selector": "all()", "ingress": [rule]}, kind)
        encoded = p.to_dict()["spec"]["ingress"][0]
        assert encoded == {"action": "Allow", "http": {}, "icmp": {}, "source": {}, "destination": {"services": {}},
                           "metadata": {"annotations": {}}}
        assert self.calico(p.to_dict()["spec"], kind) == p


class TestLegacyIngress:
    @pytest.mark.parametrize("manifest", [LEGACY_INGRESS, LEGACY_INGRESS_BETA], ids=["extensions", "networking"])
    def test_converted_to_v1_with_the_warning(self, manifest):
        out = load(fresh(manifest))
        (ing,) = out
        assert ing.api_version == "networking.k8s.io/v1"
        paths = ing.spec.rules[0].http.paths
        assert [p.path_type for p in paths] == ["ImplementationSpecific", "Prefix"]
        assert paths[0].backend.service.name == "web" and paths[0].backend.service.port.name == "http"
        assert paths[1].backend.service.port.number == 8080
        assert ing.spec.default_backend.service.port.number == 80
        warning = LEGACY_INGRESS_WARNINGS[manifest["apiVersion"]]
        assert "unavailable in v1.22+" in warning
        assert out.warnings == [f"<object>: Ingress shop/old: {warning}"]

    def test_warning_text(self):
        # The API server's deprecation warning (k8s.io/apiserver deprecation, removed-release 1.22).
        assert LEGACY_INGRESS_WARNINGS["networking.k8s.io/v1beta1"] == (
            "networking.k8s.io/v1beta1 Ingress is deprecated in v1.19+, unavailable in v1.22+; "
            "use networking.k8s.io/v1 Ingress")

    def test_v1_has_no_path_type_default(self):
        from kubelab.errors import ValidationError
        text = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: x}
spec:
  rules: [{http: {paths: [{path: /, backend: {service: {name: web, port: {number: 80}}}}]}}]
"""
        with pytest.raises(ValidationError, match=r"spec.rules\[0\].http.paths\[0\].pathType: Required value"):
            load_text(text)


class TestKubeProxyConfiguration:
    def test_defaults(self):
        cfg = one({"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration"})
        assert cfg.effective_mode == "iptables"
        assert (cfg.iptables.masquerade_bit, cfg.iptables.masquerade_all, cfg.iptables.localhost_node_ports) == (
            14, False, True)
        assert cfg.ipvs.effective_scheduler == "rr"

    def test_mode_warnings(self):
        out = load({"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration",
                    "mode": "userspace"})
        assert "removed in Kubernetes v1.26" in out.warnings[0]
