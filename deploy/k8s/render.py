#!/usr/bin/env python3
"""Write deploy/k8s/values.yaml, the Zero-to-JupyterHub values of a kubelab class.

The values embed the very files the one-server hub uses (policy.jupyter_files: etc/learner/ and
deploy/hub/jupyter/common/, as
``singleuser.extraFiles``) and the same groups, roles and token scopes
(deploy/hub/policy.py), so the two deployments cannot drift: tests/hub/test_k8s.py
fails when values.yaml is not what this script writes.

    python deploy/k8s/render.py [--roster deploy/hub/roster.example.yaml] [--check]

Zero-to-JupyterHub chart (3.x/4.x keys) (``jupyterhub/zero-to-jupyterhub-k8s``, ``jupyterhub/values.yaml``:
``hub.config``, ``hub.loadRoles``, ``hub.services``, ``singleuser.extraFiles``,
``singleuser.storage.extraVolumes``/``extraVolumeMounts``); KubeSpawner 7 expands
``{unescaped_username}`` in volume mounts (``kubespawner/spawner.py``,
``_expand_user_properties``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
HUB = HERE.parent / "hub"
sys.path.insert(0, str(HUB))
import policy  # noqa: E402

VALUES = HERE / "values.yaml"
EXCHANGE = "/srv/nbgrader/exchange"
CONFIG = "/etc/kubelab/jupyter"  # the same layout as HUB_HOME/etc/jupyter on one server
HEADER = """\
# Zero-to-JupyterHub values for a kubelab class.  Written by deploy/k8s/render.py from
# deploy/hub/ (the one-server hub's files and policy): edit those and re-run it, or
# override in a values file of your own (docs/instructors.md).
#   helm upgrade --install kubelab jupyterhub/jupyterhub -f deploy/k8s/values.yaml
#   kubectl apply -f deploy/k8s/formgrader.yaml   (the formgrader service and the volumes)
"""


def embedded_files() -> dict[str, dict]:
    """``singleuser.extraFiles``: every Jupyter file a student's server reads, byte for byte."""
    out = {}
    for rel, path in policy.jupyter_files("student").items():
        key = "kubelab-" + rel.replace("/", "-").replace("_", "-").replace(".", "-")
        out[key] = {"mountPath": f"{CONFIG}/{rel}", "stringData": path.read_text()}
    return out


def values(roster: dict) -> dict:
    course = roster["course"]
    service = policy.service_name(course)
    inbox = f"{course}/inbound/{{unescaped_username}}"
    return {
        "hub": {
            "config": {
                "JupyterHub": {"load_groups": policy.groups(roster)},
                "Authenticator": {"allowed_users": sorted(policy.everyone(roster)), "admin_users": []},
                "Spawner": {"server_token_scopes": policy.SERVER_TOKEN_SCOPES},
            },
            "loadRoles": {r["name"]: {k: v for k, v in r.items() if k != "name"} for r in policy.roles(roster)},
            "services": {service: {
                "url": f"http://{service}:8888",
                "oauth_no_confirm": True,
                "oauth_client_id": f"service-{service}",
                "oauth_redirect_uri": f"/services/{service}/oauth_callback",
            }},
        },
        "singleuser": {
            "image": {"name": "ghcr.io/OWNER/kubelab", "tag": "latest"},
            "uid": 1000,
            "defaultUrl": "/lab",
            "extraEnv": {
                "JUPYTER_CONFIG_PATH": f"{CONFIG}/student:{CONFIG}/common",
                "KUBELAB_COURSE_ID": course,
                "KUBELAB_EXCHANGE_ROOT": EXCHANGE,
            },
            "extraFiles": embedded_files(),
            "storage": {
                "extraVolumes": [{"name": "nbgrader-exchange",
                                  "persistentVolumeClaim": {"claimName": "nbgrader-exchange"}}],
                # Every pod runs as uid 1000, so only the mounts keep students apart: each sees
                # the released assignments and the feedback read-only, and its own inbox only.
                "extraVolumeMounts": [
                    {"name": "nbgrader-exchange", "mountPath": f"{EXCHANGE}/{course}/outbound",
                     "subPath": f"{course}/outbound", "readOnly": True},
                    {"name": "nbgrader-exchange", "mountPath": f"{EXCHANGE}/{course}/feedback",
                     "subPath": f"{course}/feedback", "readOnly": True},
                    {"name": "nbgrader-exchange", "mountPath": f"{EXCHANGE}/{inbox}", "subPath": inbox},
                ],
            },
        },
    }


def render(roster_path: Path) -> str:
    roster = yaml.safe_load(roster_path.read_text())
    return HEADER + yaml.safe_dump(values(roster), sort_keys=False, width=100)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--roster", type=Path, default=HUB / "roster.example.yaml")
    p.add_argument("--check", action="store_true", help="exit 1 if values.yaml is not up to date")
    args = p.parse_args(argv)
    text = render(args.roster)
    if args.check:
        return 0 if VALUES.read_text() == text else 1
    VALUES.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
