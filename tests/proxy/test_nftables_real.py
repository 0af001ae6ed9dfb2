"""kube-proxy nftables mode on the real nft: what kube-proxy pipes to ``nft -f -`` loads, and
``nft list table ip kube-proxy`` prints ``kubelab rules --format ruleset`` line for line.

Each scenario is rendered on every node of its cluster; the transaction (``--format
transaction``: what a first sync sends) is loaded into a throwaway ``kl-`` network namespace with
the real ``nft`` (nft 1.0.6 on Debian 12 here), then listed.  The listing must equal the model's
``ruleset`` rendering line for line, except that the elements inside a set's or map's
``elements = { ... }`` are compared as a set: the kernel keeps them in its own hash order.

The ``dump`` rendering (``knftables.Fake.Dump()``) is not loadable as it stands -- it lists sets
and maps after the chains whose rules use them, and nft answers "No such file or directory" --
which the last test shows; ``test_nftables.py`` checks that it holds exactly what the transaction adds.
"""

from __future__ import annotations

import re

import pytest

from kubelab import Cluster
from kubelab.proxy import proxier_for

from .nft_fixtures import NODE, svc_yaml, upstream_overall, web


def scenarios():
    rich = web(type="LoadBalancer", externalIPs=["192.0.2.7"],
               loadBalancerSourceRanges=["203.0.113.0/25", "172.18.0.0/16"],  # the nodes: the VIP is allowed too
               sessionAffinity="ClientIP", ports=[{"name": "p80", "port": 80}, {"name": "dns", "port": 53,
                                                                                 "protocol": "UDP"}])
    rich.apply(svc_yaml("local", selector={"app": "web"}, type="NodePort", externalTrafficPolicy="Local"))
    rich.apply(svc_yaml("empty", selector={"app": "none"}, type="NodePort"))
    rich.apply(svc_yaml("itp", selector={"app": "web"}, internalTrafficPolicy="Local"))
    v6 = Cluster(service_cidrs="fd00:10:96::/112", pod_cidr="fd00:10:244::/56", node_cidr_mask=64)
    v6.apply(svc_yaml("dns-np", ns="kube-system", selector={"k8s-app": "kube-dns"}, type="NodePort",
                      sessionAffinity="ClientIP", ports=[{"name": "dns", "port": 53, "protocol": "UDP"}]))
    return {"upstream-overall": (upstream_overall(), [NODE]),
            "rich": (rich, [n.name for n in rich.nodes()]),
            "ipv6": (v6, ["kind-worker"])}


def split_elements(text: str, runtime: bool = False) -> list:
    """The listing with each ``elements = { ... }`` block replaced by the set of its elements.

    ``runtime=True`` drops the elements the data path added since (``update @affinity-…`` records
    each client with an ``expires`` countdown): kernel state, not what kube-proxy programmed."""
    out: list = []
    block: list[str] | None = None
    for line in text.splitlines():
        if block is None and "elements = { " in line:
            block = [line.split("elements = { ", 1)[1]]
        elif block is not None:
            block.append(line.strip())
        else:
            out.append(line)
        if block is not None and block[-1].endswith(" }"):
            body = " ".join(block)[:-2]
            items = frozenset(e.strip() for e in re.split(r",(?![^{]*\})", body))
            if not (runtime and all(" expires " in e for e in items)):
                out.append(("elements", items))
            block = None
    return out


@pytest.mark.requires("root", "nft")
@pytest.mark.parametrize("name", ["upstream-overall", "rich", "ipv6"])
def test_real_nft_loads_the_transaction_and_lists_the_modelled_ruleset(name):
    from kubelab.lab import NetNS
    cluster, nodes = scenarios()[name]
    for node in nodes:
        p = proxier_for(cluster, "nftables", node=node)
        with NetNS() as ns:
            loaded = ns.run(["nft", "-f", "-"], input=p.render("transaction"), check=False)
            assert loaded.returncode == 0, f"{name} on {node}: {loaded.stderr}"
            real = ns.run(["nft", "list", "table", p.family, "kube-proxy"]).stdout
        assert split_elements(real) == split_elements(p.render("ruleset")), f"{name} on {node}"


@pytest.mark.requires("root", "nft")
def test_real_nft_refuses_the_dump_order_as_it_stands():
    from kubelab.lab import NetNS
    p = proxier_for(upstream_overall(), "nftables", node=NODE)
    with NetNS() as ns:
        loaded = ns.run(["nft", "-f", "-"], input=p.render("dump"), check=False)
    assert loaded.returncode != 0 and "No such file or directory" in loaded.stderr
    assert "@cluster-ips" in loaded.stderr
