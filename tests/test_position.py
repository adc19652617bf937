"""The request reader (arena/position.py): one snake's view of a turn, from a request or a batch.

On the recorded game states of tests/data/bot_moves.jsonl.gz it is compared with the engine's own
answers (``Engine.deadly_moves`` of the same request loaded as a batch) and with flags built by hand
from the request's points; in real games of every ruleset, the view a match builds from its batch
equals the view of the request it would have sent, and the built-in bots play the same moves both
ways."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from arena.battlesnake import load_request
from arena.geometry import Geometry
from arena.match import Match, MatchConfig
from arena.players import PythonPlayer
from arena.players.spec import builtin_player
from arena.position import BLOCKED, FOOD, HAZARD_SHIFT, PREY, THREAT, batch_view, read_view
from arena.rules import RULESETS

RECORDED = Path(__file__).parent / "data" / "bot_moves.jsonl.gz"
LINEUP = ("space", "greedy", "safe", "random")


@pytest.fixture(scope="module")
def states() -> list[dict]:
    with gzip.open(RECORDED, "rt", encoding="utf-8") as lines:
        return [json.loads(line)["state"] for n, line in enumerate(lines) if n % 7 == 0]


def test_deadly_moves_are_the_engines(states: list[dict]) -> None:
    """The request's deadly moves are exactly ``Engine.deadly_moves`` of the request loaded as a batch."""
    compared = 0
    for state in states:
        engine, batch, ids = load_request(state)
        seat = ids.index(state["you"]["id"])
        assert read_view(state).deadly == engine.deadly_moves(batch)[0, seat].tolist(), state["game"]["id"]
        compared += 1
    assert compared == len(states) == 1410


def test_cell_flags_match_the_requests_points(states: list[dict]) -> None:
    """Blocked, food, threat, prey and hazard flags, cell by cell, from the points by hand."""
    checked = 0
    for state in states:
        board = state["board"]
        g = Geometry(board["width"], board["height"], "wrapped" in state["game"]["ruleset"]["name"])
        me = next(s for s in board["snakes"] if s["id"] == state["you"]["id"])
        expected = np.zeros(g.cells, np.int64)
        expected[~g.interior] |= BLOCKED
        for s in board["snakes"]:
            for p in s["body"][:-1]:
                expected[g.cell(p["x"], p["y"])] |= BLOCKED
            if s is not me:
                flag = THREAT if len(s["body"]) >= len(me["body"]) else PREY
                for m in range(4):
                    cell = int(g.next_cell[g.cell(s["head"]["x"], s["head"]["y"]), m])
                    expected[cell] |= flag if g.interior[cell] else 0
        for p in board["food"]:
            expected[g.cell(p["x"], p["y"])] |= FOOD
        for p in board["hazards"]:
            expected[g.cell(p["x"], p["y"])] += 1 << HAZARD_SHIFT
        assert read_view(state).cells.tolist() == expected.tolist(), state["game"]["id"]
        checked += 1
    assert checked == 1410


def test_a_batch_view_is_the_view_of_the_request() -> None:
    """Every turn of a game of every ruleset, every live seat: ``batch_view`` equals ``read_view`` of the
    request the match builds for that seat, field by field."""
    compared = rulesets = 0
    for ruleset in RULESETS:
        players = [builtin_player(name, inline=False) for name in LINEUP]
        size = 11 if ruleset != "classic" else 15
        match = Match(players, MatchConfig(ruleset=ruleset, width=size, height=size, seed=5, max_turns=150,
                                           timeout_ms=60_000))
        match.start()
        while not match.over:
            for seat in np.flatnonzero(match.batch.alive[match.game]).tolist():
                request = match._state(match.frame, seat)
                built = batch_view(match.batch, match.game, seat, match.hazard_damage,
                                   f"{match.info.game_id}:{match.frame['turn']}:{match.ids[seat]}")
                read = read_view(request)
                for name in ("deadly", "me", "heads", "lengths", "health", "hazard_damage", "key"):
                    assert getattr(built, name) == getattr(read, name), (ruleset, match.frame["turn"], name)
                assert built.cells.tolist() == read.cells.tolist() and built.table is read.table
                compared += 1
            match.play_turn()
        match.close()
        rulesets += 1
    assert rulesets == len(RULESETS) >= 7 and compared > 1500


def test_inline_bots_read_views_and_play_the_same_game() -> None:
    """Built-in bots inline are handed views (no request is built for them); on threads they get
    requests.  Both games are the same, move for move."""
    def play(inline: bool) -> list:
        players = [builtin_player(name, inline=inline) for name in LINEUP]
        assert [p.reads_view for p in players] == [inline] * 4
        asked = []
        for player in players:  # count what each player is handed
            player.move = (lambda move: lambda state, ms: asked.append("request") or move(state, ms))(player.move)
            player.move_view = (lambda move: lambda view, ms: asked.append("view") or move(view, ms))(
                player.move_view)
        match = Match(players, MatchConfig(ruleset="royale", seed=8, max_turns=200, timeout_ms=60_000),
                      keep_frames=True)
        match.run()
        assert set(asked) == {"view" if inline else "request"} and len(asked) > 100
        return [[(s["id"], s["move"], s["body"]) for s in f["snakes"]] for f in match.frames]

    inline, threaded = play(True), play(False)
    assert len(inline) > 30 and inline == threaded


def test_a_policy_without_views_still_gets_requests() -> None:
    player = PythonPlayer(lambda state: "up", inline=True)
    assert not player.reads_view


def test_points_off_the_board_are_read_safely() -> None:
    """A hand-made request may put points anywhere (serve-bot refuses them, a Python caller may not):
    they read as the board's outside, never as an index past the compiled code's arrays."""
    you = {"id": "me", "health": 50, "body": [{"x": 2, "y": 2}, {"x": 2, "y": 1}, {"x": 2, "y": 0}]}
    far = {"id": "far", "health": 90, "body": [{"x": 400, "y": -70}, {"x": 401, "y": -70}, {"x": 402, "y": -70},
                                               {"x": 403, "y": -70}]}
    state = {"game": {"id": "g", "ruleset": {"name": "standard", "settings": {}}}, "turn": 4,
             "board": {"width": 5, "height": 5, "food": [{"x": 9, "y": 9}], "hazards": [{"x": -30, "y": 2}],
                       "snakes": [you, far]},
             "you": you}
    view = read_view(state)
    assert view.heads == [view.heads[0], 0] and view.deadly == [False, True, False, False]
    assert view.room([view.target(0)], view.rivals()) == [23]  # all but my neck and head: the far snake is nowhere
    assert view.food_distance([view.target(0)]) == [None]
    answers = [builtin_player(name).policy(state) for name in LINEUP]
    assert len(answers) == 4 and set(answers) <= {"up", "left", "right"}


def test_making_a_built_in_bot_loads_its_compiled_code() -> None:
    """In a fresh process nothing is loaded by importing the bots; making one (as a game's players are
    made, before any clock runs) loads every compiled call a move makes, so none is loaded in a move."""
    code = (
        "from arena import flood, position, pyrandom\n"
        "from arena.jit import compiled_signatures\n"
        "from arena.registry import builtin_bots\n"
        "kernels = [position.read_position, position.facts, flood.distance_map, flood.room, flood.nearest,\n"
        "           pyrandom.choice_index]\n"
        "factory = builtin_bots()['greedy']\n"
        "print(sum(len(compiled_signatures(k)) for k in kernels))\n"
        "factory()\n"
        "print(*(len(compiled_signatures(k)) for k in kernels))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    before, after = done.stdout.splitlines()
    assert before == "0" and after.split() == ["1"] * 6
