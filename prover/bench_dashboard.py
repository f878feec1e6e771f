"""``prover bench dashboard``: frame times of the dashboard's search tree in Chromium.

The tree's own code (api/static/tree.js, with style.css) is served from this process and
driven in headless Chromium (Playwright) on made-up search trees of a given size: the
whole tree in view, zooming in from there, and panning at 100 %. A frame's time is the
interval between two animation frames with one change of the view each (the drawing,
then Chromium's style, layout and paint); the drawing alone is timed too."""

from __future__ import annotations

import functools
import json
import os
import statistics
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from prover.bench import BenchError, machine, percentile

API = Path(__file__).resolve().parent.parent / "api"
CHROMIUM = Path(os.environ.get("PROVER_CHROMIUM", "/usr/bin/chromium"))

# A made-up search, fed to SearchTree as events: each expanded state gets 2 to 15
# tactics, about 30 % reach a new state (1 to 3 goals), 8 % a state seen before
# (merged), the rest fail. Deterministic for a seed. Shared with tests/test_dashboard.py.
SYNTHETIC_TREE_JS = """
function syntheticTree(SearchTree, n, seed = 1) {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const tactics = ["simp", "omega", "rw [Nat.add_comm]", "intro h",
    "cases h with\\n| inl a => simp", "induction n with\\n| zero => rfl\\n| succ k ih => simp",
    "exact Nat.le_refl _",
    "constructor", "simp_all [Nat.mul_comm, Nat.add_assoc]", "decide", "grind", "aesop"];
  const goal = (k) => `n k : Nat\\nh : n ≤ k + ${k}\\n⊢ n * ${k} ≤ (k + ${k}) * ${k}`;
  const tree = new SearchTree();
  let t = 0;
  tree.apply("node", { node: 0, parent: null, tactic: "", state: goal(0), score: 0, t });
  const open = [0];
  let next = 1;
  while (tree.items.size < n && open.length) {
    const parent = open.splice(Math.floor(rnd() * open.length), 1)[0];
    tree.apply("expanded", { node: parent, t });
    const k = 2 + Math.floor(rnd() * 14);
    for (let i = 0; i < k && tree.items.size < n; i++) {
      t += 0.01;
      const tactic = tactics[Math.floor(rnd() * tactics.length)];
      const r = rnd();
      if (r < 0.3) {
        const goals = 1 + Math.floor(rnd() * 3);
        const state = Array.from({ length: goals }, (_, g) => goal(g + 1)).join("\\n\\n");
        tree.apply("node", { node: next, parent, tactic, state, score: -rnd() * 5, t });
        tree.apply("verdict", { kind: "step", parent, tactic, status: "open", child: next,
          time_s: 0.05, t });
        open.push(next++);
      } else if (r < 0.38 && next > 1) {
        tree.apply("verdict", { kind: "step", parent, tactic, status: "open", merged: true,
          child: Math.floor(rnd() * next), time_s: 0.04, t });
      } else {
        tree.apply("verdict", { kind: "step", parent, tactic, status: "failed",
          error: "unsolved goals", child: null, time_s: 0.03, t });
      }
    }
  }
  return tree;
}
"""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="stylesheet" href="/static/style.css">
</head><body><main><div class="tree-box" id="tree-box">
<svg id="tree" xmlns="http://www.w3.org/2000/svg" tabindex="0"
  style="width: 1200px; height: 700px"></svg></div></main>
<script type="module">
import { SearchTree, TreeView } from "/static/tree.js";
%s
const frame = () => new Promise(requestAnimationFrame);

async function run(view, frames, step) {
  const intervals = [];
  const draws = [];
  let last = await frame();
  for (let i = 0; i < frames; i++) {
    step(i);
    const t0 = performance.now();
    view.render();
    draws.push(performance.now() - t0);
    const now = await frame();
    intervals.push(now - last);
    last = now;
  }
  return { intervals, draws, elements: view.svg.getElementsByTagName("*").length,
    mode: view.svg.dataset.mode };
}

window.measure = async (n, frames) => {
  const svg = document.getElementById("tree");
  let t0 = performance.now();
  const tree = syntheticTree(SearchTree, n, 7);
  const build = performance.now() - t0;
  t0 = performance.now();
  const pos = tree.layout(new Set());
  const layout = performance.now() - t0;
  const view = new TreeView(svg, tree);
  view.request = () => {}; // each frame draws once, here
  view.follow = false;
  view.fit(false);
  view.render();
  const fit = { k: view.k, tx: view.tx, ty: view.ty };
  const out = { n: tree.items.size, states: tree.states(), build, layout, scenarios: {} };
  // The whole tree in view, nudged a pixel a frame: every node drawn (dense).
  out.scenarios.whole = await run(view, frames, (i) => { view.tx = fit.tx + (i %% 2); });
  // From the whole tree to 100 %%, zooming at the deepest node of the best path.
  const target = [...tree.highlighted().keys].map((k) => pos.get(k))
    .sort((a, b) => b.x - a.x)[0];
  const factor = Math.pow(1 / fit.k, 1 / frames);
  out.scenarios.zoom = await run(view, frames, () => {
    const sx = view.tx + target.x * view.k;
    const sy = view.ty + target.y * view.k;
    view.zoomAt(factor, sx, sy);
  });
  // At 100 %%, panning down the tree 12 px a frame: labels, one element a node.
  view.k = 1;
  view.tx = 40;
  view.ty = 0;
  out.scenarios.pan = await run(view, frames, () => { view.ty -= 12; });
  return out;
};
window.made = (n) => syntheticTree(SearchTree, n, 7);
window.TreeView = TreeView;
window.ready = true;
</script></body></html>
"""


class _Handler(SimpleHTTPRequestHandler):
    """The bench page at ``/``, api/static under ``/static``; nothing logged."""

    def do_GET(self) -> None:
        if self.path in ("/", "/index.html"):
            body = (PAGE % SYNTHETIC_TREE_JS).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if not self.path.startswith("/static/"):
            self.send_error(404)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def static_server() -> Iterator[str]:
    handler = functools.partial(_Handler, directory=str(API))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def measure(sizes: list[int], frames: int) -> list[dict[str, Any]]:
    """One result per size (see the page's ``measure``)."""
    if not CHROMIUM.exists():
        raise BenchError(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise BenchError("Playwright is missing: pip install playwright") from None
    with static_server() as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(base)
            page.wait_for_function("window.ready === true")
            return [page.evaluate("([n, f]) => window.measure(n, f)", [n, frames]) for n in sizes]
        finally:
            browser.close()


def bench_dashboard(sizes: list[int], frames: int, as_json: bool) -> None:
    """Print the frame times at each size: a table, or one JSON row a size."""
    results = measure(sizes, frames)
    if as_json:
        for result in results:
            print(json.dumps(result))
        return
    print(f"machine: {machine()}")
    print(f"{frames} frames a scenario, tree drawn in 1200 x 700 px")
    for r in results:
        print(
            f"{r['n']} nodes ({r['states']} states): events applied in {r['build']:.0f} ms, "
            f"layout {r['layout']:.1f} ms"
        )
        for name, s in r["scenarios"].items():
            intervals, draws = s["intervals"], s["draws"]
            print(
                f"  {name:5} ({s['mode']:6}, {s['elements']:5} elements): frame "
                f"p50 {statistics.median(intervals):5.1f} ms, p95 {percentile(intervals, 95):5.1f} "
                f"ms; drawing p50 {statistics.median(draws):5.1f} ms, "
                f"p95 {percentile(draws, 95):5.1f} ms"
            )
