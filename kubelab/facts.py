"""The course's dated facts: what changed since the chapter, as of one Kubernetes minor, with sources.

Every version statement the notebooks make ("removed in 1.26", "beta since 1.30", "GA",
"deprecated", "retired") is an entry of ``kubelab/data/facts.yaml``: its status, the version it
took effect (``since``, Kubernetes unless ``project`` says otherwise), the version or date it is
checked as of (``as_of``: the course's :data:`AS_OF` for Kubernetes facts, the month the
table was last checked, ``checked``, for other projects' facts), the sentence the course prints
(``line``) and the upstream source (a file at a tag, a KEP's ``kep.yaml``, a release or a docs
page).  Notebooks render their "Then and now" lists with :func:`then_and_now` and cite the ids of
any other version statement in a ``<!-- facts: id ... -->`` comment in the same Markdown cell;
:func:`uncited` finds the statements a cell makes without such a citation (the notebook tests run
it on every notebook).  The format is documented in ``docs/facts.md``.

Upstream: the sources are per fact.  Simplifications: a fact is one status at one version; a
feature's whole history (alpha, beta, GA) is written into its ``line`` and ``versions``.

Examples
--------
>>> AS_OF
'1.35'
>>> f = fact("user-namespaces")
>>> f.status, f.since, f.as_of
('beta', '1.30', '1.35')
>>> print(render("ipvs-deprecated"))  # doctest: +NORMALIZE_WHITESPACE
- The IPVS mode is deprecated since 1.35 (KEP-5495); clusters that chose it for scale are pointed to
  nftables. *(As of Kubernetes 1.35; source:
  https://github.com/kubernetes/enhancements/tree/master/keps/sig-network/5495-deprecate-ipvs-mode
  (kep.yaml, 1.35))*
>>> uncited("The userspace mode was removed in 1.26.")
['in 1.26']
>>> uncited("The userspace mode was removed in 1.26. <!-- facts: userspace-proxy-removed -->")
[]
"""

from __future__ import annotations

import difflib
import re
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from .errors import KubelabError

__all__ = ["AS_OF", "STATUSES", "Fact", "facts", "fact", "render", "then_and_now", "show", "uncited",
           "cited_ids", "statements"]

#: What a fact can say about its subject.
STATUSES = ("alpha", "beta", "GA", "deprecated", "removed", "retired", "default", "added", "changed", "fixed",
            "released", "current", "then")

_FILE = "facts.yaml"


@dataclass(frozen=True)
class Fact:
    """One dated claim (see the module docstring for the fields)."""

    id: str
    subject: str
    status: str
    line: str
    source: str
    since: str = ""
    as_of: str = ""
    project: str = "Kubernetes"
    versions: tuple[str, ...] = ()
    value: Any = None
    notebooks: tuple[str, ...] = field(default=())

    def all_versions(self) -> set[str]:
        """Every version this fact may be quoted with (``since``, ``versions``), without a leading ``v``."""
        return {v.lstrip("v") for v in (self.since, *self.versions) if v}

    def when(self) -> str:
        """``As of Kubernetes 1.35`` (or the project's version/date)."""
        if re.fullmatch(r"v?\d+\.\d+(\.\d+)?", self.as_of):
            return f"As of {self.project} {self.as_of}"
        return f"As of {self.as_of} ({self.project})"


def _fail(what: str) -> KubelabError:
    return KubelabError(f"kubelab/data/{_FILE}: {what}")


@lru_cache(maxsize=1)
def _load() -> tuple[str, dict[str, Fact]]:
    doc = yaml.safe_load(resources.files("kubelab").joinpath("data", _FILE).read_text(encoding="utf-8"))
    as_of, checked = str(doc.get("as_of") or ""), str(doc.get("checked") or "")
    if not re.fullmatch(r"1\.\d+", as_of):
        raise _fail(f'as_of: "{as_of}" is not a Kubernetes minor such as "1.35"')
    if not re.fullmatch(r"\d{4}-\d{2}", checked):
        raise _fail(f'checked: "{checked}" is not a month such as "2026-12"')
    out: dict[str, Fact] = {}
    known = set(Fact.__dataclass_fields__) - {"id"}
    for fid, body in (doc.get("facts") or {}).items():
        where = f"fact {fid}"
        if not isinstance(body, dict):
            raise _fail(f"{where}: expected a mapping")
        extra = sorted(set(body) - known)
        if extra:
            raise _fail(f"{where}: unknown field {extra[0]} (fields: {', '.join(sorted(known))})")
        for required in ("subject", "status", "line", "source"):
            if not str(body.get(required) or "").strip():
                raise _fail(f"{where}: field {required} is missing or empty")
        if body["status"] not in STATUSES:
            raise _fail(f"{where}: field status: \"{body['status']}\" is not one of {', '.join(STATUSES)}")
        project = str(body.get("project") or "Kubernetes")
        out[fid] = Fact(
            id=fid, subject=str(body["subject"]), status=str(body["status"]), line=" ".join(str(body["line"]).split()),
            source=" ".join(str(body["source"]).split()), since=str(body.get("since") or ""),
            as_of=str(body.get("as_of") or (as_of if project == "Kubernetes" else checked)), project=project,
            versions=tuple(str(v) for v in body.get("versions") or ()), value=body.get("value"),
            notebooks=tuple(str(n) for n in body.get("notebooks") or ()))
    return as_of, out


#: The Kubernetes minor the course is "as of".
AS_OF: str = _load()[0]


def facts() -> dict[str, Fact]:
    """Every fact, by id, in the file's order."""
    return dict(_load()[1])


def fact(fid: str) -> Fact:
    """The fact called ``fid``; a one-line error naming the closest id otherwise.

    >>> fact("userspace-proxy-removed").since
    '1.26'
    >>> fact("userspace-removed")
    Traceback (most recent call last):
    ...
    kubelab.errors.KubelabError: kubelab/data/facts.yaml: no fact "userspace-removed" (did you mean "userspace-proxy-removed"?)
    """
    table = _load()[1]
    if fid not in table:
        near = difflib.get_close_matches(fid, table, n=1)
        raise _fail(f'no fact "{fid}"' + (f' (did you mean "{near[0]}"?)' if near else ""))
    return table[fid]


def render(fid: str, width: int = 100) -> str:
    """One fact as a Markdown bullet: its line, then as of when and the source, in italics."""
    f = fact(fid)
    text = f"- {f.line} *({f.when()}; source: {f.source})*"
    return textwrap.fill(text, width=width, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False)


def then_and_now(notebook: str, width: int = 100) -> str:
    """The "Then and now" list of ``notebook`` (``"02"``): every fact that names it, in file order.

    >>> print(then_and_now("09").splitlines()[0])
    - The userspace kube-proxy mode the chapter starts with was removed in Kubernetes 1.26. *(As of
    """
    chosen = [fid for fid, f in _load()[1].items() if notebook in f.notebooks]
    if not chosen:
        raise _fail(f'no fact names notebook "{notebook}"')
    return "\n".join(render(fid, width) for fid in chosen)


def show(notebook: str) -> None:  # pragma: no cover - display only
    """Display :func:`then_and_now` as Markdown in a notebook (plain text elsewhere)."""
    text = then_and_now(notebook)
    try:
        from IPython.display import Markdown, display
    except ImportError:
        print(text)
        return
    display(Markdown(text))


# ---------------------------------------------------------------------------------------------- notebook check
#: A version of Kubernetes or a project, as prose writes it: 1.26, v1.0.0 (not an address, not HTTP/1.1).
_VERSION = r"v?\d+\.\d+(?:\.\d+)?"
_STATEMENT = re.compile(
    rf"(?<![\w./:-])(?:(?:since|in|from|until|before|after|to)\s+(?:Kubernetes\s+|kind\s+)?{_VERSION}"
    rf"|(?:Kubernetes|kind|kubeadm)\s+{_VERSION}"
    r"|\b(?:alpha|beta|GA|deprecated|retired|retirement)\b)(?![\w.]*\d)")
_CITE = re.compile(r"<!--\s*facts:\s*([\w\s,-]+?)\s*-->")
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def cited_ids(text: str) -> list[str]:
    """The fact ids a Markdown cell cites in ``<!-- facts: a b -->`` comments."""
    return [i for m in _CITE.finditer(text) for i in re.split(r"[\s,]+", m.group(1)) if i]


def statements(text: str) -> list[str]:
    """The version statements of Markdown prose (code spans and blocks, and "as of Kubernetes 1.35", left out)."""
    prose = _CODE.sub(" ", _CITE.sub(" ", text))
    prose = re.sub(rf"\b[Aa]s\s+of\s+Kubernetes\s+{re.escape(AS_OF)}\b", " ", prose)  # the course's own "as of"
    return [" ".join(m.group(0).split()) for m in _STATEMENT.finditer(prose)]


def uncited(text: str) -> list[str]:
    """The version statements of a Markdown cell that no fact it cites covers.

    A statement naming a version is covered by a cited fact with that version (``since`` or
    ``versions``); a status word (alpha, beta, GA, deprecated, retired) by a cited fact with that
    status, or by any cited fact when the word is part of a longer history.  Unknown ids raise.
    """
    cited = [fact(i) for i in cited_ids(text)]
    versions = set().union(*(f.all_versions() for f in cited)) if cited else set()
    out = []
    for s in statements(text):
        found = re.search(_VERSION + r"$", s)
        if found:
            ok = found.group(0).lstrip("v") in versions
        else:
            word = {"retirement": "retired"}.get(s, s)
            ok = any(f.status == word or word in f.line for f in cited)
        if not ok:
            out.append(s)
    return out
