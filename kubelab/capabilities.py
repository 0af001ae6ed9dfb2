"""What this machine can run: one probe per capability, asked by ``kubelab doctor``, the lab and the tests.

Each probe returns a :class:`Probe`: ``ok`` (present), ``missing``
(something installable is not installed: a Debian or Python package) or
``no`` (the machine cannot: not root, a kernel without IPVS), and a detail
saying what was found or why not.  The three users read the same answers:

- ``kubelab doctor`` (:mod:`kubelab.cli.doctor`) prints every probe of :data:`PROBES`;
- the real-kernel lab (:mod:`kubelab.lab.doctor`) says which of its parts are
  real on this kernel from ``cni``, ``br_netfilter``, ``nf_tables``,
  ``ipvs`` and ``dummy``;
- the test suite (``tests/capabilities.py``) maps its markers to probes, so a
  test skips (or fails under ``KUBELAB_STRICT=1``) exactly when ``kubelab
  doctor`` says the part is not ``ok``.

The probes are read-only except where only trying tells: ``netns``,
``nf_tables`` and ``dummy`` create a ``kl-doctor-*`` network namespace (``ip
netns list`` succeeds even where none can be made), try one thing inside it
and delete it; ``bwrap`` starts ``/bin/true`` in a sandbox.  Python packages
are located with ``importlib.util.find_spec`` and their version read from
their installed metadata, without importing them (``kubernetes`` and
``jupyterlab`` take seconds to import).  Probes are not cached: a machine
changes (``make hub-env``, ``modprobe``); callers that ask often cache.

Upstream: IPVS is there when ``/proc/net/ip_vs`` exists (the ``ip_vs``
module is loaded or built in), when ``ip_vs.ko`` is under
``/lib/modules/<release>``, or when the kernel configuration says
``CONFIG_IP_VS=y|m`` (``/proc/config.gz`` or ``/boot/config-<release>``).
Simplification: kube-proxy itself (``CanUseIPVSProxier`` in
``pkg/proxy/ipvs/supported.go``, Kubernetes v1.34) checks the ipset version and
adds then deletes a dummy virtual server ``198.51.100.0:20000`` over netlink;
kubelab reads files only and never touches the host's IPVS table.  CNI binaries are looked
for in ``/opt/cni/bin`` (libcni's default ``CNI_PATH``) and Debian's
``/usr/lib/cni``.

Examples
--------
>>> PROBES["chromium"]().status in (OK, MISSING)
True
>>> Probe("nft", MISSING, "no nft").ok
False
"""

from __future__ import annotations

import gzip
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .extras import extra_of
from .host import effective_uid, needs_linux

__all__ = ["Probe", "OK", "MISSING", "NO", "PROBES", "probe", "survey", "python", "python_packages", "lab_extensions",
           "PYTHON_PACKAGES", "CNI_DIRS", "CNI_PLUGINS", "CHROMIUM", "cni_bin_dir", "kernel_config", "hub_home"]

OK, MISSING, NO = "ok", "missing", "no"

#: import name -> distribution name: the runtime dependencies of pyproject.toml.
PYTHON_PACKAGES = {"jupyterlab": "jupyterlab", "ipykernel": "ipykernel", "ipywidgets": "ipywidgets",
                   "networkx": "networkx", "nbgrader": "nbgrader", "kubernetes": "kubernetes", "yaml": "PyYAML",
                   "nbformat": "nbformat", "nbclient": "nbclient"}
#: Where CNI plugin binaries are looked for, in this order: libcni's default, then Debian's.
CNI_DIRS = ("/opt/cni/bin", "/usr/lib/cni")
#: The plugins the lab runs (loopback, then bridge + host-local + portmap).
CNI_PLUGINS = ("bridge", "host-local", "loopback", "portmap")
CHROMIUM = Path("/usr/bin/chromium")
SBIN = "/usr/local/sbin:/usr/sbin:/sbin"
IPVS_MODELLED = "the IPVS mode is modelled in memory only"
PROC_IP_VS = Path("/proc/net/ip_vs")  # appears once ip_vs is loaded or built in
MODULES_DIR = Path("/lib/modules")
BR_NETFILTER = Path("/proc/sys/net/bridge/bridge-nf-call-iptables")


@dataclass(frozen=True)
class Probe:
    """One answer: the part's ``name``, its ``status`` (``ok``, ``missing`` or ``no``) and what was found."""

    name: str
    status: str
    detail: str

    @property
    def ok(self) -> bool:
        return self.status == OK


def which(name: str) -> str | None:
    """``name`` on PATH, or in the sbin directories (root's PATH has them, a user's often not)."""
    return shutil.which(name) or shutil.which(name, path=SBIN)


def _version(argv: list[str]) -> str:
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (res.stdout or res.stderr).strip().splitlines()[0] if (res.stdout or res.stderr).strip() else ""


def _tool(name: str, package: str, version_flag: str | None = "--version", *, also: tuple[str, ...] = ()) -> Probe:
    found = {n: which(n) for n in (name, *also)}
    absent = [n for n, p in found.items() if p is None]
    if absent:
        return Probe(name, MISSING, f"no {', '.join(absent)} (Debian package {package})")
    version = _version([found[name], version_flag]) if version_flag else ""
    return Probe(name, OK, ", ".join(p for p in found.values() if p) + (f" ({version})" if version else ""))


def python() -> Probe:
    version = platform.python_version()
    status = OK if sys.version_info >= (3, 11) else NO
    detail = f"{version} ({sys.executable})" + ("" if status == OK else ": kubelab needs Python 3.11 or newer")
    return Probe("python", status, detail)


def _package(module: str, dist: str, hint: str) -> Probe:
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return Probe(module, MISSING, f"not importable ({hint})")
    try:
        version = importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        version = "version unknown"
    return Probe(module, OK, version)


def python_packages() -> list[Probe]:
    """kubelab's core dependencies and what its [desktop] extra adds, one probe each; a missing one names
    the extra that installs it."""
    def hint(dist: str) -> str:
        extra = extra_of(dist)
        how = f"pip install 'kubelab[{extra}]'" if extra else "pip install -e ."
        return f"{how} installs {dist}"
    return [_package(module, dist, hint(dist)) for module, dist in PYTHON_PACKAGES.items()]


def _labextension(package: str) -> tuple[Path, str] | None:
    """Where a JupyterLab prebuilt extension is installed, and its version."""
    dirs = [Path(sys.prefix, "share", "jupyter", "labextensions")]
    try:
        from jupyter_core.paths import jupyter_path

        dirs = [Path(p) for p in jupyter_path("labextensions")] + dirs
    except ImportError:
        pass
    for d in dict.fromkeys(dirs):
        manifest = d / package / "package.json"
        if manifest.is_file():
            try:
                version = json.loads(manifest.read_text(encoding="utf-8")).get("version", "?")
            except (OSError, ValueError):
                version = "?"
            return d / package, str(version)
    return None


def lab_extensions() -> list[Probe]:
    """The JupyterLab extensions the course uses: the widgets' renderer and nbgrader's."""
    out = []
    for name, package, hint in (("widgets", "@jupyter-widgets/jupyterlab-manager", "ipywidgets"),
                                ("nbgrader extension", "@jupyter/nbgrader", "nbgrader")):
        found = _labextension(package)
        out.append(Probe(name, OK, f"{package} {found[1]} ({found[0]})") if found else
                   Probe(name, MISSING, f"JupyterLab extension {package} not found (pip install {hint})"))
    return out


# ---------------------------------------------------------------------------- root and the kernel
def _not_root(name: str, what: str) -> Probe | None:
    """A ``no`` probe when this is not Linux or not root, else None."""
    why = needs_linux(what)
    if why is not None:
        return Probe(name, NO, why)
    uid = effective_uid()
    if uid != 0:
        return Probe(name, NO, f"not running as root (uid {uid}); {what} needs root")
    return None


def root() -> Probe:
    return _not_root("root", "the real-kernel lab") or Probe("root", OK, "uid 0")


class _Refused(OSError):
    """``ip netns add`` or ``ip netns del`` said no (the message is the probe's detail)."""


@contextmanager
def _scratch_netns(name: str) -> Iterator[Callable[[list[str]], subprocess.CompletedProcess]]:
    """A throwaway ``kl-`` network namespace, deleted on exit; yields a runner of commands inside it.

    Raises :class:`_Refused` when ``ip netns add``/``del`` fails, OSError when ``ip``
    cannot run, ``subprocess.TimeoutExpired`` when it hangs.
    """
    ip = which("ip")
    if ip is None:
        raise FileNotFoundError("no `ip` command (Debian package iproute2)")
    add = subprocess.run([ip, "netns", "add", name], capture_output=True, text=True, timeout=20)
    if add.returncode != 0:
        raise _Refused(f"`ip netns add` failed: {add.stderr.strip()}")
    try:
        yield lambda argv: subprocess.run([ip, "netns", "exec", name, *argv], capture_output=True, text=True,
                                          timeout=20)
    finally:
        dele = subprocess.run([ip, "netns", "del", name], capture_output=True, text=True, timeout=20)
    if dele.returncode != 0:
        raise _Refused(f"`ip netns del {name}` failed: {dele.stderr.strip()}")


def netns() -> Probe:
    """Network namespaces can be made and entered: creates ``kl-doctor-<pid>``, runs ``ip link`` in it, deletes it."""
    refused = _not_root("netns", "the real-kernel lab")
    if refused is not None:
        return refused if needs_linux("the real-kernel lab") else Probe("netns", NO, "needs root")
    ip = which("ip")
    if ip is None:
        return Probe("netns", MISSING, "no `ip` command (Debian package iproute2)")
    name = f"kl-doctor-{os.getpid()}"
    try:
        with _scratch_netns(name) as run:
            inside = run([ip, "link", "show", "lo"])
            if inside.returncode != 0:
                return Probe("netns", NO, f"`ip netns exec` failed: {inside.stderr.strip()}")
    except _Refused as exc:
        return Probe("netns", NO, str(exc))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Probe("netns", NO, f"`ip netns` unusable: {exc}")
    return Probe("netns", OK, f"created and deleted {name} with {ip}")


def _in_scratch_netns(name: str, probe_name: str, argv: list[str], works: str, fails: str) -> Probe:
    refused = _not_root(probe_name, "trying it in a network namespace")
    if refused is not None:
        return refused
    try:
        with _scratch_netns(f"kl-doctor-{name}-{os.getpid()}") as run:
            ok = run(argv).returncode == 0
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Probe(probe_name, NO, f"could not create a kl- namespace: {exc}")
    return Probe(probe_name, OK, works) if ok else Probe(probe_name, NO, fails)


def iptables() -> Probe:
    return _tool("iptables", "iptables", also=("iptables-restore",))


def nft() -> Probe:
    return _tool("nft", "nftables")


def nf_tables() -> Probe:
    """The kernel takes an nftables table (``nft add table ip kube-proxy`` in a throwaway namespace)."""
    tool = nft()
    if not tool.ok:
        return Probe("nf_tables", MISSING, tool.detail)
    return _in_scratch_netns("nft", "nf_tables", [which("nft") or "nft", "add", "table", "ip", "kube-proxy"],
                             "nft loads a table into a network namespace",
                             "this kernel refuses nftables tables (CONFIG_NF_TABLES)")


def ipset() -> Probe:
    return _tool("ipset", "ipset", "version")


def conntrack() -> Probe:
    return _tool("conntrack", "conntrack", "--version")


def dummy() -> Probe:
    """The kernel has the dummy link type (``kube-ipvs0``): tries ``ip link add type dummy`` in a namespace."""
    return _in_scratch_netns("dummy", "dummy", [which("ip") or "ip", "link", "add", "kl-probe", "type", "dummy"],
                             "dummy links work", "this kernel has no dummy link type (CONFIG_DUMMY)")


def br_netfilter() -> Probe:
    if BR_NETFILTER.exists():
        return Probe("br_netfilter", OK, "bridge-nf-call-iptables is available per namespace")
    return Probe("br_netfilter", NO, "br_netfilter is not loaded: bridged traffic skips iptables")


def cni_bin_dir() -> Path | None:
    """The first of :data:`CNI_DIRS` holding every plugin of :data:`CNI_PLUGINS`, or None."""
    for directory in map(Path, CNI_DIRS):
        if all(os.access(directory / plugin, os.X_OK) for plugin in CNI_PLUGINS):
            return directory
    return None


def cni() -> Probe:
    found = cni_bin_dir()
    if found is not None:
        plugins = sorted(p.name for p in found.iterdir() if p.is_file() and os.access(p, os.X_OK))
        return Probe("cni plugins", OK, f"{found}: {' '.join(plugins)}")
    for d in map(Path, CNI_DIRS):
        if d.is_dir():
            plugins = sorted(p.name for p in d.iterdir() if p.is_file() and os.access(p, os.X_OK))
            if plugins:
                lacking = [p for p in CNI_PLUGINS if p not in plugins]
                return Probe("cni plugins", MISSING, f"{d} has {' '.join(plugins)} but not {', '.join(lacking)} "
                                                     "(Debian package containernetworking-plugins)")
    return Probe("cni plugins", MISSING, f"no plugins in {' or '.join(CNI_DIRS)} "
                                         "(Debian package containernetworking-plugins)")


def kernel_config(option: str) -> str | None:
    """``y``, ``m``, ``n`` (``# ... is not set``) or None when the kernel configuration cannot be read."""
    release = os.uname().release
    for path in (Path("/proc/config.gz"), Path(f"/boot/config-{release}")):
        try:
            raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        except OSError:
            continue
        for line in raw.decode("utf-8", "replace").splitlines():
            if line.startswith(f"{option}="):
                return line.split("=", 1)[1]
            if line == f"# {option} is not set":
                return "n"
        return "n"
    return None


def ipvs() -> Probe:
    if PROC_IP_VS.exists():
        return Probe("ipvs", OK, "/proc/net/ip_vs present (ip_vs loaded)")
    release = os.uname().release
    if list((MODULES_DIR / release).glob("kernel/net/netfilter/ipvs/ip_vs.ko*")):
        return Probe("ipvs", OK, f"ip_vs module available for kernel {release} (loaded on demand)")
    config = kernel_config("CONFIG_IP_VS")
    if config in ("y", "m"):
        return Probe("ipvs", OK, f"CONFIG_IP_VS={config} in kernel {release}")
    if config == "n":
        return Probe("ipvs", NO, f"not available: CONFIG_IP_VS unset; {IPVS_MODELLED}")
    return Probe("ipvs", NO, f"not available: no /proc/net/ip_vs and no ip_vs module for kernel {release}; "
                             f"{IPVS_MODELLED}")


# ---------------------------------------------------------------------------- grading, browsers, the class
def bwrap() -> Probe:
    """bubblewrap can make the grading sandbox's namespaces here (``--unshare-all``, an unprivileged uid)."""
    path = which("bwrap")
    if path is None:
        return Probe("bwrap", MISSING, "no bwrap (Debian package bubblewrap)")
    argv = [path, "--unshare-all", "--die-with-parent", "--cap-drop", "ALL", "--uid", "65534", "--gid", "65534",
            "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--", "/bin/true"]
    try:
        works = subprocess.run(argv, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        works = False
    if not works:
        return Probe("bwrap", NO, "bwrap cannot create its namespaces here (user namespaces disabled?)")
    return Probe("bwrap", OK, f"{path} creates the grading sandbox's namespaces")


def chromium() -> Probe:
    if os.access(CHROMIUM, os.X_OK):
        return Probe("chromium", OK, str(CHROMIUM))
    return Probe("chromium", MISSING, f"no {CHROMIUM} (Debian package chromium); the browser tests skip")


def playwright() -> Probe:
    return _package("playwright", "playwright", "pip install -e '.[test]'; it drives /usr/bin/chromium")


def npm() -> Probe:
    path = which("npm")
    if path is None:
        return Probe("npm", MISSING, "no npm (Debian package npm): make lite fetches Pyodide with it")
    return Probe("npm", OK, path)


def jupyterlite() -> Probe:
    for module, dist in (("jupyterlite_core", "jupyterlite-core"),
                         ("jupyterlite_pyodide_kernel", "jupyterlite-pyodide-kernel")):
        found = _package(module, dist, "pip install -e '.[lite]', as make venv does")
        if not found.ok:
            return Probe("jupyterlite", MISSING, f"{module} is {found.detail}")
    return Probe("jupyterlite", OK, f"jupyterlite-core {importlib.metadata.version('jupyterlite-core')} (make lite)")


def hub_home() -> Path:
    """Where the class's hub is installed (``make hub-env``; the Makefile passes KUBELAB_HUB_HOME)."""
    return Path(os.environ.get("KUBELAB_HUB_HOME", "/opt/kubelab-hub"))


def hub() -> Probe:
    """A JupyterHub class with real accounts (``make hub``): root, useradd, node, the hub's venv and proxy."""
    refused = _not_root("hub", "the class (it creates Linux accounts)")
    if refused is not None:
        return refused
    for tool in ("useradd", "userdel", "runuser", "node"):
        if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
            return Probe("hub", MISSING, f"no `{tool}` command")
    home = hub_home()
    if not (home / "venv" / "bin" / "jupyterhub").exists():
        return Probe("hub", MISSING, f"no JupyterHub in {home}/venv (run `make hub-env`)")
    if not (home / "node_modules" / ".bin" / "configurable-http-proxy").exists():
        return Probe("hub", MISSING, f"no configurable-http-proxy in {home}/node_modules (run `make hub-env`)")
    return Probe("hub", OK, f"JupyterHub and configurable-http-proxy in {home} (make hub)")


def _kubeconfigs() -> list[Path]:
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return [Path("~/.kube/config").expanduser()]


def kind() -> Probe:
    """A kind cluster's context in the kubeconfig (``kind create cluster``)."""
    import yaml

    looked = []
    for path in _kubeconfigs():
        looked.append(str(path))
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        contexts = doc.get("contexts") if isinstance(doc, dict) else None
        names = [c.get("name") for c in contexts or [] if isinstance(c, dict) and isinstance(c.get("name"), str)]
        found = [n for n in names if n.startswith("kind-")]
        if found:
            return Probe("kind context", OK, f"{', '.join(found)} in {path}")
    return Probe("kind context", NO, f"no kind-* context in {', '.join(looked)} (kind create cluster)")


#: Every single-part probe by capability name, in the order ``kubelab doctor`` prints them
#: (after :func:`python`, :func:`python_packages` and :func:`lab_extensions`).
PROBES: dict[str, Callable[[], Probe]] = {
    "root": root, "netns": netns, "iptables": iptables, "nft": nft, "nf_tables": nf_tables, "ipset": ipset,
    "conntrack": conntrack, "cni": cni, "br_netfilter": br_netfilter, "ipvs": ipvs, "dummy": dummy,
    "bwrap": bwrap, "chromium": chromium, "playwright": playwright, "npm": npm, "jupyterlite": jupyterlite,
    "hub": hub, "kind": kind,
}


def survey() -> list[Probe]:
    """Every probe, in ``kubelab doctor``'s order: Python, its packages, the JupyterLab extensions, then :data:`PROBES`."""
    return [python(), *python_packages(), *lab_extensions(), *(run() for run in PROBES.values())]


def probe(name: str) -> Probe:
    """Run the probe of capability ``name`` (a key of :data:`PROBES`).

    >>> probe("ipvs").name
    'ipvs'
    """
    if name not in PROBES:
        raise ValueError(f"unknown capability {name!r}; known: {', '.join(PROBES)}")
    return PROBES[name]()
