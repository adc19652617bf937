"""Table-driven rules cases: (previous position, moves) -> expected position and causes.

Each case is stepped once by the engine (``Engine.from_positions`` + ``Engine.step``) and by
the pure-Python model; both must give the same frame, and that frame must meet the case's
expectations.  Cases are reused across every ruleset they apply to, as in Battlesnake's
``cases_test.go``.  Boards are 7x7 unless stated; (0, 0) is bottom-left and y points up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from model import ModelGame
from play import engine_moves, frame_diff, normalise

from arena import rng
from arena.engine import Engine

QUIET = {"minimumFood": 0, "foodSpawnChance": 0}  # no food spawns, so food lists are exact
FOOD_RULESETS = ("standard", "wrapped", "royale", "solo")
ALL_BATTLESNAKE = FOOD_RULESETS + ("constrictor", "wrapped_constrictor")


def snake(*body: tuple[int, int], health: int = 100, alive: bool = True) -> dict:
    return {"body": [list(p) for p in body], "health": health, "alive": alive}


@dataclass
class Case:
    name: str
    snakes: list[dict]
    moves: list[str | None]
    expect: dict  # "s0": {"body"|"head"|"health"|"alive"|"move"|"cause"|"by"|"length": ...}, "food", "done"
    rulesets: tuple[str, ...] = FOOD_RULESETS
    food: list = field(default_factory=list)
    hazards: list = field(default_factory=list)
    settings: dict | None = None
    size: tuple[int, int] = (7, 7)
    solo_done: bool = False  # solo plays on while one snake lives: its "done" when the case expects one


def settings_for(ruleset: str, settings: dict | None) -> dict | None:
    if ruleset == "classic":
        return None
    return {**QUIET, **(settings or {})}


def step_both(ruleset: str, position: dict, moves: list, size=(7, 7), settings=None, seed: int = 0) -> dict:
    """One step by the engine and by the model from the same position; returns the (agreed) frame."""
    width, height = size
    engine = Engine(ruleset, width, height, settings)
    batch = engine.from_positions([position], [seed])
    engine.step(batch, engine_moves([moves], batch.seats))
    model = ModelGame.from_position(ruleset, width, height, position, seed, settings)
    model.step(moves)
    got, want = normalise(engine.frame(batch, 0)), normalise(model.frame())
    assert got == want, frame_diff(got, want)
    assert bool(batch.done[0]) == model.done
    return {**got, "done": model.done}


def check(frame: dict, expect: dict) -> None:
    snakes = {s["id"]: s for s in frame["snakes"]}
    for key, value in expect.items():
        if key in ("food", "hazards"):
            assert sorted(frame[key]) == sorted(value), key
        elif key == "done":
            assert frame["done"] == value
        else:
            s = snakes[key]
            for field_name, wanted in value.items():
                if field_name == "cause":
                    actual = s["death"]["cause"] if s["death"] else None
                elif field_name == "by":
                    actual = s["death"]["by"] if s["death"] else None
                elif field_name == "length":
                    actual = len(s["body"])
                elif field_name == "head":
                    wanted, actual = list(wanted), s["body"][0]
                elif field_name == "body":
                    wanted = [list(p) for p in wanted]
                    actual = s["body"]
                else:
                    actual = s[field_name]
                assert actual == wanted, f"{key}.{field_name}: {actual} != {wanted}"


FAR = snake((5, 5), (5, 6), (6, 6))  # a bystander that keeps two-player games going
FAR_MOVE = "left"

CASES = [
    Case("eat on the last point of health survives",
         [snake((1, 1), (1, 0), (0, 0), health=1), FAR], ["up", FAR_MOVE],
         {"s0": {"alive": True, "health": 100, "body": [(1, 2), (1, 1), (1, 0), (1, 0)]}, "food": []},
         food=[[1, 2]]),
    Case("last point of health without food starves, body as moved",
         [snake((1, 1), (1, 0), (0, 0), health=1), FAR], ["up", FAR_MOVE],
         {"s0": {"alive": False, "cause": "out-of-health", "health": 0, "body": [(1, 2), (1, 1), (1, 0)]}}),
    Case("head-to-head on food, equal length: both eat, grow, then both die",
         [snake((1, 3), (0, 3), (0, 2)), snake((3, 3), (4, 3), (5, 3)), FAR], ["right", "left", FAR_MOVE],
         {"s0": {"alive": False, "cause": "head-collision", "by": "s1", "length": 4, "health": 100},
          "s1": {"alive": False, "cause": "head-collision", "by": "s0", "length": 4,
                 "body": [(2, 3), (3, 3), (4, 3), (4, 3)]},
          "food": []},
         food=[[2, 3]]),
    Case("head-to-head on food, the longer survives grown",
         [snake((1, 3), (0, 3), (0, 2), (0, 1)), snake((3, 3), (4, 3), (5, 3)), FAR], ["right", "left", FAR_MOVE],
         {"s0": {"alive": True, "length": 5, "health": 100},
          "s1": {"alive": False, "cause": "head-collision", "by": "s0", "length": 4}, "food": []},
         food=[[2, 3]]),
    Case("equal-length head-on kills both",
         [snake((1, 3), (0, 3), (0, 2)), snake((3, 3), (4, 3), (5, 3)), FAR], ["right", "left", FAR_MOVE],
         {"s0": {"alive": False, "cause": "head-collision", "by": "s1", "body": [(2, 3), (1, 3), (0, 3)]},
          "s1": {"alive": False, "cause": "head-collision", "by": "s0"}, "s2": {"alive": True}, "done": True},
         rulesets=ALL_BATTLESNAKE),
    Case("longer wins a three-way head-on; by credits the longest",
         [snake((1, 3), (0, 3), (0, 2), (0, 1), (0, 0)), snake((3, 3), (4, 3), (5, 3), (6, 3)),
          snake((2, 4), (2, 5), (2, 6), (3, 6))], ["right", "left", "down"],
         {"s0": {"alive": True}, "s1": {"cause": "head-collision", "by": "s0"},
          "s2": {"cause": "head-collision", "by": "s0"}, "done": True},
         rulesets=ALL_BATTLESNAKE),
    Case("three-way head-on, the shortest is credited to the longest, ties to the lowest seat",
         [snake((1, 3), (0, 3), (0, 2)), snake((3, 3), (4, 3), (5, 3), (6, 3)),
          snake((2, 4), (2, 5), (2, 6), (3, 6)), FAR], ["right", "left", "down", FAR_MOVE],
         {"s0": {"cause": "head-collision", "by": "s1"}, "s1": {"cause": "head-collision", "by": "s2"},
          "s2": {"cause": "head-collision", "by": "s1"}, "s3": {"alive": True}},
         rulesets=ALL_BATTLESNAKE),
    Case("moving into another snake's tail as it moves away is safe",
         [snake((2, 1), (1, 1), (0, 1)), snake((3, 3), (3, 2), (2, 2)), FAR], ["up", "up", FAR_MOVE],
         {"s0": {"alive": True, "body": [(2, 2), (2, 1), (1, 1)]}, "s1": {"alive": True}}),
    Case("moving into the own tail as it moves away is safe",
         [snake((1, 1), (1, 2), (2, 2), (2, 1)), FAR], ["right", FAR_MOVE],
         {"s0": {"alive": True, "body": [(2, 1), (1, 1), (1, 2), (2, 2)]}}),
    Case("a tail stacked after eating does not move away",
         [snake((2, 2), (1, 2), (0, 2)), snake((3, 4), (3, 3), (3, 2), (3, 2)), FAR], ["right", "up", FAR_MOVE],
         {"s0": {"alive": False, "cause": "snake-collision", "by": "s1"}, "s1": {"alive": True}}),
    Case("the own stacked tail is a self-collision, credited to itself",
         [snake((1, 1), (1, 2), (2, 2), (2, 1), (2, 1)), FAR], ["right", FAR_MOVE],
         {"s0": {"alive": False, "cause": "snake-self-collision", "by": "s0"}, "done": True}),
    Case("self-collision into the own body",
         [snake((1, 1), (1, 2), (2, 2), (2, 1), (3, 1)), FAR], ["right", FAR_MOVE],
         {"s0": {"alive": False, "cause": "snake-self-collision", "by": "s0", "health": 99}},
         rulesets=ALL_BATTLESNAKE),
    Case("a snake starving this turn is no obstacle",
         [snake((2, 2), (1, 2), (0, 2)), snake((3, 1), (3, 2), (3, 3), (3, 4), health=1), FAR],
         ["right", "down", FAR_MOVE],
         {"s0": {"alive": True, "body": [(3, 2), (2, 2), (1, 2)]}, "s1": {"cause": "out-of-health"}}),
    Case("a snake hitting the wall this turn is no obstacle",
         [snake((2, 2), (1, 2), (0, 2)), snake((3, 0), (3, 1), (3, 2), (3, 3)), FAR], ["right", "down", FAR_MOVE],
         {"s0": {"alive": True}, "s1": {"cause": "wall-collision", "body": [(3, -1), (3, 0), (3, 1), (3, 2)]}},
         rulesets=("standard", "royale", "solo", "constrictor")),
    Case("body collision with a snake dying in the same pass still counts",
         [snake((2, 2), (1, 2), (0, 2)), snake((3, 3), (3, 2), (3, 1), (4, 1)),
          snake((2, 4), (1, 4), (0, 4), (0, 5))],
         ["right", "up", "right"],
         {"s0": {"cause": "snake-collision", "by": "s1"}, "s1": {"cause": "head-collision", "by": "s2"},
          "s2": {"cause": "head-collision", "by": "s1"}, "done": True},
         rulesets=ALL_BATTLESNAKE, solo_done=True),
    Case("an eliminated body lying under live snakes neither blocks nor hides them",
         [snake((2, 2), (1, 2), (0, 2)), snake((3, 3), (3, 2), (3, 1)),
          snake((3, 2), (4, 2), (5, 4), alive=False), snake((5, 5), (5, 6), (6, 6))],
         ["right", "up", None, "down"],
         {"s0": {"cause": "snake-collision", "by": "s1"}, "s1": {"alive": True},
          "s2": {"alive": False, "cause": "left", "body": [(3, 2), (4, 2), (5, 4)]}, "s3": {"alive": True}},
         rulesets=ALL_BATTLESNAKE + ("classic",)),
    Case("a body collision outranks a won head-on",
         [snake((2, 2), (1, 2), (0, 2), (0, 1), (0, 0)), snake((4, 2), (5, 2), (6, 2)),
          snake((3, 3), (3, 2), (3, 1))],
         ["right", "left", "up"],
         {"s0": {"cause": "snake-collision", "by": "s2"}, "s1": {"cause": "snake-collision", "by": "s2"},
          "s2": {"alive": True}, "done": True},
         rulesets=ALL_BATTLESNAKE),
    Case("wall collision keeps the off-board head",
         [snake((0, 3), (1, 3), (2, 3)), FAR], ["left", FAR_MOVE],
         {"s0": {"alive": False, "cause": "wall-collision", "by": None, "health": 99,
                 "body": [(-1, 3), (0, 3), (1, 3)]}, "done": True},
         rulesets=("standard", "royale", "constrictor")),
    Case("wrapped: left edge to right edge", [snake((0, 3), (1, 3), (2, 3)), FAR], ["left", FAR_MOVE],
         {"s0": {"alive": True, "body": [(6, 3), (0, 3), (1, 3)]}}, rulesets=("wrapped",)),
    Case("wrapped: right edge to left edge", [snake((6, 3), (5, 3), (4, 3)), FAR], ["right", FAR_MOVE],
         {"s0": {"alive": True, "body": [(0, 3), (6, 3), (5, 3)]}}, rulesets=("wrapped",)),
    Case("wrapped: bottom edge to top edge", [snake((3, 0), (3, 1), (3, 2)), FAR], ["down", FAR_MOVE],
         {"s0": {"alive": True, "body": [(3, 6), (3, 0), (3, 1)]}}, rulesets=("wrapped",)),
    Case("wrapped: top edge to bottom edge", [snake((2, 6), (2, 5), (2, 4)), FAR], ["up", FAR_MOVE],
         {"s0": {"alive": True, "body": [(2, 0), (2, 6), (2, 5)]}}, rulesets=("wrapped",)),
    Case("wrapped: a head-on across the edge",
         [snake((0, 3), (1, 3), (2, 3)), snake((5, 3), (4, 3), (3, 3)), FAR], ["left", "right", FAR_MOVE],
         {"s0": {"cause": "head-collision", "by": "s1"}, "s1": {"cause": "head-collision", "by": "s0"}},
         rulesets=("wrapped", "wrapped_constrictor")),
    Case("default move continues from the neck", [snake((2, 2), (1, 2), (0, 2)), FAR], [None, FAR_MOVE],
         {"s0": {"head": (3, 2)}}, rulesets=ALL_BATTLESNAKE),
    Case("an invalid move string becomes the default move", [snake((2, 2), (2, 3), (2, 4)), FAR],
         ["bogus", FAR_MOVE], {"s0": {"head": (2, 1), "move": "down"}}, rulesets=ALL_BATTLESNAKE),
    Case("a stacked body defaults to up", [snake((2, 2), (2, 2), (2, 2)), FAR], [None, FAR_MOVE],
         {"s0": {"body": [(2, 3), (2, 2), (2, 2)]}}, rulesets=FOOD_RULESETS),
    Case("head stacked on the neck defaults to up", [snake((2, 2), (2, 2), (1, 2)), FAR], ["Up", FAR_MOVE],
         {"s0": {"body": [(2, 3), (2, 2), (2, 2)]}}),
    Case("a lone head defaults to up", [snake((4, 1)), FAR], [None, FAR_MOVE], {"s0": {"body": [(4, 2)]}}),
    Case("wrapped default move: left to right across the edge", [snake((0, 3), (6, 3), (5, 3)), FAR],
         [None, FAR_MOVE], {"s0": {"body": [(1, 3), (0, 3), (6, 3)]}}, rulesets=("wrapped",)),
    Case("wrapped default move: right to left across the edge", [snake((6, 3), (0, 3), (1, 3)), FAR],
         [None, FAR_MOVE], {"s0": {"body": [(5, 3), (6, 3), (0, 3)]}}, rulesets=("wrapped",)),
    Case("wrapped default move: upward across the edge", [snake((3, 0), (3, 6), (3, 5)), FAR],
         [None, FAR_MOVE], {"s0": {"body": [(3, 1), (3, 0), (3, 6)]}}, rulesets=("wrapped",)),
    Case("wrapped default move: downward across the edge", [snake((3, 6), (3, 0), (3, 1)), FAR],
         [None, FAR_MOVE], {"s0": {"body": [(3, 5), (3, 6), (3, 0)]}}, rulesets=("wrapped",)),
    Case("hazard damage per stacked entry", [snake((1, 3), (0, 3), (0, 2)), FAR], ["right", FAR_MOVE],
         {"s0": {"alive": True, "health": 100 - 1 - 2 * 14}, "hazards": [[2, 3], [2, 3], [4, 4]]},
         hazards=[[2, 3], [2, 3], [4, 4]], rulesets=("standard", "wrapped", "solo")),
    Case("hazard damage to zero is a hazard elimination", [snake((1, 3), (0, 3), (0, 2), health=20), FAR],
         ["right", FAR_MOVE], {"s0": {"alive": False, "cause": "hazard", "health": 0}},
         hazards=[[2, 3], [2, 3]], rulesets=("standard", "wrapped", "solo")),
    Case("food on a hazard protects from its damage", [snake((1, 3), (0, 3), (0, 2), health=5), FAR],
         ["right", FAR_MOVE], {"s0": {"alive": True, "health": 100, "length": 4}, "food": []},
         hazards=[[2, 3], [2, 3]], food=[[2, 3]], rulesets=("standard", "wrapped", "solo")),
    Case("hazardDamagePerTurn is a setting", [snake((1, 3), (0, 3), (0, 2), health=50), FAR],
         ["right", FAR_MOVE], {"s0": {"health": 50 - 1 - 3 * 5}},
         hazards=[[2, 3]] * 3, settings={"hazardDamagePerTurn": 5}, rulesets=("standard",)),
    Case("a negative hazard damage heals, capped at 100", [snake((1, 3), (0, 3), (0, 2), health=95), FAR],
         ["right", FAR_MOVE], {"s0": {"health": 100}},
         hazards=[[2, 3]] * 2, settings={"hazardDamagePerTurn": -10}, rulesets=("standard",)),
    Case("constrictor: heal and grow every turn, no food",
         [snake((2, 2), (1, 2), (0, 2), health=50), FAR], ["right", FAR_MOVE],
         {"s0": {"health": 100, "body": [(3, 2), (2, 2), (1, 2), (1, 2)]}, "food": []},
         food=[[5, 1]], rulesets=("constrictor", "wrapped_constrictor")),
    Case("constrictor: a stacked tail does not grow again",
         [snake((2, 2), (1, 2), (1, 2), (1, 2)), FAR], ["right", FAR_MOVE],
         {"s0": {"body": [(3, 2), (2, 2), (1, 2), (1, 2)]}}, rulesets=("constrictor", "wrapped_constrictor")),
    Case("classic: a reversal is ignored", [snake((3, 3), (2, 3), (1, 3)), FAR], ["left", FAR_MOVE],
         {"s0": {"body": [(4, 3), (3, 3), (2, 3)], "move": "right", "health": 100}}, rulesets=("classic",)),
    Case("classic: a missing move keeps the heading", [snake((3, 3), (3, 2), (3, 1)), FAR], [None, FAR_MOVE],
         {"s0": {"body": [(3, 4), (3, 3), (3, 2)], "move": "up"}}, rulesets=("classic",)),
    Case("classic: a lone head may go anywhere", [snake((3, 3)), FAR], ["down", FAR_MOVE],
         {"s0": {"body": [(3, 2)], "move": "down"}}, rulesets=("classic",)),
    Case("classic: food grows by two, health untouched",
         [snake((3, 3), (2, 3), (1, 3), health=7), FAR], ["right", FAR_MOVE],
         {"s0": {"body": [(4, 3), (3, 3), (2, 3), (2, 3), (2, 3)], "health": 7}},
         food=[[4, 3]], rulesets=("classic",)),
    Case("classic: a head-on kills both, whatever their lengths",
         [snake((1, 3), (0, 3), (0, 2), (0, 1), (0, 0)), snake((3, 3), (4, 3), (5, 3)), FAR],
         ["right", "left", FAR_MOVE],
         {"s0": {"cause": "head-collision", "by": "s1"}, "s1": {"cause": "head-collision", "by": "s0"},
          "s2": {"alive": True}, "done": True},
         rulesets=("classic",)),
]


@pytest.mark.parametrize("ruleset,case", [(r, c) for c in CASES for r in c.rulesets],
                         ids=lambda v: v if isinstance(v, str) else v.name)
def test_case(ruleset: str, case: Case) -> None:
    position = {"turn": 3, "food": case.food, "hazards": case.hazards, "snakes": case.snakes}
    frame = step_both(ruleset, position, case.moves, case.size, settings_for(ruleset, case.settings))
    assert frame["turn"] == 4
    expect = case.expect
    if ruleset == "solo" and "done" in expect:
        expect = {**expect, "done": case.solo_done}
    if "constrictor" in ruleset:
        expect = grown_after_elimination(expect)
    check(frame, expect)


def grown_after_elimination(expect: dict) -> dict:
    """Constrictor's grow stage runs on every snake, eliminated ones too (Battlesnake's
    GrowSnakesConstrictor; issue 18, defect 8): an eliminated snake is at full health and its tail is
    stacked, whatever the case says it is under the other rulesets."""
    out = dict(expect)
    for sid, snake in expect.items():
        eliminated = isinstance(snake, dict) and ("cause" in snake or snake.get("alive") is False)
        if not eliminated:
            continue
        snake = out[sid] = dict(snake)
        if "health" in snake:
            snake["health"] = 100
        body = snake.get("body")
        if body and len(body) >= 2 and body[-1] != body[-2]:
            snake["body"] = [*body, body[-1]]
    return out


# --- cases that need more than one step or a particular seed ----------------------------


@pytest.mark.parametrize("ruleset", ("constrictor", "wrapped_constrictor"))
def test_constrictor_growth_from_the_start(ruleset: str) -> None:
    """The stacked start does not grow on turn 1, then the snake grows every turn; no food."""
    engine = Engine(ruleset, 11, 11)
    batch = engine.new_batch([5], 2)
    assert engine.frame(batch, 0)["food"] == []
    towards_centre = [1 if s["body"][0][1] > 5 else 0 for s in engine.frame(batch, 0)["snakes"]]  # down / up
    lengths = []
    for _ in range(4):
        engine.step(batch, np.array([towards_centre]))
        frame = engine.frame(batch, 0)
        lengths.append([len(s["body"]) for s in frame["snakes"]])
        assert [s["health"] for s in frame["snakes"]] == [100, 100]
        assert frame["food"] == []
    assert lengths == [[3, 3], [4, 4], [5, 5], [6, 6]]


def test_royale_shrinks_at_shrink_every_n_turns() -> None:
    settings = {"shrinkEveryNTurns": 3, **QUIET}
    engine = Engine("royale", 7, 7, settings)
    batch = engine.from_positions([{"snakes": [snake((3, 3), (3, 2), (3, 1)), snake((4, 4), (4, 5), (4, 6))]}],
                                  [11])
    for turn in (1, 2):
        engine.step(batch, np.full((1, 2), -1))
        assert engine.frame(batch, 0)["hazards"] == [], turn
    engine.step(batch, np.full((1, 2), -1))
    hazards = engine.frame(batch, 0)["hazards"]
    assert len(hazards) == 7 and len({tuple(h) for h in hazards}) == 7
    xs, ys = {x for x, _ in hazards}, {y for _, y in hazards}
    assert xs in ({0}, {6}) or ys in ({0}, {6}), "one whole side becomes hazard"


def test_royale_hazard_costs_fourteen_and_food_protects() -> None:
    """A snake on a royale hazard loses 1 + 14 a turn; on hazard food it only eats."""
    hazards = [[x, 0] for x in range(7)]
    position = {"turn": 5, "hazards": hazards, "food": [[4, 0]], "snakes": [
        snake((1, 1), (1, 2), (1, 3), health=60), snake((3, 1), (3, 2), (3, 3), health=60),
        snake((5, 5), (5, 6), (6, 6))]}
    frame = step_both("royale", position, ["down", "right", "left"], settings={"shrinkEveryNTurns": 25, **QUIET})
    check(frame, {"s0": {"health": 60 - 15, "body": [(1, 0), (1, 1), (1, 2)]}, "s1": {"health": 59}})
    frame = step_both("royale", {**position, "snakes": position["snakes"][:1] + [
        snake((4, 1), (3, 1), (2, 1), health=60), position["snakes"][2]]}, ["down", "down", "left"],
        settings={"shrinkEveryNTurns": 25, **QUIET})
    check(frame, {"s0": {"health": 45}, "s1": {"health": 100, "length": 4}, "food": []})


def test_royale_resumes_its_safe_box_from_a_position() -> None:
    """A royale position already shrunk (hazards on the left column) keeps that column as hazard
    at the next shrink: the box is inferred from the hazards, not reset to the full board."""
    settings = {"shrinkEveryNTurns": 5, **QUIET}
    left_column = [[0, y] for y in range(7)]
    for seed in range(8):
        position = {"turn": 9, "hazards": left_column, "snakes": [
            snake((3, 3), (3, 2), (3, 1)), snake((4, 4), (4, 5), (4, 6))]}
        frame = step_both("royale", position, [None, None], settings=settings, seed=seed)
        hazards = {tuple(h) for h in frame["hazards"]}
        assert {tuple(h) for h in left_column} <= hazards, seed
        assert len(hazards) in (13, 14), seed  # the left column plus one more side (6 or 7 cells)


def official_royale_hazards(width: int, height: int, sides: list[int]) -> set[tuple[int, int]]:
    """Battlesnake's royale map (rules repository, ``maps/royale.go`` ``UpdateBoard`` and ``royale.go``),
    transcribed: start from the full board, move one side in per shrink so far (0 min x, 1 max x,
    2 min y, 3 max y) with no check that sides cross, then every cell outside the box is hazard."""
    min_x, max_x, min_y, max_y = 0, width - 1, 0, height - 1
    for side in sides:
        if side == 0:
            min_x += 1
        elif side == 1:
            max_x -= 1
        elif side == 2:
            min_y += 1
        else:
            max_y -= 1
    return {(x, y) for x in range(width) for y in range(height) if x < min_x or x > max_x or y < min_y or y > max_y}


def royale_sides(seed: int, shrinks: int) -> list[int]:
    """Our side draws (a documented difference: Battlesnake uses Go's math/rand seeded per game)."""
    return [rng.draw_py(seed, k, rng.ROYALE_SIDE, 0) % 4 for k in range(1, shrinks + 1)]


CIRCLE = ["up", "right", "down", "left"]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_royale_shrinks_like_the_official_map_until_everything_is_hazard(seed: int) -> None:
    """Every turn the engine's and the model's hazards equal the official map's, past the turn the
    sides cross (the whole board is hazard from then on)."""
    settings = {"shrinkEveryNTurns": 1, "hazardDamagePerTurn": 0, **QUIET}
    position = {"snakes": [snake((1, 1)), snake((3, 3))]}  # two heads circling, never dying
    engine = Engine("royale", 5, 5, settings)
    batch = engine.from_positions([position], [seed])
    model = ModelGame.from_position("royale", 5, 5, position, seed, settings)
    everything_at = None
    for turn in range(1, 25):
        moves = [CIRCLE[(turn - 1) % 4]] * 2
        engine.step(batch, engine_moves([moves], 2))
        model.step(moves)
        want = official_royale_hazards(5, 5, royale_sides(seed, turn))
        assert {tuple(h) for h in engine.frame(batch, 0)["hazards"]} == want, turn
        assert {tuple(h) for h in model.frame()["hazards"]} == want, turn
        assert len(engine.frame(batch, 0)["hazards"]) == len(want)  # one entry per cell, never stacked
        if len(want) == 25 and everything_at is None:
            everything_at = turn
    assert everything_at is not None and everything_at < 24, "the board became all hazard and stayed so"


def test_royale_golden_last_column_goes_too() -> None:
    """Golden case from the official code: the safe box is one column wide (x = 2 of a 5x5 board after
    shrinks 0, 0, 1, 1) and the next shrink moves a side in again: official royale makes all 25 cells
    hazard (min x 3 > max x 2); an engine that stops the sides at each other keeps the column safe."""
    seed = next(s for s in range(100) if royale_sides(s, 5)[4] in (0, 1))
    hazards = sorted(official_royale_hazards(5, 5, [0, 0, 1, 1]))
    assert len(hazards) == 20
    position = {"turn": 9, "hazards": [list(h) for h in hazards],
                "snakes": [snake((2, 1), (2, 0)), snake((2, 3), (2, 4))]}
    frame = step_both("royale", position, [None, None], size=(5, 5),
                      settings={"shrinkEveryNTurns": 2, "hazardDamagePerTurn": 0}, seed=seed)
    assert {tuple(h) for h in frame["hazards"]} == official_royale_hazards(5, 5, [0, 0, 1, 1, 0])
    assert len(frame["hazards"]) == 25


def test_food_never_next_to_a_live_head_or_on_a_body() -> None:
    """On a 5x5 board nearly filled by snakes, food goes only where it may: of the seven free
    cells after the move, five are next to a head (or under one), leaving exactly two."""
    body = [(0, 2), (0, 1), (0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (4, 1), (3, 1), (2, 1), (1, 1), (1, 2),
            (2, 2), (3, 2), (4, 2), (4, 3), (3, 3), (2, 3)]
    for seed in range(10):
        position = {"snakes": [snake(*body), snake((4, 4))]}
        frame = step_both("standard", position, ["up", "left"], size=(5, 5),
                          settings={"minimumFood": 3, "foodSpawnChance": 0}, seed=seed)
        assert all(s["alive"] for s in frame["snakes"])
        assert sorted(frame["food"]) == [[1, 4], [2, 3]], seed


def test_no_food_when_only_head_neighbours_are_free() -> None:
    coil = [(1, 1), (1, 2), (0, 2), (0, 1), (0, 0), (1, 0)]  # 3x3; the head turns right to (2, 1)
    settings = {"minimumFood": 2, "foodSpawnChance": 0}
    frame = step_both("solo", {"snakes": [snake(*coil)]}, ["right"], size=(3, 3), settings=settings)
    assert frame["snakes"][0]["alive"] and frame["food"] == [[1, 0]]  # (2, 0) and (2, 2) touch the head
    frame = step_both("solo", {"snakes": [snake(*coil, (1, 0))]}, ["right"], size=(3, 3), settings=settings)
    assert frame["snakes"][0]["alive"] and frame["food"] == []


def test_hazards_do_not_block_food() -> None:
    body = [(0, 0), (1, 0), (2, 0), (2, 1), (1, 1), (0, 1), (0, 2)]  # 3x3: free (1,2), (2,2)
    hazards = [[x, y] for x in range(3) for y in range(3)]
    frame = step_both("solo", {"hazards": hazards, "snakes": [snake(*body)]}, ["bogus"], size=(3, 3),
                      settings={"minimumFood": 1, "foodSpawnChance": 0, "hazardDamagePerTurn": 0})
    # default move: neck (1,0) -> head (0,0) is "left", off the board: the snake dies, food still spawns
    assert frame["snakes"][0]["death"]["cause"] == "wall-collision"
    assert len(frame["food"]) == 1


def test_classic_spawn_and_remove() -> None:
    """A player leaves (cause ``left``) and respawns at a safe straight spot heading away from the wall."""
    engine = Engine("classic", 12, 12, {"endless": True})
    batch = engine.new_batch([2], 3, seats=4)
    engine.step(batch, np.full((1, 4), -1))
    engine.remove(batch, 0, 1)
    frame = engine.frame(batch, 0)
    assert frame["snakes"][1]["death"] == {"cause": "left", "turn": 1, "by": None}
    for seat in (1, 3):
        assert engine.spawn(batch, 0, seat)
        frame = engine.frame(batch, 0)
        spawned = frame["snakes"][seat]
        assert spawned["alive"] and spawned["death"] is None and spawned["move"] is None
        body = [tuple(p) for p in spawned["body"]]
        assert len(body) == 3 and len(set(body)) == 3
        (hx, hy), (nx, ny), (tx, ty) = body
        assert (hx - nx, hy - ny) == (nx - tx, ny - ty) and abs(hx - nx) + abs(hy - ny) == 1, "straight"
        # the tail points at the wall nearest to the head
        dist = {(-1, 0): hx, (1, 0): 11 - hx, (0, -1): hy, (0, 1): 11 - hy}
        assert dist[(tx - nx, ty - ny)] == min(dist.values())
        others = [s for i, s in enumerate(frame["snakes"]) if i != seat and s["alive"]]
        taken = {tuple(p) for s in others for p in s["body"]}
        assert not taken & set(body)
        assert all(abs(hx - s["body"][0][0]) + abs(hy - s["body"][0][1]) > 2 for s in others)
        assert not {tuple(f) for f in frame["food"]} & set(body)
    engine.step(batch, np.full((1, 4), -1))
    assert all(s["alive"] for s in engine.frame(batch, 0)["snakes"])


def test_classic_spawn_matches_model_and_respects_food() -> None:
    model = ModelGame("classic", 10, 10, 2, seed=4, seats=3)
    engine = Engine("classic", 10, 10)
    batch = engine.new_batch([4], 2, seats=3)
    assert engine.spawn(batch, 0, 2) == model.spawn(2)
    assert normalise(engine.frame(batch, 0)) == normalise(model.frame())
