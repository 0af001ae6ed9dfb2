"""CNI results and errors, as the spec defines them and the reference Go library prints them.

Upstream: containernetworking/cni ``SPEC.md`` (spec 1.1.0, "Success" and
"Error" sections and the "Version considerations" appendix),
``pkg/types/types.go`` (``Error``, error codes, ``Route``, ``DNS``),
``pkg/types/100/types.go`` (1.0.0/1.1.0 results and the converters),
``pkg/types/040/types.go`` (0.3.0/0.3.1/0.4.0), ``pkg/types/020/types.go``
(0.1.0/0.2.0: ``ip4``/``ip6``).

How the JSON is printed matters for byte-for-byte comparisons, and it depends
on the library version the printer was built with:

* plugins built with libcni v1.0.x (Debian's containernetworking-plugins
  1.1.1) print a 1.0.0 result in Go struct field order, 4-space indent, no
  trailing newline, and always ``"dns": {}`` (``omitempty`` does not apply to
  a struct);
* libcni v1.1+ (spec 1.1.0) re-marshals a 1.x result through a map: every key
  sorted, ``dns`` dropped when empty (``Result.MarshalJSON``).

Both are modelled: :meth:`Result.to_json` takes ``library="1.0"`` or
``library="1.1"``.  Errors are ``{"code", "msg", "details"?}`` in both.

Simplification: Go's JSON escapes of control characters other than ``\\n``,
``\\r``, ``\\t`` are not reproduced (``<``, ``>``, ``&``, U+2028/9 are).

Examples
--------
>>> r = Result.from_json('{"cniVersion": "1.0.0", "ips": [{"address": "10.1.2.2/24", "gateway": "10.1.2.1"}]}')
>>> print(r.to_json("0.2.0"))
{
    "cniVersion": "0.2.0",
    "ip4": {
        "ip": "10.1.2.2/24",
        "gateway": "10.1.2.1"
    },
    "dns": {}
}
>>> CNIError(ERR_INTERNAL, "boom").to_json()
'{\\n    "code": 999,\\n    "msg": "boom"\\n}'
"""

from __future__ import annotations

import copy
import ipaddress
import json
from typing import Any

from ..errors import KubelabError

__all__ = [
    "CNIError", "Result", "go_json", "go_quote", "go_quote_list", "parse_version", "version_gte", "version_gt",
    "ERROR_CODES", "SPEC_VERSIONS", "CURRENT_VERSION", "LIBRARY_VERSION",
    "ERR_INCOMPATIBLE_CNI_VERSION", "ERR_UNSUPPORTED_FIELD", "ERR_UNKNOWN_CONTAINER",
    "ERR_INVALID_ENVIRONMENT_VARIABLES", "ERR_IO_FAILURE", "ERR_DECODING_FAILURE", "ERR_INVALID_NETWORK_CONFIG",
    "ERR_INVALID_NETNS", "ERR_TRY_AGAIN_LATER", "ERR_PLUGIN_NOT_AVAILABLE", "ERR_LIMITED_CONNECTIVITY",
    "ERR_INTERNAL",
]

# pkg/types/types.go: the well-known error codes (SPEC.md "Error").
ERR_INCOMPATIBLE_CNI_VERSION = 1
ERR_UNSUPPORTED_FIELD = 2
ERR_UNKNOWN_CONTAINER = 3
ERR_INVALID_ENVIRONMENT_VARIABLES = 4
ERR_IO_FAILURE = 5
ERR_DECODING_FAILURE = 6
ERR_INVALID_NETWORK_CONFIG = 7
ERR_INVALID_NETNS = 8  # libcni only; not in the spec's table
ERR_TRY_AGAIN_LATER = 11
ERR_PLUGIN_NOT_AVAILABLE = 50  # STATUS (spec 1.1.0)
ERR_LIMITED_CONNECTIVITY = 51  # STATUS (spec 1.1.0)
ERR_INTERNAL = 999  # skel wraps every plain Go error in this code

#: code -> meaning, as SPEC.md's table words it.
ERROR_CODES = {
    1: "Incompatible CNI version",
    2: "Unsupported field in network configuration",
    3: "Container unknown or does not exist",
    4: "Invalid necessary environment variables, like CNI_COMMAND, CNI_CONTAINERID, etc.",
    5: "I/O failure",
    6: "Failed to decode content",
    7: "Invalid network config",
    8: "Invalid network namespace (libcni)",
    11: "Try again later",
    50: "The plugin is not available (STATUS)",
    51: "The plugin is available, but with limited connectivity (STATUS)",
    999: "Internal error: a plain error returned by the plugin, wrapped by skel",
}

#: Every spec version, oldest first (pkg/version/version.go ``All``).
SPEC_VERSIONS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")
#: The version the modelled runtime (libcni 1.1+) implements.
CURRENT_VERSION = "1.1.0"
#: The libcni version the modelled plugin binaries were built with (plugins v1.1.1 -> cni v1.0.1).
LIBRARY_VERSION = "1.0.1"


def go_json(obj: Any, indent: bool = True) -> str:
    """``json.MarshalIndent(obj, "", "    ")`` (or ``json.Marshal``): HTML-safe escapes, UTF-8 kept."""
    text = json.dumps(obj, indent=4 if indent else None, ensure_ascii=False,
                      separators=(",", ": ") if indent else (",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def go_quote(s: str) -> str:
    """Go's ``%q`` for a plain string."""
    return json.dumps(s, ensure_ascii=False)


def go_quote_list(items: list[str]) -> str:
    """Go's ``%q`` for a ``[]string``: ``["a" "b"]``."""
    return "[" + " ".join(go_quote(s) for s in items) + "]"


def parse_version(v: str) -> tuple[int, int, int]:
    """``version.ParseVersion``: "" means 0.1.0; up to three numeric parts."""
    if v == "":
        return (0, 1, 0)
    parts = v.split(".")
    if len(parts) >= 4:
        raise ValueError(f"invalid version {go_quote(v)}: too many parts")
    out = []
    for label, p in zip(("major", "minor", "micro"), parts):
        try:
            out.append(int(p))
        except ValueError:
            raise ValueError(f"failed to convert {label} version part {go_quote(p)}: strconv.Atoi: parsing "
                             f"{go_quote(p)}: invalid syntax") from None
    while len(out) < 3:
        out.append(0)
    return tuple(out)  # type: ignore[return-value]


def version_gte(a: str, b: str) -> bool:
    return parse_version(a) >= parse_version(b)


def version_gt(a: str, b: str) -> bool:
    return parse_version(a) > parse_version(b)


class CNIError(KubelabError):
    """A CNI error: the ``{"code", "msg", "details"}`` object of SPEC.md "Error".

    It is also a :class:`~kubelab.errors.KubelabError`, so notebooks show it on
    one line; ``str()`` is Go's ``Error()``: ``msg; details``.
    """

    def __init__(self, code: int, msg: str, details: str = ""):
        self.code, self.msg, self.details = int(code), msg, details
        super().__init__(msg + (f"; {details}" if details else ""))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"code": self.code, "msg": self.msg}
        if self.details:
            d["details"] = self.details
        return d

    def to_json(self) -> str:
        """As ``types.Error.Print`` writes it: 4-space indent, no trailing newline."""
        return go_json(self.to_dict())

    @classmethod
    def from_json(cls, text: str | bytes) -> "CNIError":
        d = json.loads(text)
        return cls(int(d.get("code", 0)), str(d.get("msg", "")), str(d.get("details", "") or ""))

    def __repr__(self) -> str:
        return f"CNIError({self.code}, {self.msg!r}, {self.details!r})"


# -- results ------------------------------------------------------------------------------------------------

_IFACE_KEYS_1 = ("name", "mac", "mtu", "sandbox", "socketPath", "pciID")  # types100.Interface
_IFACE_KEYS_0 = ("name", "mac", "sandbox")  # types040.Interface
_ROUTE_KEYS_1 = ("dst", "gw", "mtu", "advmss", "priority", "table", "scope")  # types.route (spec 1.1)
_DNS_KEYS = ("nameservers", "domain", "search", "options")


def _family(cidr: str) -> str:
    return "4" if ipaddress.ip_interface(cidr).version == 4 else "6"


def _pick(d: dict, keys: tuple[str, ...], pointers: tuple[str, ...] = ("table", "scope")) -> dict:
    """Keep ``keys`` in that order, dropping what Go's ``omitempty`` drops (``name`` is never omitted;
    pointer fields such as a route's ``table`` only when absent)."""
    out = {}
    for k in keys:
        v = d.get(k)
        if k == "name":
            out[k] = v or ""
        elif k in pointers:
            if v is not None:
                out[k] = v
        elif v is not None and v != "" and v != [] and v != {} and not (isinstance(v, int) and v == 0):
            out[k] = v
    return out


def _ipcfg(ip: dict, legacy: bool) -> dict:
    out: dict[str, Any] = {}
    if legacy:
        out["version"] = ip.get("version") or _family(ip["address"])
    if ip.get("interface") is not None:
        out["interface"] = ip["interface"]
    out["address"] = ip["address"]
    if ip.get("gateway"):
        out["gateway"] = ip["gateway"]
    return out


def _dns(d: dict | None) -> dict:
    return _pick(d or {}, _DNS_KEYS) if d else {}


def _sorted(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _sorted(obj[k]) for k in sorted(obj)}
    if isinstance(obj, list):
        return [_sorted(x) for x in obj]
    return obj


class Result:
    """A CNI ADD result, held in the 1.x shape whatever version it was read from.

    ``interfaces``/``ips``/``routes``/``dns`` are plain dicts with the spec's
    JSON keys.  :meth:`as_dict` converts to any spec version the way
    ``pkg/types/*`` does; :meth:`to_json` prints it as the Go library would.
    """

    def __init__(self, cni_version: str = "1.0.0", interfaces: list[dict] | None = None,
                 ips: list[dict] | None = None, routes: list[dict] | None = None, dns: dict | None = None):
        self.cni_version = cni_version
        self.interfaces = list(interfaces or [])
        self.ips = list(ips or [])
        self.routes = list(routes or [])
        self.dns = dict(dns or {})

    # -- reading
    @classmethod
    def from_dict(cls, d: dict, version: str | None = None) -> "Result":
        """Read a result of any version (``version`` defaults to its own ``cniVersion``)."""
        v = version or d.get("cniVersion") or "0.1.0"
        if v not in SPEC_VERSIONS:
            raise CNIError(ERR_INCOMPATIBLE_CNI_VERSION, f"unsupported CNI result version {go_quote(v)}")
        dns = dict(d.get("dns") or {})
        if parse_version(v) < (0, 3, 0):
            # pkg/types/040 convertFrom02x: ip4 then ip6, each one's routes appended in that order
            ips, routes = [], []
            for key in ("ip4", "ip6"):
                block = d.get(key)
                if block:
                    ips.append({"address": block["ip"], **({"gateway": block["gateway"]} if block.get("gateway") else {})})
                    routes.extend(dict(r) for r in block.get("routes") or [])
            return cls(v, [], ips, routes, dns)
        ifaces = [dict(i) for i in d.get("interfaces") or []]
        ips = []
        for ip in d.get("ips") or []:
            ip = dict(ip)
            ip.pop("version", None)
            ips.append(ip)
        return cls(v, ifaces, ips, [dict(r) for r in d.get("routes") or []], dns)

    @classmethod
    def from_json(cls, text: str | bytes, version: str | None = None) -> "Result":
        return cls.from_dict(json.loads(text), version)

    def copy(self) -> "Result":
        return copy.deepcopy(self)

    # -- writing
    def as_dict(self, version: str | None = None) -> dict:
        """The result as ``GetAsVersion(version)`` would marshal it (struct field order)."""
        v = version or self.cni_version
        if v not in SPEC_VERSIONS:
            raise CNIError(ERR_INCOMPATIBLE_CNI_VERSION, f"unsupported CNI result version {go_quote(v)}")
        pv = parse_version(v)
        if pv < (0, 3, 0):
            return self._as_020(v)
        legacy = pv < (1, 0, 0)
        out: dict[str, Any] = {"cniVersion": v}
        keys = _IFACE_KEYS_0 if legacy else _IFACE_KEYS_1
        if self.interfaces:
            out["interfaces"] = [_pick(i, keys) for i in self.interfaces]
        if self.ips:
            out["ips"] = [_ipcfg(ip, legacy) for ip in self.ips]
        if self.routes:
            out["routes"] = [_pick(r, _ROUTE_KEYS_1) for r in self.routes]
        out["dns"] = _dns(self.dns)
        return out

    def _as_020(self, v: str) -> dict:
        # pkg/types/040 convertTo02x: the first IPv4 and first IPv6 address; routes by the family of dst;
        # only dst/gw survive.
        out: dict[str, Any] = {"cniVersion": v}
        blocks: dict[str, dict] = {}
        for ip in self.ips:
            key = "ip4" if _family(ip["address"]) == "4" else "ip6"
            if key not in blocks:
                blocks[key] = {"ip": ip["address"], **({"gateway": ip["gateway"]} if ip.get("gateway") else {})}
        if not blocks:
            raise CNIError(ERR_INTERNAL, "cannot convert: no valid IP addresses")
        for r in self.routes:
            key = "ip4" if ipaddress.ip_network(r["dst"], strict=False).version == 4 else "ip6"
            if key in blocks:
                blocks[key].setdefault("routes", []).append(_pick(r, ("dst", "gw")))
        for key in ("ip4", "ip6"):
            if key in blocks:
                out[key] = blocks[key]
        out["dns"] = _dns(self.dns)
        return out

    def to_json(self, version: str | None = None, library: str = "1.0") -> str:
        """Print the result converted to ``version`` as a plugin built with libcni ``library`` would.

        ``library="1.1"`` sorts every key of a 1.x result and drops an empty
        ``dns`` (``types100.Result.MarshalJSON`` since libcni 1.1).
        """
        d = self.as_dict(version)
        if library != "1.0" and parse_version(d["cniVersion"]) >= (1, 0, 0):
            if not d.get("dns"):
                d.pop("dns", None)
            d = _sorted(d)
        return go_json(d)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Result) and self.as_dict("1.1.0") == other.as_dict("1.1.0")

    def __repr__(self) -> str:
        return f"Result({self.as_dict()!r})"
