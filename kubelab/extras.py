"""kubelab's extras: which one brings a package, and one clear error when a package is missing.

The core of kubelab (the model, the notebooks' widgets) needs only pure-Python packages, so it
runs in the in-browser edition too (docs/lite.md). Everything else comes with an extra of
``pyproject.toml`` (``[project.optional-dependencies]``): ``course`` (JupyterLab, the notebooks'
tooling), ``grading`` (nbgrader), ``kind`` (the Kubernetes client), ``tls`` (cryptography), and
``desktop``, all of them. What needs one calls :func:`require`, or lets the command line turn the
``ModuleNotFoundError`` into the same message (:func:`missing_extra`): ``error: <what> needs
<package>, which kubelab installs with its [<extra>] extra: pip install 'kubelab[<extra>]'``.

Which extra holds a package is read from kubelab's installed metadata (``Requires-Dist: ...;
extra == "tls"``, written from pyproject.toml), so the list is kept in one place.

>>> extra_of("cryptography") in ("tls", None)
True
>>> str(MissingExtra("making a certificate", "cryptography", "tls")).startswith("making a certificate needs")
True
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from functools import cache
from types import ModuleType

from .errors import KubelabError

__all__ = ["UMBRELLA", "MissingExtra", "available", "extra_of", "missing_extra", "require"]

#: The extra that holds every other (what ``make venv``, Binder and the course image install).
UMBRELLA = "desktop"
#: Import names that differ from the distribution's (the rest are the same, ``-`` as ``_``).
_DISTRIBUTION_OF = {"celpy": "cel-python", "yaml": "PyYAML", "re2": "google-re2"}


class MissingExtra(KubelabError):
    """``what`` needs ``package``, which comes with kubelab's extra ``extra`` (``None``: unknown)."""

    def __init__(self, what: str, package: str, extra: str | None) -> None:
        from .host import IN_BROWSER

        self.package, self.extra = package, extra
        if IN_BROWSER:
            how = "which the in-browser edition does not have: use the desktop edition (make lab) or Binder"
        elif extra:
            how = f"which kubelab installs with its [{extra}] extra: pip install 'kubelab[{extra}]'"
        else:
            how = f"which is not installed: pip install 'kubelab[{UMBRELLA}]'"
        super().__init__(f"{what} needs {package}, {how}")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def _extras() -> dict[str, str]:
    """canonical distribution name -> the first extra that lists it (the umbrella last)."""
    from importlib.metadata import PackageNotFoundError, requires

    try:
        texts = requires("kubelab") or []
    except PackageNotFoundError:  # a source checkout that was never installed
        return {}
    out: dict[str, str] = {}
    for text in texts:
        extra = re.search(r"""extra\s*==\s*["']([^"']+)["']""", text)
        name = re.match(r"[A-Za-z0-9._-]+", text)
        if extra and name and _canonical(name.group(0)) != "kubelab" and extra.group(1) != UMBRELLA:
            out.setdefault(_canonical(name.group(0)), extra.group(1))
    return out


def extra_of(package: str) -> str | None:
    """The extra of kubelab that installs ``package`` (a distribution or import name), or ``None``.

    >>> extra_of("networkx") is None  # a core dependency
    True
    """
    return _extras().get(_canonical(_DISTRIBUTION_OF.get(package, package)))


def available(module: str) -> bool:
    """Whether ``module`` can be imported here, without importing it.

    >>> available("json"), available("no_such_module_here")
    (True, False)
    """
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a missing parent package; a module without __spec__
        return False


def require(module: str, what: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtra` saying that ``what`` needs it and which extra has it.

    >>> require("json", "reading JSON").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise MissingExtra(what, _DISTRIBUTION_OF.get(top, top), extra_of(top)) from None


def missing_extra(exc: ModuleNotFoundError, what: str) -> MissingExtra | None:
    """The :class:`MissingExtra` for a failed import of a package an extra brings, else ``None``.

    >>> try:
    ...     import cryptography_not_here
    ... except ModuleNotFoundError as exc:
    ...     missing_extra(exc, "this") is None
    True
    """
    top = (exc.name or "").split(".")[0]
    extra = extra_of(top) if top else None
    return MissingExtra(what, _DISTRIBUTION_OF.get(top, top), extra) if extra else None
