"""kubelab.dns.records: CoreDNS's kubernetes plugin under kubeadm's Corefile, against the DNS spec's examples."""

from __future__ import annotations

import pytest

from kubelab import Cluster
from kubelab.dns import ClusterDNS, endpoint_hostname, query, reverse_name
from kubelab.errors import KubelabError

# kubernetes/dns docs/specification.md (schema 1.1.0): its examples use a 10.3.0.0/16 service range, so that
# kubernetes.default is 10.3.0.1; a headless Service with ready endpoints, pets with hostnames, an ExternalName.
SPEC = """
apiVersion: v1
kind: Service
metadata: {name: headless}
spec: {clusterIP: None, ports: [{name: https, port: 443}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: headless-abc, labels: {kubernetes.io/service-name: headless}}
addressType: IPv4
ports: [{name: https, port: 443, protocol: TCP}]
endpoints:
- {addresses: [10.3.0.100], hostname: my-pet}
- {addresses: [10.3.0.101], hostname: my-pet-2}
- {addresses: [10.3.0.102]}
- {addresses: [10.3.0.103], conditions: {ready: false}, hostname: sick}
---
apiVersion: v1
kind: Service
metadata: {name: foo}
spec: {type: ExternalName, externalName: www.example.com}
"""


@pytest.fixture
def spec():
    return ClusterDNS(Cluster(SPEC, service_cidrs="10.3.0.0/16"), upstream={"www.example.com": "192.0.2.53"})


def lines(answer):
    return answer.lines()


def test_spec_2_2_dns_version_record(spec):
    # spec 2.2 Schema Version Record; CoreDNS answers it with TTL 28800
    a = spec.query("dns-version.cluster.local", "TXT")
    assert lines(a) == ['dns-version.cluster.local. 28800 IN TXT "1.1.0"']


def test_spec_2_3_1_cluster_ip_a_record(spec):
    assert lines(spec.query("kubernetes.default.svc.cluster.local.")) == [
        "kubernetes.default.svc.cluster.local. 30 IN A 10.3.0.1"]


def test_spec_2_3_2_srv_named_port(spec):
    # spec answer example "... IN SRV 10 100 443 kubernetes.default.svc.cluster.local."; CoreDNS: priority 0,
    # weight 100 (one target)
    a = spec.query("_https._tcp.kubernetes.default.svc.cluster.local.", "SRV")
    assert lines(a) == ["_https._tcp.kubernetes.default.svc.cluster.local. 30 IN SRV 0 100 443 "
                        "kubernetes.default.svc.cluster.local."]
    assert [r.line() for r in a.extra] == ["kubernetes.default.svc.cluster.local. 30 IN A 10.3.0.1"]


def test_spec_2_3_3_ptr_cluster_ip(spec):
    a = spec.query("1.0.3.10.in-addr.arpa.", "PTR")
    assert lines(a) == ["1.0.3.10.in-addr.arpa. 30 IN PTR kubernetes.default.svc.cluster.local."]


def test_spec_2_4_1_headless_a_ready_endpoints_only(spec):
    a = spec.query("headless.default.svc.cluster.local.")
    assert lines(a) == ["headless.default.svc.cluster.local. 30 IN A 10.3.0.100",
                        "headless.default.svc.cluster.local. 30 IN A 10.3.0.101",
                        "headless.default.svc.cluster.local. 30 IN A 10.3.0.102"]
    assert lines(spec.query("my-pet.headless.default.svc.cluster.local.")) == [
        "my-pet.headless.default.svc.cluster.local. 30 IN A 10.3.0.100"]
    # an endpoint without hostname is known by its dashed IP (CoreDNS endpointHostname)
    assert lines(spec.query("10-3-0-102.headless.default.svc.cluster.local.")) == [
        "10-3-0-102.headless.default.svc.cluster.local. 30 IN A 10.3.0.102"]
    # not ready: not published
    assert spec.query("sick.headless.default.svc.cluster.local.").status == "NXDOMAIN"


def test_spec_2_4_2_headless_srv_one_per_endpoint_weight_floor_100_over_n(spec):
    # plugin/backend_lookup.go SRV: weight = floor(100/N) for N targets of equal priority
    a = spec.query("_https._tcp.headless.default.svc.cluster.local.", "SRV")
    assert lines(a) == [
        "_https._tcp.headless.default.svc.cluster.local. 30 IN SRV 0 33 443 my-pet.headless.default.svc.cluster.local.",
        "_https._tcp.headless.default.svc.cluster.local. 30 IN SRV 0 33 443 my-pet-2.headless.default.svc.cluster.local.",
        "_https._tcp.headless.default.svc.cluster.local. 30 IN SRV 0 33 443 10-3-0-102.headless.default.svc.cluster.local."]
    assert [r.line() for r in a.extra][0] == "my-pet.headless.default.svc.cluster.local. 30 IN A 10.3.0.100"


def test_spec_2_4_3_ptr_headless_endpoint(spec):
    a = spec.query("100.0.3.10.in-addr.arpa.", "PTR")
    assert lines(a) == ["100.0.3.10.in-addr.arpa. 30 IN PTR my-pet.headless.default.svc.cluster.local."]


def test_spec_2_5_external_name_cname_then_upstream(spec):
    a = spec.query("foo.default.svc.cluster.local.")
    assert lines(a) == ["foo.default.svc.cluster.local. 30 IN CNAME www.example.com.",
                        "www.example.com. 30 IN A 192.0.2.53"]
    assert lines(spec.query("foo.default.svc.cluster.local.", "CNAME")) == [
        "foo.default.svc.cluster.local. 30 IN CNAME www.example.com."]
    # SRV leaves ExternalName out (kubernetes.go Services): the name exists, so NODATA
    assert spec.query("foo.default.svc.cluster.local.", "SRV").status == "NODATA"
    assert spec.query("_https._tcp.foo.default.svc.cluster.local.", "SRV").status == "NXDOMAIN"


def test_spec_2_6_pod_records_insecure(spec):
    assert lines(spec.query("10-244-1-9.default.pod.cluster.local.")) == [
        "10-244-1-9.default.pod.cluster.local. 30 IN A 10.244.1.9"]
    assert spec.query("10-244-1-9.nosuchns.pod.cluster.local.").status == "NXDOMAIN"
    assert spec.query("not-an-ip.default.pod.cluster.local.").status == "NXDOMAIN"


# ---------------------------------------------------------------- a cluster with pods and Services
APP = """
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}}
spec: {containers: [{name: c, image: nginx, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, labels: {app: web}}
spec: {containers: [{name: c, image: nginx, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: 10.96.100.10
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}, {name: https, port: 443, targetPort: 8080}, {name: metrics, port: 9000}]
---
apiVersion: v1
kind: Service
metadata: {name: plain}
spec: {clusterIP: 10.96.100.11, selector: {app: web}, ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{name: pg, port: 5432}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, labels: {app: db}}
spec: {hostname: db-0, subdomain: db, containers: [{name: c, image: postgres}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-1, labels: {app: db}}
spec: {hostname: db-1, subdomain: db, containers: [{name: c, image: postgres}]}
status: {phase: Running, podIP: 10.244.2.50, conditions: [{type: Ready, status: "False"}]}
---
apiVersion: v1
kind: Service
metadata: {name: lonely}
spec: {clusterIP: None, selector: {app: nobody}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: eager}
spec: {clusterIP: None, publishNotReadyAddresses: true, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: alias}
spec: {type: ExternalName, externalName: web.default.svc.cluster.local}
---
apiVersion: v1
kind: Service
metadata: {name: dangling}
spec: {type: ExternalName, externalName: gone.default.svc.cluster.local}
"""


@pytest.fixture
def cluster():
    return Cluster(APP)


@pytest.fixture
def dns(cluster):
    return ClusterDNS(cluster)


def test_cluster_ip_service_any_case_keeps_question_spelling(dns):
    assert lines(dns.query("WEB.Default.SVC.cluster.local")) == ["WEB.Default.SVC.cluster.local. 30 IN A 10.96.100.10"]


def test_aaaa_of_ipv4_service_is_nodata(dns):
    a = dns.query("web.default.svc.cluster.local", "AAAA")
    assert (a.rcode, a.status, a.records) == ("NOERROR", "NODATA", [])


def test_nxdomain_cases(dns):
    for name in ("nope.default.svc.cluster.local", "web.nosuchns.svc.cluster.local", "web.default.foo.cluster.local",
                 "a.b.web.default.svc.cluster.local", "lonely.default.svc.cluster.local"):
        assert dns.query(name).status == "NXDOMAIN", name


def test_nodata_cases(dns):
    for name in ("cluster.local", "svc.cluster.local", "default.svc.cluster.local", "pod.cluster.local"):
        assert dns.query(name).status == "NODATA", name
    # TXT is answered only for dns-version: anything else is NODATA, existing or not
    assert dns.query("nope.default.svc.cluster.local", "TXT").status == "NODATA"
    # an unmodelled type gets CoreDNS's fake-A decision
    assert dns.query("web.default.svc.cluster.local", "HINFO").status == "NODATA"
    assert dns.query("nope.default.svc.cluster.local", "HINFO").status == "NXDOMAIN"


def test_srv_bare_service_name_lists_every_port(dns):
    # parse.go: no _port._proto labels means any port, named or not
    a = dns.query("web.default.svc.cluster.local", "SRV")
    assert lines(a) == ["web.default.svc.cluster.local. 30 IN SRV 0 33 80 web.default.svc.cluster.local.",
                        "web.default.svc.cluster.local. 30 IN SRV 0 33 443 web.default.svc.cluster.local.",
                        "web.default.svc.cluster.local. 30 IN SRV 0 33 9000 web.default.svc.cluster.local."]
    assert [r.line() for r in a.extra] == ["web.default.svc.cluster.local. 30 IN A 10.96.100.10"]
    assert dns.query("_http._udp.web.default.svc.cluster.local", "SRV").status == "NXDOMAIN"
    # an unnamed port has no _port name: only the bare-name query finds it
    assert lines(dns.query("plain.default.svc.cluster.local", "SRV")) == [
        "plain.default.svc.cluster.local. 30 IN SRV 0 100 8080 plain.default.svc.cluster.local."]
    assert dns.query("_8080._tcp.plain.default.svc.cluster.local", "SRV").status == "NXDOMAIN"


def test_headless_service_from_pods(cluster, dns):
    db0 = cluster.pod("db-0").status.pod_ip
    assert lines(dns.query("db.default.svc.cluster.local")) == [f"db.default.svc.cluster.local. 30 IN A {db0}"]
    assert lines(dns.query("db-0.db.default.svc.cluster.local")) == [f"db-0.db.default.svc.cluster.local. 30 IN A {db0}"]
    assert dns.query("db-1.db.default.svc.cluster.local").status == "NXDOMAIN"  # not ready
    srv = dns.query("_pg._tcp.db.default.svc.cluster.local", "SRV")
    assert lines(srv) == ["_pg._tcp.db.default.svc.cluster.local. 30 IN SRV 0 100 5432 db-0.db.default.svc.cluster.local."]


def test_publish_not_ready_addresses(cluster, dns):
    got = {r.data for r in dns.query("eager.default.svc.cluster.local").records}
    assert got == {cluster.pod("db-0").status.pod_ip, "10.244.2.50"}


def test_endpoint_names_of_a_cluster_ip_service(cluster, dns):
    # CoreDNS answers <endpoint>.<svc> for ClusterIP Services too (findServices: r.endpoint != "")
    ip = cluster.pod("web-1").status.pod_ip
    name = f"{ip.replace('.', '-')}.web.default.svc.cluster.local"
    assert lines(dns.query(name)) == [f"{name}. 30 IN A {ip}"]
    # PTR: one per Service the address backs (web and plain here), in EndpointSlice order
    ptr = dns.query(reverse_name(ip), "PTR")
    assert lines(ptr) == [f"{reverse_name(ip)} 30 IN PTR {name}.",
                          f"{reverse_name(ip)} 30 IN PTR {name.replace('.web.', '.plain.')}."]


def test_external_name_inside_the_zone_is_followed(dns):
    assert lines(dns.query("alias.default.svc.cluster.local")) == [
        "alias.default.svc.cluster.local. 30 IN CNAME web.default.svc.cluster.local.",
        "web.default.svc.cluster.local. 30 IN A 10.96.100.10"]
    # a CNAME into the zone that leads nowhere is dropped: NODATA
    assert dns.query("dangling.default.svc.cluster.local").status == "NODATA"


def test_ptr_unknown_address_falls_through_to_upstream(dns):
    a = dns.query("7.7.7.7.in-addr.arpa", "PTR")
    assert (a.status, a.source) == ("NXDOMAIN", "upstream")
    b = ClusterDNS(dns.cluster, {"7.7.7.7.in-addr.arpa": "PTR seven.example."}).query("7.7.7.7.in-addr.arpa", "PTR")
    assert lines(b) == ["7.7.7.7.in-addr.arpa. 30 IN PTR seven.example."]


def test_outside_names_go_upstream(cluster):
    dns = ClusterDNS(cluster, {"example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
                               "www.example.com": "CNAME example.com"})
    assert lines(dns.query("www.example.com")) == ["www.example.com. 30 IN CNAME example.com.",
                                                    "example.com. 30 IN A 93.184.215.14"]
    assert dns.query("example.com", "AAAA").records[0].data == "2606:2800:21f:cb07:6820:80da:af6b:8b2c"
    assert dns.query("example.com", "MX").status == "NODATA"
    assert dns.query("example.org").status == "NXDOMAIN"
    cluster.upstream = {"example.org": "203.0.113.7"}  # a table set on the cluster is used by default
    assert query(cluster, "example.org").records[0].data == "203.0.113.7"


def test_pods_verified_and_disabled():
    c = Cluster(APP, dns_pods="verified")
    ip = c.pod("web-1").status.pod_ip
    name = ip.replace(".", "-")
    assert query(c, f"{name}.default.pod.cluster.local").records[0].data == ip
    assert query(c, f"{name}.kube-system.pod.cluster.local").status == "NXDOMAIN"  # wrong namespace
    assert query(c, "10-244-9-9.default.pod.cluster.local").status == "NXDOMAIN"  # no such pod
    d = Cluster(APP, dns_pods="disabled")
    assert query(d, f"{name}.default.pod.cluster.local").status == "NXDOMAIN"


def test_ns_records(dns):
    assert lines(dns.query("ns.dns.cluster.local")) == ["ns.dns.cluster.local. 30 IN A 10.96.0.10"]
    a = dns.query("cluster.local", "NS")
    assert lines(a) == ["cluster.local. 30 IN NS kube-dns.kube-system.svc.cluster.local."]


def test_answers_follow_cluster_changes(cluster, dns):
    assert dns.query("late.default.svc.cluster.local").status == "NXDOMAIN"
    cluster.apply("""
apiVersion: v1
kind: Service
metadata: {name: late}
spec: {clusterIP: 10.96.100.77, ports: [{port: 80}]}
""")
    assert dns.query("late.default.svc.cluster.local").records[0].data == "10.96.100.77"
    cluster.delete("svc", "late")
    assert dns.query("late.default.svc.cluster.local").status == "NXDOMAIN"


def test_cluster_domain_setting():
    c = Cluster(cluster_domain="corp.example")
    assert lines(query(c, "kubernetes.default.svc.corp.example")) == [
        "kubernetes.default.svc.corp.example. 30 IN A 10.96.0.1"]
    assert query(c, "kubernetes.default.svc.cluster.local").source == "upstream"


def test_dual_stack_service_a_and_aaaa_and_srv_weight():
    c = Cluster("""
apiVersion: v1
kind: Service
metadata: {name: ds}
spec: {clusterIPs: [10.96.0.50, "fd00:10:96::50"], ipFamilyPolicy: RequireDualStack, ipFamilies: [IPv4, IPv6],
       ports: [{name: http, port: 80}]}
""", service_cidrs=["10.96.0.0/12", "fd00:10:96::/112"])
    assert lines(query(c, "ds.default.svc.cluster.local", "AAAA")) == ["ds.default.svc.cluster.local. 30 IN AAAA fd00:10:96::50"]
    srv = query(c, "_http._tcp.ds.default.svc.cluster.local", "SRV")
    # two hits (one per ClusterIP) share one target: a single SRV whose weight is still 100/2
    assert lines(srv) == ["_http._tcp.ds.default.svc.cluster.local. 30 IN SRV 0 50 80 ds.default.svc.cluster.local."]
    assert [r.type for r in srv.extra] == ["A", "AAAA"]
    assert lines(query(c, reverse_name("fd00:10:96::50"), "PTR")) == [
        f"{reverse_name('fd00:10:96::50')} 30 IN PTR ds.default.svc.cluster.local."]


def test_endpoint_hostname_ipv6():
    assert endpoint_hostname("fd00::", None) == "fd00--0"
    assert endpoint_hostname("2001:db8::1", None) == "2001-db8--1"


def test_bad_type():
    with pytest.raises(KubelabError):
        query(Cluster(), "x", "A-A")
