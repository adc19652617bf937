"""How fast the browser viewer loads a big replay and seeks in it (prints figures; not a timed test).

The replay: 500 turns, 16 snakes, 25×25, written in the ``snek-replay/1`` schema by this script (seeded). The
rules engine cannot keep 16 snakes alive for 500 turns, so the game is synthetic: every snake follows one
Hamiltonian cycle of the board 37 cells behind the next, grows to 34 segments, four of them die on the way,
food is re-laid every 25 turns and royale-style hazards close in from turn 150 (stacked from turn 350). The
file has the full shape of a real one (bodies, stacked tails, deaths, food, stacked hazards, latencies).

Measured in headless Chromium against a real ``snek serve`` (the page's own modules, no test doubles):
- open: ``parseGameText`` on the replay's text (fetched from ``/api/replays/<id>``), as for a local file:
  the lines are split, the header, first and last frames and the result checked; the other frames are
  parsed on first use, and ``index``, run in idle time by the page, parses and checks the rest;
- seek: drawing the board at a random turn (``Game.frameAt``, parsing the frame on its first visit, plus a
  full canvas paint on a 900×900 canvas), 200 random turns twice;
- page: opening ``/watch/<id>?turn=250`` until the page shows turn 250 of the complete game (navigation,
  the server reading the file, the websocket stream of all 502 lines, parsing and painting).

    python benchmarks/viewer_replay.py
"""

from __future__ import annotations

import gzip
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from ports import free_port  # noqa: E402 (the tests' one free-port helper)

WIDTH = HEIGHT = 25
SNAKES = 16
TURNS = 500
SPACING = 37
MAX_LENGTH = 34
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


def cycle() -> list[tuple[int, int]]:
    """A Hamiltonian cycle over the bottom 24 rows of the board (600 cells)."""
    cells = [(x, 0) for x in range(WIDTH)]
    for y in range(1, HEIGHT - 1):
        xs = range(WIDTH - 1, 0, -1) if y % 2 else range(1, WIDTH)
        cells += [(x, y) for x in xs]
    cells += [(0, y) for y in range(HEIGHT - 2, 0, -1)]
    return cells


def build_replay(seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    ring = cycle()
    n = len(ring)
    deaths = {12: 100, 13: 200, 14: 300, 15: 400}
    players = [{"id": f"s{i}", "name": f"bot-{i}", "color": "#888888", "kind": "python"} for i in range(SNAKES)]
    lines: list[dict] = [{"type": "header", "format": "snek-replay/1", "game_id": "bench-500x16", "ruleset": "royale",
                          "settings": {"foodSpawnChance": 15, "minimumFood": 1, "hazardDamagePerTurn": 14,
                                       "shrinkEveryNTurns": 50},
                          "seed": seed, "width": WIDTH, "height": HEIGHT, "players": players}]
    food: list[list[int]] = []
    last: dict[str, dict] = {}
    for turn in range(TURNS + 1):
        snakes = []
        for i in range(SNAKES):
            sid = f"s{i}"
            if i in deaths and turn > deaths[i]:
                snakes.append(last[sid])
                continue
            length = min(MAX_LENGTH, 3 + (turn + 7 * i) // 15)
            head = (i * SPACING + turn) % n
            distinct = min(length, turn + 1)
            body = [list(ring[(head - k) % n]) for k in range(distinct)]
            body += [body[-1]] * (length - distinct)  # stacked tail: at the start and right after growing
            dead = i in deaths and turn == deaths[i]
            prev = ring[(head - 1) % n]
            move = None if turn == 0 else {(0, 1): "up", (0, -1): "down", (-1, 0): "left", (1, 0): "right"}[
                (ring[head][0] - prev[0], ring[head][1] - prev[1])]
            snake = {"id": sid, "body": body, "health": 100 - (turn % 60), "alive": not dead,
                     "death": {"cause": "snake-collision", "turn": turn, "by": "s0"} if dead else None,
                     "move": move, "latency_ms": None if turn == 0 else round(rng.uniform(0.2, 40), 2), "error": None}
            snakes.append(snake)
            last[sid] = snake
        if turn % 25 == 0:
            taken = {tuple(c) for s in snakes for c in s["body"]}
            free = [(x, y) for x in range(WIDTH) for y in range(HEIGHT) if (x, y) not in taken]
            food = [list(c) for c in rng.sample(free, 10)]
        depth = 0 if turn < 150 else 1 + (turn - 150) // 50
        hazards = [[x, y] for x in range(WIDTH) for y in range(HEIGHT)
                   if min(x, y, WIDTH - 1 - x, HEIGHT - 1 - y) < depth]
        if turn >= 350:
            hazards += [[x, y] for x, y in hazards if min(x, y, WIDTH - 1 - x, HEIGHT - 1 - y) == 0]
        lines.append({"type": "frame", "turn": turn, "food": food, "hazards": hazards, "snakes": snakes})
    lines.append({"type": "result", "turns": TURNS, "winner": None, "reason": "max-turns",
                  "placements": [{"id": f"s{i}", "rank": 1 if i not in deaths else 13 + (15 - i),
                                  "death_turn": deaths.get(i)} for i in range(SNAKES)]})
    return lines



def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"snek serve exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("snek serve did not become healthy")


MEASURE_JS = """async ([id, seeks]) => {
  const { parseGameText } = await import('/static/js/replay.js');
  const { BoardView } = await import('/static/js/board.js');
  const text = await (await fetch(`/api/replays/${id}`)).text();
  const opens = [];
  const indexes = [];
  for (let i = 0; i < 7; i += 1) {
    const t0 = performance.now();
    const g = parseGameText(text, 'bench');
    const t1 = performance.now();
    g.indexUntil();
    opens.push(t1 - t0);
    indexes.push(performance.now() - t1);
  }
  const box = document.createElement('div');
  box.style.width = '900px';
  box.style.height = '900px';
  const canvas = document.createElement('canvas');
  box.append(canvas);
  document.body.append(box);
  const board = new BoardView(canvas);
  const game = parseGameText(text, 'bench');  // fresh: every frame is parsed on its first visit
  board.draw(game, 0, {});
  const first = [];
  const again = [];
  let x = 12345;
  for (let pass of [first, again]) {
    for (let i = 0; i < seeks; i += 1) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const turn = x % (game.lastTurn + 1);
      const t0 = performance.now();
      board.draw(game, turn, { animate: false });
      pass.push(performance.now() - t0);
    }
  }
  return { bytes: text.length, frames: game.frames.length, snakes: game.maxSnakes, opens, indexes, first, again };
}"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-500x16.jsonl.gz"
        with gzip.open(path, "wt", encoding="utf-8") as out:
            for line in build_replay():
                out.write(json.dumps(line, separators=(",", ":")) + "\n")
        gz_kb = path.stat().st_size / 1e3
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen([sys.executable, "-m", "arena", "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--replays", tmp, "--no-demo-room"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_healthy(url, proc)
            replays = json.load(urllib.request.urlopen(f"{url}/api/replays"))["replays"]
            replay_id = next(r["id"] for r in replays if r["turns"] == TURNS)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.goto(f"{url}/")
                result = page.evaluate(MEASURE_JS, [replay_id, 200])
                pages = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    page.goto(f"{url}/watch/{replay_id}?turn=250")
                    page.wait_for_function("() => window.snek && window.snek.state().result !== null"
                                           " && window.snek.state().turn === 250", polling="raf")
                    shown = (time.perf_counter() - t0) * 1000
                    marks = page.evaluate("['snek:header', 'snek:result'].map("
                                          "(n) => performance.getEntriesByName(n)[0].startTime)")
                    pages.append((marks[0], marks[1], shown))
                fetch_times = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    urllib.request.urlopen(f"{url}/api/replays/{replay_id}").read()
                    fetch_times.append((time.perf_counter() - t0) * 1000)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    med = statistics.median
    pct = lambda values, q: sorted(values)[min(len(values) - 1, int(len(values) * q))]  # noqa: E731
    print(f"replay: {result['frames'] - 1} turns, {result['snakes']} snakes, {WIDTH}x{HEIGHT}, "
          f"{result['bytes'] / 1e6:.2f} MB of JSON lines, {gz_kb:.0f} KB gzipped")
    print(f"open (split the lines; check header, first and last frames, result): median {med(result['opens']):.1f} ms, "
          f"max {max(result['opens']):.1f} ms over {len(result['opens'])} runs")
    print(f"index in idle time (parse and check every other frame, deaths): median {med(result['indexes']):.0f} ms")
    for label, seeks in (("seek, first visit of the turn", result["first"]),
                         ("seek, turn seen before", result["again"])):
        print(f"{label} (parse if needed + full paint): median {med(seeks):.2f} ms, p90 {pct(seeks, 0.9):.2f} ms, "
              f"max {max(seeks):.1f} ms over {len(seeks)} random turns")
    print(f"page /watch/<id>?turn=250 over the websocket: header after {med([p[0] for p in pages]):.0f} ms, "
          f"all 502 lines after {med([p[1] for p in pages]):.0f} ms, turn 250 shown after "
          f"{med([p[2] for p in pages]):.0f} ms (median of {len(pages)}); "
          f"for scale, GET /api/replays/<id> alone takes {med(fetch_times):.0f} ms")

if __name__ == "__main__":
    main()
