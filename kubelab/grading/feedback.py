"""nbgrader preprocessors for honest checksums and feedback that shows no hidden test and runs no script.

:class:`OverwriteCells`
    nbgrader's ``OverwriteCells`` compares each locked cell of a submission with
    the checksum the gradebook stored when the assignment was generated.  That
    checksum is taken *before* the hidden tests are cleared
    (``GenerateAssignment``: ``ComputeChecksums`` and ``SaveCells`` run before
    ``ClearHiddenTests``), while the learner's copy has them cleared, so every
    honest submission logs "Attribute 'checksum' for cell q1-test has
    changed!" once per test cell with hidden tests, and real tampering drowns
    in the noise.  This subclass first compares the learner's cell with the
    gradebook's source *with its hidden tests removed*: when they match, the
    hidden tests are put back silently; anything else is reported as before.
:class:`ClearHiddenTests`
    Removes hidden-test regions from test cells only.  nbgrader's version
    scans every cell, so an answer cell whose text contains
    ``### BEGIN HIDDEN TESTS`` made ``generate_feedback`` fail for that learner.
:class:`SanitizeOutputs`
    Keeps only inert output types in the feedback: plain text, images as
    PNG/JPEG, and error messages.  HTML, JavaScript, SVG, widget views and
    Markdown produced by the learner's code are reduced to their ``text/plain``
    form, so ``display(HTML('<script>...'))`` never reaches the feedback page or
    the formgrader; an error shows its last line only (``NameError: ...``), not
    a traceback into kubelab's source.  Markdown the learner wrote (answer cells,
    cells they added) has its raw HTML escaped: nbgrader's feedback template
    renders Markdown without nbconvert's ``sanitize_html``.

Upstream: ``nbgrader/preprocessors/overwritecells.py``, ``clearhiddentests.py``
and ``converters/generate_assignment.py``, ``converters/generate_feedback.py``
(its ``feedback.html.j2`` template), nbgrader 0.9.6.
"""

from __future__ import annotations

import copy
from typing import Any

from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests as _NbgraderClearHiddenTests
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.preprocessors import OverwriteCells as _NbgraderOverwriteCells

__all__ = ["OverwriteCells", "ClearHiddenTests", "SanitizeOutputs", "release_source", "SAFE_MIME_TYPES"]

#: The output types the feedback keeps as they are; every other one is replaced by its ``text/plain``.
SAFE_MIME_TYPES = ("text/plain", "image/png", "image/jpeg")


def release_source(source: str) -> str:
    """``source`` as the learner's copy has it: the hidden-test regions removed (as ``generate_assignment`` does).

    >>> release_source("check(a)\\n### BEGIN HIDDEN TESTS\\ncheck(b)\\n### END HIDDEN TESTS")
    'check(a)'
    """
    cell = NotebookNode(cell_type="code", source=source, metadata={})
    _NbgraderClearHiddenTests(enforce_metadata=False)._remove_hidden_test_region(cell)
    return cell.source


class OverwriteCells(_NbgraderOverwriteCells):
    """nbgrader's ``OverwriteCells`` without the false "checksum has changed" on every cell with hidden tests."""

    def preprocess_cell(self, cell: Any, resources: Any, cell_index: int) -> Any:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and utils.is_locked(cell) and cell.cell_type == "code":
            try:
                source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except Exception:  # noqa: BLE001 - unknown cells are nbgrader's to report
                source_cell = None
            if source_cell is not None and source_cell.locked and source_cell.source != cell.source:
                released = copy.deepcopy(cell)
                try:
                    released.source = release_source(source_cell.source)
                except RuntimeError:
                    released = None
                if released is not None and utils.compute_checksum(released) == utils.compute_checksum(cell):
                    cell.source = source_cell.source  # the honest copy: put the hidden tests back, quietly
        return super().preprocess_cell(cell, resources, cell_index)


class ClearHiddenTests(_NbgraderClearHiddenTests):
    """nbgrader's ``ClearHiddenTests``, applied to test cells only (an answer may contain the marker text)."""

    def preprocess_cell(self, cell: Any, resources: Any, cell_index: int) -> Any:
        if not (utils.is_grade(cell) and not utils.is_solution(cell)):
            return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)


class SanitizeOutputs(NbGraderPreprocessor):
    """Reduce every output to inert types (:data:`SAFE_MIME_TYPES`) and every error to its message; drop widget state."""

    def preprocess(self, nb: Any, resources: Any) -> Any:
        nb.metadata.pop("widgets", None)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: Any, resources: Any, cell_index: int) -> Any:
        if cell.cell_type == "markdown" and not utils.is_locked(cell):
            # The learner wrote it: raw HTML in it shows as text ("<script>" literally), Markdown still renders.
            cell.source = cell.source.replace("<", "&lt;")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                # The learner's own cells may fail inside kubelab: their traceback would show its source and paths.
                output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
            data = output.get("data")
            if data is not None:
                kept = {k: v for k, v in data.items() if k in SAFE_MIME_TYPES}
                if not kept:
                    kept = {"text/plain": f"[{', '.join(sorted(data)) or 'an output'} not shown in feedback]"}
                output["data"] = kept
                output.get("metadata", {}).clear()
        return cell, resources
