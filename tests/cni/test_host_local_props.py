"""Properties of host-local (hypothesis): no address twice, never the gateway/network/broadcast, round-robin."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from kubelab.cni.ipam.host_local import MemoryStore, allocate, release
from kubelab.cni.skel import PluginError

PREFIXES = st.integers(min_value=26, max_value=30)


@st.composite
def scenarios(draw):
    prefix = draw(PREFIXES)
    net = ipaddress.ip_network(f"10.{draw(st.integers(0, 255))}.{draw(st.integers(0, 255))}.0/{prefix}",
                               strict=False)
    ops = draw(st.lists(st.tuples(st.sampled_from(["add", "del"]), st.integers(0, 20)), max_size=60))
    return net, ops


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_allocation_invariants(scenario):
    net, ops = scenario
    conf = {"cniVersion": "1.0.0", "name": "p", "ipam": {"type": "host-local", "subnet": str(net)}}
    store = MemoryStore()
    held: dict[str, str] = {}
    last = None
    usable = [ip for ip in net.hosts() if ip != net.network_address + 1]
    for op, n in ops:
        cid = f"c{n}"
        if op == "del":
            release(conf, cid, "eth0", store=store)
            held.pop(cid, None)
            continue
        try:
            result = allocate(conf, cid, "eth0", store=store)
        except PluginError as exc:
            assert cid in held or len(held) == len(usable), exc
            continue
        ip = ipaddress.ip_interface(result.ips[0]["address"]).ip
        assert cid not in held
        assert str(ip) not in held.values()  # never handed out twice
        assert ip not in (net.network_address, net.broadcast_address, net.network_address + 1)
        assert ip in net
        if last is not None:
            # round robin: the first free address after the last reserved one, wrapping around
            order = usable[usable.index(last) + 1:] + usable[:usable.index(last) + 1]
            free = [a for a in order if str(a) not in held.values()]
            assert ip == free[0]
        else:
            assert ip == usable[0]
        held[cid] = str(ip)
        last = ip
