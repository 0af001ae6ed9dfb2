"""Pod IPs come from host-local's allocator (:mod:`kubelab.util.ipranges`, run by :mod:`kubelab.cni.ipam.host_local`
and checked against the real binary in ``tests/cni/test_host_local_real.py``): the cluster hands out what the
plugin hands out, in the same order."""

from __future__ import annotations

import yaml

from kubelab.cluster import Cluster
from kubelab.cni.ipam import host_local


def _pinned(name: str, node: str = "kind-worker") -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                           "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}]}})


def _host_local(subnet: str, steps: list[tuple[str, str]]) -> list[str]:
    conf = {"cniVersion": "1.0.0", "name": "kind", "ipam": {"type": "host-local", "subnet": subnet}}
    store, out = host_local.MemoryStore(), []
    for op, cid in steps:
        if op == "add":
            out.append(host_local.allocate(conf, cid, "eth0", store=store).ips[0]["address"].split("/")[0])
        else:
            host_local.release(conf, cid, "eth0", store=store)
    return out


def test_the_cluster_hands_out_what_host_local_hands_out():
    steps = [("add", "w0"), ("add", "w1"), ("add", "w2"), ("del", "w1"), ("add", "w3"), ("del", "w0"),
             ("add", "w4")]
    c = Cluster(system=False)
    got = []
    for op, name in steps:
        if op == "add":
            c.apply(_pinned(name))
            got.append(c.pod(name).status.pod_ip)
        else:
            c.delete("pod", name)
    subnet = c.node("kind-worker").spec.pod_cidr
    assert got == _host_local(subnet, steps) == ["10.244.1.2", "10.244.1.3", "10.244.1.4", "10.244.1.5",
                                                  "10.244.1.6"]


def test_a_full_range_leaves_the_pod_pending_with_host_locals_message():
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "tiny"}, "spec": {"podCIDR": "10.9.0.0/30"}}
    c = Cluster(yaml.safe_dump(node), system=False)
    c.apply(_pinned("a", "tiny") + "---\n" + _pinned("b", "tiny"))
    assert c.pod("a").status.pod_ip == "10.9.0.2"
    b = c.pod("b")
    assert b.status.pod_ip is None and b.status.phase == "Pending"
    assert any(w.endswith("Pod default/b: FailedCreatePodSandBox on tiny: failed to allocate for range 0: "
                          "no IP addresses available in range set: 10.9.0.1-10.9.0.2") for w in c.warnings)


def test_an_address_a_pod_reports_is_not_handed_out_again():
    taken = yaml.safe_load(_pinned("reported"))
    taken["status"] = {"podIP": "10.244.1.2", "phase": "Running"}
    c = Cluster(yaml.safe_dump(taken) + "---\n" + _pinned("new"), system=False)
    assert c.pod("new").status.pod_ip == "10.244.1.3"
