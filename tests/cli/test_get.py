"""``kubelab get``: kubectl's columns, placeholders, truncation and alignment; -A, -n, -o json|yaml|name|wide.

Expected tables are written out in full: they are what kubectl prints for the
same objects (AGE aside, which is ``<unknown>`` without a creation timestamp).
"""

from __future__ import annotations

import json

import yaml

from kubelab.api import load_text
from kubelab.cli.get import format_endpoints, format_hosts, format_selector, make_port_string
from kubelab.cli.output import format_table


def test_pods_table(kubelab, web):
    r = kubelab("get", "pods", "-f", web)
    assert (r.code, r.err) == (0, "")
    assert r.out == (
        "NAME    READY   STATUS    RESTARTS   AGE\n"
        "web-1   2/2     Running   0          <unknown>\n"
        "web-2   1/1     Running   0          <unknown>\n"
        "web-3   1/1     Running   0          <unknown>\n")


def test_pods_wide(kubelab, web):
    r = kubelab("get", "po", "-o", "wide", "-f", web)
    assert r.out.splitlines() == [
        "NAME    READY   STATUS    RESTARTS   AGE         IP           NODE           NOMINATED NODE   READINESS GATES",
        "web-1   2/2     Running   0          <unknown>   10.244.1.2   kind-worker    <none>           <none>",
        "web-2   1/1     Running   0          <unknown>   10.244.2.2   kind-worker2   <none>           <none>",
        "web-3   1/1     Running   0          <unknown>   10.244.1.3   kind-worker    <none>           <none>",
    ]


def test_services_ports_external_ip_and_types(kubelab, web):
    r = kubelab("get", "svc", "-f", web)
    assert r.out.splitlines() == [
        "NAME         TYPE           CLUSTER-IP     EXTERNAL-IP      PORT(S)                      AGE",
        "db           ClusterIP      10.96.100.12   <none>           5432/TCP                     <unknown>",
        "ext          ExternalName   <none>         example.com      <none>                       <unknown>",
        "kubernetes   ClusterIP      10.96.0.1      <none>           443/TCP                      <unknown>",
        # the simulated cloud's service controller gave the LoadBalancer an address
        "lb           LoadBalancer   10.96.100.11   172.18.255.200   80:31000/TCP                 <unknown>",
        "web          NodePort       10.96.100.10   <none>           80:30080/TCP,443:30443/TCP   <unknown>",
    ]
    wide = kubelab("get", "services", "-o", "wide", "-f", web).out.splitlines()
    assert wide[0].endswith("AGE         SELECTOR")
    assert wide[-1].endswith("<unknown>   app=web") and wide[1].endswith("<unknown>   app=db")


def test_load_balancer_of_another_class_stays_pending(kubelab, manifest):
    path = manifest("lbc.yaml", """
        apiVersion: v1
        kind: Service
        metadata: {name: lb}
        spec: {type: LoadBalancer, loadBalancerClass: example.com/lb, ports: [{port: 80}]}
        """)
    row = kubelab("get", "svc", "lb", "-f", path).out.splitlines()[1].split()
    assert row[:4] == ["lb", "LoadBalancer", row[2], "<pending>"]


def test_load_balancer_with_status_and_external_ips(kubelab, manifest):
    path = manifest("lb.yaml", """
        apiVersion: v1
        kind: Service
        metadata: {name: lb}
        spec: {type: LoadBalancer, clusterIP: 10.96.0.50, externalIPs: [192.0.2.9],
               ports: [{port: 443, nodePort: 30443, protocol: TCP}]}
        status: {loadBalancer: {ingress: [{ip: 203.0.113.7}]}}
        """)
    r = kubelab("get", "svc", "lb", "-f", path)
    assert r.out.splitlines()[1] == "lb     LoadBalancer   10.96.0.50   203.0.113.7,192.0.2.9   443:30443/TCP   <unknown>"


def test_endpoints_truncated_after_three(kubelab, web):
    r = kubelab("get", "endpoints", "-f", web)
    assert r.out.splitlines() == [
        "NAME         ENDPOINTS                                                     AGE",
        "db           <none>                                                        <unknown>",
        "kubernetes   172.18.0.2:6443                                               <unknown>",
        "lb           10.244.1.2:8080,10.244.1.3:8080,10.244.2.2:8080               <unknown>",
        "web          10.244.1.2:8080,10.244.1.3:8080,10.244.2.2:8080 + 3 more...   <unknown>",
    ]


def test_endpointslices(kubelab, web):
    lines = kubelab("get", "endpointslices", "-f", web).out.splitlines()
    assert lines[0] == "NAME         ADDRESSTYPE   PORTS       ENDPOINTS                          AGE"
    assert lines[1].startswith("db-") and lines[1].split()[1:] == ["IPv4", "<unset>", "<unset>", "<unknown>"]
    assert lines[2] == "kubernetes   IPv4          6443        172.18.0.2                         <unknown>"
    web_row = [line for line in lines if line.startswith("web-")][0].split()
    assert web_row[1:] == ["IPv4", "8080,8080", "10.244.1.2,10.244.2.2,10.244.1.3", "<unknown>"]


def test_nodes_and_namespaces(kubelab, web):
    r = kubelab("get", "nodes", "-f", web)
    assert r.out.splitlines() == [
        "NAME                 STATUS   ROLES           AGE         VERSION",
        "kind-control-plane   Ready    control-plane   <unknown>   ",
        "kind-worker          Ready    <none>          <unknown>   ",
        "kind-worker2         Ready    <none>          <unknown>   ",
    ]
    wide = kubelab("get", "no", "-o", "wide", "-f", web).out.splitlines()
    assert wide[0].endswith("VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE    KERNEL-VERSION   CONTAINER-RUNTIME")
    assert "172.18.0.3    <none>        <unknown>" in wide[2]
    ns = kubelab("get", "ns", "-f", web).out.splitlines()
    assert ns[:2] == ["NAME              STATUS   AGE", "default           Active   <unknown>"]


def test_ingresses_and_networkpolicies(kubelab, manifest):
    path = manifest("net.yaml", """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: site}
        spec:
          ingressClassName: nginx
          tls: [{hosts: [a.example.com], secretName: tls}]
          rules:
          - {host: a.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}
          - {host: b.example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: db-in}
        spec:
          podSelector: {matchLabels: {app: db}, matchExpressions: [{key: tier, operator: In, values: [b, a]}]}
          policyTypes: [Ingress]
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny-all}
        spec: {podSelector: {}, policyTypes: [Ingress]}
        """)
    assert kubelab("get", "ing", "-f", path).out.splitlines() == [
        "NAME   CLASS   HOSTS                         ADDRESS   PORTS     AGE",
        "site   nginx   a.example.com,b.example.com             80, 443   <unknown>",
    ]
    assert kubelab("get", "netpol", "-f", path).out.splitlines() == [
        "NAME       POD-SELECTOR           AGE",
        "db-in      app=db,tier in (a,b)   <unknown>",
        "deny-all   <none>                 <unknown>",
    ]


def test_all_namespaces_adds_a_namespace_column_and_system_objects(kubelab, web):
    r = kubelab("get", "pods", "-A", "-f", web)
    assert r.out.splitlines() == [
        "NAMESPACE     NAME                       READY   STATUS    RESTARTS   AGE",
        "default       web-1                      2/2     Running   0          <unknown>",
        "default       web-2                      1/1     Running   0          <unknown>",
        "default       web-3                      1/1     Running   0          <unknown>",
        "kube-system   coredns-7c65d6cfc9-8xk2p   1/1     Running   0          <unknown>",
        "kube-system   coredns-7c65d6cfc9-r4lmq   1/1     Running   0          <unknown>",
    ]
    assert "kube-dns" not in kubelab("get", "svc", "-f", web).out
    assert "kube-dns" in kubelab("get", "svc", "-n", "kube-system", "-f", web).out
    # cluster-scoped kinds get no NAMESPACE column
    assert kubelab("get", "nodes", "-A", "-f", web).out.startswith("NAME ")


def test_nothing_found_is_not_an_error(kubelab, web):
    r = kubelab("get", "pods", "-n", "empty", "-f", web)
    assert (r.code, r.out, r.err) == (0, "", "No resources found in empty namespace.\n")
    r = kubelab("get", "ingresses", "-A", "-f", web)
    assert (r.code, r.out, r.err) == (0, "", "No resources found\n")


def test_get_one_by_name_and_not_found(kubelab, web):
    r = kubelab("get", "pod", "web-2", "-f", web)
    assert (r.code, r.out.splitlines()[1].split()[0]) == (0, "web-2")
    r = kubelab("get", "pod", "nope", "-f", web)
    assert (r.code, r.out, r.err) == (1, "", 'Error from server (NotFound): pods "nope" not found\n')
    r = kubelab("get", "pods", "web-1", "nope", "-f", web)
    assert r.code == 1 and "web-1" in r.out and r.err == 'Error from server (NotFound): pods "nope" not found\n'
    r = kubelab("get", "svc", "kube-system/kube-dns", "-f", web)
    assert r.code == 0 and "10.96.0.10" in r.out
    r = kubelab("get", "pods", "-A", "web-1", "-f", web)
    assert (r.code, r.err) == (2, "error: a resource cannot be retrieved by name across all namespaces\n")


def test_unknown_resource_type(kubelab, web):
    r = kubelab("get", "foos", "-f", web)
    assert (r.code, r.out, r.err) == (2, "", 'error: the server doesn\'t have a resource type "foos"\n')


def test_several_types_prefix_names(kubelab, web):
    r = kubelab("get", "pods,svc", "-f", web)
    tables = r.out.split("\n\n")
    assert len(tables) == 2
    assert tables[0].splitlines()[1].startswith("pod/web-1   ")
    assert tables[1].splitlines()[1].startswith("service/db  ")
    r = kubelab("get", "svc/web", "pod/web-1", "-o", "name", "-f", web)
    assert r.out == "service/web\npod/web-1\n"


def test_json_is_a_list_that_round_trips(kubelab, web):
    r = kubelab("get", "pods", "-o", "json", "-f", web)
    doc = json.loads(r.out)
    assert (doc["apiVersion"], doc["kind"]) == ("v1", "List")
    assert [i["metadata"]["name"] for i in doc["items"]] == ["web-1", "web-2", "web-3"]
    assert doc["items"][0]["status"]["podIP"] == "10.244.1.2"
    again = load_text(r.out, source="out.json")
    assert [o.to_dict() for o in again] == doc["items"]
    # and the output is itself valid input
    with open("out.json", "w") as fh:
        fh.write(r.out)
    assert kubelab("validate", "-f", "out.json").out == "ok: 3 objects\n"


def test_json_of_one_named_object_is_the_object(kubelab, web):
    doc = json.loads(kubelab("get", "svc", "web", "-o", "json", "-f", web).out)
    assert (doc["kind"], doc["spec"]["ports"][0]["nodePort"]) == ("Service", 30080)
    empty = json.loads(kubelab("get", "pods", "-n", "empty", "-o", "json", "-f", web).out)
    assert empty["items"] == []


def test_yaml(kubelab, web):
    doc = yaml.safe_load(kubelab("get", "services", "-o", "yaml", "-f", web).out)
    assert doc["kind"] == "List"
    assert {i["metadata"]["name"] for i in doc["items"]} == {"db", "ext", "kubernetes", "lb", "web"}


# ---------------------------------------------------------------- the formatting functions
def test_tabwriter_alignment():
    # minimum width 6 (including the padding of 3), last column never padded
    assert format_table(["A", "IP", "LAST"], [["x", "1.2.3.4", "z"]]) == "A     IP        LAST\nx     1.2.3.4   z"
    assert format_table(["NAME"], [["a"]]) == "NAME\na"
    assert all(not line.endswith(" ") for line in format_table(["N", "V"], [["a", "b"]]).splitlines())


def test_make_port_string():
    svc = load_text("""
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {type: NodePort, ports: [{name: a, port: 80, nodePort: 30080}, {name: b, port: 53, protocol: UDP}]}
""")[0]
    assert make_port_string(svc.spec.ports) == "80:30080/TCP,53/UDP"


def test_format_endpoints_headless_and_many_ports():
    ep = load_text("""
apiVersion: v1
kind: Endpoints
metadata: {name: e}
subsets:
- addresses: [{ip: 10.0.0.1}, {ip: 10.0.0.2}]
- addresses: [{ip: 10.0.0.3}, {ip: 10.0.0.4}, {ip: 10.0.0.5}]
  ports: [{name: a, port: 80}, {name: b, port: 81}]
""")[0]
    assert format_endpoints(ep) == "10.0.0.1,10.0.0.2,10.0.0.3:80 + 5 more..."


def test_format_hosts_and_selector():
    ing = load_text("""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
  rules: [{host: a.x}, {host: b.x}, {host: c.x}, {host: d.x}, {host: e.x}]
""")[0]
    assert format_hosts(ing.spec.rules) == "a.x,b.x,c.x + 2 more..."
    assert format_hosts([]) == "*"
    # "n" and "y" quoted: go-yaml v2 (kubectl, the API server) reads them bare as booleans
    np = load_text("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: "n"}
spec: {podSelector: {matchExpressions: [{key: z, operator: Exists}, {key: a, operator: DoesNotExist},
                                        {key: m, operator: NotIn, values: ["y", x]}]}}
""")[0]
    assert format_selector(np.spec.pod_selector) == "!a,m notin (x,y),z"
