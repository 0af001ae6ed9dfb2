"""A sanitizer for HTML exports that keeps a notebook readable: headings, paragraphs, tables, diagrams.

JupyterLab's *File > Save and Export Notebook As > HTML* asks "Sanitize HTML output" with
the box ticked (JupyterLab 4 with jupyter_server >= 2.18) and then calls
``/nbconvert/html/<path>?download=true&sanitize_html=true``
(``jupyter_server/nbconvert/handlers.py`` sets ``exporter.sanitize_html``).  nbconvert then
passes every Markdown cell and every ``text/html`` output through its ``clean_html`` filter
(nbconvert 7.17, ``nbconvert/filters/strings.py``; used by
``share/jupyter/nbconvert/templates/classic/base.html.j2``), whose allowlist is bleach's
twelve inline tags plus ``div pre code span table tr td``: every ``<h1>``, ``<p>``, ``<th>``,
``<caption>``, ``<figure>`` and the whole SVG of a diagram are escaped and shown as literal
tags (nbconvert issue #2016 says the same of headings and paragraphs).

:func:`clean_html` is the same bleach call with a longer allowlist: the block and table tags
Markdown produces, ``<details>``/``<summary>``, and the SVG drawing elements the course's
diagrams use (:mod:`kubelab.viz.svg`) with their presentation attributes.  What a sanitizer
is for still holds: no ``<script>``, no ``<iframe>``, no ``<style>`` element, no event
handler attribute, no ``href`` on SVG elements, links only to http(s)/mailto (bleach's
protocols), inline ``style`` filtered by bleach's CSS sanitizer as nbconvert does.

:func:`kubelab.viz.export_config.install` registers it as the HTML exporter's
``clean_html`` filter (``TemplateExporter.filters``, applied after nbconvert's defaults).
"""

from __future__ import annotations

__all__ = ["TAGS", "ATTRIBUTES", "clean_html"]

_BLOCKS = ("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "div", "span", "pre", "code", "kbd", "sub", "sup",
           "del", "dl", "dt", "dd", "em", "strong", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
           "figure", "figcaption", "details", "summary")
_SVG = ("svg", "g", "defs", "marker", "title", "desc", "rect", "line", "polyline", "polygon", "path", "circle",
        "ellipse", "text", "tspan")
#: Tags kept (bleach's defaults are added at call time).
TAGS = _BLOCKS + _SVG

_SVG_ATTRIBUTES = ["xmlns", "role", "aria-labelledby", "aria-label", "viewBox", "viewbox", "width", "height", "x", "y",
                   "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "d", "points", "fill", "stroke",
                   "stroke-width", "stroke-dasharray", "opacity", "font-size", "font-family", "font-weight",
                   "text-anchor", "dominant-baseline", "transform", "marker-end", "markerWidth", "markerHeight",
                   "markerwidth", "markerheight", "refX", "refY", "refx", "refy", "orient"]
#: Attributes kept, by tag ("*": on every tag).
ATTRIBUTES = {"*": ["class", "id", "title", "style"], "th": ["scope", "colspan", "rowspan"],
              "td": ["colspan", "rowspan"], "details": ["open"], **{tag: _SVG_ATTRIBUTES for tag in _SVG}}


def clean_html(element: str | bytes) -> str:
    """Sanitize ``element`` as nbconvert's ``clean_html`` does, keeping headings, tables and SVG diagrams.

    Examples
    --------
    >>> clean_html("<h1 id='t'>Title</h1><script>alert(1)</script><p onclick='x()'>text</p>")
    '<h1 id="t">Title</h1>&lt;script&gt;alert(1)&lt;/script&gt;<p>text</p>'
    >>> clean_html("<svg viewBox='0 0 9 9'><rect x='1' width='2' onload='x()'/></svg>")
    '<svg viewBox="0 0 9 9"><rect x="1" width="2"></rect></svg>'
    """
    import bleach
    from bleach.css_sanitizer import ALLOWED_CSS_PROPERTIES, ALLOWED_SVG_PROPERTIES, CSSSanitizer

    text = element.decode() if isinstance(element, bytes) else str(element)
    attributes = {**bleach.ALLOWED_ATTRIBUTES}
    for tag, names in ATTRIBUTES.items():
        attributes[tag] = sorted({*attributes.get(tag, []), *names})
    css = CSSSanitizer(allowed_css_properties=[*ALLOWED_CSS_PROPERTIES, "margin", "padding", "border",
                                               "border-collapse", "text-align", "vertical-align", "white-space",
                                               "max-width", "overflow-x", "display", "cursor"],
                       allowed_svg_properties=ALLOWED_SVG_PROPERTIES)
    return bleach.clean(text, tags=sorted({*bleach.ALLOWED_TAGS, *TAGS}), attributes=attributes, css_sanitizer=css)
