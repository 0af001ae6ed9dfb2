"""The runtime (libcni's role) with the in-memory plugins: injection, chaining, cache, CHECK/DEL/GC/STATUS."""

from __future__ import annotations

import json

import pytest

from kubelab.cni import CNIError, MemoryBackend, MEMORY_PLUGINS, Runtime, RuntimeConf, load_conflist
from kubelab.cni.skel import Plugin, register
from kubelab.cni.types import Result

BRIDGE = {"type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": True,
          "ipam": {"type": "host-local", "subnet": "10.244.1.0/24", "routes": [{"dst": "0.0.0.0/0"}]}}


def conflist(version="1.0.0", *plugins, **extra):
    return load_conflist(json.dumps({"cniVersion": version, "name": "net", "plugins": list(plugins or [BRIDGE]),
                                     **extra}))


@register
class Recorder(Plugin):
    """A test plugin that records its stdin and passes prevResult through."""

    name = "kubelab-test-recorder"
    supported_versions = ("0.3.1", "0.4.0", "1.0.0", "1.1.0")
    seen: list = []

    def add(self, args, context):
        conf = json.loads(args.stdin)
        type(self).seen.append(("ADD", conf))
        return Result.from_dict(conf["prevResult"]) if "prevResult" in conf else Result("1.0.0")

    def delete(self, args, context):
        type(self).seen.append(("DEL", json.loads(args.stdin)))

    def check(self, args, context):
        type(self).seen.append(("CHECK", json.loads(args.stdin)))


@pytest.fixture(autouse=True)
def _clear():
    Recorder.seen.clear()


def test_registry_has_the_plugins():
    assert {"loopback", "bridge", "ptp", "portmap", "host-local"} <= set(MEMORY_PLUGINS)


def test_injection_and_chaining():
    rec = {"type": "kubelab-test-recorder", "capabilities": {"portMappings": True, "bandwidth": False}}
    lst = conflist("1.0.0", BRIDGE, rec)
    rt = Runtime()
    caps = {"portMappings": [{"hostPort": 80, "containerPort": 80, "protocol": "tcp"}], "bandwidth": {"x": 1}}
    result = rt.add(lst, RuntimeConf("c1", "/run/netns/p", "eth0", capability_args=caps))
    (_, conf), = Recorder.seen
    assert conf["name"] == "net" and conf["cniVersion"] == "1.0.0"
    assert conf["runtimeConfig"] == {"portMappings": caps["portMappings"]}  # only declared capabilities
    assert conf["prevResult"]["ips"] == [{"address": "10.244.1.2/24", "gateway": "10.244.1.1", "interface": 2}]
    assert result.ips[0]["address"] == "10.244.1.2/24"
    stdin = rt.log[-1]["stdin"]
    assert stdin == json.dumps(json.loads(stdin), sort_keys=True, separators=(",", ":"))  # InjectConf: Go map
    assert "prevResult" not in json.loads(rt.log[0]["stdin"])  # not for the first plugin


def test_del_in_reverse_with_cached_result(tmp_path):
    rec = {"type": "kubelab-test-recorder"}
    lst = conflist("1.0.0", BRIDGE, rec)
    rt = Runtime(cache_dir=tmp_path)
    conf = RuntimeConf("c1", "/run/netns/p", "eth0")
    rt.add(lst, conf)
    cache = json.loads((tmp_path / "results" / "net-c1-eth0").read_text())
    assert cache["kind"] == "cniCacheV1" and cache["result"]["ips"][0]["address"] == "10.244.1.2/24"
    rt.delete(lst, conf)
    assert [r["type"] for r in rt.log] == ["bridge", "kubelab-test-recorder", "kubelab-test-recorder", "bridge"]
    assert Recorder.seen[-1][1]["prevResult"]["ips"][0]["address"] == "10.244.1.2/24"
    assert not (tmp_path / "results" / "net-c1-eth0").exists()
    # the address is free again, and host-local does not reuse it at once
    assert rt.add(lst, RuntimeConf("c2", "/run/netns/q", "eth0")).ips[0]["address"] == "10.244.1.3/24"


def test_del_below_040_gets_no_prev_result():
    lst = conflist("0.3.1", {"type": "kubelab-test-recorder"})
    rt = Runtime()
    rt.add(lst, RuntimeConf("c1", "/p", "eth0"))
    rt.delete(lst, RuntimeConf("c1", "/p", "eth0"))
    assert "prevResult" not in Recorder.seen[-1][1]


def test_check_rules():
    rt = Runtime()
    with pytest.raises(CNIError, match='configuration version "0.3.1" does not support the CHECK command'):
        rt.check(conflist("0.3.1"), RuntimeConf("c1", "/p"))
    rt.check(conflist("1.0.0", {"type": "kubelab-test-recorder"}, disableCheck=True), RuntimeConf("c1", "/p"))
    assert Recorder.seen == []
    lst = conflist("1.0.0")
    rt.add(lst, RuntimeConf("c1", "/p"))
    rt.check(lst, RuntimeConf("c1", "/p"))


def test_plugin_error_is_the_plugins_json_with_libcni_context():
    lst = conflist("1.0.0", {**BRIDGE, "ipam": {"type": "host-local", "subnet": "10.0.0.0/30"}})
    rt = Runtime()
    rt.add(lst, RuntimeConf("a", "/p1"))
    with pytest.raises(CNIError) as exc:
        rt.add(lst, RuntimeConf("b", "/p2"))
    assert exc.value.code == 999
    assert exc.value.msg == "failed to allocate for range 0: no IP addresses available in range set: 10.0.0.1-10.0.0.2"
    assert exc.value.context == 'plugin type="bridge" failed (add)'


def test_incompatible_version_and_unknown_plugin():
    rt = Runtime()
    with pytest.raises(CNIError) as exc:
        rt.add(conflist("1.1.0"), RuntimeConf("a", "/p"))
    assert exc.value.code == 1 and exc.value.details.startswith('config is "1.1.0", plugin supports ["0.1.0"')
    with pytest.raises(CNIError, match='failed to find plugin "calico"'):
        rt.add(conflist("1.0.0", {"type": "calico"}), RuntimeConf("a", "/p"))


def test_bad_names():
    rt = Runtime()
    with pytest.raises(CNIError, match="invalid characters in containerID"):
        rt.add(conflist(), RuntimeConf("bad id", "/p"))
    with pytest.raises(CNIError, match="interface name is too long"):
        rt.add(conflist(), RuntimeConf("a", "/p", "x" * 16))


def test_version_gc_status():
    rt = Runtime()
    assert rt.version("bridge")["supportedVersions"][-1] == "1.0.0"
    lst = conflist("1.1.0", {"type": "kubelab-test-recorder"})
    rt.add(lst, RuntimeConf("keep", "/p1"))
    rt.add(lst, RuntimeConf("stale", "/p2"))
    errors = rt.gc(lst, [("keep", "eth0")])
    # a plugin built with libcni v1.0 knows no GC: skel first insists on a container ID (code 3)
    assert errors and all((e.code, e.msg) == (3, "missing containerID") for e in errors)
    dels = [c for cmd, c in Recorder.seen if cmd == "DEL"]
    assert len(dels) == 1  # only the stale attachment
    gc_stdin = json.loads([r for r in rt.log if r["command"] == "GC"][0]["stdin"])
    assert gc_stdin["cni.dev/valid-attachments"] == gc_stdin["cni.dev/attachments"] == \
        [{"containerID": "keep", "ifname": "eth0"}]
    assert rt.gc(conflist("1.1.0", {"type": "kubelab-test-recorder"}, disableGC=True)) == []
    rt.status(conflist("1.0.0"))  # below 1.1.0: nothing to ask


def test_bridge_model_state():
    backend = MemoryBackend()
    rt = Runtime(backend)
    lst = conflist()
    result = rt.add(lst, RuntimeConf("c1", "/run/netns/p", "eth0"))
    host, pod = backend.node.host, backend.node.netns("/run/netns/p")
    assert host.links["cni0"].addresses == ["10.244.1.1/24"] and host.sysctls["net.ipv4.ip_forward"] == "1"
    veth = result.interfaces[1]["name"]
    assert host.links[veth].master == "cni0"
    assert pod.links["eth0"].addresses == ["10.244.1.2/24"]
    assert {"dst": "default", "gw": "10.244.1.1", "dev": "eth0"} in pod.routes
    assert "-j CNI-" in host.iptables_save()
    rt.delete(lst, RuntimeConf("c1", "/run/netns/p", "eth0"))
    assert veth not in host.links and "eth0" not in pod.links and "cni0" in host.links
    assert "MASQUERADE" not in host.iptables_save()


def test_ptp_and_loopback():
    backend = MemoryBackend()
    rt = Runtime(backend)
    ptp = conflist("0.4.0", {"type": "ptp", "ipMasq": True,
                             "ipam": {"type": "host-local", "subnet": "10.1.1.0/24"}})
    r = rt.add(ptp, RuntimeConf("c1", "/run/netns/p"))
    assert [i["name"] for i in r.interfaces][1] == "eth0" and r.ips[0]["interface"] == 1
    assert {"dst": "10.1.1.2/32", "dev": r.interfaces[0]["name"], "scope": "host"} in backend.node.host.routes
    lo = rt.add(conflist("0.3.1", {"type": "loopback"}), RuntimeConf("c1", "/run/netns/p", "lo"))
    assert lo.as_dict("0.3.1")["ips"] == [{"version": "4", "interface": 0, "address": "127.0.0.1/8"},
                                          {"version": "6", "interface": 0, "address": "::1/128"}]
