"""Printing: kubectl's aligned tables, and the ``-o json`` / ``-o yaml`` documents.

Upstream: ``k8s.io/cli-runtime/pkg/printers`` -- the tables are
:func:`kubelab.util.table.format_table` (``GetNewTabWriter``: Go's ``text/tabwriter``
with minimum width 6, padding 3).  ``-o json`` is indented by four spaces like
kubectl's JSON printer; ``-o yaml`` has its keys sorted, as kubectl's YAML
printer (which goes through JSON maps) has.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable, Sequence, TextIO

from ..util.table import MIN_WIDTH, PADDING, format_table  # re-exported: the CLI's commands print with it

__all__ = ["MIN_WIDTH", "PADDING", "format_table", "print_table", "to_json", "to_yaml", "print_document",
           "list_document", "write", "warn"]


def write(text: str, stream: TextIO | None = None) -> None:
    """Print ``text`` with a final newline to ``stream`` (default: the current ``sys.stdout``)."""
    stream = sys.stdout if stream is None else stream
    stream.write(text if text.endswith("\n") else text + "\n")


def warn(message: str) -> None:
    """A warning on stderr, as kubectl shows the API server's: ``Warning: ...``."""
    sys.stderr.write(f"Warning: {message}\n")


def print_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    write(format_table(header, rows))


def to_json(doc: Any) -> str:
    return json.dumps(doc, indent=4, ensure_ascii=False)


def to_yaml(doc: Any) -> str:
    from ..api.yamltojson import dump  # PyYAML is slow to import: only when asked for

    return dump(doc, sort_keys=True, default_flow_style=False, allow_unicode=True)


def print_document(doc: Any, fmt: str) -> None:
    """Print ``doc`` as ``json`` or ``yaml``."""
    write(to_yaml(doc) if fmt == "yaml" else to_json(doc))


def list_document(items: Iterable[dict]) -> dict:
    """kubectl's ``-o json`` wrapper for several objects: a ``v1`` ``List``."""
    return {"apiVersion": "v1", "kind": "List", "items": list(items), "metadata": {"resourceVersion": ""}}
