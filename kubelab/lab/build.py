"""Build a :class:`~kubelab.lab.topology.Topology` on the real kernel, and take it down again.

``Lab(cluster)`` is a context manager: ``with Lab(cluster) as lab:`` creates the
``kl-`` namespaces, the fabric bridge and the node veths, runs the real CNI
plugins (``/usr/lib/cni``: loopback, then bridge + host-local + portmap) inside
each node namespace through :class:`kubelab.cni.Runtime`, adds the pod-CIDR
routes between nodes, loads kube-proxy's rules as the model renders them (in
iptables mode ``iptables -N``/``-I`` for the jumps, then ``iptables-restore
--noflush``; in nftables mode the transaction a first sync pipes to ``nft -f
-``, so the ``ip kube-proxy`` table really DNATs the lab's traffic), and
starts one tiny standard-library server per pod.  Everything is removed when the
block ends -- normally, on an exception, on Ctrl-C, or on SIGTERM (the handler
turns the signal into :class:`SystemExit` and is restored afterwards).

Every command runs inside a ``kl-`` namespace (``ip netns exec``); the host's
own namespace is only read.  Namespaces are all created from the host
(ENVIRONMENT.md: ``ip netns add`` inside ``ip netns exec`` makes one nobody else
sees).  State lives in ``/run/kubelab/labs/<lab>/`` (``$KUBELAB_LAB_STATE/<lab>/``
if set): ``state.json``, host-local's ``ipam/``, libcni's result ``cache/``, so ``kubelab lab status|curl|down`` in a
later process find a lab that ``kubelab lab up`` left running.

:func:`clean` is ``mn -c`` restricted to what kubelab's own state lists: for
each lab with a state file (or only ``--name``'s), it kills the processes left
in that lab's namespaces, deletes them and removes the files kubelab wrote in
the state directory -- never a namespace another lab (another user's, on a
shared machine) or anything else made, and never a directory it did not
create.  A lab is locked (``fcntl.flock`` on ``<state root>/.<lab>.lock``)
while it is built, taken down or cleaned, so two ``kubelab lab up --name x``
cannot build over (and then tear down) each other: the second one is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import KubelabError
from .netns import NETNS_PREFIX, NetNS, list_lab_namespaces
from .topology import FABRIC_CIDR, FABRIC_IP, LAB_MODES, Topology, plan

if TYPE_CHECKING:  # pragma: no cover
    from ..cluster import Cluster

__all__ = ["Lab", "clean", "load_lab", "lab_lock", "STATE_ROOT", "SERVER_MARK", "outcome_of", "OUTCOMES",
           "STATE_FILES", "LAB_MODES"]

STATE_ROOT = Path(os.environ.get("KUBELAB_LAB_STATE", "/run/kubelab/labs"))
SERVER_MARK = "kubelab-lab-server"

#: What kubelab writes in a lab's state directory, and all that :func:`clean` and ``down`` remove from it.
STATE_FILES = ("state.json", "ipam", "cache")

#: What the client in a pod prints for one connection: the answering pod, or one of these.
OUTCOMES = ("refused", "timeout", "no route")

SERVER = f"""# {SERVER_MARK}
import os, selectors, socket, sys
name = sys.argv[1]
sel = selectors.DefaultSelector()
for spec in sys.argv[2:]:
    port, proto = spec.split("/")
    if proto == "TCP":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", int(port)))
        s.listen(128)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("", int(port)))
    sel.register(s, selectors.EVENT_READ, proto)
sys.stdout.write("ready\\n")
sys.stdout.flush()
null = os.open(os.devnull, os.O_WRONLY)
os.dup2(null, 1)
os.dup2(null, 2)
while True:
    for key, _ in sel.select():
        try:
            if key.data == "TCP":
                c, addr = key.fileobj.accept()
                c.sendall(("%s %s\\n" % (name, addr[0])).encode())
                c.close()
            else:
                data, addr = key.fileobj.recvfrom(2048)
                key.fileobj.sendto(("%s %s\\n" % (name, addr[0])).encode(), addr)
        except OSError:
            pass
"""

CLIENT = """import errno, socket, sys
host, port, proto, count, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
for _ in range(count):
    s = None
    try:
        if proto == "UDP":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(timeout)
            s.connect((host, port))
            s.send(b"?")
            data = s.recv(2048)
        else:
            s = socket.create_connection((host, port), timeout=timeout)
            data = b""
            while True:
                chunk = s.recv(2048)
                if not chunk:
                    break
                data += chunk
        out = data.decode(errors="replace").strip() or "empty"
    except ConnectionRefusedError:
        out = "refused"
    except socket.timeout:
        out = "timeout"
    except OSError as e:
        out = "no route" if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH) else "error: " + (e.strerror or str(e))
    finally:
        if s is not None:
            s.close()
    print(out, flush=True)
"""


def outcome_of(trace: Any) -> str:
    """What the lab's client would print for a model :class:`~kubelab.hops.Trace`.

    ``delivered`` -> the backend ``namespace/name``; ``rejected`` (ICMP port
    unreachable) and ``refused`` (TCP RST) -> ``refused`` (the socket cannot tell
    them apart: both are ECONNREFUSED); ``dropped``/``timeout`` -> ``timeout``.
    """
    v = trace.verdict
    if v == "delivered":
        return trace.backend
    return {"rejected": "refused", "refused": "refused", "dropped": "timeout", "timeout": "timeout",
            "no route": "no route", "closed": "empty"}.get(v, v)


def _run(argv: list[str], input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, input=input, text=True, capture_output=True)
    if check and proc.returncode != 0:
        raise KubelabError(f"lab: `{' '.join(argv[:8])}` failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def _exec(ns: str, argv: list[str], input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    if not ns.startswith(NETNS_PREFIX):
        raise KubelabError(f'refusing to run in network namespace "{ns}": not a kl- namespace')
    return _run(["ip", "netns", "exec", ns, *argv], input=input, check=check)


def _is_server(pid: int) -> bool:
    try:
        return SERVER_MARK.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _kill(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


@contextlib.contextmanager
def lab_lock(name: str, state_root: Path | None = None):
    """Hold lab ``name``'s lock (``flock`` on ``<root>/.<name>.lock``), or fail at once if someone else holds it."""
    root = Path(state_root or STATE_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / f".{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise KubelabError(f'lab "{name}" is busy: another kubelab is building, taking down or cleaning it '
                               "(try again when it is done)") from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _remove_state(state_dir: Path) -> None:
    """Remove what kubelab wrote in ``state_dir`` (:data:`STATE_FILES`), then the directory if that left it empty."""
    for entry in STATE_FILES:
        path = state_dir / entry
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
                path.unlink()
    with contextlib.suppress(OSError):
        state_dir.rmdir()  # only if empty: a directory kubelab did not fill stays


class Lab:
    """A cluster on the real kernel, for the duration of a ``with`` block (or until :meth:`down`)."""

    def __init__(self, cluster: "Cluster | None" = None, name: str = "lab", *, hairpin: bool = True,
                 topology: Topology | None = None, services: dict[str, str] | None = None,
                 state_root: Path | None = None, mode: str | None = None):
        self.cluster = cluster
        #: kube-proxy's mode in the lab: the cluster's (``--proxy-mode``) when the lab can load it
        #: (:data:`LAB_MODES`), else iptables -- the topology's ``skipped`` says so
        wanted = mode or (cluster.kube_proxy_config.effective_mode if cluster is not None else "iptables")
        self.mode = wanted if wanted in LAB_MODES else "iptables"
        self.topology = topology or plan(cluster, name, hairpin=hairpin)
        self.name = self.topology.lab
        self.state_dir = Path(state_root or STATE_ROOT) / self.name
        self.services = services if services is not None else _services(cluster)
        self.pids: dict[str, int] = {}
        self.timings: dict[str, float] = {}
        self._netns: list[NetNS] = []
        self._old_handlers: dict[int, Any] = {}
        self._locks = 0
        self._lock_cm: Any = None

    @contextlib.contextmanager
    def _locked(self):
        """This lab's lock, re-entrant within this object (``up`` calls ``down`` when it fails)."""
        if self._locks == 0:
            cm = lab_lock(self.name, self.state_dir.parent)
            cm.__enter__()
            self._lock_cm = cm
        self._locks += 1
        try:
            yield
        finally:
            self._locks -= 1
            if self._locks == 0:
                cm, self._lock_cm = self._lock_cm, None
                cm.__exit__(None, None, None)

    # ------------------------------------------------------------------ the context manager
    def __enter__(self) -> "Lab":
        self._trap_signals()
        try:
            self.up()
        except BaseException:
            self._restore_signals()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.down()
        finally:
            self._restore_signals()

    def _trap_signals(self) -> None:
        def on_term(signum: int, frame: Any) -> None:
            raise SystemExit(128 + signum)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            try:
                self._old_handlers[sig] = signal.signal(sig, on_term)
            except ValueError:  # not the main thread: the caller cleans up
                pass

    def _restore_signals(self) -> None:
        for sig, old in self._old_handlers.items():
            signal.signal(sig, old)
        self._old_handlers.clear()

    # ------------------------------------------------------------------ up
    def up(self) -> "Lab":
        """Build everything; on any failure (or interruption) remove what was built, then re-raise."""
        with self._locked():
            return self._up()

    def _up(self) -> "Lab":
        if (self.state_dir / "state.json").exists() or set(self.topology.namespaces) & set(list_lab_namespaces()):
            raise KubelabError(f'lab "{self.name}" already exists: `kubelab lab down --name {self.name}` '
                               "or `kubelab lab clean` first")
        t0 = time.perf_counter()
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            self._save()
            self._namespaces()
            self.timings["namespaces"] = time.perf_counter() - t0
            self._fabric_and_nodes()
            self.timings["fabric"] = time.perf_counter() - t0
            self._pods()
            self.timings["cni"] = time.perf_counter() - t0
            self._kube_proxy()
            self.timings["kube-proxy"] = time.perf_counter() - t0
            self._servers()
            self._save()
        except BaseException:
            self.down()
            raise
        self.timings["up"] = time.perf_counter() - t0
        return self

    def _namespaces(self) -> None:
        t = self.topology
        for name in t.namespaces:
            ns = NetNS(name)
            ns.__enter__()
            self._netns.append(ns)

    def _fabric_and_nodes(self) -> None:
        t = self.topology
        prefix = FABRIC_CIDR.split("/")[1]
        batch = ["link add br0 type bridge", f"addr add {FABRIC_IP}/{prefix} dev br0", "link set br0 up"]
        for n in t.nodes:
            batch += [f"link add {n.fabric_port} type veth peer name eth0 netns {n.netns}",
                      f"link set {n.fabric_port} master br0", f"link set {n.fabric_port} up"]
        _exec(t.fabric, ["ip", "-batch", "-"], input="\n".join(batch) + "\n")
        for n in t.nodes:
            batch = [f"addr add {n.ip}/{prefix} dev eth0", "link set eth0 up"]
            batch += [f"route add {cidr} via {via} dev eth0" for cidr, via in n.routes]
            batch.append(f"route add default via {FABRIC_IP} dev eth0")  # kind's node: the docker gateway
            _exec(n.netns, ["ip", "-batch", "-"], input="\n".join(batch) + "\n")
            _exec(n.netns, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
            _exec(n.netns, ["sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1"], check=False)

    def _runtime(self, node: Any) -> tuple[Any, Any, Any]:
        from ..cni import Runtime, SystemBackend, load_conflist
        rt = Runtime(SystemBackend(netns=node.netns), cache_dir=self.state_dir / "cache",
                     data_dir=self.state_dir / "ipam")
        return rt, load_conflist(json.dumps(self.topology.conflist(node))), load_conflist(json.dumps(
            {"cniVersion": "1.0.0", "name": "lo", "plugins": [{"type": "loopback"}]}))

    def _rtconf(self, pod: Any, ifname: str) -> Any:
        from ..cni import RuntimeConf
        ns, _, name = pod.ref.partition("/")
        args = [("IgnoreUnknown", "1"), ("K8S_POD_NAMESPACE", ns), ("K8S_POD_NAME", name)]
        caps = {}
        if ifname == "eth0":
            args.append(("IP", pod.ip))  # host-local: the model's address, so model and kernel agree
            if pod.host_ports:
                caps["portMappings"] = pod.host_ports
        return RuntimeConf(pod.container_id, f"/run/netns/{pod.netns}", ifname, args, caps)

    def _pods(self) -> None:
        for node in self.topology.nodes:
            rt, lst, lo = self._runtime(node)
            for pod in (p for p in self.topology.pods if p.node == node.name):
                rt.add(lo, self._rtconf(pod, "lo"))
                result = rt.add(lst, self._rtconf(pod, "eth0"))
                got = result.ips[0]["address"].split("/")[0]
                if got != pod.ip:
                    raise KubelabError(f"lab: host-local gave {pod.ref} {got}, the model says {pod.ip}")

    def _kube_proxy(self) -> None:
        if self.cluster is None:
            return
        from ..proxy import proxier_for
        for n in self.topology.nodes:
            p = proxier_for(self.cluster, self.mode, node=n.name)
            if self.mode == "nftables":  # what kube-proxy's first sync pipes to `nft -f -`
                _exec(n.netns, ["nft", "-f", "-"], input=p.render("transaction"))
                continue
            # kube-proxy's EnsureChain + `iptables -I` of the jumps into the built-in chains, as one restore
            jumps = []
            for table, rules in p.jump_rules().items():
                jumps.append(f"*{table}")
                jumps += [f":{chain} - [0:0]" for chain in dict.fromkeys(r.target for r in rules)]
                jumps += ["-I " + r.restore()[3:].replace(" ", " 1 ", 1) for r in reversed(rules)]
                jumps.append("COMMIT")
            _exec(n.netns, ["iptables-restore", "--noflush"], input="\n".join(jumps) + "\n")
            _exec(n.netns, ["iptables-restore", "--noflush"], input=p.render("restore"))

    def _servers(self) -> None:
        started = []
        for pod in self.topology.pods:
            if not pod.ports:
                continue
            argv = ["ip", "netns", "exec", pod.netns, sys.executable, "-c", SERVER, pod.ref,
                    *(f"{port}/{proto}" for port, proto in pod.ports)]
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                    start_new_session=True, text=True)
            self.pids[pod.ref] = proc.pid
            started.append((pod, proc))
        for pod, proc in started:
            line = proc.stdout.readline()
            if line.strip() != "ready":
                err = proc.stderr.read() if proc.poll() is not None else ""
                raise KubelabError(f"lab: the server of {pod.ref} did not start: {err.strip().splitlines()[-1:]}")
            proc.stdout.close()
            proc.stderr.close()

    # ------------------------------------------------------------------ state
    def _save(self) -> None:
        state = {"topology": self.topology.to_dict(), "services": self.services, "pids": self.pids,
                 "timings": self.timings, "mode": self.mode}
        (self.state_dir / "state.json").write_text(json.dumps(state, indent=1))

    # ------------------------------------------------------------------ down
    def down(self) -> float:
        """Kill the pod servers, delete every namespace of this lab and its state; the seconds it took."""
        with self._locked():
            return self._down()

    def _down(self) -> float:
        t0 = time.perf_counter()
        for pid in self.pids.values():
            if _is_server(pid):
                _kill(pid)
        # only the planned names: another lab's could share a prefix (labs "a" and "a-b")
        names = set(self.topology.namespaces) & set(list_lab_namespaces())
        for name in names:
            _kill_netns_processes(name)
        for name in sorted(names, key=lambda n: (n == self.topology.fabric, n)):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        for ns in self._netns:
            ns.created = False
        self._netns.clear()
        self.pids.clear()
        _remove_state(self.state_dir)
        self.timings["down"] = time.perf_counter() - t0
        return self.timings["down"]

    # ------------------------------------------------------------------ using it
    def _where(self, src: str) -> str:
        t = self.topology
        if src in ("fabric", "outside", FABRIC_IP):
            return t.fabric
        for n in t.nodes:
            if src in (n.name, n.ip):
                return n.netns
        for p in t.pods:
            if src in (p.ref, p.ip) or (p.ref == f"default/{src}"):
                return p.netns
        raise KubelabError(f'--from "{src}": no pod, node or "fabric" of that name in lab "{self.name}"')

    def resolve(self, host: str) -> str:
        """A Service name (``name``, ``ns/name``, ``name.ns.svc…``) -> its ClusterIP; an IP as is."""
        if host.replace(".", "").isdigit():
            return host
        if "/" in host:
            key = host
        elif "." in host:
            parts = host.split(".")
            key = f"{parts[1]}/{parts[0]}"
        else:
            key = f"default/{host}"
        if key not in self.services:
            raise KubelabError(f'cannot resolve "{host}": no Service "{key}" in lab "{self.name}"')
        return self.services[key]

    def curl(self, src: str, host: str, port: int, proto: str = "TCP", count: int = 1,
             timeout: float = 1.0, source: bool = False) -> list[str]:
        """``count`` new connections from ``src`` (a pod, a node, or ``fabric``): what answered, or why not.

        Each answer is the pod's ``namespace/name``; with ``source=True``, followed by the client
        address as the pod saw it (after any SNAT/MASQUERADE).
        """
        ns = self._where(src)
        out = _exec(ns, [sys.executable, "-c", CLIENT, self.resolve(host), str(port), proto.upper(), str(count),
                         str(timeout)])
        lines = out.stdout.splitlines()
        if source:
            return lines
        return [line if line in OUTCOMES or line.startswith("error") else line.split()[0] for line in lines]

    def stop_server(self, pod: str, freeze: bool = False) -> None:
        """Make a pod's server not answer: killed (the kernel RSTs) or frozen with SIGSTOP (the client waits)."""
        ref = self.topology.pod(pod).ref
        pid = self.pids.get(ref)
        if pid is None or not _is_server(pid):
            raise KubelabError(f"{ref} has no running server")
        _kill(pid, signal.SIGSTOP if freeze else signal.SIGKILL)
        if not freeze:
            del self.pids[ref]

    def node_exec(self, node: str, argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
        return _exec(self.topology.node(node).netns, argv, check=check)

    def pod_exec(self, pod: str, argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
        return _exec(self.topology.pod(pod).netns, argv, check=check)

    def status(self) -> dict[str, Any]:
        existing = set(list_lab_namespaces())
        t = self.topology
        return {
            "lab": self.name,
            "mode": self.mode,
            "fabric": {"netns": t.fabric, "up": t.fabric in existing, "address": FABRIC_IP},
            "nodes": [{"name": n.name, "netns": n.netns, "ip": n.ip, "podCIDR": n.pod_cidr,
                       "up": n.netns in existing} for n in t.nodes],
            "pods": [{"pod": p.ref, "netns": p.netns, "node": p.node, "ip": p.ip,
                      "ports": [f"{port}/{proto}" for port, proto in p.ports],
                      "up": p.netns in existing,
                      "server": "running" if _is_server(self.pids.get(p.ref, -1)) else "none"} for p in t.pods],
            "services": self.services,
            "skipped": t.skipped,
        }


def _services(cluster: "Cluster | None") -> dict[str, str]:
    if cluster is None:
        return {}
    return {f"{s.namespace}/{s.name}": s.spec.cluster_ip for s in cluster.services(None)
            if s.spec.cluster_ip and s.spec.cluster_ip != "None"}


def _kill_netns_processes(name: str) -> None:
    if not name.startswith(NETNS_PREFIX):
        return
    out = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout
    for pid in out.split():
        if pid.isdigit() and int(pid) != os.getpid():
            _kill(int(pid))


def load_lab(name: str = "lab", state_root: Path | None = None) -> Lab:
    """The lab ``kubelab lab up`` left running, from its state file."""
    from .topology import check_lab_name

    path = Path(state_root or STATE_ROOT) / check_lab_name(name) / "state.json"
    try:
        state = json.loads(path.read_text())
    except OSError:
        raise KubelabError(f'no lab "{name}" is up (no {path}): start one with `kubelab lab up -f …`') from None
    lab = Lab(None, topology=Topology.from_dict(state["topology"]), services=state["services"],
              state_root=state_root, mode=state.get("mode", "iptables"))
    lab.pids = {k: int(v) for k, v in state["pids"].items()}
    lab.timings = state.get("timings", {})
    return lab


def _state_of(state_dir: Path) -> dict[str, Any] | None:
    """The lab state kubelab wrote in ``state_dir``, or None if that is not one (whatever else it holds)."""
    try:
        state = json.loads((state_dir / "state.json").read_text())
        if state["topology"]["lab"] == state_dir.name:
            Topology.from_dict(state["topology"])
            return state
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def clean(lab: str | None = None, state_root: Path | None = None) -> list[str]:
    """``mn -c`` for kubelab's own labs: the namespaces removed.

    For each lab whose state file is under ``state_root`` (only ``lab``, if
    given): kill its pod servers and whatever else runs in its namespaces,
    delete the namespaces its state lists (those that exist), and remove the
    state kubelab wrote.  A ``kl-`` namespace no state lists is someone else's
    and is left alone; so is every file kubelab did not write.
    """
    root = Path(state_root or STATE_ROOT)
    if lab is not None:
        dirs = [root / lab]
    else:
        try:
            dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink())
        except OSError:
            dirs = []
    removed: list[str] = []
    for state_dir in dirs:
        state = _state_of(state_dir)
        if state is None:
            continue
        try:
            with lab_lock(state_dir.name, root):
                removed += _clean_one(state_dir, state)
        except KubelabError:
            if lab is not None:
                raise
    return removed


def _clean_one(state_dir: Path, state: dict[str, Any]) -> list[str]:
    topology = Topology.from_dict(state["topology"])
    for pid in (state.get("pids") or {}).values():
        with contextlib.suppress(TypeError, ValueError):
            if _is_server(int(pid)):
                _kill(int(pid))
    existing = set(list_lab_namespaces())
    names = [ns for ns in topology.namespaces if ns in existing and ns.startswith(NETNS_PREFIX)]
    for ns in names:
        _kill_netns_processes(ns)
    for ns in sorted(names, key=lambda n: (n == topology.fabric, n)):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    _remove_state(state_dir)
    return names
