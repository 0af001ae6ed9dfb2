"""Write the course notebooks (``.ipynb``) from their MyST Markdown sources (``.md``).

``python -m kubelab.authoring [--check] [ROOT]`` (``make notebooks``)
    For every folder of the course that holds a ``jupytext.toml`` (``notebooks/``, ``solutions/``),
    rewrite each ``NAME.ipynb`` from ``NAME.md`` beside it (and the ``.md`` itself into the form
    jupytext writes, see :func:`canonical_markdown`).  With ``--check`` nothing is written:
    exit 1 and name every notebook that differs from its source (or has none).  A source that
    cannot be used (no cell id, a duplicate, unreadable MyST) is one ``error: ...`` line and
    exit 2, before any file is written.

The ``.md`` files are jupytext's ``md:myst`` format (jupytext 1.19, ``jupytext/myst.py``): a
code cell is a ``{code-cell}`` fence whose options are the cell's metadata, a Markdown cell
starts after ``+++`` with its metadata as JSON.  Jupytext itself keeps no cell ids in text
formats: when JupyterLab opens a paired ``.md`` it takes each cell's id from the ``.ipynb``
beside it (``jupytext/combine.py``, ``combine_inputs_with_outputs``), and a cell it cannot match
gets a random id.  So the course writes the id in the Markdown, as the cell metadata ``id``
(``:id: svc-rules-dump`` in a code cell, ``+++ {"id": "title"}`` before a Markdown cell), and this
module copies it to the notebook cell's ``id``: the ids survive a lost ``.ipynb`` or a
translation, inserting a cell changes no other cell, and a rebuild gives the same file.  The
notebook keeps the ``id`` metadata too, because that is what jupytext writes when JupyterLab
saves the pair, so a save from JupyterLab and ``make notebooks`` agree.

Notebooks are written without outputs, execution counts or widget state, with nbformat 4.5
(the first minor version with cell ids) and the notebook metadata the ``.md`` carries (the
kernelspec) plus ``language_info`` with the kernelspec's language; jupytext's own header
(``text_representation``) stays in the ``.md``.

Examples
--------
>>> from kubelab.authoring import notebook_from_text
>>> nb = notebook_from_text('''+++ {"id": "title"}
...
... # A title
...
... ```{code-cell}
... :id: hello
...
... print("hello")
... ```
... ''')
>>> [(cell.cell_type, cell.id) for cell in nb.cells]
[('markdown', 'title'), ('code', 'hello')]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["SourceError", "CONFIG", "ID_PATTERN", "sources", "notebook_from_text", "notebook_from_markdown",
           "render", "canonical_markdown", "stale", "write", "main"]

#: The jupytext configuration file that marks a folder whose notebooks are written as MyST Markdown.
CONFIG = "jupytext.toml"
#: nbformat 4.5's rule for a cell id (``nbformat/v4/nbformat.v4.5.schema.json``).
ID_PATTERN = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")


class SourceError(ValueError):
    """A ``.md`` source that cannot become a notebook; the message names the file, cell and field."""


def sources(root: str | Path) -> list[Path]:
    """Every MyST source of the course: the ``*.md`` under each folder of ``root`` with a ``jupytext.toml``.

    Folders are found one level down (``notebooks/``, ``solutions/``); ``.ipynb_checkpoints`` is skipped.
    """
    root = Path(root)
    found = []
    for config in sorted(root.glob(f"*/{CONFIG}")):
        found += [p for p in sorted(config.parent.rglob("*.md")) if ".ipynb_checkpoints" not in p.parts]
    return found


def _describe(cell: Any) -> str:
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    return f"{cell.cell_type} cell starting {first[:40]!r}" if first else f"empty {cell.cell_type} cell"


def notebook_from_text(text: str, name: str = "<text>") -> Any:
    """The notebook (an ``nbformat.NotebookNode``) a MyST Markdown text describes, ids from the ``id`` metadata.

    Raises :class:`SourceError` naming ``name``, the cell (1-based) and the field when a cell has no
    ``id``, an id nbformat refuses, or the id of an earlier cell.
    """
    import jupytext
    import nbformat

    try:
        nb = jupytext.reads(text, fmt="md:myst")
    except Exception as exc:  # noqa: BLE001 - jupytext raises assorted errors on malformed MyST
        raise SourceError(f"{name}: not readable as MyST Markdown ({exc})") from None
    lexer = nb.metadata.pop("jupytext", {}).get("default_lexer")
    # jupytext leaves language_info out of the text (a kernel rewrites it on every run) but writes its
    # pygments_lexer after each ```{code-cell} (ipython3 once an IPython kernel ran).  The notebook gets the
    # language and the lexer the source shows, so that a save from JupyterLab, run or not, writes the same
    # fences again and make notebooks gives the metadata a save keeps.
    language = nb.metadata.get("kernelspec", {}).get("language")
    if language and "language_info" not in nb.metadata:
        nb.metadata["language_info"] = {"name": language, **({"pygments_lexer": lexer} if lexer else {})}
    seen: dict[str, int] = {}
    for number, cell in enumerate(nb.cells, 1):
        where = f"{name}: cell {number} ({_describe(cell)})"
        cid = cell.metadata.get("id")
        if cid is None:
            hint = ':id: NAME after the ```{code-cell} line' if cell.cell_type == "code" else \
                '+++ {"id": "NAME"} before the cell'
            raise SourceError(f"{where}: metadata field 'id' is missing; add {hint}")
        if not isinstance(cid, str) or not ID_PATTERN.match(cid):
            raise SourceError(f"{where}: metadata field 'id' is {cid!r}; use 1-64 letters, digits, '-' or '_'")
        if cid in seen:
            raise SourceError(f"{where}: metadata field 'id' {cid!r} is already the id of cell {seen[cid]}")
        seen[cid] = number
        cell.id = cid
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def notebook_from_markdown(path: str | Path) -> Any:
    """:func:`notebook_from_text` of the file at ``path`` (its name in the messages)."""
    path = Path(path)
    return notebook_from_text(path.read_text(encoding="utf-8"), str(path))


def _from_source(md: Path, root: Path) -> Any:
    return notebook_from_text(md.read_text(encoding="utf-8"), str(md.relative_to(root)))


def render(nb: Any) -> str:
    """The text of the ``.ipynb`` file: nbformat's JSON (sorted keys, one-space indent) and a newline."""
    import nbformat

    return nbformat.writes(nb) + "\n"


def _semantic(text: str) -> Any:
    """The decoded notebook, without jupytext's own bookkeeping: a save from JupyterLab records the lexer of
    the ``.md`` fences there (``metadata.jupytext.default_lexer``), which ``make notebooks`` leaves out."""
    nb = json.loads(text)
    nb.get("metadata", {}).pop("jupytext", None)
    return nb


def stale(root: str | Path) -> list[str]:
    """The notebooks (paths relative to ``root``) that differ from what their source makes, or have no source.

    The comparison is of the decoded JSON (cells, ids, sources, metadata, outputs; jupytext's own
    ``metadata.jupytext`` aside), so a notebook saved by another writer with the same content, such
    as JupyterLab with jupytext, is not stale.
    """
    root = Path(root)
    out = []
    for md in sources(root):
        ipynb = md.with_suffix(".ipynb")
        text = render(_from_source(md, root))
        if md.read_text(encoding="utf-8") != canonical_markdown(text):
            out.append(f"{md.relative_to(root)} (not as jupytext writes it)")
        if not ipynb.exists() or _semantic(ipynb.read_text(encoding="utf-8")) != _semantic(text):
            out.append(str(ipynb.relative_to(root)))
    paired = {md.with_suffix(".ipynb") for md in sources(root)}
    for config in sorted(root.glob(f"*/{CONFIG}")):
        for ipynb in sorted(config.parent.rglob("*.ipynb")):
            if ".ipynb_checkpoints" not in ipynb.parts and ipynb not in paired:
                out.append(f"{ipynb.relative_to(root)} (no {ipynb.with_suffix('.md').name} beside it)")
    return out


def canonical_markdown(notebook_text: str) -> str:
    """The ``.md`` jupytext writes for the notebook ``notebook_text`` (what a save from JupyterLab writes).

    JupyterLab opens a pair whose ``.ipynb`` is newer than its ``.md`` (any order, after a git checkout)
    only if jupytext writes both as the same text (``jupytext/async_pairs.py``, ``read_pair(...,
    must_match=True)``): metadata keys in its order, its fences.  ``make notebooks`` therefore rewrites a
    ``.md`` into that form, as a formatter would; the cells and their text do not change.
    """
    import jupytext
    import nbformat

    return jupytext.writes(nbformat.reads(notebook_text, as_version=4), fmt="md:myst")


def write(root: str | Path) -> list[Path]:
    """Rewrite every paired ``.ipynb`` under ``root`` from its ``.md``, and the ``.md`` into jupytext's own
    form (:func:`canonical_markdown`); return the files whose text changed.

    Every source is read and checked first, so a bad one leaves every file as it was.
    """
    root = Path(root)
    rendered = {md: render(_from_source(md, root)) for md in sources(root)}
    changed = []
    for md, text in rendered.items():
        for path, wanted in ((md, canonical_markdown(text)), (md.with_suffix(".ipynb"), text)):
            if not path.exists() or path.read_text(encoding="utf-8") != wanted:
                path.write_text(wanted, encoding="utf-8")
                changed.append(path)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kubelab.authoring",
                                     description="Write the course's .ipynb files from their MyST Markdown sources.")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a notebook is out of date")
    parser.add_argument("root", nargs="?", default=".", help="the course folder (default: the current folder)")
    args = parser.parse_args(argv)
    root = Path(args.root)
    if not any(root.glob(f"*/{CONFIG}")):
        print(f"error: {root}: no folder with a {CONFIG} (notebooks/, solutions/)", file=sys.stderr)
        return 2
    try:
        if args.check:
            out_of_date = stale(root)
            for name in out_of_date:
                print(f"out of date: {name}")
            if out_of_date:
                print("run `make notebooks` to rewrite them from their .md", file=sys.stderr)
            return 1 if out_of_date else 0
        for path in write(root):
            print(f"wrote {path.relative_to(root)}")
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
