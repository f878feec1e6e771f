"""The dashboard in a real headless Chromium, against ``serve(..., workers=True)`` (what
``prover serve`` runs) in a process of its own: the real Redis under a key prefix of this
module's, the embedded Lean behind the verifier worker and coordinator threads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from prover.settings import LeanSettings
from tests.apiserver import REDIS_URL, free_port, redis_prefix, wait_http

pytestmark = pytest.mark.lean

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("PROVER_TEST_CHROMIUM", "/usr/bin/chromium"))
STATEMENT = "theorem dash (n : Nat) : 0 + n = n"
SEARCH_S = 240_000  # ms: Lean's start-up plus the search, on a loaded 2-core machine

# Counts the tree's state nodes at every redraw, to see it grow.
COUNT_NODES = """
window.__nodeCounts = [];
new MutationObserver(() => {
  const tree = document.getElementById("tree");
  if (tree) window.__nodeCounts.push(tree.querySelectorAll(".node.state").length);
}).observe(document, {childList: true, subtree: true});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: the tests may run as root, where Chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site(
    browser: Any,
    settings_for: Callable[[str], LeanSettings],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """``serve`` with workers in a subprocess; its log is shown when a test fails."""
    lean = settings_for("wasm")  # installs the embedded runtime when missing
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with redis_prefix() as (_, keys), log.open("w") as out:
        variables = {
            "PROVER_REDIS_URL": REDIS_URL,
            "PROVER_REDIS_PREFIX": keys.prefix,
            "PROVER_REDIS_LINGER_S": "0.1",
            "PROVER_REDIS_POLL_S": "0.05",
            "PROVER_LEAN_PROCESSES": "2",
            "PROVER_LEAN_CACHE_DIR": str(lean.cache_dir),
        }
        code = f"from api.serve import serve; serve('127.0.0.1', {port}, workers=True)"
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=os.environ | variables,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", timeout_s=60)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            code = proc.wait(timeout=120)
            print(log.read_text()[-4000:])
            assert code == 0, f"serve exited with {code}"


def test_a_search_is_followed_live_in_the_browser(browser: Any, site: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()
    context.add_init_script(COUNT_NODES)
    page = context.new_page()
    page.goto(f"{site}/")
    expect(page.locator("#list-view")).to_be_visible()

    # Submitting through the form leads to the job's own URL.
    page.fill("#statement", STATEMENT)
    page.click("#submit-form button[type=submit]")
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    job_url = page.url
    job_id = job_url.rsplit("/", 1)[1]

    # The tree grows as events arrive, and the job ends proved with its proof shown.
    page.locator("svg#tree .node.state").first.wait_for(timeout=SEARCH_S)
    expect(page.locator("#job-status")).to_have_text("proved", timeout=SEARCH_S)
    expect(page.locator("#proof")).to_contain_text(f"{STATEMENT} := by")
    counts = page.evaluate("window.__nodeCounts.filter((n) => n > 0)")
    assert len(set(counts)) >= 2 and counts == sorted(counts), counts
    assert page.locator("svg#tree .node.path").count() >= 2  # the proved path, highlighted
    assert int(page.locator("#c-calls").inner_text()) >= 2

    # A clicked node shows its goals and tactic.
    page.locator("svg#tree .node.state").first.click()
    expect(page.locator("#node-detail")).to_contain_text("⊢ 0 + n = n")
    expect(page.locator("#node-detail")).to_contain_text("the theorem's start")

    # Back: the list, with the job in it.
    page.go_back()
    expect(page.locator("#list-view")).to_be_visible()
    expect(page.locator(f"#jobs tr[data-job='{job_id}']")).to_contain_text("proved")

    # A pasted job URL in a fresh tab rebuilds the finished search from its events.
    pasted = context.new_page()
    pasted.goto(job_url)
    expect(pasted.locator("#job-status")).to_have_text("proved")
    expect(pasted.locator("#proof")).to_contain_text(":= by")
    assert pasted.locator("svg#tree .node.state").count() >= 1
    context.close()


def test_swagger_ui_renders_offline(browser: Any, site: str) -> None:
    """Every asset comes from the server itself: no request leaves the machine."""
    from playwright.sync_api import expect

    page = browser.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(site) else outside.append(r.url))
    page.goto(f"{site}/docs")
    expect(page.locator(".opblock-summary-path", has_text="/v1/jobs").first).to_be_visible()
    assert outside == []
    page.close()
