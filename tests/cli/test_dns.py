"""``kubelab dns`` and ``kubelab resolv-conf``: exact lines, search-list expansion, JSON, exit codes."""

from __future__ import annotations

import json

import pytest

APP = """
apiVersion: v1
kind: Namespace
metadata: {name: ops}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: 10.96.100.12, ports: [{name: pg, port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: example.com}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: host, namespace: ops}
spec: {hostNetwork: true, containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: crowded}
spec:
  dnsPolicy: None
  dnsConfig:
    nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9]
    searches: [corp.example]
    options: [{name: ndots, value: "2"}, {name: edns0}]
  containers: [{name: c, image: busybox}]
"""


@pytest.fixture
def app(manifest):
    return manifest("app.yaml", APP)


def test_direct_a_answer(kubelab, app):
    r = kubelab("dns", "db.default.svc.cluster.local", "-f", app)
    assert (r.code, r.out, r.err) == (0, "db.default.svc.cluster.local. 30 IN A 10.96.100.12\n", "")


def test_srv_and_ptr_from_an_ip(kubelab, app):
    r = kubelab("dns", "_pg._tcp.db.default.svc.cluster.local", "--type", "SRV", "-f", app)
    assert r.out == "_pg._tcp.db.default.svc.cluster.local. 30 IN SRV 0 100 5432 db.default.svc.cluster.local.\n"
    r = kubelab("dns", "10.96.100.12", "-t", "ptr", "-f", app)
    assert (r.code, r.out) == (0, "12.100.96.10.in-addr.arpa. 30 IN PTR db.default.svc.cluster.local.\n")


def test_txt_dns_version(kubelab, app):
    r = kubelab("dns", "dns-version.cluster.local", "--type", "TXT", "-f", app)
    assert r.out == 'dns-version.cluster.local. 28800 IN TXT "1.1.0"\n'


def test_negative_answers_exit_1(kubelab, app):
    r = kubelab("dns", "nope.default.svc.cluster.local", "-f", app)
    assert (r.code, r.out) == (1, ";; status: NXDOMAIN\n")
    r = kubelab("dns", "db.default.svc.cluster.local", "--type", "AAAA", "-f", app)
    assert (r.code, r.out) == (1, ";; status: NODATA\n")


def test_external_name_with_upstream(kubelab, app):
    r = kubelab("dns", "ext.default.svc.cluster.local", "-f", app, "--upstream", "example.com=93.184.215.14")
    assert r.out.splitlines() == ["ext.default.svc.cluster.local. 30 IN CNAME example.com.",
                                  "example.com. 30 IN A 93.184.215.14"]


def test_from_pod_search_list_leak(kubelab, app):
    r = kubelab("dns", "example.com", "--from", "client", "-f", app, "--upstream", "example.com=93.184.215.14")
    assert r.code == 0
    assert r.out.splitlines() == [
        ";; search: default.svc.cluster.local svc.cluster.local cluster.local (ndots:5, nameserver 10.96.0.10)",
        ";; query 1: example.com.default.svc.cluster.local. A -> NXDOMAIN",
        ";; query 2: example.com.svc.cluster.local. A -> NXDOMAIN",
        ";; query 3: example.com.cluster.local. A -> NXDOMAIN",
        ";; query 4: example.com. A -> NOERROR (upstream)",
        "example.com. 30 IN A 93.184.215.14"]


def test_from_pod_short_name_and_failure(kubelab, app):
    r = kubelab("dns", "db", "--from", "default/client", "-f", app)
    assert r.out.splitlines()[1:] == [";; query 1: db.default.svc.cluster.local. A -> NOERROR",
                                      "db.default.svc.cluster.local. 30 IN A 10.96.100.12"]
    r = kubelab("dns", "db", "--from", "client", "--type", "AAAA", "-f", app)
    assert r.code == 1 and r.out.splitlines()[-1] == ";; status: NODATA"
    assert len([line for line in r.out.splitlines() if line.startswith(";; query")]) == 4


def test_from_host_network_pod_uses_the_node_resolver(kubelab, app):
    r = kubelab("dns", "db.default.svc.cluster.local", "--from", "ops/host", "-f", app)
    assert r.code == 1
    assert r.out.splitlines() == [";; search: (none) (ndots:0, nameserver 172.18.0.1)",
                                  ";; query 1: db.default.svc.cluster.local. A -> NXDOMAIN (upstream)",
                                  ";; status: NXDOMAIN"]


def test_from_json(kubelab, app):
    doc = json.loads(kubelab("dns", "db", "--from", "client", "-f", app, "-o", "json").out)
    assert doc["pod"] == "default/client" and doc["status"] == "NOERROR"
    assert [q["name"] for q in doc["queries"]] == ["db.default.svc.cluster.local."]
    assert doc["answer"][0]["data"] == "10.96.100.12"
    assert doc["resolvConf"]["ndots"] == 5


def test_direct_json(kubelab, app):
    r = kubelab("dns", "nope.default.svc.cluster.local", "-f", app, "-o", "json")
    doc = json.loads(r.out)
    assert r.code == 1 and (doc["rcode"], doc["status"], doc["answer"]) == ("NXDOMAIN", "NXDOMAIN", [])


def test_usage_errors_exit_2(kubelab, app):
    r = kubelab("dns", "x", "--from", "nope", "-f", app)
    assert (r.code, r.err) == (2, 'error: --from "nope": pods "nope" not found\n')
    r = kubelab("dns", "x", "--upstream", "oops", "-f", app)
    assert r.code == 2 and r.err.startswith('error: --upstream "oops": expected NAME=ANSWER')
    assert kubelab("dns", "x", "--type", "HINFO", "-f", app).code == 2
    assert kubelab("dns", "x").code == 2  # no -f


def test_resolv_conf(kubelab, app):
    r = kubelab("resolv-conf", "client", "-f", app)
    assert (r.code, r.err) == (0, "")
    assert r.out == ("search default.svc.cluster.local svc.cluster.local cluster.local\n"
                     "nameserver 10.96.0.10\noptions ndots:5\n")
    r = kubelab("resolv-conf", "ops/host", "-f", app)
    assert r.out == "nameserver 172.18.0.1\noptions ndots:0\n"
    r = kubelab("resolv-conf", "crowded", "-f", app)
    assert r.out == ("search corp.example\nnameserver 1.1.1.1\nnameserver 8.8.8.8\nnameserver 9.9.9.9\n"
                     "options ndots:2 edns0\n")


def test_resolv_conf_json_and_missing(kubelab, app):
    doc = json.loads(kubelab("resolv-conf", "client", "-f", app, "-o", "json").out)
    assert doc["nameservers"] == ["10.96.0.10"] and doc["policy"] == "ClusterFirst" and doc["warnings"] == []
    r = kubelab("resolv-conf", "nope", "-f", app)
    assert (r.code, r.err) == (1, 'Error from server (NotFound): pods "nope" not found\n')
