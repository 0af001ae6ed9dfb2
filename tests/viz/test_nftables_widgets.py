"""The trace stepper and the scaling explorer in nftables mode: lookups, not walks."""

from __future__ import annotations

import kubelab
from kubelab import viz
from kubelab.viz.scaling import scaling_curve

from .test_trace_scaling import MANIFESTS


def test_scaling_curve_nftables_checks_the_same_rules_at_every_size():
    nft = scaling_curve("nftables", sizes=(10, 50), measured_up_to=50)
    ipt = scaling_curve("iptables", sizes=(10, 50), measured_up_to=50)
    assert nft[0].evaluated == nft[1].evaluated  # one verdict-map lookup, whatever the number of Services
    assert ipt[1].evaluated - ipt[0].evaluated == 40  # one KUBE-SERVICES rule more per Service
    assert nft[1].rules > nft[0].rules  # the per-Service chains still grow the table


def test_trace_stepper_in_nftables_mode_shows_the_lookups():
    cluster = kubelab.Cluster(MANIFESTS)
    app = viz.trace_stepper(cluster, "client", [("web", 80)], modes=["nftables"])
    for _ in range(20):
        viz.interact(app, Next="click")
    assert app.trace.mode == "nftables" and app.trace.verdict == "delivered"
    assert "service-ips" in app.html and "a verdict map is one hash lookup" in app.html


def test_scaling_explorer_offers_nftables():
    app = viz.scaling_explorer(["iptables", "nftables", "ipvs"])
    viz.interact(app, Figure="rules")
    assert "nftables" in app.html and "packet-filter rules on the node" in app.html
