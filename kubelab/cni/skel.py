"""What every plugin binary does around its own code: ``skel.PluginMain``, and the plugin registry.

Upstream: containernetworking/cni ``pkg/skel/skel.go`` at v1.0.1 (the library
Debian's containernetworking-plugins 1.1.1 are built with): which ``CNI_*``
variables each command requires (``CNI_PATH`` too, although SPEC.md calls it
optional; ``CNI_NETNS`` not for DEL), the checks of the network name, container
ID and interface name (``pkg/utils/utils.go``), version reconciliation
(code 1 ``incompatible CNI versions``), CHECK refused below 0.4.0, a plain Go
error wrapped as code 999, the error printed on stdout with exit status 1, and
VERSION printed compact with a trailing newline (``json.Encoder``).  With no
``CNI_COMMAND`` at all the binary prints its "about" text on stderr and exits 0.

The two decodes skel does before calling the plugin are Go's ``json.Unmarshal``
into a one-field struct -- ``validateConfig`` (``struct { Name string }``, code
6 ``error unmarshall network config``) and ``version.ConfigDecoder``
(``struct { CNIVersion string }``, code 6 ``decoding version from network
config``) -- with Go's messages: a non-string ``name`` is ``json: cannot
unmarshal number into Go struct field .name of type string``, a JSON array on
stdin ``json: cannot unmarshal array into Go value of type struct { ... }``,
nesting deeper than 10,000 ``invalid character '[' exceeded max depth``
(``encoding/json``'s ``maxNestingDepth``), and bytes that are not UTF-8 are
read as U+FFFD, as Go reads them (so such a ``name`` is code 7, ``invalid
characters found in network name``).  Checked against the binaries of Debian's
containernetworking-plugins 1.1.1 (``tests/cni/test_exec_vs_real.py``).

In-memory plugins register here by name (scapy-style: a small registry, no
if/elif over names); :func:`run_plugin` plays the binary for one of them.

Examples
--------
>>> out = run_plugin("host-local", {"CNI_COMMAND": "VERSION"}, b"")
>>> out.stdout, out.exit_code
('{"cniVersion":"1.0.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0"]}\\n', 0)
"""

from __future__ import annotations

import json
import sys
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable

from .config import NAME_RE
from .types import (ERR_DECODING_FAILURE, ERR_INCOMPATIBLE_CNI_VERSION, ERR_INTERNAL,
                    ERR_INVALID_ENVIRONMENT_VARIABLES, ERR_INVALID_NETWORK_CONFIG,
                    ERR_UNKNOWN_CONTAINER, CNIError, Result, go_quote, go_quote_list, version_gte)

__all__ = ["MEMORY_PLUGINS", "register", "Plugin", "CmdArgs", "PluginOutput", "run_plugin", "PluginError",
           "PLUGIN_VERSIONS", "go_unmarshal_string_field", "GO_MAX_NESTING"]

#: What the modelled binaries support (``version.All`` of libcni v1.0.1).
PLUGIN_VERSIONS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0")
_PLUGIN_LIBRARY_CURRENT = "1.0.0"


class PluginError(Exception):
    """A plain error returned by a plugin's cmdAdd/cmdDel/cmdCheck (skel turns it into code 999)."""


@dataclass
class CmdArgs:
    """skel.CmdArgs: what the plugin gets from the environment and stdin."""

    container_id: str = ""
    netns: str = ""
    ifname: str = ""
    args: str = ""
    path: str = ""
    stdin: bytes = b""
    env: dict[str, str] = field(default_factory=dict)

    @property
    def conf(self) -> dict[str, Any]:
        return json.loads(self.stdin)


@dataclass
class PluginOutput:
    """What a plugin process left behind: stdout, exit status, stderr."""

    stdout: str
    exit_code: int
    stderr: str = ""


class Plugin:
    """Base class of an in-memory plugin.  Subclasses set ``name`` and override add/check/delete.

    ``add`` returns a :class:`~kubelab.cni.types.Result`, printed converted to
    the configuration's ``cniVersion``; the others return None.  Raise
    :class:`CNIError` for a coded error, :class:`PluginError` for a plain one.
    ``context`` is the in-memory node the plugin acts on (see
    :mod:`kubelab.cni.memory.kernel`); IPAM plugins ignore it.
    """

    name = ""
    supported_versions = PLUGIN_VERSIONS

    def add(self, args: CmdArgs, context: Any) -> Result:
        raise NotImplementedError

    def check(self, args: CmdArgs, context: Any) -> None:
        return None

    def delete(self, args: CmdArgs, context: Any) -> None:
        return None

    @property
    def about(self) -> str:
        return (f"CNI {self.name} plugin version unknown\n"
                f"CNI protocol versions supported: {', '.join(self.supported_versions)}")


#: name -> plugin instance: the CNI plugin binaries kubelab runs in memory (``bridge``, ``host-local``, ...);
#: they register themselves on import.  Not :data:`kubelab.cni.plugins.PLUGINS`, the cluster network
#: plugins (Calico, Flannel, ...) a cluster runs.
MEMORY_PLUGINS: dict[str, Plugin] = {}


def register(cls: type[Plugin]) -> type[Plugin]:
    """Class decorator: ``MEMORY_PLUGINS[cls.name] = cls()``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    MEMORY_PLUGINS[cls.name] = cls()
    return cls


_REQUIRED = {  # skel.getCmdArgsFromEnv: name -> commands that require it
    "CNI_COMMAND": ("ADD", "CHECK", "DEL"),
    "CNI_CONTAINERID": ("ADD", "CHECK", "DEL"),
    "CNI_NETNS": ("ADD", "CHECK"),
    "CNI_IFNAME": ("ADD", "CHECK", "DEL"),
    "CNI_ARGS": (),
    "CNI_PATH": ("ADD", "CHECK", "DEL"),
}


def _validate_ifname(ifname: str) -> None:
    if not ifname:
        raise CNIError(ERR_INVALID_ENVIRONMENT_VARIABLES, "interface name is empty")
    if len(ifname.encode()) > 15:
        raise CNIError(ERR_INVALID_ENVIRONMENT_VARIABLES, "interface name is too long",
                       "interface name should be less than 16 characters")
    if ifname in (".", ".."):
        raise CNIError(ERR_INVALID_ENVIRONMENT_VARIABLES, "interface name is . or ..")
    if any(c in "/:" or c.isspace() or unicodedata.category(c) == "Zs" for c in ifname):
        raise CNIError(ERR_INVALID_ENVIRONMENT_VARIABLES, "interface name contains / or : or whitespace characters")


#: encoding/json's ``maxNestingDepth``.
GO_MAX_NESTING = 10_000
_GO_TYPE = {bool: "bool", int: "number", float: "number", str: "string", list: "array", dict: "object"}


def _depth_error(text: str) -> str | None:
    """Go's scanner error for nesting deeper than :data:`GO_MAX_NESTING`, or None (strings are skipped)."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > GO_MAX_NESTING:
                return f"invalid character '{ch}' exceeded max depth"
        elif ch in "]}":
            depth -= 1
    return None


def go_unmarshal_string_field(stdin: bytes, field: str, go_struct: str) -> str:
    """``json.Unmarshal(stdin, &struct{ Field string })``: the field's value, or Go's error text as ValueError.

    >>> go_unmarshal_string_field(b'{"name": 5}', "name", 'struct { Name string "json:\\"name\\"" }')
    Traceback (most recent call last):
    ...
    ValueError: json: cannot unmarshal number into Go struct field .name of type string
    >>> go_unmarshal_string_field(b'{"NAME": "x"}', "name", "")  # Go matches field names case-insensitively
    'x'
    """
    text = stdin.decode("utf-8", "replace")
    too_deep = _depth_error(text)
    if too_deep:
        raise ValueError(too_deep)
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValueError(go_json_error(stdin, exc)) from None
    if value is None:
        return ""
    if not isinstance(value, dict):
        raise ValueError(f"json: cannot unmarshal {_GO_TYPE.get(type(value), 'value')} into Go value of type "
                         f"{go_struct}")
    found: Any = None
    for key, v in value.items():  # exact or case-insensitive match; the last one decoded wins
        if key == field or key.lower() == field.lower():
            found = v
    if found is None:
        return ""
    if not isinstance(found, str):
        raise ValueError(f"json: cannot unmarshal {_GO_TYPE.get(type(found), 'value')} into Go struct field "
                         f".{field} of type string")
    return found


_NAME_STRUCT = 'struct { Name string "json:\\"name\\"" }'
_VERSION_STRUCT = 'struct { CNIVersion string "json:\\"cniVersion\\"" }'


def _decode_version(stdin: bytes) -> str:
    """create.DecodeVersion: the ``cniVersion`` of the config, "" meaning 0.1.0."""
    try:
        v = go_unmarshal_string_field(stdin, "cniVersion", _VERSION_STRUCT)
    except ValueError as exc:
        raise CNIError(ERR_DECODING_FAILURE, f"decoding version from network config: {exc}") from None
    return v or "0.1.0"


def go_json_error(data: bytes, exc: Exception) -> str:
    """Go's encoding/json syntax error text for the usual cases (what the real binaries print)."""
    text = data.decode("utf-8", "replace")
    if not text.strip():
        return "unexpected end of JSON input"
    pos = getattr(exc, "pos", None)
    if pos is None or pos >= len(text):
        return "unexpected end of JSON input"
    ch = text[pos]
    what = {"'": "'\\''"}.get(ch, f"'{ch}'")
    msg = getattr(exc, "msg", "")
    if "property name" in msg:
        return f"invalid character {what} looking for beginning of object key string"
    if "Expecting value" in msg:
        return f"invalid character {what} looking for beginning of value"
    if "delimiter" in msg:
        ctx = "object key" if "':'" in msg else ("object key:value pair" if "','" in msg and text.count("{") else "")
        return f"invalid character {what} after {ctx or 'top-level value'}"
    return f"invalid character {what} looking for beginning of value"


def _check_version(version: str, plugin: Plugin) -> None:
    if version not in plugin.supported_versions:
        raise CNIError(ERR_INCOMPATIBLE_CNI_VERSION, "incompatible CNI versions",
                       f"config is {go_quote(version)}, plugin supports {go_quote_list(list(plugin.supported_versions))}")


def _dispatch(plugin: Plugin, env: dict[str, str], stdin: bytes, context: Any) -> str:
    values = {k: env.get(k, "") for k in _REQUIRED}
    cmd = values["CNI_COMMAND"]
    missing = [k for k, cmds in _REQUIRED.items() if not values[k] and (cmd in cmds or k == "CNI_COMMAND")]
    if missing:
        raise CNIError(ERR_INVALID_ENVIRONMENT_VARIABLES, f"required env variables [{','.join(missing)}] missing")
    if cmd == "VERSION":
        return json.dumps({"cniVersion": _PLUGIN_LIBRARY_CURRENT, "supportedVersions": list(plugin.supported_versions)},
                          separators=(",", ":")) + "\n"
    stdin = stdin.decode("utf-8", "replace").encode()  # Go's decoder reads bytes that are not UTF-8 as U+FFFD
    args = CmdArgs(values["CNI_CONTAINERID"], values["CNI_NETNS"], values["CNI_IFNAME"], values["CNI_ARGS"],
                   values["CNI_PATH"], stdin, dict(env))
    try:
        name = go_unmarshal_string_field(stdin, "name", _NAME_STRUCT)
    except ValueError as exc:
        raise CNIError(ERR_DECODING_FAILURE, f"error unmarshall network config: {exc}") from None
    conf = json.loads(stdin)
    if not isinstance(conf, dict):
        conf = {}
    if not name:
        raise CNIError(ERR_INVALID_NETWORK_CONFIG, "missing network name")
    if not NAME_RE.match(name):
        raise CNIError(ERR_INVALID_NETWORK_CONFIG, "invalid characters found in network name", name)
    if not args.container_id:
        raise CNIError(ERR_UNKNOWN_CONTAINER, "missing containerID")
    if not NAME_RE.match(args.container_id):
        raise CNIError(ERR_INVALID_ENVIRONMENT_VARIABLES, "invalid characters in containerID", args.container_id)
    _validate_ifname(args.ifname)
    version = _decode_version(stdin)

    def call(fn: Callable[[CmdArgs, Any], Any]) -> Any:
        _check_version(version, plugin)
        try:
            return fn(args, context)
        except CNIError:
            raise
        except PluginError as exc:
            raise CNIError(ERR_INTERNAL, str(exc)) from None

    if cmd == "ADD":
        result = call(plugin.add)
        try:
            return result.to_json(conf.get("cniVersion") or "0.1.0", library="1.0")
        except CNIError as exc:  # types.PrintResult: a failed conversion is a plain error
            raise CNIError(ERR_INTERNAL, exc.msg) from None
    if cmd == "CHECK":
        if not version_gte(version, "0.4.0"):
            raise CNIError(ERR_INCOMPATIBLE_CNI_VERSION, "config version does not allow CHECK")
        if not any(version_gte(v, version) for v in plugin.supported_versions):
            raise CNIError(ERR_INCOMPATIBLE_CNI_VERSION, "plugin version does not allow CHECK")
        call(plugin.check)
        return ""
    if cmd == "DEL":
        call(plugin.delete)
        return ""
    raise CNIError(ERR_INVALID_ENVIRONMENT_VARIABLES, f"unknown CNI_COMMAND: {cmd}")


def run_plugin(name: str, env: dict[str, str], stdin: bytes, context: Any = None) -> PluginOutput:
    """Run the in-memory plugin ``name`` as its executable would run: env + stdin in, stdout + status out."""
    plugin = MEMORY_PLUGINS[name]
    if not env.get("CNI_COMMAND"):
        # skel prints the about string when CNI_COMMAND is unset (the other variables do not matter)
        return PluginOutput("", 0, plugin.about + "\n")
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(max(limit, GO_MAX_NESTING + 1000))  # what Go decodes, Python's json can decode
        return PluginOutput(_dispatch(plugin, env, stdin, context), 0)
    except CNIError as exc:
        return PluginOutput(exc.to_json(), 1)
    except OSError as exc:
        return PluginOutput(CNIError(ERR_INTERNAL, str(exc)).to_json(), 1)
    finally:
        sys.setrecursionlimit(limit)
