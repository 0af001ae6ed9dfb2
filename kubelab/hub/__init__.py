"""The course on a JupyterHub: what a class needs beyond a laptop.

nbgrader's exchange moves assignments between the instructor's course folder
and the students' servers through one shared directory.  Its default layout
lets any student write into one ``inbound`` folder that every other student can
also write into (nbgrader issue #978: submission folders are made 0777 so the
instructor can delete them).  :mod:`kubelab.hub.exchange` keeps each student to
a folder of their own; the files under ``deploy/hub/`` (JupyterHub, nbgrader and
page configuration, the class set-up script, the Zero-to-JupyterHub values)
use it.

Upstream: nbgrader 0.9.x ``nbgrader/exchange/default/{submit,collect,list}.py``;
JupyterHub 6 ``jupyterhub/spawner.py`` (``server_token_scopes``), ``roles.py``.
"""

from __future__ import annotations

__all__: list[str] = []
