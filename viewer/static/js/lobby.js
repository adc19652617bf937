// The lobby /: live rooms (refreshed without reload), a form to create a room, the replay library with a filter,
// local replay files (opened in the browser, or uploaded to the library on request) and the tournaments.

import { $, api, formatDate, h, replace } from "./dom.js";
import { installDrop, readLocalFile, stashLocalFile } from "./files.js";
import { installHelp } from "./help.js";
import { rulesWords } from "./words.js";

let rulesets = [["standard", 11, 11, {}]];  // [name, width, height, default settings], from /api/rulesets
let bots = ["safe"];                      // seat choices, from /api/bots (built-ins and operator-registered)
let maps = [];                            // Battlesnake's maps the server plays, from /api/maps
const OPEN = "";  // the seat value of an open seat (sent as null)
const MAX_SEATS = 16;
const ROOMS_EVERY_MS = 2000;

let replays = [];

function showMessage(text) {
  $("#message").hidden = !text;
  $("#message").textContent = text || "";
}

function watchLink(id, text) {
  return h("a", { href: `/watch/${encodeURIComponent(id)}` }, text);
}

// ---------- rooms ----------

async function refreshRooms() {
  let rooms;
  try {
    rooms = (await api("/api/rooms")).rooms || [];
    $("#rooms-status").textContent = "";
  } catch (err) {
    $("#rooms-status").textContent = `(server unreachable: ${err.message}; retrying)`;
    return;
  }
  $("#rooms-empty").hidden = rooms.length > 0;
  replace($("#rooms tbody"), rooms.map((room) => {
    const seats = Array.isArray(room.seats) ? room.seats : [];
    const names = seats.filter((s) => !s.open).map((s) => String(s.name));
    const open = seats.filter((s) => s.open).length;
    return h("tr", { dataset: { room: String(room.id) } },
      h("td", {}, watchLink(room.id, String(room.id))),
      h("td", {}, rulesWords(room.ruleset, room.map)),
      h("td", { className: "wide" }, `${room.width}×${room.height}`),
      h("td", {}, names.join(", "), open ? h("span", { className: "muted" }, `${names.length ? " + " : ""}${open} open`) : null),
      h("td", { className: "num" }, String(room.turn ?? "")),
      h("td", { className: "wide" }, String(room.status ?? "")),
      h("td", { className: "num wide" }, String(room.spectators ?? 0)));
  }));
}

// ---------- create a room ----------

function seatRow(value) {
  const select = h("select", { "aria-label": "seat" },
    h("option", { value: OPEN }, "open seat (human)"),
    bots.map((bot) => h("option", { value: bot }, `bot: ${bot}`)));
  select.value = bots.includes(value) || value === OPEN ? value : bots[0];
  const row = h("div", { className: "seat" }, select,
    h("button", { type: "button", title: "Remove this seat", "aria-label": "Remove seat", onclick: () => { row.remove(); seatsChanged(); } }, "×"));
  return row;
}

function seatsChanged() {
  const count = $("#seats").children.length;
  $("#add-seat").disabled = count >= MAX_SEATS;
}

async function installCreate() {
  try {
    const [r, b, m] = await Promise.all([api("/api/rulesets"), api("/api/bots"), api("/api/maps")]);
    rulesets = r.rulesets.map((x) => [String(x.name), x.width, x.height, x.settings || {}]);
    bots = b.bots.map(String);
    maps = m.maps.filter((x) => x.implemented);
  } catch (err) {
    $("#create-error").textContent = `Could not load the rulesets, bots and maps: ${err.message}`;
  }
  const ruleset = $("#ruleset");
  for (const [name] of rulesets) ruleset.append(h("option", { value: name }, name));
  ruleset.value = rulesets.some(([name]) => name === "standard") ? "standard" : rulesets[0][0];
  const chosen = () => rulesets.find(([name]) => name === ruleset.value);
  ruleset.addEventListener("change", () => {
    const [, width, height, settings] = chosen();
    const m = maps.find((x) => x.name === $("#map").value);  // a map keeps its board
    $("#width").value = String(m ? m.width : width);
    $("#height").value = String(m ? m.height : height);
    $("#endless-field").hidden = !("endless" in settings);  // classic: endless drop-in like the original
  });
  installMaps(ruleset);
  for (const seat of ["space", "greedy", "safe", OPEN]) $("#seats").append(seatRow(seat));
  seatsChanged();
  $("#add-seat").addEventListener("click", () => { $("#seats").append(seatRow("greedy")); seatsChanged(); });
  $("#create").addEventListener("submit", async (e) => {
    e.preventDefault();
    const seats = [...$("#seats").querySelectorAll("select")].map((s) => (s.value === OPEN ? null : s.value));
    const settings = "endless" in chosen()[3] ? { endless: $("#endless").checked } : {};
    const body = {
      ruleset: ruleset.value, width: Number($("#width").value), height: Number($("#height").value), settings,
      tick_ms: Number($("#tick").value), max_turns: Number($("#max-turns").value), seats,
    };
    if ($("#map").value) body.map = $("#map").value;
    $("#create-error").textContent = "";
    $("#create-button").disabled = true;
    try {
      const room = await api("/api/rooms", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      location.href = `/watch/${encodeURIComponent(room.id)}`;
    } catch (err) {
      $("#create-error").textContent = err.message;
    } finally {
      $("#create-button").disabled = false;
    }
  });
}

// Choosing a map sets the form to how the map is usually played: its board, a ruleset it goes with and a
// seat count it takes (the server refuses anything else with a line saying what the map supports).
function installMaps(ruleset) {
  const select = $("#map");
  for (const m of maps) select.append(h("option", { value: String(m.name), title: String(m.description) }, String(m.name)));
  select.addEventListener("change", () => {
    const m = maps.find((x) => x.name === select.value);
    $("#map-hint").textContent = m ? `${m.description}; ${m.supports}` : "";
    if (!m) return;
    $("#width").value = String(m.width);
    $("#height").value = String(m.height);
    if (!m.rulesets.includes(ruleset.value)) {
      ruleset.value = m.rulesets[0];
      $("#endless-field").hidden = true;
    }
    const seats = $("#seats");
    while (seats.children.length > m.max_snakes) seats.lastElementChild.remove();
    while (seats.children.length < m.min_snakes) seats.append(seatRow(bots[0]));
    seatsChanged();
  });
}

// ---------- replays ----------

function playerNames(replay) {
  return (Array.isArray(replay.players) ? replay.players : []).map((p) => String(p && typeof p === "object" ? p.name ?? p.id : p));
}

function winnerName(replay) {
  const w = replay.winner;
  if (w === null || w === undefined || w === "") return "draw";
  const players = Array.isArray(replay.players) ? replay.players : [];
  const match = players.find((p) => p && typeof p === "object" && p.id === w);
  if (match) return String(match.name ?? w);
  const seat = /^s(\d+)$/.exec(String(w));
  if (seat && players[Number(seat[1])] !== undefined) return playerNames(replay)[Number(seat[1])];
  return String(w);
}

function renderReplays() {
  const words = $("#filter").value.toLowerCase().split(/\s+/).filter(Boolean);
  const rows = replays.filter((r) => {
    const text = [...playerNames(r), r.ruleset, r.map ?? "", winnerName(r), r.id, `${r.width}x${r.height}`].join(" ").toLowerCase();
    return words.every((w) => text.includes(w));
  });
  $("#replays-empty").hidden = rows.length > 0;
  $("#replays-empty").textContent = replays.length ? "No replay matches the filter." : "No replays.";
  replace($("#replays tbody"), rows.map((r) => h("tr", { dataset: { replay: String(r.id) } },
    h("td", {}, watchLink(r.id, playerNames(r).join(" · ") || String(r.id))),
    h("td", {}, rulesWords(r.ruleset, r.map)),
    h("td", { className: "wide" }, `${r.width}×${r.height}`),
    h("td", {}, winnerName(r)),
    h("td", { className: "num" }, String(r.turns ?? "")),
    h("td", { className: "wide" }, formatDate(r.created)))));
}

async function refreshReplays() {
  try {
    replays = (await api("/api/replays")).replays || [];
  } catch (err) {
    showMessage(`Could not load the replay library: ${err.message}`);
    return;
  }
  renderReplays();
}

async function openLocal(file) {
  const status = $("#file-status");
  status.className = "note-line";
  status.textContent = `reading ${file.name}…`;
  try {
    const { text } = await readLocalFile(file);
    if (!stashLocalFile(file.name, text)) {
      throw new Error(`${file.name} is too large to hand to the watch page; open it with the button on the watch page`);
    }
    location.href = "/watch/local";
  } catch (err) {
    status.textContent = "";
    showMessage(`Could not open this file: ${err.message}`);
  }
}

async function upload(file) {
  const status = $("#file-status");
  status.textContent = `uploading ${file.name}…`;
  try {
    const body = new Uint8Array(await file.arrayBuffer());
    const { id, imported } = await api("/api/replays", { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body });
    showMessage(null);
    replace(status, imported ? "imported from a Battlesnake CLI game and uploaded: " : "uploaded: ", watchLink(id, String(id)));
    status.className = "note-line ok-line";
    await refreshReplays();
  } catch (err) {
    status.textContent = "";
    showMessage(`Upload refused: ${err.message}`);
  }
}

// ---------- tournaments ----------

async function refreshTournaments() {
  let tournaments = [];
  try {
    tournaments = (await api("/api/tournaments")).tournaments || [];
  } catch {
    return;  // a server without tournaments: the section stays hidden
  }
  $("#tournaments-card").hidden = tournaments.length === 0;
  replace($("#tournaments tbody"), tournaments.map((t) => h("tr", {},
    h("td", {}, h("a", { href: `/tournaments/${encodeURIComponent(t.name)}` }, String(t.name))),
    h("td", { className: "num" }, String(t.games ?? "")),
    h("td", {}, (Array.isArray(t.bots) ? t.bots : []).map(String).join(", ")))));
}

// ---------- wiring ----------

installHelp([
  ["?", "this help"], ["Esc", "close it"],
  ["drop a file", "watch a replay file from your computer (read in the browser, not uploaded)"],
  ["click a room or replay", "watch it; on a room's page you can join and play"],
]);
installCreate();
$("#filter").addEventListener("input", renderReplays);
$("#open-file").addEventListener("change", (e) => { const f = e.target.files[0]; e.target.value = ""; if (f) openLocal(f); });
$("#upload-file").addEventListener("change", (e) => { const f = e.target.files[0]; e.target.value = ""; if (f) upload(f); });
installDrop($("#drop-hint"), openLocal);
refreshRooms();
refreshReplays();
refreshTournaments();
setInterval(refreshRooms, ROOMS_EVERY_MS);
