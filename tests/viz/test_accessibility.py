"""Accessibility of the course widgets and figures: labelled controls, a palette that survives colour blindness.

The other checks of the issue live beside their subject: one H1 and ordered
headings in tests/notebooks/test_structure.py, a text equivalent (``<title>``,
``<desc>``, visible description) for every diagram in test_describe_svg.py and
the modules' tests, Okabe-Ito membership and line patterns per edge kind in
``test_colours_are_okabe_ito_and_never_alone``.  This file adds:

* **Labels.**  Every chapter notebook's code runs here, in order, in one
  namespace per notebook (the chapters have no magics; ``KUBELAB_LAB=off``
  keeps notebook 10 out of the kernel), so every app is built with exactly the
  arguments the chapters use.  Every control a learner can
  operate (an ipywidgets ``ValueWidget`` or ``Button`` that is not display-only,
  found recursively through ``children``) must have a visible label: a
  non-empty ``description``, or a ``Label``/``HTML`` with text just before it.
  Option buttons must each have text, and names must be unique within an app.
* **Palette.**  Each colour that carries meaning (the edge, box and chart-series
  colours of :mod:`kubelab.viz`) is simulated for protanopia, deuteranopia and
  tritanopia with the matrices of Machado, Oliveira & Fernandes (2009), "A
  Physiologically-based Model for Simulation of Color Vision Deficiency", IEEE
  TVCG 15(6):1291-1298, severity 1.0, applied to linear sRGB (the matrices
  Chrome and Firefox DevTools use).  Every pair must stay at least
  :data:`MIN_DELTA_E` apart in CIEDE2000 (Sharma, Wu & Dalal 2005, "The
  CIEDE2000 color-difference formula: implementation notes", Color Res. Appl.
  30(1); its published test pairs check the implementation below).
  Why 10: one just-noticeable difference is about 1 (CIEDE2000) for large
  side-by-side patches, but the figures' marks are 1.5-3 px lines and small
  outlines, and the difference needed grows steeply as marks shrink (Stone,
  Szafir & Setlur 2014, "An engineering model for color difference as a
  function of size", CIC 22) -- 10 keeps a margin of several JNDs for thin
  lines while remaining reachable by an 8-colour palette under dichromacy.
* **Not colour alone.**  In every legend of every figure the chapters show,
  two edge kinds never differ by colour only: their line pattern or width
  differs too, and each has its words.
"""

from __future__ import annotations

import importlib
import itertools
import math
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9]*.ipynb"))
VIZ_MODULES = ("widgets", "trace", "scaling", "discovery", "ingress", "cni")
SVG = "{http://www.w3.org/2000/svg}"

#: Machado et al. (2009), severity 1.0, for linear sRGB.
MACHADO = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}
#: Minimum CIEDE2000 difference between two meaningful colours, with normal vision and each simulation.
MIN_DELTA_E = 10.0


# --------------------------------------------------------------------------------- the apps of the chapters
def _app_classes() -> list[type]:
    from kubelab.viz.widgets import _App

    for name in VIZ_MODULES:
        importlib.import_module(f"kubelab.viz.{name}")
    found, todo = [], [_App]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


@pytest.fixture(scope="module")
def chapter_apps():
    """[(notebook name, app)] for every app the chapter notebooks build, in order."""
    mp = pytest.MonkeyPatch()
    mp.delenv("NBGRADER_EXECUTION", raising=False)
    mp.setenv("KUBELAB_LAB", "off")  # notebook 10 then skips its kernel lab (network namespaces, as root)
    created: list = []

    def recording(init):
        def __init__(self, *args, **kwargs):
            init(self, *args, **kwargs)
            created.append(self)
        return __init__

    for cls in _app_classes():
        if "__init__" in vars(cls):
            mp.setattr(cls, "__init__", recording(vars(cls)["__init__"]))
    apps = []
    try:
        mp.chdir(REPO / "notebooks")
        for path in NOTEBOOKS:
            namespace: dict = {"__name__": "__main__"}
            before = len(created)
            for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
                if cell.cell_type == "code":
                    exec(compile(cell.source, f"{path.name}[{i}]", "exec"), namespace)  # noqa: S102
            apps += [(path.stem, app) for app in created[before:]]
    finally:
        mp.undo()
    return apps


def test_every_app_class_is_used_by_a_chapter(chapter_apps):
    used = {type(app) for _nb, app in chapter_apps}
    assert set(_app_classes()) <= used, "an app no chapter builds: build it here too"


# ------------------------------------------------------------------------------------------ labels
def _display_only() -> tuple[type, ...]:
    import ipywidgets as w

    return (w.HTML, w.HTMLMath, w.Label, w.Valid, w.IntProgress, w.FloatProgress, w.Image, w.Output)


def _text(widget) -> str:
    return re.sub(r"<[^>]+>", "", str(getattr(widget, "value", "") or "")).strip()


def controls_and_names(root) -> list[tuple[object, str]]:
    """Every operable control under ``root`` (through ``children``), with the name a learner reads for it."""
    import ipywidgets as w

    out: list[tuple[object, str]] = []

    def walk(widget, before=None) -> None:
        children = list(getattr(widget, "children", ()) or ())
        if children:
            for prev, child in zip([None, *children], children):
                walk(child, prev)
            return
        if isinstance(widget, _display_only()) or not isinstance(widget, (w.ValueWidget, w.Button)):
            return
        name = str(getattr(widget, "description", "") or "").strip()
        if not name and isinstance(before, (w.Label, w.HTML)):
            name = _text(before)
        out.append((widget, name))

    walk(root)
    return out


def test_every_control_of_every_chapter_widget_is_labelled(chapter_apps):
    assert len(chapter_apps) >= len(NOTEBOOKS), "the chapters should build a widget each"
    problems = []
    for nb, app in chapter_apps:
        found = controls_and_names(app.widget)
        assert found, f"{nb}: {type(app).__name__} has no control"
        names = [name for _c, name in found]
        for control, name in found:
            what = f"{nb}: {type(app).__name__} {type(control).__name__}"
            if not name:
                problems.append(f"{what} has no label")
            labels = getattr(control, "_options_labels", None)
            if labels is not None and not all(str(label).strip() for label in labels):
                problems.append(f"{what} {name!r} has an option without text")
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            problems.append(f"{nb}: {type(app).__name__} has two controls called {sorted(duplicates)}")
        # the controls the app exposes are the ones on screen (nothing hidden, nothing unnamed)
        shown = {id(c) for c, _n in found}
        missing = [k for k, c in app.controls.items() if id(c) not in shown]
        if missing:
            problems.append(f"{nb}: {type(app).__name__} controls not displayed: {missing}")
    assert not problems, "\n".join(problems)


def test_label_check_catches_an_unlabelled_control():
    import ipywidgets as w

    box = w.VBox([w.HBox([w.Checkbox(description="hostPID"), w.Dropdown(options=["a"])]),
                  w.HBox([w.Label("Node"), w.Dropdown(options=["kind-worker"])]), w.HTML("<p>text</p>")])
    assert [name for _c, name in controls_and_names(box)] == ["hostPID", "", "Node"]


# ------------------------------------------------------------------------------------------ colour
def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def lab(hex_colour: str, deficiency: str | None = None) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour, seen with ``deficiency`` (a key of :data:`MACHADO`) or normal vision."""
    rgb = [_linear(int(hex_colour.lstrip("#")[i:i + 2], 16) / 255) for i in (0, 2, 4)]
    if deficiency:
        m = MACHADO[deficiency]
        rgb = [min(1.0, max(0.0, sum(m[i][j] * rgb[j] for j in range(3)))) for i in range(3)]
    r, g, b = rgb
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e2000(lab1: tuple[float, float, float], lab2: tuple[float, float, float]) -> float:
    """CIEDE2000 colour difference (kL = kC = kH = 1), after Sharma, Wu & Dalal (2005)."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar ** 7 / (c_bar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dh = 0.0
    if c1p * c2p:
        dh = h2p - h1p
        dh = dh - 360 if dh > 180 else dh + 360 if dh < -180 else dh
    d_l, d_c = l2 - l1, c2p - c1p
    d_h = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_bar, cp_bar = (l1 + l2) / 2, (c1p + c2p) / 2
    if not c1p * c2p:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_bar = (h1p + h2p) / 2
    else:
        h_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(h_bar - 30)) + 0.24 * math.cos(math.radians(2 * h_bar))
         + 0.32 * math.cos(math.radians(3 * h_bar + 6)) - 0.20 * math.cos(math.radians(4 * h_bar - 63)))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * cp_bar, 1 + 0.015 * cp_bar * t
    r_t = (-math.sin(math.radians(60 * math.exp(-(((h_bar - 275) / 25) ** 2))))
           * 2 * math.sqrt(cp_bar ** 7 / (cp_bar ** 7 + 25 ** 7)))
    return math.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h))


@pytest.mark.parametrize(("lab1", "lab2", "expected"), [  # Sharma et al. (2005), Table 1, pairs 1, 7, 17, 25
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (56.0, -27.0, -3.0), 31.9030),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
])
def test_ciede2000_matches_the_published_pairs(lab1, lab2, expected):
    assert delta_e2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)


def meaningful_colours() -> dict[str, list[str]]:
    """Each colour a figure uses to mean something -> the kinds (edges, boxes, chart series) that use it."""
    from kubelab.viz import svg

    for name in VIZ_MODULES:  # the modules add their own edge and box kinds
        importlib.import_module(f"kubelab.viz.{name}")
    from kubelab.viz.scaling import _SERIES_STYLE

    users: dict[str, list[str]] = {}
    for kind, style in svg.EDGE_STYLES.items():
        users.setdefault(style[0].upper(), []).append(f"edge {kind}")
    for kind, style in svg.NODE_STYLES.items():
        users.setdefault(style[0].upper(), []).append(f"box {kind}")
    for i, style in enumerate(_SERIES_STYLE):
        users.setdefault(style[0].upper(), []).append(f"chart series {i + 1}")
    return users


def palette_report() -> dict[str, tuple[float, str, str]]:
    """Vision -> (smallest CIEDE2000 between two meaningful colours, the two palette names)."""
    from kubelab.viz.svg import PALETTE

    names = {v.upper(): k for k, v in PALETTE.items()}
    colours = sorted(meaningful_colours())
    report = {}
    for vision in (None, *MACHADO):
        worst = min((delta_e2000(lab(a, vision), lab(b, vision)), a, b) for a, b in itertools.combinations(colours, 2))
        report[vision or "normal"] = (worst[0], names.get(worst[1], worst[1]), names.get(worst[2], worst[2]))
    return report


def test_meaningful_colours_come_from_the_palette():
    from kubelab.viz.svg import PALETTE

    colours = meaningful_colours()
    assert set(colours) <= {v.upper() for v in PALETTE.values()}, colours
    assert len(colours) >= 5


def test_palette_survives_colour_blindness():
    report = palette_report()
    text = "; ".join(f"{v}: {d:.1f} ({a} / {b})" for v, (d, a, b) in report.items())
    print(f"smallest CIEDE2000 between meaningful colours -- {text}")
    for vision, (delta, a, b) in report.items():
        assert delta >= MIN_DELTA_E, f"{a} and {b} are {delta:.1f} apart with {vision} vision ({text})"


def test_whole_okabe_ito_palette_survives_colour_blindness():
    """The unused palette colours too, so a new edge or box kind can take any of them."""
    from kubelab.viz.svg import PALETTE

    for vision in (None, *MACHADO):
        for (na, a), (nb, b) in itertools.combinations(PALETTE.items(), 2):
            delta = delta_e2000(lab(a, vision), lab(b, vision))
            assert delta >= MIN_DELTA_E, f"{na} / {nb}: {delta:.1f} with {vision or 'normal'} vision"


# ------------------------------------------------------------------------------------------ not colour alone
def legend_entries(svg_text: str) -> list[tuple[str, str, str, str]]:
    """(colour, width, dash, words) of every line in the legend of a :mod:`kubelab.viz.svg` diagram.

    (The charts of :mod:`kubelab.viz.scaling` have no "Legend" heading: their series differ by pattern and
    marker shape, checked in test_trace_scaling.py.)
    """
    root = ET.fromstring(svg_text)
    items = list(root)
    heading = [i for i, el in enumerate(items) if el.tag == f"{SVG}text" and (el.text or "").strip() == "Legend"]
    items = items[heading[0]:] if heading else []
    entries = []
    for el, nxt in zip(items, items[1:]):
        if el.tag == f"{SVG}line" and nxt.tag == f"{SVG}text" and el.get("stroke"):
            entries.append((el.get("stroke").upper(), el.get("stroke-width", ""), el.get("stroke-dasharray", ""),
                            (nxt.text or "").strip()))
    return entries


def test_no_figure_tells_two_edge_kinds_apart_by_colour_alone(chapter_apps):
    checked = 0
    problems = []
    for nb, app in chapter_apps:
        for svg_text in re.findall(r"<svg\b.*?</svg>", app.html, flags=re.S):
            entries = legend_entries(svg_text)
            checked += len(entries)
            for (c1, w1, d1, t1), (c2, w2, d2, t2) in itertools.combinations(entries, 2):
                if not t1 or not t2:
                    problems.append(f"{nb}: a legend line without words")
                elif t1 != t2 and (w1, d1) == (w2, d2) and c1 != c2:
                    problems.append(f"{nb}: {t1!r} and {t2!r} differ by colour only")
    assert checked, "no legend found in the chapters' figures"
    assert not problems, "\n".join(sorted(set(problems)))


if os.environ.get("KUBELAB_PALETTE_REPORT"):  # pragma: no cover - a manual aid: print the numbers
    print(palette_report())


# ------------------------------------------------------------------------------------ text descriptions
STRAY = re.compile(r",,|, ,|[:;],|\(,|,\)| ,|:\s*:")


def _descriptions(html_text: str) -> list[str]:
    import html as html_module

    return [html_module.unescape(d) for d in re.findall(r"<figcaption><details><summary>Text description of the "
                                                          r"(?:diagram|chart)</summary><pre[^>]*>(.*?)</pre></details>",
                                                          html_text, re.S)]


def test_text_descriptions_are_collapsed_clean_and_say_each_hop_once(chapter_apps):
    """Issue 11, item 9: under every diagram, closed by default; no doubled punctuation; a trace's hops once each."""
    from kubelab.viz.trace import TraceStepper

    seen = 0
    for nb, app in chapter_apps:
        assert "<details open" not in app.html, f"{nb}: {type(app).__name__} shows its description open"
        for text in _descriptions(app.html):
            seen += 1
            for line in text.splitlines():
                assert not STRAY.search(line), f"{nb}: {type(app).__name__}: stray punctuation in {line!r}"
        if isinstance(app, TraceStepper):
            text = _descriptions(app.html)[0]
            n = len(app.trace.hops)
            for i, hop in enumerate(app.trace.hops, 1):  # two hops may read alike (FORWARD on two nodes): by number
                line = f"step {i} of {n}"
                assert text.count(line) == 1, f"{nb}: hop {i} ({hop.detail!r}) described {text.count(line)}x"
            assert text.count(" then ") == 0, f"{nb}: hops listed again as connections"
    assert seen >= len(chapter_apps) // 2, "few descriptions found: has the figure HTML changed?"


def test_stray_punctuation_check_catches_a_doubled_comma():
    assert STRAY.search("the node (172.18.0.3),, not the client")
    assert not STRAY.search("the node (172.18.0.3), not the client 10.244.1.3:40001")
