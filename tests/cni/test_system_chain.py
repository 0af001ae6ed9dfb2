"""The real bridge + host-local + portmap + loopback binaries through kubelab's runtime, in kl- namespaces.

The plugin processes run inside a throwaway "node" namespace (``ip netns exec
kl-…``) so ``cni0`` and the iptables rules live there, never on the host; the
pod is another ``kl-`` namespace given as ``CNI_NETNS=/run/netns/kl-…``
(ENVIRONMENT.md: a namespace created *inside* ``ip netns exec`` is not visible
outside it, so both are created from the host).  The in-memory chain must give
the same result JSON and the same ``iptables-save`` nat table.

What differs, by design (kubelab.cni.memory.kernel): MAC addresses (the
kernel's are random; kubelab derives them from names) and the host veth name
(the bridge plugin's is ``veth`` + 4 random bytes; kubelab's is a hash of the
container ID and interface).  Interface indexes in ``ips[].interface`` are
equal (2: the pod end).
"""

from __future__ import annotations

import json
import re

import pytest

from kubelab.cni import CNIError, MemoryBackend, Runtime, RuntimeConf, SystemBackend, load_conflist
from kubelab.lab.netns import NetNS
from tests.capabilities import cni_bin_dir

pytestmark = pytest.mark.requires("root", "cni", "iptables")

CHAIN = {"cniVersion": "1.0.0", "name": "kubenet", "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": True, "hairpinMode": True,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.1.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": True}, "snat": True}]}
LOOPBACK = {"cniVersion": "1.0.0", "name": "lo", "plugins": [{"type": "loopback"}]}
PORTS = {"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
                          {"hostPort": 5353, "containerPort": 53, "protocol": "udp", "hostIP": "192.168.1.5"}]}


def _normalise(result_json: str) -> dict:
    d = json.loads(result_json)
    for i in d.get("interfaces", []):
        i.pop("mac", None)
        if i["name"].startswith("veth"):
            i["name"] = "veth*"
    return d


def _nat(text: str) -> str:
    out, keep = [], False
    for line in text.splitlines():
        if line.startswith("*"):
            keep = line == "*nat"
        if keep and not line.startswith("#"):
            out.append(line)
        if line == "COMMIT":
            keep = False
    return "\n".join(out)


def test_real_chain_matches_the_model(tmp_path):
    lst, lo = load_conflist(json.dumps(CHAIN)), load_conflist(json.dumps(LOOPBACK))
    with NetNS() as node, NetNS() as pod:
        netns = f"/run/netns/{pod.name}"
        rt_eth = RuntimeConf("ctr-1", netns, "eth0", capability_args=PORTS)
        rt_lo = RuntimeConf("ctr-1", netns, "lo")
        real = Runtime(SystemBackend(str(cni_bin_dir()), netns=node.name), cache_dir=tmp_path / "cache",
                       data_dir=tmp_path / "ipam")
        model_backend = MemoryBackend()
        model = Runtime(model_backend)

        real_lo, model_lo = real.add(lo, rt_lo), model.add(lo, rt_lo)
        assert real_lo.to_json() == model_lo.to_json()
        real_res, model_res = real.add(lst, rt_eth), model.add(lst, rt_eth)
        assert _normalise(real_res.to_json()) == _normalise(model_res.to_json())
        assert real_res.ips == [{"interface": 2, "address": "10.244.1.2/24", "gateway": "10.244.1.1"}]

        # the kernel agrees with the result
        addrs = json.loads(pod.run(["ip", "-j", "addr", "show", "eth0"]).stdout)[0]
        assert [f"{a['local']}/{a['prefixlen']}" for a in addrs["addr_info"] if a["family"] == "inet"] == \
            ["10.244.1.2/24"]
        assert "default via 10.244.1.1 dev eth0" in pod.run(["ip", "route"]).stdout
        assert "inet 10.244.1.1/24" in node.run(["ip", "addr", "show", "cni0"]).stdout
        veth = real_res.interfaces[1]["name"]
        assert "master cni0" in node.run(["ip", "link", "show", veth]).stdout
        assert (tmp_path / "ipam" / "kubenet" / "10.244.1.2").read_bytes() == b"ctr-1\r\neth0"
        assert _nat(node.run(["iptables-save"]).stdout) == _nat(model_backend.node.host.iptables_save())
        assert node.run(["sysctl", "-n", "net.ipv4.conf.cni0.route_localnet"]).stdout.strip() == "1"
        assert model_backend.node.host.sysctls["net.ipv4.conf.cni0.route_localnet"] == "1"

        # portmap v1.1.1 checks its IPv4 chain in ip6tables too: CHECK with port mappings always fails
        errors = []
        for runtime in (real, model):
            with pytest.raises(CNIError) as exc:
                runtime.check(lst, rt_eth)
            errors.append(exc.value.to_json())
        assert errors[0] == errors[1] and "could not check ipv6 dnat: chain CNI-DN-" in errors[0]
        real.check(lo, rt_lo)
        model.check(lo, rt_lo)

        real.delete(lst, rt_eth)
        model.delete(lst, rt_eth)
        assert node.run(["ip", "link", "show", veth], check=False).returncode != 0
        assert not (tmp_path / "ipam" / "kubenet" / "10.244.1.2").exists()
        assert node.run(["ip", "link", "show", "cni0"], check=False).returncode == 0  # the bridge stays
        nat = _nat(node.run(["iptables-save"]).stdout)
        assert ":CNI-HOSTPORT-DNAT" in nat and "CNI-DN-" not in nat and "-j MASQUERADE" in nat
        assert nat == _nat(model_backend.node.host.iptables_save())
        assert not re.search(r"CNI-[0-9a-f]{24}", nat)
        assert veth not in model_backend.node.host.links
        real.delete(lo, rt_lo)
        model.delete(lo, rt_lo)
