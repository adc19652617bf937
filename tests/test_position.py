"""The request reader (arena/position.py): one snake's view of a turn, from a request or a batch.

On the recorded game states of tests/data/bot_moves.jsonl.gz it is compared with the engine's own
answers (``Engine.deadly_moves`` of the same request loaded as a batch) and with flags built by hand
from the request's points; in real games of every ruleset, the view a match builds from its batch
equals the view of the request it would have sent, and the built-in bots play the same moves both
ways."""

from __future__ import annotations

import gzip
import json
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
                built = batch_view(match.batch, match.game, seat, match._hazard_damage,
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
