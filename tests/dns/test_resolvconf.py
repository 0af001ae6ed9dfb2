"""kubelab.dns.resolvconf: kubelet's GetPodDNS per dnsPolicy, dnsConfig merging, limits, parseResolvConf."""

from __future__ import annotations

import pytest

from kubelab import Cluster
from kubelab.api import Pod
from kubelab.dns import parse_resolv_conf, pod_dns_type, pod_resolv_conf
from kubelab.dns.resolvconf import NODE_RESOLV_CONF
from tests import factories


def _pod(policy=None, host_network=False, dns_config=None, ns="testns"):
    spec = {}
    if policy:
        spec["dnsPolicy"] = policy
    if host_network:
        spec["hostNetwork"] = True
    if dns_config:
        spec["dnsConfig"] = dns_config
    pod = Pod.from_dict(factories.pod("test-pod", namespace=ns, container="c", image="busybox", **spec))
    pod.default()
    return pod


def test_default_cluster_first_file():
    c = Cluster()
    assert pod_resolv_conf(c, _pod(ns="default")).text() == (
        "search default.svc.cluster.local svc.cluster.local cluster.local\n"
        "nameserver 10.96.0.10\n"
        "options ndots:5\n")


@pytest.mark.parametrize("policy,host_network,expected", [
    # dns_test.go TestGetPodDNSType (the valid cases)
    ("ClusterFirst", False, "cluster"),
    ("ClusterFirstWithHostNet", True, "cluster"),
    ("ClusterFirstWithHostNet", False, "cluster"),
    ("Default", False, "host"),
    ("Default", True, "host"),
    ("ClusterFirst", True, "host"),  # fallback to Default on the host network
])
def test_pod_dns_type(policy, host_network, expected):
    assert pod_dns_type(_pod(policy, host_network)) == expected


# dns_test.go TestGetPodDNSCustom: node file "nameserver 8.8.8.8 / search host.domain", cluster domain
# kubernetes.io, cluster DNS 10.0.0.10 (the tenth address of a 10.0.0.0/24 service range here)
HOST_FILE = "nameserver 8.8.8.8\nsearch host.domain\n"
CUSTOM = {"nameservers": ["10.0.0.11"], "searches": ["my.domain"],
          "options": [{"name": "ndots", "value": "3"}, {"name": "debug"}]}


@pytest.fixture
def custom_cluster():
    return Cluster(service_cidrs="10.0.0.0/24", cluster_domain="kubernetes.io")


@pytest.mark.parametrize("policy,host_network,config,servers,searches,options", [
    ("None", False, {"nameservers": ["203.0.113.1"], "searches": ["my.domain", "second.domain"],
                     "options": [{"name": "ndots", "value": "3"}, {"name": "debug"}]},
     ["203.0.113.1"], ["my.domain", "second.domain"], {"ndots:3", "debug"}),
    ("ClusterFirst", False, CUSTOM, ["10.0.0.10", "10.0.0.11"],
     ["testns.svc.kubernetes.io", "svc.kubernetes.io", "kubernetes.io", "host.domain", "my.domain"],
     {"ndots:3", "debug"}),
    ("ClusterFirstWithHostNet", True, CUSTOM, ["10.0.0.10", "10.0.0.11"],
     ["testns.svc.kubernetes.io", "svc.kubernetes.io", "kubernetes.io", "host.domain", "my.domain"],
     {"ndots:3", "debug"}),
    ("Default", False, CUSTOM, ["8.8.8.8", "10.0.0.11"], ["host.domain", "my.domain"], {"ndots:3", "debug"}),
])
def test_get_pod_dns_custom(custom_cluster, policy, host_network, config, servers, searches, options):
    conf = pod_resolv_conf(custom_cluster, _pod(policy, host_network, config), node_resolv_conf=HOST_FILE)
    assert conf.nameservers == servers
    assert conf.searches == searches
    assert set(conf.options) == options  # upstream: "Options order may be changed after conversion"


def test_default_policy_uses_the_kind_node_file():
    c = Cluster()
    conf = pod_resolv_conf(c, _pod("Default"))
    assert conf.text() == NODE_RESOLV_CONF == "nameserver 172.18.0.1\noptions ndots:0\n"
    # ClusterFirst drops the node's options (ndots:0) for its own ndots:5
    assert pod_resolv_conf(c, _pod()).options == ["ndots:5"]
    # hostNetwork + ClusterFirst: the node's file
    assert pod_resolv_conf(c, _pod("ClusterFirst", host_network=True)).nameservers == ["172.18.0.1"]


def test_merge_options_override_and_append(custom_cluster):
    # dns_test.go TestMergeDNSOptions "Overwrite duplicated entries"
    cfg = {"options": [{"name": "ndots", "value": "3"}, {"name": "debug"}, {"name": "single-request"},
                       {"name": "attempts", "value": "3"}]}
    conf = pod_resolv_conf(custom_cluster, _pod(dns_config=cfg), node_resolv_conf=HOST_FILE)
    assert conf.options == ["ndots:3", "debug", "single-request", "attempts:3"]
    assert conf.ndots == 3


def test_nameserver_limit_three(custom_cluster):
    # dns_test.go TestFormDNSNameserversFitsLimits "invalid: 4 nameservers, trimmed to 3" (dnsConfig adds them
    # after the cluster DNS)
    cfg = {"nameservers": ["127.0.0.1", "8.8.8.8", "1.2.3.4"]}
    conf = pod_resolv_conf(custom_cluster, _pod(dns_config=cfg))
    assert conf.nameservers == ["10.0.0.10", "127.0.0.1", "8.8.8.8"]
    assert conf.warnings == ["DNSConfigForming: Nameserver limits were exceeded, some nameservers have been "
                             "omitted, the applied nameserver line is: 10.0.0.10 127.0.0.1 8.8.8.8"]


def test_search_limits_32_paths_and_2048_chars(custom_cluster):
    # dns.go formDNSSearchFitsLimits with MaxDNSSearchPaths 32 / MaxDNSSearchListChars 2048 (ExpandedDNSConfig)
    many = [f"d{i}.example" for i in range(40)]
    conf = pod_resolv_conf(custom_cluster, _pod(dns_config={"searches": many}))
    assert len(conf.searches) == 32 and conf.searches[3] == "d0.example"
    assert conf.warnings[0].startswith("DNSConfigForming: Search Line limits were exceeded")
    long = ["a" * 63 + "." + "b" * 63 + "." + "c" * 63 + f".x{i}" for i in range(12)]  # 12 x ~195 chars
    conf = pod_resolv_conf(custom_cluster, _pod(dns_config={"searches": long}))
    assert len(" ".join(conf.searches)) <= 2048
    assert conf.searches[:3] == ["testns.svc.kubernetes.io", "svc.kubernetes.io", "kubernetes.io"]
    assert len(conf.searches) == 3 + 10


@pytest.mark.parametrize("data,ns,search,opts", [
    # dns_test.go TestParseResolvConf (the cases that parse)
    ("", [], [], []), (" ", [], [], []), ("\n", [], [], []), ("\t\n\t", [], [], []), ("#comment\n", [], [], []),
    (" #comment\n", [], [], []), ("#comment\n#comment", [], [], []),
    ("#comment\nnameserver 1.2.3.4\nsearch", ["1.2.3.4"], [], []),
    ("nameserver 1.2.3.4", ["1.2.3.4"], [], []), (" nameserver 1.2.3.4", ["1.2.3.4"], [], []),
    ("\tnameserver 1.2.3.4", ["1.2.3.4"], [], []), ("nameserver\t1.2.3.4", ["1.2.3.4"], [], []),
    ("nameserver \t 1.2.3.4", ["1.2.3.4"], [], []),
    ("nameserver 1.2.3.4\nnameserver 5.6.7.8", ["1.2.3.4", "5.6.7.8"], [], []),
    ("nameserver 1.2.3.4 #comment", ["1.2.3.4"], [], []),
    ("search ", [], [], []), ("search .", [], [], []), ("search foo", [], ["foo"], []),
    ("search foo bar", [], ["foo", "bar"], []), ("search foo. bar", [], ["foo", "bar"], []),
    ("search foo bar bat\n", [], ["foo", "bar", "bat"], []), ("search foo\nsearch bar", [], ["bar"], []),
    ("nameserver 1.2.3.4\nsearch foo bar", ["1.2.3.4"], ["foo", "bar"], []),
    ("nameserver 1.2.3.4\nsearch foo\nnameserver 5.6.7.8\nsearch bar", ["1.2.3.4", "5.6.7.8"], ["bar"], []),
    ("#comment\nnameserver 1.2.3.4\n#comment\nsearch foo\ncomment", ["1.2.3.4"], ["foo"], []),
    ("options ", [], [], []), ("options ndots:5 attempts:2", [], [], ["ndots:5", "attempts:2"]),
    ("options ndots:1\noptions ndots:5 attempts:3", [], [], ["ndots:5", "attempts:3"]),
    ("nameserver 1.2.3.4\nsearch foo\nnameserver 5.6.7.8\nsearch bar\noptions ndots:5 attempts:4",
     ["1.2.3.4", "5.6.7.8"], ["bar"], ["ndots:5", "attempts:4"]),
])
def test_parse_resolv_conf(data, ns, search, opts):
    assert parse_resolv_conf(data) == (ns, search, opts)
