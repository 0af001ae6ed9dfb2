"""IngressClass: which controller serves which Ingress.

Upstream: the Kubernetes docs' Ingress page ("Ingress class", "Default IngressClass"),
the ``DefaultIngressClass`` admission plugin (``plugin/pkg/admission/network/defaultingressclass``:
an Ingress created without ``ingressClassName`` gets the default class; with more than
one default class the create is refused: ``N default IngressClasses were found, only 1
allowed``), ingress-nginx's class filter (``--controller-class=k8s.io/ingress-nginx``,
``--ingress-class=nginx``, ``--watch-ingress-without-class=false``) and
ingress-controller-conformance ``features/ingress_class.feature`` (an Ingress naming a
class that does not exist gets no address).

Decision order for one Ingress and one controller:

1. ``spec.ingressClassName``: served if that IngressClass exists and its
   ``spec.controller`` is the controller's; otherwise not (a missing class is
   simply never served: no controller claims it).
2. the deprecated annotation ``kubernetes.io/ingress.class``: served if it names the
   controller's class (ingress-nginx still honours it).
3. neither: the default IngressClass, as if the admission plugin had set it at creation
   (simplification: the real plugin acts only on Ingresses created after the default
   class existed).  Two or more defaults: the API server would have refused the Ingress.
   No default: ingress-nginx ignores class-less Ingresses unless
   ``--watch-ingress-without-class``.

Examples
--------
>>> from kubelab.api import load_text
>>> objs = load_text('''
... apiVersion: networking.k8s.io/v1
... kind: IngressClass
... metadata: {name: nginx}
... spec: {controller: k8s.io/ingress-nginx}
... ---
... apiVersion: networking.k8s.io/v1
... kind: Ingress
... metadata: {name: web}
... spec: {ingressClassName: nginx, defaultBackend: {service: {name: web, port: {number: 80}}}}
... ''')
>>> served_by(objs[1], [objs[0]])
(True, 'spec.ingressClassName nginx: IngressClass nginx names controller k8s.io/ingress-nginx')
"""

from __future__ import annotations

from typing import Any, Iterable

from ..api.ingress import DEFAULT_CLASS_ANNOTATION

__all__ = ["NGINX_CONTROLLER", "NGINX_CLASS", "LEGACY_CLASS_ANNOTATION", "default_classes", "class_of", "served_by",
           "served_ingresses", "implied_class"]

NGINX_CONTROLLER = "k8s.io/ingress-nginx"
NGINX_CLASS = "nginx"
LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def default_classes(classes: Iterable[Any]) -> list[Any]:
    """The IngressClasses annotated ``ingressclass.kubernetes.io/is-default-class: "true"``."""
    return [c for c in classes if c.metadata.annotations.get(DEFAULT_CLASS_ANNOTATION) == "true"]


def class_of(ing: Any, classes: Iterable[Any]) -> tuple[str | None, str]:
    """``(class name or None, how it was found)`` for one Ingress."""
    classes = list(classes)
    if ing.spec.ingress_class_name:
        return ing.spec.ingress_class_name, f"spec.ingressClassName {ing.spec.ingress_class_name}"
    legacy = ing.metadata.annotations.get(LEGACY_CLASS_ANNOTATION)
    if legacy:
        return legacy, f"annotation {LEGACY_CLASS_ANNOTATION}: {legacy} (deprecated since 1.18)"
    defaults = default_classes(classes)
    if len(defaults) == 1:
        return defaults[0].name, f"no class set: the default IngressClass {defaults[0].name} (admission sets it)"
    if len(defaults) > 1:
        return None, (f"no class set and {len(defaults)} default IngressClasses were found, only 1 allowed: "
                      "the API server would refuse to create this Ingress")
    return None, "no class set and no default IngressClass"


def served_by(ing: Any, classes: Iterable[Any], controller: str = NGINX_CONTROLLER, class_name: str = NGINX_CLASS,
              watch_without_class: bool = False) -> tuple[bool, str]:
    """Whether the controller ``controller`` (whose class is ``class_name``) serves ``ing``, and why."""
    classes = list(classes)
    by_name = {c.name: c for c in classes}
    if ing.spec.ingress_class_name:
        name = ing.spec.ingress_class_name
        cls = by_name.get(name)
        if cls is None:
            return False, f"spec.ingressClassName {name}: no IngressClass {name} exists, so no controller serves it"
        if cls.spec.controller != controller:
            return False, f"spec.ingressClassName {name}: IngressClass {name} names controller {cls.spec.controller}"
        return True, f"spec.ingressClassName {name}: IngressClass {name} names controller {controller}"
    legacy = ing.metadata.annotations.get(LEGACY_CLASS_ANNOTATION)
    if legacy:
        ok = legacy == class_name
        return ok, (f"annotation {LEGACY_CLASS_ANNOTATION}: {legacy} (deprecated) "
                    + ("is this controller's class" if ok else f"is not this controller's class {class_name}"))
    name, how = class_of(ing, classes)
    if name is not None:
        cls = by_name[name]
        ok = cls.spec.controller == controller
        return ok, how + (f", which names controller {controller}" if ok else
                          f", which names controller {cls.spec.controller}")
    if watch_without_class and "refuse" not in how:
        return True, how + "; the controller watches Ingresses without class"
    return False, how + ("" if "refuse" in how else
                         "; ingress-nginx ignores it (--watch-ingress-without-class=false)")


def implied_class(class_name: str = NGINX_CLASS, controller: str = NGINX_CONTROLLER, default: bool = True) -> Any:
    """The IngressClass the controller's install creates (kubelab's :func:`~kubelab.ingress.install` applies it)."""
    from ..api import IngressClass, from_dict

    annotations = {DEFAULT_CLASS_ANNOTATION: "true"} if default else {}
    obj = from_dict({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                     "metadata": {"name": class_name, "annotations": annotations},
                     "spec": {"controller": controller}})[0]
    assert isinstance(obj, IngressClass)
    return obj


def served_ingresses(cluster: Any, controller: str = NGINX_CONTROLLER, class_name: str = NGINX_CLASS,
                     watch_without_class: bool = False, implied: bool = True) -> tuple[list[Any], dict[str, str]]:
    """The Ingresses the controller serves, oldest first, and for every Ingress why (by ``namespace/name``).

    With ``implied`` (the default), a cluster without an IngressClass named ``class_name``
    is read as if the controller had been installed with its class marked default, as
    minikube's ingress addon does: manifests that set no class (the chapter's, the
    conformance suite's) are then served, as in a cluster with one ingress controller.
    """
    classes = cluster.list("ingressclasses")
    if implied and not any(c.name == class_name for c in classes):
        classes = [*classes, implied_class(class_name, controller, default=not default_classes(classes))]
    ings = sorted(cluster.list("ingresses"), key=cluster.creation_index)
    served, why = [], {}
    for ing in ings:
        ok, reason = served_by(ing, classes, controller, class_name, watch_without_class)
        why[f"{ing.namespace}/{ing.name}"] = reason
        if ok:
            served.append(ing)
    return served, why
