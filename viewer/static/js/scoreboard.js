// The scoreboard beside the board: one row per snake with its colour, name, length, health, latency, status
// (death in words) and its last shout or error. Clicking a row highlights that snake and follows it.

import { h, replace } from "./dom.js";
import { snakeStyle } from "./palette.js";
import { deathWords } from "./words.js";

const LOOKBACK = 25;  // how many turns back the "last shout" is searched

function lastNote(game, frame, id) {
  for (let turn = frame.turn; turn >= game.firstTurn && turn > frame.turn - LOOKBACK; turn -= 1) {
    const s = game.frameAt(turn).snakes.find((x) => x.id === id);
    if (!s) break;
    if (s.error) return { kind: "error", text: String(s.error), turn };
    if (s.shout) return { kind: "shout", text: String(s.shout), turn };
  }
  return null;
}

export class Scoreboard {
  constructor(root, { onSelect }) {
    this.root = root;
    this.rows = new Map();  // id -> {li, parts}: rows are updated in place so a click is never lost mid-redraw
    root.addEventListener("click", (e) => {
      const li = e.target instanceof Element ? e.target.closest("li.snake") : null;
      if (li) onSelect(li.dataset.id);
    });
    root.addEventListener("keydown", (e) => {
      const li = e.target instanceof Element ? e.target.closest("li.snake") : null;
      if (li && e.key === "Enter") { onSelect(li.dataset.id); e.preventDefault(); }
    });
  }

  row(id) {
    let row = this.rows.get(id);
    if (!row) {
      const parts = {
        swatch: h("span", { className: "swatch", "aria-hidden": "true" }),
        name: h("span", { className: "name" }),
        length: h("span", { className: "length", title: "length" }),
        fill: h("span", { className: "fill" }),
        latency: h("span", { className: "latency", title: "latency this turn" }),
        status: h("span", { className: "status" }),
        note: h("span", { className: "note" }),
      };
      parts.health = h("span", { className: "health" }, parts.fill);
      const li = h("li", { className: "snake", tabIndex: 0, role: "button", title: "Highlight and follow this snake" },
        parts.swatch, parts.name, parts.length, parts.health, parts.latency, parts.status, parts.note);
      li.dataset.id = id;
      row = { li, parts };
      this.rows.set(id, row);
    }
    return row;
  }

  render(game, frame, { highlight, you }) {
    if (!frame) {
      this.rows.clear();
      replace(this.root);
      return;
    }
    const nameOf = (id) => game.player(id).name;
    const snakes = [...frame.snakes].sort((a, b) => {
      if (a.alive !== b.alive) return a.alive ? -1 : 1;
      if (!a.alive) return ((b.death && b.death.turn) || 0) - ((a.death && a.death.turn) || 0);
      return game.player(a.id).seat - game.player(b.id).seat;
    });
    const present = new Set();
    snakes.forEach((s, index) => {
      present.add(s.id);
      const player = game.player(s.id);
      const style = snakeStyle(player.seat);
      const { li, parts } = this.row(s.id);
      li.className = `snake${s.alive ? "" : " dead"}${s.id === highlight ? " selected" : ""}`;
      li.setAttribute("aria-pressed", String(s.id === highlight));
      Object.assign(li.dataset, { length: String(s.body.length), health: String(s.health), alive: String(s.alive) });
      parts.swatch.className = `swatch${style.striped ? " striped" : ""}`;
      parts.swatch.style.backgroundColor = style.color;
      replace(parts.name, player.name, s.id === you ? h("span", { className: "you" }, "you") : null);
      parts.length.textContent = String(s.body.length);
      parts.fill.style.width = `${Math.max(0, Math.min(100, s.health))}%`;
      parts.health.title = `health ${s.health}`;
      parts.latency.textContent = typeof s.latency_ms === "number" ? `${Math.round(s.latency_ms)} ms` : "";
      parts.status.textContent = s.alive ? "alive" : deathWords(s.death, nameOf);
      const note = lastNote(game, frame, s.id);
      parts.note.className = `note${note ? ` ${note.kind}` : ""}`;
      parts.note.textContent = note ? `${note.kind === "error" ? "error" : "says"}: ${note.text}` : "";
      if (this.root.children[index] !== li) this.root.insertBefore(li, this.root.children[index] || null);
    });
    for (const [id, row] of this.rows) {
      if (!present.has(id)) {
        row.li.remove();
        this.rows.delete(id);
      }
    }
  }
}
