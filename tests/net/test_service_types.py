"""Service types through the data plane: LoadBalancer, NodePort, externalIPs, traffic policies.

Expected behaviour: kube-proxy's iptables rules (pkg/proxy/iptables/proxier.go: KUBE-EXT
short-circuits for pod and LOCAL traffic, DROP "has no local endpoints"), the cloud
service controller (k8s.io/cloud-provider/controllers/service), kubeadm's
exclude-from-external-load-balancers label, and CVE-2020-8554 (externalIPs capture
in-cluster traffic to that address).
"""

from __future__ import annotations

import yaml

from kubelab import Cluster
from kubelab.net import connect
from kubelab.net.reachability import OUTSIDE_CLIENT, reachability


def make(**spec):
    spec.setdefault("ports", [{"port": 80, "targetPort": 8080}])
    docs = [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
             "spec": {"selector": {"app": "web"}, **spec}},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "labels": {"app": "web"}},
             "spec": {"nodeName": "kind-worker",
                      "containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 8080}]}]}}]
    return Cluster([yaml.safe_dump(d) for d in docs])


def test_simulated_cloud_assigns_and_clears_load_balancer_addresses():
    c = make(type="LoadBalancer")
    assert c.service("web").status.load_balancer.ingress[0].ip == "172.18.255.200"
    c.apply(yaml.safe_dump({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
                            "spec": {"type": "LoadBalancer", "loadBalancerClass": "example.com/lb",
                                     "ports": [{"port": 1}]}}))
    assert c.service("api").status.load_balancer is None  # another implementation's: <pending>
    c.apply(yaml.safe_dump({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}))
    assert not c.service("web").status.load_balancer.ingress
    c.delete("svc", "web")
    c.apply(yaml.safe_dump({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
                            "spec": {"type": "LoadBalancer", "ports": [{"port": 1}]}}))
    assert c.service("x").status.load_balancer.ingress[0].ip == "172.18.255.200"  # released and reused


def test_load_balancer_keeps_client_address_and_skips_the_control_plane():
    c = make(type="LoadBalancer")
    lb = c.service("web").status.load_balancer.ingress[0].ip
    t = connect(c, OUTSIDE_CLIENT, lb, 80, seed=1)
    assert t.verdict == "delivered"
    route = next(h for h in t.hops if h.kind == "route" and h.where.startswith("load balancer"))
    assert "kind-control-plane" not in route.detail
    assert t.source_seen.startswith("10.244.") or t.source_seen.startswith("172.18.")  # Cluster policy: SNAT


def test_load_balancer_local_policy_preserves_the_source_and_health_checks_nodes():
    c = make(type="LoadBalancer", externalTrafficPolicy="Local")
    lb = c.service("web").status.load_balancer.ingress[0].ip
    for seed in range(5):
        t = connect(c, OUTSIDE_CLIENT, lb, 80, seed=seed)
        assert t.verdict == "delivered" and t.source_seen.startswith(OUTSIDE_CLIENT + ":")
        assert "passes on kind-worker" in next(h.detail for h in t.hops if h.where.startswith("load balancer"))


def test_clusterip_is_not_reachable_from_outside():
    c = make()
    t = connect(c, OUTSIDE_CLIENT, c.service("web").spec.cluster_ip, 80)
    assert t.verdict == "no route"


def test_external_ip_captures_pod_traffic_cve_2020_8554():
    c = make(externalIPs=["8.8.8.8"])
    c.apply(yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "victim"},
                            "spec": {"nodeName": "kind-worker2", "containers": [{"name": "c", "image": "x"}]}}))
    t = connect(c, "victim", "8.8.8.8", 80)
    assert t.verdict == "delivered" and t.backend == "default/web-1"  # not the real 8.8.8.8


def test_reachability_matrix_local_policy():
    r = reachability(make(type="NodePort", externalTrafficPolicy="Local"), "web")
    np = r.targets[1].split(":")[-1]
    cell = lambda s, ip: r.cell(s, f"NodePort {ip}:{np}")  # noqa: E731
    assert r.cell(f"outside ({OUTSIDE_CLIENT})", r.targets[0]).verdict == "no route"  # ClusterIP
    assert cell(f"outside ({OUTSIDE_CLIENT})", "172.18.0.3").source_seen.startswith(OUTSIDE_CLIENT)
    assert cell(f"outside ({OUTSIDE_CLIENT})", "172.18.0.4").verdict == "dropped"
    assert cell("pod on kind-worker2", "172.18.0.4").verdict == "delivered"  # pod traffic short-circuit
    assert cell("node kind-worker2", "172.18.0.4").verdict == "delivered"    # LOCAL traffic short-circuit
    assert cell("node kind-worker", "172.18.0.4").verdict == "dropped"       # from another node: no
    assert "NodePort 172.18.0.2" in " ".join(r.targets) and len(r.cells) == len(r.sources) * len(r.targets)
    assert "from \\ to" in r.table()


def test_internal_traffic_policy_local_drops_on_nodes_without_endpoints():
    r = reachability(make(internalTrafficPolicy="Local"), "web")
    target = r.targets[0]
    assert r.cell("pod on kind-worker", target).verdict == "delivered"
    assert r.cell("pod on kind-worker2", target).verdict == "dropped"


def test_headless_and_external_name_have_no_matrix():
    c = make(clusterIP="None")
    assert "headless" in reachability(c, "web").notes[0]
    c.apply(yaml.safe_dump({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"},
                            "spec": {"type": "ExternalName", "externalName": "db.example.com"}}))
    r = reachability(c, "ext")
    assert r.cells == [] and "CNAME to db.example.com" in r.notes[0]


def test_reachability_legend_names_the_axes_and_only_the_verdicts_shown():
    r = reachability(make(type="NodePort"), "web")
    legend = r.legend()
    assert legend.startswith("rows: where the new connection starts") and "columns:" in legend
    shown = {c.verdict for c in r.cells if c.verdict != "delivered"}
    assert shown  # the outside client has no route to the ClusterIP
    for verdict in ("no route", "dropped", "rejected", "refused", "timeout"):
        assert (f"\n{verdict}:" in legend) == (verdict in shown), verdict
