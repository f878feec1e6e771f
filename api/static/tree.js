// The search tree of one job, built from its events and drawn as SVG.
// States are the nodes the search reached; each verified tactic that led to no new
// state (failed, proved, merged, ...) is drawn as a small leaf under its parent.

const SVG = "http://www.w3.org/2000/svg";
const DX_STATE = 28; // horizontal room of a state without children
const DX_LEAF = 12; // and of a verdict leaf
const DY = 56; // vertical room per depth
const PAD = 16;

export class SearchTree {
  constructor() {
    this.items = new Map(); // key -> item; states are "n<id>", verdict leaves "v<k>"
    this.leaves = 0;
    this.expansions = 0;
    this.verdicts = 0;
    this.times = []; // event times of verdicts, for the rate
    this.proofParent = null; // the state whose tactic closed the proof
    this.finished = null;
  }

  stateKey(id) {
    return `n${id}`;
  }

  /** Apply one event; true when the drawing changed. */
  apply(kind, data) {
    switch (kind) {
      case "node":
        this.items.set(this.stateKey(data.node), {
          key: this.stateKey(data.node),
          kind: "state",
          id: data.node,
          parent: data.parent === null ? null : this.stateKey(data.parent),
          tactic: data.tactic,
          state: data.state,
          score: data.score,
          expanded: false,
        });
        return true;
      case "expanded": {
        this.expansions += 1;
        const item = this.items.get(this.stateKey(data.node));
        if (item) item.expanded = true;
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
      const same = [...this.items.values()].find(
        (i) => i.kind === "verdict" && i.parent === parent && i.tactic === edge.tactic &&
          i.status === "proved" && !i.confirmed,
      );
      if (same) {
        same.confirmed = edge.status;
        if (edge.status === "proved") this.proofParent = parent;
        return true;
      }
    }
    if (edge.status === "open" && !edge.merged) return false; // its state came as a node
    const key = `v${this.leaves++}`;
    this.items.set(key, {
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
    const recent = this.times.filter((t) => t > last - 10).length;
    return recent / 10;
  }

  children() {
    const out = new Map();
    for (const item of this.items.values()) {
      if (item.parent === null) continue;
      if (!out.has(item.parent)) out.set(item.parent, []);
      out.get(item.parent).push(item);
    }
    return out;
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
      for (const item of this.items.values()) {
        if (item.kind === "verdict" && item.parent === this.proofParent &&
            item.status === "proved" && item.confirmed === "proved") path.add(item.key);
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

  /** Tidy layout: leaves left to right (verdict leaves narrower than states), each
   * parent centred over its children; x in pixels, y in depths. */
  layout() {
    const kids = this.children();
    const pos = new Map();
    let next = 0;
    const place = (item, depth) => {
      const mine = kids.get(item.key) || [];
      let x;
      if (mine.length === 0) {
        const width = item.kind === "state" ? DX_STATE : DX_LEAF;
        x = next + width / 2;
        next += width;
      } else {
        const xs = mine.map((c) => place(c, depth + 1));
        x = (xs[0] + xs[xs.length - 1]) / 2;
      }
      pos.set(item.key, { x, depth });
      return x;
    };
    for (const item of this.items.values()) {
      if (item.parent === null || !this.items.has(item.parent)) place(item, 0);
    }
    return pos;
  }
}

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

/** Redraw ``tree`` into ``svg``; ``onPick(item)`` on a click; ``selected``: a key.
 * Returns the root's x, or null while there is no tree. */
export function draw(svg, tree, onPick, selected) {
  const pos = tree.layout();
  const mark = tree.highlighted();
  let width = 0;
  let height = 0;
  for (const p of pos.values()) {
    width = Math.max(width, p.x);
    height = Math.max(height, p.depth * DY);
  }
  svg.replaceChildren();
  svg.setAttribute("width", width + 2 * PAD);
  svg.setAttribute("height", height + 2 * PAD);
  const at = (key) => {
    const p = pos.get(key);
    return [PAD + p.x, PAD + p.depth * DY];
  };
  const links = el("g", {}, svg);
  const nodes = el("g", {}, svg);
  for (const item of tree.items.values()) {
    if (!pos.has(item.key)) continue;
    const [x, y] = at(item.key);
    if (item.parent !== null && pos.has(item.parent)) {
      const [px, py] = at(item.parent);
      const on = mark.keys.has(item.key) ? ` ${mark.kind}` : "";
      el("path", { d: `M${px},${py} C${px},${(py + y) / 2} ${x},${(py + y) / 2} ${x},${y}`,
        class: `link${on}` }, links);
    }
    drawItem(nodes, item, x, y, mark, selected, onPick);
  }
  const root = pos.get(tree.stateKey(0));
  return root ? PAD + root.x : null;
}

function drawItem(parent, item, x, y, mark, selected, onPick) {
  const classes = ["node", item.kind];
  if (item.kind === "state") classes.push(item.expanded ? "expanded" : "open");
  else classes.push(item.status);
  if (mark.keys.has(item.key)) classes.push(mark.kind);
  if (item.key === selected) classes.push("selected");
  const g = el("g", { class: classes.join(" "), "data-key": item.key,
    transform: `translate(${x},${y})` }, parent);
  el("circle", { r: item.kind === "state" ? 9 : 4.5 }, g);
  if (item.kind === "state") {
    const label = el("text", { "text-anchor": "middle", dy: 3 }, g);
    label.textContent = String(item.id);
  }
  const title = el("title", {}, g);
  title.textContent = item.tactic || "(start)";
  g.addEventListener("click", () => onPick(item));
}
