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
