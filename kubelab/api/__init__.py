"""kubelab.api: Kubernetes manifests in, typed, defaulted and validated objects out.

The model classes mirror the Kubernetes API types field for field (snake_case
in Python, the real camelCase names in YAML), and :func:`load` reads manifests
the way ``kubectl apply -f`` does.  See the modules for upstream sources.
"""

from .calico import CalicoNetworkPolicy, GlobalNetworkPolicy
from .convert import from_client, to_client
from .endpoints import (Endpoint, EndpointAddress, EndpointConditions, EndpointPort, Endpoints, EndpointSlice,
                        EndpointSlicePort, EndpointSubset, MAX_ENDPOINTS_PER_SLICE, SERVICE_NAME_LABEL)
from .gateway import Gateway, GatewayClass, HTTPRoute, ReferenceGrant
from .ingress import HTTPIngressPath, Ingress, IngressBackend, IngressClass, IngressRule
from .kubeproxy import KubeProxyConfiguration
from .loader import Manifests, from_dict, load, load_path, load_stdin, load_text
from .meta import APIObject, LabelSelector, LabelSelectorRequirement, ObjectMeta, ObjectReference
from .networkpolicy import IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort
from .node import Namespace, Node, NodeAddress, Taint
from .pod import Container, ContainerPort, EnvVar, Pod, PodSpec, PodStatus, Volume, VolumeMount
from .registry import KINDS, lookup
from .secret import Secret
from .service import Service, ServicePort, ServiceSpec
from .servicecidr import ServiceCIDR

__all__ = [
    "APIObject", "ObjectMeta", "ObjectReference", "LabelSelector", "LabelSelectorRequirement",
    "Namespace", "Node", "NodeAddress", "Taint",
    "Pod", "PodSpec", "PodStatus", "Container", "ContainerPort", "EnvVar", "Volume", "VolumeMount",
    "Service", "ServiceSpec", "ServicePort", "Secret",
    "Endpoints", "EndpointSubset", "EndpointAddress", "EndpointPort",
    "EndpointSlice", "Endpoint", "EndpointConditions", "EndpointSlicePort",
    "SERVICE_NAME_LABEL", "MAX_ENDPOINTS_PER_SLICE",
    "GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant",
    "Ingress", "IngressClass", "IngressRule", "HTTPIngressPath", "IngressBackend",
    "NetworkPolicy", "NetworkPolicyPeer", "NetworkPolicyPort", "IPBlock",
    "CalicoNetworkPolicy", "GlobalNetworkPolicy", "KubeProxyConfiguration", "ServiceCIDR",
    "KINDS", "lookup", "Manifests", "load", "load_text", "load_path", "load_stdin", "from_dict",
    "to_client", "from_client",
]
