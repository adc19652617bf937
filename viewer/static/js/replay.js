// The game model the page draws: one header, the frames received so far, the result.
// Replay files, /ws/replays and /ws/rooms all feed the same Game through accept(), so live games and
// replays share one code path. Validation mirrors arena/replay.py: the first problem is reported as one line.

export const FORMAT = "snek-replay/1";

export class ReplayError extends Error {}

const HEADER_KEYS = { format: "string", game_id: "string", ruleset: "string", settings: "object", seed: "number",
  width: "number", height: "number", players: "array" };
const FRAME_KEYS = { turn: "number", food: "array", hazards: "array", snakes: "array" };
const SNAKE_KEYS = { id: "string", body: "array", health: "number", alive: "boolean" };

function kindOf(value) {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  return typeof value;
}

function check(obj, keys, where) {
  for (const [key, kind] of Object.entries(keys)) {
    if (!(key in obj)) throw new ReplayError(`${where}: missing '${key}'`);
    if (kindOf(obj[key]) !== kind) throw new ReplayError(`${where}: '${key}' should be ${kind}, got ${kindOf(obj[key])}`);
  }
}

/** A frame line not parsed yet. */
class RawLine {
  constructor(line, where) {
    this.line = line;
    this.where = where;
  }
}

export class Game {
  constructor() {
    this.header = null;
    this.frames = [];
    this.result = null;
    this.deaths = [];        // sorted by turn: {id, turn, cause, by}
    this.players = new Map(); // id -> {id, name, seat, kind}
    this.maxSnakes = 0;
    this.indexed = 0;        // frames [0, indexed) have had their deaths recorded
  }

  get firstTurn() { return this.frames.length ? this.frames[0].turn : 0; }
  get lastTurn() { return this.frames.length ? this.firstTurn + this.frames.length - 1 : 0; }  // turns are consecutive
  get width() { return this.header.width; }
  get height() { return this.header.height; }
  get wrapped() { return this.header.ruleset.startsWith("wrapped"); }

  frameAt(turn) {
    if (!this.frames.length) return null;
    const i = Math.max(0, Math.min(this.frames.length - 1, Math.round(turn) - this.firstTurn));
    const entry = this.frames[i];
    return entry instanceof RawLine ? this.parseRaw(i) : entry;
  }

  /** Parse and check a frame kept as text (files are parsed on demand, so a big one opens at once). */
  parseRaw(i) {
    const raw = this.frames[i];
    let obj;
    try {
      obj = JSON.parse(raw.line);
    } catch (err) {
      throw new ReplayError(`${raw.where}: not JSON (${err.message.split("\n")[0]})`);
    }
    if (kindOf(obj) !== "object") throw new ReplayError(`${raw.where}: expected a JSON object`);
    if (obj.type !== "frame") {
      const what = obj.type === "result" ? "a result line before the last frame" : `expected a frame, got ${JSON.stringify(obj.type ?? null)}`;
      throw new ReplayError(`${raw.where}: ${what}`);
    }
    this.checkFrame(obj, raw.where, this.firstTurn + i);
    this.frames[i] = obj;
    return obj;
  }

  /**
   * Index the frames in order (parse the ones still text, record deaths) until `deadline` (performance.now()).
   * Returns true when every frame is indexed. Lazily read files call it from idle time.
   */
  indexUntil(deadline = Infinity) {
    while (this.indexed < this.frames.length) {
      if (performance.now() > deadline) return false;
      const frame = this.frameAt(this.firstTurn + this.indexed);
      this.noteFrame(frame, this.indexed ? this.frames[this.indexed - 1] : null);
      this.indexed += 1;
    }
    return true;
  }

  get complete() { return this.indexed === this.frames.length; }

  player(id) {
    let p = this.players.get(id);
    if (!p) {  // a drop-in snake that joined after the header was written
      p = { id, name: id, seat: this.players.size, kind: "human" };
      this.players.set(id, p);
    }
    return p;
  }

  /** Take one message of the replay schema. Returns its type. */
  accept(obj, where = "message") {
    if (kindOf(obj) !== "object") throw new ReplayError(`${where}: expected a JSON object`);
    const kind = obj.type;
    if (this.header === null) {
      if (kind !== "header") throw new ReplayError(`${where}: not a snek replay (first line is not a header)`);
      if (obj.format !== FORMAT) {
        throw new ReplayError(`${where}: unsupported format ${JSON.stringify(obj.format ?? null)} (expected ${FORMAT})`);
      }
      check(obj, HEADER_KEYS, where);
      this.header = obj;
      obj.players.forEach((p, seat) => {
        if (kindOf(p) !== "object" || typeof p.id !== "string") throw new ReplayError(`${where}: players[${seat}] has no id`);
        this.players.set(p.id, { id: p.id, name: String(p.name ?? p.id), seat, kind: String(p.kind ?? "") });
      });
      return kind;
    }
    if (kind === "frame") {
      this.checkFrame(obj, where, this.frames.length ? this.lastTurn + 1 : null);
      this.addFrame(obj);
      return kind;
    }
    if (kind === "result") {
      this.result = obj;
      return kind;
    }
    if (kind === "header") {
      throw new ReplayError(`${where}: a second header`);
    }
    throw new ReplayError(`${where}: unknown line type ${JSON.stringify(kind ?? null)}`);
  }

  checkFrame(obj, where, expected) {
    check(obj, FRAME_KEYS, where);
    if (expected !== null && obj.turn !== expected) {
      throw new ReplayError(`${where}: frame for turn ${obj.turn}, expected turn ${expected}`);
    }
    obj.snakes.forEach((s, i) => {
      if (kindOf(s) !== "object") throw new ReplayError(`${where}: snakes[${i}] is not an object`);
      check(s, SNAKE_KEYS, `${where} snakes[${i}]`);
    });
  }

  addFrame(frame) {
    const prev = this.frames.length ? this.frames[this.frames.length - 1] : null;
    this.frames.push(frame);
    if (this.indexed === this.frames.length - 1) {
      this.noteFrame(frame, prev);
      this.indexed += 1;
    }
  }

  /** Record the deaths, names and size a frame brings, given the frame before it. */
  noteFrame(frame, prev) {
    const wasAlive = new Set(prev ? prev.snakes.filter((s) => s.alive).map((s) => s.id) : []);
    for (const s of frame.snakes) {
      const p = this.player(s.id);
      if (typeof s.name === "string") p.name = s.name;
      if (!s.alive && (wasAlive.has(s.id) || (!prev && s.death))) {
        const d = s.death || {};
        this.deaths.push({ id: s.id, turn: typeof d.turn === "number" ? d.turn : frame.turn,
          cause: d.cause ?? null, by: d.by ?? null });
      }
    }
    for (const event of Array.isArray(frame.events) ? frame.events : []) {
      // A drop-in spawn may carry the name of the human who took the seat.
      if (event && event.kind === "spawn" && typeof event.id === "string" && typeof event.name === "string") {
        this.player(event.id).name = event.name;
      }
    }
    this.maxSnakes = Math.max(this.maxSnakes, frame.snakes.length);
  }

  /** Forget the frames: a reconnecting socket sends the whole backlog again. */
  restart() {
    this.frames = [];
    this.deaths = [];
    this.result = null;
    this.indexed = 0;
  }
}

// ---------- reading text ----------

function* jsonLines(text) {
  let start = 0;
  let number = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    const torn = end === -1;
    if (torn) end = text.length;
    number += 1;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.trim()) yield { number, line, torn };
  }
}

function parseLine(name, entry) {
  try {
    return JSON.parse(entry.line);
  } catch (err) {
    if (entry.torn) return undefined;  // a torn last line from an interrupted write: keep the readable prefix
    throw new ReplayError(`${name} line ${entry.number}: not JSON (${err.message.split("\n")[0]})`);
  }
}

/**
 * Read a snek-replay/1 text or a game written by Battlesnake's CLI (`battlesnake play --output`). Our own
 * files are read lazily: the header, the first and last frames and the result are checked at once, the other
 * frames are parsed when first shown or by game.indexUntil() in idle time, so a big file opens at once.
 */
export function parseGameText(text, name = "file") {
  const entries = [...jsonLines(text)];
  if (!entries.length) throw new ReplayError(`${name}: empty file, not a replay`);
  const where = (entry) => `${name} line ${entry.number}`;
  const head = parseLine(name, entries[0]);
  if (head === undefined) throw new ReplayError(`${name}: not a replay (its only line is not JSON)`);
  if (kindOf(head) === "object" && head.type === undefined && "ruleset" in head && "id" in head) {
    return readEagerly(new BattlesnakeCliReader(name), head, entries, name);
  }
  const game = new Game();
  game.accept(head, where(entries[0]));
  let body = entries.slice(1);
  // The end: a torn last line is dropped (an interrupted write); a result line closes the game.
  while (body.length) {
    const last = body[body.length - 1];
    const obj = parseLine(name, last);
    if (obj === undefined) { body = body.slice(0, -1); continue; }
    if (kindOf(obj) === "object" && obj.type === "result") {
      game.accept(obj, where(last));
      body = body.slice(0, -1);
    }
    break;
  }
  if (!body.length) throw new ReplayError(`${name}: header but no frames`);
  game.accept(parseLine(name, body[0]), where(body[0]));
  for (let i = 1; i < body.length; i += 1) {
    game.frames.push(new RawLine(body[i].line, where(body[i])));
  }
  if (body.length > 1) game.frameAt(game.lastTurn);  // the last frame is checked now: the end must be sound
  return game;
}

function readEagerly(game, head, entries, name) {
  game.accept(head, `${name} line ${entries[0].number}`);
  for (const entry of entries.slice(1)) {
    const where = `${name} line ${entry.number}`;
    if (game.result !== null) throw new ReplayError(`${where}: data after the result line`);
    const obj = parseLine(name, entry);
    if (obj === undefined) break;
    game.accept(obj, where);
  }
  if (!game.frames.length) throw new ReplayError(`${name}: header but no frames`);
  return game;
}

/** Bytes of a file (maybe gzip) as text; a clear error for anything that is not. */
export async function decodeBytes(bytes, name = "file") {
  const gz = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (gz) {
    try {
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (err) {
      // A gzip stream cut short still holds complete lines; DecompressionStream cannot give the prefix back.
      throw new ReplayError(`${name}: not a readable gzip file (${err.message})`);
    }
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ReplayError(`${name}: not a replay (not UTF-8 text)`);
  }
}

export async function readGameFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return parseGameText(await decodeBytes(bytes, file.name), file.name);
}

// ---------- Battlesnake CLI games ----------

function xy(point, where) {
  if (kindOf(point) !== "object" || typeof point.x !== "number" || typeof point.y !== "number") {
    throw new ReplayError(`${where}: a point should be {"x": .., "y": ..}`);
  }
  return [point.x, point.y];
}

/**
 * Battlesnake's CLI writes its Game object, then one /move request body per turn (only live snakes on the
 * board), then {winnerId, winnerName, isDraw}. A snake missing from a turn was eliminated on it; the CLI
 * does not record why, so the death cause stays unknown.
 */
class BattlesnakeCliReader extends Game {
  constructor(name) {
    super();
    this.name = name;
    this.lastBody = new Map();
  }

  accept(obj, where) {
    if (kindOf(obj) !== "object") throw new ReplayError(`${where}: expected a JSON object`);
    if (this.header === null) {
      const ruleset = obj.ruleset && typeof obj.ruleset === "object" ? obj.ruleset : {};
      this.header = { type: "header", format: FORMAT, game_id: String(obj.id), ruleset: String(ruleset.name ?? "standard"),
        settings: ruleset.settings ?? {}, seed: 0, width: 0, height: 0, players: [], source: "battlesnake-cli" };
      return "header";
    }
    if ("winnerId" in obj || "isDraw" in obj) {
      this.result = { type: "result", turns: this.lastTurn, winner: obj.isDraw ? null : (obj.winnerId || null) };
      return "result";
    }
    if (kindOf(obj.board) !== "object" || typeof obj.turn !== "number") {
      throw new ReplayError(`${where}: not a Battlesnake game state (no board or turn)`);
    }
    const board = obj.board;
    if (!this.frames.length) {
      this.header.width = board.width;
      this.header.height = board.height;
    }
    if (!Array.isArray(board.snakes)) throw new ReplayError(`${where}: board.snakes should be a list`);
    const seen = new Set();
    const snakes = [];
    for (const [i, s] of board.snakes.entries()) {
      if (kindOf(s) !== "object" || !Array.isArray(s.body)) throw new ReplayError(`${where}: snakes[${i}] has no body`);
      const id = String(s.id);
      if (!this.players.has(id)) {
        if (this.frames.length) throw new ReplayError(`${where}: snake ${id} appears after the first turn`);
        this.players.set(id, { id, name: String(s.name ?? id), seat: this.players.size, kind: "battlesnake" });
        this.header.players.push({ id, name: String(s.name ?? id), kind: "battlesnake" });
      }
      seen.add(id);
      const body = s.body.map((p, j) => xy(p, `${where} snakes[${i}].body[${j}]`));
      this.lastBody.set(id, body);
      const latency = Number.parseFloat(s.latency);
      snakes.push({ id, body, health: Number(s.health) || 0, alive: true, death: null, move: null,
        latency_ms: Number.isFinite(latency) ? latency : null, error: null, shout: s.shout ? String(s.shout) : null });
    }
    const prev = this.frames.length ? this.frames[this.frames.length - 1] : null;
    for (const id of this.players.keys()) {
      if (seen.has(id)) continue;
      const before = prev && prev.snakes.find((s) => s.id === id);
      const death = before && before.death ? before.death : { cause: null, turn: obj.turn, by: null };
      snakes.push({ id, body: this.lastBody.get(id) || [], health: 0, alive: false,
        death, move: null, latency_ms: null, error: null });
    }
    const order = [...this.players.keys()];
    snakes.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
    const food = (board.food || []).map((p, j) => xy(p, `${where} food[${j}]`));
    const hazards = (board.hazards || []).map((p, j) => xy(p, `${where} hazards[${j}]`));
    const frame = { type: "frame", turn: obj.turn, food, hazards, snakes };
    if (this.frames.length && obj.turn !== this.lastTurn + 1) {
      throw new ReplayError(`${where}: frame for turn ${obj.turn}, expected turn ${this.lastTurn + 1}`);
    }
    this.addFrame(frame);
    return "frame";
  }
}
