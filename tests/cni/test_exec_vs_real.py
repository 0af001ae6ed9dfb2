"""``kubelab cni exec PLUGIN`` against the real binary, on careless and hostile input (issue 14 item 9).

The same environment and stdin go to the binary in ``/usr/lib/cni`` (Debian's
containernetworking-plugins) and to ``kubelab cni exec`` (in-process, through
``kubelab.cli.main``); stdout and exit status must be identical.  Each side has its
own host-local ``dataDir``, so allocations cannot leak from one to the other.
"""

from __future__ import annotations

import io
import json
import os
import subprocess

import pytest

from kubelab.cli import main
from tests.capabilities import cni_bin_dir

pytestmark = pytest.mark.cni

PLUGINS = ("host-local", "bridge", "loopback", "portmap", "ptp")
MISSING_NETNS = f"/var/run/netns/kl-missing-{os.getpid()}"


def conf(plugin: str, data_dir: str, **fields) -> dict:
    ipam = {"type": "host-local", "ranges": [[{"subnet": "10.99.0.0/24"}]], "dataDir": data_dir}
    c = {"cniVersion": "1.0.0", "name": "net", "type": plugin}
    if plugin in ("bridge", "ptp", "host-local"):
        c["ipam"] = ipam
    c.update(fields)
    return c


def _bad_route(plugin: str, data_dir: str) -> bytes:
    c = conf(plugin, data_dir)
    c.setdefault("ipam", {"type": "host-local", "ranges": [[{"subnet": "10.99.0.0/24"}]], "dataDir": data_dir})
    c["ipam"]["routes"] = [{"dst": "garbage"}]
    return json.dumps(c).encode()


#: name -> stdin for (plugin, dataDir); every case runs ADD with CNI_NETNS a path that does not exist.
CASES = {
    "name is a number": lambda p, d: json.dumps(conf(p, d, name=5)).encode(),
    "name is a list": lambda p, d: json.dumps(conf(p, d, name=["a"])).encode(),
    "name is an object": lambda p, d: json.dumps(conf(p, d, name={"a": 1})).encode(),
    "name is null": lambda p, d: json.dumps(conf(p, d, name=None)).encode(),
    "nested 20,000 deep": lambda p, d: b'{"cniVersion":"1.0.0","name":"net","x":' + b"[" * 20000 + b"]" * 20000 + b"}",
    "nested 5,000 deep": lambda p, d: json.dumps(conf(p, d)).encode()[:-1] + b',"x":' + b"[" * 5000 + b"]" * 5000
    + b"}",
    "a JSON array": lambda p, d: b"[1, 2]",
    "a JSON string": lambda p, d: b'"net"',
    "name not UTF-8": lambda p, d: json.dumps(conf(p, d)).encode().replace(b'"net"', b'"n\xffet"'),
    "cniVersion is a number": lambda p, d: json.dumps(conf(p, d, cniVersion=1)).encode(),
    "cniVersion is a list": lambda p, d: json.dumps(conf(p, d, cniVersion=["1.0.0"])).encode(),
    "bad route destination": _bad_route,
    "CNI_NETNS does not exist": lambda p, d: json.dumps(conf(p, d)).encode(),
}


def _env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c1",
            "CNI_NETNS": MISSING_NETNS, "CNI_IFNAME": "eth0", "CNI_PATH": str(cni_bin_dir())}


def real(plugin: str, stdin: bytes) -> tuple[int, str]:
    p = subprocess.run([str(cni_bin_dir() / plugin)], input=stdin, env=_env(), capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def ours(plugin: str, stdin: bytes, monkeypatch, capsys) -> tuple[int, str]:
    with monkeypatch.context() as m:
        m.setattr(os, "environ", _env())
        m.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        capsys.readouterr()
        code = main(["cni", "exec", plugin])
        return code, capsys.readouterr().out


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("plugin", PLUGINS)
def test_same_stdout_and_status_as_the_binary(plugin, case, tmp_path, monkeypatch, capsys):
    assert not os.path.exists(MISSING_NETNS)
    make = CASES[case]
    want = real(plugin, make(plugin, str(tmp_path / "real")))
    got = ours(plugin, make(plugin, str(tmp_path / "ours")), monkeypatch, capsys)
    assert got == want
    assert got[0] in (0, 1)  # never kubelab's 70


def test_host_local_needs_no_namespace(tmp_path, monkeypatch, capsys):
    """host-local never opens CNI_NETNS: both succeed with the same address."""
    make = CASES["CNI_NETNS does not exist"]
    want = real("host-local", make("host-local", str(tmp_path / "real")))
    assert want[0] == 0 and '"10.99.0.2/24"' in want[1]
    assert ours("host-local", make("host-local", str(tmp_path / "ours")), monkeypatch, capsys) == want


def test_ptp_releases_its_address_when_the_namespace_is_missing(tmp_path, monkeypatch, capsys):
    """ptp allocates first, then fails to open the namespace and gives the address back (its deferred ExecDel)."""
    make = CASES["CNI_NETNS does not exist"]
    for side, run in (("real", real), ("ours", lambda p, s: ours(p, s, monkeypatch, capsys))):
        code, out = run("ptp", make("ptp", str(tmp_path / side)))
        assert code == 1 and "failed to open netns" in out
        assert sorted(p.name for p in (tmp_path / side / "net").iterdir()) == ["last_reserved_ip.0", "lock"]
