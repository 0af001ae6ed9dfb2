"""What the machine running kubelab offers: root, a Linux kernel, or only a browser tab.

The model itself is pure Python and runs anywhere, including Pyodide (CPython compiled to
WebAssembly, the kernel of the JupyterLite edition, docs/lite.md). The real-kernel lab, the CNI
binaries and the kind hooks need a Linux host and usually root; this module is the one place that
asks. Pyodide's ``os`` module has no ``geteuid`` (Emscripten has no users), and
``sys.platform`` is ``"emscripten"`` there (Pyodide docs, "Pyodide Python compatibility",
release 0.27+; CPython ``Lib/os.py`` only defines what the platform's libc has).

>>> effective_uid() is None or effective_uid() >= 0
True
>>> is_root() == (effective_uid() == 0)
True
"""

from __future__ import annotations

import os
import sys

__all__ = ["IN_BROWSER", "effective_uid", "is_root", "needs_linux"]

#: True in Pyodide/JupyterLite: no processes, no sockets, no network namespaces.
IN_BROWSER: bool = sys.platform == "emscripten"


def effective_uid() -> int | None:
    """The effective user id, or None where the platform has no users (Pyodide, Windows).

    >>> isinstance(effective_uid(), (int, type(None)))
    True
    """
    geteuid = getattr(os, "geteuid", None)
    return None if geteuid is None else geteuid()


def is_root() -> bool:
    """True only on a platform with users where kubelab runs as uid 0.

    >>> is_root() in (True, False)
    True
    """
    return effective_uid() == 0


def needs_linux(what: str) -> str | None:
    """Why ``what`` cannot run here, or None when this is a Linux host.

    >>> needs_linux("the real-kernel lab") is None or "Linux" in needs_linux("the real-kernel lab")
    True
    """
    if IN_BROWSER:
        return (f"{what} needs a Linux machine (the desktop edition, `make lab`): "
                "this is the in-browser edition, which runs the model only")
    if not sys.platform.startswith("linux"):
        return f"{what} needs a Linux machine; this is {sys.platform}"
    return None
