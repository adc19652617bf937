// The tournament page /tournaments/<name>: leaderboard, each bot's rating over the games (an SVG chart), the
// head-to-head table as a heatmap, and every game linked to its replay.

import { $, api, h, replace } from "./dom.js";
import { installHelp } from "./help.js";
import { snakeStyle } from "./palette.js";

const SVG = "http://www.w3.org/2000/svg";
const name = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const child of children) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

const fixed = (v, digits = 2) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "");

function renderLeaderboard(rows) {
  replace($("#leaderboard tbody"), rows.map((r, i) => h("tr", {},
    h("td", { className: "num" }, String(i + 1)), h("td", {}, String(r.bot)), h("td", { className: "num" }, fixed(r.rating)),
    h("td", { className: "num" }, fixed(r.mu)), h("td", { className: "num" }, fixed(r.sigma)),
    h("td", { className: "num" }, String(r.games ?? "")), h("td", { className: "num" }, String(r.wins ?? "")),
    h("td", { className: "num" }, fixed(r.avg_place)))));
}

function renderChart(bots, history) {
  const W = 560;
  const H = 280;
  const pad = { l: 44, r: 12, t: 10, b: 28 };
  const values = history.flatMap((e) => Object.values(e.ratings || {})).filter((v) => typeof v === "number");
  if (!history.length || !values.length) {
    replace($("#chart"), h("p", { className: "empty" }, "No rating history."));
    return;
  }
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1) { lo -= 1; hi += 1; }
  const n = history.length;
  const x = (i) => pad.l + (n === 1 ? 0 : (i / (n - 1)) * (W - pad.l - pad.r));
  const y = (v) => pad.t + (1 - (v - lo) / (hi - lo)) * (H - pad.t - pad.b);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "rating of each bot after each game" });
  for (let k = 0; k <= 4; k += 1) {
    const v = lo + ((hi - lo) * k) / 4;
    root.append(svg("line", { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), class: "axis" }));
    root.append(svg("text", { x: pad.l - 6, y: y(v) + 4, "text-anchor": "end" }, v.toFixed(0)));
  }
  root.append(svg("text", { x: (W + pad.l) / 2, y: H - 6, "text-anchor": "middle" }, `game (1 to ${n})`));
  bots.forEach((bot, seat) => {
    const points = [];
    history.forEach((e, i) => {
      const v = e.ratings && e.ratings[bot];
      if (typeof v === "number") points.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    });
    const style = snakeStyle(seat);
    const line = svg("polyline", { points: points.join(" "), fill: "none", stroke: style.color, "stroke-width": 2,
      "stroke-linejoin": "round" });
    if (style.striped) line.setAttribute("stroke-dasharray", "6 3");
    line.append(svg("title", {}, bot));
    root.append(line);
  });
  replace($("#chart"), root);
  replace($("#legend"), bots.map((bot, seat) => {
    const sw = h("span", { className: `swatch${snakeStyle(seat).striped ? " striped" : ""}` });
    sw.style.backgroundColor = snakeStyle(seat).color;
    return h("span", {}, sw, bot);
  }));
}

/** Blue (behind) through grey to orange (ahead): readable with the common colour-vision deficiencies. */
function heat(share) {
  const from = share < 0.5 ? [86, 180, 233] : [230, 159, 0];
  const t = Math.min(1, Math.abs(share - 0.5) * 2);
  const grey = [170, 170, 170];
  const c = grey.map((g, i) => Math.round(g + (from[i] - g) * t));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

function renderHeadToHead(bots, pairs) {
  const get = new Map();
  for (const p of pairs) {
    get.set(`${p.a}\u0000${p.b}`, { ahead: p.a_ahead, games: p.games });
    if (!get.has(`${p.b}\u0000${p.a}`)) get.set(`${p.b}\u0000${p.a}`, { ahead: p.games - p.a_ahead, games: p.games });
  }
  const head = h("tr", {}, h("th", {}, "ahead of →"), bots.map((b) => h("th", {}, b)));
  const rows = bots.map((a) => h("tr", {}, h("th", {}, a), bots.map((b) => {
    if (a === b) return h("td", { className: "self" }, "");
    const cell = get.get(`${a}\u0000${b}`);
    if (!cell || !cell.games) return h("td", { className: "cell" }, "–");
    const share = cell.ahead / cell.games;
    const td = h("td", { className: "cell", title: `${a} finished ahead of ${b} in ${cell.ahead} of ${cell.games} games` },
      `${Math.round(share * 100)}%`);
    td.style.backgroundColor = heat(share);
    return td;
  })));
  replace($("#h2h"), h("thead", {}, head), h("tbody", {}, rows));
}

let games = [];

function renderGames() {
  const words = $("#filter").value.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = games.filter((g) => {
    const text = [...(g.players || []), g.winner ?? "draw", String(g.index)].join(" ").toLowerCase();
    return words.every((w) => text.includes(w));
  });
  replace($("#games tbody"), shown.map((g) => h("tr", {},
    h("td", { className: "num" }, String(g.index)),
    h("td", {}, g.replay_id ? h("a", { href: `/watch/${encodeURIComponent(g.replay_id)}` }, (g.players || []).map(String).join(" · "))
      : (g.players || []).map(String).join(" · ")),
    h("td", {}, g.winner === null || g.winner === undefined ? "draw" : String(g.winner)),
    h("td", { className: "num" }, String(g.turns ?? "")))));
}

async function load() {
  let t;
  try {
    t = await api(`/api/tournaments/${encodeURIComponent(name)}`);
  } catch (err) {
    $("#message").hidden = false;
    $("#message").textContent = `Could not load tournament ${name}: ${err.message}`;
    return;
  }
  $("#title").textContent = String(t.name);
  document.title = `snek arena · ${t.name}`;
  const leaderboard = t.leaderboard || [];
  const bots = leaderboard.map((r) => String(r.bot));
  renderLeaderboard(leaderboard);
  renderChart(bots, t.history || []);
  renderHeadToHead(bots, t.head_to_head || []);
  games = t.games || [];
  renderGames();
}

installHelp([["?", "this help"], ["Esc", "close it"], ["click a game", "watch its replay"]]);
$("#filter").addEventListener("input", renderGames);
load();
