"""Constrictor's grow stage runs on every snake, eliminated ones included (issue 18, defect 8).

Battlesnake's ``GrowSnakesConstrictor`` (rules repository, constrictor.go) loops over all of
``b.Snakes`` after ``EliminateSnakesStandard``: every snake gets health 100 and, when its tail is not
stacked, a copy of its tail.  A snake eliminated this turn has moved (its tail unstacked), so in the
frame of its death it shows health 100 and its tail stacked again; later it no longer moves, so it
keeps that body and health 100.  Our engine heals and grows live snakes only (health 99 after
starvation, one segment shorter) before the fix in ``grow_always`` (and the pure-Python model's
constrictor step).
"""

from __future__ import annotations

import pytest

from arena.engine import Engine
from arena.geometry import MOVES

UP, DOWN, LEFT = MOVES.index("up"), MOVES.index("down"), MOVES.index("left")

THIRD = [[6, 2], [6, 1], [6, 1]]  # a third snake heading up, so the game goes on after the death
CASES = [  # (ruleset, bodies, moves, the dead snake s0 in the frame of its death and in the next one)
    ("constrictor", [[[0, 3], [0, 2], [0, 1], [0, 1]], [[4, 3], [4, 2], [4, 1], [4, 1]], THIRD],
     [LEFT, UP, UP], {"body": [[-1, 3], [0, 3], [0, 2], [0, 1], [0, 1]], "health": 100}),
    ("wrapped_constrictor", [[[2, 0], [2, 1], [2, 2], [2, 2]], [[3, 6], [2, 6], [1, 6], [1, 6]], THIRD],
     [DOWN, UP, UP], {"body": [[2, 6], [2, 0], [2, 1], [2, 2], [2, 2]], "health": 100}),  # wraps into s1's body
]


@pytest.mark.parametrize("ruleset,bodies,moves,dead", CASES, ids=[c[0] for c in CASES])
def test_an_eliminated_snake_is_healed_and_grown_like_every_snake(ruleset, bodies, moves, dead) -> None:
    engine = Engine(ruleset, 7, 7)
    batch = engine.from_positions([{"turn": 5, "food": [], "hazards": [],
                                    "snakes": [{"body": b, "health": 100} for b in bodies]}])
    engine.step(batch, [moves])
    death_frame = engine.frame(batch, 0)["snakes"][0]
    assert not death_frame["alive"] and death_frame["death"]["turn"] == 6, death_frame
    assert {k: death_frame[k] for k in dead} == dead
    engine.step(batch, [[UP, UP, UP]])
    later = engine.frame(batch, 0)["snakes"][0]
    assert {k: later[k] for k in dead} == dead  # not moved, not grown again, still 100
