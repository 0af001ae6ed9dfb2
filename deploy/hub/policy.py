"""Who may do what in a kubelab class: the hub's groups, roles and token scopes, in one place.

Read by deploy/hub/jupyterhub_config.py (one server) and deploy/k8s/render.py (the
Zero-to-JupyterHub values), so both deployments grant exactly the same.

Scopes are JupyterHub 6's (``jupyterhub/scopes.py``): ``access:services!service=X`` lets a
user open service X, nothing else; a student's server gets a token that can post activity
and reach its own server only (the ``server`` role's scopes, stated here rather than
inherited, so a later JupyterHub default cannot widen them).

>>> roles({"course": "c1", "grader": "g"})[0]["scopes"]
['access:services!service=formgrader-c1', 'read:services!service=formgrader-c1']
>>> sorted(groups({"course": "c1", "grader": "g", "students": ["s"]}))
['graders', 'instructors', 'students']
"""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: The learner's Jupyter configuration, the one ``make lab`` and Binder use: a student's
#: server on the hub reads the very same files (no instructor tools, Assignments and
#: Validate kept).
LEARNER_CONFIG = REPO / "etc" / "learner"
HUB_CONFIG = Path(__file__).resolve().parent / "jupyter"

SERVER_TOKEN_SCOPES = ["users:activity!user", "access:servers!server"]


def service_name(course: str) -> str:
    """The formgrader service of ``course``: ``/services/<name>/formgrader``."""
    return f"formgrader-{course}"


def groups(roster: dict) -> dict[str, dict[str, list[str]]]:
    """JupyterHub groups (``JupyterHub.load_groups``) from a roster."""
    return {
        "instructors": {"users": list(roster.get("instructors") or [])},
        "graders": {"users": [roster["grader"], *(roster.get("graders") or [])]},
        "students": {"users": list(roster.get("students") or [])},
    }


def roles(roster: dict) -> list[dict]:
    """JupyterHub roles (``JupyterHub.load_roles``): instructors and graders reach the formgrader."""
    name = service_name(roster["course"])
    return [{
        "name": f"grade-{roster['course']}",
        "description": f"Open the {roster['course']} formgrader",
        "groups": ["instructors", "graders"],
        "scopes": [f"access:services!service={name}", f"read:services!service={name}"],
    }]


def everyone(roster: dict) -> set[str]:
    """Every account of the class (``Authenticator.allowed_users``)."""
    return {u for g in groups(roster).values() for u in g["users"]}


def jupyter_files(role: str = "student") -> dict[str, Path]:
    """The Jupyter configuration files a server of ``role`` reads, by path under the config root.

    A student's server reads ``student/`` (``etc/learner``, the learner view of ``make lab``)
    and ``common/``; the grader's formgrader reads ``grader/`` and ``common/``. One-server
    hubs copy them under ``HUB_HOME/etc/jupyter/`` (``classroom.py``); Zero-to-JupyterHub
    mounts them under ``/etc/kubelab/jupyter/`` (``deploy/k8s/render.py``).

    >>> sorted(jupyter_files())[:2]
    ['common/nbgrader_config.py', 'student/jupyter_server_config.d/kubelab-learner.json']
    """
    roots = {"student": LEARNER_CONFIG, "grader": HUB_CONFIG / "grader", "common": HUB_CONFIG / "common"}
    out: dict[str, Path] = {}
    for name in (role, "common"):
        for path in sorted(roots[name].rglob("*")):
            if path.is_file() and path.name != "README.md":
                out[f"{name}/{path.relative_to(roots[name]).as_posix()}"] = path
    return out
