"""Conversions between kubelab objects and the ``kubernetes`` client's model classes.

This is the one place where kubelab meets the official Python client
(``kubernetes-client/python``, ``kubernetes/client/models/v1_*.py`` and
``kubernetes/client/api_client.py``, generated from the Kubernetes OpenAPI
document): :func:`to_client` turns a kubelab object into the client's ``V1…``
object (``V1Pod``, ``V1Service``, …) and :func:`from_client` turns a client
object (for example one that ``CoreV1Api().read_namespaced_service`` returned)
into a kubelab object, defaulted and validated by :func:`kubelab.api.from_dict`.

The way through is the JSON form in both directions, as the client itself
does on the wire: ``to_dict`` → JSON text → the client's public
``ApiClient.deserialize`` (what it does with a response body), and the
client's ``sanitize_for_serialization`` → ``from_dict``.  Fields kubelab does not model
ride along in ``extra``, so nothing is lost.

Kinds without a class in the client — Calico's ``projectcalico.org/v3``
``NetworkPolicy`` and ``GlobalNetworkPolicy`` (custom resources) and
``KubeProxyConfiguration`` (a configuration file, kept in the ``kube-proxy``
ConfigMap) — convert to and from the plain dict that ``CustomObjectsApi``
takes and returns.

Simplifications: timestamps come back from the client as RFC 3339 in UTC
(``2024-01-01T00:00:00Z``, as the API server writes them), whatever offset
they were written with; a client ``…List`` object is not one object, so
convert its ``items`` one by one.

Examples
--------
>>> from kubelab.api import load_text
>>> svc = load_text("apiVersion: v1\\nkind: Service\\nmetadata: {name: web}\\nspec: {ports: [{port: 80}]}")[0]
>>> v1 = to_client(svc)
>>> type(v1).__name__, v1.spec.ports[0].target_port
('V1Service', 80)
>>> from_client(v1) == svc
True
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from typing import Any

from ..errors import FieldError, KubelabError, ValidationError
from .meta import APIObject
from .registry import KINDS

__all__ = ["to_client", "from_client", "CLIENT_CLASSES"]

#: ``(apiVersion, kind)`` -> the ``kubernetes.client`` model class name (each kind's ``_k8s_model``).
CLIENT_CLASSES: dict[tuple[str, str], str] = {key: cls._k8s_model for key, cls in KINDS.items() if cls._k8s_model}
_KIND_OF_CLASS = {name: key for key, name in CLIENT_CLASSES.items()}


def _rfc3339(value: datetime.datetime) -> str:
    """``metav1.Time`` / ``MicroTime`` text: UTC with a ``Z``, microseconds only when present."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if value.microsecond else "%Y-%m-%dT%H:%M:%SZ")


@functools.cache
def _api_client() -> Any:
    """One ApiClient (no connection is made: only its (de)serializer is used)."""
    from ..extras import require

    # heavy: imported only when needed; the [kind] extra
    ApiClient = require("kubernetes.client", "converting to the kubernetes client's objects").ApiClient

    class _Client(ApiClient):
        def sanitize_for_serialization(self, obj: Any) -> Any:
            if isinstance(obj, datetime.datetime):
                return _rfc3339(obj)
            return super().sanitize_for_serialization(obj)

    return _Client()


def _json(value: Any) -> str:
    """``value`` as the API server would send it: JSON, timestamps as RFC 3339 text."""
    def default(v: Any) -> str:
        if isinstance(v, datetime.datetime):
            return _rfc3339(v)
        if isinstance(v, datetime.date):
            return v.isoformat()
        raise TypeError(f"{type(v).__name__} is not JSON serializable")
    return json.dumps(value, default=default)


def _deserialize(api: Any, data: Any, klass: str) -> Any:
    """The client's public ``ApiClient.deserialize``: what it does with an API server's JSON response."""
    return api.deserialize(_json(data), klass, "application/json")


def _locate(api: Any, data: Any, klass: str, path: str) -> str:
    """The deepest field path under which the client's deserializer rejects ``data``.

    The generated models build their children one ``from_dict`` at a time, so a
    type error deep inside says nothing about where it is: walk down to find out.
    """
    from kubernetes.client import models

    def fails(value: Any, tp: str) -> bool:
        try:
            _deserialize(api, value, tp)
        except Exception:  # noqa: BLE001 - the generated models raise assorted errors: any one means "fails here"
            return True
        return False

    if klass.startswith("List[") and isinstance(data, list):
        for i, item in enumerate(data):
            if fails(item, klass[5:-1]):
                return _locate(api, item, klass[5:-1], f"{path}[{i}]")
    elif klass.startswith("Dict[") and isinstance(data, dict):
        inner = klass[5:-1].split(", ", 1)[1]
        for k, v in data.items():
            if fails(v, inner):
                return _locate(api, v, inner, f"{path}.{k}")
    elif isinstance(data, dict) and hasattr(models, klass):
        model = getattr(models, klass)
        for attr, key in model.attribute_map.items():
            if key in data and fails(data[key], model.openapi_types[attr]):
                return _locate(api, data[key], model.openapi_types[attr], f"{path}.{key}" if path else key)
    return path or "<root>"


def to_client(obj: APIObject) -> Any:
    """Return the ``kubernetes`` client's object for ``obj`` (``V1Pod``, ``V1Service``, …).

    Calico policies and ``KubeProxyConfiguration`` have no client class: they
    come back as the plain dict ``CustomObjectsApi`` takes.  A value the client
    rejects (a type mismatch in an unmodelled field) raises
    :class:`~kubelab.errors.ValidationError`.
    """
    if not isinstance(obj, APIObject):
        raise KubelabError(f"cannot convert {type(obj).__name__} to a kubernetes client object: "
                           "expected a kubelab.api object")
    data = obj.to_dict()
    klass = CLIENT_CLASSES.get((obj.api_version, obj.kind))
    if klass is None:
        return data
    api = _api_client()
    try:
        return _deserialize(api, data, klass)
    except Exception as exc:  # noqa: BLE001 - pydantic.ValidationError, or the client's own ApiException/ValueError
        errors = getattr(exc, "errors", None)
        detail = errors()[0].get("msg", "") if callable(errors) and errors() else str(exc).split("\n")[0]
        path = _locate(api, data, klass, "")
        raise ValidationError([FieldError.invalid(path, _get(data, path), f"{detail} (in {klass})")],
                              obj=obj.ref) from None


def _get(data: Any, path: str) -> Any:
    """The value at a path made by :func:`_locate` (for the error message)."""
    for key, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        try:
            data = data[int(index)] if index else data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def from_client(v1obj: Any, source: str = "<kubernetes client>") -> APIObject:
    """Return the kubelab object (defaulted and validated) for a client object or a custom-object dict.

    ``apiVersion`` and ``kind``, which the API server leaves out of the items of
    a list, are filled in from the client class.  Problems raise a
    :class:`~kubelab.errors.KubelabError` subclass, as loading a manifest does.
    """
    from .loader import from_dict

    if isinstance(v1obj, dict):
        data = dict(v1obj)
    else:
        name = type(v1obj).__name__
        if name not in _KIND_OF_CLASS:
            hint = " (convert its items one by one)" if name.endswith("List") else ""
            raise KubelabError(f"cannot convert a {name} to a kubelab object{hint}; known classes: "
                               + ", ".join(sorted(_KIND_OF_CLASS)))
        data = _api_client().sanitize_for_serialization(v1obj)
        api_version, kind = _KIND_OF_CLASS[name]
        data.setdefault("apiVersion", api_version)
        data.setdefault("kind", kind)
    objs = from_dict(data, source)
    if len(objs) != 1:
        raise KubelabError(f"expected one object, got {len(objs)} (convert a list's items one by one)",
                           source=source)
    return objs[0]
