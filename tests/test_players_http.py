"""HTTP snakes on 127.0.0.1: a real `snek serve-bot` process plays a full game, and small real
servers misbehave in every way the transport must survive as Battlesnake's engine does (slow,
dripping, never finishing, closing after reading, oversized, garbled answers)."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from ports import free_port
from serve import ServeBot
from serverkit import SHUTDOWN_POLL_S
from snek_cli import snek, spawn_snek

from arena.match import MatchConfig, run_match
from arena.players.http import MAX_RESPONSE_BYTES, HttpPlayer
from arena.players.spec import load_player
from arena.replay import read_replay
from arena.tournament import TournamentConfig, run_tournament


def loop_move(state: dict) -> str:
    """Round a 2x2 square on the side of the start nearer the centre: safe for a long time."""
    head, board = state["you"]["head"], state["board"]
    right, up = head["x"] < board["width"] // 2, head["y"] < board["height"] // 2
    loop = ["right" if right else "left", "up" if up else "down", "left" if right else "right", "down" if up else "up"]
    return loop[state["turn"] % 4]


def safe_move(state: dict) -> str:
    """The move nearest the centre that hits no wall and no body: lives for many turns, and so
    does the same move repeated a few times (what a snake does after a bad answer)."""
    head, board = state["you"]["head"], state["board"]
    taken = {(p["x"], p["y"]) for s in board["snakes"] for p in s["body"][:-1]}
    centre = (board["width"] // 2, board["height"] // 2)
    options = []
    for move, (dx, dy) in (("up", (0, 1)), ("right", (1, 0)), ("down", (0, -1)), ("left", (-1, 0))):
        x, y = head["x"] + dx, head["y"] + dy
        if 0 <= x < board["width"] and 0 <= y < board["height"] and (x, y) not in taken:
            options.append((abs(x - centre[0]) + abs(y - centre[1]), move))
    return min(options)[1] if options else "up"


class Handler(BaseHTTPRequestHandler):
    """One request of a ``SnakeServer``; ``server.snake`` decides what to answer."""

    protocol_version = "HTTP/1.1"  # keep-alive

    def setup(self) -> None:
        super().setup()
        self.served = 0  # requests answered on this connection before the current one
        with self.server.snake.lock:
            self.server.snake.connections += 1

    def log_message(self, *args) -> None:
        pass

    def reply(self, status: int, body) -> None:
        self.raw(status, json.dumps(body).encode())

    def raw(self, status: int, data: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self._headers_buffer += [b"\r\n", data]  # one write: no Nagle / delayed-ACK stall on small bodies
        try:
            self.flush_headers()
        except OSError:  # the client gave up (its deadline): that is its business
            self.close_connection = True

    def drip_forever(self) -> None:
        """A status line, then one header byte every 50 ms until the client goes away."""
        snake = self.server.snake
        try:
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            self.wfile.flush()
            while not snake.stopped.wait(0.05):
                self.wfile.write(b"a")
                self.wfile.flush()
        except OSError:
            with snake.lock:
                snake.hung_up += 1
        self.close_connection = True

    def do_GET(self) -> None:
        snake = self.server.snake
        snake.log("GET " + self.path, None)
        if snake.mode == "error":
            return self.reply(500, {"error": "boom"})
        self.reply(200, snake.info)

    def do_POST(self) -> None:
        snake = self.server.snake
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        snake.log("POST " + self.path, body)
        if snake.mode == "error":
            self.reply(500, {"error": "boom"})
        elif self.path != "/move" or snake.on_move is None:
            self.reply(200, {"move": safe_move(body)} if self.path == "/move" else {})
        else:
            snake.on_move(self, body)
        self.served += 1


class SnakeServer:
    """A small threaded Battlesnake server; ``on_move(handler, body)`` answers ``/move`` (default:
    ``safe_move`` at once), ``mode="error"`` answers 500 to everything.  Every request is logged."""

    def __init__(self, mode: str = "ok", on_move: Callable | None = None, info: dict | None = None) -> None:
        self.mode, self.on_move = mode, on_move
        self.info = info or {"apiversion": "1", "color": "#123456", "head": "default", "tail": "default"}
        self.connections = self.hung_up = 0
        self.requests: list[str] = []
        self.bodies: list[dict] = []  # the /move bodies, in arrival order
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.snake = self
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_S},
                         daemon=True).start()

    def log(self, request: str, body: dict | None) -> None:
        with self.lock:
            self.requests.append(request)
            if request == "POST /move":
                self.bodies.append(body)

    def move_turns(self) -> list[int]:
        with self.lock:
            return [b["turn"] for b in self.bodies]

    def close(self) -> None:
        self.stopped.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server_factory():
    servers: list[SnakeServer] = []

    def make(mode: str = "ok", on_move: Callable | None = None, info: dict | None = None) -> SnakeServer:
        servers.append(SnakeServer(mode, on_move, info))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


@pytest.fixture(scope="module")
def served_greedy():
    with ServeBot(["greedy"]) as bot:
        yield bot.url, bot.get("/")


def http_moves(outcome, seat: int = 0) -> list[dict]:
    """The snake's entry in every frame after the start in which it was asked for a move."""
    return [f["snakes"][seat] for f in outcome.frames[1:] if f["snakes"][seat]["latency_ms"] is not None]


def test_serve_bot_plays_a_full_game(served_greedy) -> None:
    url, info = served_greedy
    assert info["apiversion"] == "1" and info["color"].startswith("#")
    players = [load_player(url), load_player(url), load_player("safe")]
    assert players[0].kind == "http" and players[0].color == info["color"]
    outcome = run_match(players, MatchConfig(seed=11, timeout_ms=2000), keep_frames=True)
    assert outcome.result["type"] == "result" and "reason" not in outcome.result  # played to the end
    moves = [s for f in outcome.frames[1:] for s in f["snakes"][:2] if s["latency_ms"] is not None]
    assert len(moves) > 10
    assert not any(s["error"] for s in moves)
    assert all(0 < s["latency_ms"] <= 2000 for s in moves)


def test_server_errors_are_recorded(server_factory) -> None:
    broken = server_factory("error")
    player = load_player(broken.url)  # GET / failing is not fatal: the server is there
    outcome = run_match([player, load_player("safe")],
                        MatchConfig(seed=3, timeout_ms=2000, max_turns=5), keep_frames=True)
    errors = [s["error"] for s in http_moves(outcome)]
    assert errors and all(e == "http 500" for e in errors)
    assert outcome.frames[1]["snakes"][0]["move"] == "up"  # no previous move: up
    assert "POST /start" in broken.requests and "POST /end" in broken.requests


def test_snakes_are_told_the_map_in_every_request(server_factory, tmp_path) -> None:
    """``game.map`` as the official engine sends it: the map's name (``snek play --map``), else "standard"."""
    for args, expected in ((["--map", "empty"], "empty"), (["--map", "royale"], "royale"), ([], "standard")):
        snake = server_factory()
        out = snek("play", snake.url, "safe", *args, "--size", "7", "--max-turns", "5", "--quiet", cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        with snake.lock:
            maps = [body["game"]["map"] for body in snake.bodies]
        assert len(maps) >= 2 and set(maps) == {expected}, (args, maps)


def sleepy(seconds: float, turns: set[int] | None = None) -> Callable:
    """``on_move``: answer ``safe_move`` after sleeping ``seconds`` (on ``turns`` only, if given)."""
    def on_move(handler: Handler, body: dict) -> None:
        if turns is None or body["turn"] in turns:
            handler.server.snake.stopped.wait(seconds)
        handler.reply(200, {"move": safe_move(body)})
    return on_move


def test_slow_snakes_time_out_concurrently(server_factory) -> None:
    slow = server_factory(on_move=sleepy(60))  # never in time: it answers when the test's server stops
    players = [HttpPlayer(slow.url) for _ in range(3)]
    outcome = run_match(players, MatchConfig(seed=5, timeout_ms=150, max_turns=4), keep_frames=True)
    moves = [s for f in outcome.frames[1:] for s in f["snakes"] if s["latency_ms"] is not None]
    assert len(moves) == 12 and all(s["error"] == "timeout" for s in moves)
    assert all(s["latency_ms"] == 150 for s in moves)  # a timeout reports the game timeout, as Battlesnake does
    # the three snakes of a turn were asked at once: every turn's three requests arrived together
    assert slow.move_turns() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_connections_are_reused(server_factory) -> None:
    ok = server_factory()
    run_match([HttpPlayer(ok.url)], MatchConfig(ruleset="solo", seed=1, timeout_ms=2000, max_turns=20))
    assert len(ok.requests) >= 10
    assert ok.connections <= 3


def test_unreachable_url_is_a_spec_error() -> None:
    with pytest.raises(ValueError, match="cannot reach snake"):
        load_player(f"http://127.0.0.1:{free_port()}")


# --- issue 11: behave as Battlesnake's engine ------------------------------------------------

def test_every_turn_is_sent_and_late_answers_are_discarded(server_factory) -> None:
    """Item 1: a request stuck on turn 1 (its answer drips in forever) does not stop turn 2's."""
    def on_move(handler: Handler, body: dict) -> None:
        if body["turn"] == 1:
            return handler.drip_forever()
        handler.reply(200, {"move": safe_move(body)})

    snake = server_factory(on_move=on_move)
    outcome = run_match([HttpPlayer(snake.url), load_player("safe")],
                        MatchConfig(seed=2, timeout_ms=2000, max_turns=5), keep_frames=True)
    assert snake.move_turns() == [0, 1, 2, 3, 4]
    mine = http_moves(outcome)
    assert [s["error"] for s in mine] == [None, "timeout", None, None, None]
    asked = {b["turn"]: safe_move(b) for b in snake.bodies}
    assert mine[1]["move"] == mine[0]["move"]  # turn 1: the previous move again
    assert [s["move"] for i, s in enumerate(mine) if i != 1] == [asked[t] for t in (0, 2, 3, 4)]


def test_latency_after_a_timeout_is_the_game_timeout(server_factory) -> None:
    """Item 2: ``latency`` is the previous response time, or ``game.timeout`` after a timeout."""
    def on_move(handler: Handler, body: dict) -> None:  # turn 0 takes 20 ms at least; turn 1 never comes in time
        handler.server.snake.stopped.wait({0: 0.02, 1: 60}.get(body["turn"], 0))
        handler.reply(200, {"move": safe_move(body)})

    snake = server_factory(on_move=on_move)
    run_match([HttpPlayer(snake.url), load_player("safe")], MatchConfig(seed=2, timeout_ms=2000, max_turns=4))
    bodies = {b["turn"]: b for b in snake.bodies}
    assert sorted(bodies) == [0, 1, 2, 3]
    assert bodies[0]["you"]["latency"] == "0"  # nothing answered yet
    assert 20 <= int(bodies[1]["you"]["latency"]) < 2000
    assert bodies[2]["you"]["latency"] == "2000" and bodies[2]["game"]["timeout"] == 2000
    mine = next(s for s in bodies[2]["board"]["snakes"] if s["id"] == bodies[2]["you"]["id"])
    assert mine["latency"] == "2000"


def test_customizations_are_passed_through(server_factory) -> None:
    """Item 3: ``head`` and ``tail`` from ``GET /`` are in every request, like ``color``."""
    info = {"apiversion": "1", "color": "#abcdef", "head": "beluga", "tail": "curled"}
    snake = server_factory(info=info)
    run_match([HttpPlayer(snake.url), load_player("safe")], MatchConfig(seed=2, max_turns=3))
    assert len(snake.bodies) == 3
    for body in snake.bodies:
        me = next(s for s in body["board"]["snakes"] if s["id"] == body["you"]["id"])
        other = next(s for s in body["board"]["snakes"] if s["id"] != body["you"]["id"])
        assert body["you"]["customizations"] == me["customizations"] == {"color": "#abcdef", "head": "beluga",
                                                                         "tail": "curled"}
        assert other["customizations"]["head"] == other["customizations"]["tail"] == "default"


def test_a_request_the_snake_received_is_never_sent_twice(server_factory) -> None:
    """Item 4: the snake reads turn 2's request on a reused connection, then hangs up."""
    def on_move(handler: Handler, body: dict) -> None:
        if body["turn"] == 2 and handler.served > 0:  # read on a kept-alive connection: hang up
            handler.close_connection = True
            return
        handler.reply(200, {"move": safe_move(body)})

    snake = server_factory(on_move=on_move)
    outcome = run_match([HttpPlayer(snake.url), load_player("safe")],
                        MatchConfig(seed=2, timeout_ms=2000, max_turns=5), keep_frames=True)
    assert snake.move_turns() == [0, 1, 2, 3, 4]  # turn 2 exactly once
    errors = [s["error"] for s in http_moves(outcome)]
    assert errors[2].startswith("connection failed") and errors.count(None) == 4


def scripted(answers: dict[int, bytes]) -> Callable:
    """``on_move``: the raw bytes ``answers[turn]`` (a valid move on other turns)."""
    def on_move(handler: Handler, body: dict) -> None:
        if body["turn"] in answers:
            return handler.raw(200, answers[body["turn"]])
        handler.reply(200, {"move": safe_move(body)})
    return on_move


GARBLED = {1: b'{"move": "UP"}', 3: b'"up"', 5: b'{"move": null}', 7: b'{"move": "left", "shout": 7}',
           9: b'null', 11: b'{"move": "down"} trailing'}


def test_answers_are_parsed_as_strictly_as_battlesnake(server_factory) -> None:
    """Item 5: what Battlesnake's engine refuses is a bad answer: the snake repeats its last move."""
    start = {}

    def on_move(handler: Handler, body: dict) -> None:  # a good move on even turns, garbled on odd ones
        if body["turn"] in GARBLED:
            return handler.raw(200, GARBLED[body["turn"]])
        start.setdefault("state", body)  # every move is made twice: a 3x3 loop from the start
        handler.reply(200, {"MOVE": loop_move({**start["state"], "turn": body["turn"] // 2})})

    snake = server_factory(on_move=on_move)
    outcome = run_match([HttpPlayer(snake.url)],
                        MatchConfig(ruleset="solo", seed=2, timeout_ms=2000, max_turns=12), keep_frames=True)
    mine = http_moves(outcome)
    assert len(mine) == 12, "the snake died before every garbled answer was tried"
    errors = [s["error"] for s in mine]
    assert [t for t, e in enumerate(errors) if e] == sorted(GARBLED)  # keys match in any case, as in Go
    assert all(errors[t].startswith("bad-output") for t in GARBLED), errors
    assert "null" in errors[5] and "None" not in errors[5]
    assert all(mine[t]["move"] == mine[t - 1]["move"] for t in GARBLED)  # the last good move, repeated


def test_a_lone_surrogate_in_a_shout_becomes_a_replacement_character(server_factory) -> None:
    """Go's encoding/json (Battlesnake's engine) turns an unpaired surrogate escape into U+FFFD; so do we, where
    the answer comes in: a frame holding the raw surrogate could not be encoded as UTF-8 (a socket, Redis)."""
    snake = server_factory(on_move=scripted({t: b'{"move": "up", "shout": "a\\ud800b\\ud83d\\ude00"}'
                                             for t in range(3)}))
    outcome = run_match([HttpPlayer(snake.url)], MatchConfig(ruleset="solo", seed=2, timeout_ms=10_000, max_turns=3),
                        keep_frames=True)  # no timeout on a loaded machine: a late answer would have no shout
    shouts = [s.get("shout") for s in http_moves(outcome)]
    assert len(shouts) == 2 and shouts == ["a\ufffdb\U0001f600"] * 2
    assert all(json.dumps(f, ensure_ascii=False).encode() for f in outcome.frames)


def test_lenient_players_accept_case_and_bare_strings(server_factory) -> None:
    snake = server_factory(on_move=scripted({0: b'{"move": "UP"}', 1: b'"left"'}))
    outcome = run_match([HttpPlayer(snake.url, lenient=True), load_player("safe")],
                        MatchConfig(seed=2, timeout_ms=2000, max_turns=2), keep_frames=True)
    mine = http_moves(outcome)
    assert [(s["move"], s["error"]) for s in mine] == [("up", None), ("left", None)]


def test_first_turn_timeout_is_the_one_the_body_announces(server_factory) -> None:
    """Item 6: turn 0 has the game timeout unless a first-turn allowance is set, and says so."""
    snake = server_factory(on_move=sleepy(3, turns={0}))
    outcome = run_match([HttpPlayer(snake.url), load_player("safe")],
                        MatchConfig(seed=2, timeout_ms=1000, max_turns=2), keep_frames=True)
    assert [b["game"]["timeout"] for b in snake.bodies] == [1000, 1000]
    assert [s["error"] for s in http_moves(outcome)] == ["timeout", None]

    allowed = server_factory(on_move=sleepy(3, turns={0}))
    outcome = run_match([HttpPlayer(allowed.url), load_player("safe")],
                        MatchConfig(seed=2, timeout_ms=1000, first_timeout_ms=20000, max_turns=2), keep_frames=True)
    assert [b["game"]["timeout"] for b in allowed.bodies] == [20000, 1000]
    assert [s["error"] for s in http_moves(outcome)] == [None, None]


def test_values_the_api_defines(server_factory, tmp_path: Path) -> None:
    """Item 7: ``game.source`` and ``ruleset.version`` as the API defines them; one name everywhere."""
    snake = server_factory()
    player = load_player(snake.url)
    run_match([player, load_player("safe")], MatchConfig(seed=2, max_turns=2))
    game = snake.bodies[0]["game"]
    assert game["source"] == "custom"
    assert re.fullmatch(r"v\d+\.\d+\.\d+", game["ruleset"]["version"])
    board = run_tournament(TournamentConfig(bots=[snake.url, "safe"], games=1, rules=MatchConfig(max_turns=3),
                                            out_dir=tmp_path))
    replay = read_replay(tmp_path / "game-00000.jsonl.gz")
    assert board.names[0] == player.name == replay.header["players"][0]["name"] == snake.url


def test_a_never_finishing_snake_does_not_keep_snek_play_alive(server_factory) -> None:
    """Item 8: every request is bounded by the move deadline in total, and never joined at exit."""
    def on_move(handler: Handler, body: dict) -> None:
        if body["turn"] >= 1:
            return handler.drip_forever()
        handler.reply(200, {"move": safe_move(body)})

    snake = server_factory(on_move=on_move)
    proc = spawn_snek("play", snake.url, "safe", "--quiet", "--timeout", "1000", "--max-turns", "4",
                      stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"snek play still running a minute later: {out[-500:]}")
    assert proc.returncode == 0, out[-500:]
    assert "result after 4 turns" in out
    assert snake.move_turns() == [0, 1, 2, 3]
    assert snake.hung_up == 3  # every dripping request was cut by us, not left running


def test_oversized_responses_are_bad_answers(server_factory) -> None:
    """Item 15: a body over the limit, or too many headers, is a bad answer and is not read on."""
    padded = json.dumps({"move": "left", "pad": "x" * (2 * MAX_RESPONSE_BYTES)}).encode()

    def on_move(handler: Handler, body: dict) -> None:
        if body["turn"] == 1:
            return handler.raw(200, padded)
        if body["turn"] == 2:
            return handler.raw(200, b'{"move": "left"}', {f"X-H{i}": "y" * 100 for i in range(200)})
        handler.reply(200, {"move": safe_move(body)})

    snake = server_factory(on_move=on_move)
    outcome = run_match([HttpPlayer(snake.url), load_player("safe")],
                        MatchConfig(seed=2, timeout_ms=2000, max_turns=4), keep_frames=True)
    errors = [s["error"] for s in http_moves(outcome)]
    assert errors[0] is None and errors[3] is None
    assert errors[1].startswith("bad-output") and str(MAX_RESPONSE_BYTES) in errors[1]
    assert errors[2].startswith("bad-output") and "header" in errors[2]
