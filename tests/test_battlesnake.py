"""Battlesnake JSON: the request body we send, and positions loaded from real requests."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.battlesnake import GameInfo, RequestError, check_request, game_state, load_request
from arena.bs_fallback import fallback_move
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
    ({"board": {}}, "board.width is missing"),
    ({"board": {"width": 11, "height": 11, "snakes": []}}, "1 to 16 snakes"),
    ({"board": {"width": 11, "height": 11, "snakes": [{"body": [{"x": "a", "y": 1}]}]}}, "body\\[0\\]"),
    ({"board": {"width": 11, "height": 11, "snakes": [{"body": [{"x": 12, "y": 1}]}]}}, "outside"),
    ({"board": {"width": 99, "height": 11, "snakes": [{"body": [{"x": 1, "y": 1}]}]}}, "between 3 and 25"),
    ({"game": {"ruleset": {"name": "bogus"}}, "board": {"width": 11, "height": 11,
      "snakes": [{"body": [{"x": 1, "y": 1}]}]}}, "unknown ruleset"),
])
def test_bad_requests_are_clear(body, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        load_request(body)


# --- every malformed body is one RequestError (issue 12, item 11) -----------------------------

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "battlesnake").glob("*.json"))


def one_line_error(body, check) -> str | None:
    """``check(body)``'s RequestError message (None if the body passed); any other exception fails."""
    try:
        check(body)
    except RequestError as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) < 300, message
        return message
    return None


def with_change(path: list, value) -> dict:
    body = copy.deepcopy(REAL_REQUEST)
    *parents, last = path
    node = body
    for key in parents:
        node = node[key]
    node[last] = value
    return body


@pytest.mark.parametrize("path,value,message", [
    (["turn"], None, "turn must be an integer, got null"),
    (["game"], "x", 'game must be an object, got "x"'),
    (["board", "snakes", 1, "health"], 10**30, "board.snakes[1].health must be between 0 and 100"),
    (["board", "width"], 10**9, "board.width must be between 3 and 25"),
    (["game", "timeout"], "abc", "game.timeout must be an integer"),
    (["you"], "a", "you must be an object"),
    (["board", "snakes", 0, "body"], [], "board.snakes[0].body must have 1 to"),
    (["board", "food", 0], {"x": 1.5, "y": 2}, "board.food[0].x must be an integer, got 1.5"),
    (["game", "ruleset", "settings", "minimumFood"], True,
     "game.ruleset.settings.minimumFood must be an integer, got true"),
])
def test_malformed_bodies_are_request_errors(path: list, value, message: str) -> None:
    body = with_change(path, value)
    for check in (load_request, check_request):
        assert one_line_error(body, check).startswith(message)


def test_a_complete_body_is_needed_to_answer() -> None:
    """What a bot reads must be there: serve-bot checks a whole body; positions may omit extras."""
    body = copy.deepcopy(REAL_REQUEST)
    del body["you"]
    assert one_line_error(body, load_request) is None
    assert one_line_error(body, check_request) == "you is missing"
    for path, value, message in [(["you", "id"], "nobody", 'you ("nobody") is not one of board.snakes'),
                                 (["you", "head"], {"x": 5, "y": 5}, "you.head must be the first point"),
                                 (["board", "snakes", 0, "length"], 4, "board.snakes[0].length is 4 but")]:
        assert one_line_error(with_change(path, value), lambda b: check_request(b, you_on_board=True)) \
            .startswith(message)


def test_a_position_no_bot_could_load_is_a_request_error() -> None:
    """Found by the fuzz test below: a body that is not a connected path, or a setting out of our
    rules' range, passed the field checks, and a bot loading it would have failed.  serve-bot now
    refuses what load_request refuses, with its reason (any ruleset name is still answered)."""
    cases = [(["board", "snakes", 1, "body", 1], {"x": 0, "y": 3}, "not connected between (5, 4) and (0, 3)"),
             (["board", "snakes", 1, "body", 3], {"x": 2, "y": 0}, "not connected between (6, 3) and (2, 0)"),
             (["board", "snakes", 0, "body"], [{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 0, "y": 0}],
              "overlaps itself at (0, 0)")]
    overlap = with_change(["board", "snakes", 1, "body"], [{"x": 2, "y": 1}, {"x": 2, "y": 0}, {"x": 3, "y": 0}])
    overlap["board"]["snakes"][1].update(head={"x": 2, "y": 1}, length=3)
    checked = 0
    cases += [(["game", "ruleset", "settings", "foodSpawnChance"], -1, "foodSpawnChance must be between 0 and 100")]
    for path, value, reason in cases + [(None, overlap, "overlaps snake 0 at (2, 0)")]:
        body = with_change(path, value) if path else value
        load_error = one_line_error(body, load_request)
        serve_error = one_line_error(body, lambda b: check_request(b, you_on_board=True))
        assert load_error is not None and reason in load_error, load_error
        assert serve_error and reason in serve_error and serve_error == load_error, serve_error
        checked += 1
    assert checked == 5
    wrapped = with_change(["game", "ruleset", "name"], "wrapped")  # across the edge is connected on wrapped boards
    wrapped["board"]["snakes"][0]["body"] = [{"x": 0, "y": 0}, {"x": 10, "y": 0}, {"x": 9, "y": 0}]
    wrapped["you"]["body"] = wrapped["board"]["snakes"][0]["body"]
    wrapped["board"]["snakes"][0]["head"] = wrapped["you"]["head"] = {"x": 0, "y": 0}
    assert one_line_error(wrapped, lambda b: check_request(b, you_on_board=True)) is None
    assert one_line_error(wrapped, load_request) is None
    squad = with_change(["game", "ruleset", "name"], "squad")  # not our ruleset, still answered
    assert one_line_error(squad, lambda b: check_request(b, you_on_board=True)) is None


def paths(node, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value in a JSON document, the document itself first."""
    found = [prefix]
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in children:
        found += paths(child, prefix + (key,))
    return found


REQUEST_PATHS = paths(REAL_REQUEST)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.integers(min_value=2**31 - 5, max_value=2**70)
                    | st.floats(allow_nan=False) | st.text(max_size=4),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                    max_leaves=6)


@st.composite
def mutated_requests(draw) -> dict:
    body = copy.deepcopy(REAL_REQUEST)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(REQUEST_PATHS))
        if not path:
            return draw(JSON)
        node = body
        try:
            for key in path[:-1]:
                node = node[key]
            if draw(st.booleans()) and isinstance(node, dict):
                node.pop(path[-1], None)
            else:
                node[path[-1]] = draw(JSON | st.just([[[[[[[[1]]]]]]]]))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    return body


@settings(max_examples=400, deadline=None)
@given(mutated_requests())
def test_fuzzed_bodies_never_escape_as_other_errors(body) -> None:
    load_request_error = one_line_error(body, load_request)
    serve_error = one_line_error(body, lambda b: check_request(b, you_on_board=True))
    assert serve_error is not None or load_request_error is None or "ruleset" in load_request_error
    # serve-bot's first step (the API's shape) is weaker than the model check, and whatever passes it gets
    # a legal move from the fallback, which reads the raw JSON (issue 18, defect 1)
    shape_error = one_line_error(body, lambda b: check_request(b, you_on_board=True, modelled=False))
    assert shape_error is None or serve_error is not None
    if shape_error is None:
        assert fallback_move(body) in MOVES


def test_fixture_bodies_are_valid() -> None:
    """The documented example bodies for every ruleset pass the validator and load under our rules
    (squad is Battlesnake's alone: loading it is refused by name)."""
    assert len(FIXTURES) == 8
    for path in FIXTURES:
        body = json.loads(path.read_text())
        check_request(body, you_on_board=True)
        name = body["game"]["ruleset"]["name"]
        if name == "squad":
            with pytest.raises(RequestError, match="unknown ruleset 'squad'"):
                load_request(body)
            continue
        engine, batch, ids = load_request(body)
        frame = engine.frame(batch, 0, ids)
        assert frame["turn"] == body["turn"] and ids == [s["id"] for s in body["board"]["snakes"]], path.name
        assert [s["body"] for s in frame["snakes"]] == [[[p["x"], p["y"]] for p in s["body"]]
                                                        for s in body["board"]["snakes"]], path.name
