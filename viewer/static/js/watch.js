// The watch page /watch/<room-or-replay-id>?turn=N&speed=S: live rooms and stored replays through one code
// path (the same socket messages feed the same Game), plus local files opened in the browser.

import { BoardView } from "./board.js";
import { GameSocket } from "./connection.js";
import { $, api, h, isTyping, replace } from "./dom.js";
import { installDrop, loadStashedFile, readLocalFile, stashLocalFile } from "./files.js";
import { installHelp } from "./help.js";
import { HumanSeat, SEAT_ERRORS } from "./human.js";
import { Player, SPEEDS } from "./player.js";
import { Game, parseGameText, ReplayError } from "./replay.js";
import { Scoreboard } from "./scoreboard.js";
import { rulesWords } from "./words.js";

const URL_EVERY_MS = 300;  // the address bar follows the turn, at most this often

const els = {
  title: $("#title"), live: $("#live-badge"), connection: $("#connection"), message: $("#message"),
  turn: $("#turn"), lastTurn: $("#last-turn"), ruleset: $("#ruleset"), canvas: $("#board"), box: $("#board-box"),
  play: $("#play"), goLive: $("#go-live"), speed: $("#speed"), animate: $("#animate"), scrub: $("#scrub"),
  marks: $("#death-marks"), scoreboard: $("#scoreboard"), result: $("#result"), controls: $("#controls"),
  fileInput: $("#file-input"), dropHint: $("#drop-hint"),
};

const sourceId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const params = new URLSearchParams(location.search);
let pendingTurn = params.has("turn") && /^\d+$/.test(params.get("turn")) ? Number(params.get("turn")) : null;

let game = new Game();
let player = new Player(game);
let socket = null;
let human = null;
let highlight = null;
let uiDirty = true;
let lastUrlUpdate = 0;
let marksKey = "";
const board = new BoardView(els.canvas);
const scoreboard = new Scoreboard(els.scoreboard, {
  onSelect: (id) => { highlight = highlight === id ? null : id; player.changed(); },
});

const storedAnimate = localStorage.getItem("snek-animate");
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
els.animate.checked = storedAnimate === null ? !reducedMotion : storedAnimate === "1";

function bindPlayer(p) {
  p.animate = els.animate.checked;
  if (params.has("speed")) p.setSpeed(Number(params.get("speed")) || 1);
  p.addEventListener("change", () => { uiDirty = true; });
}
bindPlayer(player);

function showMessage(text) {
  els.message.hidden = !text;
  els.message.textContent = text || "";
}

function setConnection(text, kind = "") {
  els.connection.textContent = text;
  els.connection.className = `connection ${kind}`;
}

// ---------- sources ----------

/** Replace the game being shown (a local file dropped on the page). */
function showGame(newGame) {
  if (socket) socket.stop();
  socket = null;
  if (human) human.els.section.hidden = true;
  human = null;
  game = newGame;
  player = new Player(game);
  bindPlayer(player);
  highlight = null;
  pendingTurn = null;
  els.live.hidden = true;
  setConnection("local file");
  started();
  player.play();
  indexInBackground(newGame);
}

/** A file is parsed on demand; this walks the rest in small slices (deaths for the scrub bar, errors). */
function indexInBackground(target) {
  const step = () => {
    if (game !== target) return;
    try {
      if (target.indexUntil(performance.now() + 8)) uiDirty = true;
      else setTimeout(step, 0);
    } catch (err) {
      if (!(err instanceof ReplayError)) throw err;
      showMessage(`This file is damaged: ${err.message}`);
    }
  };
  setTimeout(step, 0);
}

function started() {
  const hd = game.header;
  const names = hd.players.map((p) => String(p.name ?? p.id));
  // A room's seats change hands; its id names it. A replay is named by who played.
  const title = player.live ? `room ${sourceId}` : names.join(" · ") || hd.game_id;
  els.title.textContent = title;
  document.title = `snek arena · ${title}`;
  els.ruleset.textContent = `${rulesWords(hd.ruleset, hd.map)} ${hd.width}×${hd.height}`;
  marksKey = "";
  uiDirty = true;
  player.dirty = true;
}

function onMessage(msg) {
  try {
    if (msg.type === "header") {
      if (game.header) {  // a reconnect: the server sends the header and the whole backlog again
        game.header = null;
        game.players.clear();
        game.restart();
      }
      game.accept(msg, "server");
      performance.mark("snek:header");  // for benchmarks/viewer_replay.py
      started();
    } else if (msg.type === "frame") {
      game.accept(msg, "server");
      player.frameAdded();
      if (human) human.frame();
      if (pendingTurn !== null && game.lastTurn >= pendingTurn) {
        player.seek(pendingTurn);
        pendingTurn = null;
      }
    } else if (msg.type === "result") {
      game.accept(msg, "server");
      performance.mark("snek:result");
      if (human) human.finished();
      uiDirty = true;
      if (!player.live) {
        socket.settle();
        setConnection("");
        if (pendingTurn !== null) { player.seek(pendingTurn); pendingTurn = null; }
      }
    } else if (msg.type === "welcome") {
      if (human) human.welcome(msg);
    } else if (msg.type === "error") {
      onServerError(msg);
    }
  } catch (err) {
    if (!(err instanceof ReplayError)) throw err;
    if (player.live && game.header && socket && resyncAllowed()) {
      socket.resync();  // a live stream with a hole (frames dropped): start it over rather than show a gap
      return;
    }
    showMessage(`The server sent a game this page cannot read: ${err.message}`);
    if (socket) socket.stop();
  }
}

const resyncs = [];

/** At most 3 fresh starts a minute: a stream that keeps breaking is reported instead. */
function resyncAllowed() {
  const now = performance.now();
  while (resyncs.length && now - resyncs[0] > 60000) resyncs.shift();
  resyncs.push(now);
  return resyncs.length <= 3;
}

function onServerError(msg) {
  const text = String(msg.message || msg.code || "error");
  if (msg.code === "lagging") {
    // This page fell behind and the server dropped frames for it: fetch the whole game again.
    setConnection("fell behind, catching up…", "warn");
    if (socket && resyncAllowed()) socket.resync();
  } else if (!game.header) {
    showMessage(text);  // nothing to show: the room or replay does not exist
    if (socket) socket.stop();
  } else if (human && SEAT_ERRORS.has(msg.code)) {
    human.error(msg);
  } else {
    showMessage(text);
  }
}

function openSocket(path, live) {
  player.live = live;
  socket = new GameSocket(path, {
    onMessage,
    onOpen: () => { if (human) human.resume(); },
    onStatus: (s) => {
      if (s.state === "connected") setConnection(live ? "connected" : "loading", "ok");
      else if (s.state === "connecting") setConnection("connecting…");
      else if (s.state === "reconnecting") setConnection(`reconnecting (attempt ${s.attempt})…`, "warn");
      else if (s.state === "waiting") setConnection(`connection lost, reconnecting in ${s.seconds} s (attempt ${s.attempt})`, "warn");
      else if (s.state === "error") showMessage(s.message);
    },
  });
  socket.connect();
}

async function openRoom(room) {
  els.live.hidden = false;
  player.tickMs = Number(room.tick_ms) || 200;
  human = new HumanSeat({
    roomId: room.id, game, classic: room.ruleset === "classic",
    send: (obj) => (socket ? socket.send(obj) : false),
    onChange: () => { uiDirty = true; player.dirty = true; },
  });
  human.installSwipe(els.box);
  if (pendingTurn === null) player.goLive();
  openSocket(`/ws/rooms/${encodeURIComponent(room.id)}`, true);
}

async function start() {
  if (sourceId === "local") {
    const stash = loadStashedFile();
    if (!stash) {
      showMessage("No local file to show: open one with the button above or drop it on the page.");
      els.title.textContent = "no file";
      return;
    }
    try {
      showGame(parseGameText(stash.text, stash.name));
      if (pendingTurn !== null) player.seek(pendingTurn);
    } catch (err) {
      showMessage(err.message);
    }
    return;
  }
  let rooms = [];
  try {
    rooms = (await api("/api/rooms")).rooms || [];
  } catch (err) {
    showMessage(`Could not reach the server: ${err.message}`);
  }
  const room = rooms.find((r) => r.id === sourceId);
  if (room) {
    openRoom(room);
  } else {
    if (pendingTurn === null) player.playing = true;
    openSocket(`/ws/replays/${encodeURIComponent(sourceId)}`, false);
  }
}

async function openFile(file) {
  try {
    const { game: fileGame, text } = await readLocalFile(file);
    showMessage(null);
    showGame(fileGame);
    if (stashLocalFile(file.name, text)) history.replaceState(null, "", "/watch/local");
  } catch (err) {
    showMessage(`Could not open this file: ${err.message}`);
  }
}

// ---------- drawing and the controls ----------

function renderMarks() {
  const key = `${game.deaths.length}:${game.firstTurn}:${game.lastTurn}`;
  if (key === marksKey) return;
  marksKey = key;
  const span = Math.max(1, game.lastTurn - game.firstTurn);
  replace(els.marks, game.deaths.map((d) => {
    const mark = h("span", { className: "mark", title: `turn ${d.turn}: ${game.player(d.id).name}` });
    mark.style.left = `${((d.turn - game.firstTurn) / span) * 100}%`;
    return mark;
  }));
}

let urlTimer = null;

function updateUrl() {
  if (sourceId === "" || urlTimer !== null) return;
  const wait = Math.max(0, lastUrlUpdate + URL_EVERY_MS - performance.now());
  urlTimer = setTimeout(() => {  // throttled, but the last turn shown always lands in the address
    urlTimer = null;
    lastUrlUpdate = performance.now();
    const query = new URLSearchParams();
    query.set("turn", String(player.turn));
    if (player.speed !== 1) query.set("speed", String(player.speed));
    const url = `${location.pathname}?${query}`;
    if (url !== location.pathname + location.search) history.replaceState(null, "", url);
  }, wait);
}

function renderUi() {
  const frame = game.frameAt(player.turn);
  els.turn.textContent = frame ? String(frame.turn) : "–";
  els.lastTurn.textContent = game.frames.length ? ` / ${game.lastTurn}` : "";
  $("#icon-play").toggleAttribute("hidden", player.playing || player.following);
  $("#icon-pause").toggleAttribute("hidden", !(player.playing || player.following));
  els.play.setAttribute("aria-label", player.playing || player.following ? "Pause" : "Play");
  els.speed.textContent = `${player.speed}×`;
  els.goLive.hidden = !player.live || player.following || Boolean(game.result);
  els.scrub.min = String(game.firstTurn);
  els.scrub.max = String(game.lastTurn);
  els.scrub.value = String(player.turn);
  renderMarks();
  scoreboard.render(game, frame, { highlight, you: human ? human.you : null });
  if (game.result) {
    const winner = game.result.winner ? game.player(game.result.winner).name : null;
    els.result.hidden = false;
    els.result.textContent = winner ? `${winner} won after ${game.result.turns} turns` : `Draw after ${game.result.turns} turns`;
  } else {
    els.result.hidden = true;
  }
  if (human) human.update();
  document.body.dataset.turn = frame ? String(frame.turn) : "";
  updateUrl();
}

function loop(now) {
  requestAnimationFrame(loop);
  try {
    const repaint = player.tick(now);
    if (repaint && game.header && game.frames.length) {
      board.draw(game, player.drawPosition(), { animate: player.animate, highlight, you: human ? human.you : null });
    }
    if (uiDirty && game.header) {
      uiDirty = false;
      renderUi();
    }
  } catch (err) {
    if (!(err instanceof ReplayError)) throw err;
    player.pause();  // a damaged frame in a file read on demand: say so, keep the page usable
    showMessage(`This file is damaged: ${err.message}`);
  }
}

board.onResize = () => { player.dirty = true; };

els.controls.addEventListener("click", (e) => {
  const button = e.target instanceof Element ? e.target.closest("button[data-action]") : null;
  if (!button) return;
  const actions = {
    start: () => player.start(), end: () => player.end(), back: () => player.step(-1), forward: () => player.step(1),
    play: () => player.toggle(), live: () => player.goLive(), slower: () => player.slower(), faster: () => player.faster(),
    "next-death": () => player.jumpDeath(1), "prev-death": () => player.jumpDeath(-1),
  };
  actions[button.dataset.action]?.();
  button.blur();  // keep the keyboard on the page, not on the button
});

els.scrub.addEventListener("input", () => player.seek(Number(els.scrub.value)));
els.animate.addEventListener("change", () => {
  player.animate = els.animate.checked;
  localStorage.setItem("snek-animate", els.animate.checked ? "1" : "0");
  player.changed();
  els.animate.blur();
});
els.fileInput.addEventListener("change", () => {
  const file = els.fileInput.files[0];
  if (file) openFile(file);
  els.fileInput.value = "";
});
installDrop(els.dropHint, openFile);

els.canvas.addEventListener("click", (e) => {
  if (!game.header || (human && human.steering)) return;
  const rect = els.canvas.getBoundingClientRect();
  const [x, y] = board.cellAt(e.clientX - rect.left, e.clientY - rect.top);
  const frame = game.frameAt(player.turn);
  const hit = frame && frame.snakes.find((s) => s.body.some((c) => c[0] === x && c[1] === y));
  highlight = hit ? (highlight === hit.id ? null : hit.id) : null;
  player.changed();
});

const help = installHelp([
  ["Space", "play / pause"], ["← →", "step one turn back / forward (steer when you play)"],
  ["Home / End", "first / last turn"], ["+ / −", "faster / slower (0.25× to 16×)"],
  ["e / q", "next / previous death"], ["↑ ↓ ← → or W A S D", "steer your snake (after joining a room)"],
  ["swipe", "steer on a touch screen"], ["click a snake", "highlight and follow it"], ["?", "this help"],
]);

document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e) || help.open) return;
  if (human && human.key(e)) return;
  if (e.target === els.scrub && /^(Arrow|Home|End|Page)/.test(e.key)) return;  // the slider moves itself
  const keys = {
    " ": () => player.toggle(), ArrowLeft: () => player.step(-1), ArrowRight: () => player.step(1),
    Home: () => player.start(), End: () => player.end(), "+": () => player.faster(), "=": () => player.faster(),
    "-": () => player.slower(), e: () => player.jumpDeath(1), q: () => player.jumpDeath(-1),
  };
  const action = keys[e.key];
  if (!action || !game.frames.length) return;
  e.preventDefault();
  action();
});

// Read-only hook for tests and curious people: what the page shows right now.
window.snek = Object.freeze({
  state() {
    const frame = game.frameAt(player.turn);
    return {
      turn: frame ? frame.turn : null, position: player.position, firstTurn: game.firstTurn, lastTurn: game.lastTurn,
      playing: player.playing, following: player.following, live: player.live, speed: player.speed,
      animate: player.animate, highlight, you: human ? human.you : null, queued: human ? [...human.queued] : [],
      width: game.header ? game.width : null, height: game.header ? game.height : null,
      ruleset: game.header ? game.header.ruleset : null, deaths: game.deaths.map((d) => ({ ...d })),
      players: [...game.players.values()].map((p) => ({ ...p })), result: game.result,
      frame: frame ? JSON.parse(JSON.stringify(frame)) : null, connected: Boolean(socket && socket.open),
    };
  },
  frame(turn) {
    if (!game.frames.length || turn < game.firstTurn || turn > game.lastTurn) return null;
    return JSON.parse(JSON.stringify(game.frameAt(turn)));
  },
  pixel: (x, y) => board.pixel(x, y),
  cellCentre(x, y) {
    const rect = els.canvas.getBoundingClientRect();
    const [cx, cy] = board.centre(x, y);
    return [rect.left + cx, rect.top + cy];
  },
  speeds: SPEEDS,
});

start();
requestAnimationFrame(loop);
