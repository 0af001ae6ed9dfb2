"""The grading sandbox: the learner's notebook runs in a bubblewrap jail.

Autograding (nbgrader's ``autograde``, through :class:`kubelab.grading.execute.SandboxedExecute`)
and ``kubelab check`` start the learner's kernel, and the clean checker next to
it, inside ``bwrap`` (bubblewrap, Debian package ``bubblewrap``) with:

- every namespace new (``--unshare-all``): no network but a loopback of its
  own, its own PIDs, IPC and hostname; the user namespace maps the invoking
  user to ``nobody`` (65534) with every capability dropped;
- a file system made only of read-only binds: ``/usr`` (and the merged-``/usr``
  links), a handful of ``/etc`` files (no ``shadow``), the Python
  installation (base and venv), the installed packages and the folder of the
  ``kubelab`` package itself -- not the checkout around it, so ``solutions/``,
  ``gradebook.db``, ``submitted/`` and the instructor's home are not there;
- one writable folder, the submission's own (the kernel's working directory),
  a private ``/tmp`` and ``HOME`` on tmpfs, and the folder holding the
  kernel's connection file and its ``ipc`` sockets (the kernel talks to the
  grader over Unix sockets: with no shared network, ZeroMQ's TCP transport
  cannot reach it);
- a clean environment (``--clearenv``): the grader's variables (tokens,
  ``JUPYTERHUB_API_TOKEN``) do not reach the learner's code.

Why bubblewrap and not a dedicated user: it needs no set-up by an
administrator (no ``useradd``, no ``chown`` of every submission), works the
same for an instructor grading as root and for a learner running
``kubelab check`` as themselves, and hides what the course root holds
instead of only denying it.  What it does not do: limit CPU time or memory
(the kernel's timeout in nbgrader's ``Execute.timeout`` still applies), or
protect files that the binds expose: inside, the learner's code runs with the
invoking user's rights on what is bound (read-only binds stay read-only).
``docs/grading-sandbox.md`` says what an instructor may rely on.

Upstream: ``bwrap(1)`` (bubblewrap 0.8, Debian 12); jupyter_client 8's
``KernelManager`` (``transport``, ``format_kernel_cmd``).

Examples
--------
>>> cmd = bwrap_command(["python3", "-c", "pass"], workdir="/tmp/sub", extra_ro=[])
>>> cmd[0], "--unshare-all" in cmd, cmd[-3:]
('bwrap', True, ['python3', '-c', 'pass'])
"""

from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from jupyter_client.manager import AsyncKernelManager

__all__ = ["available", "bwrap_command", "readonly_paths", "SandboxKernelManager", "SandboxUnavailable",
           "SANDBOX_UID", "ETC_FILES"]

#: The user (and group) the learner's code runs as inside the sandbox.
SANDBOX_UID = 65534
#: The files of /etc the kernel needs (names, locale, time zone, the dynamic loader's cache); nothing secret.
ETC_FILES = ("passwd", "group", "nsswitch.conf", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime",
             "mime.types", "hosts", "alternatives")
_ENV_KEEP = ("LANG", "LC_ALL", "TZ", "NBGRADER_EXECUTION", "NBGRADER_VALIDATING", "PYTHONHASHSEED")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


@functools.lru_cache(maxsize=1)
def available() -> bool:
    """True when ``bwrap`` is installed and can create its namespaces here (tried once per process)."""
    if shutil.which("bwrap") is None:
        return False
    probe = ["bwrap", "--unshare-all", "--die-with-parent", "--cap-drop", "ALL", "--uid", str(SANDBOX_UID),
             "--gid", str(SANDBOX_UID), *_system_binds(), "--proc", "/proc", "--dev", "/dev", "--", "/bin/true"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def readonly_paths() -> list[str]:
    """The folders bound read-only: the interpreter, its packages and the kubelab package, deduplicated."""
    import kubelab

    candidates = [sys.base_prefix, sys.prefix, sys.exec_prefix, *site.getsitepackages(),
                  sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
                  str(Path(kubelab.__file__).resolve().parent),
                  str(Path(sys.executable).resolve().parent)]
    out: list[str] = []
    for path in candidates:
        real = os.path.realpath(path)
        if os.path.isdir(real) and real not in out and not real.startswith("/usr/"):
            out.append(real)
        if path != real and os.path.isdir(path) and path not in out and not path.startswith("/usr/"):
            out.append(path)
    return sorted(out, key=len)


def _system_binds() -> list[str]:
    args: list[str] = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ETC_FILES:
        path = Path("/etc") / name
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def bwrap_command(argv: Sequence[str], *, workdir: str | os.PathLike, extra_ro: Iterable[str] | None = None,
                  extra_rw: Iterable[str] = (), env: Mapping[str, str] | None = None) -> list[str]:
    """``argv`` wrapped in ``bwrap``: run in ``workdir`` (writable), see only the read-only binds.

    ``extra_ro`` defaults to :func:`readonly_paths`; ``extra_rw`` are more
    writable folders (the kernel's connection folder).  ``env`` is the whole
    environment inside (plus ``HOME``, ``PATH``, ``TMPDIR``).
    """
    workdir = os.path.realpath(workdir)
    ro = list(readonly_paths() if extra_ro is None else extra_ro)
    cmd = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
           "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "kubelab-sandbox",
           *_system_binds(), "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for path in ro:
        cmd += ["--ro-bind", path, path]
    for path in [workdir, *extra_rw]:
        cmd += ["--bind", os.path.realpath(path), os.path.realpath(path)]
    bindir = str(Path(sys.executable).parent)
    inside = {"HOME": "/tmp/home", "TMPDIR": "/tmp", "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin",
              "LANG": "C.UTF-8", **(env or {})}
    cmd += ["--remount-ro", "/", "--clearenv"]  # the skeleton bwrap built stays as it is; /tmp stays writable
    for key, value in sorted(inside.items()):
        cmd += ["--setenv", key, value]
    cmd += ["--dir", "/tmp/home", "--chdir", workdir, "--", *argv]
    return cmd


def sandbox_env(source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables that cross into the sandbox: locale, time zone, nbgrader's markers; nothing else."""
    source = os.environ if source is None else source
    return {k: source[k] for k in _ENV_KEEP if k in source}


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in :func:`bwrap_command`, talking over ``ipc`` sockets.

    The connection file and the sockets live in ``runtime_dir`` (bound
    writable into the sandbox at the same path); the kernel's working
    directory is the submission's folder (the ``cwd`` nbclient passes).
    """

    def __init__(self, *args, runtime_dir: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._own_runtime = runtime_dir is None
        self.runtime_dir = runtime_dir or ""
        self.transport = "ipc"
        self._cwd = os.getcwd()

    async def _async_pre_start_kernel(self, **kw):  # type: ignore[override]
        import tempfile

        if not self.runtime_dir:  # made when a kernel starts, removed when it is cleaned up
            self.runtime_dir = tempfile.mkdtemp(prefix="kl-sbx-")
        self.ip = os.path.join(self.runtime_dir, "kernel")
        self.connection_file = os.path.join(self.runtime_dir, "kernel.json")
        self._cwd = kw.get("cwd") or os.getcwd()
        kw.setdefault("stdout", subprocess.DEVNULL)  # ipykernel's banner about Ctrl-C is not for the grader
        if self.kernel_spec is not None:
            # bwrap does not pass SIGINT on to the kernel: interrupt with an interrupt_request message instead.
            self.kernel_spec.interrupt_mode = "message"
        if not available():
            raise SandboxUnavailable("bwrap (Debian package bubblewrap) is not installed: the learner's notebook "
                                     "is only run inside its sandbox")
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        if cmd and os.path.basename(cmd[0]).startswith("python"):
            cmd[0] = sys.executable  # the interpreter whose packages are bound, whatever the kernelspec says
        return bwrap_command(cmd, workdir=self._cwd, extra_rw=[self.runtime_dir], env=sandbox_env())

    async def _async_cleanup_resources(self, restart: bool = False) -> None:  # type: ignore[override]
        await super()._async_cleanup_resources(restart=restart)
        if self._own_runtime and not restart and self.runtime_dir:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
            self.runtime_dir = ""
