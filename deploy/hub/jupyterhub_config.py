"""JupyterHub configuration for a kubelab class on one server.

Used unchanged by ``make hub`` and by the class test (tests/hub/); the Kubernetes
deployment (deploy/k8s/values.yaml) embeds the same Jupyter and nbgrader files and
the same roles.  Everything specific to a run comes from the environment:

``KUBELAB_HUB_HOME``      the hub's install: ``venv/`` (JupyterHub, JupyterLab, nbgrader, kubelab;
                          readable by every user), ``node_modules/`` (configurable-http-proxy),
                          ``etc/`` (the roster and Jupyter configuration written by setup_class.py)
``KUBELAB_HUB_STATE``     the hub's database, cookie secret and the proxy's pid (default HOME/state)
``KUBELAB_HUB_ROSTER``    the class (see roster.example.yaml; default HOME/etc/roster.yaml)
``KUBELAB_HUB_PORT``      the public port on 127.0.0.1 (default 8000); the hub API, the proxy API
                          and the formgrader service take the next three ports
``KUBELAB_HUB_AUTH``      ``pam`` (default: the machine's accounts) or ``shared-password``
                          (one password from ``KUBELAB_HUB_PASSWORD``, for a workshop or a test)
``KUBELAB_HUB_SHARED_UID`` ``1``: every server runs as the hub's own OS user (``jovyan``), as in
                          Zero-to-JupyterHub pods; nbgrader then tells students apart by
                          ``JUPYTERHUB_USER``
``KUBELAB_EXCHANGE_ROOT`` nbgrader's exchange (default /srv/nbgrader/exchange)

Least privilege, as JupyterHub 6's RBAC allows it: nobody is a hub admin; the
``instructors`` and ``graders`` groups may reach the formgrader service and nothing
else of anybody's; a student's servers get a token limited to posting activity and
reaching their own server (``Spawner.server_token_scopes``), never ``inherit``.

Upstream: JupyterHub 6.1 ``jupyterhub/app.py`` (``load_groups``, ``load_roles``, ``services``),
``jupyterhub/spawner.py``, ``jupyterhub/authenticators/shared.py``; nbgrader 0.9 docs,
"Using nbgrader with JupyterHub" (a shared grader account running the formgrader as a service).
"""
import os
import pwd
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import policy  # deploy/hub/policy.py: the groups, roles and scopes, shared with deploy/k8s

c = get_config()  # noqa: F821 - injected by traitlets

HOME = Path(os.environ.get("KUBELAB_HUB_HOME", "/opt/kubelab-hub"))
STATE = Path(os.environ.get("KUBELAB_HUB_STATE", str(HOME / "state")))
ROSTER = yaml.safe_load(Path(os.environ.get("KUBELAB_HUB_ROSTER", str(HOME / "etc" / "roster.yaml"))).read_text())
PORT = int(os.environ.get("KUBELAB_HUB_PORT", "8000"))
SHARED_UID = os.environ.get("KUBELAB_HUB_SHARED_UID") == "1"
EXCHANGE = os.environ.get("KUBELAB_EXCHANGE_ROOT", "/srv/nbgrader/exchange")
BIN = HOME / "venv" / "bin"
# The venv first (nbgrader runs `alembic` from PATH), and no directory of the hub's own
# account: root's PATH may name folders other users cannot enter (pyenv under /root).
PATH = os.pathsep.join([str(BIN), "/usr/local/bin", "/usr/bin", "/bin"])
CONFIG = HOME / "etc" / "jupyter"

COURSE = ROSTER["course"]
GRADER = ROSTER["grader"]
SERVICE = policy.service_name(COURSE)

# --- where it listens: loopback only; put TLS and a public address in front (docs/instructors.md)
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = PORT
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = PORT + 1
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 2}"
c.ConfigurableHTTPProxy.command = [str(HOME / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")

# --- who may log in
c.Authenticator.allowed_users = policy.everyone(ROSTER)
c.Authenticator.admin_users = set()
if os.environ.get("KUBELAB_HUB_AUTH", "pam") == "shared-password":
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = os.environ["KUBELAB_HUB_PASSWORD"]

c.JupyterHub.load_groups = policy.groups(ROSTER)
c.JupyterHub.load_roles = policy.roles(ROSTER)

# --- the students' (and instructors') own servers
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
c.Spawner.server_token_scopes = policy.SERVER_TOKEN_SCOPES
c.Spawner.environment = {
    "PATH": PATH,
    "JUPYTER_CONFIG_PATH": os.pathsep.join([str(CONFIG / "student"), str(CONFIG / "common")]),
    "KUBELAB_EXCHANGE_ROOT": EXCHANGE,
    "KUBELAB_COURSE_ID": COURSE,
}
if SHARED_UID:
    # Every server as this OS user, each in its own home, as Zero-to-JupyterHub's pods (uid 1000).
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "homes" / "{username}")
    GRADER_HOME = STATE / "homes" / GRADER
else:
    GRADER_HOME = Path(pwd.getpwnam(GRADER).pw_dir)

# --- the formgrader: a hub-managed service in the grader's account, in the course folder
COURSE_DIR = GRADER_HOME / COURSE
service = {
    "name": SERVICE,
    "url": f"http://127.0.0.1:{PORT + 3}",
    "command": [str(BIN / "jupyterhub-singleuser"), f"--ServerApp.root_dir={COURSE_DIR}"],
    "cwd": str(COURSE_DIR),
    "oauth_no_confirm": True,
    "environment": {
        "JUPYTER_CONFIG_PATH": os.pathsep.join([str(CONFIG / "grader"), str(CONFIG / "common")]),
        "JUPYTERHUB_DEFAULT_URL": "/formgrader",
        "PATH": PATH,
        "KUBELAB_EXCHANGE_ROOT": EXCHANGE,
        "KUBELAB_COURSE_ID": COURSE,
        "HOME": str(GRADER_HOME),
    },
}
if not SHARED_UID:
    service["user"] = GRADER
c.JupyterHub.services = [service]
