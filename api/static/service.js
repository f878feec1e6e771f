// The service's pulse: samples of /v1/metrics (the same samples as /metrics) kept in the
// page, and line charts of them in plain SVG.

const KEEP = 200; // samples kept: 10 min at one every 3 s

/** The value of sample ``name`` whose labels include ``labels`` (null when absent). */
export function metric(snapshot, name, labels = {}) {
  const samples = snapshot.metrics[name] || [];
  const hit = samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hit ? Number(hit.value) : null;
}

export class Pulse {
  constructor() {
    this.samples = [];
    this.workers = [];
  }

  /** One snapshot in; the sample it makes (rates come from the previous one). */
  add(snapshot) {
    const calls = metric(snapshot, "prover_verifier_calls_total");
    const prev = this.samples[this.samples.length - 1];
    let rate = null;
    if (prev && calls !== null && prev.calls !== null && snapshot.time > prev.t) {
      // The sum falls when a worker leaves (a counter reset): no rate for that interval.
      rate = calls >= prev.calls ? (calls - prev.calls) / (snapshot.time - prev.t) : null;
    }
    const sample = {
      t: snapshot.time,
      redisUp: metric(snapshot, "prover_redis_up") !== 0,
      calls,
      rate,
      p50: metric(snapshot, "prover_verifier_check_seconds", { quantile: "0.5" }),
      p99: metric(snapshot, "prover_verifier_check_seconds", { quantile: "0.99" }),
      tasks: metric(snapshot, "prover_queue_depth", { queue: "tasks" }) ?? 0,
      jobsWaiting: metric(snapshot, "prover_queue_depth", { queue: "jobs" }) ?? 0,
      running: metric(snapshot, "prover_jobs", { status: "running" }) ?? 0,
      queued: metric(snapshot, "prover_jobs", { status: "queued" }) ?? 0,
      verifyWorkers: metric(snapshot, "prover_workers", { kind: "verify" }) ?? 0,
      searchWorkers: metric(snapshot, "prover_workers", { kind: "search" }) ?? 0,
    };
    this.samples.push(sample);
    if (this.samples.length > KEEP) this.samples.shift();
    const verified = new Map((snapshot.metrics.prover_worker_verified || [])
      .map((s) => [s.labels.worker, Number(s.value)]));
    this.workers = (snapshot.metrics.prover_worker_last_seen_seconds || []).map((s) => ({
      name: s.labels.worker,
      kind: s.labels.kind,
      lastSeen: Number(s.value),
      verified: verified.get(s.labels.worker),
      now: snapshot.time,
    }));
    return sample;
  }
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ESCAPES[c]);

function nice(max) {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= max) return m * step;
  return 10 * step;
}

function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (v === 0) return "0";
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toPrecision(2);
}

/** Lines of ``series`` ({name, cls, key}) over ``samples`` into ``svg``; the last value of
 * each is in the legend and on the element (``data-last``) for tests and screen readers. */
export function lineChart(svg, samples, series) {
  const w = svg.clientWidth || 320;
  const h = svg.clientHeight || 150;
  const pad = { l: 40, r: 8, t: 22, b: 18 };
  const values = samples.flatMap((s) => series.map((x) => s[x.key])).filter((v) => v !== null);
  const top = nice(Math.max(0, ...values));
  const t1 = samples.length ? samples[samples.length - 1].t : 0;
  const span = Math.max(60, samples.length ? t1 - samples[0].t : 60);
  const X = (t) => pad.l + (w - pad.l - pad.r) * (1 - (t1 - t) / span);
  const Y = (v) => pad.t + (h - pad.t - pad.b) * (1 - v / top);
  const out = [];
  for (const f of [0, 0.5, 1]) {
    const y = Y(top * f).toFixed(1);
    out.push(`<line class="grid" x1="${pad.l}" x2="${w - pad.r}" y1="${y}" y2="${y}"/>`,
      `<text class="axis" x="${pad.l - 4}" y="${y}" dy="3" text-anchor="end">${fmt(top * f)}</text>`);
  }
  out.push(`<text class="axis" x="${pad.l}" y="${h - 4}">−${Math.round(span)} s</text>`,
    `<text class="axis" x="${w - pad.r}" y="${h - 4}" text-anchor="end">now</text>`);
  let legendX = pad.l;
  const last = {};
  for (const s of series) {
    let d = "";
    let pen = false;
    for (const sample of samples) {
      const v = sample[s.key];
      if (v === null || v === undefined) {
        pen = false; // a gap, not a line through missing data
        continue;
      }
      d += `${pen ? "L" : "M"}${X(sample.t).toFixed(1)},${Y(v).toFixed(1)}`;
      pen = true;
    }
    const lastSample = samples.length ? samples[samples.length - 1][s.key] : null;
    last[s.key] = lastSample;
    out.push(`<path class="line ${s.cls}" d="${d}"/>`);
    const label = `${s.name} ${fmt(lastSample)}`;
    out.push(`<rect class="key ${s.cls}" x="${legendX}" y="6" width="10" height="4"/>`,
      `<text class="legend" x="${legendX + 13}" y="12">${esc(label)}</text>`);
    legendX += 22 + label.length * 6.2;
  }
  svg.innerHTML = out.join("");
  svg.dataset.points = String(samples.length);
  svg.dataset.last = JSON.stringify(last);
  svg.setAttribute("aria-label", `${svg.getAttribute("aria-label").split(":")[0]}: ` +
    series.map((s) => `${s.name} ${fmt(last[s.key])}`).join(", "));
}

const CHARTS = {
  "chart-rate": [{ name: "checks/s", cls: "a", key: "rate" }],
  "chart-latency": [{ name: "p50", cls: "a", key: "p50" }, { name: "p99", cls: "b", key: "p99" }],
  "chart-queues": [{ name: "tasks waiting", cls: "a", key: "tasks" },
    { name: "jobs waiting", cls: "b", key: "jobsWaiting" }],
  "chart-jobs": [{ name: "running", cls: "a", key: "running" },
    { name: "queued", cls: "b", key: "queued" }],
};

export function drawCharts(pulse) {
  for (const [id, series] of Object.entries(CHARTS)) {
    lineChart(document.getElementById(id), pulse.samples, series);
  }
  const rows = pulse.workers.map((w) => {
    const tr = document.createElement("tr");
    const age = Math.max(0, w.now - w.lastSeen);
    const cells = [w.name, w.kind, w.verified === undefined ? "" : String(w.verified),
      `${age.toFixed(0)} s ago`];
    cells.forEach((text, i) => {
      const td = document.createElement("td");
      td.textContent = text;
      if (i >= 2) td.className = "num";
      tr.append(td);
    });
    tr.dataset.worker = w.name;
    if (age > 30) tr.className = "late";
    return tr;
  });
  if (!rows.length) {
    const td = Object.assign(document.createElement("td"), {
      colSpan: 4, className: "hint", textContent: "No live worker (none beat in the last minute).",
    });
    const tr = document.createElement("tr");
    tr.append(td);
    rows.push(tr);
  }
  document.querySelector("#workers tbody").replaceChildren(...rows);
}
