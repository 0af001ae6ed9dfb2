"""kubelab's host-local against the real ``host-local`` binary, byte for byte.

Same environment and stdin -> same stdout, same exit status, same files
(names, bytes and permission bits) under a fresh dataDir, for sequences of
ADD/DEL/CHECK/VERSION: filling a range to exhaustion, wrap-around after a
release, rangeStart/rangeEnd/gateway, range sets and several range sets,
requested IPs, duplicate allocations, version conversion and the error paths.
host-local needs no network namespace, so this needs only the binary.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kubelab.cni.ipam.host_local import DiskStore
from kubelab.cni.memory.kernel import Node
from kubelab.cni.skel import run_plugin
from tests.capabilities import cni_bin_dir

pytestmark = pytest.mark.cni


def _snapshot(root: Path) -> dict[str, tuple[bytes, str]]:
    out = {}
    for path in sorted(root.rglob("*")):
        mode = stat.filemode(path.stat().st_mode)
        out[str(path.relative_to(root))] = (b"" if path.is_dir() else path.read_bytes(), mode)
    return out


def _real(env: dict, stdin: bytes) -> tuple[str, int, str]:
    binary = cni_bin_dir() / "host-local"
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    p = subprocess.run([str(binary)], input=stdin, env=full, capture_output=True)
    return p.stdout.decode(), p.returncode, p.stderr.decode()


def _ours(env: dict, stdin: bytes) -> tuple[str, int, str]:
    out = run_plugin("host-local", env, stdin, Node(ipam_store=DiskStore()))
    return out.stdout, out.exit_code, out.stderr


def _env(cmd: str, cid: str = "ctr-1", ifname: str = "eth0", **extra: str) -> dict:
    env = {"CNI_COMMAND": cmd, "CNI_CONTAINERID": cid, "CNI_NETNS": "/var/run/netns/x", "CNI_IFNAME": ifname,
           "CNI_PATH": "/usr/lib/cni"}
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def compare(tmp_path: Path, conf: dict | bytes, steps: list[dict]) -> list[str]:
    """Run ``steps`` through both implementations in two dataDirs; assert identical; return the outputs."""
    outputs = []
    dirs = {"real": tmp_path / "real", "ours": tmp_path / "ours"}
    for d in dirs.values():
        d.mkdir()
    for i, env in enumerate(steps):
        results = {}
        for who, fn in (("real", _real), ("ours", _ours)):
            if isinstance(conf, dict):
                c = json.loads(json.dumps(conf).replace("@DATADIR@", str(dirs[who])))
                stdin = json.dumps(c).encode()
            else:
                stdin = conf
            results[who] = fn(env, stdin)
        assert results["ours"][:2] == results["real"][:2], f"step {i} {env}"
        if not env.get("CNI_COMMAND"):
            assert results["ours"][2] == results["real"][2]
        assert _snapshot(dirs["ours"]) == _snapshot(dirs["real"]), f"files after step {i} {env}"
        outputs.append(results["real"][0])
    return outputs


def net(ranges, version="1.0.0", **ipam) -> dict:
    return {"cniVersion": version, "name": "net1",
            "ipam": {"type": "host-local", "dataDir": "@DATADIR@", "ranges": ranges, **ipam}}


def test_fill_exhaust_release_wraparound(tmp_path):
    steps = [_env("ADD", f"c{i}") for i in range(1, 8)]
    steps += [_env("DEL", "c3"), _env("DEL", "c5"), _env("ADD", "c8"), _env("ADD", "c9"), _env("ADD", "c10"),
              _env("DEL", "c8"), _env("DEL", "c8"), _env("ADD", "c11")]
    outs = compare(tmp_path, net([[{"subnet": "10.1.2.0/29"}]]), steps)
    assert '"code": 999' in outs[5] and "no IP addresses available in range set: 10.1.2.1-10.1.2.6" in outs[5]
    assert "\"10.1.2.4/29\"" in outs[9]  # from .6 wrap around: .1 (gateway) skipped, .2 .3 taken, .4 freed


def test_old_style_range_start_end_gateway_routes(tmp_path):
    conf = {"cniVersion": "0.4.0", "name": "net1",
            "ipam": {"type": "host-local", "dataDir": "@DATADIR@", "subnet": "10.10.0.0/24",
                     "rangeStart": "10.10.0.100", "rangeEnd": "10.10.0.103", "gateway": "10.10.0.101",
                     "routes": [{"dst": "0.0.0.0/0"}, {"dst": "192.168.0.0/16", "gw": "10.10.0.254"}]}}
    steps = [_env("ADD", f"c{i}") for i in range(5)] + [_env("DEL", "c0"), _env("ADD", "c9")]
    compare(tmp_path, conf, steps)


def test_range_set_of_two_and_dual_stack(tmp_path):
    conf = net([[{"subnet": "10.1.0.0/30"}, {"subnet": "10.2.0.0/29", "rangeStart": "10.2.0.4"}],
                [{"subnet": "fd00:10::/125"}]])
    steps = [_env("ADD", f"c{i}") for i in range(6)] + [_env("CHECK", "c1"), _env("CHECK", "nope"),
                                                         _env("DEL", "c1"), _env("ADD", "c7")]
    compare(tmp_path, conf, steps)


@pytest.mark.parametrize("version", ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", "9.9.9"])
def test_result_versions(tmp_path, version):
    conf = net([[{"subnet": "10.3.0.0/24"}], [{"subnet": "fd00::/64"}]], version=version,
               routes=[{"dst": "0.0.0.0/0"}, {"dst": "::/0"}])
    compare(tmp_path, conf, [_env("ADD"), _env("CHECK"), _env("DEL")])


def test_requested_ips_and_duplicates(tmp_path):
    conf = net([[{"subnet": "10.4.0.0/24"}]])
    steps = [_env("ADD", "a", CNI_ARGS="IP=10.4.0.50"), _env("ADD", "b", CNI_ARGS="IP=10.4.0.50"),
             _env("ADD", "c", CNI_ARGS="IP=10.4.0.1"), _env("ADD", "d", CNI_ARGS="IP=10.9.0.1"),
             _env("ADD", "e", CNI_ARGS="FOO=bar"), _env("ADD", "e", CNI_ARGS="IgnoreUnknown=1;FOO=bar"),
             _env("ADD", "e"), _env("ADD", "e", ifname="eth1"), _env("DEL", "e"), _env("ADD", "f"),
             _env("ADD", "g", CNI_ARGS="IP")]
    compare(tmp_path, conf, steps)


def test_resolv_conf(tmp_path):
    rc = tmp_path / "resolv.conf"
    rc.write_text("# c\nnameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local\n"
                  "options ndots:5\ndomain cluster.local\n")
    compare(tmp_path, net([[{"subnet": "10.5.0.0/24"}]], resolvConf=str(rc)), [_env("ADD")])


@pytest.mark.parametrize("conf", [
    b"{'cniVersion': '1.0.0', 'name': 'net1'}",
    b"",
    b'{"cniVersion": "1.0.0"}',
    b'{"cniVersion": "1.0.0", "name": "bad name"}',
    b'{"cniVersion": "1.0.0", "name": "net1"}',
    b'{"cniVersion": "1.0.0", "name": "net1", "ipam": {"type": "host-local"}}',
    b'{"cniVersion": "1.0.0", "name": "net1", "ipam": {"subnet": "10.0.0.1/24"}}',
    b'{"cniVersion": "1.0.0", "name": "net1", "ipam": {"subnet": "10.0.0.0/31"}}',
    b'{"cniVersion": "1.0.0", "name": "net1", "ipam": {"ranges": [[]]}}',
    b'{"cniVersion": "1.0.0", "name": "net1", "ipam": {"ranges": [[{"subnet": "10.0.0.0/24"}], '
    b'[{"subnet": "10.0.0.0/25"}]]}}',
    b'{"cniVersion": "1.0.0", "name": "net1", "ipam": {"ranges": [[{"subnet": "10.0.0.0/24"}, '
    b'{"subnet": "fd00::/64"}]]}}',
    b'{"cniVersion": "1.0.0", "name": "net1", "ipam": {"subnet": "10.0.0.0/24", "rangeStart": "10.1.0.5"}}',
    b'{"cniVersion": "0.2.0", "name": "net1", "ipam": {"ranges": [[{"subnet": "10.0.0.0/24"}], '
    b'[{"subnet": "10.1.0.0/24"}]]}}',
])
def test_error_paths(tmp_path, conf):
    compare(tmp_path, conf, [_env("ADD")])


@pytest.mark.parametrize("env", [
    {"CNI_COMMAND": "VERSION"},
    {},
    {"CNI_COMMAND": "ADD"},
    {"CNI_COMMAND": "DEL", "CNI_CONTAINERID": "x", "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni"},
    _env("ADD", cid="bad/id"),
    _env("ADD", ifname="a-very-long-interface"),
    _env("ADD", ifname="et h0"),
    _env("FROB"),
    _env("GC"),
])
def test_environment(tmp_path, env):
    compare(tmp_path, net([[{"subnet": "10.6.0.0/24"}]]), [env])


def test_cli_exec_is_the_plugin(tmp_path):
    """``kubelab cni exec host-local`` as a process: the same bytes as the binary."""
    conf = json.dumps(net([[{"subnet": "10.7.0.0/30"}]])).encode()
    for who in ("real", "ours"):
        (tmp_path / who).mkdir()
    outs = {}
    for who in ("real", "ours"):
        stdin = conf.replace(b"@DATADIR@", str(tmp_path / who).encode())
        argv = ([str(cni_bin_dir() / "host-local")] if who == "real"
                else [str(Path(sys.executable).with_name("kubelab")), "cni", "exec", "host-local"])
        outs[who] = [subprocess.run(argv, input=stdin, env={**os.environ, **_env("ADD", f"c{i}")},
                                    capture_output=True) for i in range(3)]
    for r, o in zip(outs["real"], outs["ours"]):
        assert (o.stdout, o.returncode) == (r.stdout, r.returncode)
    assert _snapshot(tmp_path / "ours") == _snapshot(tmp_path / "real")
