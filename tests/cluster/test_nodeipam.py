"""Node podCIDRs (:mod:`kubelab.cluster.nodeipam`): the indexed search gives the first free block, as a scan would."""

from __future__ import annotations

import ipaddress
import random

import pytest
import yaml

from kubelab.cluster import Cluster
from kubelab.errors import ValidationError


def _node(name: str, cidr: str | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": {"podCIDR": cidr} if cidr else {}}


def _first_free(pool: str, mask: int, used: list[str]) -> str:
    """The reference: every subnet against every node's block (what the dropped slow path did)."""
    taken = [ipaddress.ip_network(c, strict=False) for c in used]
    for sub in ipaddress.ip_network(pool).subnets(new_prefix=mask):
        if not any(sub.overlaps(u) for u in taken):
            return str(sub)
    raise AssertionError("full")


@pytest.mark.parametrize("seed", range(6))
def test_allocated_blocks_match_a_scan_of_every_subnet(seed):
    rng = random.Random(seed)
    declared = []
    for i in range(rng.randint(1, 8)):  # blocks of other sizes, some inside the pool, some not
        prefix = rng.choice([22, 23, 24, 25, 26])
        base = ipaddress.ip_network(rng.choice(["10.244.0.0/20", "10.0.0.0/20"]))
        sub = list(base.subnets(new_prefix=prefix))
        declared.append(_node(f"d{i}", str(rng.choice(sub))))
    c = Cluster(yaml.safe_dump_all(declared), pod_cidr="10.244.0.0/20", system=False)
    for step in range(12):
        if rng.random() < 0.3 and len(c.nodes()) > 1:
            c.delete("node", rng.choice(c.nodes()).name)
            continue
        used = [p for n in c.nodes() for p in n.spec.pod_cidrs]
        c.apply(yaml.safe_dump(_node(f"n{step}")))
        assert c.node(f"n{step}").spec.pod_cidr == _first_free("10.244.0.0/20", 24, used)


def test_a_full_pool_is_refused_naming_the_field():
    c = Cluster(yaml.safe_dump_all([_node("a"), _node("b")]), pod_cidr="10.244.0.0/23", system=False)
    with pytest.raises(ValidationError, match=r"spec.podCIDR: Invalid value: null: no free /24 left in 10.244.0.0/23"):
        c.apply(yaml.safe_dump(_node("c")))
    assert [n.name for n in c.nodes()] == ["a", "b"]
