"""kube-proxy iptables mode: rule text, chain names, policies, and the real iptables round trip.

Expected chain names and rule shapes come from kubernetes pkg/proxy/iptables/proxier_test.go
(TestOverallIPTablesRules fixtures: ns1/svc1:p80 -> KUBE-SVC-XPGD46QRK7WJZT7O,
10.180.0.1:80 -> KUBE-SEP-SXIVWICOYRO3J4NJ) and from a kubeadm/kind node's well-known
chains (default/kubernetes:https -> NPX46M4PTMTKRN6Y, kube-dns dns -> TCOU7JCQXEZGVUNU).
"""

from __future__ import annotations

import re
import textwrap

import pytest
import yaml

from kubelab import Cluster
from kubelab.proxy import IPTablesProxier, endpoint_chain, probability, proxier_for, service_port_chain
from kubelab.netfilter.xtables import kernel_probability, parse_restore


def svc_yaml(name, ns="default", **spec):
    spec.setdefault("ports", [{"name": "p80", "port": 80, "targetPort": 80}])
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                           "spec": spec})


def pod_yaml(name, ip, node, labels, ns="default", ready=True, terminating=False):
    meta = {"name": name, "namespace": ns, "labels": labels}
    if terminating:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    status = {"phase": "Running", "podIP": ip}
    if not ready:
        status["conditions"] = [{"type": "Ready", "status": "False"}]
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                           "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}]},
                           "status": status})


#: Every cluster these tests render. The real-kernel test at the end loads the rendering of
#: each one, on every node, into the real iptables (both back ends): every restore text the
#: unit tests check is also accepted by iptables-restore and saved back exactly as modelled.
SCENARIOS: dict[str, object] = {}


def scenario(name):
    def register(fn):
        SCENARIOS[name] = fn
        return fn
    return register


def rules_of(p: IPTablesProxier, table: str, chain: str) -> list[str]:
    p.ensure_synced()
    return [r.restore() for r in p.tables[table].chain_rules(chain)]


def test_chain_names_match_upstream_fixtures():
    assert service_port_chain("KUBE-SVC-", "ns1/svc1:p80", "TCP") == "KUBE-SVC-XPGD46QRK7WJZT7O"
    assert endpoint_chain("ns1/svc1:p80", "TCP", "10.180.0.1:80") == "KUBE-SEP-SXIVWICOYRO3J4NJ"
    assert service_port_chain("KUBE-SVC-", "default/kubernetes:https", "TCP") == "KUBE-SVC-NPX46M4PTMTKRN6Y"
    assert service_port_chain("KUBE-SVC-", "kube-system/kube-dns:dns", "UDP") == "KUBE-SVC-TCOU7JCQXEZGVUNU"
    assert service_port_chain("KUBE-SVC-", "kube-system/kube-dns:dns-tcp", "TCP") == "KUBE-SVC-ERIFXISQEP7F7OF4"
    # same hash, other prefixes
    assert service_port_chain("KUBE-EXT-", "ns1/svc1:p80", "TCP") == "KUBE-EXT-XPGD46QRK7WJZT7O"


def test_probability_text_and_kernel_rounding():
    assert [probability(n) for n in (3, 2)] == ["0.3333333333", "0.5000000000"]
    assert kernel_probability("0.3333333333") == "0.33333333349"
    assert kernel_probability("0.5000000000") == "0.50000000000"
    assert kernel_probability(probability(5)) == "0.20000000019"


def three_backends(**spec):
    labels = {"app": "web"}
    docs = [svc_yaml("web", selector=labels, **spec)]
    # string order puts 10.244.1.10 before 10.244.1.9 (kube-proxy sorts "ip:port" strings)
    for i, ip in enumerate(["10.244.1.9", "10.244.1.10", "10.244.2.5"]):
        docs.append(pod_yaml(f"w{i}", ip, "kind-worker" if i < 2 else "kind-worker2", labels))
    return Cluster("---\n".join(docs))


@scenario("clusterip")
def clusterip():
    return three_backends()


@scenario("nodeport")
def nodeport():
    return three_backends(type="NodePort", ports=[{"name": "p80", "port": 80, "nodePort": 30080}])


@scenario("nodeport-local")
def nodeport_local():
    return three_backends(type="NodePort", externalTrafficPolicy="Local",
                          ports=[{"name": "p80", "port": 80, "nodePort": 30080}])


@scenario("lb-local")
def lb_local():
    return three_backends(type="LoadBalancer", externalTrafficPolicy="Local")


@scenario("affinity")
def affinity():
    return three_backends(sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 600}})


@scenario("empty-nodeport")
def empty_nodeport():
    return Cluster(svc_yaml("empty", selector={"app": "nobody"}, type="NodePort",
                            ports=[{"name": "p80", "port": 80, "nodePort": 30080}]))


def test_clusterip_probability_ladder_in_endpoint_string_order():
    c = clusterip()
    p = proxier_for(c, "iptables", node="kind-worker")
    svc_chain = service_port_chain("KUBE-SVC-", "default/web:p80", "TCP")
    ip = c.service("web").spec.cluster_ip
    assert f'-A KUBE-SERVICES -m comment --comment "default/web:p80 cluster IP" -m tcp -p tcp -d {ip} --dport 80 ' \
           f"-j {svc_chain}" in rules_of(p, "nat", "KUBE-SERVICES")
    lines = rules_of(p, "nat", svc_chain)
    assert lines[0].endswith("! -s 10.244.0.0/16 -j KUBE-MARK-MASQ")
    eps = ["10.244.1.10:80", "10.244.1.9:80", "10.244.2.5:80"]
    assert lines[1:] == [
        f'-A {svc_chain} -m comment --comment "default/web:p80 -> {eps[0]}" -m statistic --mode random '
        f"--probability 0.3333333333 -j {endpoint_chain('default/web:p80', 'TCP', eps[0])}",
        f'-A {svc_chain} -m comment --comment "default/web:p80 -> {eps[1]}" -m statistic --mode random '
        f"--probability 0.5000000000 -j {endpoint_chain('default/web:p80', 'TCP', eps[1])}",
        f'-A {svc_chain} -m comment --comment "default/web:p80 -> {eps[2]}" '
        f"-j {endpoint_chain('default/web:p80', 'TCP', eps[2])}",
    ]
    sep = endpoint_chain("default/web:p80", "TCP", eps[0])
    assert rules_of(p, "nat", sep) == [
        f"-A {sep} -m comment --comment default/web:p80 -s 10.244.1.10 -j KUBE-MARK-MASQ",  # hairpin
        f"-A {sep} -m comment --comment default/web:p80 -m tcp -p tcp -j DNAT --to-destination 10.244.1.10:80",
    ]


def test_no_endpoints_means_reject_in_filter_and_no_nat_chains():
    c = empty_nodeport()
    p = proxier_for(c, "iptables")
    ip = c.service("empty").spec.cluster_ip
    assert rules_of(p, "filter", "KUBE-SERVICES") == [
        f'-A KUBE-SERVICES -m comment --comment "default/empty:p80 has no endpoints" -m tcp -p tcp -d {ip} '
        "--dport 80 -j REJECT"]
    assert rules_of(p, "filter", "KUBE-EXTERNAL-SERVICES") == [
        '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/empty:p80 has no endpoints" -m addrtype '
        "--dst-type LOCAL -m tcp -p tcp --dport 30080 -j REJECT"]
    restore = p.render("restore")
    assert service_port_chain("KUBE-SVC-", "default/empty:p80", "TCP") not in restore
    assert "default/empty" not in "\n".join(rules_of(p, "nat", "KUBE-NODEPORTS"))


@scenario("not-ready")
def not_ready():
    labels = {"app": "db"}
    return Cluster("---\n".join([svc_yaml("db", selector=labels),
                                 pod_yaml("a", "10.244.1.20", "kind-worker", labels, ready=False)]))


@scenario("terminating")
def terminating():
    labels = {"app": "db"}
    return Cluster("---\n".join([svc_yaml("db", selector=labels),
                                 pod_yaml("a", "10.244.1.20", "kind-worker", labels, terminating=True)]))


def test_not_ready_endpoints_are_not_used_but_terminating_serving_ones_are_a_fallback():
    assert "has no endpoints" in proxier_for(not_ready(), "iptables").render("restore")
    c2 = terminating()
    text = proxier_for(c2, "iptables").render("restore")
    assert "--to-destination 10.244.1.20:80" in text and "has no endpoints" not in text


def test_nodeport_cluster_policy_masquerades():
    c = nodeport()
    p = proxier_for(c, "iptables", node="kind-worker")
    ext = service_port_chain("KUBE-EXT-", "default/web:p80", "TCP")
    svc = service_port_chain("KUBE-SVC-", "default/web:p80", "TCP")
    assert rules_of(p, "nat", "KUBE-NODEPORTS") == [
        f"-A KUBE-NODEPORTS -m comment --comment default/web:p80 -m tcp -p tcp --dport 30080 -j {ext}"]
    assert rules_of(p, "nat", ext) == [
        f'-A {ext} -m comment --comment "masquerade traffic for default/web:p80 external destinations" -j KUBE-MARK-MASQ',
        f"-A {ext} -j {svc}"]
    assert rules_of(p, "nat", "KUBE-SERVICES")[-1] == (
        '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in '
        'this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')


def test_nodeport_local_policy_on_nodes_with_and_without_local_endpoints():
    c = nodeport_local()
    name = "default/web:p80"
    ext, svc, svl = (service_port_chain(x, name, "TCP") for x in ("KUBE-EXT-", "KUBE-SVC-", "KUBE-SVL-"))
    on = proxier_for(c, "iptables", node="kind-worker2")
    assert rules_of(on, "nat", ext) == [
        f'-A {ext} -m comment --comment "pod traffic for {name} external destinations" -s 10.244.0.0/16 -j {svc}',
        f'-A {ext} -m comment --comment "masquerade LOCAL traffic for {name} external destinations" -m addrtype '
        f"--src-type LOCAL -j KUBE-MARK-MASQ",
        f'-A {ext} -m comment --comment "route LOCAL traffic for {name} external destinations" -m addrtype '
        f"--src-type LOCAL -j {svc}",
        f"-A {ext} -j {svl}"]
    assert rules_of(on, "nat", svl) == [
        f'-A {svl} -m comment --comment "{name} -> 10.244.2.5:80" -j {endpoint_chain(name, "TCP", "10.244.2.5:80")}']
    # a healthCheckNodePort is allocated only for type LoadBalancer (see the next test)
    assert c.service("web").spec.health_check_node_port is None
    assert rules_of(on, "filter", "KUBE-NODEPORTS") == []
    off = proxier_for(c, "iptables", node="kind-control-plane")
    assert rules_of(off, "filter", "KUBE-EXTERNAL-SERVICES") == [
        f'-A KUBE-EXTERNAL-SERVICES -m comment --comment "{name} has no local endpoints" -m addrtype --dst-type LOCAL '
        "-m tcp -p tcp --dport 30080 -j DROP"]
    assert f"-A {ext} -j {svl}" not in rules_of(off, "nat", ext)
    assert svl not in off.render("restore")


def test_load_balancer_local_opens_its_health_check_node_port():
    c = lb_local()
    hc = c.service("web").spec.health_check_node_port
    for node in ("kind-worker", "kind-control-plane"):  # with or without local endpoints
        assert rules_of(proxier_for(c, "iptables", node=node), "filter", "KUBE-NODEPORTS") == [
            f'-A KUBE-NODEPORTS -m comment --comment "default/web:p80 health check node port" -m tcp -p tcp '
            f"--dport {hc} -j ACCEPT"]


def test_session_affinity_uses_recent():
    c = affinity()
    p = proxier_for(c, "iptables")
    name = "default/web:p80"
    svc = service_port_chain("KUBE-SVC-", name, "TCP")
    sep = endpoint_chain(name, "TCP", "10.244.1.10:80")
    lines = rules_of(p, "nat", svc)
    assert lines[1] == (f'-A {svc} -m comment --comment "{name} -> 10.244.1.10:80" -m recent --name {sep} --rcheck '
                        f"--seconds 600 --reap -j {sep}")
    assert sum("--rcheck" in line for line in lines) == 3 and "statistic" in lines[4]
    assert rules_of(p, "nat", sep)[1] == (f"-A {sep} -m comment --comment {name} -m recent --name {sep} --set -m tcp "
                                         f"-p tcp -j DNAT --to-destination 10.244.1.10:80")


@scenario("lb-source-ranges")
def lb_source_ranges():
    c = three_backends(type="LoadBalancer", externalIPs=["192.0.2.7"], loadBalancerSourceRanges=["203.0.113.0/25"],
                       ports=[{"name": "p80", "port": 80, "nodePort": 30080}])
    c.apply(svc_yaml("web", selector={"app": "web"}, type="LoadBalancer", externalIPs=["192.0.2.7"],
                     loadBalancerSourceRanges=["203.0.113.0/25"],
                     ports=[{"name": "p80", "port": 80, "nodePort": 30080}]).replace(
        "spec:", "status:\n  loadBalancer:\n    ingress:\n    - ip: 198.51.100.9\nspec:"))
    return c


def test_external_ips_and_load_balancer_source_ranges():
    p = proxier_for(lb_source_ranges(), "iptables")
    name = "default/web:p80"
    ext, fw = (service_port_chain(x, name, "TCP") for x in ("KUBE-EXT-", "KUBE-FW-"))
    svcs = rules_of(p, "nat", "KUBE-SERVICES")
    assert f'-A KUBE-SERVICES -m comment --comment "{name} external IP" -m tcp -p tcp -d 192.0.2.7 --dport 80 -j {ext}' in svcs
    assert f'-A KUBE-SERVICES -m comment --comment "{name} loadbalancer IP" -m tcp -p tcp -d 198.51.100.9 --dport 80 -j {fw}' in svcs
    assert rules_of(p, "nat", fw) == [
        f'-A {fw} -m comment --comment "{name} loadbalancer IP" -s 203.0.113.0/25 -j {ext}',
        f'-A {fw} -m comment --comment "other traffic to {name} will be dropped by KUBE-PROXY-FIREWALL"']
    assert rules_of(p, "filter", "KUBE-PROXY-FIREWALL") == [
        f'-A KUBE-PROXY-FIREWALL -m comment --comment "{name} traffic not accepted by {fw}" -m tcp -p tcp '
        "-d 198.51.100.9 --dport 80 -j DROP"]


@scenario("kube-proxy-config")
def kube_proxy_config():
    c = three_backends(type="NodePort")
    c.apply(textwrap.dedent("""
        apiVersion: kubeproxy.config.k8s.io/v1alpha1
        kind: KubeProxyConfiguration
        mode: iptables
        iptables: {masqueradeBit: 13, masqueradeAll: true, localhostNodePorts: false}
        """))
    return c


@scenario("node-port-addresses")
def node_port_addresses():
    c = kube_proxy_config()
    c.apply("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"
            "nodePortAddresses: [172.18.0.0/16]\n")
    return c


def test_kube_proxy_configuration_is_honoured():
    c = kube_proxy_config()
    text = proxier_for(c, "iptables").render("restore")
    assert "-A KUBE-MARK-MASQ -j MARK --or-mark 0x00002000" in text
    assert "! -s 10.244" not in text  # no clusterCIDR configured: no local detection ...
    assert re.search(r'-A KUBE-SVC-\w+ -m comment --comment "default/web:p80 cluster IP" .* -j KUBE-MARK-MASQ', text)
    assert "-m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS" in text
    assert "KUBE-FIREWALL" not in text
    text = proxier_for(node_port_addresses(), "iptables", node="kind-worker").render("restore")
    assert '"kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 172.18.0.3 ' \
           "-j KUBE-NODEPORTS" in text


@scenario("udp-sctp")
def udp_sctp():
    labels = {"app": "x"}
    return Cluster("---\n".join([svc_yaml("x", selector=labels, ports=[
        {"name": "u", "port": 53, "protocol": "UDP"}, {"name": "s", "port": 9, "protocol": "SCTP"}]),
        pod_yaml("x1", "10.244.1.30", "kind-worker", labels)]))


def test_udp_and_sctp_ports():
    c = udp_sctp()
    text = proxier_for(c, "iptables").render("restore")
    assert "-m udp -p udp -d" in text and "-m sctp -p sctp -d" in text
    assert service_port_chain("KUBE-SVC-", "default/x:s", "SCTP") in text


@scenario("large-cluster")
def large_cluster():
    labels = {"app": "big"}
    docs = [svc_yaml("big", selector=labels)]
    docs += [pod_yaml(f"b{i}", f"10.244.{1 + i // 250}.{1 + i % 250}", "kind-worker", labels) for i in range(1001)]
    return Cluster("---\n".join(docs))


def test_large_cluster_mode_drops_endpoint_comments():
    p = proxier_for(large_cluster(), "iptables")
    p.sync()
    assert p.large_cluster_mode
    svc = service_port_chain("KUBE-SVC-", "default/big:p80", "TCP")
    first = rules_of(p, "nat", svc)[1]
    assert "comment" not in first and "--probability 0.0009990010" in first  # 1/1001
    assert all("comment" not in r for r in rules_of(p, "nat", endpoint_chain("default/big:p80", "TCP", "10.244.1.1:80")))


def test_proxier_resyncs_on_cluster_events():
    c = three_backends()
    p = proxier_for(c, "iptables")
    before = p.render("restore")
    c.delete("pod", "w0")
    after = p.render("restore")
    assert "10.244.1.9:80" in before and "10.244.1.9:80" not in after
    assert p.syncs == 2


def test_save_rendering_reorders_fields_like_iptables_save():
    p = proxier_for(three_backends(), "iptables")
    save = p.render("save")
    assert save.startswith("*nat\n:PREROUTING ACCEPT [0:0]\n")
    assert '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES' in save
    assert "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000" in save
    assert "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0" in save
    assert "--probability 0.33333333349" in save
    assert re.search(r"-A KUBE-SVC-\w+ ! -s 10\.244\.0\.0/16 -d 10\.\d+\.\d+\.\d+/32 -p tcp -m comment", save)
    filt = save[save.index("*filter"):]
    # kube-proxy prepends its jumps, the kubelet-duplicate KUBE-FIREWALL ones last: they end up first
    assert [l for l in filt.splitlines() if l.startswith("-A INPUT ")][:2] == [
        "-A INPUT -j KUBE-FIREWALL",
        '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" '
        "-j KUBE-PROXY-FIREWALL"]


# ---------------------------------------------------------------- the real kernel
@scenario("rich")
def rich_cluster() -> Cluster:
    c = three_backends(type="LoadBalancer", externalIPs=["192.0.2.7"], loadBalancerSourceRanges=["203.0.113.0/25"],
                       sessionAffinity="ClientIP", ports=[{"name": "p80", "port": 80, "nodePort": 30080},
                                                          {"name": "dns", "port": 53, "protocol": "UDP"}])
    c.apply(svc_yaml("local", selector={"app": "web"}, type="NodePort", externalTrafficPolicy="Local"))
    c.apply(svc_yaml("empty", selector={"app": "none"}, type="NodePort"))
    return c


@pytest.mark.requires("root", "iptables")
@pytest.mark.parametrize("backend", ["nft", "legacy"])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_real_iptables_restore_then_save_equals_model(backend, name):
    """Every scenario, on every node: iptables-restore accepts it and iptables-save prints the model's text."""
    from kubelab.lab import NetNS
    cluster = SCENARIOS[name]()
    with NetNS() as ns:
        for node in [n.name for n in cluster.nodes()]:
            p = proxier_for(cluster, "iptables", node=node)
            for table in ("nat", "filter"):
                ns.run([f"iptables-{backend}", "-t", table, "-F"])
                ns.run([f"iptables-{backend}", "-t", table, "-X"])
            # the built-in jumps kube-proxy ensures with `iptables -I`, then the restore input with --noflush
            for table, rules in p.jump_rules().items():
                for chain in dict.fromkeys(r.target for r in rules):  # EnsureChain before EnsureRule
                    ns.run([f"iptables-{backend}", "-t", table, "-N", chain])
                for rule in reversed(rules):
                    ns.run([f"iptables-{backend}", "-t", table, "-I", rule.chain, "1", *rule.args])
            loaded = ns.run([f"iptables-{backend}-restore", "--noflush"], input=p.render("restore"), check=False)
            assert loaded.returncode == 0, f"{name} on {node}: {loaded.stderr}"
            real = ns.run([f"iptables-{backend}-save"]).stdout
            # compared table by table: the legacy back end lists tables in the order the kernel
            # registered them in this namespace (most recent first), which is not kube-proxy's doing
            assert by_table(p.save_text(backend)) == by_table(real), f"{name} on {node}"
            if backend == "nft":
                assert p.save_text("nft") == strip_comments(real), f"{name} on {node}: table order"
            assert set(parse_restore(real)) == {"nat", "filter"}


def strip_comments(text: str) -> str:
    return "".join(line + "\n" for line in text.splitlines() if not line.startswith("#"))


def by_table(text: str) -> dict[str, str]:
    tables: dict[str, str] = {}
    current = None
    for line in strip_comments(text).splitlines():
        if line.startswith("*"):
            current = line[1:]
            tables[current] = ""
        tables[current] += line + "\n"
    return tables
