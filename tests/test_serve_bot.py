"""`snek serve-bot` as a real process: it answers before `game.timeout` whatever the bot does
(a late bot gets its fallback move, logged), and games whose `/end` never comes do not pile up
bot processes or state."""

from __future__ import annotations

import json
import re
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from serve import ServeBot
from waiting import wait_until

from arena.battlesnake import GameInfo, game_state
from arena.engine import Engine

SLEEPER = """
import time
def move(state):
    time.sleep(10)
    return "down"
"""

STDIO_BOT = r"""
import json, os, sys
open(os.path.join(sys.argv[1], str(os.getpid())), "w").close()
for line in sys.stdin:
    if json.loads(line)["type"] == "move":
        print(json.dumps({"move": "left"}), flush=True)
"""


def body(game_id: str, timeout_ms: int = 500, turn: int = 0) -> dict:
    engine = Engine()
    frame = engine.frame(engine.new_batch([1], 2), 0)
    state = game_state(frame, 11, 11, GameInfo(game_id, "standard", engine.settings, timeout_ms=timeout_ms), "s0")
    return {**state, "turn": turn}


def post(url: str, path: str, data: dict, timeout: float = 30) -> tuple[dict | str, float]:
    request = urllib.request.Request(url + path, data=json.dumps(data).encode(),
                                     headers={"Content-Type": "application/json"})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        raw = response.read().decode()
    took = (time.perf_counter() - began) * 1000
    try:
        return json.loads(raw), took
    except ValueError:
        return raw, took


def alive(pids_dir: Path) -> list[int]:
    return [int(p.name) for p in pids_dir.iterdir() if Path(f"/proc/{p.name}").exists()]


STDIO_SLEEPER = r"""
import json, sys, time
for line in sys.stdin:
    if json.loads(line)["type"] == "move":
        time.sleep(10)
        print(json.dumps({"move": "down"}), flush=True)
"""


@pytest.mark.parametrize("kind", ["python", "stdio"])
def test_late_bot_gets_its_fallback_in_time(tmp_path: Path, kind: str) -> None:
    """A bot that sleeps 10 s: serve-bot answers by game.timeout minus --margin-ms (here 4000 - 2000), with the
    fallback move, logged.  The 2 s between the two is the margin a loaded machine gets; a serve-bot that
    waited for the bot would take 10 s."""
    bot = tmp_path / "sleeper.py"
    bot.write_text(SLEEPER if kind == "python" else STDIO_SLEEPER)
    server = ServeBot([f"{bot}:move" if kind == "python" else f"cmd:{sys.executable} {bot}", "--margin-ms", "2000"])
    server.start()
    try:
        answer, took = post(server.url, "/move", body("g-late", timeout_ms=4000))
        assert answer == {"move": "up"}  # the fallback: no earlier move in this game
        assert took < 4000, f"answered after {took:.0f} ms, game.timeout is 4000"
        answer, took = post(server.url, "/move", body("g-late", timeout_ms=4000, turn=1))
        assert answer == {"move": "up"} and took < 4000  # still busy: fallback again, still in time
    finally:
        server.stop()
    log = server.output()
    # the line docs/bots.md shows: time, game, turn, snake, the error and the fallback
    logged = re.findall(r"^\d{4}-\d\d-\d\d [\d:,]+ game g-late turn (\d) snake s0: (timeout[^;]*) after [\d.]+ ms; "
                        r"answered up$", log, re.M)
    assert [turn for turn, _ in logged] == ["0", "1"], log


def test_idle_games_are_reaped(tmp_path: Path) -> None:
    script = tmp_path / "bot.py"
    script.write_text(STDIO_BOT)
    pids = tmp_path / "pids"
    pids.mkdir()
    server = ServeBot([f"cmd:{sys.executable} {script} {pids}", "--idle-timeout", "2"]).start()
    try:
        for i in range(30):  # games whose /end never comes
            post(server.url, "/start", body(f"g-{i}", 3000))
            answer, _ = post(server.url, "/move", body(f"g-{i}", 3000))
            assert answer == {"move": "left"}
        assert len(list(pids.iterdir())) == 30
        wait_until(lambda: not alive(pids), what="idle games' bot processes reaped")
        answer, _ = post(server.url, "/move", body("g-0", 3000, turn=1))  # a reaped game that comes back starts afresh
        assert answer == {"move": "left"} and len(list(pids.iterdir())) == 31
    finally:
        server.stop()
    wait_until(lambda: not alive(pids), what="no bot process left after Ctrl-C")
    assert "reaped" in server.output()


def test_games_served_at_once_are_bounded(tmp_path: Path) -> None:
    script = tmp_path / "bot.py"
    script.write_text(STDIO_BOT)
    pids = tmp_path / "pids"
    pids.mkdir()
    server = ServeBot([f"cmd:{sys.executable} {script} {pids}", "--max-games", "5"]).start()
    try:
        for i in range(12):
            post(server.url, "/move", body(f"g-{i}", 3000))
        assert len(list(pids.iterdir())) == 12
        wait_until(lambda: len(alive(pids)) <= 5, what="at most 5 bot processes for --max-games 5")
    finally:
        server.stop()
    wait_until(lambda: not alive(pids), what="no bot process left after Ctrl-C")
