"""The chapter's own Service and Endpoints examples, as printed, what the API server says, and fixed.

The chapter (section "Services") shows a NodePort Service with ``nodePort: 29763`` and an
Endpoints object without ``metadata.name``.  Neither is accepted by an API server:

* ``nodePort: 29763`` is outside the default ``--service-node-port-range`` 30000-32767; the
  allocator refuses it with ``spec.ports[0].nodePort: Invalid value: 29763: provided port is not
  in the valid range. The range of valid ports is 30000-32767``
  (``pkg/registry/core/service/portallocator/allocator.go`` ``ErrNotInRange`` and
  ``pkg/registry/core/service/storage/alloc.go``, Kubernetes v1.35);
* an object without a name fails ``ValidateObjectMeta``: ``metadata.name: Required value: name or
  generateName is required`` (``staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go``).
  An Endpoints object is also only used by a Service *of the same name* that has no selector (the
  endpoints controller owns the Endpoints of a Service with a selector and would overwrite it).

:data:`EXAMPLES` keeps the chapter's text and a corrected version of each; :func:`try_chapter`
runs the chapter's text through the model and returns the error message, which the tests compare
with the API server's words.

Simplifications: the model's message is prefixed with where the object came from and its kind
and name (``Service default/service-1:``) where kubectl prints ``The Service "service-1" is
invalid:``; the text after it is the API server's.

Examples
--------
>>> print(try_chapter("service").split(": ", 2)[2])
spec.ports[0].nodePort: Invalid value: 29763: provided port is not in the valid range. The range of valid ports is 30000-32767
>>> print(try_chapter("endpoints").split(": ", 2)[2])
metadata.name: Required value: name or generateName is required
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import KubelabError
from .answers import WrongAnswer

__all__ = ["Example", "EXAMPLES", "try_chapter", "check_fixed_service"]


@dataclass(frozen=True)
class Example:
    """One of the chapter's YAML examples: as printed, the API server's error, and a version it accepts."""

    chapter: str
    error: str
    fixed: str
    what_changed: str


EXAMPLES: dict[str, Example] = {
    "service": Example(
        chapter="""\
apiVersion: v1
kind: Service
metadata:
  name: service-1
spec:
  type: NodePort
  selector:
    app: app-1
  ports:
    - nodePort: 29763
      protocol: TCP
      port: 80
      targetPort: 9376
""",
        error=("spec.ports[0].nodePort: Invalid value: 29763: provided port is not in the valid range. "
               "The range of valid ports is 30000-32767"),
        fixed="""\
apiVersion: v1
kind: Service
metadata:
  name: service-1
spec:
  type: NodePort
  selector:
    app: app-1
  ports:
    - nodePort: 30763
      protocol: TCP
      port: 80
      targetPort: 9376
""",
        what_changed="nodePort 30763, inside 30000-32767 (or leave nodePort out and let the API server pick one)",
    ),
    "endpoints": Example(
        chapter="""\
apiVersion: v1
kind: Endpoints
subsets:
  - addresses:
      - ip: 192.123.1.22
    ports:
      - port: 3909
""",
        error="metadata.name: Required value: name or generateName is required",
        fixed="""\
apiVersion: v1
kind: Service
metadata:
  name: external-1
spec:
  ports:
    - protocol: TCP
      port: 80
      targetPort: 3909
---
apiVersion: v1
kind: Endpoints
metadata:
  name: external-1
subsets:
  - addresses:
      - ip: 192.123.1.22
    ports:
      - port: 3909
""",
        what_changed=("metadata.name added, the same as a Service without a selector, which is the only kind "
                      "of Service that uses a hand-written Endpoints object"),
    ),
}


def try_chapter(name: str) -> str:
    """Apply the chapter's example ``name`` (``service`` or ``endpoints``) to a fresh model; the error text.

    Raises :class:`~kubelab.errors.KubelabError` if the model accepts it (it must not).
    """
    from ..cluster import Cluster

    if name not in EXAMPLES:
        raise KubelabError(f'no chapter example "{name}": {", ".join(EXAMPLES)}')
    try:
        Cluster(EXAMPLES[name].chapter)
    except KubelabError as exc:
        return str(exc)
    raise KubelabError(f"the chapter's {name} example was accepted; the API server refuses it")


def check_fixed_service(text: str) -> None:
    """A learner's repair of the chapter's Service: accepted, and still the chapter's Service.

    Raises :class:`~kubelab.grading.answers.WrongAnswer` with what is wrong (for a "Your turn"
    self-check).

    >>> check_fixed_service(EXAMPLES["service"].fixed)
    >>> check_fixed_service(EXAMPLES["service"].chapter.replace("29763", "40000"))
    Traceback (most recent call last):
    ...
    kubelab.grading.answers.WrongAnswer: The API server refuses it: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767
    """
    from ..cluster import Cluster

    try:
        cluster = Cluster(text)
    except KubelabError as exc:
        raise WrongAnswer(f"The API server refuses it: {str(exc).split(': ', 2)[-1]}") from None
    try:
        svc = cluster.get("service", "service-1")
    except KubelabError:
        raise WrongAnswer("There is no Service named service-1 in it.") from None
    port = svc.spec.ports[0] if svc.spec.ports else None
    if svc.spec.type != "NodePort" or port is None:
        raise WrongAnswer(f"service-1 should stay a NodePort Service with one port, not {svc.spec.type}.")
    if (port.port, str(port.target_port), (svc.spec.selector or {}).get("app")) != (80, "9376", "app-1"):
        raise WrongAnswer("Keep what the chapter meant: port 80 to targetPort 9376 on the pods labelled app: app-1.")
