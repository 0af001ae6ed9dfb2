"""A real ``jupyter lab`` server for the browser tests, and the few JupyterLab moves they share.

:func:`start_lab` starts ``.venv/bin/jupyter lab`` (the running interpreter's
``bin/``) on a free loopback port with a random token, in a folder the test
chose (a temporary copy: the repository's files are never served, so autosave
cannot touch them).  Everything Jupyter would write under ``~`` goes to a
temporary home instead: config, data, runtime, workspaces, user settings and
IPython's profile.  JupyterLab's news and update check are off twice over: the
user settings hold ``fetchNews: "false"``/``checkForUpdates: false`` (what the
Makefile's ``overrides.json`` says), and the server is told not to look
(``news_url=None``, ``NeverCheckForUpdate``), so nothing asks the internet.

It returns at once, so a test can launch Chromium or autograde while the server
boots; ``server.wait_ready()`` polls ``/api/status``.  ``server.stop()``, called
from a ``finally`` so it runs when a test fails too, sends SIGTERM (on which
jupyter_server shuts its kernels down), SIGKILL if it does not exit, and kills
by pid any process the server started that is still alive after that.

The page helpers drive JupyterLab as a learner does (menus, clicks, keys); the
waits are explicit and short, and fail with what was on the page.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LabServer", "start_lab", "login", "current_panel", "open_notebook", "wait_idle",
           "code_cells", "prompt_number", "cell_errors", "run_cell", "set_cell_text", "save_notebook", "WAIT_MS"]

BIN = Path(sys.executable).parent
#: The longest single wait, in milliseconds: a hang fails with a message instead of eating CI's budget.
WAIT_MS = 60_000
# What the Makefile writes to the venv's overrides.json, here as the temporary user's own settings.
NOTIFICATION_SETTINGS = {"fetchNews": "false", "checkForUpdates": False}


@dataclass
class LabServer:
    url: str          # http://127.0.0.1:PORT, no trailing slash
    token: str
    root: Path        # the folder served (root_dir)
    home: Path        # the temporary home with Jupyter's own folders
    process: subprocess.Popen
    log: Path

    def api(self, method: str, path: str, timeout: float = 10) -> object:
        """Call the REST API with the token; the decoded JSON (or None for an empty answer)."""
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def wait_ready(self, timeout: float = WAIT_MS / 1000) -> None:
        """Wait until /api/status answers; fail with the server's log if it exits or takes too long."""
        _wait_ready(self, timeout)

    def stop(self) -> None:
        """SIGTERM (jupyter_server then shuts its kernels down), SIGKILL if needed, leftovers killed by pid."""
        _stop(self)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(home: Path) -> dict[str, str]:
    dirs = {
        "HOME": home,
        "JUPYTER_CONFIG_DIR": home / ".jupyter",
        "JUPYTER_DATA_DIR": home / ".local/share/jupyter",
        "JUPYTER_RUNTIME_DIR": home / ".local/share/jupyter/runtime",
        "JUPYTERLAB_WORKSPACES_DIR": home / ".jupyter/lab/workspaces",
        "JUPYTERLAB_SETTINGS_DIR": home / ".jupyter/lab/user-settings",
        "IPYTHONDIR": home / ".ipython",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_DATA_HOME": home / ".local/share",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    settings = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab/apputils-extension/notification.jupyterlab-settings"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps(NOTIFICATION_SETTINGS))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "IPYTHON", "NBGRADER_EXECUTION", "XDG_"))}
    env.update({k: str(v) for k, v in dirs.items()})
    # nbgrader runs `alembic` from PATH when it opens a new gradebook; the kernels must be this venv's.
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _wait_ready(server: LabServer, timeout: float = WAIT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            status = server.api("GET", "/api/status", timeout=2)
            if isinstance(status, dict) and "started" in status:
                return
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = str(exc)
        time.sleep(0.2)
    raise TimeoutError(f"jupyter lab not ready after {timeout:.0f} s ({last}):\n{server.log_tail()}")


def _descendants(pid: int) -> list:
    """The processes ``pid`` started (kernels), as psutil handles that notice if a pid was reused."""
    try:
        import psutil

        return psutil.Process(pid).children(recursive=True)
    except Exception:  # noqa: BLE001 - psutil missing or the process gone: nothing more to find
        return []


def _stop(server: LabServer) -> None:
    proc = server.process
    children = _descendants(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # jupyter_server shuts its kernels down on SIGTERM
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    for child in children:  # kernels run in sessions of their own: by pid, only the ones this server started
        with contextlib.suppress(Exception):
            if child.is_running():
                child.kill()


def start_lab(root: Path, home: Path) -> LabServer:
    """Start ``jupyter lab`` serving ``root`` (its cwd too, so nbgrader finds ``nbgrader_config.py`` there).

    Returns at once: call ``server.wait_ready()`` before using it (meanwhile the test can do other work,
    such as launching Chromium or autograding) and ``server.stop()`` in a ``finally``.
    """
    port, token = _free_port(), secrets.token_hex(24)
    home.mkdir(parents=True, exist_ok=True)
    log = home / "jupyter-lab.log"
    cmd = [str(BIN / "jupyter"), "lab", "--no-browser",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")  # jupyter refuses to run as root otherwise
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=_environment(home), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    return LabServer(f"http://127.0.0.1:{port}", token, root, home, proc, log)


# ------------------------------------------------------------------------------------------- the page
def login(page, server: LabServer, next_path: str = "/api/status") -> None:
    """Log in through /login with the token, as a person pasting it would (``?token=`` is not enough for
    the formgrader's API calls, ENVIRONMENT.md), then land on ``next_path``.

    The default landing page is a small JSON answer rather than JupyterLab, which would otherwise load
    once for nothing before the test goes where it means to.
    """
    page.goto(f"{server.url}/login?next={urllib.parse.quote(next_path, safe='/')}", timeout=WAIT_MS)
    page.fill("input[name='password']", server.token, timeout=WAIT_MS)
    with page.expect_navigation(url=f"{server.url}{next_path}", timeout=WAIT_MS):
        page.click("#login_submit, button[type='submit'], input[type='submit']", timeout=WAIT_MS)
    cookies = [c["name"] for c in page.context.cookies(server.url)]
    assert any(name.startswith("username-") for name in cookies), f"no login cookie after /login: {cookies}"


def current_panel(page):
    """The notebook panel in front."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first


def wait_idle(page, timeout: int = WAIT_MS) -> None:
    """Wait until the front notebook's kernel says idle (JupyterLab's execution indicator)."""
    current_panel(page).locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=timeout)


def open_notebook(page, server: LabServer, relpath: str) -> None:
    """Open ``relpath`` and wait until all its cells are there and its kernel is idle.

    The first time, the page goes to ``/lab/tree/<relpath>`` (a fresh workspace); later notebooks are
    opened inside the running JupyterLab with *File > Open from Path…*, as a learner would, which spares
    reloading the whole application.
    """
    import nbformat

    expected = len(nbformat.read(server.root / relpath, as_version=4).cells)
    if "/lab" not in page.url:
        page.goto(f"{server.url}/lab/tree/{relpath}?reset", timeout=WAIT_MS)
    else:
        page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile(r"^File$")).click()
        page.locator(".lm-Menu-content .lm-Menu-itemLabel", has_text=re.compile(r"^Open from Path")).click()
        page.locator(".jp-Dialog input").fill(relpath)
        page.locator(".jp-Dialog .jp-mod-accept").click()
    name = relpath.rsplit("/", 1)[-1]
    page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel",
                 has_text=name).wait_for(timeout=WAIT_MS)
    page.wait_for_function(
        """n => {
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            return panel !== null && panel.querySelectorAll('.jp-Notebook .jp-Cell').length === n;
        }""", arg=expected, timeout=WAIT_MS)
    wait_idle(page)


def code_cells(page):
    return current_panel(page).locator(".jp-CodeCell")


def prompt_number(cell) -> int | None:
    """The execution count shown beside a code cell, None for ``[ ]`` or ``[*]``."""
    # textContent, not innerText: cells scrolled out of view are skipped by the browser (content-visibility).
    text = cell.locator(".jp-InputArea-prompt").first.text_content(timeout=WAIT_MS) or ""
    match = re.search(r"\[(\d+)\]", text)
    return int(match.group(1)) if match else None


def cell_errors(cell) -> list[str]:
    """The texts of a cell's error outputs (a traceback, as a learner sees it)."""
    texts = cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_text_contents()
    return [t for t in texts if "Traceback" in t or re.search(r"^\w*(Error|Exception|WrongAnswer)\b", t, re.M)]


def run_cell(page, cell, timeout: int = WAIT_MS) -> int:
    """Select ``cell``, press Shift+Enter, and wait until it has a new execution count and the kernel is idle."""
    before = prompt_number(cell)
    cell.locator(".jp-InputArea-editor").first.click(timeout=timeout)
    page.keyboard.press("Shift+Enter")
    deadline = time.monotonic() + timeout / 1000
    resend = time.monotonic() + RESEND_S
    while time.monotonic() < deadline:
        now = prompt_number(cell)
        if now is not None and now != before:
            wait_idle(page, timeout)
            return now
        if now == before and time.monotonic() > resend and "*" not in _prompt_text(cell):
            # Neither queued ([*]) nor run: the request was lost while the kernel's websocket was still
            # settling (seen under load on a fresh kernel). Press again, as a learner would -- once.
            cell.locator(".jp-InputArea-editor").first.click(timeout=timeout)
            page.keyboard.press("Shift+Enter")
            resend = deadline
        page.wait_for_timeout(100)
    raise TimeoutError(f"the cell did not finish running in {timeout / 1000:.0f} s (prompt {prompt_number(cell)})")


#: Seconds after which run_cell presses Shift+Enter again when the cell is neither queued nor run.
RESEND_S = 20


def _prompt_text(cell) -> str:
    return cell.locator(".jp-InputArea-prompt").first.text_content(timeout=WAIT_MS) or ""


def set_cell_text(page, cell, text: str) -> None:
    """Replace the text of a code cell's editor: click it, select all, paste ``text``."""
    editor = cell.locator(".jp-InputArea-editor .cm-content").first
    editor.click(timeout=WAIT_MS)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    # insert_text is a paste: no auto-indent or bracket closing gets in the way of the exact answer.
    page.keyboard.insert_text(text)
    want = text.strip()
    deadline = time.monotonic() + WAIT_MS / 1000
    shown = ""
    while time.monotonic() < deadline:
        shown = editor.inner_text().replace("\u00a0", " ").strip()
        if shown == want:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the cell's editor shows {shown!r}, not {want!r}")


def save_notebook(page, server: LabServer, relpath: str):
    """Press Ctrl+S and return the notebook as saved in the served folder (outputs included).

    The saved file is the model JupyterLab holds after every message has been handled, so it is a check
    free of the timing of the page: an error output that reached the notebook is in it.
    """
    import nbformat

    path = server.root / relpath
    before = path.stat().st_mtime_ns
    page.keyboard.press("ControlOrMeta+s")
    deadline = time.monotonic() + WAIT_MS / 1000
    while path.stat().st_mtime_ns == before:
        if time.monotonic() > deadline:
            raise TimeoutError(f"Ctrl+S did not save {relpath} in {WAIT_MS // 1000} s")
        page.wait_for_timeout(100)
    return nbformat.read(path, as_version=4)
