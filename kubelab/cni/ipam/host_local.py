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

from ..skel import CmdArgs, Plugin, PluginError, register
from ..types import Result, go_quote, version_gte

__all__ = ["Range", "RangeSet", "IPAMConfig", "load_ipam_config", "DiskStore", "MemoryStore", "allocate",
           "release", "find", "HostLocal", "DEFAULT_DATA_DIR", "LINE_BREAK"]

DEFAULT_DATA_DIR = "/var/lib/cni/networks"
LINE_BREAK = "\r\n"
_LAST_IP_PREFIX = "last_reserved_ip."

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse_ip(text: Any, what: str = "IP") -> Address:
    if not isinstance(text, str):
        raise PluginError(f"json: cannot unmarshal {type(text).__name__} into Go value of type net.IP")
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise PluginError(f"invalid IP address: {text}") from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        return addr.ipv4_mapped  # canonicalizeIP: To4() first
    return addr


def _parse_cidr(text: Any) -> tuple[Address, ipaddress.IPv4Network | ipaddress.IPv6Network]:
    if not isinstance(text, str):
        raise PluginError(f"json: cannot unmarshal {type(text).__name__} into Go value of type string")
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError:
        raise PluginError(f"invalid CIDR address: {text}") from None
    return iface.ip, iface.network


@dataclass
class Range:
    """One ``{"subnet", "rangeStart", "rangeEnd", "gateway"}`` after ``Range.Canonicalize``."""

    subnet_ip: Address
    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    range_start: Address
    range_end: Address
    gateway: Address

    @classmethod
    def from_json(cls, raw: dict) -> "Range":
        if not isinstance(raw, dict):
            raise PluginError("json: cannot unmarshal into Go struct field of type allocator.Range")
        ip, net = _parse_cidr(raw.get("subnet", ""))
        if net.prefixlen > net.max_prefixlen - 2:
            raise PluginError(f"Network {ip}/{net.prefixlen} too small to allocate from")
        if ip != net.network_address:
            raise PluginError(f"Network has host bits set. For a subnet mask of length {net.prefixlen} the network "
                              f"address is {net.network_address}")
        gateway = _parse_ip(raw["gateway"]) if raw.get("gateway") else net.network_address + 1
        r = cls(ip, net, net.network_address + 1, net.broadcast_address - (1 if net.version == 4 else 0), gateway)
        if raw.get("rangeStart"):
            start = _parse_ip(raw["rangeStart"])
            if not r._in_subnet(start):
                raise PluginError(f"RangeStart {start} not in network {ip}/{net.prefixlen}")
            r.range_start = start
        if raw.get("rangeEnd"):
            end = _parse_ip(raw["rangeEnd"])
            if not r._in_subnet(end) or end < r.range_start:
                raise PluginError(f"RangeEnd {end} not in network {ip}/{net.prefixlen}")
            r.range_end = end
        return r

    def _in_subnet(self, addr: Address) -> bool:
        return addr.version == self.network.version and addr in self.network

    def contains(self, addr: Address) -> bool:
        return self._in_subnet(addr) and self.range_start <= addr <= self.range_end

    def overlaps(self, other: "Range") -> bool:
        if self.network.version != other.network.version:
            return False
        return (self.contains(other.range_start) or self.contains(other.range_end)
                or other.contains(self.range_start) or other.contains(self.range_end))

    def __str__(self) -> str:
        return f"{self.range_start}-{self.range_end}"


class RangeSet(list):
    """A list of ranges of one address family; an address comes from exactly one of them."""

    @classmethod
    def from_json(cls, raw: Any) -> "RangeSet":
        if not isinstance(raw, list):
            raise PluginError("json: cannot unmarshal object into Go value of type allocator.RangeSet")
        if not raw:
            raise PluginError("empty range set")
        rs = cls()
        for item in raw:
            r = Range.from_json(item)
            if rs and rs[0].network.version != r.network.version:
                raise PluginError("mixed address families")
            rs.append(r)
        for i, r1 in enumerate(rs):
            for r2 in rs[i + 1:]:
                if r1.overlaps(r2):
                    raise PluginError(f"subnets {r1} and {r2} overlap")
        return rs

    def range_for(self, addr: Address) -> Range:
        for r in self:
            if r.contains(addr):
                return r
        raise PluginError(f"{addr} not in range set {self}")

    def contains(self, addr: Address) -> bool:
        return any(r.contains(addr) for r in self)

    def overlaps(self, other: "RangeSet") -> bool:
        return any(r.overlaps(r1) for r in self for r1 in other)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self)


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
                ip = _parse_ip(value)
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
        requested.append(ipaddress.ip_interface(text).ip if "/" in text else _parse_ip(text))
    runtime = conf.get("runtimeConfig") or {}
    for text in runtime.get("ips") or []:
        requested.append(ipaddress.ip_interface(text).ip if "/" in text else _parse_ip(text))
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
        _parse_cidr("" if r.get("dst") is None else r["dst"])  # types.Route.UnmarshalJSON: "invalid CIDR address: ..."
        route = {"dst": str(ipaddress.ip_interface(r["dst"]))}
        if r.get("gw"):
            route["gw"] = str(_parse_ip(r["gw"]))
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

class _RangeIter:
    """``allocator.RangeIter``, with its exact order (and its recursion to skip the gateway)."""

    def __init__(self, rangeset: RangeSet, last: Address | None):
        self.rs, self.idx, self.cur, self.start = rangeset, 0, None, None
        if last is not None and rangeset.contains(last):
            for i, r in enumerate(rangeset):
                if r.contains(last):
                    self.idx, self.cur = i, last
                    break
        else:
            self.start = rangeset[0].range_start

    def next(self) -> tuple[Address, Range] | None:
        while True:
            r = self.rs[self.idx]
            if self.cur is None:
                self.cur = self.start = r.range_start
                if self.cur == r.gateway:
                    continue
                return self.cur, r
            if self.cur == r.range_end:
                self.idx = (self.idx + 1) % len(self.rs)
                r = self.rs[self.idx]
                self.cur = r.range_start
            else:
                self.cur = self.cur + 1
            if self.start is None:
                self.start = self.cur
            elif self.cur == self.start:
                return None
            if self.cur == r.gateway:
                continue
            return self.cur, r


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
            for ip in net.get_by_id(cid, ifname):
                if rangeset.contains(ip):
                    raise PluginError(f"{ip} has been allocated to {cid}, duplicate allocation is not allowed")
            it = _RangeIter(rangeset, net.last_reserved_ip(range_id))
            chosen = r_chosen = None
            while True:
                nxt = it.next()
                if nxt is None:
                    break
                if net.reserve(cid, ifname, nxt[0], range_id):
                    chosen, r_chosen = nxt
                    break
            if chosen is None:
                raise PluginError(f"no IP addresses available in range set: {rangeset}")
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
                raise PluginError(f"failed to allocate for range {idx}: {exc}") from None
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
