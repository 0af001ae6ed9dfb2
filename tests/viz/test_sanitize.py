"""kubelab.viz.sanitize: a sanitized export keeps headings, tables and diagrams, and still drops what is unsafe."""

from __future__ import annotations


import pytest

from kubelab import viz
from kubelab.viz.sanitize import clean_html


def test_nbconvert_own_filter_escapes_headings():
    """Why the module exists: nbconvert's clean_html turns a heading into literal text."""
    from nbconvert.filters.strings import clean_html as nbconvert_clean

    assert "&lt;h1" in nbconvert_clean("<h1>Title</h1>")
    assert clean_html("<h1>Title</h1>") == "<h1>Title</h1>"


def test_a_course_diagram_and_table_survive():
    app = viz.ipam_explorer("10.244.1.0/28", attach=2)
    cleaned = clean_html(app.static_html())
    assert "&lt;" not in cleaned.replace("&lt;none&gt;", ""), "a tag of the snapshot was escaped"
    for tag in ("<table", "<caption", "<th", "<svg", "<rect", "<text", "<figure", "<details", "<summary"):
        assert tag in cleaned, tag
    assert "viewBox=" in cleaned and "10.244.1.2/28" in cleaned


@pytest.mark.parametrize("unsafe, gone", [
    ("<script>alert(1)</script>", "<script"),
    ("<img src=x onerror='alert(1)'>", "<img"),
    ("<p onclick='alert(1)'>x</p>", "onclick"),
    ("<a href='javascript:alert(1)'>x</a>", 'href="javascript:'),
    ("<svg><a href='javascript:alert(1)'><text>x</text></a></svg>", 'href="javascript:'),
    ("<iframe src='https://example.org'></iframe>", "<iframe"),
    ("<style>body{display:none}</style>", "<style"),
    ("<p style='background:url(https://example.org/x)'>x</p>", "url("),
])
def test_unsafe_markup_is_still_removed(unsafe, gone):
    """Unsafe markup is dropped or escaped to text: never an active tag or attribute."""
    assert gone not in clean_html(unsafe)
