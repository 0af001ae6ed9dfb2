"""nbgrader configuration for the kubelab course (read by nbgrader from the repo root).

The instructor's notebooks live in solutions/ (nbgrader's "source"), the learners'
in exercises/ (nbgrader's "release"); `make exercises` regenerates the latter.
No Exchange settings: releasing and collecting go through the repo (or a
JupyterHub's own config), so this file works the same on a laptop and a hub.
"""
from pathlib import Path

c = get_config()  # noqa: F821 - injected by traitlets when it loads this file

ROOT = Path(__file__).resolve().parent

c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.course_id = "kubelab"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# Mind the clash of names: nbgrader's own CourseDirectory.solution_directory
# (default "solution", where `generate_solution` writes) is NOT our solutions/
# (the sources). It is left at its default; solution/ is git-ignored.
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'gradebook.db'}"

# Feedback without the hidden tests.  The autograded notebook holds the hidden tests again (autograde
# puts them back to run them), and nbgrader's feedback is that notebook as HTML, so by default a learner
# would read every hidden test.  ClearHiddenTests between GetGrades and the HTML header removes them
# (tests/course/test_feedback.py checks no hidden line reaches the HTML).
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]

# The solutions are written as MyST Markdown (solutions/<assignment>/<name>.md, paired with the .ipynb
# nbgrader reads; docs/authoring.md).  The .md holds the solutions: it is never copied to exercises/
# (nor by autograde).  Each cell's name is written there as the metadata "id" (kubelab.authoring), the
# cell's id already; the release drops that copy, so exercises/ is what the .ipynb alone would give.
from nbgrader.converters import GenerateAssignment  # noqa: E402
from nbgrader.coursedir import CourseDirectory  # noqa: E402
from nbgrader.preprocessors import NbGraderPreprocessor  # noqa: E402

c.CourseDirectory.ignore = [*CourseDirectory.class_traits()["ignore"].make_dynamic_default(), "*.md"]


class DropSourceIds(NbGraderPreprocessor):
    """Remove the metadata ``id`` that only repeats the cell's id (kubelab.authoring writes it)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.metadata.get("id") == cell.get("id"):
            del cell.metadata["id"]
        return cell, resources


c.GenerateAssignment.preprocessors = [DropSourceIds,
                                      *GenerateAssignment.class_traits()["preprocessors"].make_dynamic_default()]
