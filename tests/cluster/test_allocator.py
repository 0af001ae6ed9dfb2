"""NodePort and ClusterIP allocation in tiny ranges: upstream's static band is 0 for 16 values or fewer."""

from __future__ import annotations

import pytest

from kubelab import Cluster
from kubelab.cluster.allocator import AllocationError, ClusterIPAllocator, NodePortAllocator, band_offset


@pytest.mark.parametrize(("size", "step", "maximum", "want"), [
    (1, 32, 128, 0), (16, 32, 128, 0), (17, 32, 128, 16), (2768, 32, 128, 86), (100000, 32, 128, 128),
    (8, 16, 256, 0), (16, 16, 256, 0), (32, 16, 256, 16), (4096, 16, 256, 256)])
def test_band_offset_is_upstreams_calculate_range_offset(size, step, maximum, want):
    assert band_offset(size, step, maximum) == want


@pytest.mark.parametrize(("lo", "hi"), [(30080, 30080), (30080, 30082), (30000, 30015)])
def test_node_ports_of_a_tiny_range_stay_in_it(lo, hi):
    ports = NodePortAllocator((lo, hi))
    got = [ports.allocate_next(f"default/s{i}") for i in range(hi - lo + 1)]
    assert sorted(got) == list(range(lo, hi + 1))
    with pytest.raises(AllocationError, match="range is full"):
        ports.allocate_next("default/one-more")


def test_a_one_port_range_from_the_command_line_flag():
    c = Cluster("""
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80}]}
""", node_port_range="30080-30080")
    assert c.get("svc", "web").spec.ports[0].node_port == 30080


def test_a_second_service_in_a_full_one_port_range_is_refused():
    from kubelab.errors import KubelabError

    two = "\n---\n".join(f"""apiVersion: v1
kind: Service
metadata: {{name: {n}}}
spec: {{type: NodePort, selector: {{app: web}}, ports: [{{port: 80}}]}}""" for n in ("a", "b"))
    with pytest.raises(KubelabError, match="range is full"):
        Cluster(two, node_port_range="30080-30080")


def test_cluster_ips_of_a_slash_28_fill_the_whole_range():
    ips = ClusterIPAllocator(["10.96.0.0/28"])
    got = {ips.allocate_next(f"default/s{i}") for i in range(14)}
    assert len(got) == 14 and all(ips.contains(ip) for ip in got)
    with pytest.raises(AllocationError, match="range is full"):
        ips.allocate_next("default/one-more")
