"""HTTP snakes on 127.0.0.1: a real `snek serve-bot` process plays a full game; a server that
answers 500 and a slow one never stall the game; requests of one turn go out concurrently."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from arena.match import MatchConfig, run_match
from arena.players.http import HttpPlayer
from arena.players.spec import load_player


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loop_move(state: dict) -> str:
    """Round a 2x2 square on the side of the start nearer the centre: safe for a long time."""
    head, board = state["you"]["head"], state["board"]
    right, up = head["x"] < board["width"] // 2, head["y"] < board["height"] // 2
    loop = ["right" if right else "left", "up" if up else "down", "left" if right else "right", "down" if up else "up"]
    return loop[state["turn"] % 4]


class SnakeServer:
    """A tiny threaded Battlesnake server: ``mode`` is ok, error (500 on every request) or slow."""

    def __init__(self, mode: str, delay_s: float = 0.0) -> None:
        server = self
        self.mode, self.delay_s = mode, delay_s
        self.connections = 0
        self.requests: list[str] = []
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive

            def setup(self) -> None:
                super().setup()
                with server.lock:
                    server.connections += 1

            def log_message(self, *args) -> None:
                pass

            def reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                server.requests.append("GET " + self.path)
                if server.mode == "error":
                    return self.reply(500, {"error": "boom"})
                self.reply(200, {"apiversion": "1", "color": "#123456", "head": "default", "tail": "default"})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append("POST " + self.path)
                if server.mode == "error":
                    return self.reply(500, {"error": "boom"})
                if self.path == "/move" and server.mode == "slow":
                    time.sleep(server.delay_s)
                self.reply(200, {"move": loop_move(body)})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server_factory():
    servers: list[SnakeServer] = []

    def make(mode: str, delay_s: float = 0.0) -> SnakeServer:
        servers.append(SnakeServer(mode, delay_s))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


@pytest.fixture(scope="module")
def served_greedy():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "arena", "serve-bot", "greedy", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url + "/", timeout=1) as response:
                info = json.loads(response.read())
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"serve-bot did not start: {proc.stdout.read().decode()[-500:]}")
            time.sleep(0.1)
    yield url, info
    proc.terminate()
    proc.wait(timeout=10)


def test_serve_bot_plays_a_full_game(served_greedy) -> None:
    url, info = served_greedy
    assert info["apiversion"] == "1" and info["name"] == "greedy" and info["color"].startswith("#")
    players = [load_player(url), load_player(url), load_player("safe")]
    assert players[0].kind == "http" and players[0].color == info["color"]
    outcome = run_match(players, MatchConfig(seed=11, timeout_ms=500))
    assert outcome.result["type"] == "result" and "reason" not in outcome.result  # played to the end
    http_moves = [s for f in outcome.frames[1:] for s in f["snakes"][:2] if s["latency_ms"] is not None]
    assert len(http_moves) > 10
    assert not any(s["error"] for s in http_moves)
    assert all(0 < s["latency_ms"] < 500 for s in http_moves)


def test_server_errors_are_recorded(server_factory) -> None:
    broken = server_factory("error")
    player = load_player(broken.url)  # GET / failing is not fatal: the server is there
    outcome = run_match([player, load_player("safe")], MatchConfig(seed=3, timeout_ms=300, max_turns=5))
    errors = [f["snakes"][0]["error"] for f in outcome.frames[1:] if f["snakes"][0]["latency_ms"] is not None]
    assert errors and all(e == "http 500" for e in errors)
    assert outcome.frames[1]["snakes"][0]["move"] == "up"  # no previous move: up
    assert "POST /start" in broken.requests and "POST /end" in broken.requests


def test_slow_snakes_time_out_concurrently(server_factory) -> None:
    slow = server_factory("slow", delay_s=0.4)
    players = [HttpPlayer(slow.url) for _ in range(3)]
    began = time.perf_counter()
    outcome = run_match(players, MatchConfig(seed=5, timeout_ms=150, first_timeout_ms=150, max_turns=4))
    elapsed = time.perf_counter() - began
    moves = [s for f in outcome.frames[1:] for s in f["snakes"] if s["latency_ms"] is not None]
    assert moves and all(s["error"] == "timeout" for s in moves)
    assert all(140 <= s["latency_ms"] < 400 for s in moves)
    # 4 turns x 3 snakes one after another would take >= 1.8 s; concurrently about 4 x 0.15 s
    assert elapsed < 1.5


def test_connections_are_reused(server_factory) -> None:
    ok = server_factory("ok")
    run_match([HttpPlayer(ok.url)], MatchConfig(ruleset="solo", seed=1, timeout_ms=500, max_turns=20))
    assert len(ok.requests) >= 10
    assert ok.connections <= 3


def test_unreachable_url_is_a_spec_error() -> None:
    with pytest.raises(ValueError, match="cannot reach snake"):
        load_player(f"http://127.0.0.1:{free_port()}")
