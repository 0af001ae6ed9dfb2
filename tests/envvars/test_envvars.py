"""kubelab.envvars: kubelet's service variables, which Services count, precedence and $(VAR) expansion."""

from __future__ import annotations

import pytest

from kubelab import Cluster
from kubelab.api import Service
from kubelab.envvars import container_env, expand, from_services, mapping_for, service_env, services_for_pod
from kubelab.errors import NotFoundError
from tests import factories


def _svc(name, ip, ports, ns="default"):
    return Service.from_dict(factories.service(name, namespace=ns, selector={"bar": "baz"}, clusterIP=ip,
                                               ports=ports))


def test_from_services_upstream_table():
    # kubernetes pkg/kubelet/envvars/envvars_test.go TestFromServices (commit 729007a8), every case and the order
    services = [
        _svc("foo-bar", "1.2.3.4", [{"port": 8080, "protocol": "TCP"}]),
        _svc("abc-123", "5.6.7.8", [{"name": "u-d-p", "port": 8081, "protocol": "UDP"},
                                    {"name": "t-c-p", "port": 8081, "protocol": "TCP"}]),
        _svc("q-u-u-x", "9.8.7.6", [{"port": 8082, "protocol": "TCP"}, {"name": "8083", "port": 8083, "protocol": "TCP"}]),
        _svc("svrc-clusterip-none", "None", [{"port": 8082, "protocol": "TCP"}]),
        _svc("svrc-clusterip-empty", "", [{"port": 8082, "protocol": "TCP"}]),
        _svc("super-ipv6", "2001:DB8::", [{"name": "u-d-p", "port": 8084, "protocol": "UDP"},
                                          {"name": "t-c-p", "port": 8084, "protocol": "TCP"}]),
        _svc("sctp-1", "1.2.3.4", [{"port": 777, "protocol": "SCTP"}]),
    ]
    expected = [
        ("FOO_BAR_SERVICE_HOST", "1.2.3.4"), ("FOO_BAR_SERVICE_PORT", "8080"),
        ("FOO_BAR_PORT", "tcp://1.2.3.4:8080"), ("FOO_BAR_PORT_8080_TCP", "tcp://1.2.3.4:8080"),
        ("FOO_BAR_PORT_8080_TCP_PROTO", "tcp"), ("FOO_BAR_PORT_8080_TCP_PORT", "8080"),
        ("FOO_BAR_PORT_8080_TCP_ADDR", "1.2.3.4"),
        ("ABC_123_SERVICE_HOST", "5.6.7.8"), ("ABC_123_SERVICE_PORT", "8081"),
        ("ABC_123_SERVICE_PORT_U_D_P", "8081"), ("ABC_123_SERVICE_PORT_T_C_P", "8081"),
        ("ABC_123_PORT", "udp://5.6.7.8:8081"), ("ABC_123_PORT_8081_UDP", "udp://5.6.7.8:8081"),
        ("ABC_123_PORT_8081_UDP_PROTO", "udp"), ("ABC_123_PORT_8081_UDP_PORT", "8081"),
        ("ABC_123_PORT_8081_UDP_ADDR", "5.6.7.8"), ("ABC_123_PORT_8081_TCP", "tcp://5.6.7.8:8081"),
        ("ABC_123_PORT_8081_TCP_PROTO", "tcp"), ("ABC_123_PORT_8081_TCP_PORT", "8081"),
        ("ABC_123_PORT_8081_TCP_ADDR", "5.6.7.8"),
        ("Q_U_U_X_SERVICE_HOST", "9.8.7.6"), ("Q_U_U_X_SERVICE_PORT", "8082"),
        ("Q_U_U_X_SERVICE_PORT_8083", "8083"), ("Q_U_U_X_PORT", "tcp://9.8.7.6:8082"),
        ("Q_U_U_X_PORT_8082_TCP", "tcp://9.8.7.6:8082"), ("Q_U_U_X_PORT_8082_TCP_PROTO", "tcp"),
        ("Q_U_U_X_PORT_8082_TCP_PORT", "8082"), ("Q_U_U_X_PORT_8082_TCP_ADDR", "9.8.7.6"),
        ("Q_U_U_X_PORT_8083_TCP", "tcp://9.8.7.6:8083"), ("Q_U_U_X_PORT_8083_TCP_PROTO", "tcp"),
        ("Q_U_U_X_PORT_8083_TCP_PORT", "8083"), ("Q_U_U_X_PORT_8083_TCP_ADDR", "9.8.7.6"),
        ("SUPER_IPV6_SERVICE_HOST", "2001:DB8::"), ("SUPER_IPV6_SERVICE_PORT", "8084"),
        ("SUPER_IPV6_SERVICE_PORT_U_D_P", "8084"), ("SUPER_IPV6_SERVICE_PORT_T_C_P", "8084"),
        ("SUPER_IPV6_PORT", "udp://[2001:DB8::]:8084"), ("SUPER_IPV6_PORT_8084_UDP", "udp://[2001:DB8::]:8084"),
        ("SUPER_IPV6_PORT_8084_UDP_PROTO", "udp"), ("SUPER_IPV6_PORT_8084_UDP_PORT", "8084"),
        ("SUPER_IPV6_PORT_8084_UDP_ADDR", "2001:DB8::"), ("SUPER_IPV6_PORT_8084_TCP", "tcp://[2001:DB8::]:8084"),
        ("SUPER_IPV6_PORT_8084_TCP_PROTO", "tcp"), ("SUPER_IPV6_PORT_8084_TCP_PORT", "8084"),
        ("SUPER_IPV6_PORT_8084_TCP_ADDR", "2001:DB8::"),
        ("SCTP_1_SERVICE_HOST", "1.2.3.4"), ("SCTP_1_SERVICE_PORT", "777"),
        ("SCTP_1_PORT", "sctp://1.2.3.4:777"), ("SCTP_1_PORT_777_SCTP", "sctp://1.2.3.4:777"),
        ("SCTP_1_PORT_777_SCTP_PROTO", "sctp"), ("SCTP_1_PORT_777_SCTP_PORT", "777"),
        ("SCTP_1_PORT_777_SCTP_ADDR", "1.2.3.4"),
    ]
    assert from_services(services) == expected


# ---------------------------------------------------------------- which Services a pod sees
BASE = """
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: 10.96.0.20, ports: [{name: pg, port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: other, namespace: team}
spec: {clusterIP: 10.96.0.21, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: headless}
spec: {clusterIP: None, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: example.com}
---
apiVersion: v1
kind: Pod
metadata: {name: app}
spec: {containers: [{name: app, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: quiet}
spec: {enableServiceLinks: false, containers: [{name: app, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: t, namespace: team}
spec: {containers: [{name: app, image: busybox}]}
"""


@pytest.fixture
def cluster():
    return Cluster(BASE)


def _prefixes(env):
    return {k.split("_SERVICE_HOST")[0] for k in env if k.endswith("_SERVICE_HOST")}


def test_same_namespace_with_cluster_ip_only(cluster):
    # getServiceEnvVarMap: IsServiceIPSet drops headless and ExternalName Services; other namespaces are not seen
    assert _prefixes(service_env(cluster, cluster.pod("app"))) == {"KUBERNETES", "DB"}
    assert _prefixes(service_env(cluster, cluster.pod("t", "team"))) == {"KUBERNETES", "OTHER"}


def test_master_service_always_even_without_service_links(cluster):
    # kubelet_pods.go: "We always want to add environment variables for master services from the master
    # service namespace, even if enableServiceLinks is false."
    env = service_env(cluster, cluster.pod("quiet"))
    assert env == {
        "KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443",
        "KUBERNETES_SERVICE_PORT_HTTPS": "443", "KUBERNETES_PORT": "tcp://10.96.0.1:443",
        "KUBERNETES_PORT_443_TCP": "tcp://10.96.0.1:443", "KUBERNETES_PORT_443_TCP_PROTO": "tcp",
        "KUBERNETES_PORT_443_TCP_PORT": "443", "KUBERNETES_PORT_443_TCP_ADDR": "10.96.0.1"}


def test_same_namespace_kubernetes_service_overrides_master():
    # kubelet_pods.go getServiceEnvVarMap: a Service named "kubernetes" in the pod's namespace replaces the
    # master one (the master one is only added if the name is not yet taken)
    c = Cluster(BASE + """
---
apiVersion: v1
kind: Service
metadata: {name: kubernetes, namespace: team}
spec: {clusterIP: 10.96.0.99, ports: [{port: 8443}]}
---
apiVersion: v1
kind: Pod
metadata: {name: t2, namespace: team}
spec: {containers: [{name: app, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: t3, namespace: team}
spec: {enableServiceLinks: false, containers: [{name: app, image: busybox}]}
""")
    env = service_env(c, c.pod("t2", "team"))
    assert env["KUBERNETES_SERVICE_HOST"] == "10.96.0.99" and env["KUBERNETES_PORT"] == "tcp://10.96.0.99:8443"
    assert "KUBERNETES_SERVICE_PORT_HTTPS" not in env
    # without service links the local one is not considered at all: the master one stays
    assert service_env(c, c.pod("t3", "team"))["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"


def test_services_created_after_the_pod_are_not_seen(cluster):
    # kubelet reads its Service informer when it starts the container (makeEnvironmentVariables' note on the race)
    cluster.apply("""
apiVersion: v1
kind: Service
metadata: {name: late}
spec: {clusterIP: 10.96.0.30, ports: [{port: 80}]}
""")
    assert "LATE_SERVICE_HOST" not in service_env(cluster, cluster.pod("app"))
    cluster.apply("""
apiVersion: v1
kind: Pod
metadata: {name: restarted}
spec: {containers: [{name: app, image: busybox}]}
""")
    assert service_env(cluster, cluster.pod("restarted"))["LATE_SERVICE_HOST"] == "10.96.0.30"


def test_master_service_listed_first(cluster):
    assert [s.name for s in services_for_pod(cluster, cluster.pod("app"))] == ["kubernetes", "db"]


# ---------------------------------------------------------------- $(VAR) expansion
# third_party/forked/golang/expansion/expand_test.go doExpansionTest, every case
EXPANSION_CASES = [
    ("$(VAR_A)", "A"), ("$(VAR_A)-$(VAR_A)", "A-A"), ("$(VAR_A)-1", "A-1"), ("___$(VAR_B)___", "___B___"),
    ("___$(VAR_C)", "___C"), ("$(VAR_A)_$(VAR_B)_$(VAR_C)", "A_B_C"), ("$$(VAR_B)_$(VAR_A)", "$(VAR_B)_A"),
    ("$$(VAR_A)_$$(VAR_B)", "$(VAR_A)_$(VAR_B)"), ("f000-$$VAR_A", "f000-$VAR_A"),
    ("foo\\$(VAR_C)bar", "foo\\Cbar"), ("foo\\\\$(VAR_C)bar", "foo\\\\Cbar"),
    ("foo\\\\\\\\$(VAR_A)bar", "foo\\\\\\\\Abar"), ("$(VAR_A$(VAR_B))", "$(VAR_A$(VAR_B))"),
    ("$(VAR_A$(VAR_B)", "$(VAR_A$(VAR_B)"), ("$(VAR_REF)", "$(VAR_A)"),
    ("%%$(VAR_REF)--$(VAR_REF)%%", "%%$(VAR_A)--$(VAR_A)%%"), ("foo$(VAR_EMPTY)bar", "foobar"),
    ("foo$(VAR_Awhoops!", "foo$(VAR_Awhoops!"), ("f00__(VAR_A)__", "f00__(VAR_A)__"),
    ("$?_boo_$!", "$?_boo_$!"), ("$VAR_A", "$VAR_A"), ("$(VAR_DNE)", "$(VAR_DNE)"),
    ("$$$$$$(BIG_MONEY)", "$$$(BIG_MONEY)"), ("$$$$$$(VAR_A)", "$$$(VAR_A)"),
    ("$$$$$$$(GOOD_ODDS)", "$$$$(GOOD_ODDS)"), ("$$$$$$$(VAR_A)", "$$$A"), ("$VAR_A)", "$VAR_A)"),
    ("${VAR_A}", "${VAR_A}"), ("$(VAR_B)_______$(A", "B_______$(A"), ("$(VAR_C)_______$(", "C_______$("),
    ("$(VAR_A)foobarzab$", "Afoobarzab$"), ("foo-\\$(VAR_A", "foo-\\$(VAR_A"), ("--$($($($($--", "--$($($($($--"),
    ("$($($($($--foo$(", "$($($($($--foo$("), ("foo0--$($($($(", "foo0--$($($($("),
    ("$(foo$$var)", "$(foo$$var)"), ("\n", "\n"),
]


@pytest.mark.parametrize("value,expected", EXPANSION_CASES)
def test_expand_upstream_cases_single_and_dual_context(value, expected):
    single = mapping_for({"VAR_A": "A", "VAR_B": "B", "VAR_C": "C", "VAR_REF": "$(VAR_A)", "VAR_EMPTY": ""})
    dual = mapping_for({"VAR_A": "A", "VAR_EMPTY": ""}, {"VAR_B": "B", "VAR_C": "C", "VAR_REF": "$(VAR_A)"})
    assert expand(value, single) == expected
    assert expand(value, dual) == expected


def test_map_reference_chain():
    # expand_test.go TestMapReference: each value sees the already expanded earlier ones
    declared = {"FOO": "bar", "ZOO": "$(FOO)-1", "BLU": "$(ZOO)-2"}
    mapping = mapping_for(declared, {})
    for name in ("FOO", "ZOO", "BLU"):
        declared[name] = expand(declared[name], mapping)
    assert declared == {"FOO": "bar", "ZOO": "bar-1", "BLU": "bar-1-2"}


# ---------------------------------------------------------------- the container's environment
ENV_POD = BASE + """
---
apiVersion: v1
kind: Pod
metadata: {name: envy, labels: {tier: web}}
spec:
  containers:
  - name: app
    image: busybox
    env:
    - {name: LATER, value: "$(EARLY)"}
    - {name: EARLY, value: early}
    - {name: DB_URL, value: "postgres://$(DB_SERVICE_HOST):$(DB_SERVICE_PORT_PG)/x"}
    - {name: DB_SERVICE_HOST, value: "$(DB_SERVICE_HOST)-mine"}
    - {name: AFTER, value: "$(DB_SERVICE_HOST)"}
    - {name: ESCAPED, value: "$$(DB_SERVICE_HOST)"}
    - {name: UNKNOWN, value: "$(NOPE)"}
    - {name: EMPTY}
    - {name: MY_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: TIER, valueFrom: {fieldRef: {fieldPath: "metadata.labels['tier']"}}}
    - {name: SECRET, valueFrom: {secretKeyRef: {name: s, key: k}}}
  - name: sidecar
    image: busybox
"""


def test_container_env_precedence_and_expansion():
    c = Cluster(ENV_POD)
    pod = c.pod("envy")
    env = container_env(c, pod, "app")
    assert env["LATER"] == "$(EARLY)"  # only earlier declarations are visible
    assert env["EARLY"] == "early"
    assert env["DB_URL"] == "postgres://10.96.0.20:5432/x"  # service variables are visible
    assert env["DB_SERVICE_HOST"] == "10.96.0.20-mine"  # declared wins; its own expansion still saw the service one
    assert env["AFTER"] == "10.96.0.20-mine"  # later references see the declared value
    assert env["ESCAPED"] == "$(DB_SERVICE_HOST)"
    assert env["UNKNOWN"] == "$(NOPE)"
    assert env["EMPTY"] == ""
    assert env["MY_IP"] == pod.status.pod_ip and env["TIER"] == "web"
    assert "SECRET" not in env  # not modelled
    assert env["DB_SERVICE_PORT"] == "5432" and env["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"
    assert list(env)[:3] == ["LATER", "EARLY", "DB_URL"]  # declared first, in order
    side = container_env(c, pod, "sidecar")
    assert side == service_env(c, pod)


def test_container_env_unknown_container():
    c = Cluster(ENV_POD)
    with pytest.raises(NotFoundError, match='container "nope" not found in pod default/envy'):
        container_env(c, c.pod("envy"), "nope")
