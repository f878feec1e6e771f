// The search tree of one job, built from its events, laid out left to right (depth
// across, siblings down, the tactic written on each edge) and drawn as SVG. Only what
// is in view is drawn, and with many nodes in view in less detail, painted on a canvas
// under the SVG instead of an element per node, so thousands stay smooth.

export const DX = 220; // px per depth at zoom 1: room for a tactic on the edge
const ROW_STATE = 28; // px per state without children, at zoom 1
const ROW_LEAF = 18; // and per verdict leaf
const DETAIL_MAX = 150; // more nodes in view than this: painted on a canvas
const LABEL_ZOOM = 0.55; // below this zoom labels are unreadable: not drawn
const ZOOM = [0.002, 4];
const CHAR_PX = 6.4; // width of one character of an edge label (11 px monospace)

export class SearchTree {
  constructor() {
    this.items = new Map(); // key -> item; states are "n<id>", verdict leaves "v<k>"
    this.kids = new Map(); // key -> child items, in arrival order
    this.leaves = 0;
    this.expansions = 0;
    this.verdicts = 0;
    this.times = []; // event times of verdicts, for the rate
    this.proofParent = null; // the state whose tactic closed the proof
    this.finished = null;
    this.version = 0; // bumped at every change of the drawing
  }

  stateKey(id) {
    return `n${id}`;
  }

  add(item) {
    this.items.set(item.key, item);
    if (item.parent !== null) {
      if (!this.kids.has(item.parent)) this.kids.set(item.parent, []);
      this.kids.get(item.parent).push(item);
    }
  }

  /** Apply one event; true when the drawing changed. */
  apply(kind, data) {
    const changed = this.applyOne(kind, data);
    if (changed) this.version += 1;
    return changed;
  }

  applyOne(kind, data) {
    switch (kind) {
      case "node": {
        const key = this.stateKey(data.node);
        if (this.items.has(key)) return false; // replayed after a reconnection
        this.add({
          key,
          kind: "state",
          id: data.node,
          parent: data.parent === null ? null : this.stateKey(data.parent),
          tactic: data.tactic,
          state: data.state,
          goals: goalCount(data.state),
          score: data.score,
          expanded: false,
        });
        return true;
      }
      case "expanded": {
        this.expansions += 1;
        const item = this.items.get(this.stateKey(data.node));
        if (item) {
          item.visits = data.visits;
          // Back on the frontier with its next tactics, at a lower score; else done.
          if (data.open) item.score = data.score;
          else item.expanded = true;
        }
        return true;
      }
      case "verdict":
        this.verdicts += 1;
        this.times.push(data.t);
        return this.addVerdict(data);
      case "finished":
        this.finished = data;
        return true;
      default:
        return false;
    }
  }

  addVerdict(edge) {
    const parent = edge.parent === null ? null : this.stateKey(edge.parent);
    if (edge.kind === "confirm") {
      // The whole proof re-checked: mark the step that found it rather than add a leaf.
      const same = (this.kids.get(parent) || []).find(
        (i) => i.kind === "verdict" && i.tactic === edge.tactic && i.status === "proved" &&
          !i.confirmed,
      );
      if (same) {
        same.confirmed = edge.status;
        if (edge.status === "proved") this.proofParent = parent;
        return true;
      }
    }
    if (edge.status === "open" && !edge.merged) return false; // its state came as a node
    const key = `v${this.leaves++}`;
    this.add({
      key,
      kind: "verdict",
      parent,
      tactic: edge.tactic,
      tactics: edge.tactics,
      status: edge.merged ? "merged" : edge.status,
      error: edge.error || null,
      child: edge.child,
      time_s: edge.time_s,
      confirmed: edge.kind === "confirm" ? edge.status : null,
    });
    if (edge.kind === "confirm" && edge.status === "proved") this.proofParent = parent;
    return true;
  }

  /** Verifier calls per second: over the last 10 s of events while running, else overall. */
  rate() {
    if (this.times.length < 2) return 0;
    const last = this.times[this.times.length - 1];
    if (this.finished) {
      const span = last - this.times[0];
      return span > 0 ? this.times.length / span : 0;
    }
    let recent = 0;
    for (let i = this.times.length - 1; i >= 0 && this.times[i] > last - 10; i--) recent++;
    return recent / 10;
  }

  states() {
    let n = 0;
    for (const item of this.items.values()) if (item.kind === "state") n++;
    return n;
  }

  /** Keys on the path from the root to ``key``. */
  pathTo(key) {
    const path = new Set();
    let item = this.items.get(key);
    while (item) {
      path.add(item.key);
      item = item.parent === null ? null : this.items.get(item.parent);
    }
    return path;
  }

  /** The proved path, or while searching the path to the best open state. */
  highlighted() {
    if (this.proofParent !== null) {
      const path = this.pathTo(this.proofParent);
      for (const item of this.kids.get(this.proofParent) || []) {
        if (item.kind === "verdict" && item.status === "proved" && item.confirmed === "proved") {
          path.add(item.key);
        }
      }
      return { kind: "path", keys: path };
    }
    if (this.finished) return { kind: "none", keys: new Set() };
    let best = null;
    for (const item of this.items.values()) {
      if (item.kind === "state" && !item.expanded && (!best || item.score > best.score)) {
        best = item;
      }
    }
    return { kind: "best", keys: best ? this.pathTo(best.key) : new Set() };
  }

  /** Children in drawing order: states first (by id), then verdict leaves. */
  ordered(key) {
    const mine = this.kids.get(key) || [];
    return [...mine.filter((i) => i.kind === "state"), ...mine.filter((i) => i.kind !== "state")];
  }

  /** Items under ``key``, at any depth. */
  descendants(key) {
    let n = 0;
    const stack = [key];
    while (stack.length) {
      for (const c of this.kids.get(stack.pop()) || []) {
        n++;
        stack.push(c.key);
      }
    }
    return n;
  }

  /** Left-to-right tidy layout in px at zoom 1: x by depth, leaves one row each top to
   * bottom, each parent level with the middle of its children. The children of a key in
   * ``collapsed`` are left out. */
  layout(collapsed) {
    const pos = new Map();
    let next = 0;
    const place = (item, depth) => {
      const mine = collapsed.has(item.key) ? [] : this.ordered(item.key);
      let y;
      if (mine.length === 0) {
        const row = item.kind === "state" ? ROW_STATE : ROW_LEAF;
        y = next + row / 2;
        next += row;
      } else {
        const ys = mine.map((c) => place(c, depth + 1));
        y = (ys[0] + ys[ys.length - 1]) / 2;
      }
      pos.set(item.key, { x: depth * DX, y, item });
      return y;
    };
    for (const item of this.items.values()) {
      if (item.parent === null || !this.items.has(item.parent)) place(item, 0);
    }
    return pos;
  }
}

/** Goals in a pretty-printed state: one turnstile each ("no goals" or empty: 0). */
export function goalCount(state) {
  if (!state) return 0;
  const turnstiles = state.match(/(^|\n)\s*⊢/g);
  return turnstiles ? turnstiles.length : 0;
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ESCAPES[c]);
const r1 = (v) => Math.round(v * 10) / 10;

function classesOf(item, mark, view) {
  const out = ["node", item.kind];
  if (item.kind === "state") out.push(item.expanded ? "expanded" : "open");
  else out.push(item.status);
  if (mark.keys.has(item.key)) out.push(mark.kind);
  if (view.collapsed.has(item.key)) out.push("collapsed");
  if (item.key === view.selected) out.push("selected");
  if (item.key === view.hovered) out.push("hovered");
  return out.join(" ");
}

function dotClass(item, mark) {
  if (mark.keys.has(item.key)) return mark.kind;
  if (item.kind === "state") return item.expanded ? "expanded" : "open";
  return ["proved", "failed", "merged"].includes(item.status) ? item.status : "other";
}

/** Draws a SearchTree into an <svg> that fills its box; pan with drag, wheel or Shift +
 * arrows; zoom with the wheel, pinch or + and -; arrows move the selection; Enter
 * collapses or expands the selected node's subtree; 0 fits the tree in view. */
export class TreeView {
  constructor(svg, tree, { onPick = () => {}, onHover = () => {}, onChange = () => {} } = {}) {
    this.svg = svg;
    this.tree = tree;
    this.onPick = onPick;
    this.onHover = onHover;
    this.onChange = onChange; // after each drawing: the page shows the zoom, say
    this.k = 1;
    this.kxNow = 1;
    this.hNow = 400;
    this.tx = 24;
    this.ty = 24;
    this.follow = true; // fit the tree as it grows, until the user pans or zooms
    this.collapsed = new Set();
    this.collapsedVersion = 0;
    this.selected = null;
    this.hovered = null;
    this.cache = null;
    this.frame = 0;
    this.stats = { drawMs: 0, inView: 0, dense: false };
    this.pointers = new Map();
    this.listen();
  }

  // --- Layout, cached until the tree or the collapsed set changes -------------------

  get laid() {
    const v = `${this.tree.version}/${this.collapsedVersion}`;
    if (!this.cache || this.cache.v !== v) {
      const pos = this.tree.layout(this.collapsed);
      let maxX = 0;
      let maxY = 0;
      for (const p of pos.values()) {
        maxX = Math.max(maxX, p.x);
        maxY = Math.max(maxY, p.y);
      }
      this.cache = { v, pos, mark: this.tree.highlighted(), maxX, maxY };
    }
    return this.cache;
  }

  size() {
    return { w: this.svg.clientWidth || 600, h: this.svg.clientHeight || 400 };
  }

  /** The horizontal scale: the zoom, but never so small that the tree's depth would not
   * fill the width (a search tree is far taller than deep: zoomed out, it is squeezed
   * down, not across), nor above 1.5. */
  get kx() {
    const depth = this.laid.maxX + DX * 0.6;
    const across = Math.min(1, (this.size().w - 48) / depth);
    return Math.max(Math.min(this.k, 1.5), across);
  }

  // --- View changes -------------------------------------------------------------------

  request() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Follow the tree: fit it whenever it changes, until the user moves the view. */
  changed() {
    if (this.follow) this.fit(false);
    this.request();
  }

  fit(byUser = true) {
    const { maxX, maxY } = this.laid;
    const { w, h } = this.size();
    const k = Math.min((w - 48) / (maxX + DX * 0.6), (h - 48) / (maxY + ROW_STATE), 1.2);
    this.k = Math.max(ZOOM[0], Math.min(k, 1.2));
    this.tx = Math.max(24, (w - maxX * this.kx) / 2);
    this.ty = Math.max(24, (h - maxY * this.k) / 2);
    if (byUser) this.follow = true;
    this.request();
  }

  userMoved() {
    this.follow = false;
  }

  zoomAt(factor, sx, sy) {
    const k = Math.max(ZOOM[0], Math.min(ZOOM[1], this.k * factor));
    const kx = this.kx;
    this.ty = sy - (sy - this.ty) * (k / this.k);
    this.k = k;
    this.tx = sx - (sx - this.tx) * (this.kx / kx);
    this.userMoved();
    this.request();
  }

  zoom(factor) {
    const { w, h } = this.size();
    this.zoomAt(factor, w / 2, h / 2);
  }

  pan(dx, dy) {
    this.tx += dx;
    this.ty += dy;
    this.userMoved();
    this.request();
  }

  toggle(key) {
    const item = this.tree.items.get(key);
    if (!item || !this.tree.kids.has(key)) return;
    if (this.collapsed.has(key)) this.collapsed.delete(key);
    else this.collapsed.add(key);
    this.collapsedVersion += 1;
    this.request();
  }

  expandAll() {
    this.collapsed.clear();
    this.collapsedVersion += 1;
    this.request();
  }

  select(key, reveal = true) {
    const item = this.tree.items.get(key);
    if (!item) return;
    this.selected = key;
    // A selected node inside a collapsed subtree opens the way to it.
    for (const k of this.tree.pathTo(key)) {
      if (k !== key && this.collapsed.delete(k)) this.collapsedVersion += 1;
    }
    if (reveal) this.reveal(key);
    this.onPick(item);
    this.request();
  }

  /** Pan so that ``key`` is in view (centred when it was out of it). */
  reveal(key) {
    const p = this.laid.pos.get(key);
    if (!p) return;
    const { w, h } = this.size();
    this.kxNow = this.kx;
    const [sx, sy] = this.screen(p);
    if (sx < 40 || sx > w - 40 || sy < 20 || sy > h - 20) {
      this.tx = w / 2 - p.x * this.kx;
      this.ty = h / 2 - p.y * this.k;
      this.userMoved();
    }
  }

  /** The item drawn nearest the screen point, within its radius and a margin. */
  hit(sx, sy) {
    const x = (sx - this.tx) / this.kx;
    const y = (sy - this.ty) / this.k;
    const reach = Math.max(12, 10 / this.k);
    let best = null;
    let bestD = reach * reach;
    for (const [key, p] of this.laid.pos) {
      const d = (p.x - x) ** 2 + (p.y - y) ** 2;
      if (d < bestD) {
        bestD = d;
        best = key;
      }
    }
    return best;
  }

  // --- Drawing ----------------------------------------------------------------------------

  render() {
    const t0 = performance.now();
    const { pos, mark } = this.laid;
    const { w, h } = this.size();
    this.kxNow = this.kx; // once a drawing: it reads the box's width
    this.hNow = h;
    const { k, kxNow: kx, tx, ty } = this;
    const inView = [];
    for (const p of pos.values()) {
      const sx = tx + p.x * kx;
      const sy = ty + p.y * k;
      if (sy > -30 && sy < h + 30 && sx > -30 && sx < w + DX * kx) inView.push(p);
    }
    const dense = inView.length > DETAIL_MAX;
    if (!dense) this.clearCanvas();
    const parts = dense ? this.denseParts(pos, mark, w, h) : this.detailParts(inView, pos, mark);
    this.svg.innerHTML = parts;
    this.svg.dataset.inView = String(inView.length);
    this.svg.dataset.zoom = k.toFixed(3);
    this.svg.dataset.mode = dense ? "dense" : "detail";
    this.stats = { drawMs: performance.now() - t0, inView: inView.length, dense };
    this.onChange(this);
  }

  screen(p) {
    return [this.tx + p.x * this.kxNow, this.ty + p.y * this.k];
  }

  radius() {
    return Math.max(2.5, Math.min(10, 9 * Math.sqrt(this.k)));
  }

  linkPath(pp, p) {
    const [px, pyFar] = this.screen(pp);
    const [x, y] = this.screen(p);
    // A parent far above or below the view: start the curve at the edge of a band
    // around the view (a path thousands of px long costs more to paint, unseen).
    const band = this.hNow;
    const py = Math.max(-band, Math.min(2 * band, pyFar));
    const mx = r1((px + x) / 2);
    return `M${r1(px)},${r1(py)}C${mx},${r1(py)} ${mx},${r1(y)} ${r1(x)},${r1(y)}`;
  }

  /** One element per node in view, with the tactic on each edge and the goal count in
   * each state. */
  detailParts(inView, pos, mark) {
    const r = this.radius();
    const labels = this.k >= LABEL_ZOOM;
    const room = Math.floor((DX * this.kxNow - 2 * r - 14) / CHAR_PX);
    const links = [];
    const merges = [];
    const texts = [];
    const nodes = [];
    for (const p of inView) {
      const item = p.item;
      const [x, y] = this.screen(p);
      const pp = item.parent === null ? null : pos.get(item.parent);
      if (pp) {
        const on = mark.keys.has(item.key) ? ` ${mark.kind}` : "";
        links.push(`<path class="link${on}" d="${this.linkPath(pp, p)}"/>`);
        if (labels && item.tactic) {
          const text = item.tactic.replace(/\s+/g, " ");
          const shown = text.length > room ? `${text.slice(0, Math.max(1, room - 1))}…` : text;
          const lr = item.kind === "state" ? r : r / 2;
          texts.push(`<text class="tactic ${item.kind}" x="${r1(x - lr - 4)}" y="${r1(y - 4)}"` +
            ` text-anchor="end">${esc(shown)}</text>`);
        }
      }
      if (item.status === "merged" && item.child !== null && item.child !== undefined) {
        const target = pos.get(this.tree.stateKey(item.child));
        if (target) merges.push(`<path class="merge" d="${this.linkPath(p, target)}"/>`);
      }
      nodes.push(this.nodeMarkup(item, x, y, r, mark));
    }
    return `<g class="links">${links.join("")}</g><g class="merges">${merges.join("")}</g>` +
      `<g class="labels">${texts.join("")}</g><g class="nodes">${nodes.join("")}</g>`;
  }

  nodeMarkup(item, x, y, r, mark) {
    const own = item.kind === "state" ? r : r / 2;
    let inner = `<circle r="${r1(own)}"/>`;
    if (item.kind === "state" && r >= 6) {
      inner += `<text class="goals" dy="3.5" text-anchor="middle">${item.goals}</text>`;
    } else if (item.status === "proved" && r >= 6) {
      inner += `<text class="goals" dy="3" text-anchor="middle">✓</text>`;
    }
    if (this.collapsed.has(item.key)) {
      const hidden = this.tree.descendants(item.key);
      inner += `<text class="more" x="${r1(own + 4)}" dy="4">+${hidden}</text>`;
    }
    const label = item.kind === "state"
      ? `state ${item.id}, ${item.goals} goal${item.goals === 1 ? "" : "s"}`
      : `${item.status}: ${item.tactic}`;
    return `<g class="${classesOf(item, mark, this)}" data-key="${item.key}"` +
      ` transform="translate(${r1(x)},${r1(y)})" aria-label="${esc(label)}">${inner}</g>`;
  }

  /** Many nodes in view: links and dots painted on a canvas under the SVG (thousands of
   * SVG shapes cost more to paint than to draw); the SVG keeps only the rings of the
   * selected and the hovered node. */
  denseParts(pos, mark, w, h) {
    const ctx = this.canvasFor(w, h);
    const visible = (x, y) => y > -20 && y < h + 20 && x > -20 && x < w + 20;
    const plain = new Path2D();
    const hot = new Path2D();
    const merges = new Path2D();
    const dots = {};
    const size = Math.max(2, Math.min(18, 18 * Math.sqrt(this.k)));
    const labels = this.k >= LABEL_ZOOM;
    const shown = [];
    for (const p of pos.values()) {
      const item = p.item;
      const [x, y] = this.screen(p);
      const pp = item.parent === null ? null : pos.get(item.parent);
      if (pp) {
        const [px, py] = this.screen(pp);
        if (Math.max(py, y) > -20 && Math.min(py, y) < h + 20 && x > -20 && px < w + 20) {
          const path = mark.keys.has(item.key) ? hot : plain;
          path.moveTo(px, py);
          path.lineTo(x, y);
        }
      }
      if (!visible(x, y)) continue;
      const cls = dotClass(item, mark);
      const leaf = item.kind !== "state";
      const key = leaf ? `${cls} leaf` : cls;
      const r = (leaf ? size * 0.55 : size) / 2;
      const dot = (dots[key] ||= new Path2D());
      if (r < 2) dot.rect(x - r, y - r, 2 * r, 2 * r);
      else {
        dot.moveTo(x + r, y);
        dot.arc(x, y, r, 0, 2 * Math.PI);
      }
      if (labels) shown.push([item, x, y, r]);
      if (item.status === "merged" && item.child !== null && item.child !== undefined) {
        const target = pos.get(this.tree.stateKey(item.child));
        if (target) {
          merges.moveTo(x, y);
          merges.lineTo(...this.screen(target));
        }
      }
    }
    const colors = this.colors();
    ctx.lineWidth = 0.8;
    ctx.strokeStyle = colors.link;
    ctx.stroke(plain);
    if (this.k >= 0.25) {
      // Merges cross the tree: faint, and only once single nodes can be told apart.
      ctx.setLineDash([4, 3]);
      ctx.globalAlpha = 0.5;
      ctx.strokeStyle = colors.merged;
      ctx.stroke(merges);
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
    }
    ctx.lineWidth = 2;
    ctx.strokeStyle = colors[mark.kind] || colors.best;
    ctx.stroke(hot);
    // Highlighted dots last: on top of the others.
    const order = Object.keys(dots).sort((a, b) => (a.startsWith(mark.kind) ? 1 : 0) -
      (b.startsWith(mark.kind) ? 1 : 0));
    for (const key of order) {
      ctx.fillStyle = colors[key.split(" ")[0]] || colors.other;
      ctx.fill(dots[key]);
    }
    this.paintLabels(ctx, shown, colors);
    const out = [];
    for (const key of [this.selected, this.hovered]) {
      const p = key && pos.get(key);
      if (!p) continue;
      const [x, y] = this.screen(p);
      const cls = key === this.selected ? "selected" : "hovered";
      out.push(`<circle class="ring ${cls}" cx="${r1(x)}" cy="${r1(y)}" r="${r1(size)}"/>`);
    }
    return out.join("");
  }

  /** The tactic left of each node, the goal count in each state (as the SVG has them). */
  paintLabels(ctx, shown, colors) {
    const room = Math.floor((DX * this.kxNow - 30) / CHAR_PX);
    ctx.textAlign = "right";
    for (const [item, x, y, r] of shown) {
      if (!item.tactic) continue;
      const text = item.tactic.replace(/\s+/g, " ");
      ctx.font = item.kind === "state" ? "11px ui-monospace, monospace"
        : "10px ui-monospace, monospace";
      ctx.fillStyle = item.kind === "state" ? colors.text : colors.expanded;
      ctx.fillText(text.length > room ? `${text.slice(0, Math.max(1, room - 1))}…` : text,
        x - r - 4, y - 4);
    }
    ctx.textAlign = "center";
    ctx.font = "600 10px system-ui, sans-serif";
    ctx.fillStyle = "#fff";
    for (const [item, x, y, r] of shown) {
      if (item.kind === "state" && r >= 6) ctx.fillText(String(item.goals), x, y + 3.5);
    }
  }

  /** The canvas under the SVG, sized to it (device pixels), cleared. */
  canvasFor(w, h) {
    if (!this.canvas) {
      this.canvas = document.createElement("canvas");
      this.canvas.className = "tree-canvas";
      this.canvas.setAttribute("aria-hidden", "true");
      this.svg.before(this.canvas);
    }
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
      c.style.width = `${w}px`;
      c.style.height = `${h}px`;
    }
    c.style.left = `${this.svg.offsetLeft}px`;
    c.style.top = `${this.svg.offsetTop}px`;
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    this.painted = true;
    return ctx;
  }

  clearCanvas() {
    if (!this.painted) return;
    this.canvas.getContext("2d").clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.painted = false;
  }

  /** The palette of style.css (its custom properties), read once. */
  colors() {
    if (!this.palette) {
      const css = getComputedStyle(document.documentElement);
      const get = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
      this.palette = {
        link: "#c9ced8",
        text: "#3b4252",
        open: get("--open", "#2f6fdb"),
        expanded: get("--expanded", "#8a94a6"),
        best: get("--best", "#e07b00"),
        path: get("--proved", "#1a9b45"),
        proved: get("--proved", "#1a9b45"),
        failed: get("--failed", "#d03434"),
        merged: get("--merged", "#9aa3b5"),
        other: get("--other", "#8e44ad"),
      };
    }
    return this.palette;
  }

  // --- Input ----------------------------------------------------------------------------

  local(event) {
    const box = this.svg.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }

  keyAt(event) {
    const g = event.target.closest && event.target.closest(".node[data-key]");
    if (g) return g.dataset.key;
    return this.hit(...this.local(event));
  }

  listen() {
    const svg = this.svg;
    svg.addEventListener("wheel", (event) => {
      event.preventDefault();
      const [sx, sy] = this.local(event);
      this.zoomAt(Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.0015)), sx, sy);
    }, { passive: false });
    svg.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      svg.setPointerCapture(event.pointerId);
      const [sx, sy] = this.local(event);
      this.pointers.set(event.pointerId, { sx, sy, x0: sx, y0: sy, key: this.keyAt(event) });
    });
    svg.addEventListener("pointermove", (event) => this.moved(event));
    const up = (event) => {
      const p = this.pointers.get(event.pointerId);
      this.pointers.delete(event.pointerId);
      if (!p || event.type === "pointercancel") return;
      const [sx, sy] = this.local(event);
      if (Math.hypot(sx - p.x0, sy - p.y0) < 5 && p.key) this.select(p.key, false);
    };
    svg.addEventListener("pointerup", up);
    svg.addEventListener("pointercancel", up);
    svg.addEventListener("pointerleave", () => this.hover(null, null));
    svg.addEventListener("dblclick", (event) => {
      const key = this.keyAt(event);
      if (key) this.toggle(key);
    });
    svg.addEventListener("keydown", (event) => this.key(event));
  }

  moved(event) {
    const [sx, sy] = this.local(event);
    const p = this.pointers.get(event.pointerId);
    if (!p) {
      this.hover(this.keyAt(event), event);
      return;
    }
    if (this.pointers.size === 2) {
      // Pinch: zoom by the change of the distance between the two pointers.
      const [a, b] = [...this.pointers.values()];
      const before = Math.hypot(a.sx - b.sx, a.sy - b.sy);
      p.sx = sx;
      p.sy = sy;
      const after = Math.hypot(a.sx - b.sx, a.sy - b.sy);
      if (before > 0) this.zoomAt(after / before, (a.sx + b.sx) / 2, (a.sy + b.sy) / 2);
      return;
    }
    this.pan(sx - p.sx, sy - p.sy);
    p.sx = sx;
    p.sy = sy;
  }

  hover(key, event) {
    if (key === this.hovered) {
      if (key) this.onHover(this.tree.items.get(key), event);
      return;
    }
    this.hovered = key;
    this.onHover(key ? this.tree.items.get(key) : null, event);
    this.request();
  }

  /** Arrows walk the tree (left: parent, right: first child, up and down: siblings). */
  key(event) {
    const step = 80;
    const moves = {
      "+": () => this.zoom(1.25),
      "=": () => this.zoom(1.25),
      "-": () => this.zoom(0.8),
      0: () => this.fit(),
      Enter: () => this.selected && this.toggle(this.selected),
      " ": () => this.selected && this.toggle(this.selected),
      Escape: () => {
        this.selected = null;
        this.request();
      },
    };
    if (event.shiftKey && event.key.startsWith("Arrow")) {
      const [dx, dy] = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step],
        ArrowDown: [0, -step] }[event.key];
      this.pan(dx, dy);
    } else if (moves[event.key]) {
      moves[event.key]();
    } else if (event.key.startsWith("Arrow")) {
      this.walk(event.key);
    } else {
      return;
    }
    event.preventDefault();
  }

  walk(direction) {
    const { pos } = this.laid;
    const tree = this.tree;
    const current = this.selected && pos.has(this.selected) ? tree.items.get(this.selected) : null;
    if (!current) {
      const root = tree.items.get(tree.stateKey(0)) || tree.items.values().next().value;
      if (root) this.select(root.key);
      return;
    }
    const siblings = current.parent === null ? [current] : tree.ordered(current.parent);
    const at = siblings.indexOf(current);
    let next = null;
    if (direction === "ArrowLeft") next = current.parent;
    if (direction === "ArrowRight" && !this.collapsed.has(current.key)) {
      next = (tree.ordered(current.key)[0] || {}).key;
    }
    if (direction === "ArrowUp" && at > 0) next = siblings[at - 1].key;
    if (direction === "ArrowDown" && at < siblings.length - 1) next = siblings[at + 1].key;
    if (next) this.select(next);
  }
}
