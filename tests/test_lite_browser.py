"""The in-browser edition, offline: `make lite`, served on 127.0.0.1, opened in Chromium with every
other host blocked; notebooks run, a widget talks to the kernel, an exercise's visible tests run.

Two locks on the network: ``context.route`` aborts (and records) every request whose host is not
127.0.0.1 -- it also sees the kernel's Web Worker -- and ``--host-resolver-rules`` makes every other
name unresolvable, so nothing can leave even where the route does not look (a service worker).
The test patches only the site's ``jupyter-lite.json`` in flight, to set ``exposeAppInBrowser``
(JupyterLab's ``window.jupyterapp``), through which it opens notebooks and runs cells.

Figures (page load to kernel ready, Run All) are printed with ``-s``; they are not asserted.
"""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import ARGS, artifact
from tests.capabilities import CHROMIUM

pytestmark = [pytest.mark.lite, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "build" / "lite"
KERNEL_READY_S = 180  # 10-17 s alone on 2 cores; the shared CI machine is slower
RUN_ALL_S = 300


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".mjs": "text/javascript", ".json": "application/json"}

    def log_message(self, *args) -> None:  # the test's output is the figures
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """`make lite`, then the site on 127.0.0.1 (a free port) for the module's tests."""
    started = time.monotonic()
    subprocess.run(["make", "lite"], cwd=REPO, check=True, capture_output=True, timeout=1200)
    print(f"\nmake lite: {time.monotonic() - started:.1f} s")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(site, tmp_path_factory):
    """(page, requests, blocked): one Chromium for the module, every non-127.0.0.1 host blocked."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    blocked: list[str] = []

    def route(route_, request) -> None:
        url = request.url
        requests.append(url)
        parts = urlsplit(url)
        if parts.scheme in {"data", "blob", "about"}:
            route_.continue_()
        elif parts.hostname != "127.0.0.1":
            blocked.append(url)
            route_.abort()
        elif parts.path == "/jupyter-lite.json":
            response = route_.fetch()
            config = response.json()
            config["jupyter-config-data"]["exposeAppInBrowser"] = True
            route_.fulfill(response=response, json=config)
        else:
            route_.continue_()

    args = list(ARGS) + ['--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1']
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("lite-profile")), executable_path=str(CHROMIUM), headless=True,
            args=args, viewport={"width": 1400, "height": 1000})
        try:
            context.route("**/*", route)
            page = context.pages[0] if context.pages else context.new_page()
            started = time.monotonic()
            page.goto(f"{site}/lab/index.html", wait_until="load")
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand("
                                   "'notebook:run-all-cells')", timeout=120_000)
            page.evaluate("() => window.jupyterapp.restored")
            print(f"JupyterLab (lite) loaded: {time.monotonic() - started:.1f} s")
            yield page, requests, blocked
        finally:
            context.close()


OPEN_AND_RUN = """async ([path, runAll]) => {
  const app = window.jupyterapp;
  const t0 = performance.now();
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session.kernel;
  // Ready means the kernel answers: the first execute waits for Pyodide and the piplite installs.
  await kernel.requestExecute({code: '1'}).done;
  const t1 = performance.now();
  let ok = null;
  if (runAll) {
    app.shell.activateById(panel.id);
    ok = await app.commands.execute('notebook:run-all-cells');
  }
  const t2 = performance.now();
  const problems = [];
  let stdout = '';
  const cells = panel.content.model.cells;
  let unrun = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    if (runAll && cell.executionCount === null) unrun++;
    const outputs = cell.outputs;
    for (let j = 0; j < outputs.length; j++) {
      const out = outputs.get(j).toJSON();
      if (out.output_type === 'error') problems.push(`${cell.id}: ${out.ename}: ${out.evalue}`);
      if (out.output_type === 'stream' && out.name === 'stdout') stdout += [].concat(out.text).join('');
      if (out.output_type === 'stream' && out.name === 'stderr') problems.push(`${cell.id} (stderr): ${[].concat(out.text).join('').slice(0, 300)}`);
    }
  }
  return {kernelReady: (t1 - t0) / 1000, runAll: (t2 - t1) / 1000, ok, problems, unrun, id: panel.id, stdout};
}"""

KERNEL_RUN = """async ([id, code]) => {
  const app = window.jupyterapp;
  let panel = null;
  for (const w of app.shell.widgets('main')) if (w.id === id) panel = w;
  const future = panel.sessionContext.session.kernel.requestExecute({code});
  let text = '';
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') text += msg.content.text;
    if (msg.header.msg_type === 'error') text += 'ERROR ' + msg.content.ename + ': ' + msg.content.evalue;
  };
  await future.done;
  return text;
}"""

SLIDERS = ("from ipywidgets.widgets.widget import _instances\n"
           "import json\n"
           "print(json.dumps({k: repr(w.value) for k, w in _instances.items() if type(w).__name__.endswith('Slider')}))")

IMPORT_TIME = ("import sys, time\n"
               "for _m in [m for m in sys.modules if m == 'kubelab' or m.startswith('kubelab.')]:\n"
               "    del sys.modules[_m]\n"
               "_t = time.perf_counter()\n"
               "import kubelab\n"
               "kubelab.Cluster()\n"
               "print(f'{time.perf_counter() - _t:.2f}')")


def _open(page, path: str, run_all: bool = True) -> dict:
    result = page.evaluate(OPEN_AND_RUN, [path, run_all])
    print(f"{path}: kernel ready {result['kernelReady']:.1f} s, Run All {result['runAll']:.1f} s")
    return result


def _sliders(page, panel_id: str) -> dict[str, str]:
    text = page.evaluate(KERNEL_RUN, [panel_id, SLIDERS])
    assert "ERROR" not in text, text
    return json.loads(text.strip().splitlines()[-1])


@pytest.mark.parametrize("path", ["notebooks/05-kube-proxy.ipynb", "notebooks/01-network-model.ipynb",
                                  "notebooks/07-ingress.ipynb", "notebooks/08-cni-and-calico.ipynb"])
def test_chapter_notebook_runs_offline(browser, path):
    page, requests, blocked = browser
    result = _open(page, path)
    page.screenshot(path=artifact(f"lite-{Path(path).stem}.png"))
    assert result["problems"] == [], result["problems"]
    assert result["unrun"] == 0 and result["ok"] is True
    if path.startswith("notebooks/05"):
        before = _sliders(page, result["id"])
        assert before, "notebook 05 shows at least one slider"
        handle = page.locator(f"#{result['id']} .noUi-handle").first
        handle.scroll_into_view_if_needed()
        handle.focus()
        for _ in range(3):
            handle.press("ArrowRight")
        page.wait_for_timeout(1500)
        after = _sliders(page, result["id"])
        assert after != before, f"moving a slider changed nothing in the kernel: {before}"
    if path.startswith("notebooks/07"):
        # TLS: the shipped certificate, read by the pure reader, is served (not the fake one);
        # Gateway API: the CRDs' CEL rules ran (google-re2's stand-in), the status was written.
        assert "In-browser edition: there is no cryptography package" in result["stdout"]
        assert "certificate CN=ssl.foo.com, names ('ssl.foo.com',), fake: False" in result["stdout"]
        assert "Accepted" in result["stdout"], result["stdout"][-2000:]
        engine = page.evaluate(KERNEL_RUN, [result["id"], "import sys; print(sys.modules['re2'].__name__)"])
        assert engine.strip() == "kubelab.api.re2", engine
    assert blocked == [], blocked
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requests if urlsplit(u).scheme.startswith("http"))
    page.evaluate("() => window.jupyterapp.commands.execute('application:close-all')")


def test_real_kernel_notebook_says_it_needs_linux(browser):
    """Notebook 10 opens and runs: the model part as usual, the kernel part one sentence, no error."""
    page, requests, blocked = browser
    result = _open(page, "notebooks/10-real-kernel-lab.ipynb")
    assert result["problems"] == [], result["problems"]
    assert result["unrun"] == 0 and result["ok"] is True
    assert "the kernel part needs a Linux machine" in result["stdout"], result["stdout"][-2000:]
    assert blocked == [], blocked
    page.evaluate("() => window.jupyterapp.commands.execute('application:close-all')")


def test_exercise_visible_tests_run_and_check_gives_the_verdict(browser):
    page, requests, blocked = browser
    path = "exercises/a02-services-and-kube-proxy/services-and-kube-proxy.ipynb"
    result = _open(page, path)
    errors = [p for p in result["problems"] if "(stderr)" not in p]
    # The untouched release: every visible test runs and fails, with the check's feedback.
    assert any(p.startswith("q1-test") or "NotImplementedError" in p for p in errors), errors
    # check() reads the saved notebook through the kernel's drive, as `kubelab check` reads the file.
    text = page.evaluate(KERNEL_RUN, [result["id"], "from kubelab.grading.validate import check\n"
                                                    "_ = check('services-and-kube-proxy.ipynb')"])
    assert "ERROR" not in text, text
    assert "q1-test (2 points) failed" in text
    cells = json.loads((REPO / path).read_text())["cells"]
    total = sum(c["metadata"]["nbgrader"].get("points") or 0 for c in cells if c["cell_type"] == "code"
                and c["metadata"].get("nbgrader", {}).get("grade") and not c["metadata"]["nbgrader"].get("solution"))
    assert total > 0
    assert f"not passed: 0 of {total:g} points from the visible tests" in text
    assert "Traceback" not in text
    # A figure for docs/lite.md: the model's import in Pyodide (networkx and PyYAML stay loaded).
    timing = page.evaluate(KERNEL_RUN, [result["id"], IMPORT_TIME])
    print(f"import kubelab + Cluster() in Pyodide: {timing.strip()} s")
    assert blocked == [], blocked
    assert len(requests) > 50
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requests if urlsplit(u).scheme.startswith("http"))
    print(f"requests: {len(requests)}, none left 127.0.0.1")
