"""Realistic manifests, one or more per kind, shared by the api tests.

They use fields kubelab does not model (kept in ``extra``) on purpose:
resources, probes, security contexts, ipFamilies, managedFields-style metadata.
"""

from __future__ import annotations

import copy

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "web-0",
        "namespace": "shop",
        "labels": {"app": "web", "tier": "front"},
        "annotations": {"kubectl.kubernetes.io/default-container": "nginx"},
        "uid": "0b8f1d2e-0000-4000-8000-000000000001",
        "resourceVersion": "4711",
        "creationTimestamp": "2024-05-01T12:00:00Z",
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
                             "uid": "0b8f1d2e-0000-4000-8000-000000000002", "controller": True}],
    },
    "spec": {
        "hostname": "web-0",
        "subdomain": "web",
        "nodeName": "kind-worker",
        "serviceAccountName": "web",
        "securityContext": {"runAsNonRoot": True, "fsGroup": 101, "seccompProfile": {"type": "RuntimeDefault"}},
        "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                         "tolerationSeconds": 300}],
        "volumes": [{"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
                    {"name": "conf", "configMap": {"name": "web-conf", "defaultMode": 420}}],
        "initContainers": [{"name": "init", "image": "busybox:1.36", "command": ["sh", "-c", "true"]}],
        "containers": [{
            "name": "nginx",
            "image": "nginx:1.27",
            "ports": [{"name": "http", "containerPort": 80}, {"name": "metrics", "containerPort": 9113,
                                                                "protocol": "TCP"}],
            "env": [{"name": "MODE", "value": "prod"},
                    {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
            "volumeMounts": [{"name": "cache", "mountPath": "/var/cache/nginx"},
                             {"name": "conf", "mountPath": "/etc/nginx/conf.d", "readOnly": True}],
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5},
            "livenessProbe": {"tcpSocket": {"port": 80}, "initialDelaySeconds": 10},
            "securityContext": {"allowPrivilegeEscalation": False,
                                "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}},
        }],
        "dnsConfig": {"options": [{"name": "ndots", "value": "2"}]},
    },
    "status": {
        "phase": "Running",
        "podIP": "10.244.1.5",
        "hostIP": "172.18.0.3",
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2024-05-01T12:00:05Z"}],
        "qosClass": "Burstable",
    },
}

HOST_NETWORK_POD = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "node-exporter", "namespace": "monitoring"},
    "spec": {"hostNetwork": True, "hostPID": True, "hostIPC": False, "dnsPolicy": "ClusterFirstWithHostNet",
             "containers": [{"name": "exporter", "image": "prom/node-exporter:v1.8.0",
                             "ports": [{"containerPort": 9100, "name": "metrics"}]}]},
}

SERVICE = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
    "spec": {
        "selector": {"app": "web"},
        "ports": [{"name": "http", "port": 80, "targetPort": "http"},
                  {"name": "metrics", "port": 9113, "targetPort": 9113, "appProtocol": "http"}],
        "clusterIP": "10.96.12.34",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "sessionAffinity": "ClientIP",
        "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 600}},
        "trafficDistribution": "PreferClose",
    },
}

NODEPORT_SERVICE = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "shop-np"},
    "spec": {"type": "NodePort", "selector": {"app": "shop"}, "externalTrafficPolicy": "Local",
             "ports": [{"port": 8080, "nodePort": 30080, "protocol": "TCP"}]},
}

LB_SERVICE = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "edge"},
    "spec": {"type": "LoadBalancer", "selector": {"app": "edge"}, "ports": [{"port": 443, "targetPort": 8443}],
             "loadBalancerSourceRanges": ["203.0.113.0/24"]},
    "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.7", "ipMode": "VIP"}]}},
}

EXTERNALNAME_SERVICE = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "db"},
    "spec": {"type": "ExternalName", "externalName": "db.example.com"},
}

HEADLESS_SERVICE = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web-hl", "namespace": "shop"},
    "spec": {"clusterIP": "None", "selector": {"app": "web"}, "publishNotReadyAddresses": True},
}

ENDPOINTS = {
    "apiVersion": "v1", "kind": "Endpoints",
    "metadata": {"name": "web", "namespace": "shop"},
    "subsets": [{
        "addresses": [{"ip": "10.244.1.5", "nodeName": "kind-worker", "hostname": "web-0",
                       "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-0",
                                     "uid": "0b8f1d2e-0000-4000-8000-000000000001", "resourceVersion": "4711"}}],
        "notReadyAddresses": [{"ip": "10.244.2.7"}],
        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "metrics", "port": 9113}],
    }],
}

ENDPOINT_SLICE = {
    "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
    "metadata": {"name": "web-abc12", "namespace": "shop",
                 "labels": {"kubernetes.io/service-name": "web",
                            "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"},
                 "generateName": "web-"},
    "addressType": "IPv4",
    "endpoints": [
        {"addresses": ["10.244.1.5"], "conditions": {"ready": True, "serving": True, "terminating": False},
         "nodeName": "kind-worker", "zone": "zone-a",
         "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-0"},
         "hints": {"forZones": [{"name": "zone-a"}]}},
        {"addresses": ["10.244.2.7"], "conditions": {"ready": False}},
    ],
    "ports": [{"name": "http", "port": 80, "protocol": "TCP", "appProtocol": "http"}],
}

NODE = {
    "apiVersion": "v1", "kind": "Node",
    "metadata": {"name": "kind-worker", "labels": {"kubernetes.io/hostname": "kind-worker"}},
    "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24", "fd00:10:244:1::/64"],
             "providerID": "kind://docker/kind/kind-worker",
             "taints": [{"key": "dedicated", "value": "web", "effect": "NoSchedule"}]},
    "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.3"},
                             {"type": "Hostname", "address": "kind-worker"}],
               "capacity": {"cpu": "8", "pods": "110"},
               "nodeInfo": {"kubeProxyVersion": "v1.33.0", "kubeletVersion": "v1.33.0",
                            "architecture": "amd64", "bootID": "b", "containerRuntimeVersion": "containerd://2.0",
                            "kernelVersion": "6.8", "machineID": "m", "operatingSystem": "linux",
                            "osImage": "Debian", "systemUUID": "s"}},
}

NAMESPACE = {
    "apiVersion": "v1", "kind": "Namespace",
    "metadata": {"name": "shop", "labels": {"team": "payments"}},
    "spec": {"finalizers": ["kubernetes"]},
    "status": {"phase": "Active"},
}

INGRESS = {
    "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    "metadata": {"name": "shop", "namespace": "shop",
                 "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/"}},
    "spec": {
        "ingressClassName": "nginx",
        "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
        "defaultBackend": {"service": {"name": "web", "port": {"name": "http"}}},
        "rules": [{"host": "shop.example.com", "http": {"paths": [
            {"path": "/api", "pathType": "Prefix", "backend": {"service": {"name": "api", "port": {"number": 8080}}}},
            {"path": "/static", "pathType": "ImplementationSpecific",
             "backend": {"resource": {"apiGroup": "k8s.example.com", "kind": "StorageBucket", "name": "assets"}}},
        ]}}, {"host": "*.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Exact", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}],
    },
    "status": {"loadBalancer": {"ingress": [{"ip": "172.18.0.2"}]}},
}

SECRET = {
    "apiVersion": "v1", "kind": "Secret",
    "metadata": {"name": "shop-tls", "namespace": "shop"},
    "type": "kubernetes.io/tls",
    "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"},
    "immutable": True,
}

INGRESS_CLASS = {
    "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
    "metadata": {"name": "nginx", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
    "spec": {"controller": "k8s.io/ingress-nginx",
             "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external-lb",
                            "scope": "Cluster"}},
}

NETWORK_POLICY = {
    "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
    "metadata": {"name": "web-allow", "namespace": "shop"},
    "spec": {
        "podSelector": {"matchLabels": {"app": "web"},
                        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "edge"]}]},
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "payments"}},
                               "podSelector": {"matchExpressions": [{"key": "role", "operator": "Exists"}]}},
                              {"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}}],
                     "ports": [{"protocol": "TCP", "port": 80}, {"port": "metrics"},
                               {"port": 32000, "endPort": 32768}]}],
        "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}], "ports": [{"protocol": "UDP", "port": 53}]}],
    },
}

SERVICE_CIDR = {
    "apiVersion": "networking.k8s.io/v1", "kind": "ServiceCIDR",
    "metadata": {"name": "extra"},
    "spec": {"cidrs": ["10.100.0.0/16", "fd00:100::/112"]},
}

CALICO_POLICY = {
    "apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
    "metadata": {"name": "allow-tcp-6379", "namespace": "production"},
    "spec": {
        "selector": "role == 'database'",
        "order": 100,
        "types": ["Ingress", "Egress"],
        "ingress": [{"action": "Allow", "protocol": "TCP",
                     "source": {"selector": "role == 'frontend'", "nets": ["10.0.0.0/8"]},
                     "destination": {"ports": [6379, "8000:8100"]}}],
        "egress": [{"action": "Allow"}],
    },
}

GLOBAL_POLICY = {
    "apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
    "metadata": {"name": "deny-egress"},
    "spec": {"selector": "all()", "egress": [{"action": "Deny", "protocol": "UDP",
                                              "destination": {"notNets": ["10.96.0.10/32"], "ports": [53]}}]},
}

KUBE_PROXY = {
    "apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration",
    "mode": "ipvs",
    "clusterCIDR": "10.244.0.0/16",
    "ipvs": {"scheduler": "wrr", "strictARP": True, "excludeCIDRs": ["10.0.0.0/24"]},
    "iptables": {"masqueradeBit": 14, "syncPeriod": "30s"},
    "conntrack": {"maxPerCore": 32768},
    "nodePortAddresses": ["primary", "172.18.0.0/16"],
}

#: (id, manifest): every kind at least once.
GW = "gateway.networking.k8s.io"
GATEWAY_CLASS = {
    "apiVersion": f"{GW}/v1", "kind": "GatewayClass", "metadata": {"name": "model"},
    "spec": {"controllerName": "example.com/gateway-controller", "description": "the model"},
}
GATEWAY = {
    "apiVersion": f"{GW}/v1", "kind": "Gateway", "metadata": {"name": "gw", "namespace": "infra"},
    "spec": {"gatewayClassName": "model", "listeners": [
        {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}},
        {"name": "https", "port": 443, "protocol": "HTTPS", "hostname": "*.example.com",
         "tls": {"certificateRefs": [{"name": "wildcard"}]}}]},
}
HTTP_ROUTE = {
    "apiVersion": f"{GW}/v1", "kind": "HTTPRoute", "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"parentRefs": [{"name": "gw", "namespace": "infra", "sectionName": "http"}],
             "hostnames": ["shop.example.com"],
             "rules": [{"matches": [{"path": {"type": "Exact", "value": "/cart"}, "method": "POST",
                                     "headers": [{"name": "x-canary", "value": "yes"}],
                                     "queryParams": [{"name": "v", "value": "2"}]}],
                        "filters": [{"type": "RequestHeaderModifier",
                                     "requestHeaderModifier": {"set": [{"name": "x-from", "value": "gw"}]}}],
                        "backendRefs": [{"name": "web", "port": 80, "weight": 3}, {"name": "web-v2", "port": 80}]},
                       {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}]}]},
}
REFERENCE_GRANT = {
    "apiVersion": f"{GW}/v1beta1", "kind": "ReferenceGrant", "metadata": {"name": "shop-to-db", "namespace": "data"},
    "spec": {"from": [{"group": GW, "kind": "HTTPRoute", "namespace": "shop"}],
             "to": [{"group": "", "kind": "Service", "name": "db"}]},
}
GATEWAY_V1BETA1 = {**GATEWAY, "apiVersion": f"{GW}/v1beta1"}
GATEWAY_CLASS_V1BETA1 = {**GATEWAY_CLASS, "apiVersion": f"{GW}/v1beta1"}
HTTP_ROUTE_V1BETA1 = {**HTTP_ROUTE, "apiVersion": f"{GW}/v1beta1"}


ALL = [
    ("pod", POD), ("pod-hostnetwork", HOST_NETWORK_POD),
    ("service", SERVICE), ("service-nodeport", NODEPORT_SERVICE), ("service-lb", LB_SERVICE),
    ("service-externalname", EXTERNALNAME_SERVICE), ("service-headless", HEADLESS_SERVICE),
    ("endpoints", ENDPOINTS), ("endpointslice", ENDPOINT_SLICE), ("node", NODE), ("namespace", NAMESPACE),
    ("ingress", INGRESS), ("ingressclass", INGRESS_CLASS), ("secret", SECRET), ("networkpolicy", NETWORK_POLICY),
    ("servicecidr", SERVICE_CIDR), ("calico-networkpolicy", CALICO_POLICY),
    ("calico-globalnetworkpolicy", GLOBAL_POLICY), ("kubeproxyconfiguration", KUBE_PROXY),
    ("gatewayclass", GATEWAY_CLASS), ("gateway", GATEWAY), ("httproute", HTTP_ROUTE),
    ("referencegrant", REFERENCE_GRANT), ("gatewayclass-v1beta1", GATEWAY_CLASS_V1BETA1),
    ("gateway-v1beta1", GATEWAY_V1BETA1), ("httproute-v1beta1", HTTP_ROUTE_V1BETA1),
]


def fresh(manifest: dict) -> dict:
    """A deep copy, so a test may change it freely."""
    return copy.deepcopy(manifest)

#: Retired Ingress versions, converted to networking.k8s.io/v1 on load (not in ALL: they do not round-trip as such).
LEGACY_INGRESS = {
    "apiVersion": "extensions/v1beta1", "kind": "Ingress",
    "metadata": {"name": "old", "namespace": "shop"},
    "spec": {"backend": {"serviceName": "web", "servicePort": 80},
             "rules": [{"host": "old.example.com", "http": {"paths": [
                 {"path": "/", "backend": {"serviceName": "web", "servicePort": "http"}},
                 {"path": "/api", "pathType": "Prefix", "backend": {"serviceName": "api", "servicePort": 8080}}]}}]},
}
LEGACY_INGRESS_BETA = {**LEGACY_INGRESS, "apiVersion": "networking.k8s.io/v1beta1"}

#: Everything the mutation tests start from.
MUTATION_SOURCES = ALL + [("legacy-ingress", LEGACY_INGRESS), ("legacy-ingress-beta", LEGACY_INGRESS_BETA)]
