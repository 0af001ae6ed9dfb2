"""Graph builders: the nodes and edges follow what kubelab.linuxns / Cluster say."""

from __future__ import annotations

import kubelab
from kubelab import linuxns, viz
from kubelab.api import load_text


def edge_kinds(g, u, v):
    if g.is_multigraph():
        return sorted(d["kind"] for d in g.get_edge_data(u, v, default={}).values())
    return [g.edges[u, v]["kind"]] if g.has_edge(u, v) else []


def test_pod_graph_shared_and_own_namespaces(pod):
    g = viz.pod_graph(pod)
    table = linuxns.describe(pod)
    containers = [n for n, d in g.nodes(data=True) if d["kind"] in ("container", "pause")]
    assert sorted(containers) == ["container:app", "container:pause", "container:proxy"]
    for row in table.rows:
        for name, inode in row.ids.items():
            nid = f"ns:{row.kind}:{inode}"
            assert nid in g
            expected = "owns" if row.mode == "CONTAINER" else "shares"
            assert edge_kinds(g, f"container:{name}", nid) == [expected]
    # net is one namespace for the three of them, held by pause
    net = f"ns:net:{table.row('net').ids['pause']}"
    assert g.nodes[net]["kind"] == "ns-pod" and g.degree(net) == 3
    user = f"ns:user:{table.row('user').ids['pause']}"
    assert g.nodes[user]["kind"] == "ns-node"


def test_pod_graph_host_network_uses_node_namespace():
    pod = load_text("""
apiVersion: v1
kind: Pod
metadata: {name: h}
spec: {nodeName: kind-worker, hostNetwork: true, containers: [{name: app, image: nginx}]}
""")[0]
    g = viz.pod_graph(pod)
    assert g.nodes["ns:net:4026531992"]["kind"] == "ns-node"
    assert "(node)" in g.nodes["ns:net:4026531992"]["label"]


def test_channel_graph_edges_match_available_channels(pod):
    g = viz.channel_graph(pod)
    available = sorted(c.kind for c in linuxns.channels(pod, "app", "proxy") if c.available)
    assert sorted(g.nodes) == ["default/web/app", "default/web/proxy"]
    assert edge_kinds(g, "default/web/app", "default/web/proxy") == available == ["ipc", "network", "volume"]
    assert any("No signal channel" in n for n in g.graph["notes"])


def test_channel_graph_across_pods(pod):
    other = load_text("""
apiVersion: v1
kind: Pod
metadata: {name: db}
spec: {nodeName: kind-worker2, containers: [{name: pg, image: postgres, ports: [{containerPort: 5432}]}]}
""")[0]
    g = viz.channel_graph(pod, other)
    assert edge_kinds(g, "default/web/app", "default/db/pg") == ["network"]
    assert g.nodes["default/db/pg"]["label"] == "db/pg"


def test_port_graph_conflict_edges():
    pods = load_text("""
apiVersion: v1
kind: Pod
metadata: {name: a}
spec: {nodeName: kind-worker, containers: [{name: web, image: nginx, ports: [{containerPort: 80, hostPort: 80}]},
                                          {name: side, image: x, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec: {nodeName: kind-worker, containers: [{name: web, image: nginx, ports: [{containerPort: 8080, hostPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c}
spec: {nodeName: kind-worker2, containers: [{name: web, image: nginx, ports: [{containerPort: 80, hostPort: 80}]}]}
""")
    g = viz.port_graph(list(pods))
    conflicts = [(u, v) for u, v, d in g.edges(data=True) if d["kind"] == "conflict"]
    assert sorted(conflicts) == [("default/a/side", "port:pod default/a:0.0.0.0:80/TCP"),
                                 ("default/b/web", "port:node kind-worker:0.0.0.0:80/TCP")]
    assert len(g.graph["conflicts"]) == 2 == len(linuxns.port_conflicts(list(pods)))
    assert edge_kinds(g, "default/c/web", "port:node kind-worker2:0.0.0.0:80/TCP") == ["binds"]
    assert g.edges["netns:node kind-worker", "port:node kind-worker:0.0.0.0:80/TCP"]["kind"] == "in"


def test_docker_and_process_port_graphs():
    g = viz.docker_port_graph([("A", 80, 80), ("B", 80, 80), ("C", 80, 8080)])
    assert g.edges["container:A", "hostport:80/TCP"]["kind"] == "publishes"
    assert g.edges["container:B", "hostport:80/TCP"]["kind"] == "conflict"
    assert g.edges["container:C", "hostport:8080/TCP"]["kind"] == "publishes"
    g = viz.process_port_graph([("apache", 80), ("nginx", 80)])
    assert [d["kind"] for u, _, d in g.edges(data=True) if u != "netns:host"] == ["binds", "conflict"]


def test_cluster_graph_nodes_pods_services():
    c = kubelab.Cluster("""
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}}
spec: {containers: [{name: nginx, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, labels: {app: web}}
spec: {containers: [{name: nginx, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
""")
    g = viz.cluster_graph(c)
    nodes = {n for n, d in g.nodes(data=True) if d["kind"] == "node"}
    assert nodes == {f"node:{n.name}" for n in c.nodes()}
    for p in c.pods("default"):
        assert p.status.pod_ip in g.nodes[f"pod:default/{p.name}"]["label"]
        assert g.edges[f"pod:default/{p.name}", f"node:{p.spec.node_name}"]["kind"] == "runs-on"
        assert g.edges["svc:default/web", f"pod:default/{p.name}"]["kind"] == "selects"
    assert c.service("web").spec.cluster_ip in g.nodes["svc:default/web"]["label"]
    assert not any(n.startswith("pod:kube-system/") for n in g)
    assert any(n.startswith("pod:kube-system/") for n in viz.cluster_graph(c, system=True))
