"""`snek serve-bot` over real HTTP: Battlesnake's documented request bodies for every ruleset are
answered in time with valid moves by every built-in bot, and every malformed body gets a one-line
400 (413 when too large) instead of a crash, a 500 page or a silent fallback."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_players_http import free_port, wait_for_server

from arena.cli.serve_bot import MAX_REQUEST_BYTES
from arena.geometry import MOVES
from snek_bots import REGISTRY

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "battlesnake").glob("*.json"))
BOTS = ["random", "safe", "greedy", "space", "search", "learned"]
CRASHING_BOT = '''
def move(state):
    raise ValueError("my bug on turn %d" % state["turn"])
'''


class Served:
    """One real `snek serve-bot` process; its output goes to a file we can read while it runs."""

    def __init__(self, spec: str, log: Path) -> None:
        self.port, self.log = free_port(), log
        self.proc = subprocess.Popen([sys.executable, "-m", "arena", "serve-bot", spec, "--port", str(self.port)],
                                     stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)

    def post(self, path: str, data: bytes | dict, timeout_s: float = 10.0) -> tuple[int, dict | None, float]:
        """Status, JSON answer (None if not JSON) and milliseconds taken."""
        payload = data if isinstance(data, bytes) else json.dumps(data).encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout_s)
        began = time.perf_counter()
        try:
            conn.request("POST", path, body=payload, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        elapsed = (time.perf_counter() - began) * 1000
        try:
            return response.status, json.loads(raw), elapsed
        except ValueError:
            return response.status, None, elapsed

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> dict[str, Served]:
    """Every built-in bot and a crashing one, each behind its own serve-bot (started at once)."""
    tmp = tmp_path_factory.mktemp("serve")
    (tmp / "crashing.py").write_text(CRASHING_BOT)
    specs = {**{bot: bot for bot in BOTS}, "crashing": f"{tmp / 'crashing.py'}:move"}
    servers = {name: Served(spec, tmp / f"{name}.log") for name, spec in specs.items()}
    try:
        for server in servers.values():
            wait_for_server(f"http://127.0.0.1:{server.port}", server.proc)
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def test_documented_bodies_are_answered_by_every_bot(served) -> None:
    assert {json.loads(p.read_text())["game"]["ruleset"]["name"] for p in FIXTURES} == {
        "standard", "wrapped", "constrictor", "wrapped_constrictor", "royale", "solo", "squad"}
    assert set(BOTS) <= set(REGISTRY)
    answered = 0
    for bot in BOTS:
        for path in FIXTURES:
            body = json.loads(path.read_text())
            body["game"]["id"] += f"-{bot}"
            assert served[bot].post("/start", body)[0] == 200
            status, answer, elapsed = served[bot].post("/move", body)
            where = f"{bot} on {path.name}"
            assert status == 200 and answer["move"] in MOVES, (where, status, answer)
            assert elapsed < body["game"]["timeout"], where  # what the engine allows
            assert served[bot].post("/end", body)[0] == 200
            answered += 1
    assert answered == len(BOTS) * len(FIXTURES) == 48
    for bot in BOTS:  # no bot crashed on any documented body (crashes are logged)
        assert "crash" not in served[bot].output(), served[bot].output()[-2000:]


def base() -> dict:
    return json.loads((FIXTURES[0].parent / "standard.json").read_text())


def changed(change) -> bytes:
    body = base()
    change(body)
    return json.dumps(body).encode()


def put(path: list, value):
    def change(body: dict) -> None:
        node = body
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def drop(path: list):
    def change(body: dict) -> None:
        node = body
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return change


MALFORMED = [  # (route, body, start of the error)
    ("/move", changed(put(["game"], "x")), 'game must be an object, got "x"'),
    ("/move", changed(put(["you"], "a")), 'you must be an object, got "a"'),
    ("/move", changed(put(["game", "timeout"], "abc")), 'game.timeout must be an integer, got "abc"'),
    ("/move", b"[" * 100_000 + b"]" * 100_000, "the request body is not JSON"),
    ("/move", b"{not json", "the request body is not JSON"),
    ("/move", changed(put(["you"], None)), "you must be an object, got null"),
    ("/move", changed(drop(["board"])), "board is missing"),
    ("/move", changed(put(["board", "snakes", 1, "body"], [])), "board.snakes[1].body must have 1 to"),
    ("/move", changed(put(["board", "width"], 10**9)), "board.width must be between 3 and 25"),
    ("/move", changed(put(["turn"], None)), "turn must be an integer, got null"),
    ("/move", changed(put(["you", "id"], "someone else")), 'you ("someone else") is not one of board.snakes'),
    ("/start", changed(put(["board", "snakes"], {"a": 1})), "board.snakes must be a list of snakes"),
    ("/start", changed(put(["game", "id"], 7)), "game.id must be a string, got 7"),
    ("/end", changed(put(["turn"], "last")), 'turn must be an integer, got "last"'),
    ("/end", b"null", "the request body must be a JSON object, got null"),
]


def test_malformed_bodies_get_a_one_line_400(served) -> None:
    server = served["greedy"]
    for route, data, message in MALFORMED:
        status, answer, _ = server.post(route, data)
        assert status == 400 and answer is not None, (route, message, status)
        assert set(answer) == {"error"} and answer["error"].startswith(message), (route, answer)
        assert "\n" not in answer["error"]
    assert "Traceback" not in server.output()
    assert server.proc.poll() is None


def test_oversized_bodies_get_413(served) -> None:
    body = base()
    body["board"]["padding"] = "x" * MAX_REQUEST_BYTES
    status, answer, _ = served["greedy"].post("/move", body)
    assert status == 413 and str(MAX_REQUEST_BYTES) in answer["error"]


def test_a_crashing_bot_falls_back_and_is_logged(served) -> None:
    server = served["crashing"]
    body = base()
    status, answer, _ = server.post("/move", body)
    assert status == 200 and answer == {"move": "up"}  # no earlier move: up, as the engine would
    deadline = time.monotonic() + 10
    while "my bug on turn 14" not in server.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    line = next(line for line in server.output().splitlines() if "my bug on turn 14" in line)
    assert "crash: ValueError" in line and body["game"]["id"] in line and "answered up" in line
