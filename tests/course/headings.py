"""Heading checks shared by the course tests (Notebooks for All: one H1, levels in order)."""

from __future__ import annotations

import re

__all__ = ["headings", "heading_problems"]

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def headings(nb) -> list[tuple[int, str]]:
    """``(level, text)`` of every Markdown heading, in order, skipping fenced code."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if _FENCE.match(line):
                fenced = not fenced
                continue
            m = None if fenced else _HEADING.match(line)
            if m:
                out.append((len(m.group(1)), m.group(2)))
    return out


def heading_problems(nb) -> list[str]:
    """What breaks the rules: not exactly one H1, the H1 not first, or a level skipped on the way down."""
    hs = headings(nb)
    problems = []
    h1 = [text for level, text in hs if level == 1]
    if len(h1) != 1:
        problems.append(f"expected exactly one H1, found {len(h1)}: {h1}")
    if hs and hs[0][0] != 1:
        problems.append(f"the first heading is not the H1: {hs[0]}")
    for (prev, _), (level, text) in zip(hs, hs[1:]):
        if level > prev + 1:
            problems.append(f"heading level jumps from H{prev} to H{level} at {text!r}")
    return problems
