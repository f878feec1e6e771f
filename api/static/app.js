// The dashboard: the job list and a submit form at "/", one job's live search at
// "/jobs/<id>", the service's pulse at "/service". Real URLs with history.pushState, so
// back and pasted URLs work. No external asset: the page works offline.

import { SearchTree, TreeView } from "/static/tree.js";
import { Pulse, drawCharts } from "/static/service.js";

const $ = (id) => document.getElementById(id);
const KEY = "prover-api-key";
const FINAL = new Set(["proved", "failed", "exhausted", "error", "cancelled"]);
const PAGE = 20; // jobs per page of the list
const PULSE_MS = 3000; // one /v1/metrics read: header, service charts, tasks waiting
const TIMELINE_MAX = 300; // events kept on the page (the newest)

let view = null; // what the page shows now; stop() ends its timers and streams
const pulse = new Pulse();

// --- API -------------------------------------------------------------------------

function apiKey() {
  return sessionStorage.getItem(KEY) || "";
}

function authHeaders() {
  return apiKey() ? { Authorization: `Bearer ${apiKey()}` } : {};
}

/** The JSON body of a /v1 call; ``withResponse``: ``{body, response}``. */
async function api(path, options = {}, withResponse = false) {
  const headers = { ...(options.headers || {}), ...authHeaders() };
  if (options.body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { ...options, headers });
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401) banner("This server needs an API key: enter it above.");
  if (response.status === 429) {
    banner(`Rate limited by the server: retrying in ${response.headers.get("Retry-After")} s.`);
  }
  if (!response.ok) {
    const message = body && body.error ? body.error.message : response.statusText;
    throw new Error(message || `HTTP ${response.status}`);
  }
  return withResponse ? { body, response } : body;
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

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function seconds(s) {
  if (s === null || s === undefined) return "";
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}:${String(Math.floor(s % 60)).padStart(2, "0")} min` : `${(s / 3600).toFixed(1)} h`;
}

// --- The pulse: /v1/metrics, read on every page ----------------------------------------

async function readPulse() {
  let sample;
  try {
    sample = pulse.add(await api("/v1/metrics"));
  } catch (err) {
    $("stats").textContent = `metrics: ${err.message}`;
    return;
  }
  $("stats").textContent = !sample.redisUp ? "Redis does not answer the service" :
    `queued ${sample.queued} · running ${sample.running} · tasks waiting ${sample.tasks} · ` +
    `verify workers ${sample.verifyWorkers}`;
  if ($("c-depth")) $("c-depth").textContent = String(sample.tasks);
  if (!$("service-view").hidden) drawCharts(pulse);
}

// --- Routing -----------------------------------------------------------------------

const ROUTES = /^\/($|jobs\/[^/]+$|service$)/;

function go(path) {
  history.pushState({}, "", path);
  route();
}

function shownJob() {
  const match = location.pathname.match(/^\/jobs\/([^/]+)$/);
  return match ? decodeURIComponent(match[1]) : null;
}

function show(id) {
  for (const section of ["list-view", "job-view", "service-view"]) {
    $(section).hidden = section !== id;
  }
  for (const [nav, section] of [["nav-jobs", "list-view"], ["nav-service", "service-view"]]) {
    if (section === id) $(nav).setAttribute("aria-current", "page");
    else $(nav).removeAttribute("aria-current");
  }
}

function route() {
  if (view) view.stop();
  banner("");
  const id = shownJob();
  if (location.pathname === "/service") view = serviceView();
  else view = id === null ? listView() : jobView(id);
}

function links(root) {
  root.addEventListener("click", (event) => {
    const a = event.target.closest("a[href]");
    if (!a || a.hasAttribute("download") || event.metaKey || event.ctrlKey || event.shiftKey) {
      return;
    }
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !ROUTES.test(url.pathname)) return;
    event.preventDefault();
    go(url.pathname + url.search);
  });
}

// --- Job list ----------------------------------------------------------------------

function listView() {
  show("list-view");
  document.title = "prover";
  const query = new URLSearchParams(location.search);
  $("f-status").value = query.get("status") || "";
  $("f-label").value = query.get("label") || "";
  $("f-name").value = query.get("name") || "";
  const stop = every(4000, refreshList);
  return { stop: () => stop() };
}

function listQuery() {
  const query = new URLSearchParams(location.search);
  const page = Math.max(0, Number(query.get("page") || 0) | 0);
  const params = new URLSearchParams({ limit: String(PAGE), offset: String(page * PAGE) });
  for (const name of ["status", "label", "name"]) {
    if (query.get(name)) params.set(name, query.get(name));
  }
  return { page, params };
}

/** The filters into the URL (so back and a pasted URL keep them), then the list. */
function setFilters(page = 0) {
  const query = new URLSearchParams();
  const fields = { status: $("f-status").value, label: $("f-label").value.trim(),
    name: $("f-name").value.trim() };
  for (const [name, value] of Object.entries(fields)) if (value) query.set(name, value);
  if (page > 0) query.set("page", String(page));
  const search = query.toString();
  history.replaceState({}, "", search ? `/?${search}` : "/");
  refreshList();
}

let listAsked = 0; // answers to older requests (a filter changed since) are dropped

async function refreshList() {
  const { page, params } = listQuery();
  const asked = ++listAsked;
  let answer;
  try {
    answer = await api(`/v1/jobs?${params}`, {}, true);
  } catch (err) {
    banner(`jobs: ${err.message}`);
    return;
  }
  if (asked !== listAsked || $("list-view").hidden) return;
  const jobs = answer.body.jobs;
  const total = Number(answer.response.headers.get("X-Total-Count") || jobs.length);
  const rows = jobs.map((job) => {
    const link = el("a", { href: `/jobs/${encodeURIComponent(job.id)}`, textContent: job.name });
    const cells = [link, badge(job.status), job.label, job.expansions, job.verifier_calls,
      seconds(job.time_s), new Date(job.created * 1000).toLocaleString()];
    const tr = el("tr", {}, ...cells.map((c, i) => el("td", {
      className: [3, 4, 5].includes(i) ? "num" : i === 6 ? "wide" : "",
    }, c instanceof Node ? c : String(c))));
    tr.dataset.job = job.id;
    return tr;
  });
  if (!rows.length) {
    rows.push(el("tr", {}, el("td", { colSpan: 7, className: "hint" }, "No job matches.")));
  }
  $("jobs").tBodies[0].replaceChildren(...rows);
  const first = total ? page * PAGE + 1 : 0;
  $("page-info").textContent = `${first}–${page * PAGE + jobs.length} of ${total}`;
  $("prev").disabled = page === 0;
  $("next").disabled = (page + 1) * PAGE >= total;
}

function badge(status) {
  return el("span", { className: `status ${status}`, textContent: status });
}

async function submit(event) {
  event.preventDefault();
  $("submit-error").textContent = "";
  const spec = { statement: $("statement").value, preamble: $("preamble").value };
  const expansions = $("max-expansions").value;
  if (expansions) spec.budget = { max_expansions: Number(expansions) };
  if ($("label").value.trim()) spec.label = $("label").value.trim();
  try {
    const created = await api("/v1/jobs", { method: "POST", body: JSON.stringify(spec) });
    go(`/jobs/${created.id}`);
  } catch (err) {
    $("submit-error").textContent = err.message;
  }
}

function debounce(ms, fn) {
  let id = 0;
  return () => {
    clearTimeout(id);
    id = setTimeout(fn, ms);
  };
}

// --- One job -----------------------------------------------------------------------

function jobView(id) {
  show("job-view");
  const tree = new SearchTree();
  const timeline = new Timeline($("timeline"));
  // A fresh <svg> (and no canvas) per job: the last job's view keeps its listeners on its own.
  for (const old of document.querySelectorAll(".tree-canvas")) old.remove();
  const svg = $("tree").cloneNode(false);
  $("tree").replaceWith(svg);
  const treeView = new TreeView(svg, tree, {
    onPick: (item) => showDetail(item, treeView),
    onHover: (item, event) => showTip(item, event),
    onChange: (v) => {
      $("zoom-level").textContent =
        `${Math.round(v.k * 100)}% · ${v.stats.inView} in view` + (v.stats.dense ? " · dense" : "");
    },
  });
  const controls = {
    "zoom-in": () => treeView.zoom(1.25),
    "zoom-out": () => treeView.zoom(0.8),
    fit: () => treeView.fit(),
    "expand-all": () => treeView.expandAll(),
  };
  for (const [button, action] of Object.entries(controls)) $(button).onclick = action;
  const resize = () => treeView.changed();
  window.addEventListener("resize", resize);
  resetJob(id);
  let job = null;
  const refresh = async () => {
    try {
      job = await api(`/v1/jobs/${encodeURIComponent(id)}`);
      showJob(job);
    } catch (err) {
      banner(`job ${id}: ${err.message}`);
    }
  };
  const stopPoll = every(3000, () => {
    if (!job || !FINAL.has(job.status)) refresh();
  });
  const events = follow(id, tree, treeView, timeline, refresh);
  $("cancel").onclick = async () => {
    $("cancel").disabled = true;
    try {
      showJob(await api(`/v1/jobs/${encodeURIComponent(id)}`, { method: "DELETE" }));
    } catch (err) {
      banner(`cancel: ${err.message}`);
    } finally {
      $("cancel").disabled = false;
    }
  };
  return {
    stop() {
      window.removeEventListener("resize", resize);
      events.close();
      stopPoll();
      timeline.stop();
    },
  };
}

function resetJob(id) {
  for (const name of ["job-name", "job-label", "job-statement", "job-reason", "proof", "copied"]) {
    $(name).textContent = "";
  }
  $("job-status").replaceWith(Object.assign(badge(""), { id: "job-status" }));
  for (const name of ["c-expansions", "c-nodes", "c-calls"]) $(name).textContent = "0";
  $("c-rate").textContent = "0.0";
  $("cancel").hidden = true;
  $("proof-box").hidden = true;
  $("budget").replaceChildren();
  $("timeline").replaceChildren();
  $("tip").hidden = true;
  $("node-detail").replaceChildren(hint());
  $("export").href = `/v1/feedback/export?job=${encodeURIComponent(id)}&view=raw`;
  $("export").download = `${id}-feedback.jsonl`;
}

function hint() {
  return el("p", { className: "hint", textContent: "Click a node to see its state and tactic." });
}

function showJob(job) {
  if (job.id !== shownJob()) return; // an answer about a job left since
  document.title = `${job.name} · ${job.status} · prover`;
  $("job-name").textContent = job.name;
  $("job-status").replaceWith(Object.assign(badge(job.status), { id: "job-status" }));
  $("job-statement").textContent = job.statement;
  $("job-label").textContent = job.label ? `label: ${job.label}` : "";
  $("job-reason").textContent = job.reason;
  $("cancel").hidden = FINAL.has(job.status);
  $("export").download = `${job.name}-feedback.jsonl`;
  showBudget(job);
  if (job.proof) {
    $("proof").textContent = `${job.statement} := ${job.proof}`;
    $("proof-box").hidden = false;
  }
}

function showBudget(job) {
  const b = job.budget;
  const bars = [
    ["expansions", job.expansions, b.max_expansions, String],
    ["verifier calls", job.verifier_calls, b.max_verifier_calls, String],
    ["time", job.time_s || 0, b.max_seconds, seconds],
  ];
  $("budget").replaceChildren(...bars.map(([name, used, max, fmt]) => {
    const share = Math.min(1, max ? used / max : 0);
    const fill = el("span", { className: "fill" });
    fill.style.width = `${(share * 100).toFixed(1)}%`;
    const bar = el("span", { className: "bar" }, fill);
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", name);
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", String(max));
    bar.setAttribute("aria-valuenow", String(used));
    const row = el("div", { className: "budget-row" },
      el("span", { className: "name", textContent: name }), bar,
      el("span", { className: "used", textContent: `${fmt(used)} / ${fmt(max)}` }));
    row.dataset.budget = name;
    return row;
  }));
}

/** EventSource on the job's events; it resumes by itself after a dropped connection. */
function follow(id, tree, treeView, timeline, refresh) {
  const token = apiKey() ? `?token=${encodeURIComponent(apiKey())}` : "";
  const source = new EventSource(`/v1/jobs/${encodeURIComponent(id)}/events${token}`);
  let frame = 0;
  const redraw = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      treeView.changed();
      counters(tree);
    });
  };
  for (const kind of ["submitted", "started", "node", "expanded", "verdict", "finished"]) {
    source.addEventListener(kind, (event) => {
      const data = JSON.parse(event.data);
      if (tree.apply(kind, data)) redraw();
      timeline.add(kind, data);
      if (kind === "started") refresh();
      if (kind === "finished") {
        source.close();
        refresh();
      }
    });
  }
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) refresh();
  };
  return source;
}

function counters(tree) {
  $("c-expansions").textContent = String(tree.expansions);
  $("c-nodes").textContent = String(tree.states());
  $("c-calls").textContent = String(tree.verdicts);
  $("c-rate").textContent = tree.rate().toFixed(1);
}

/** The job's events, newest first, as they come (drawn once a frame). */
class Timeline {
  constructor(list) {
    this.list = list;
    this.start = null;
    this.pending = [];
    this.frame = 0;
  }

  add(kind, data) {
    if (this.start === null) this.start = data.t;
    this.pending.push(this.entry(kind, data));
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  entry(kind, data) {
    const at = `+${(data.t - this.start).toFixed(1)} s`;
    const texts = {
      submitted: () => "submitted",
      started: () => `started on ${data.coordinator}`,
      node: () => `state #${data.node}, ${goalText(data.state)} ← ${data.tactic || "start"}`,
      expanded: () => `expanded #${data.node}` + (data.open && data.visits ? ` (visit ${data.visits}, tactics left)` : ""),
      verdict: () => (data.merged ? `merged into #${data.child} ← ${data.tactic}`
        : `${data.kind === "confirm" ? "whole proof " : ""}${data.status} ← ${data.tactic}` +
          ` (${Number(data.time_s).toFixed(2)} s)`),
      finished: () => `finished: ${data.status}${data.reason ? `, ${data.reason}` : ""}`,
    };
    const status = kind === "verdict" ? (data.merged ? "merged" : data.status) : kind;
    const li = el("li", { className: `ev ${kind} ${status}` },
      el("span", { className: "at", textContent: at }), " ",
      el("span", { textContent: (texts[kind] || (() => kind))() }));
    return li;
  }

  flush() {
    this.frame = 0;
    this.list.prepend(...this.pending.reverse());
    this.pending = [];
    while (this.list.childElementCount > TIMELINE_MAX) this.list.lastElementChild.remove();
  }

  stop() {
    if (this.frame) cancelAnimationFrame(this.frame);
  }
}

function goalText(state) {
  const n = (state.match(/(^|\n)\s*⊢/g) || []).length;
  return `${n} goal${n === 1 ? "" : "s"}`;
}

function describe(item) {
  if (item.kind === "state") {
    const visits = item.visits ? `, expanded ${item.visits}x` : "";
    return [["State", `#${item.id} (${item.expanded ? "expanded" : "open"}${visits}), ` +
      `${goalText(item.state)}, score ${item.score}`],
    ["Tactic", item.tactic || "(the theorem's start)", true],
    ["Goals", item.state || "no goals", true]];
  }
  const rows = [["Verdict", item.confirmed ? `${item.status}, whole proof ${item.confirmed}`
    : item.status], ["Tactic", item.tactic, true]];
  if (item.status === "merged") rows.push(["Reached", `state #${item.child}, seen before`]);
  if (item.error) rows.push(["Lean said", item.error, true]);
  return rows;
}

function showDetail(item, treeView) {
  const rows = [];
  for (const [label, text, pre] of describe(item)) {
    rows.push(el("h4", { textContent: label }), el(pre ? "pre" : "p", { textContent: text }));
  }
  const buttons = el("p", { className: "actions" });
  if (treeView.tree.kids.has(item.key)) {
    const collapsed = treeView.collapsed.has(item.key);
    const toggle = el("button", { type: "button", id: "toggle-subtree",
      textContent: collapsed ? "Expand subtree" : "Collapse subtree" });
    toggle.onclick = () => {
      treeView.toggle(item.key);
      showDetail(item, treeView);
    };
    buttons.append(toggle);
  }
  if (item.status === "merged" && treeView.tree.items.has(treeView.tree.stateKey(item.child))) {
    const jump = el("button", { type: "button", textContent: `Go to state #${item.child}` });
    jump.onclick = () => treeView.select(treeView.tree.stateKey(item.child));
    buttons.append(jump);
  }
  if (buttons.childElementCount) rows.push(buttons);
  $("node-detail").replaceChildren(...rows);
  $("node-detail").dataset.key = item.key;
  $("tree-said").textContent = describe(item).slice(0, 2).map((r) => r[1]).join(", ");
}

function showTip(item, event) {
  const tip = $("tip");
  if (!item || !event) {
    tip.hidden = true;
    return;
  }
  const rows = describe(item).map(([label, text, pre]) =>
    el("div", {}, el("b", { textContent: `${label} ` }),
      el(pre ? "pre" : "span", { textContent: text })));
  tip.replaceChildren(...rows);
  tip.dataset.key = item.key;
  tip.hidden = false;
  const box = $("tree-box").getBoundingClientRect();
  const x = event.clientX - box.left + 14;
  const y = event.clientY - box.top + 14;
  const left = Math.min(x, box.width - tip.offsetWidth - 4);
  tip.style.left = `${Math.max(4, left)}px`;
  tip.style.top = `${y}px`;
}

async function copyProof() {
  const text = $("proof").textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard API (an insecure origin): copy the selected text the old way.
    const range = document.createRange();
    range.selectNodeContents($("proof"));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    document.execCommand("copy");
  }
  $("copied").textContent = "copied";
  setTimeout(() => {
    $("copied").textContent = "";
  }, 2000);
}

/** With an API key the export needs the Authorization header: fetch, then save. */
async function exportFeedback(event) {
  if (!apiKey()) return; // the link downloads by itself
  event.preventDefault();
  const a = event.currentTarget;
  try {
    const response = await fetch(a.href, { headers: authHeaders() });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const url = URL.createObjectURL(await response.blob());
    const save = el("a", { href: url, download: a.download });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (err) {
    banner(`export: ${err.message}`);
  }
}

// --- The service ---------------------------------------------------------------------

function serviceView() {
  show("service-view");
  document.title = "service · prover";
  $("every").textContent = String(PULSE_MS / 1000);
  drawCharts(pulse);
  return { stop() {} };
}

// --- Start -------------------------------------------------------------------------

$("key").value = apiKey();
$("key").addEventListener("change", () => {
  sessionStorage.setItem(KEY, $("key").value.trim());
  banner("");
  route();
  readPulse();
});
$("submit-form").addEventListener("submit", submit);
$("filters").addEventListener("submit", (event) => event.preventDefault());
$("f-status").addEventListener("change", () => setFilters());
for (const field of ["f-label", "f-name"]) $(field).addEventListener("input", debounce(300, setFilters));
$("prev").addEventListener("click", () => setFilters(Math.max(0, listQuery().page - 1)));
$("next").addEventListener("click", () => setFilters(listQuery().page + 1));
$("copy").addEventListener("click", copyProof);
$("export").addEventListener("click", exportFeedback);
window.addEventListener("resize", () => {
  if (!$("service-view").hidden) drawCharts(pulse);
});
links(document.body);
window.addEventListener("popstate", route);
setInterval(readPulse, PULSE_MS);
readPulse();
route();
