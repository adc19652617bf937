// The canvas board. draw(game, position) paints the game at a fractional turn: between two frames the heads
// glide forward and the tails follow, so snakes move smoothly at any speed. Coordinates are the replay's
// (x right, y up); the canvas is sized in device pixels so it stays crisp on high-DPI screens.

import { BOARD, snakeStyle } from "./palette.js";

const FADE_TURNS = 6;  // an eliminated snake fades out over this many turns where it died

function hexToRgb(hex) {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function mix(hex, towards, amount) {
  const a = hexToRgb(hex);
  const b = hexToRgb(towards);
  const c = a.map((v, i) => Math.round(v + (b[i] - v) * amount));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

function lerp(a, b, t) { return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]; }

/** Step from `from` to `to` as a neighbour, the short way round on a wrapped board. */
function near(from, to, w, h, wrapped) {
  if (!wrapped) return [to[0], to[1]];
  let dx = to[0] - from[0];
  let dy = to[1] - from[1];
  if (dx > w / 2) dx -= w; else if (dx < -w / 2) dx += w;
  if (dy > h / 2) dy -= h; else if (dy < -h / 2) dy += h;
  return [from[0] + dx, from[1] + dy];
}

/** A body as one continuous line: on wrapped boards each cell is placed next to the one before it. */
function unwrap(body, w, h, wrapped) {
  const out = [];
  for (const cell of body) out.push(out.length ? near(out[out.length - 1], cell, w, h, wrapped) : [cell[0], cell[1]]);
  return out;
}

/** Runs of stacked segments: [{cell, count}] for cells holding two or more consecutive segments. */
function stacks(body) {
  const out = [];
  let i = 0;
  while (i < body.length) {
    let j = i + 1;
    while (j < body.length && body[j][0] === body[i][0] && body[j][1] === body[i][1]) j += 1;
    if (j - i > 1) out.push({ cell: body[i], count: j - i });
    i = j;
  }
  return out;
}

export class BoardView {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.cssWidth = 0;
    this.cssHeight = 0;
    this.cell = 1;
    this.dpr = 1;
    this.onResize = null;
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(canvas.parentElement);
    window.matchMedia("(resolution: 1dppx)").addEventListener?.("change", () => this.resize());
  }

  /** Fit the board into the canvas' container, keeping cells square. */
  resize(cols = this.cols, rows = this.rows) {
    if (!cols || !rows) return;
    this.cols = cols;
    this.rows = rows;
    const box = this.canvas.parentElement.getBoundingClientRect();
    const cell = Math.max(4, Math.floor(Math.min(box.width / cols, box.height / rows)));
    const dpr = window.devicePixelRatio || 1;
    if (cell === this.cell && dpr === this.dpr && this.cssWidth === cell * cols) return;
    this.cell = cell;
    this.dpr = dpr;
    this.cssWidth = cell * cols;
    this.cssHeight = cell * rows;
    this.canvas.style.width = `${this.cssWidth}px`;
    this.canvas.style.height = `${this.cssHeight}px`;
    this.canvas.width = Math.round(this.cssWidth * dpr);
    this.canvas.height = Math.round(this.cssHeight * dpr);
    if (this.onResize) this.onResize();
  }

  /** Centre of a cell in CSS pixels of the canvas. */
  centre(x, y) {
    return [(x + 0.5) * this.cell, (this.rows - 1 - y + 0.5) * this.cell];
  }

  /** Which cell a point in CSS pixels falls on. */
  cellAt(px, py) {
    return [Math.floor(px / this.cell), this.rows - 1 - Math.floor(py / this.cell)];
  }

  /**
   * Paint `game` at `position` (a fractional turn). opts: {animate, highlight: id|null, you: id|null}.
   */
  draw(game, position, opts = {}) {
    if (!game.header || !game.frames.length) return;
    this.resize(game.width, game.height);
    const ctx = this.ctx;
    const c = this.cell;
    const w = game.width;
    const h = game.height;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = BOARD.background;
    ctx.fillRect(0, 0, this.cssWidth, this.cssHeight);
    for (let x = 0; x < w; x += 1) {
      for (let y = 0; y < h; y += 1) {
        ctx.fillStyle = (x + y) % 2 ? BOARD.cellA : BOARD.cellB;
        ctx.fillRect(x * c, (h - 1 - y) * c, c, c);
      }
    }
    const base = Math.floor(position);
    const frameA = game.frameAt(base);
    const frameB = opts.animate && position > base && base < game.lastTurn ? game.frameAt(base + 1) : null;
    const p = frameB ? position - base : 0;
    const frame = frameB || frameA;

    this.drawHazards(frameA, w, h);
    this.drawFood(frameA, frameB, p);

    const before = new Map(frameA.snakes.map((s) => [s.id, s]));
    const order = [...frame.snakes];
    // Dead snakes first, the highlighted snake last, so the living and the followed stay on top.
    const rank = (s) => (s.id === opts.highlight ? 2 : s.alive ? 1 : 0);
    order.sort((a, b) => rank(a) - rank(b));
    for (const snake of order) {
      const player = game.player(snake.id);
      const style = snakeStyle(player.seat);
      const prev = frameB ? before.get(snake.id) : null;
      const deathTurn = snake.alive ? null : (snake.death && typeof snake.death.turn === "number" ? snake.death.turn : frame.turn);
      const age = deathTurn === null ? -1 : position - deathTurn;
      if (age >= FADE_TURNS) continue;
      let fade = age < 0 ? 0 : 0.35 + 0.65 * (age / FADE_TURNS);
      if (opts.highlight && opts.highlight !== snake.id) fade = Math.max(fade, 0.5);
      const color = fade ? mix(style.color, BOARD.background, fade) : style.color;
      const line = this.snakeLine(snake, prev && prev.alive ? prev : null, p, w, h, game.wrapped);
      if (!line.length) continue;
      this.withCopies(line, w, h, game.wrapped, (dx, dy) => {
        this.drawBody(line, dx, dy, color, style.striped, fade);
        this.drawHead(line, dx, dy, color, snake, prev, game, fade);
      });
      if (!prev || p === 0) this.drawStacks(snake.body, color);
      if (snake.alive && (snake.id === opts.highlight || snake.id === opts.you)) this.drawMarker(line[0], snake.id === opts.you, w, h, game.wrapped);
    }
  }

  /** The body to draw: the frame's own, or between two frames the head moved on by p and the tail drawn in. */
  snakeLine(snake, prev, p, w, h, wrapped) {
    if (!prev || p === 0) return unwrap(snake.body, w, h, wrapped);
    const body = unwrap(prev.body, w, h, wrapped);
    if (!body.length || !snake.body.length) return unwrap(snake.body, w, h, wrapped);
    const head = near(body[0], snake.body[0], w, h, wrapped);
    const tail = near(body[body.length - 1], snake.body[snake.body.length - 1], w, h, wrapped);
    const line = [lerp(body[0], head, p), ...body];
    line[line.length - 1] = lerp(body[body.length - 1], tail, p);
    return line;
  }

  /** Call draw(dx, dy) once per copy needed: on wrapped boards a line leaving one edge shows at the other. */
  withCopies(line, w, h, wrapped, draw) {
    const ctx = this.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, 0, this.cssWidth, this.cssHeight);
    ctx.clip();
    const xs = line.map((pt) => pt[0]);
    const ys = line.map((pt) => pt[1]);
    const shiftsX = [0];
    const shiftsY = [0];
    if (wrapped) {
      if (Math.min(...xs) < 0.5) shiftsX.push(w);
      if (Math.max(...xs) > w - 1.5) shiftsX.push(-w);
      if (Math.min(...ys) < 0.5) shiftsY.push(h);
      if (Math.max(...ys) > h - 1.5) shiftsY.push(-h);
    }
    for (const dx of shiftsX) for (const dy of shiftsY) draw(dx, dy);
    ctx.restore();
  }

  drawBody(line, dx, dy, color, striped, fade) {
    const ctx = this.ctx;
    const c = this.cell;
    const n = line.length;
    const pts = line.map((pt) => this.centre(pt[0] + dx, pt[1] + dy));
    // Half-width along the body: full along the front, tapering over the last 40% towards the tail.
    const taperFrom = Math.max(1, Math.floor(n * 0.6));
    const radius = (i) => (i <= taperFrom || n < 3 ? 0.37 * c : c * (0.37 - 0.2 * ((i - taperFrom) / Math.max(1, n - 1 - taperFrom))));
    ctx.fillStyle = color;
    ctx.beginPath();
    for (let i = 0; i < n; i += 1) {
      const r = radius(i);
      ctx.moveTo(pts[i][0] + r, pts[i][1]);
      ctx.arc(pts[i][0], pts[i][1], r, 0, Math.PI * 2);
      if (i + 1 < n) {  // a trapezoid joining this point's circle to the next one's
        const [x0, y0] = pts[i];
        const [x1, y1] = pts[i + 1];
        const len = Math.hypot(x1 - x0, y1 - y0);
        if (len > 1e-6) {
          const r1 = radius(i + 1);
          const nx = -(y1 - y0) / len;
          const ny = (x1 - x0) / len;
          // Wound the same way as the circles (clockwise on screen), so the nonzero fill leaves no holes.
          ctx.moveTo(x0 - nx * r, y0 - ny * r);
          ctx.lineTo(x1 - nx * r1, y1 - ny * r1);
          ctx.lineTo(x1 + nx * r1, y1 + ny * r1);
          ctx.lineTo(x0 + nx * r, y0 + ny * r);
          ctx.closePath();
        }
      }
    }
    ctx.fill("nonzero");
    if (striped && n > 1) {
      ctx.save();
      ctx.strokeStyle = mix("#202020", BOARD.background, fade);
      ctx.lineWidth = Math.max(1, 0.14 * c);
      ctx.setLineDash([0.3 * c, 0.3 * c]);
      ctx.lineCap = "butt";
      ctx.lineJoin = "round";
      ctx.beginPath();
      ctx.moveTo(pts[0][0], pts[0][1]);
      for (let i = 1; i < n; i += 1) ctx.lineTo(pts[i][0], pts[i][1]);
      ctx.stroke();
      ctx.restore();
    }
  }

  drawHead(line, dx, dy, color, snake, prev, game, fade) {
    const ctx = this.ctx;
    const c = this.cell;
    const [hx, hy] = this.centre(line[0][0] + dx, line[0][1] + dy);
    let dir = null;
    for (let i = 1; i < line.length && !dir; i += 1) {
      const ddx = line[0][0] - line[i][0];
      const ddy = line[0][1] - line[i][1];
      if (Math.abs(ddx) + Math.abs(ddy) > 1e-6) dir = [ddx, -ddy];  // screen y points down
    }
    if (!dir) {
      const m = { up: [0, -1], down: [0, 1], left: [-1, 0], right: [1, 0] }[snake.move] || [0, -1];
      dir = m;
    }
    const len = Math.hypot(dir[0], dir[1]);
    const d = [dir[0] / len, dir[1] / len];
    const nrm = [-d[1], d[0]];
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.arc(hx, hy, 0.43 * c, 0, Math.PI * 2);
    ctx.fill();
    const white = fade ? mix(BOARD.eyeWhite, BOARD.background, fade) : BOARD.eyeWhite;
    const pupil = fade ? mix(BOARD.pupil, BOARD.background, fade * 0.5) : BOARD.pupil;
    for (const side of [1, -1]) {
      const ex = hx + d[0] * 0.14 * c + nrm[0] * side * 0.19 * c;
      const ey = hy + d[1] * 0.14 * c + nrm[1] * side * 0.19 * c;
      ctx.fillStyle = white;
      ctx.beginPath();
      ctx.arc(ex, ey, 0.12 * c, 0, Math.PI * 2);
      ctx.fill();
      ctx.fillStyle = pupil;
      ctx.beginPath();
      if (!snake.alive && fade) {  // crossed-out eyes
        ctx.arc(ex, ey, 0.05 * c, 0, Math.PI * 2);
      } else {
        ctx.arc(ex + d[0] * 0.05 * c, ey + d[1] * 0.05 * c, 0.06 * c, 0, Math.PI * 2);
      }
      ctx.fill();
    }
  }

  drawStacks(body, color) {
    const ctx = this.ctx;
    const c = this.cell;
    if (c < 14) return;
    for (const { cell, count } of stacks(body)) {
      const [x, y] = this.centre(cell[0], cell[1]);
      const bx = x + 0.3 * c;
      const by = y + 0.3 * c;
      ctx.fillStyle = "#10141c";
      ctx.strokeStyle = color;
      ctx.lineWidth = Math.max(1, c * 0.05);
      ctx.beginPath();
      ctx.arc(bx, by, 0.2 * c, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = "#ffffff";
      ctx.font = `bold ${Math.round(0.26 * c)}px system-ui, sans-serif`;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(String(count), bx, by + 0.01 * c);
    }
  }

  drawMarker(head, isYou, w, h, wrapped) {
    const ctx = this.ctx;
    const c = this.cell;
    const x = wrapped ? ((head[0] % w) + w) % w : head[0];
    const y = wrapped ? ((head[1] % h) + h) % h : head[1];
    const [hx, hy] = this.centre(x, y);
    ctx.strokeStyle = BOARD.highlight;
    ctx.lineWidth = Math.max(1.5, 0.08 * c);
    ctx.beginPath();
    ctx.arc(hx, hy, 0.6 * c, 0, Math.PI * 2);
    ctx.stroke();
    if (isYou) {
      const label = "you";
      ctx.font = `bold ${Math.max(10, Math.round(0.4 * c))}px system-ui, sans-serif`;
      const tw = ctx.measureText(label).width + 8;
      const ty = hy - 0.75 * c > 10 ? hy - 0.95 * c : hy + 0.95 * c;
      ctx.fillStyle = "rgba(0, 0, 0, 0.75)";
      ctx.fillRect(hx - tw / 2, ty - 0.28 * c, tw, 0.56 * c);
      ctx.fillStyle = "#ffffff";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(label, hx, ty);
    }
  }

  drawHazards(frame, w, h) {
    const ctx = this.ctx;
    const c = this.cell;
    const counts = new Map();
    for (const [x, y] of frame.hazards) counts.set(x * 1000 + y, (counts.get(x * 1000 + y) || 0) + 1);
    for (const [key, count] of counts) {
      const x = Math.floor(key / 1000);
      const y = key % 1000;
      if (x < 0 || y < 0 || x >= w || y >= h) continue;
      const alpha = Math.min(0.9, 0.4 + 0.2 * (count - 1));  // stacked hazards darker
      ctx.fillStyle = BOARD.hazard.replace("ALPHA", alpha.toFixed(2));
      ctx.fillRect(x * c, (h - 1 - y) * c, c, c);
      if (count > 1 && c >= 14) {
        ctx.fillStyle = "rgba(255, 255, 255, 0.7)";
        ctx.font = `${Math.round(0.24 * c)}px system-ui, sans-serif`;
        ctx.textAlign = "left";
        ctx.textBaseline = "top";
        ctx.fillText(`×${count}`, x * c + 0.08 * c, (h - 1 - y) * c + 0.06 * c);
      }
    }
  }

  drawFood(frameA, frameB, p) {
    const ctx = this.ctx;
    const c = this.cell;
    const drawn = new Set();
    const paint = (food, scale) => {
      for (const [x, y] of food) {
        const key = x * 1000 + y;
        if (drawn.has(key)) continue;
        drawn.add(key);
        const [cx, cy] = this.centre(x, y);
        ctx.fillStyle = BOARD.food;
        ctx.beginPath();
        ctx.arc(cx, cy, 0.27 * c * scale, 0, Math.PI * 2);
        ctx.fill();
        ctx.strokeStyle = BOARD.foodRim;
        ctx.lineWidth = Math.max(1, 0.05 * c * scale);
        ctx.stroke();
      }
    };
    // Between frames, food still on the board stays, new food grows in.
    if (frameB) {
      const now = new Set(frameB.food.map(([x, y]) => x * 1000 + y));
      paint(frameA.food.filter(([x, y]) => now.has(x * 1000 + y)), 1);
      paint(frameB.food, p);
    } else {
      paint(frameA.food, 1);
    }
  }

  /** The colour drawn at a cell's centre, as [r, g, b] (for tests and the debug hook). */
  pixel(x, y) {
    const [cx, cy] = this.centre(x, y);
    const data = this.ctx.getImageData(Math.floor(cx * this.dpr), Math.floor(cy * this.dpr), 1, 1).data;
    return [data[0], data[1], data[2]];
  }
}

export { hexToRgb };
