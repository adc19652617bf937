"""`snek serve-bot` over real HTTP: Battlesnake's documented request bodies for every ruleset are
answered in time with valid moves by every built-in bot, and every malformed body gets a one-line
400 (413 when too large) instead of a crash, a 500 page or a silent fallback."""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path

import pytest
from serve import ServeBot, stop_all

from arena.cli.serve_bot import MAX_REQUEST_BYTES
from arena.geometry import MOVES
from snek_bots import REGISTRY

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "battlesnake").glob("*.json"))
BOTS = ["random", "safe", "greedy", "space", "search", "learned"]
CRASHING_BOT = '''
def move(state):
    raise ValueError("my bug on turn %d" % state["turn"])
'''


class Served(ServeBot):
    """One real `snek serve-bot` process, with raw HTTP posts (status, JSON, milliseconds)."""

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


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> dict[str, Served]:
    """Every built-in bot and a crashing one, each behind its own serve-bot (started at once)."""
    tmp = tmp_path_factory.mktemp("serve")
    (tmp / "crashing.py").write_text(CRASHING_BOT)
    specs = {**{bot: bot for bot in BOTS}, "crashing": f"{tmp / 'crashing.py'}:move"}
    servers = {name: Served([spec]).spawn() for name, spec in specs.items()}
    try:
        for server in servers.values():
            server.ready()
        yield servers
    finally:
        stop_all(servers.values())


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
    ("/move", changed(put(["board", "width"], 0)), "board.width must be between 1 and"),
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


# --- every request Battlesnake's engine can send is answered (issue 18, defects 1, 2 and 7) --------------

PROBE_BOT = '''
import time
def move(state):
    board = state["board"]
    for p in board["hazards"]:  # the bot is never shown a point it could misread
        assert 0 <= p["x"] < board["width"] and 0 <= p["y"] < board["height"], p
    time.sleep(0.01)
    return {"move": "left", "shout": "probe"}
'''


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> Served:
    """A bot whose answer ('left', shouting) tells it apart from serve-bot's fallback."""
    tmp = tmp_path_factory.mktemp("probe")
    (tmp / "probe.py").write_text(PROBE_BOT)
    server = Served([f"{tmp / 'probe.py'}:move"]).start()
    try:
        yield server
    finally:
        server.stop()


def snail_mode(body: dict) -> None:
    """snail_mode's state: hazards above and beside the board (rules repository, maps/snail_mode.go)."""
    body["game"]["map"] = "snail_mode"
    body["board"]["hazards"] += [{"x": 9, "y": 16}, {"x": -1, "y": 3}, {"x": 3, "y": -11}]


def big_board(body: dict) -> None:
    """A 30x30 board (battlesnake play -W 30 -H 30) with our snake in the corner, heading down: only
    `right` does not die at once."""
    mine = [{"x": 0, "y": 0}, {"x": 0, "y": 1}, {"x": 0, "y": 2}]
    body["board"].update(width=30, height=30, hazards=[])
    you = body["you"]
    you.update(body=mine, head=mine[0], length=3)
    body["board"]["snakes"] = [you, {**body["board"]["snakes"][1]}]


def many_snakes(body: dict) -> None:
    """20 snakes (battlesnake play with 20 --url flags) on a 25x25 board."""
    body["board"].update(width=25, height=25, hazards=[])
    snakes = [{"id": f"s{i}", "name": f"s{i}", "health": 90, "latency": "1", "shout": "", "squad": "",
               "body": [{"x": i, "y": 20}, {"x": i, "y": 21}, {"x": i, "y": 22}], "head": {"x": i, "y": 20},
               "length": 3, "customizations": {"color": "#888888", "head": "default", "tail": "default"}}
              for i in range(20)]
    body["board"]["snakes"], body["you"] = snakes, snakes[0]


ANSWERED = [  # (what the engine sends, the bot plays it?, the reason logged when it does not)
    ("snail_mode's off-board hazards", snail_mode, True, None),
    ("hazardDamagePerTurn 200", put(["game", "ruleset", "settings", "hazardDamagePerTurn"], 200), True, None),
    ("hazardDamagePerTurn -250", put(["game", "ruleset", "settings", "hazardDamagePerTurn"], -250), True, None),
    ("a 30x30 board", big_board, False, "board.width must be between 3 and 25, got 30"),
    ("20 snakes", many_snakes, False, "board.snakes must have 1 to 16 snakes, got 20"),
    ("shrinkEveryNTurns 20000 in royale", lambda b: (put(["game", "ruleset", "name"], "royale")(b),
                                                      put(["game", "ruleset", "settings", "royale",
                                                           "shrinkEveryNTurns"], 20000)(b)),
     False, "setting shrinkEveryNTurns must be between 1 and"),
]


def test_every_request_the_engine_can_send_gets_a_legal_move(probe) -> None:
    """Found by playing Battlesnake's CLI against serve-bot: from turn 3 of every snail_mode game, with
    hazardDamagePerTurn 200 and on boards over 25 it answered 400 and its snake played the CLI's
    default moves.  Now the bot plays what our engine can hold (off-board hazards removed, a damage
    beyond 100 plays as 100) and the rest gets a legal move from the raw JSON, logged."""
    answered = 0
    for n, (what, change, by_bot, reason) in enumerate(ANSWERED):
        body = json.loads(changed(change))
        body["game"]["id"] = f"engine-sends-{n}"
        assert probe.post("/start", body)[0] == 200, what
        status, answer, _ = probe.post("/move", body)
        assert status == 200, (what, answer)
        if by_bot:
            assert answer == {"move": "left", "shout": "probe"}, what
        else:
            assert answer["move"] in MOVES and "shout" not in answer, (what, answer)
            line = next((line for line in probe.output().splitlines() if f"game engine-sends-{n} turn" in line
                         and "(fallback)" in line), None)
            assert line is not None and f"outside what snek-arena models ({reason}" in line, (what, line)
        assert probe.post("/end", body)[0] == 200, what
        answered += 1
    assert answered == len(ANSWERED) == 6
    corner = json.loads(changed(big_board))
    assert probe.post("/move", corner)[1] == {"move": "right"}  # the fallback's move does not die at once
    assert "crash" not in probe.output() and "Traceback" not in probe.output()


def test_end_with_no_snake_left_is_answered(probe) -> None:
    """A solo game, or a draw, ends with `board.snakes: []`: that /end got 400 and the game's player
    waited for the idle reaper.  Now it is closed at once, and /start is answered for every body."""
    body = base()
    body["game"]["id"] = "ends-empty"
    assert probe.post("/start", body)[0] == 200
    assert probe.post("/move", body)[1] == {"move": "left", "shout": "probe"}
    dead = {**body["you"], "health": 0, "body": [{"x": -1, "y": 5}, {"x": 0, "y": 5}, {"x": 1, "y": 5}]}
    dead["head"] = dead["body"][0]
    ended = {**body, "turn": 15, "board": {**body["board"], "snakes": []}, "you": dead}
    status, _, _ = probe.post("/end", ended)
    assert status == 200
    assert "ends-empty" not in probe.output()  # no 400 logged, nothing reaped later, nothing crashed


def test_the_margin_scales_with_the_timeout(probe) -> None:
    """At `battlesnake play -t 60` the 60 ms margin left the bot 1 ms, and a quarter of its moves were
    the CLI's fallbacks.  The margin is now at most a fifth of the timeout: a bot answering in 10 ms
    makes its move in a 60 ms game."""
    from arena.cli.serve_bot import move_budget_ms

    assert [move_budget_ms(t, 60, 0) for t in (500, 300, 100, 60, 50, 5)] == [440, 240, 80, 48, 40, 4]
    assert move_budget_ms(500, 60, 12.5) == 427 and move_budget_ms(500, 0, 0) == 500 and move_budget_ms(1, 60, 3) == 1
    body = base()
    body["game"].update(id="fast-game", timeout=60)
    status, answer, _ = probe.post("/move", body)
    assert status == 200 and answer == {"move": "left", "shout": "probe"}, answer
    assert "fast-game" not in probe.output()  # no timeout logged
