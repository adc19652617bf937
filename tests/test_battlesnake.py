"""Battlesnake JSON: the request body we send, and positions loaded from real requests."""

from __future__ import annotations

import numpy as np
import pytest

from arena.battlesnake import GameInfo, RequestError, game_state, load_request
from arena.engine import Engine
from arena.geometry import MOVES

# A /move body as Battlesnake's engine sends it (shape from the official API reference).
REAL_REQUEST = {
    "game": {"id": "game-00fe20da", "ruleset": {"name": "standard", "version": "v1.2.3",
             "settings": {"foodSpawnChance": 25, "minimumFood": 1, "hazardDamagePerTurn": 14,
                          "royale": {"shrinkEveryNTurns": 5}, "squad": {}}},
             "map": "standard", "timeout": 500, "source": "league"},
    "turn": 14,
    "board": {
        "height": 11, "width": 11,
        "food": [{"x": 5, "y": 5}, {"x": 9, "y": 0}, {"x": 2, "y": 6}],
        "hazards": [{"x": 3, "y": 2}],
        "snakes": [
            {"id": "snake-508e96ac", "name": "My Snake", "health": 54,
             "body": [{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 2, "y": 0}],
             "latency": "111", "head": {"x": 0, "y": 0}, "length": 3, "shout": "why are we shouting??",
             "squad": "", "customizations": {"color": "#FF0000", "head": "pixel", "tail": "pixel"}},
            {"id": "snake-b67f4906", "name": "Another Snake", "health": 16,
             "body": [{"x": 5, "y": 4}, {"x": 5, "y": 3}, {"x": 6, "y": 3}, {"x": 6, "y": 2}],
             "latency": "222", "head": {"x": 5, "y": 4}, "length": 4, "shout": "I'm not really sure...",
             "squad": "", "customizations": {"color": "#26CF04", "head": "silly", "tail": "curled"}},
        ],
    },
    "you": {"id": "snake-508e96ac", "name": "My Snake", "health": 54,
            "body": [{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 2, "y": 0}],
            "latency": "111", "head": {"x": 0, "y": 0}, "length": 3, "shout": "", "squad": "",
            "customizations": {"color": "#FF0000", "head": "pixel", "tail": "pixel"}},
}


def test_load_real_request_and_step() -> None:
    engine, batch, ids = load_request(REAL_REQUEST)
    assert ids == ["snake-508e96ac", "snake-b67f4906"]
    assert engine.settings["foodSpawnChance"] == 25
    frame = engine.frame(batch, 0, ids)
    assert frame["turn"] == 14
    assert frame["snakes"][1]["body"] == [[5, 4], [5, 3], [6, 3], [6, 2]]
    assert sorted(frame["food"]) == [[2, 6], [5, 5], [9, 0]]
    assert frame["hazards"] == [[3, 2]]
    # My Snake goes up; Another Snake eats at (5, 5)
    engine.step(batch, [[MOVES.index("up"), MOVES.index("up")]])
    after = engine.frame(batch, 0, ids)
    assert after["turn"] == 15
    mine, other = after["snakes"]
    assert mine["body"] == [[0, 1], [0, 0], [1, 0]] and mine["health"] == 53
    assert other["health"] == 100 and len(other["body"]) == 5 and other["body"][-1] == other["body"][-2]


def test_request_round_trip_for_every_ruleset() -> None:
    for ruleset in ("standard", "wrapped", "constrictor", "royale", "solo"):
        engine = Engine(ruleset, 11, 11)
        batch = engine.new_batch([5], num_snakes=1 if ruleset == "solo" else 4)
        for _ in range(30):
            engine.step(batch, np.random.default_rng(0).integers(0, 4, batch.alive.shape))
        frame = engine.frame(batch, 0)
        info = GameInfo("g", ruleset, engine.settings, names={"s0": "zero"})
        live = [s for s in frame["snakes"] if s["alive"]]
        if not live:
            continue
        body = game_state(frame, 11, 11, info, live[0]["id"])
        assert body["you"]["id"] == live[0]["id"] and body["game"]["ruleset"]["name"] == ruleset
        assert all(s["length"] == len(s["body"]) for s in body["board"]["snakes"])
        engine2, batch2, ids = load_request(body)
        assert ids == [s["id"] for s in live]
        again = engine2.frame(batch2, 0, ids)
        assert sorted(again["food"]) == sorted(frame["food"])
        assert sorted(again["hazards"]) == sorted(frame["hazards"])
        assert [s["body"] for s in again["snakes"]] == [s["body"] for s in live]
        assert engine2.settings == engine.settings


def test_request_shape_matches_battlesnake() -> None:
    engine = Engine("royale", 11, 11)
    batch = engine.new_batch([1], 2)
    info = GameInfo("abc", "royale", engine.settings, timeout_ms=300, latency_ms={"s0": 12.4})
    body = game_state(engine.frame(batch, 0), 11, 11, info, "s0")
    assert set(body) == {"game", "turn", "board", "you"}
    assert body["game"]["timeout"] == 300 and body["game"]["map"] == "royale"
    assert body["game"]["ruleset"]["settings"]["royale"]["shrinkEveryNTurns"] == 25
    snake = body["board"]["snakes"][0]
    assert set(snake) == {"id", "name", "health", "body", "latency", "head", "length", "shout", "squad",
                          "customizations"}
    assert snake["latency"] == "12" and snake["head"] == snake["body"][0]


@pytest.mark.parametrize("body,message", [
    ([], "JSON object"),
    ({"board": {}}, "width/height"),
    ({"board": {"width": 11, "height": 11, "snakes": []}}, "non-empty"),
    ({"board": {"width": 11, "height": 11, "snakes": [{"body": [{"x": "a", "y": 1}]}]}}, "body\\[0\\]"),
    ({"board": {"width": 11, "height": 11, "snakes": [{"body": [{"x": 12, "y": 1}]}]}}, "outside"),
    ({"board": {"width": 99, "height": 11, "snakes": [{"body": [{"x": 1, "y": 1}]}]}}, "between 3 and 25"),
    ({"game": {"ruleset": {"name": "bogus"}}, "board": {"width": 11, "height": 11,
      "snakes": [{"body": [{"x": 1, "y": 1}]}]}}, "unknown ruleset"),
])
def test_bad_requests_are_clear(body, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        load_request(body)
