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
