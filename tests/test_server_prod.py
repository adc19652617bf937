"""`snek serve` and `snek demo` as users run them (real subprocesses), and the production command:
the app under gunicorn's threaded worker, spectated over a real websocket."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from ports import free_port
from serverkit import handshake, http, upgrade_status
from snek_cli import snek, spawn_snek
from waiting import wait_until
from wsclient import Client

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent


def read_url(process: subprocess.Popen, timeout: float = 300) -> tuple[str, list[str]]:
    """Read the process's output until it prints the server's URL."""
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"serving on (http://127\.0\.0\.1:\d+/)", line)
        if found:
            return found.group(1).rstrip("/"), lines
    raise AssertionError("no URL printed:\n" + "".join(lines[-20:]))


def stop(process: subprocess.Popen, sig: int = signal.SIGINT, timeout: float = 30) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


GUNICORN = pytest.mark.skipif(shutil.which("gunicorn", path=str(BIN)) is None,
                              reason="gunicorn (the `serve` extra) missing")


@contextmanager
def gunicorn(folder: Path, env: dict, *args: str) -> Iterator[tuple[int, str]]:
    """The documented production command (plus ``args``) on a free port, with ``SNEK_*`` variables ``env``;
    yields (port, url) once ``/healthz`` answers, and stops it with SIGTERM."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "python:snek_viewer.gunicorn_conf", "-b", f"127.0.0.1:{port}", *args,
         "snek_viewer.serving:from_env()"],
        env={**os.environ, "SNEK_REPLAYS": str(folder), **env}, cwd=folder, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: process.poll() is None and _up(url), timeout=120, every=0.2)
        yield port, url
    finally:
        stop(process, signal.SIGTERM, 60)


@GUNICORN
def test_the_production_command_serves_http_and_websockets(tmp_path):
    with gunicorn(tmp_path, {"SNEK_ROOMS": "standard:greedy,safe"}) as (port, url):
        rooms = http("GET", url + "/api/rooms")[1]["rooms"]
        assert {r["ruleset"] for r in rooms} == {"classic", "standard"}  # the demo room and the --room one
        demo = next(r for r in rooms if r["ruleset"] == "classic")
        watcher = Client(f"ws://127.0.0.1:{port}/ws/rooms/{demo['id']}")
        assert watcher.recv()["type"] == "header"
        turns = [watcher.recv()["turn"] for _ in range(5)]
        assert turns == list(range(turns[0], turns[0] + 5))
        watcher.send({"type": "join", "name": "ann"})
        assert watcher.until(lambda m: m["type"] == "welcome")[0]["player_id"].startswith("s")
        assert "script-src 'self'" in http("GET", url + "/healthz")[2]["Content-Security-Policy"]
        watcher.close()
    assert list(tmp_path.glob("*.jsonl.gz")), "the rooms' games were saved on shutdown"


@GUNICORN
def test_idle_websockets_cannot_starve_the_production_server(tmp_path):
    """Under the production command every open socket holds one of the worker's threads: idle sockets used to
    take them all and /healthz timed out (issue 20, item 9).  Here 24 threads and 24 idle sockets; the socket
    limit (SNEK_MAX_SOCKETS=16) keeps threads for pages."""
    env = {"SNEK_MAX_SOCKETS": "16", "SNEK_MAX_SOCKETS_PER_ADDRESS": "0"}
    with gunicorn(tmp_path, env, "--threads", "24") as (port, url):
        demo = http("GET", url + "/api/rooms")[1]["rooms"][0]["id"]
        idle = [handshake(port, f"/ws/rooms/{demo}") for _ in range(24)]
        try:
            statuses = [upgrade_status(s) for s in idle]
            assert statuses.count(101) == 16 and statuses.count(503) == 8
            assert answers(url + "/healthz") and answers(url + "/")  # threads left for pages
        finally:
            for s in idle:
                s.close()


def answers(url: str, timeout: float = 10.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def _up(url: str) -> bool:
    try:
        return http("GET", url + "/healthz")[0] == 200
    except OSError:
        return False


def test_snek_serve_bad_options_are_one_red_line(tmp_path):
    for args, words in ((["--bot", "nonsense"], "--bot expects NAME=SPEC"),
                        (["--bot", "x=cmd:"], "needs a command"),
                        (["--room", "nope:greedy"], "unknown ruleset"),
                        (["--room", "standard:greedy,cmd:ls"], "unknown bot"),
                        (["--tournaments", str(tmp_path / "missing")], "no such folder"),
                        (["--room", "standard:search,search,search,search,search"], "of a core"),
                        (["--room", "standard:search,safe", "--room", "standard:search,safe", "--cpu-budget", "0.3"],
                         "--cpu-budget"),
                        (["--max-sockets", "-1"], "--max-sockets")):
        out = snek("serve", "--port", "0", "--seconds", "1", *args, timeout=120, cwd=tmp_path)
        assert out.returncode == 2 and words in " ".join(out.stderr.split()), (args, out.stderr)
        assert "Traceback" not in out.stderr


def test_snek_serve_runs_and_saves_the_endless_room_on_ctrl_c(tmp_path):
    process = spawn_snek("serve", "--port", "0", "--replays", str(tmp_path), stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        url, _ = read_url(process)
        rooms = http("GET", url + "/api/rooms")[1]["rooms"]
        assert len(rooms) == 1 and rooms[0]["ruleset"] == "classic"
        wait_until(lambda: http("GET", f"{url}/api/rooms/{rooms[0]['id']}")[1]["turn"] >= 3)
    finally:
        stop(process)
    assert process.returncode == 0
    saved = tmp_path / f"{rooms[0]['id']}.jsonl.gz"
    verified = snek("replay", "verify", str(saved), timeout=120)
    assert verified.returncode == 0 and "OK" in verified.stdout


@pytest.mark.timeout(900)  # a game, a tournament, then the server
def test_the_demo_end_to_end(tmp_path):
    """`snek demo` (what `make demo` runs): a live terminal game, verified, a short tournament, then the
    server with the lobby's live bot room, the demo's games in the library and the tournament page."""
    process = spawn_snek("demo", "--fps", "0", "--games", "4", "--out-dir", str(tmp_path / "out"), "--port", "0",
                         "--serve-seconds", "600", stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        url, lines = read_url(process)
        text = "".join(lines)
        assert "verify" in text and "OK" in text and "leaderboard" in text.lower()
        rooms = http("GET", url + "/api/rooms")[1]["rooms"]
        assert len(rooms) == 1 and rooms[0]["status"] == "running"
        turn = rooms[0]["turn"]
        wait_until(lambda: http("GET", f"{url}/api/rooms/{rooms[0]['id']}")[1]["turn"] > turn)
        replays = {r["id"] for r in http("GET", url + "/api/replays")[1]["replays"]}
        assert "demo" in replays and {f"tournament-game-{i:05d}" for i in range(4)} <= replays
        tournaments = http("GET", url + "/api/tournaments")[1]["tournaments"]
        ladder = ["random", "safe", "greedy", "space", "learned"]
        assert tournaments == [{"name": "tournament", "games": 4, "bots": ladder}]
        detail = http("GET", url + "/api/tournaments/tournament")[1]
        assert len(detail["games"]) == 4 and all(g["replay_id"] in replays for g in detail["games"])
        status, _, headers = http("GET", url + "/tournaments/tournament")
        assert "script-src 'self'" in headers["Content-Security-Policy"]
    finally:
        stop(process)
    assert process.returncode == 0
