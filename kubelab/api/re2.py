"""RE2's ``matches()`` with Python's ``re``, for where google-re2 has no build (the in-browser edition).

CEL's ``string.matches(pattern)`` is RE2 (cel-spec ``langdef.md``, "Regular expressions"; the API
server evaluates it with Go's ``regexp``, the same syntax). cel-python evaluates it with
``re2.search`` from google-re2 (``celpy/evaluation.py``, ``function_matches``, cel-python 0.5.0),
a compiled extension with no wheel for Pyodide. Where ``import re2`` fails,
:func:`kubelab.api.crd` installs this module as ``re2``: the same two names cel-python uses
(:func:`search`, :data:`error`), answering as RE2 does for the regular expressions RE2 and Python
share, and refusing the ones they read differently (RE2 syntax: github.com/google/re2/wiki/Syntax):

- ``$`` outside a class and without the ``m`` flag is RE2's end of text (Python's ``\\Z``; Python's
  own ``$`` also matches before a final newline, so ``"a.com\\n"`` would pass ``^[a-z.]+$``);
  RE2's ``\\z`` is Python's ``\\Z``.
- ``\\d``, ``\\w``, ``\\b`` are ASCII in RE2 (``re.ASCII``); RE2's ``\\s`` is ``[\\t\\n\\f\\r ]``
  (Python's ASCII ``\\s`` adds ``\\v``).
- RE2 has no backreferences, lookaround, atomic groups or possessive repetition: those are an
  :data:`error`, as in RE2.  Syntax only RE2 has (``\\pN``, ``\\p{Greek}``, ``[[:alpha:]]``,
  ``\\C``, ``\\Q...\\E``, the ``U`` flag) is an :data:`error` here, naming the stand-in.

Simplifications: with the ``i`` flag, case folding is ASCII only (RE2 folds Unicode).  The
Gateway API v1.4.0 CRDs' ``matches()`` patterns (hostnames, header names, paths) use classes,
groups, ``?``, ``*``, ``+``, ``{m,n}`` and anchors only, where both engines agree
(tests/api/test_re2.py compares them with google-re2).

Examples
--------
>>> bool(search(r"^[a-z]+$", "example")), bool(search(r"^[a-z]+$", "example\\n"))
(True, False)
>>> search(r"(a)\\1", "aa")
Traceback (most recent call last):
...
re.error: RE2 has no backreferences: (a)\\1
"""

from __future__ import annotations

import functools
import re

__all__ = ["error", "search", "translate"]

#: What cel-python catches (``except re2.error``): Python's, since the stand-in compiles with ``re``.
error = re.error

_GROUPS_REFUSED = (("(?=", "lookaround"), ("(?!", "lookaround"), ("(?<=", "lookaround"),
                   ("(?<!", "lookaround"), ("(?>", "atomic groups"))
_UNTRANSLATED = "RE2 syntax the browser edition's stand-in for google-re2 does not translate"


def translate(pattern: str) -> str:
    """``pattern`` (RE2 syntax) as a Python ``re`` pattern with the same meaning; :data:`error` if none.

    >>> translate(r"^(\\*\\.)?[a-z0-9]+$")
    '^(\\\\*\\\\.)?[a-z0-9]+\\\\Z'
    >>> translate(r"a\\sb[\\s]")
    'a[\\\\t\\\\n\\\\f\\\\r ]b[\\\\t\\\\n\\\\f\\\\r ]'
    """
    flags = re.match(r"\(\?([a-zA-Z]*)[:)]", pattern)
    if flags and "U" in flags.group(1):
        raise error(f"{_UNTRANSLATED} (the U flag): {pattern}")
    multiline = bool(flags and "m" in flags.group(1))
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "123456789":
                raise error(f"RE2 has no backreferences: {pattern}")
            if nxt in "pPCQEZ":
                raise error(f"{_UNTRANSLATED} (\\{nxt}): {pattern}")
            if nxt == "z":
                out.append(r"\Z")
            elif nxt == "s":
                out.append(r"\t\n\f\r " if in_class else r"[\t\n\f\r ]")
            else:
                out.append(ch + nxt)
            i += 2
            continue
        if in_class:
            if pattern.startswith("[:", i):
                raise error(f"{_UNTRANSLATED} (POSIX classes): {pattern}")
            if ch == "]" and out[-1] not in ("[", "[^"):
                in_class = False
            out.append(ch)
        elif ch == "[":
            in_class = True
            head = "[^" if pattern.startswith("[^", i) else "["
            out.append(head)
            i += len(head)
            continue
        elif ch == "(":
            for group, what in _GROUPS_REFUSED:
                if pattern.startswith(group, i):
                    raise error(f"RE2 has no {what}: {pattern}")
            out.append(ch)
        elif ch == "+" and out and out[-1] in ("*", "+", "?", "}"):
            raise error(f"RE2 has no possessive repetition: {pattern}")
        elif ch == "$" and not multiline:
            out.append(r"\Z")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(translate(pattern), re.ASCII)


def search(pattern: str, text: str) -> re.Match[str] | None:
    """The first match of ``pattern`` (RE2 syntax) anywhere in ``text``, as ``re2.search`` answers.

    >>> bool(search("b+", "abbc")), search("x", "abc")
    (True, None)
    """
    return _compiled(pattern).search(text)
