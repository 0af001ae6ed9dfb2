"""The example manifests the course shares: notebooks, exercises, tests and benchmarks read one file.

The files are package data in ``kubelab/data/manifests/`` (installed with kubelab, so a notebook
finds them from any folder, on Binder too).  A manifest written out in a notebook is part of the
lesson; one that several notebooks or tests start from lives here instead, written once:

``web-pods``
    Three ``app: web`` pods on ``kind-worker`` and ``kind-worker2`` with a container port named
    ``http`` (8080), and a ``client`` pod (notebooks 04, 05, 10).
``web-service``
    The Service ``web``: port 80 to the pods' port ``http`` (notebooks 05, 10).
``shop``
    Notebook 08's namespace ``shop`` with a ``web``, an ``api`` and a ``db`` pod.
``gateway-shop``
    The Gateway API scenario of notebook 07 and exercise a03: the shared Gateway ``infra/shared``,
    the HTTPRoutes of the ``shop`` and ``blog`` teams, the Services, the ``data`` namespace (and the doctests of ``kubelab.gateway``, its view and its checks).

This is course material, not a Kubernetes concept: there is no upstream source to follow.

Examples
--------
>>> import kubelab
>>> from kubelab.examples import manifest
>>> cluster = kubelab.Cluster(manifest("web-service", "web-pods"))
>>> sorted(p.name for p in cluster.pods("default"))
['client', 'web-1', 'web-2', 'web-3']
"""

from __future__ import annotations

from importlib.resources import files

__all__ = ["names", "manifest"]

_FOLDER = files("kubelab") / "data" / "manifests"


def names() -> list[str]:
    """The names of the example manifests (file names without ``.yaml``), sorted.

    >>> "web-pods" in names()
    True
    """
    return sorted(p.name[:-len(".yaml")] for p in _FOLDER.iterdir() if p.name.endswith(".yaml"))


def manifest(*name: str) -> str:
    """The text of one or more example manifests, joined as one multi-document YAML.

    Raises
    ------
    KeyError
        When a name is not one of :func:`names`.

    >>> print(manifest("web-service"))  # doctest: +ELLIPSIS
    # The Service in front of web-pods.yaml...
    kind: Service
    ...
    """
    if not name:
        raise TypeError("manifest() needs at least one name")
    known = names()
    texts = []
    for n in name:
        if n not in known:
            raise KeyError(f"no example manifest {n!r}: choose from {', '.join(known)}")
        texts.append((_FOLDER / f"{n}.yaml").read_text(encoding="utf-8").rstrip("\n") + "\n")
    return "---\n".join(texts)
