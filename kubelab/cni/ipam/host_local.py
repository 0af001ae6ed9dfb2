"""host-local IPAM, exactly: ranges, range sets, round-robin allocation and its files on disk.

Upstream: containernetworking/plugins v1.1.1 (what Debian's
containernetworking-plugins 1.1.1 builds) ``plugins/ipam/host-local/``:
``main.go`` (cmdAdd/cmdDel/cmdCheck), ``backend/allocator/config.go``
(``LoadIPAMConfig``: old-style top-level range prepended, ``runtimeConfig.ipRanges``
prepended, requested IPs from ``CNI_ARGS IP=``, ``args.cni.ips`` and
``runtimeConfig.ips``), ``allocator.go`` (``IPAllocator.Get`` and ``RangeIter``:
start after ``last_reserved_ip.<rangeset index>``, skip the gateway, give up on
coming back to the start), ``range.go`` (gateway default network+1; rangeStart
default network+1; rangeEnd default broadcast-1 for IPv4, the last address for
IPv6), ``range_set.go``, ``backend/disk/backend.go`` (``<dataDir>/<network>/<ip>``
holding ``<containerID>\\r\\n<ifname>``, ``last_reserved_ip.<idx>``, a ``lock``
file; default dataDir ``/var/lib/cni/networks``).  Compared byte for byte with
``/usr/lib/cni/host-local`` in ``tests/cni/test_host_local_real.py``.

The ranges and the allocation order live in :mod:`kubelab.util.ipranges`, which the
cluster's pod addresses use too (one algorithm, checked here against the binary).

Left out: the Windows path escaping; the file lock is taken (``fcntl.flock``)
but no concurrency is modelled; Go's exact wording of JSON *type* errors in the
ipam section is reproduced only for the common cases.

Examples
--------
>>> store = MemoryStore()
>>> conf = {"cniVersion": "1.0.0", "name": "net1", "ipam": {"type": "host-local", "subnet": "10.1.2.0/29"}}
>>> [allocate(conf, f"c{i}", "eth0", store=store).ips[0]["address"] for i in range(3)]
['10.1.2.2/29', '10.1.2.3/29', '10.1.2.4/29']
>>> release(conf, "c1", "eth0", store=store)
>>> allocate(conf, "c9", "eth0", store=store).ips[0]["address"]   # no immediate reuse of .3
'10.1.2.5/29'
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ...util.ipranges import (Address, PluginError, Range, RangeSet, allocate_in_subnet, next_free, parse_cidr,
                               parse_ip, range_failure)
from ..skel import CmdArgs, Plugin, register
from ..types import Result, go_quote, version_gte

__all__ = ["Range", "RangeSet", "IPAMConfig", "load_ipam_config", "DiskStore", "MemoryStore", "allocate",
           "release", "find", "allocate_in_subnet", "HostLocal", "DEFAULT_DATA_DIR", "LINE_BREAK"]

DEFAULT_DATA_DIR = "/var/lib/cni/networks"
LINE_BREAK = "\r\n"
_LAST_IP_PREFIX = "last_reserved_ip."

@dataclass
class IPAMConfig:
    """``allocator.IPAMConfig``: the network name, range sets, routes, dataDir, resolvConf and requested IPs."""

    name: str
    cni_version: str
    ranges: list[RangeSet]
    routes: list[dict]
    data_dir: str
    resolv_conf: str
    requested: list[Address]


def _parse_cni_args(env_args: str) -> Address | None:
    """types.LoadArgs into ``IPAMEnvArgs`` (IgnoreUnknown, IP)."""
    if not env_args:
        return None
    unknown, ip, ignore = [], None, False
    for pair in env_args.split(";"):
        kv = pair.split("=")
        if len(kv) != 2:
            raise PluginError(f"ARGS: invalid pair {go_quote(pair)}")
        key, value = kv
        if key == "IgnoreUnknown":
            if value.lower() not in ("true", "false", "1", "0", "t", "f"):
                raise PluginError(f"ARGS: error parsing value of pair {go_quote(pair)}: "
                                  f"Boolean unmarshal error: invalid input {value}")
            ignore = value.lower() in ("true", "1", "t")
        elif key == "IP":
            try:
                ip = parse_ip(value)
            except PluginError:
                raise PluginError(f"ARGS: error parsing value of pair {go_quote(pair)}: invalid IP address {value}") \
                    from None
        else:
            unknown.append(pair)
    if unknown and not ignore:
        raise PluginError(f"ARGS: unknown args [{' '.join(go_quote(u) for u in unknown)}]")
    return ip


def load_ipam_config(conf: dict, env_args: str = "") -> IPAMConfig:
    """``LoadIPAMConfig``: the ipam section of a network configuration, checked as host-local checks it."""
    ipam = conf.get("ipam")
    if not isinstance(ipam, dict):
        raise PluginError("IPAM config missing 'ipam' key")
    requested: list[Address] = []
    ip = _parse_cni_args(env_args)
    if ip is not None:
        requested.append(ip)
    cni = ((conf.get("args") or {}).get("cni") or {}) if isinstance(conf.get("args"), dict) else {}
    for text in cni.get("ips") or []:
        requested.append(ipaddress.ip_interface(text).ip if "/" in text else parse_ip(text))
    runtime = conf.get("runtimeConfig") or {}
    for text in runtime.get("ips") or []:
        requested.append(ipaddress.ip_interface(text).ip if "/" in text else parse_ip(text))
    raw_sets = list(ipam.get("ranges") or [])
    if ipam.get("subnet"):
        raw_sets.insert(0, [{k: ipam[k] for k in ("subnet", "rangeStart", "rangeEnd", "gateway") if k in ipam}])
    raw_sets = list(runtime.get("ipRanges") or []) + raw_sets
    if not raw_sets:
        raise PluginError("no IP ranges specified")
    ranges = []
    for i, raw in enumerate(raw_sets):
        try:
            ranges.append(RangeSet.from_json(raw))
        except PluginError as exc:
            raise PluginError(f"invalid range set {i}: {exc}") from None
    v4 = sum(1 for rs in ranges if rs[0].network.version == 4)
    if (v4 > 1 or len(ranges) - v4 > 1) and not version_gte(conf.get("cniVersion", ""), "0.3.0"):
        raise PluginError(f"CNI version {conf.get('cniVersion', '')} does not support more than 1 address per family")
    for i, p1 in enumerate(ranges[:-1]):
        for j, p2 in enumerate(ranges[i + 1:]):
            if p1.overlaps(p2):
                raise PluginError(f"range set {i} overlaps with {i + j + 1}")
    routes = []
    for r in ipam.get("routes") or []:
        if not isinstance(r, dict):
            kind = {bool: "bool", int: "number", float: "number", str: "string", list: "array"}.get(type(r), "value")
            raise PluginError(f"json: cannot unmarshal {kind} into Go value of type types.Route")
        parse_cidr("" if r.get("dst") is None else r["dst"])  # types.Route.UnmarshalJSON: "invalid CIDR address: ..."
        route = {"dst": str(ipaddress.ip_interface(r["dst"]))}
        if r.get("gw"):
            route["gw"] = str(parse_ip(r["gw"]))
        routes.append(route)
    return IPAMConfig(conf.get("name", ""), conf.get("cniVersion", ""), ranges, routes, ipam.get("dataDir") or "",
                      ipam.get("resolvConf") or "", requested)


# -- stores ---------------------------------------------------------------------------------------------------

class MemoryStore:
    """The disk backend's behaviour without the disk: ``{ip: "id\\r\\nifname"}`` and the last reserved IPs.

    One MemoryStore holds every network: keys are ``(network, ip)``.
    """

    def __init__(self) -> None:
        self.files: dict[str, dict[str, str]] = {}

    def open(self, network: str, data_dir: str = "") -> "_MemoryNet":
        return _MemoryNet(self.files.setdefault(network, {}))


class _MemoryNet:
    def __init__(self, files: dict[str, str]):
        self.files = files

    def __enter__(self) -> "_MemoryNet":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def reserve(self, cid: str, ifname: str, ip: Address, range_id: str) -> bool:
        if str(ip) in self.files:
            return False
        self.files[str(ip)] = cid.strip() + LINE_BREAK + ifname
        self.files[_LAST_IP_PREFIX + range_id] = str(ip)
        return True

    def last_reserved_ip(self, range_id: str) -> Address | None:
        text = self.files.get(_LAST_IP_PREFIX + range_id)
        try:
            return ipaddress.ip_address(text) if text else None
        except ValueError:
            return None

    def _items(self) -> Iterator[tuple[str, str]]:
        for name in sorted(self.files):  # filepath.Walk: lexical order
            yield name, self.files[name]

    def release_by_id(self, cid: str, ifname: str) -> None:
        for match in (cid.strip() + LINE_BREAK + ifname, cid.strip()):
            hits = [n for n, data in self._items() if data.strip() == match]
            for n in hits:
                del self.files[n]
            if hits:
                return

    def find_by_id(self, cid: str, ifname: str) -> bool:
        return any(data.strip() in (cid.strip() + LINE_BREAK + ifname, cid.strip()) for _, data in self._items())

    def get_by_id(self, cid: str, ifname: str) -> list[Address]:
        out = []
        for name, data in self._items():
            if data.strip() in (cid.strip() + LINE_BREAK + ifname, cid.strip()):
                try:
                    out.append(ipaddress.ip_address(name))
                except ValueError:
                    pass
        return out


class DiskStore:
    """The real backend: ``<dataDir>/<network>/`` with one file per address, as ``disk.Store`` writes it."""

    def __init__(self, data_dir: str | os.PathLike | None = None):
        self.data_dir = str(data_dir) if data_dir else None

    def open(self, network: str, data_dir: str = "") -> "_DiskNet":
        return _DiskNet(Path(self.data_dir or data_dir or DEFAULT_DATA_DIR) / network)


class _DiskNet(_MemoryNet):
    def __init__(self, directory: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o755)
        # go-filemutex: open(O_CREATE|O_RDONLY, 0750), flock around each operation
        self._lock_fd = os.open(self.dir / "lock", os.O_CREAT | os.O_RDONLY, 0o750)

    def __enter__(self) -> "_DiskNet":
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: Any) -> None:
        fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._lock_fd)

    def __del__(self) -> None:
        try:
            os.close(self._lock_fd)
        except OSError:
            pass

    def reserve(self, cid: str, ifname: str, ip: Address, range_id: str) -> bool:
        try:
            fd = os.open(self.dir / str(ip), os.O_RDWR | os.O_EXCL | os.O_CREAT, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", newline="") as f:
            f.write(cid.strip() + LINE_BREAK + ifname)
        last = self.dir / (_LAST_IP_PREFIX + range_id)
        fd = os.open(last, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "w") as f:
            f.write(str(ip))
        return True

    def last_reserved_ip(self, range_id: str) -> Address | None:
        try:
            text = (self.dir / (_LAST_IP_PREFIX + range_id)).read_text()
        except OSError:
            return None
        try:
            return ipaddress.ip_address(text)
        except ValueError:
            return None

    def _items(self) -> Iterator[tuple[str, str]]:
        for root, dirs, files in os.walk(self.dir):
            dirs.sort()
            for name in sorted(files):
                try:
                    yield name, (Path(root) / name).read_bytes().decode("utf-8", "replace")
                except OSError:
                    continue

    def release_by_id(self, cid: str, ifname: str) -> None:
        for match in (cid.strip() + LINE_BREAK + ifname, cid.strip()):
            found = False
            for root, dirs, files in os.walk(self.dir):
                dirs.sort()
                for name in sorted(files):
                    path = Path(root) / name
                    try:
                        if path.read_bytes().decode("utf-8", "replace").strip() == match:
                            path.unlink()
                            found = True
                    except OSError:
                        continue
            if found:
                return


# -- the allocator -------------------------------------------------------------------------------------------

def _get(net: Any, rangeset: RangeSet, range_id: str, cid: str, ifname: str, requested: Address | None) -> dict:
    with net:
        if requested is not None:
            r = rangeset.range_for(requested)
            if requested == r.gateway:
                raise PluginError(f"requested ip {requested} is subnet's gateway")
            if not net.reserve(cid, ifname, requested, range_id):
                raise PluginError(f"requested IP address {requested} is not available in range set {rangeset}")
            chosen, r_chosen = requested, r
        else:
            chosen, r_chosen = next_free(net, rangeset, range_id, cid, ifname)
    return {"address": f"{chosen}/{r_chosen.network.prefixlen}", "gateway": str(r_chosen.gateway)}


def _parse_resolv_conf(path: str) -> dict:
    dns: dict[str, Any] = {}
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as exc:
        raise PluginError(f"open {path}: {exc.strerror.lower() if exc.strerror else exc}") from None
    for line in lines:
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        fields = line.split()
        if len(fields) < 2:
            continue
        if fields[0] == "nameserver":
            dns.setdefault("nameservers", []).append(fields[1])
        elif fields[0] == "domain":
            dns["domain"] = fields[1]
        elif fields[0] == "search":
            dns.setdefault("search", []).extend(fields[1:])
        elif fields[0] == "options":
            dns.setdefault("options", []).extend(fields[1:])
    return dns


def allocate(conf: dict, container_id: str, ifname: str, env_args: str = "", store: Any = None) -> Result:
    """cmdAdd: one address per range set (requested ones first), the routes, the DNS of ``resolvConf``."""
    ipam = load_ipam_config(conf, env_args)
    result = Result("1.0.0")
    if ipam.resolv_conf:
        result.dns = _parse_resolv_conf(ipam.resolv_conf)
    net = (store or DiskStore()).open(ipam.name, ipam.data_dir)
    requested = list(dict.fromkeys(ipam.requested))
    done = 0
    try:
        for idx, rangeset in enumerate(ipam.ranges):
            want = next((ip for ip in requested if rangeset.contains(ip)), None)
            if want is not None:
                requested.remove(want)
            try:
                result.ips.append(_get(net, rangeset, str(idx), container_id, ifname, want))
            except PluginError as exc:
                raise range_failure(idx, exc) from None
            done += 1
        if requested:
            raise PluginError("failed to allocate all requested IPs: " + " ".join(str(ip) for ip in requested))
    except PluginError:
        if done:
            with net:
                net.release_by_id(container_id, ifname)
        raise
    result.routes = [dict(r) for r in ipam.routes]
    return result


def release(conf: dict, container_id: str, ifname: str, env_args: str = "", store: Any = None) -> None:
    """cmdDel: release every address of this container and interface (one pass per range set)."""
    ipam = load_ipam_config(conf, env_args)
    net = (store or DiskStore()).open(ipam.name, ipam.data_dir)
    for _ in ipam.ranges:
        with net:
            net.release_by_id(container_id, ifname)


def find(conf: dict, container_id: str, ifname: str, env_args: str = "", store: Any = None) -> None:
    """cmdCheck: is at least one address held by this container?"""
    ipam = load_ipam_config(conf, env_args)
    net = (store or DiskStore()).open(ipam.name, ipam.data_dir)
    with net:
        if not net.find_by_id(container_id, ifname):
            raise PluginError(f"host-local: Failed to find address added by container {container_id}")


@register
class HostLocal(Plugin):
    """The ``host-local`` plugin.  Its store is the context's ``ipam_store`` (default: the real files)."""

    name = "host-local"

    @staticmethod
    def _store(context: Any) -> Any:
        return getattr(context, "ipam_store", None) or DiskStore()

    def add(self, args: CmdArgs, context: Any) -> Result:
        return allocate(args.conf, args.container_id, args.ifname, args.args, self._store(context))

    def delete(self, args: CmdArgs, context: Any) -> None:
        release(args.conf, args.container_id, args.ifname, args.args, self._store(context))

    def check(self, args: CmdArgs, context: Any) -> None:
        find(args.conf, args.container_id, args.ifname, args.args, self._store(context))
