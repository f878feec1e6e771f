"""The dashboard in a real headless Chromium, against ``serve(..., workers=True)`` (what
``prover serve`` runs) in a process of its own: the real Redis under a key prefix of this
module's, the embedded Lean behind the verifier worker and coordinator threads. Pages
that need no search (API keys, cancel, a tree of thousands of nodes) use a server of
their own without workers, or the tree's code served alone.

Screenshots go to ``$PROVER_SCREENSHOTS`` (docs/images for the docs), else a temporary
directory."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.settings import ApiSettings
from prover.bench import stop_process
from prover.bench_dashboard import static_server
from prover.settings import LeanSettings
from tests.apiserver import REDIS_URL, free_port, redis_prefix, serving, wait_http

pytestmark = pytest.mark.lean

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("PROVER_TEST_CHROMIUM", "/usr/bin/chromium"))
STATEMENT = "theorem dash (n : Nat) : 0 + n = n"
SEARCH_S = 240_000  # ms: Lean's start-up plus the search, on a loaded 2-core machine
LAPTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}

# Counts the tree's nodes (states and verdicts) at every redraw, to see it grow.
COUNT_NODES = """
window.__nodeCounts = [];
new MutationObserver(() => {
  const tree = document.getElementById("tree");
  if (tree) window.__nodeCounts.push(tree.querySelectorAll(".node").length);
}).observe(document, {childList: true, subtree: true});
"""


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = os.environ.get("PROVER_SCREENSHOTS")
    path = Path(where) if where else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


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
            "PROVER_LEAN_PROCESSES": "1",  # one REPL: ~3 GiB less on a shared machine
            "PROVER_LEAN_CACHE_DIR": str(lean.cache_dir),
            # Several pages poll at once here; the limit itself is tested in test_api.
            "PROVER_API_RATE_PER_MINUTE": "100000",
        }
        code = f"from api.serve import serve; serve('127.0.0.1', {port}, workers=True)"
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=os.environ | variables,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so that a stuck server goes with its Lean
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", timeout_s=60)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_process(proc)
            print(log.read_text()[-4000:])
            assert proc.returncode == 0, f"serve exited with {proc.returncode}"


@pytest.fixture(scope="module")
def keyed() -> Iterator[str]:
    """The API and dashboard with the key ``dash-key`` required, on a prefix no worker
    reads: jobs stay queued."""
    settings = ApiSettings(keys=hashlib.sha256(b"dash-key").hexdigest(), rate_per_minute=1e5)
    with redis_prefix() as (redis, keys), serving(create_app(settings, redis, keys)) as url:
        yield url


def no_overflow(page: Any) -> bool:
    """Nothing wider than the viewport (no sideways scrolling on a phone)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def zoom(page: Any) -> float:
    return float(page.locator("svg#tree").get_attribute("data-zoom"))


def settle(page: Any) -> None:
    """Until the next frame is drawn (the tree redraws on animation frames)."""
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def node_at(page: Any, key: str) -> tuple[float, float]:
    box = page.locator(f"svg#tree .node[data-key='{key}']").bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_a_search_is_followed_live_in_the_browser(browser: Any, site: str, shots: Path) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=LAPTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    context.add_init_script(COUNT_NODES)
    outside: list[str] = []
    context.on("request", lambda r: None if r.url.startswith(site) else outside.append(r.url))
    page = context.new_page()
    page.goto(f"{site}/")
    expect(page.locator("#list-view")).to_be_visible()

    # Submitting through the form leads to the job's own URL.
    page.fill("#statement", STATEMENT)
    page.fill("#label", "dash-test")
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
    expect(page.locator("#cancel")).to_be_hidden()

    # The budget as bars, the events as a timeline.
    expect(page.locator("[data-budget='expansions'] .used")).to_contain_text("/ 60")
    expect(page.locator("[data-budget='verifier calls'] .used")).to_contain_text("/ 1000")
    expect(page.locator("#timeline li").first).to_contain_text("finished: proved")
    expect(page.locator("#timeline")).to_contain_text("started on")

    # Tactics on the edges, goals left in the states, the root's goal on hover.
    assert page.locator("svg#tree text.tactic").count() >= 2
    expect(page.locator("svg#tree .node[data-key='n0'] .goals")).to_have_text("1")
    page.mouse.move(*node_at(page, "n0"))
    expect(page.locator("#tip")).to_be_visible()
    expect(page.locator("#tip")).to_contain_text("⊢ 0 + n = n")
    page.screenshot(path=str(shots / "dashboard-job.png"), full_page=True)

    # A clicked node shows its goals and tactic.
    page.locator("svg#tree .node[data-key='n0']").click()
    expect(page.locator("#node-detail")).to_contain_text("⊢ 0 + n = n")
    expect(page.locator("#node-detail")).to_contain_text("the theorem's start")

    # Zoom with the wheel and the keys; drag to pan.
    before = zoom(page)
    page.mouse.move(*node_at(page, "n0"))
    page.mouse.wheel(0, -400)
    expect(page.locator("svg#tree")).not_to_have_attribute("data-zoom", f"{before:.3f}")
    assert zoom(page) > before
    page.locator("svg#tree").focus()
    page.keyboard.press("-")
    page.keyboard.press("-")
    settle(page)
    assert zoom(page) < before * 1.5
    x, y = node_at(page, "n0")
    page.mouse.move(x + 40, y + 40)
    page.mouse.down()
    page.mouse.move(x + 140, y + 90, steps=5)
    page.mouse.up()
    settle(page)
    x2, y2 = node_at(page, "n0")
    assert abs(x2 - x - 100) < 3 and abs(y2 - y - 50) < 3, (x, y, x2, y2)
    page.keyboard.press("0")  # fit
    settle(page)

    # Collapse the root's subtree with Enter (it is selected), expand it all again.
    shown = page.locator("svg#tree .node").count()
    page.keyboard.press("Enter")
    expect(page.locator("svg#tree .node")).to_have_count(1)
    expect(page.locator("svg#tree .node.collapsed .more")).to_have_text(f"+{shown - 1}")
    page.click("#expand-all")
    expect(page.locator("svg#tree .node")).to_have_count(shown)
    # The arrows walk the tree: right goes to the first child.
    page.locator("svg#tree").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#node-detail")).not_to_have_attribute("data-key", "n0")

    # Copy the proof; download this job's feedback.
    page.click("#copy")
    expect(page.locator("#copied")).to_have_text("copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#proof").inner_text() and ":= by" in copied
    rows = _download_feedback(page)
    assert rows and all(r["view"] == "raw" for r in rows)

    # Back: the list, with the job in it, found by label and by name.
    page.go_back()
    expect(page.locator("#list-view")).to_be_visible()
    expect(page.locator(f"#jobs tr[data-job='{job_id}']")).to_contain_text("proved")
    page.fill("#f-label", "dash-test")
    expect(page.locator("#jobs tbody tr")).to_have_count(1)
    expect(page.locator("#page-info")).to_have_text("1–1 of 1")
    page.fill("#f-name", "nothing-like-it")
    expect(page.locator("#jobs tbody")).to_contain_text("No job matches.")
    assert "label=dash-test" in page.url

    # A pasted job URL in a fresh tab rebuilds the finished search from its events.
    pasted = context.new_page()
    pasted.goto(job_url)
    expect(pasted.locator("#job-status")).to_have_text("proved")
    expect(pasted.locator("#proof")).to_contain_text(":= by")
    assert pasted.locator("svg#tree .node.state").count() >= 1
    assert outside == []  # no asset from elsewhere: the dashboard works offline
    context.close()

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    small = phone.new_page()
    small.goto(job_url)
    expect(small.locator("#job-status")).to_have_text("proved")
    small.locator("svg#tree .node.state").first.wait_for()
    assert no_overflow(small)
    small.screenshot(path=str(shots / "dashboard-phone.png"), full_page=True)
    small.goto(f"{site}/")
    expect(small.locator("#jobs tbody tr").first).to_be_visible()
    assert no_overflow(small)
    phone.close()


def _download_feedback(page: Any) -> list[dict[str, Any]]:
    """The export link's rows; the coordinator records a job just after it ends."""
    for _ in range(20):
        with page.expect_download() as info:
            page.click("#export")
        path = info.value.path()
        rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line]
        if rows:
            assert info.value.suggested_filename.endswith("-feedback.jsonl")
            return rows
        time.sleep(0.5)
    return []


def test_the_service_page_charts_move_while_jobs_run(browser: Any, site: str, shots: Path) -> None:
    """21 quick jobs: the checks-per-second chart rises, check times appear, the workers
    are listed with their heartbeat; the list pages through them and filters them."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.goto(f"{site}/service")
    expect(page.locator("#workers tr[data-worker^='verify-']")).to_contain_text("s ago")
    specs = [
        {"statement": f"theorem svc{k} (n : Nat) : n + 0 = n", "label": "svc"} for k in range(21)
    ]
    created = httpx.post(f"{site}/v1/jobs/batch", json={"jobs": specs})
    assert created.status_code == 201, created.text
    ids = [j["id"] for j in created.json()["jobs"]]

    def last(chart: str) -> dict[str, Any]:
        return dict(json.loads(page.locator(f"#{chart}").get_attribute("data-last") or "{}"))

    rates: list[float] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        rates.append(last("chart-rate").get("rate") or 0.0)
        statuses = [httpx.get(f"{site}/v1/jobs/{i}").json()["status"] for i in ids]
        if max(rates) > 0 and all(s == "proved" for s in statuses):
            break
        time.sleep(1)
    assert max(rates) > 0, rates
    assert all(s == "proved" for s in statuses), statuses
    expect(page.locator("#chart-latency")).to_have_attribute("data-last", re.compile('"p50":0?\\.'))
    # The chart gains a point each poll: it may hold two when the jobs end that fast.
    points = re.compile(r"^([3-9]|\d{2,})$")
    expect(page.locator("#chart-rate")).to_have_attribute("data-points", points, timeout=15000)
    page.screenshot(path=str(shots / "dashboard-service.png"), full_page=True)

    # The list: 20 a page, the 21st on the next; a status and a name filter.
    page.click("#nav-jobs")
    page.fill("#f-label", "svc")
    expect(page.locator("#page-info")).to_have_text("1–20 of 21")
    page.click("#next")
    expect(page.locator("#page-info")).to_have_text("21–21 of 21")
    expect(page.locator("#jobs tbody tr")).to_have_count(1)
    expect(page.locator("#jobs tbody")).to_contain_text("svc0")  # the oldest comes last
    page.click("#prev")
    page.select_option("#f-status", "proved")
    page.fill("#f-name", "svc1")
    expect(page.locator("#page-info")).to_have_text("1–11 of 11")  # svc1, svc10..svc19
    page.fill("#f-name", "")
    page.select_option("#f-status", "")
    page.fill("#f-label", "")
    expect(page.locator("#jobs tbody tr").first).to_be_visible()
    page.screenshot(path=str(shots / "dashboard-list.png"))
    context.close()


def test_a_running_search_is_cancelled_from_its_page(browser: Any, site: str) -> None:
    """A false statement with room for 1000 expansions: cancelled while it runs, the job
    ends at once and its tree stops growing."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport=LAPTOP)
    page.goto(f"{site}/")
    page.fill("#statement", "theorem never (a b : Nat) : a * b = a + b + 1")
    page.fill("#max-expansions", "1000")
    page.click("#submit-form button[type=submit]")
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    expect(page.locator("#job-status")).to_have_text("running", timeout=SEARCH_S)
    page.locator("svg#tree .node.state").nth(1).wait_for(timeout=SEARCH_S)
    page.click("#cancel")
    expect(page.locator("#job-status")).to_have_text("cancelled")
    expect(page.locator("#cancel")).to_be_hidden()
    expect(page.locator("#timeline li").first).to_contain_text("finished: cancelled")
    states = page.locator("#c-nodes").inner_text()
    page.wait_for_timeout(1500)
    assert page.locator("#c-nodes").inner_text() == states
    page.close()


def test_an_api_key_is_asked_for_kept_and_used(browser: Any, keyed: str) -> None:
    """With keys on, the page asks for one; once typed it stays for the session, and
    the list, the job page (its events too) and cancel work with it."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.goto(f"{keyed}/")
    expect(page.locator("#banner")).to_contain_text("needs an API key")
    page.fill("#key", "dash-key")
    page.press("#key", "Enter")
    page.locator("#key").blur()
    expect(page.locator("#banner")).to_be_hidden()
    expect(page.locator("#stats")).to_contain_text("queued 0")
    page.reload()
    expect(page.locator("#key")).to_have_value("dash-key")  # kept for the session

    page.fill("#statement", "theorem waits (n : Nat) : n = n")
    page.click("#submit-form button[type=submit]")
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f]{32}$"))
    expect(page.locator("#job-status")).to_have_text("queued")
    expect(page.locator("#timeline")).to_contain_text("submitted")  # events with the key
    page.click("#cancel")
    expect(page.locator("#job-status")).to_have_text("cancelled")
    expect(page.locator("#cancel")).to_be_hidden()
    expect(page.locator("#timeline li").first).to_contain_text("finished: cancelled")
    with page.expect_download() as info:
        page.click("#export")  # fetched with the key, then saved
    assert info.value.suggested_filename == "waits-feedback.jsonl"
    page.click("#back")
    expect(page.locator("#jobs tbody tr")).to_have_count(1)
    expect(page.locator("#jobs tbody")).to_contain_text("cancelled")

    # The keyboard reaches every control of the form, in order.
    page.locator("#statement").focus()
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.type"))
    assert order == ["preamble", "max-expansions", "label", "submit", "f-status"], order
    context.close()


def test_thousands_of_nodes_stay_readable(browser: Any, shots: Path) -> None:
    """A made-up tree of 3000 nodes: fitted, it is painted on the canvas with a handful of
    SVG elements; zoomed in where the pointer is, single nodes are drawn with their
    tactics, and only those in view."""
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    with static_server() as base:
        page.goto(base)
        page.wait_for_function("window.ready === true")
        page.evaluate(
            """() => {
              window.view = new TreeView(document.getElementById("tree"), made(3000));
              view.fit(false);
              view.render();
            }"""
        )
        svg = page.locator("svg#tree")
        assert svg.get_attribute("data-mode") == "dense"
        assert page.evaluate("view.tree.items.size") == 3000
        assert page.locator("svg#tree *").count() < 10
        page.screenshot(path=str(shots / "dashboard-3000-nodes.png"))

        box = svg.bounding_box()
        page.mouse.move(box["x"] + 300, box["y"] + 200)
        for _ in range(40):
            page.mouse.wheel(0, -300)
            if svg.get_attribute("data-mode") == "detail" and zoom(page) >= 0.6:
                break
            page.wait_for_timeout(30)
        assert svg.get_attribute("data-mode") == "detail"
        assert zoom(page) >= 0.6
        drawn = page.locator("svg#tree .node").count()
        assert 0 < drawn <= 150  # what is in view, not the 3000
        assert page.locator("svg#tree text.tactic").count() > 0
        page.screenshot(path=str(shots / "dashboard-3000-zoomed.png"))

        # Pointing at a drawn node finds it (the page's hover and click use this).
        key = page.locator("svg#tree .node").first.get_attribute("data-key")
        x, y = node_at(page, key)
        hit = page.evaluate(
            "([x, y]) => { const b = view.svg.getBoundingClientRect();"
            " return view.hit(x - b.left, y - b.top); }",
            [x, y],
        )
        assert hit == key
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
