"""`snek serve-bot` as a real process: it answers before `game.timeout` whatever the bot does
(a late bot gets its fallback move, logged), and games whose `/end` never comes do not pile up
bot processes or state."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from arena.battlesnake import GameInfo, game_state
from arena.engine import Engine

SLEEPER = """
import time
def move(state):
    time.sleep(5)
    return "down"
"""

STDIO_BOT = r"""
import json, os, sys
open(os.path.join(sys.argv[1], str(os.getpid())), "w").close()
for line in sys.stdin:
    if json.loads(line)["type"] == "move":
        print(json.dumps({"move": "left"}), flush=True)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


class ServeBot:
    """A real `snek serve-bot` subprocess on a free port; ``stop()`` presses Ctrl-C."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "arena", "serve-bot", *args, "--port", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"serve-bot did not start: {self.output()[-500:]}")
                time.sleep(0.1)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def alive(pids_dir: Path) -> list[int]:
    return [int(p.name) for p in pids_dir.iterdir() if Path(f"/proc/{p.name}").exists()]


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


STDIO_SLEEPER = r"""
import json, sys, time
for line in sys.stdin:
    if json.loads(line)["type"] == "move":
        time.sleep(5)
        print(json.dumps({"move": "down"}), flush=True)
"""


@pytest.mark.parametrize("kind", ["python", "stdio"])
def test_late_bot_gets_its_fallback_in_time(tmp_path: Path, kind: str) -> None:
    """A bot that sleeps 5 s: serve-bot answers by game.timeout minus --margin-ms (here 1000 - 400),
    so the reply is in before game.timeout even on a loaded machine, with the fallback move, logged."""
    bot = tmp_path / "sleeper.py"
    bot.write_text(SLEEPER if kind == "python" else STDIO_SLEEPER)
    server = ServeBot(f"{bot}:move" if kind == "python" else f"cmd:{sys.executable} {bot}", "--margin-ms", "400")
    try:
        answer, took = post(server.url, "/move", body("g-late", timeout_ms=1000))
        assert answer == {"move": "up"}  # the fallback: no earlier move in this game
        assert took < 1000, f"answered after {took:.0f} ms, game.timeout is 1000"
        answer, took = post(server.url, "/move", body("g-late", timeout_ms=1000, turn=1))
        assert answer == {"move": "up"} and took < 1000  # still busy: fallback again, still in time
    finally:
        server.stop()
    log = server.output()
    assert log.count("game g-late turn ") == 2 and "timeout" in log and "answered up" in log


def test_idle_games_are_reaped(tmp_path: Path) -> None:
    script = tmp_path / "bot.py"
    script.write_text(STDIO_BOT)
    pids = tmp_path / "pids"
    pids.mkdir()
    server = ServeBot(f"cmd:{sys.executable} {script} {pids}", "--idle-timeout", "2")
    try:
        for i in range(30):  # games whose /end never comes
            post(server.url, "/start", body(f"g-{i}", 3000))
            answer, _ = post(server.url, "/move", body(f"g-{i}", 3000))
            assert answer == {"move": "left"}
        assert len(list(pids.iterdir())) == 30
        assert wait_until(lambda: not alive(pids), 30), f"{len(alive(pids))} bot processes still running"
        answer, _ = post(server.url, "/move", body("g-0", 3000, turn=1))  # a reaped game that comes back starts afresh
        assert answer == {"move": "left"} and len(list(pids.iterdir())) == 31
    finally:
        server.stop()
    assert wait_until(lambda: not alive(pids), 10), "Ctrl-C left bot processes behind"
    assert "reaped" in server.output()


def test_games_served_at_once_are_bounded(tmp_path: Path) -> None:
    script = tmp_path / "bot.py"
    script.write_text(STDIO_BOT)
    pids = tmp_path / "pids"
    pids.mkdir()
    server = ServeBot(f"cmd:{sys.executable} {script} {pids}", "--max-games", "5")
    try:
        for i in range(12):
            post(server.url, "/move", body(f"g-{i}", 3000))
        assert len(list(pids.iterdir())) == 12
        assert wait_until(lambda: len(alive(pids)) <= 5, 10), f"{len(alive(pids))} bot processes for 5 games"
    finally:
        server.stop()
    assert wait_until(lambda: not alive(pids), 10)
