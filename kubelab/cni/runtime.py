"""The runtime's side of CNI (libcni's role): ADD, CHECK, DEL, VERSION, GC, STATUS over a configuration list.

Upstream: containernetworking/cni ``SPEC.md`` ("Execution of Network
Configurations": ADD runs the plugins in order, each getting the previous
result as ``prevResult``; CHECK in order with the cached result; DEL in
reverse order with the cached result) and ``libcni/api.go``
(``buildOneConfig``: inject ``name``, ``cniVersion`` and ``prevResult``, then
``runtimeConfig`` with each capability the plugin declares ``true`` in
``capabilities`` and the runtime supplies; ``InjectConf`` re-marshals the
plugin's configuration through a Go map, so the stdin a plugin gets is compact
JSON with sorted keys; ``AddNetworkList``, ``CheckNetworkList`` (not below
0.4.0; nothing when ``disableCheck``), ``DelNetworkList`` (cached result as
prevResult from 0.4.0 on), the result cache
``<cacheDir>/results/<network>-<containerID>-<ifname>`` of kind
``cniCacheV1``, ``GCNetworkList`` (DEL of cached attachments not in the valid
list, then GC with ``cni.dev/valid-attachments`` and the spec v1.1.0 name
``cni.dev/attachments``, from 1.1.0 on, unless ``disableGC``),
``GetStatusNetworkList`` (STATUS from 1.1.0 on), ``pluginDescription``).

Errors: a plugin's own error is raised as that :class:`CNIError` (code, msg,
details as the plugin printed them) with ``context`` holding libcni's wrapping
(``plugin type="bridge" failed (add)``); the runtime's own refusals (CHECK
below 0.4.0, a plugin not found, a bad name) are CNIErrors with the spec code
that fits (libcni returns them as plain Go errors).
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import NAME_RE, NetworkConfigList, PluginConf
from .skel import _validate_ifname
from .types import (ERR_INCOMPATIBLE_CNI_VERSION, ERR_INTERNAL, ERR_INVALID_ENVIRONMENT_VARIABLES,
                    ERR_INVALID_NETWORK_CONFIG, ERR_UNKNOWN_CONTAINER, CNIError, Result, go_json, go_quote,
                    version_gte)

__all__ = ["Runtime", "RuntimeConf", "inject"]


@dataclass
class RuntimeConf:
    """libcni.RuntimeConf: who is being attached, where, and the capability arguments."""

    container_id: str
    netns: str = ""
    ifname: str = "eth0"
    args: list[tuple[str, str]] = field(default_factory=list)
    capability_args: dict[str, Any] = field(default_factory=dict)

    def env(self, command: str, cni_path: str) -> dict[str, str]:
        """invoke.Args.AsEnv."""
        return {"CNI_COMMAND": command, "CNI_CONTAINERID": self.container_id, "CNI_NETNS": self.netns,
                "CNI_ARGS": ";".join(f"{k}={v}" for k, v in self.args), "CNI_IFNAME": self.ifname,
                "CNI_PATH": cni_path}


def _go_map_json(obj: Any) -> str:
    """json.Marshal of a map[string]interface{}: compact, keys sorted, HTML-safe escapes."""
    return go_json(_sort(obj), indent=False)


def _sort(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _sort(obj[k]) for k in sorted(obj)}
    if isinstance(obj, list):
        return [_sort(x) for x in obj]
    return obj


def inject(plugin: PluginConf, values: dict[str, Any]) -> bytes:
    """libcni.InjectConf: set top-level keys of the plugin's configuration, re-marshalled as a Go map."""
    raw = dict(plugin.raw)
    raw.update(values)
    return _go_map_json(raw).encode()


class Runtime:
    """Runs configuration lists through a backend, keeping libcni's result cache.

    ``cache_dir``: where results are cached (libcni's default is
    ``/var/lib/cni``); None keeps them in memory.  ``data_dir``: if set, the
    ``dataDir`` given to every host-local IPAM section.
    """

    def __init__(self, backend: Any = None, cache_dir: str | os.PathLike | None = None,
                 data_dir: str | os.PathLike | None = None):
        if backend is None:
            from .backends import MemoryBackend
            backend = MemoryBackend()
        self.backend = backend
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.data_dir = str(data_dir) if data_dir else None
        self._cache: dict[str, dict] = {}
        self.log: list[dict[str, Any]] = []  # every plugin call: command, type, env, stdin, stdout, exit code

    # -- plumbing
    def _plugin_conf(self, plugin: PluginConf, lst: NetworkConfigList, prev: Result | None,
                     rt: RuntimeConf | None) -> bytes:
        values: dict[str, Any] = {"name": lst.name, "cniVersion": lst.cni_version}
        if prev is not None:
            values["prevResult"] = json.loads(prev.to_json(lst.cni_version, library="1.1"))
        raw = dict(plugin.raw)
        if self.data_dir and isinstance(raw.get("ipam"), dict) and raw["ipam"].get("type") == "host-local":
            raw["ipam"] = dict(raw["ipam"], dataDir=self.data_dir)
        if rt is not None:
            rc = {cap: rt.capability_args[cap] for cap, on in plugin.capabilities.items()
                  if on and cap in rt.capability_args}
            if rc:
                values["runtimeConfig"] = rc
        return inject(PluginConf(raw), values)

    def _exec(self, command: str, plugin: PluginConf, stdin: bytes, env: dict[str, str]) -> str:
        try:
            self.backend.find(plugin.type)
        except Exception as exc:  # noqa: BLE001 -- FindInPath's error, as libcni reports it
            raise CNIError(ERR_INTERNAL, str(exc)) from None
        out = self.backend.exec(plugin.type, env, stdin)
        self.log.append({"command": command, "type": plugin.type, "env": env, "stdin": stdin.decode(),
                         "stdout": out.stdout, "exit_code": out.exit_code})
        if out.exit_code != 0:
            try:
                err = CNIError.from_json(out.stdout)
            except ValueError:
                err = CNIError(ERR_INTERNAL, f"netplugin failed: {out.stderr.strip()!r}")
            raise err
        return out.stdout

    @staticmethod
    def _validate(lst: NetworkConfigList, rt: RuntimeConf) -> None:
        if not rt.container_id:
            raise CNIError(ERR_UNKNOWN_CONTAINER, "missing containerID")
        if not NAME_RE.match(rt.container_id):
            raise CNIError(ERR_INVALID_ENVIRONMENT_VARIABLES, "invalid characters in containerID", rt.container_id)
        if not lst.name:
            raise CNIError(ERR_INVALID_NETWORK_CONFIG, "missing network name:")
        if not NAME_RE.match(lst.name):
            raise CNIError(ERR_INVALID_NETWORK_CONFIG, "invalid characters found in network name", lst.name)
        _validate_ifname(rt.ifname)

    @staticmethod
    def _wrap(exc: CNIError, plugin: PluginConf, what: str) -> CNIError:
        exc.context = f"plugin {plugin.describe()} failed ({what})"
        return exc

    # -- the result cache
    def _cache_key(self, lst: NetworkConfigList, rt: RuntimeConf) -> str:
        return f"{lst.name}-{rt.container_id}-{rt.ifname}"

    def _cache_add(self, lst: NetworkConfigList, rt: RuntimeConf, result: Result) -> None:
        info = {"kind": "cniCacheV1", "containerId": rt.container_id,
                "config": base64.b64encode(lst.bytes).decode(), "ifName": rt.ifname, "networkName": lst.name}
        if rt.netns:
            info["netns"] = rt.netns
        if rt.args:
            info["cniArgs"] = [list(a) for a in rt.args]
        if rt.capability_args:
            info["capabilityArgs"] = rt.capability_args
        info["result"] = json.loads(result.to_json(lst.cni_version, library="1.1"))
        key = self._cache_key(lst, rt)
        self._cache[key] = info
        if self.cache_dir is not None:
            path = self.cache_dir / "results" / key
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(go_json(info, indent=False))

    def _cache_get(self, lst: NetworkConfigList, rt: RuntimeConf) -> Result | None:
        key = self._cache_key(lst, rt)
        info = self._cache.get(key)
        if info is None and self.cache_dir is not None:
            try:
                info = json.loads((self.cache_dir / "results" / key).read_text())
            except (OSError, ValueError):
                info = None
        if not info or not info.get("result"):
            return None
        return Result.from_dict(info["result"])

    def _cache_del(self, lst: NetworkConfigList, rt: RuntimeConf) -> None:
        key = self._cache_key(lst, rt)
        self._cache.pop(key, None)
        if self.cache_dir is not None:
            try:
                (self.cache_dir / "results" / key).unlink()
            except OSError:
                pass

    def cached_attachments(self) -> list[dict]:
        items = dict(self._cache)
        if self.cache_dir is not None and (self.cache_dir / "results").is_dir():
            for p in sorted((self.cache_dir / "results").iterdir()):
                try:
                    items.setdefault(p.name, json.loads(p.read_text()))
                except (OSError, ValueError):
                    continue
        return list(items.values())

    # -- the operations
    def add(self, lst: NetworkConfigList, rt: RuntimeConf) -> Result:
        """AddNetworkList: every plugin in order, each fed the previous result; the last result is cached."""
        result: Result | None = None
        env = rt.env("ADD", self.backend.cni_path)
        for plugin in lst.plugins:
            try:
                self._validate(lst, rt)
                out = self._exec("ADD", plugin, self._plugin_conf(plugin, lst, result, rt), env)
                result = Result.from_json(out, None)
            except CNIError as exc:
                raise self._wrap(exc, plugin, "add") from None
        assert result is not None
        self._cache_add(lst, rt, result)
        return result

    def check(self, lst: NetworkConfigList, rt: RuntimeConf) -> None:
        """CheckNetworkList: refused below 0.4.0, skipped with disableCheck, else every plugin in order."""
        if not version_gte(lst.cni_version, "0.4.0"):
            raise CNIError(ERR_INCOMPATIBLE_CNI_VERSION,
                           f"configuration version {go_quote(lst.cni_version)} does not support the CHECK command")
        if lst.disable_check:
            return
        cached = self._cache_get(lst, rt)
        env = rt.env("CHECK", self.backend.cni_path)
        for plugin in lst.plugins:
            try:
                self._exec("CHECK", plugin, self._plugin_conf(plugin, lst, cached, rt), env)
            except CNIError as exc:
                raise self._wrap(exc, plugin, "check") from None

    def delete(self, lst: NetworkConfigList, rt: RuntimeConf) -> None:
        """DelNetworkList: the plugins in reverse order, with the cached result from 0.4.0 on; then forget it."""
        cached = self._cache_get(lst, rt) if version_gte(lst.cni_version, "0.4.0") else None
        env = rt.env("DEL", self.backend.cni_path)
        for plugin in reversed(lst.plugins):
            try:
                self._exec("DEL", plugin, self._plugin_conf(plugin, lst, cached, rt), env)
            except CNIError as exc:
                raise self._wrap(exc, plugin, "delete") from None
        self._cache_del(lst, rt)

    def version(self, plugin_type: str) -> dict:
        """GetVersionInfo: the plugin's VERSION answer (``cniVersion``, ``supportedVersions``)."""
        env = {"CNI_COMMAND": "VERSION", "CNI_CONTAINERID": "", "CNI_NETNS": "", "CNI_ARGS": "", "CNI_IFNAME": "",
               "CNI_PATH": self.backend.cni_path}
        out = self._exec("VERSION", PluginConf({"type": plugin_type}), b'{"cniVersion":"1.1.0"}', env)
        return json.loads(out)

    def gc(self, lst: NetworkConfigList, valid_attachments: list[tuple[str, str]] | None = None) -> list[CNIError]:
        """GCNetworkList: DEL every cached attachment of this network not in ``valid_attachments``, then GC."""
        if lst.disable_gc:
            return []
        errors: list[CNIError] = []
        valid = set(valid_attachments or [])
        for info in self.cached_attachments():
            if info.get("networkName") != lst.name or (info.get("containerId"), info.get("ifName")) in valid:
                continue
            rt = RuntimeConf(info["containerId"], info.get("netns", ""), info["ifName"],
                             [tuple(a) for a in info.get("cniArgs") or []], info.get("capabilityArgs") or {})
            try:
                self.delete(lst, rt)
            except CNIError as exc:
                errors.append(exc)
        if version_gte(lst.cni_version, "1.1.0"):
            attachments = [{"containerID": c, "ifname": i} for c, i in valid_attachments or []]
            values = {"name": lst.name, "cniVersion": lst.cni_version}
            if valid_attachments is not None:
                values["cni.dev/valid-attachments"] = attachments
                values["cni.dev/attachments"] = attachments  # cni#1101: SPEC v1.1.0's name
            env = RuntimeConf("").env("GC", self.backend.cni_path)
            for plugin in lst.plugins:
                try:
                    self._exec("GC", plugin, inject(plugin, values), env)
                except CNIError as exc:
                    errors.append(self._wrap(exc, plugin, "gc"))
        return errors

    def status(self, lst: NetworkConfigList) -> None:
        """GetStatusNetworkList: STATUS of every plugin from 1.1.0 on; the first error is raised."""
        if not version_gte(lst.cni_version, "1.1.0"):
            return
        env = RuntimeConf("").env("STATUS", self.backend.cni_path)
        for plugin in lst.plugins:
            self._exec("STATUS", plugin, inject(plugin, {"name": lst.name, "cniVersion": lst.cni_version}), env)
