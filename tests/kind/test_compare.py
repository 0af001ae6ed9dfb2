"""kubelab.kind.compare: the model against a (fake) live cluster, and planted differences it must report."""

from __future__ import annotations

from kubernetes import client as k8s

from kubelab import Cluster
from kubelab.proxy.rendering import render_rules
from kubelab.kind import MANAGED_BY_LABEL, RUN_ID_LABEL, compare
from kubelab.kind.compare import compare_dns, compare_iptables, parse_nslookup, service_jumps
from kubelab.kind.client import read_live

from .fake import fake_context, live_objects

MODEL = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}}
spec: {containers: [{name: c, image: nginx, env: [{name: DB, value: "$(DB_SERVICE_HOST):5432"}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, labels: {app: web}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, labels: {app: db}}
spec: {containers: [{name: c, image: postgres}]}
"""


def _find(objs, kind, name):
    return next(o for o in objs if type(o).__name__ == f"V1{kind}" and o.metadata.name == name)


def test_same_cluster_no_differences():
    model = Cluster(MODEL)
    # other node names and other pod IPs: what kind cannot reproduce is not a difference
    assert compare(model, fake_context(live_objects(model))[0]) == []


def test_planted_missing_endpoint():
    model = Cluster(MODEL)
    objs = live_objects(model)
    sl = next(o for o in objs if type(o).__name__ == "V1EndpointSlice"
              and o.metadata.labels.get("kubernetes.io/service-name") == "web")
    sl.endpoints = [e for e in sl.endpoints if e.target_ref.name != "web-2"]
    lines = compare(model, fake_context(objs)[0])
    assert lines == ["service default/web: endpoints model ['default/web-1:8080/TCP', 'default/web-2:8080/TCP'] "
                     "cluster ['default/web-1:8080/TCP']"]


def test_planted_not_ready_endpoint_and_missing_service():
    model = Cluster(MODEL)
    objs = live_objects(model)
    objs.remove(_find(objs, "Service", "db"))
    sl = next(o for o in objs if type(o).__name__ == "V1EndpointSlice"
              and o.metadata.labels.get("kubernetes.io/service-name") == "web")
    sl.endpoints[0].conditions.ready = False
    lines = compare(model, fake_context(objs)[0])
    assert "service default/db: in the model, not in the cluster" in lines
    assert any(line.startswith("service default/web: endpoints") for line in lines)


def test_planted_env_difference():
    model = Cluster(MODEL)
    objs = live_objects(model)
    _find(objs, "Service", "db").spec.cluster_ip = "10.96.200.200"
    _find(objs, "Service", "db").spec.cluster_ips = ["10.96.200.200"]
    _find(objs, "Pod", "web-2").spec.containers[0].env = [k8s.V1EnvVar(name="EXTRA", value="1")]
    lines = compare(model, fake_context(objs)[0])
    want_ip = model.service("db").spec.cluster_ip
    assert f"pod default/web-1 container c: DB model '{want_ip}:5432' cluster '10.96.200.200:5432'" in lines
    assert f"pod default/web-1 container c: DB_SERVICE_HOST model '{want_ip}' cluster '10.96.200.200'" in lines
    assert "pod default/web-2 container c: EXTRA model '<unset>' cluster '1'" in lines


def test_pod_missing_in_cluster():
    model = Cluster(MODEL)
    objs = [o for o in live_objects(model) if o.metadata.name != "db-0"]
    assert "pod default/db-0: in the model, not in the cluster" in compare(model, fake_context(objs)[0])


BUSYBOX_LOG = """== web.default.svc.cluster.local.
Server:\t\t10.96.0.10
Address:\t10.96.0.10:53

Name:\tweb.default.svc.cluster.local
Address: {web}

== db.default.svc.cluster.local.
Server:\t\t10.96.0.10
Address:\t10.96.0.10:53

** server can't find db.default.svc.cluster.local: NXDOMAIN

"""


def test_parse_nslookup():
    assert parse_nslookup(BUSYBOX_LOG.format(web="10.96.1.2")) == {"web.default.svc.cluster.local.": ["10.96.1.2"],
                                                                  "db.default.svc.cluster.local.": []}


def test_dns_through_a_labelled_one_shot_pod_deleted_after():
    model = Cluster(MODEL)
    ctx, store = fake_context(live_objects(model), run_id="d1")
    ctx.core.log = BUSYBOX_LOG.format(web=model.service("web").spec.cluster_ip)
    lines = compare_dns(model, ctx, sleep=lambda s: None)
    assert lines == [f"dns db.default.svc.cluster.local. A: model ['{model.service('db').spec.cluster_ip}'] "
                     "cluster []"]
    (kind, probe), = [(k, b) for k, b in store.created]
    assert kind == "Pod" and probe.metadata.name == "kubelab-dns-d1"
    assert probe.metadata.labels == {MANAGED_BY_LABEL: "kubelab", RUN_ID_LABEL: "d1"}
    assert probe.spec.restart_policy == "Never"
    assert store.deleted == [("Pod", "default", "kubelab-dns-d1")]
    assert not any(o.metadata.name == "kubelab-dns-d1" for o in store.objects["Pod"])


def test_iptables_from_docker_exec_output():
    model = Cluster(MODEL)
    ctx, _ = fake_context(live_objects(model))
    live = read_live(ctx)
    text = render_rules(model, "iptables", "kind-worker")["text"]
    calls = []

    def run(argv):
        calls.append(argv)
        return text

    assert compare_iptables(model, live, run) == []
    assert calls == [["docker", "exec", "kubelab-worker", "iptables-save", "-t", "nat"]]
    jumps = service_jumps(text, ["default/web", "default/db"])
    assert len(jumps) == 2 and all("-j KUBE-SVC-" in j for j in jumps)
    planted = "\n".join(line for line in text.splitlines() if "default/db" not in line)
    lines = compare_iptables(model, live, lambda argv: planted)
    assert len(lines) == 1 and lines[0].startswith("iptables kubelab-worker: only in the model: -A KUBE-SERVICES")
    assert "default/db" in lines[0]


def test_iptables_skipped_in_ipvs_mode():
    model = Cluster(MODEL, proxy_mode="ipvs")
    live = read_live(fake_context(live_objects(model))[0])
    assert compare_iptables(model, live, lambda argv: 1 / 0) == []
