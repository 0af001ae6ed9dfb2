"""kubelab.netfilter and kubelab.hops: the leaf rule model and the trace records (their examples run as doctests)."""

import inspect

from kubelab import Cluster
from kubelab.hops import DataPlane
from kubelab.net import Network
from kubelab.netfilter import Evaluator, Packet, Table


def test_the_package_evaluates_the_rules_it_parses():
    t = Table("nat")
    t.append("PREROUTING", "-d 10.96.0.5/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.244.1.2:8080")
    pkt = Packet("10.244.2.9", 40000, "10.96.0.5", 80)
    result = Evaluator({"nat": t}, local_ips={"172.18.0.3"}).run("nat", "PREROUTING", pkt)
    assert (result.verdict, pkt.dst, pkt.dport) == ("ACCEPT", "10.244.1.2", 8080)
    assert t.save().splitlines()[-2] == ("-A PREROUTING -d 10.96.0.5/32 -p tcp -m tcp --dport 80 "
                                         "-j DNAT --to-destination 10.244.1.2:8080")


def test_the_trace_engine_is_a_data_plane():
    """Every member the proxy modes' hooks may use (hops.DataPlane) exists on kubelab.net.Network."""
    network = Network(Cluster())
    members = set(DataPlane.__annotations__) | {
        name for name, _ in inspect.getmembers(DataPlane, inspect.isfunction) if not name.startswith("__")}
    assert members >= {"evaluator", "_deliver", "conntrack", "clock"}
    missing = sorted(m for m in members if not hasattr(network, m))
    assert missing == []
