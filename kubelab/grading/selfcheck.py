"""Ungraded "Your turn" self-checks: the learner writes an answer, the cell says right or wrong.

A self-check reuses the graders' checks (any function that raises :class:`WrongAnswer`), or
compares a set of names (:func:`same_set`), a count (:func:`same_number`) or a value
(:func:`same_value`) with what the model computed.  It prints one line --
``Right.`` or ``Not yet: <what is wrong>`` and where the notebook teaches it -- and never a
traceback, and it never prints the expected answer in full: a missing item is counted, a
wrong one named.  An unanswered cell (``...`` or ``None``) is told to answer first.

Examples
--------
>>> self_check(same_set, {"front/web"}, {"front/web"}, "pods that may reach shop/db")
Right.
True
>>> self_check(same_set, {"front/web", "shop/api"}, {"front/web", "front/debug"}, "pods that may reach shop/db",
...            taught="'One dash: AND or OR'")
Not yet: shop/api is not among the pods that may reach shop/db; 1 is missing. See 'One dash: AND or OR'.
False
>>> self_check(same_set, ..., {"a"}, "pods")
Not yet: write your answer in place of ... and run the cell again.
False
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .answers import WrongAnswer, unanswered, words

__all__ = ["self_check", "same_set", "same_number", "same_value"]


def same_set(answer: Any, expected: Iterable[str], what: str) -> None:
    """Raise :class:`WrongAnswer` unless ``answer`` names exactly ``expected`` (case and order do not matter)."""
    want = {str(x).strip().lower() for x in expected}
    got = {w.strip().lower() for w in words(answer, what)}
    wrong = sorted(got - want)
    missing = len(want - got)
    if not wrong and not missing:
        return
    parts = [f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not among the {what}"] if wrong else []
    if missing:
        parts.append(f"{missing} {'is' if missing == 1 else 'are'} missing")
    raise WrongAnswer("; ".join(parts) + ".")


def same_number(answer: Any, expected: int, what: str, hint: str = "") -> None:
    """Raise :class:`WrongAnswer` unless ``answer`` is the whole number ``expected``; ``hint`` says what to recount.

    >>> self_check(same_number, 2, 2, "queries")
    Right.
    True
    >>> self_check(same_number, 4, 2, "queries", "which search domain is tried first?")
    Not yet: 4 is not the number of queries: which search domain is tried first?
    False
    >>> self_check(same_number, "2", 2, "queries")
    Not yet: give the number of queries as a whole number, not '2'.
    False
    """
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise WrongAnswer(f"give the number of {what} as a whole number, not {answer!r}.")
    if answer != expected:
        raise WrongAnswer(f"{answer} is not the number of {what}" + (f": {hint}" if hint else "."))


def same_value(answer: Any, expected: float, what: str, hint: str = "", tolerance: float = 1e-6) -> None:
    """Raise :class:`WrongAnswer` unless ``answer`` (a number, or text such as ``"1/3"``) is within
    ``tolerance`` of ``expected``.

    >>> self_check(same_value, "1/3", 0.3333333333, "probability")
    Right.
    True
    >>> self_check(same_value, 0.25, 0.3333333333, "probability", "what do the rules above let through?")
    Not yet: 0.25 is not the probability: what do the rules above let through?
    False
    """
    value: float | None = None
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        value = float(answer)
    elif isinstance(answer, str):
        text = answer.strip()
        try:
            num, _, den = text.partition("/")
            value = float(num) / float(den) if den else float(num)
        except (ValueError, ZeroDivisionError):
            value = None
    if value is None:
        raise WrongAnswer(f"give the {what} as a number (0.5, or a fraction such as \"1/2\"), not {answer!r}.")
    if abs(value - expected) > tolerance:
        raise WrongAnswer(f"{answer} is not the {what}" + (f": {hint}" if hint else "."))


def self_check(check: Callable[..., None], answer: Any, *args: Any, taught: str = "", **kwargs: Any) -> bool:
    """Run ``check(answer, *args, **kwargs)`` and print whether the answer is right; return it too."""
    if unanswered(answer):
        print("Not yet: write your answer in place of ... and run the cell again.")
        return False
    try:
        check(answer, *args, **kwargs)
    except WrongAnswer as exc:
        print(f"Not yet: {exc}" + (f" See {taught}." if taught else ""))
        return False
    print("Right.")
    return True
