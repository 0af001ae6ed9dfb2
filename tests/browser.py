"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright.

Never ``playwright install``: the browser is the system's.  Each test gets a fresh
profile (a persistent context in a temporary folder, as ENVIRONMENT.md says: a
``--user-data-dir`` in ``args`` is rejected) and, by default, no network beyond
loopback: every request to another host is aborted and recorded, so a page that
needs the internet shows it instead of hanging.

Screenshots go to ``test-artifacts/`` at the repository root (kept by CI as
artefacts, ignored by git, removed by ``make clean``).

Usage (in a test marked ``@pytest.mark.browser``)::

    from tests.browser import chromium, artifact

    with chromium(tmp_path) as (context, page, blocked):
        page.goto(url)
        page.screenshot(path=artifact("lab-open.png"))
        assert not blocked
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from tests.capabilities import CHROMIUM

__all__ = ["ARGS", "ARTIFACTS", "artifact", "chromium"]

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"

#: Chromium flags for a quiet, offline-friendly headless run (ENVIRONMENT.md).
ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync")

_LOCAL = {"127.0.0.1", "localhost", "::1", "[::1]"}


def artifact(name: str) -> Path:
    """Path under test-artifacts/ for ``name`` (the folder is created)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


@contextlib.contextmanager
def chromium(profile: Path, *, offline: bool = True, viewport: tuple[int, int] = (1400, 1000)
             ) -> Iterator[tuple[object, object, list[str]]]:
    """Yield ``(context, page, blocked)``: a Playwright persistent context on /usr/bin/chromium.

    With ``offline`` (the default) any request whose host is not loopback, and any
    ``file:`` page's request to the network, is aborted; ``blocked`` lists their URLs.
    """
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def route(route_, request) -> None:
        url = request.url
        parts = urlsplit(url)
        if parts.scheme in {"file", "data", "blob", "about"} or parts.hostname in _LOCAL:
            route_.continue_()
        else:
            blocked.append(url)
            route_.abort()

    profile.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=list(ARGS),
            viewport={"width": viewport[0], "height": viewport[1]})
        try:
            if offline:
                context.route("**/*", route)
            page = context.pages[0] if context.pages else context.new_page()
            yield context, page, blocked
        finally:
            context.close()
