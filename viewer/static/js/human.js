// Playing in a room: join with a name, steer with arrows / WASD / swipes, show the moves still queued for the
// next ticks, the death panel (with respawn in classic rooms), and resume the seat with the stored token after
// a reconnect or a reload.

import { $, isTyping } from "./dom.js";
import { ARROWS, deathWords, ordinal } from "./words.js";

const KEYS = {
  ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right",
  w: "up", s: "down", a: "left", d: "right", W: "up", S: "down", A: "left", D: "right",
};
const QUEUE = 2;
/** Error codes about joining, steering or respawning: shown next to the join form. */
export const SEAT_ERRORS = new Set(["bad_token", "already_playing", "room_full", "not_playing", "bad_move", "no_respawn",
  "bad_name"]);  // the server buffers two moves per human between ticks
const SWIPE_PX = 24;

export class HumanSeat {
  constructor({ roomId, game, send, classic, onChange }) {
    this.roomId = roomId;
    this.game = game;
    this.send = send;
    this.classic = classic;
    this.onChange = onChange;
    this.you = null;
    this.name = "";
    this.queued = [];
    this.deathShownFor = null;
    this.storageKey = `snek-seat:${roomId}`;
    this.els = {
      section: $("#join"), form: $("#join-form"), input: $("#join-name"), playing: $("#playing"), youName: $("#you-name"),
      leave: $("#leave"), error: $("#join-error"), queued: $("#queued"), panel: $("#death-panel"),
      cause: $("#death-cause"), stats: $("#death-stats"), respawn: $("#respawn"), close: $("#death-close"),
    };
    this.els.section.hidden = false;
    this.els.form.addEventListener("submit", (e) => {
      e.preventDefault();
      const name = this.els.input.value.trim();
      if (!name) return;
      this.name = name;
      this.showError(null);
      if (!this.send({ type: "join", name })) this.showError("Not connected: try again in a moment.");
      this.els.input.blur();  // the page keeps the keyboard: arrows steer, they do not move a text caret
    });
    this.els.leave.addEventListener("click", () => this.leave());
    this.els.respawn.addEventListener("click", () => this.respawn());
    this.els.close.addEventListener("click", () => { this.els.panel.hidden = true; });
  }

  get stored() {
    try {
      return JSON.parse(sessionStorage.getItem(this.storageKey) || "null");
    } catch {
      return null;
    }
  }

  /** The socket (re)opened: take our seat back if we had one. */
  resume() {
    const stored = this.stored;
    if (stored && stored.token) this.send({ type: "join", token: stored.token });
  }

  welcome(msg) {
    const stored = this.stored;
    this.you = String(msg.player_id);
    const name = this.name || (stored && stored.name) || this.game.player(this.you).name;
    this.name = name;
    sessionStorage.setItem(this.storageKey, JSON.stringify({ token: msg.token || (stored && stored.token), player_id: this.you, name }));
    this.els.form.hidden = true;
    this.els.playing.hidden = false;
    this.els.youName.textContent = name;
    this.els.panel.hidden = true;
    this.deathShownFor = null;
    this.queued = [];
    this.onChange();
  }

  /** An error about our seat: shown by the join form; a token the server no longer knows is forgotten. */
  error(msg) {
    if (msg.code === "bad_token") {
      sessionStorage.removeItem(this.storageKey);
      this.you = null;
      this.els.form.hidden = false;
      this.els.playing.hidden = true;
      this.onChange();
    }
    this.showError(String(msg.message || msg.code));
  }

  showError(text) {
    this.els.error.hidden = !text;
    this.els.error.textContent = text || "";
  }

  leave() {
    this.send({ type: "leave" });
    sessionStorage.removeItem(this.storageKey);
    this.you = null;
    this.queued = [];
    this.els.form.hidden = false;
    this.els.playing.hidden = true;
    this.els.panel.hidden = true;
    this.onChange();
  }

  respawn() {
    this.els.panel.hidden = true;  // deathShownFor stays: this death is not announced again while we wait
    this.send({ type: "respawn" });
  }

  /** Our snake in the newest frame, if it is alive. */
  mySnake() {
    const last = this.game.frameAt(this.game.lastTurn);
    return this.you && last ? last.snakes.find((s) => s.id === this.you) : null;
  }

  get steering() {
    const snake = this.mySnake();
    return Boolean(snake && snake.alive);
  }

  move(direction) {
    if (!this.steering) return;
    if (this.queued.length >= QUEUE) this.queued.shift();
    this.queued.push(direction);
    this.send({ type: "move", move: direction });
    this.renderQueue();
  }

  /** A new frame arrived: one queued move was used. */
  frame() {
    if (this.queued.length) this.queued.shift();
    this.renderQueue();
  }

  /**
   * Show the death panel while our snake is dead in the newest frame (once per death), hide it when it lives.
   * Decided on the newest frame, not per message, so a backlog replayed after a reconnect shows no old deaths.
   */
  update() {
    const snake = this.mySnake();
    if (!this.you || !snake) return;
    if (snake.alive) {
      this.els.panel.hidden = true;
      return;
    }
    const turn = snake.death && snake.death.turn;
    if (this.deathShownFor === turn) return;
    this.deathShownFor = turn;
    const frame = this.game.frameAt(this.game.lastTurn);
    const place = 1 + frame.snakes.filter((s) => s.alive).length;
    this.els.cause.textContent = `You ${deathWords(snake.death, (id) => this.game.player(id).name)}.`;
    this.els.stats.textContent = `Length ${snake.body.length} · ${ordinal(place)} of ${frame.snakes.length}`;
    this.els.respawn.hidden = !this.classic || Boolean(this.game.result);
    this.els.panel.hidden = false;
  }

  /** The game is over: nobody respawns, nobody joins. */
  finished() {
    this.els.respawn.hidden = true;
    this.els.form.hidden = true;
  }

  renderQueue() {
    const el = this.els.queued;
    el.hidden = !this.queued.length;
    el.textContent = this.queued.length ? `queued ${this.queued.map((m) => ARROWS[m]).join(" ")}` : "";
  }

  /** Arrow keys and WASD steer while we hold a live snake; returns true when the key was ours. */
  key(event) {
    const direction = KEYS[event.key];
    if (!direction || isTyping(event) || !this.steering) return false;
    event.preventDefault();
    this.move(direction);
    return true;
  }

  /** Swipes on the board steer too. */
  installSwipe(element) {
    let start = null;
    element.addEventListener("pointerdown", (e) => { if (this.steering) start = [e.clientX, e.clientY]; });
    element.addEventListener("pointerup", (e) => {
      if (!start) return;
      const dx = e.clientX - start[0];
      const dy = e.clientY - start[1];
      start = null;
      if (Math.max(Math.abs(dx), Math.abs(dy)) < SWIPE_PX) return;
      this.move(Math.abs(dx) > Math.abs(dy) ? (dx > 0 ? "right" : "left") : (dy > 0 ? "down" : "up"));
    });
    element.addEventListener("pointercancel", () => { start = null; });
  }
}
