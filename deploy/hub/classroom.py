#!/usr/bin/env python3
"""Set up, run and tear down a kubelab class on this machine's JupyterHub.

    python deploy/hub/classroom.py run [--port 8000] [--students 3] [--keep]   # what `make hub` runs
    python deploy/hub/classroom.py setup --roster ROSTER.yaml [--exchange DIR]
    python deploy/hub/classroom.py teardown

``setup`` (as root) creates the roster's accounts that do not exist yet (homes 0700:
useradd's default 0755 would let students read the grader's gradebook and solutions),
copies the course (the repository's ``solutions/`` and ``nbgrader_config.py``) into the
grader's home, lays out the exchange so each student may write only to
``inbound/<student>/`` (kubelab.hub.exchange), and installs the Jupyter configuration
from etc/learner/ and deploy/hub/jupyter/ (policy.jupyter_files) where every user can read it.  It records what it created in
``<state>/class.json``; ``teardown`` removes exactly that and nothing else.

``run`` writes a roster of throw-away accounts (``<prefix>-teacher``, ``<prefix>-grader``,
``<prefix>-student1``…) with one shared password, sets up, starts JupyterHub on
127.0.0.1, prints the URL and the accounts, and on Ctrl-C stops the formgrader service
first (the hub would otherwise wait ~30 s for it), then the hub, then tears down.

With ``KUBELAB_HUB_SHARED_UID=1`` no accounts are made: every server runs as the OS user
running the hub (``jovyan`` in Zero-to-JupyterHub), in its own folder under the state dir.
"""
from __future__ import annotations

import argparse
import grp
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
import policy  # noqa: E402  (deploy/hub is not a package: the hub's config imports it the same way)

HOME = Path(os.environ.get("KUBELAB_HUB_HOME", "/opt/kubelab-hub"))
# With KUBELAB_HUB_SHARED_UID=1 and root, the hub and every server run as this one account.
SHARED_USER = os.environ.get("KUBELAB_HUB_OS_USER", "jovyan")


def shared_uid() -> bool:
    """Every server as one OS user (as Zero-to-JupyterHub's pods), not one account per person."""
    return os.environ.get("KUBELAB_HUB_SHARED_UID") == "1"


def home_of(name: str) -> Path:
    """A person's home: their account's, or in the shared-uid mode their folder under the state dir."""
    return state_dir() / "homes" / name if shared_uid() else Path(pwd.getpwnam(name).pw_dir)


def state_dir() -> Path:
    return Path(os.environ.get("KUBELAB_HUB_STATE", str(HOME / "state")))


def load_roster(path: Path) -> dict:
    import yaml
    roster = yaml.safe_load(path.read_text())
    for key in ("course", "grader"):
        if not isinstance(roster.get(key), str) or not roster[key]:
            raise SystemExit(f"error: {path}: roster.{key}: a name is required")
    for key in ("instructors", "graders", "students"):
        roster[key] = list(roster.get(key) or [])
    return roster


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def _install_config() -> None:
    """The servers' Jupyter files (policy.jupyter_files) -> HOME/etc/jupyter/, world-readable."""
    dest = HOME / "etc" / "jupyter"
    # Over what is there, never removed first: another class's servers may be reading it.
    files = {**policy.jupyter_files("student"), **policy.jupyter_files("grader")}
    for rel, src in files.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest / rel)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)


def setup(roster_path: Path, exchange: Path) -> dict:
    roster = load_roster(roster_path)
    shared = shared_uid()
    state = state_dir()
    state.mkdir(parents=True, exist_ok=True)
    record = {"users": [], "exchange": None, "homes": [], "roster": str(roster_path)}
    (HOME / "etc").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(roster_path, HOME / "etc" / "roster.yaml")
    (HOME / "etc" / "roster.yaml").chmod(0o644)
    _install_config()
    people = [roster["grader"], *roster["instructors"], *roster["graders"], *roster["students"]]
    if shared:
        if os.geteuid() == 0:  # the hub will run as SHARED_USER: make it if it is missing
            try:
                pwd.getpwnam(SHARED_USER)
            except KeyError:
                _run("useradd", "--create-home", "--shell", "/bin/bash", SHARED_USER)
                record["users"].append(SHARED_USER)
        for name in people:
            home = state / "homes" / name
            home.mkdir(parents=True, exist_ok=True)
            record["homes"].append(str(home))
        grader_home = state / "homes" / roster["grader"]
        account = pwd.getpwnam(SHARED_USER) if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        uid, gid = account.pw_uid, account.pw_gid
    else:
        for name in people:
            try:
                pwd.getpwnam(name)
            except KeyError:
                _run("useradd", "--create-home", "--shell", "/bin/bash", name)
                record["users"].append(name)
            Path(pwd.getpwnam(name).pw_dir).chmod(0o700)
        grader_home = Path(pwd.getpwnam(roster["grader"]).pw_dir)
        uid, gid = pwd.getpwnam(roster["grader"]).pw_uid, pwd.getpwnam(roster["grader"]).pw_gid
    # The course folder: the instructor's sources and the course's nbgrader configuration.
    course = grader_home / roster["course"]
    course.mkdir(parents=True, exist_ok=True)
    for name in ("solutions", "nbgrader_config.py"):
        src, dst = REPO / name, course / name
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        else:
            shutil.copyfile(src, dst)
    # The exchange: only the grader writes the course folder; each student one inbox.
    created_exchange = not exchange.exists()
    exchange.mkdir(parents=True, exist_ok=True)
    exchange.chmod(0o755)
    course_x = exchange / roster["course"]
    inbound = course_x / "inbound"
    for d in (course_x, course_x / "outbound", inbound):
        d.mkdir(exist_ok=True)
        d.chmod(0o755)
    inbound.chmod(0o711)  # enter, not list: a student finds only their own inbox
    for name in roster["students"]:
        box = inbound / name
        box.mkdir(exist_ok=True)
        os.chown(box, uid if shared else pwd.getpwnam(name).pw_uid, gid)
        box.chmod(0o2770)
    owned = [course_x, course_x / "outbound", inbound, course, *course.rglob("*"), grader_home]
    if shared:  # the hub's database and every home under the state dir are the shared account's
        owned += [state, *state.rglob("*")]
    for p in owned:
        os.chown(p, uid, gid)
    record["exchange"] = str(exchange if created_exchange else course_x)
    (state / "class.json").write_text(json.dumps(record, indent=1))
    return roster


def teardown() -> None:
    path = state_dir() / "class.json"
    if not path.exists():
        return
    record = json.loads(path.read_text())
    for name in record["users"]:
        subprocess.run(["pkill", "-KILL", "-u", name], check=False)
        subprocess.run(["userdel", "--remove", name], check=False, stderr=subprocess.DEVNULL)
        try:
            grp.getgrnam(name)
            subprocess.run(["groupdel", name], check=False, stderr=subprocess.DEVNULL)
        except KeyError:
            pass
    for home in record["homes"]:
        shutil.rmtree(home, ignore_errors=True)
    if record["exchange"]:
        shutil.rmtree(record["exchange"], ignore_errors=True)
    path.unlink()


def service_pids(hub_pid: int) -> list[int]:
    """The hub's single-user servers and the formgrader service: its jupyterhub-singleuser descendants."""
    table = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,args="], capture_output=True, text=True).stdout
    children: dict[int, list[tuple[int, str]]] = {}
    for line in table.splitlines():
        pid, ppid, args = line.split(None, 2) if len(line.split(None, 2)) == 3 else (*line.split(), "")
        children.setdefault(int(ppid), []).append((int(pid), args))
    found, todo = [], [hub_pid]
    while todo:
        for pid, args in children.get(todo.pop(), []):
            todo.append(pid)
            if "jupyterhub-singleuser" in args:
                found.append(pid)
    return found


def stop(hub: subprocess.Popen, port: int) -> None:
    """The formgrader service first (the hub waits ~30 s for a managed service), then the hub."""
    for pid in service_pids(hub.pid):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    hub.send_signal(signal.SIGTERM)
    try:
        hub.wait(timeout=20)
    except subprocess.TimeoutExpired:
        hub.kill()
        hub.wait()


def hub_env(roster: Path, port: int, exchange: Path, password: str | None) -> dict[str, str]:
    env = dict(os.environ, KUBELAB_HUB_HOME=str(HOME), KUBELAB_HUB_STATE=str(state_dir()),
               KUBELAB_HUB_ROSTER=str(roster), KUBELAB_HUB_PORT=str(port),
               KUBELAB_EXCHANGE_ROOT=str(exchange))
    if password:
        env.update(KUBELAB_HUB_AUTH="shared-password", KUBELAB_HUB_PASSWORD=password)
    return env


def start(env: dict[str, str], log: Path) -> subprocess.Popen:
    state = Path(env["KUBELAB_HUB_STATE"])
    cmd = [str(HOME / "venv" / "bin" / "jupyterhub"), "-f", str(HERE / "jupyterhub_config.py")]
    if env.get("KUBELAB_HUB_SHARED_UID") == "1" and os.geteuid() == 0:
        cmd = ["runuser", "-u", SHARED_USER, "--", *cmd]
    return subprocess.Popen(cmd,
                            cwd=state, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_up(port: int, hub: subprocess.Popen, timeout: float = 60) -> float:
    import urllib.request
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if hub.poll() is not None:
            raise SystemExit("error: jupyterhub exited; see its log")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/hub/api", timeout=2)
            return time.monotonic() - t0
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"error: jupyterhub did not answer on 127.0.0.1:{port} in {timeout:.0f} s")


def cmd_run(args: argparse.Namespace) -> int:
    state = state_dir()
    state.mkdir(parents=True, exist_ok=True)
    prefix = args.prefix
    roster = {"course": "kubelab", "grader": f"{prefix}-grader", "instructors": [f"{prefix}-teacher"],
              "graders": [], "students": [f"{prefix}-student{i}" for i in range(1, args.students + 1)]}
    roster_path = state / "roster.yaml"
    import yaml
    roster_path.write_text(yaml.safe_dump(roster, sort_keys=False))
    password = secrets.token_urlsafe(9)
    exchange = Path(args.exchange)
    (state / "jupyterhub.sqlite").unlink(missing_ok=True)
    setup(roster_path, exchange)
    env = hub_env(roster_path, args.port, exchange, password)
    hub = start(env, state / "jupyterhub.log")
    try:
        took = wait_up(args.port, hub)
        print(f"JupyterHub for the kubelab class is up in {took:.1f} s: http://127.0.0.1:{args.port}/")
        print(f"  password for every account: {password}")
        print(f"  instructor: {roster['instructors'][0]}  (formgrader: "
              f"http://127.0.0.1:{args.port}/services/formgrader-kubelab/formgrader — opens in its own tab)")
        print(f"  students:   {', '.join(roster['students'])}")
        print(f"  log: {state / 'jupyterhub.log'}    Ctrl-C stops the hub"
              + ("" if args.keep else " and removes these accounts"))
        sys.stdout.flush()
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
        hub.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop(hub, args.port)
        if not args.keep:
            teardown()
        print("stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="classroom.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="set up a throw-away class and run the hub until Ctrl-C")
    r.add_argument("--port", type=int, default=8000)
    r.add_argument("--students", type=int, default=3)
    r.add_argument("--prefix", default="klclass")
    r.add_argument("--exchange", default="/srv/nbgrader/exchange")
    r.add_argument("--keep", action="store_true", help="keep the accounts and the exchange afterwards")
    s = sub.add_parser("setup", help="accounts, course folder, exchange and configuration for a roster")
    s.add_argument("--roster", type=Path, required=True)
    s.add_argument("--exchange", type=Path, default=Path("/srv/nbgrader/exchange"))
    sub.add_parser("teardown", help="remove what setup created (and nothing else)")
    args = p.parse_args(argv)
    if os.geteuid() != 0 and not shared_uid():
        print("error: a class with real accounts needs root (or KUBELAB_HUB_SHARED_UID=1)", file=sys.stderr)
        return 2
    if args.cmd == "run":
        return cmd_run(args)
    if args.cmd == "setup":
        setup(args.roster, args.exchange)
        return 0
    teardown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
