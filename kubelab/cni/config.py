"""Network configurations and configuration lists, loaded and checked as libcni does.

Upstream: containernetworking/cni ``SPEC.md`` section "Configuration format"
(spec 1.1.0: ``cniVersion``, ``cniVersions``, ``name``, ``disableCheck``,
``disableGC``, ``loadOnlyInlinedPlugins``, ``plugins``) and ``libcni/conf.go``
(``NetworkConfFromBytes``: the error texts below are libcni's, prefixed
``error parsing configuration list:``; a ``cniVersions`` list picks the
highest version the library supports; booleans may be JSON booleans or the
strings "true"/"false"; without ``loadOnlyInlinedPlugins`` the ``.conf`` files
of ``<dir>/<name>/`` are appended to the inlined plugins).  A single-plugin
``.conf`` file is turned into a one-plugin list as ``ConfListFromConf`` does.

kubelab adds what a learner needs on top: a JSON syntax error names the line
and column and says how to fix the usual mistakes (single quotes, as in the
chapter's example; a trailing comma; comments; Python's ``True``).

Examples
--------
>>> load_conflist(b"{'name': 'k8s-pod-network'}", source="10-calico.conflist")
Traceback (most recent call last):
...
kubelab.cni.config.ConfigError: 10-calico.conflist: line 1, column 2: not valid JSON: Expecting property name enclosed in double quotes: JSON needs double quotes around keys and strings: write "name", not 'name'
>>> lst = load_conflist(b'{"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": "loopback"}]}')
>>> lst.name, lst.cni_version, [p.type for p in lst.plugins]
('n', '1.0.0', ['loopback'])
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import KubelabError
from .types import CURRENT_VERSION, go_quote, version_gt

__all__ = ["ConfigError", "PluginConf", "NetworkConfigList", "load_conf", "load_conflist", "parse_json",
           "NAME_RE", "go_type_name"]

#: pkg/utils ``cniValidNameChars``: network names and container IDs.
NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$")


class ConfigError(KubelabError):
    """A network configuration that libcni (or JSON) would refuse."""


def go_type_name(value: Any) -> str:
    """Go's ``%T`` of a value decoded into ``interface{}``."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    return "<nil>"


def _hint(text: str, pos: int, msg: str) -> str:
    ch = text[pos] if pos < len(text) else ""
    if ch == "'" or ("'" in text and "Expecting property name" in msg):
        m = re.match(r"'([^'\n]*)'", text[pos:]) if ch == "'" else None
        word = m.group(1) if m else "name"
        return f'JSON needs double quotes around keys and strings: write "{word}", not \'{word}\''
    if ch in "}]" and "Expecting" in msg:
        return "remove the trailing comma before it"
    if text[pos:pos + 2] in ("//", "/*") or ch == "#":
        return "JSON has no comments: delete them"
    for py, js in (("True", "true"), ("False", "false"), ("None", "null")):
        if text.startswith(py, pos):
            return f"write {js}, not {py}"
    return ""


def parse_json(data: bytes | str, source: str | None = None) -> Any:
    """``json.loads`` whose error says where (line, column) and how to fix it."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        hint = _hint(text, exc.pos, exc.msg)
        raise ConfigError(f"line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}"
                          + (f": {hint}" if hint else ""), source=source) from None
    except RecursionError:
        raise ConfigError("not valid JSON: nested too deep", source=source) from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise ConfigError(f"not valid JSON: {exc}", source=source) from None


@dataclass
class PluginConf:
    """One plugin of a list: its raw JSON object (kept verbatim, extra keys included) and its bytes."""

    raw: dict[str, Any]

    @property
    def type(self) -> str:
        return self.raw.get("type", "")

    @property
    def name(self) -> str:
        return self.raw.get("name", "")

    @property
    def capabilities(self) -> dict[str, bool]:
        caps = self.raw.get("capabilities") or {}
        return {k: bool(v) for k, v in caps.items()} if isinstance(caps, dict) else {}

    @property
    def bytes(self) -> bytes:
        return json.dumps(self.raw, separators=(",", ":")).encode()

    def describe(self) -> str:
        """libcni ``pluginDescription``: ``type="bridge" name="x"``."""
        out = f"type={go_quote(self.type)}"
        return out + (f" name={go_quote(self.name)}" if self.name else "")


@dataclass
class NetworkConfigList:
    """A network configuration list (``.conflist``), after libcni's parsing rules."""

    name: str
    cni_version: str
    plugins: list[PluginConf] = field(default_factory=list)
    disable_check: bool = False
    disable_gc: bool = False
    load_only_inlined_plugins: bool = False
    cni_versions: list[str] = field(default_factory=list)
    bytes: bytes = b""
    source: str | None = None


def _err(msg: str, source: str | None) -> ConfigError:
    return ConfigError(f"error parsing configuration list: {msg}", source=source)


def _read_bool(raw: dict, key: str, source: str | None) -> bool:
    if key not in raw:
        return False
    v = raw[key]
    if isinstance(v, bool):
        return v
    if not isinstance(v, str):
        raise _err(f"invalid type {go_type_name(v)} for {key}", source)
    if v.lower() in ("true", "false"):
        return v.lower() == "true"
    raise _err(f"invalid value {go_quote(v.lower())} for {key}", source)


def load_conf(data: bytes | str | dict, source: str | None = None) -> PluginConf:
    """One plugin's configuration (a ``.conf`` file): ``type`` is required (``NetworkPluginConfFromBytes``)."""
    raw = data if isinstance(data, dict) else parse_json(data, source)
    if not isinstance(raw, dict):
        raise ConfigError("error parsing configuration: not a JSON object", source=source)
    if not raw.get("type"):
        raise ConfigError("error parsing configuration: missing 'type'", source=source)
    return PluginConf(raw)


def _pick_version(raw: dict, source: str | None) -> tuple[str, list[str]]:
    cni_version = ""
    if "cniVersion" in raw:
        cni_version = raw["cniVersion"]
        if not isinstance(cni_version, str):
            raise _err(f"invalid cniVersion type {go_type_name(cni_version)}", source)
    if "cniVersions" not in raw:
        return cni_version, []
    rvs = raw["cniVersions"]
    if not isinstance(rvs, list):
        raise _err(f"invalid type for cniVersions: {go_type_name(rvs)}", source)
    candidates = []
    for i, v in enumerate(rvs):
        if not isinstance(v, str):
            raise _err(f"invalid type for cniVersions index {i}: {go_type_name(v)}", source)
        try:
            if not version_gt(v, CURRENT_VERSION):  # versions newer than the library are ignored
                candidates.append(v)
        except ValueError as exc:
            raise _err(f"invalid cniVersions entry {v} at index {i}: {exc}", source) from None
    if cni_version:
        try:
            if not version_gt(cni_version, CURRENT_VERSION):
                candidates.append(cni_version)
        except ValueError as exc:
            raise _err(f"invalid cniVersion {cni_version}: {exc}", source) from None
    if candidates:
        from .types import parse_version
        cni_version = max(candidates, key=parse_version)
    return cni_version, [v for v in rvs]


def load_conflist(data: bytes | str | dict, source: str | None = None, directory: str | Path | None = None
                  ) -> NetworkConfigList:
    """A configuration list (libcni ``NetworkConfFromBytes``); a single ``.conf`` becomes a one-plugin list.

    ``directory``: where the file lives; unless ``loadOnlyInlinedPlugins``, the
    ``.conf`` files of ``directory/<name>/`` are appended (``NetworkConfFromFile``).
    """
    if isinstance(data, dict):
        raw, blob = data, json.dumps(data).encode()
    else:
        blob = data.encode() if isinstance(data, str) else data
        raw = parse_json(blob, source)
    if not isinstance(raw, dict):
        raise _err(f"json: cannot unmarshal {go_type_name(raw).replace('[]interface {}', 'array')} into Go value "
                   "of type map[string]interface {}", source)
    if "plugins" not in raw and raw.get("type"):
        # ConfListFromConf: a plain network configuration is a list of one
        plugin = load_conf(raw, source)
        return NetworkConfigList(name=raw.get("name", "") if isinstance(raw.get("name"), str) else "",
                                 cni_version=raw.get("cniVersion", "") or "", plugins=[plugin], bytes=blob,
                                 source=source)
    if "name" not in raw:
        raise _err("no name", source)
    name = raw["name"]
    if not isinstance(name, str):
        raise _err(f"invalid name type {go_type_name(name)}", source)
    cni_version, cni_versions = _pick_version(raw, source)
    lst = NetworkConfigList(name=name, cni_version=cni_version, cni_versions=cni_versions,
                            disable_check=_read_bool(raw, "disableCheck", source),
                            disable_gc=_read_bool(raw, "disableGC", source),
                            load_only_inlined_plugins=_read_bool(raw, "loadOnlyInlinedPlugins", source),
                            bytes=blob, source=source)
    if "plugins" in raw:
        plugins = raw["plugins"]
        if not isinstance(plugins, list):
            raise _err(f"invalid 'plugins' type {go_type_name(plugins)}", source)
        if not plugins:
            raise _err("no plugins in list", source)
        for i, p in enumerate(plugins):
            if not isinstance(p, dict):
                raise ConfigError(f"failed to parse plugin config {i}: error parsing configuration: json: cannot "
                                  f"unmarshal {go_type_name(p)} into Go value of type types.PluginConf",
                                  source=source)
            try:
                lst.plugins.append(load_conf(p))
            except ConfigError as exc:
                raise ConfigError(f"failed to parse plugin config {i} (plugins[{i}]): {exc.message}",
                                  source=source) from None
    elif lst.load_only_inlined_plugins:
        raise _err("`loadOnlyInlinedPlugins` is true, and no 'plugins' key", source)
    if directory is not None and not lst.load_only_inlined_plugins:
        subdir = Path(directory) / name
        if subdir.is_dir():
            for f in sorted(subdir.glob("*.conf")):
                lst.plugins.append(load_conf(f.read_bytes(), str(f)))
    if not lst.plugins:
        raise ConfigError("no plugin configs found", source=source)
    return lst


def load_file(path: str | Path) -> NetworkConfigList:
    """Read a ``.conf`` or ``.conflist`` file."""
    from ..api.loader import MAX_INPUT_BYTES

    p = Path(path)
    try:
        with open(p, "rb") as f:
            blob = f.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"error reading {p}: {exc.strerror}") from None
    if len(blob) > MAX_INPUT_BYTES:
        raise ConfigError(f"error reading {p}: larger than {MAX_INPUT_BYTES} bytes, kubelab's limit for one file")
    return load_conflist(blob, source=str(p), directory=p.parent)
