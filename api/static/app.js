// The dashboard: a job list with a submit form at "/", one job's live search at
// "/jobs/<id>". Real URLs with history.pushState, so back and pasted URLs work.

import { SearchTree, draw } from "/static/tree.js";

const $ = (id) => document.getElementById(id);
const KEY = "prover-api-key";
const FINAL = new Set(["proved", "failed", "exhausted", "error", "cancelled"]);

let view = null; // what the page shows now; stop() ends its timers and streams

// --- API -------------------------------------------------------------------------

function apiKey() {
  return sessionStorage.getItem(KEY) || "";
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (apiKey()) headers.Authorization = `Bearer ${apiKey()}`;
  if (options.body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { ...options, headers });
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401) banner("This server needs an API key: enter it above.");
  if (!response.ok) {
    const message = body && body.error ? body.error.message : response.statusText;
    throw new Error(message || `HTTP ${response.status}`);
  }
  return body;
}

function banner(text) {
  $("banner").textContent = text || "";
  $("banner").hidden = !text;
}

function every(ms, fn) {
  fn();
  const id = setInterval(fn, ms);
  return () => clearInterval(id);
}

async function refreshStats() {
  try {
    const s = await api("/v1/stats");
    $("stats").textContent =
      `queued ${s.queued} · running ${s.running} · proved ${s.proved} · ` +
      `tasks waiting ${s.tasks_waiting} · verify workers ${s.verify_workers}`;
    if ($("c-depth")) $("c-depth").textContent = String(s.tasks_waiting);
  } catch (err) {
    $("stats").textContent = `stats: ${err.message}`;
  }
}

// --- Routing -----------------------------------------------------------------------

function go(path) {
  history.pushState({}, "", path);
  route();
}

function shownJob() {
  const match = location.pathname.match(/^\/jobs\/([^/]+)$/);
  return match ? decodeURIComponent(match[1]) : null;
}

function route() {
  if (view) view.stop();
  banner("");
  const id = shownJob();
  view = id === null ? listView() : jobView(id);
}

function links(root) {
  root.addEventListener("click", (event) => {
    const a = event.target.closest("a[href^='/']");
    if (!a || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    go(a.getAttribute("href"));
  });
}

// --- Job list ----------------------------------------------------------------------

function listView() {
  $("list-view").hidden = false;
  $("job-view").hidden = true;
  document.title = "prover";
  const stop = every(4000, refreshList);
  return { stop: () => stop() };
}

async function refreshList() {
  let jobs;
  try {
    jobs = (await api("/v1/jobs?limit=50")).jobs;
  } catch (err) {
    banner(`jobs: ${err.message}`);
    return;
  }
  const rows = jobs.map((job) => {
    const tr = document.createElement("tr");
    tr.dataset.job = job.id;
    const a = document.createElement("a");
    a.href = `/jobs/${encodeURIComponent(job.id)}`;
    a.textContent = job.name;
    const cells = [a, badge(job.status), job.expansions, job.verifier_calls,
      job.time_s === null ? "" : `${job.time_s.toFixed(1)} s`,
      new Date(job.created * 1000).toLocaleTimeString()];
    for (const c of cells) {
      const td = document.createElement("td");
      td.append(c instanceof Node ? c : String(c));
      tr.append(td);
    }
    return tr;
  });
  $("jobs").tBodies[0].replaceChildren(...rows);
}

function badge(status) {
  const span = document.createElement("span");
  span.className = `status ${status}`;
  span.textContent = status;
  return span;
}

async function submit(event) {
  event.preventDefault();
  $("submit-error").textContent = "";
  const spec = { statement: $("statement").value, preamble: $("preamble").value };
  const expansions = $("max-expansions").value;
  if (expansions) spec.budget = { max_expansions: Number(expansions) };
  try {
    const created = await api("/v1/jobs", { method: "POST", body: JSON.stringify(spec) });
    go(`/jobs/${created.id}`);
  } catch (err) {
    $("submit-error").textContent = err.message;
  }
}

// --- One job -----------------------------------------------------------------------

function jobView(id) {
  $("list-view").hidden = true;
  $("job-view").hidden = false;
  const tree = new SearchTree();
  let selected = null;
  let frame = 0;
  let centre = true; // keep the root in view until the user scrolls the tree
  const box = $("tree").parentElement;
  const letGo = () => {
    centre = false;
  };
  for (const kind of ["wheel", "pointerdown", "touchstart", "keydown"]) {
    box.addEventListener(kind, letGo, { once: true });
  }
  const pick = (item) => {
    selected = item.key;
    showDetail(item);
    redraw();
  };
  const redraw = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      const rootX = draw($("tree"), tree, pick, selected);
      if (centre && rootX !== null) box.scrollLeft = Math.max(0, rootX - box.clientWidth / 2);
      counters(tree);
    });
  };
  resetJob();
  loadJob(id);
  const events = follow(id, tree, redraw);
  const stopStats = every(3000, refreshStats);
  $("cancel").onclick = () => api(`/v1/jobs/${id}`, { method: "DELETE" }).then(showJob, alert);
  return {
    stop() {
      for (const kind of ["wheel", "pointerdown", "touchstart", "keydown"]) {
        box.removeEventListener(kind, letGo);
      }
      events.close();
      stopStats();
      if (frame) cancelAnimationFrame(frame);
    },
  };
}

function resetJob() {
  for (const id of ["job-name", "job-status", "job-statement", "job-reason", "proof"]) {
    $(id).textContent = "";
  }
  for (const id of ["c-expansions", "c-nodes", "c-calls"]) $(id).textContent = "0";
  $("c-rate").textContent = "0.0";
  $("cancel").hidden = true;
  $("proof-box").hidden = true;
  $("tree").replaceChildren();
  $("node-detail").replaceChildren(hint());
}

function hint() {
  const p = document.createElement("p");
  p.className = "hint";
  p.textContent = "Click a node to see its state and tactic.";
  return p;
}

async function loadJob(id) {
  try {
    showJob(await api(`/v1/jobs/${encodeURIComponent(id)}`));
  } catch (err) {
    banner(`job ${id}: ${err.message}`);
  }
}

function showJob(job) {
  if (job.id !== shownJob()) return; // an answer about a job left since
  document.title = `${job.name} · ${job.status} · prover`;
  $("job-name").textContent = job.name;
  $("job-status").replaceWith(Object.assign(badge(job.status), { id: "job-status" }));
  $("job-statement").textContent = job.statement;
  $("job-reason").textContent = job.reason;
  $("cancel").hidden = FINAL.has(job.status);
  if (job.proof) {
    $("proof").textContent = `${job.statement} := ${job.proof}`;
    $("proof-box").hidden = false;
  }
}

/** EventSource on the job's events; it resumes by itself after a dropped connection. */
function follow(id, tree, redraw) {
  const token = apiKey() ? `?token=${encodeURIComponent(apiKey())}` : "";
  const source = new EventSource(`/v1/jobs/${encodeURIComponent(id)}/events${token}`);
  for (const kind of ["submitted", "started", "node", "expanded", "verdict", "finished"]) {
    source.addEventListener(kind, (event) => {
      if (tree.apply(kind, JSON.parse(event.data))) redraw();
      if (kind === "started") loadJob(id);
      if (kind === "finished") {
        source.close();
        loadJob(id);
      }
    });
  }
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) loadJob(id);
  };
  return source;
}

function counters(tree) {
  $("c-expansions").textContent = String(tree.expansions);
  $("c-nodes").textContent = String([...tree.items.values()].filter((i) => i.kind === "state").length);
  $("c-calls").textContent = String(tree.verdicts);
  $("c-rate").textContent = tree.rate().toFixed(1);
}

function showDetail(item) {
  const box = $("node-detail");
  const rows = [];
  const add = (label, text, pre = false) => {
    const h = document.createElement("h4");
    h.textContent = label;
    const body = document.createElement(pre ? "pre" : "p");
    body.textContent = text;
    rows.push(h, body);
  };
  if (item.kind === "state") {
    add("State", `#${item.id} (${item.expanded ? "expanded" : "open"}), score ${item.score}`);
    add("Tactic", item.tactic || "(the theorem's start)", true);
    add("Goals", item.state, true);
  } else {
    add("Verdict", item.confirmed ? `${item.status}, whole proof ${item.confirmed}` : item.status);
    add("Tactic", item.tactic, true);
    if (item.status === "merged") add("Reached", `state #${item.child}, seen before`);
    if (item.error) add("Lean said", item.error, true);
  }
  box.replaceChildren(...rows);
  box.dataset.key = item.key;
}

// --- Start -------------------------------------------------------------------------

$("key").value = apiKey();
$("key").addEventListener("change", () => {
  sessionStorage.setItem(KEY, $("key").value.trim());
  banner("");
  route();
});
$("submit-form").addEventListener("submit", submit);
links(document.body);
window.addEventListener("popstate", route);
every(5000, () => {
  if (!$("list-view").hidden) refreshStats();
});
route();
