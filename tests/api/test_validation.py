"""Validation messages, compared with the API server's own (``obj.validate()`` via the loader).

Each expected message cites where upstream produces it.  Paths are relative to
k8s.io/kubernetes unless they name another module:

- ``pkg/apis/core/validation/validation.go`` (ValidateService, validateServicePort,
  ValidatePodSpec, validateContainerPorts, ValidateObjectMeta)
- ``pkg/apis/networking/validation/validation.go`` (ValidateNetworkPolicySpec,
  ValidateIPBlock, validateHTTPIngressPath, validateIngressBackend)
- ``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go``
  (ValidateLabelSelectorRequirement)
- ``staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go`` (IsDNS1035Label,
  IsValidPortNum, IsValidPortName, RegexError — whose examples really are joined as
  ``'my-name',  or 'abc-123', ``)
- ``pkg/proxy/apis/config/validation/validation.go`` (kube-proxy's own config check)

Known deviations, each stated in the module docstring of the kubelab code concerned:
a missing ``spec.ports[i].port`` is ``Required value`` (kubelab.api.service; upstream
``Invalid value: 0``); KubeProxyConfiguration errors use the YAML field paths and
list the supported values (kubelab.api.kubeproxy; upstream uses Go struct paths such as
``KubeProxyConfiguration.KubeProxyIPTablesConfiguration.MasqueradeBit``).
"""

from __future__ import annotations

import pytest

from kubelab.api import load
from kubelab.api import kubeproxy, service
from kubelab.api.validation import (is_dns1123_label, is_qualified_name, is_valid_cidr, is_valid_ip,
                                    is_valid_port_name, is_valid_port_num)
from kubelab.errors import ValidationError

DNS1035 = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
           "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
           "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
CIDR = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
BACKEND = {"service": {"name": "web", "port": {"number": 80}}}


def errors(doc) -> list[str]:
    try:
        load(doc)
    except ValidationError as exc:
        return [str(e) for e in exc.errors]
    return []


def svc(spec, name="web"):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def netpol(spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p"}, "spec": spec}


def ingress_paths(*paths):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"},
            "spec": {"rules": [{"host": "shop.example.com", "http": {"paths": list(paths)}}]}}


def kube_proxy(**body):
    return {"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration", **body}


class TestService:
    @pytest.mark.parametrize("port", [0, 65536, -1])
    def test_invalid_port(self, port):
        # validateServicePort: field.Invalid(idxPath.Child("port"), sp.Port, msg) for IsValidPortNum.
        assert f"spec.ports[0].port: Invalid value: {port}: must be between 1 and 65535, inclusive" in errors(
            svc({"ports": [{"port": port}]}))

    def test_missing_port_is_required(self):
        # Deviation (kubelab.api.service docstring): upstream says 'Invalid value: 0'.
        assert "Required value" in service.__doc__ and "Invalid value: 0" in service.__doc__
        assert errors(svc({"ports": [{"name": "x"}]})) == ["spec.ports[0].port: Required value"]

    def test_duplicate_port_names(self):
        # validateServicePort: field.Duplicate(fldPath.Child("name"), sp.Name).
        assert errors(svc({"ports": [{"name": "http", "port": 80}, {"name": "http", "port": 81}]})) == [
            'spec.ports[1].name: Duplicate value: "http"']

    def test_port_names_required_when_several(self):
        # validateServicePort: requireName -> field.Required(fldPath.Child("name"), "").
        assert errors(svc({"ports": [{"port": 80}, {"name": "b", "port": 81}]})) == ["spec.ports[0].name: Required value"]

    def test_duplicate_port_and_protocol(self):
        # ValidateService: field.Duplicate(portPath, key) for a repeated (port, protocol).
        errs = errors(svc({"ports": [{"name": "a", "port": 80}, {"name": "b", "port": 80}]}))
        assert errs == ['spec.ports[1]: Duplicate value: {"port": 80, "protocol": "TCP"}']

    @pytest.mark.parametrize("name", ["Web", "1web", "web_1", "web.shop", "a" * 64])
    def test_name_must_be_dns1035(self, name):
        # ValidateService -> ValidateObjectMeta(..., ValidateServiceName = NameIsDNS1035Label).
        errs = errors(svc({"ports": [{"port": 80}]}, name=name))
        if len(name) > 63:
            assert errs == [f'metadata.name: Invalid value: "{name}": must be no more than 63 characters']
        else:
            assert errs == [f'metadata.name: Invalid value: "{name}": {DNS1035}']

    def test_node_port_forbidden_on_cluster_ip(self):
        # ValidateService: field.Forbidden(portPath.Child("nodePort"), "may not be used when `type` is 'ClusterIP'").
        assert errors(svc({"ports": [{"port": 80, "nodePort": 30080}]})) == [
            "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]

    def test_external_name_required(self):
        # ValidateService, ServiceTypeExternalName: field.Required(specPath.Child("externalName"), "").
        assert errors(svc({"type": "ExternalName"})) == ["spec.externalName: Required value"]

    def test_external_name_must_be_a_subdomain(self):
        # ValidateDNS1123Subdomain(cname, ...) on the name without its trailing dot.
        (err,) = errors(svc({"type": "ExternalName", "externalName": "bad_name.example."}))
        assert err.startswith('spec.externalName: Invalid value: "bad_name.example": a lowercase RFC 1123 subdomain')
        assert errors(svc({"type": "ExternalName", "externalName": "db.example.com."})) == []

    def test_unsupported_type_and_protocol(self):
        # field.NotSupported(..., supportedServiceType.List()) / supportedPortProtocols.
        assert errors(svc({"type": "Internal", "ports": [{"port": 80, "protocol": "ICMP"}]})) == [
            'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", '
            '"LoadBalancer", "NodePort"',
            'spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"']

    def test_external_traffic_policy_needs_node_ports(self):
        assert errors(svc({"ports": [{"port": 80}], "externalTrafficPolicy": "Local"})) == [
            'spec.externalTrafficPolicy: Invalid value: "Local": '
            "may only be set when `type` is 'NodePort' or 'LoadBalancer'"]

    def test_bad_cluster_ip(self):
        assert errors(svc({"ports": [{"port": 80}], "clusterIP": "10.96.0.300"})) == [
            'spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or '
            '2001:db8::ffff)']

    def test_headless_needs_no_ports(self):
        assert errors(svc({"clusterIP": "None", "selector": {"app": "web"}})) == []
        assert errors(svc({})) == ["spec.ports: Required value"]


class TestLabelSelector:
    def expr(self, *reqs):
        return errors(netpol({"podSelector": {"matchExpressions": list(reqs)}}))

    def test_bad_operator(self):
        # ValidateLabelSelectorRequirement: field.Invalid(fldPath.Child("operator"), sr.Operator,
        # "not a valid selector operator").
        assert self.expr({"key": "app", "operator": "Equals", "values": ["web"]}) == [
            'spec.podSelector.matchExpressions[0].operator: Invalid value: "Equals": not a valid selector operator']

    def test_in_needs_values(self):
        # field.Required(fldPath.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'").
        assert self.expr({"key": "app", "operator": "NotIn"}) == [
            "spec.podSelector.matchExpressions[0].values: Required value: "
            "must be specified when `operator` is 'In' or 'NotIn'"]

    def test_exists_forbids_values(self):
        # field.Forbidden(fldPath.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'").
        assert self.expr({"key": "app", "operator": "DoesNotExist", "values": ["x"]}) == [
            "spec.podSelector.matchExpressions[0].values: Forbidden: "
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"]

    def test_bad_value_and_key(self):
        errs = self.expr({"key": "-app", "operator": "In", "values": ["bad value"]})
        assert errs[0].startswith('spec.podSelector.matchExpressions[0].key: Invalid value: "-app": name part must '
                                  "consist of alphanumeric characters")
        assert errs[1] == (
            'spec.podSelector.matchExpressions[0].values[0]: Invalid value: "bad value": a valid label must be an '
            "empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
            "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")


class TestIPBlock:
    def block(self, cidr, *excepts):
        return errors(netpol({"podSelector": {}, "ingress": [{"from": [
            {"ipBlock": {"cidr": cidr, "except": list(excepts)}}]}]}))

    @pytest.mark.parametrize("cidr", ["10.0.0.0/33", "10.0.0.0", "10.0.0.300/8", "example.com/8"])
    def test_bad_cidr(self, cidr):
        # ValidateIPBlock -> IsValidCIDRForLegacyField: "must be a valid CIDR value, (e.g. ...)".
        assert self.block(cidr) == [f'spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "{cidr}": {CIDR}']

    @pytest.mark.parametrize("ex", ["10.0.0.0/16", "10.0.0.0/8", "10.1.0.0/24", "fd00::/64"])
    def test_except_not_a_strict_subset(self, ex):
        # ValidateIPBlock: field.Invalid(exceptPath, exceptCIDRStr, "must be a strict subset of `cidr`").
        assert self.block("10.0.0.0/16", ex) == [
            f'spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "{ex}": must be a strict subset of `cidr`']

    def test_good_block(self):
        assert self.block("10.0.0.0/16", "10.0.1.0/24", "10.0.2.0/25") == []

    def test_bad_except(self):
        assert self.block("10.0.0.0/16", "nope") == [
            f'spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "nope": {CIDR}']

    def test_peer_rules(self):
        # ValidateNetworkPolicyPeer: "must specify a peer" / "may not specify both ipBlock and another peer".
        errs = errors(netpol({"podSelector": {}, "egress": [{"to": [
            {}, {"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]}))
        assert errs == ["spec.egress[0].to[0]: Required value: must specify a peer",
                        "spec.egress[0].to[1]: Forbidden: may not specify both ipBlock and another peer"]

    def test_end_port(self):
        errs = errors(netpol({"podSelector": {}, "ingress": [{"ports": [{"port": 90, "endPort": 80},
                                                                         {"port": "http", "endPort": 90}]}]}))
        assert errs == ["spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`",
                        "spec.ingress[0].ports[1].endPort: Forbidden: may not be specified when `port` is non-numeric"]


class TestIngress:
    def test_path_type_required(self):
        # validateHTTPIngressPath: field.Required(fldPath.Child("pathType"), "pathType must be specified").
        assert errors(ingress_paths({"path": "/", "backend": BACKEND})) == [
            "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"]

    @pytest.mark.parametrize("path_type", ["Prefix", "Exact", "ImplementationSpecific"])
    def test_non_absolute_path(self, path_type):
        # validateHTTPIngressPath: field.Invalid(fldPath.Child("path"), path.Path, "must be an absolute path").
        assert errors(ingress_paths({"path": "api", "pathType": path_type, "backend": BACKEND})) == [
            'spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path']

    def test_invalid_sequences_for_prefix_and_exact(self):
        errs = errors(ingress_paths({"path": "/a//b/..", "pathType": "Prefix", "backend": BACKEND}))
        assert errs == ["spec.rules[0].http.paths[0].path: Invalid value: \"/a//b/..\": must not contain '//'",
                        "spec.rules[0].http.paths[0].path: Invalid value: \"/a//b/..\": cannot end with '/..'"]

    def test_unsupported_path_type(self):
        assert errors(ingress_paths({"path": "/", "pathType": "Regex", "backend": BACKEND})) == [
            'spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": '
            'supported values: "Exact", "ImplementationSpecific", "Prefix"']

    @pytest.mark.parametrize("port", [{}, {"name": ""}, {"number": 0}])
    def test_backend_port_needed(self, port):
        backend = {"service": {"name": "web", "port": port}}
        assert errors(ingress_paths({"path": "/", "pathType": "Prefix", "backend": backend})) == [
            'spec.rules[0].http.paths[0].backend.service.port: Invalid value: "": port name or number is required']

    def test_host_is_not_an_ip(self):
        doc = ingress_paths({"path": "/", "pathType": "Prefix", "backend": BACKEND})
        doc["spec"]["rules"][0]["host"] = "10.0.0.1"
        assert errors(doc) == ['spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address']


class TestPod:
    def pod(self, ports, **spec):
        return errors({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                       "spec": {"containers": [{"name": "c", "image": "i:1", "ports": ports}], **spec}})

    def test_duplicate_port_names(self):
        # validateContainerPorts: field.Duplicate(idxPath.Child("name"), port.Name).
        assert self.pod([{"name": "http", "containerPort": 80}, {"name": "http", "containerPort": 81}]) == [
            'spec.containers[0].ports[1].name: Duplicate value: "http"']

    def test_bad_port_name_and_number(self):
        assert self.pod([{"name": "a--b", "containerPort": 70000}]) == [
            'spec.containers[0].ports[0].name: Invalid value: "a--b": must not contain consecutive hyphens',
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"]

    def test_host_network_host_port_must_match(self):
        assert self.pod([{"containerPort": 80, "hostPort": 8080}], hostNetwork=True) == [
            "spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` "
            "is true"]


class TestKubeProxyConfiguration:
    def test_deviation_is_documented(self):
        assert "KubeProxyIPTablesConfiguration.MasqueradeBit" in kubeproxy.__doc__

    def test_masquerade_bit(self):
        # validateKubeProxyIPTablesConfiguration: "must be within the range [0, 31]".
        assert errors(kube_proxy(iptables={"masqueradeBit": 32})) == [
            "iptables.masqueradeBit: Invalid value: 32: must be within the range [0, 31]"]
        assert errors(kube_proxy(iptables={"masqueradeBit": 31})) == []

    def test_bad_scheduler(self):
        # validateIPVSSchedulerMethod rejects unknown methods (kubelab: NotSupported with the list).
        (err,) = errors(kube_proxy(mode="ipvs", ipvs={"scheduler": "fastest"}))
        assert err.startswith('ipvs.scheduler: Unsupported value: "fastest": supported values: "rr", "wrr", "lc"')

    def test_bad_mode_and_cidr(self):
        assert errors(kube_proxy(mode="ebpf", clusterCIDR="10.244.0.0/33")) == [
            'mode: Unsupported value: "ebpf": supported values: "", "iptables", "ipvs", "nftables", "userspace"',
            f'clusterCIDR: Invalid value: "10.244.0.0/33": {CIDR}']


def test_service_cidr():
    doc = {"apiVersion": "networking.k8s.io/v1", "kind": "ServiceCIDR", "metadata": {"name": "x"},
           "spec": {"cidrs": ["10.100.0.1/16", "10.200.0.0/16"]}}
    assert errors(doc) == [
        'spec.cidrs[0]: Invalid value: "10.100.0.1/16": must be in canonical form ("10.100.0.0/16")',
        'spec.cidrs: Invalid value: ["10.100.0.1/16", "10.200.0.0/16"]: may specify no more than one IP for each IP '
        'family']


class TestFunctions:
    """The apimachinery helpers (k8s.io/apimachinery/pkg/util/validation/validation.go)."""

    def test_port_num(self):
        assert is_valid_port_num(1) == [] and is_valid_port_num(65535) == []
        assert is_valid_port_num(0) == ["must be between 1 and 65535, inclusive"]

    def test_port_name_messages_in_upstream_order(self):
        assert is_valid_port_name("-1-") == ["must contain at least one letter (a-z)",
                                             "must not begin or end with a hyphen"]
        assert is_valid_port_name("averyverylongportname") == ["must be no more than 15 characters"]
        assert is_valid_port_name("HTTP") == [
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            "must contain at least one letter (a-z)"]

    def test_dns1123_label_with_dots(self):
        assert is_dns1123_label("a.b") == ["must not contain dots"]
        assert is_dns1123_label("A")[0].endswith(
            "(e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")

    def test_qualified_name(self):
        assert is_qualified_name("example.com/app") == []
        assert is_qualified_name("/app") == ["prefix part must be non-empty"]
        assert is_qualified_name("a/b/c")[0].endswith(
            "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")

    def test_ip_and_cidr(self):
        assert is_valid_ip("2001:db8::1") == [] and is_valid_ip("1.2.3") != []
        assert is_valid_cidr("10.0.0.0/8") == [] and is_valid_cidr("10.0.0.1") == [CIDR]
