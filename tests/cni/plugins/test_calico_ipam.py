"""Calico's block IPAM view: /26 blocks by default (IPPool blockSize), never overlapping, unique addresses."""

from __future__ import annotations

import ipaddress

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from kubelab import Cluster
from kubelab.cni.plugins import calico_ipam
from kubelab.errors import KubelabError


def _cluster(pods_per_node):
    nodes = [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"n{i}"}} for i in range(len(pods_per_node))]
    pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}-{j}"},
             "spec": {"nodeName": f"n{i}", "containers": [{"name": "c", "image": "x"}]}}
            for i, k in enumerate(pods_per_node) for j in range(k)]
    return Cluster([yaml.safe_dump(d) for d in nodes + pods], system=False, pod_cidr="10.244.0.0/16")


def test_default_blocks_are_26_and_pods_keep_their_host_local_ips():
    c = Cluster()
    before = {p.name: p.status.pod_ip for p in c.pods(None)}
    ipam = calico_ipam(c)
    assert ipam.block_size == 26
    assert all(ipaddress.ip_network(b).prefixlen == 26 for bs in ipam.blocks.values() for b in bs)
    assert {p.name: p.status.pod_ip for p in c.pods(None)} == before  # the cluster is not changed
    assert ipam.blocks["kind-control-plane"] == ["10.244.0.0/26"]
    cp_addresses = [ip for ref, ip in ipam.addresses.items() if ref.startswith("kube-system/coredns")]
    assert cp_addresses == ["10.244.0.1", "10.244.0.2"]  # after the tunnel address 10.244.0.0
    assert [str(r) for r in ipam.routes("kind-worker")] == ["blackhole 10.244.0.64/26 proto bird"]


def test_a_full_block_makes_the_node_claim_another():
    ipam = calico_ipam(_cluster([70]), tunnel_addresses=False)
    assert ipam.blocks["n0"] == ["10.244.0.0/26", "10.244.0.64/26"]
    assert ipam.block_of(ipam.addresses["default/p0-64"]) == "10.244.0.64/26"


def test_borrowing_and_exhaustion():
    c = _cluster([3, 3])
    ipam = calico_ipam(c, pool="10.244.0.0/26", tunnel_addresses=False)
    assert ipam.blocks == {"n0": ["10.244.0.0/26"], "n1": []} and len(ipam.borrowed) == 3
    with pytest.raises(KubelabError, match="exhausted"):
        calico_ipam(_cluster([5]), pool="10.244.0.0/30", block_size=30, tunnel_addresses=False)
    with pytest.raises(KubelabError, match="blockSize 19"):
        calico_ipam(c, block_size=19)


@settings(max_examples=40, deadline=None)
@given(pods=st.lists(st.integers(0, 90), min_size=1, max_size=5), block=st.integers(24, 29),
       tunnels=st.booleans())
def test_blocks_never_overlap_and_addresses_are_unique(pods, block, tunnels):
    ipam = calico_ipam(_cluster(pods), block_size=block, tunnel_addresses=tunnels)
    blocks = [ipaddress.ip_network(b) for bs in ipam.blocks.values() for b in bs]
    assert all(not a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1:])
    pool = ipaddress.ip_network(ipam.pool)
    assert all(b.subnet_of(pool) and b.prefixlen == block for b in blocks)
    everything = list(ipam.addresses.values()) + list(ipam.tunnel_addresses.values())
    assert len(everything) == len(set(everything)) == sum(pods) + (len(pods) if tunnels else 0)
    for ref, ip in ipam.addresses.items():  # each address lies in a block of its own node unless borrowed
        node = "n" + ref.split("/p")[1].split("-")[0]
        assert ref in ipam.borrowed or ipam.block_of(ip) in ipam.blocks[node]
