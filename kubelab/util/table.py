"""kubectl's aligned text tables, for every layer that prints one (the CLI, and the models' ``__str__``).

Upstream: ``k8s.io/cli-runtime/pkg/printers`` -- ``GetNewTabWriter`` wraps Go's
``text/tabwriter`` with minimum width 6, padding 3 and spaces; the table
printer separates cells with tabs and does not terminate the last one, so
every column but the last is padded to its widest cell plus three spaces and
lines carry no trailing blanks (Kubernetes v1.34).

Simplification: widths count characters, not display cells (tabwriter counts
UTF-8 runes too, so the two agree except for wide characters).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["MIN_WIDTH", "PADDING", "format_table"]

MIN_WIDTH = 6
PADDING = 3


def format_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Lines aligned as kubectl aligns them (Go tabwriter: minwidth 6, padding 3; last column unpadded).

    >>> print(format_table(["NAME", "AGE"], [["web", "<unknown>"]]))
    NAME   AGE
    web    <unknown>
    """
    lines = [[str(c) for c in header], *[[str(c) for c in r] for r in rows]]
    ncols = max(len(line) for line in lines)
    widths = []
    for i in range(ncols - 1):
        cells = [line[i] for line in lines if i < len(line) - 1]
        widths.append(max([MIN_WIDTH, *(len(c) + PADDING for c in cells)]))
    out = []
    for line in lines:
        text = "".join(c.ljust(widths[i]) for i, c in enumerate(line[:-1])) + line[-1]
        out.append(text)
    return "\n".join(out)
