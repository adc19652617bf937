"""Property tests (hypothesis): invariants of the batched state after every engine step.

Hypothesis picks the ruleset, board, snake counts, seeds and how erratic the moves are;
the games then run with ``play.choose_moves`` and every step is checked against rules that
must always hold: live snakes never share a cell, bodies are connected, lengths and health
change only as the rules say, food is never under a live body, and the bookkeeping grids
(``occ``, ``owner``, ``food_count``) agree with a recount from the bodies.
"""

from __future__ import annotations

import os
import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from play import choose_moves, engine_moves

from arena.engine import Engine
from arena.state import GameBatch

# Profiles: modest by default so the suite stays fast; SNEK_HYPOTHESIS_PROFILE=thorough digs deeper.
settings.register_profile("rules-fast", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("rules-thorough", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE = settings.get_profile("rules-" + os.environ.get("SNEK_HYPOTHESIS_PROFILE", "fast"))

RULESETS = ("standard", "wrapped", "constrictor", "wrapped_constrictor", "royale", "solo", "classic")
SIZES = ((7, 7), (11, 11), (5, 5), (8, 12), (19, 19), (3, 4))


@st.composite
def games(draw) -> dict:
    ruleset = draw(st.sampled_from(RULESETS))
    width, height = draw(st.sampled_from([s for s in SIZES if ruleset != "classic" or min(s) >= 5]))
    square = width == height
    if ruleset == "solo":
        most = 1
    elif ruleset == "classic":  # a classic spawn needs room: a straight body and space around the head
        most = 4 if min(width, height) >= 11 else 2 if min(width, height) >= 8 else 1
    elif square and width >= 11:
        most = 16
    elif square and width >= 7:
        most = 8
    else:
        most = min(4, max(1, (width * height // 2 - 1) // 2))
    least = 1 if ruleset in ("solo", "classic") else 2
    most = max(most, least)
    counts = draw(st.lists(st.integers(least, most), min_size=1, max_size=4))
    settings_ = {}
    if ruleset == "royale":
        settings_ = {"shrinkEveryNTurns": draw(st.integers(1, 6)),
                     "hazardDamagePerTurn": draw(st.sampled_from([14, 1, 50, -3]))}
    if ruleset != "classic":
        settings_["minimumFood"] = draw(st.integers(0, 4))
        settings_["foodSpawnChance"] = draw(st.sampled_from([0, 15, 60, 100]))
    return {
        "ruleset": ruleset, "width": width, "height": height, "counts": counts, "settings": settings_,
        "seeds": draw(st.lists(st.integers(0, 2**64 - 1), min_size=len(counts), max_size=len(counts))),
        "policy": draw(st.integers(0, 2**32)), "chaos": draw(st.sampled_from([0.0, 0.05, 0.3, 1.0])),
    }


def bodies(engine: Engine, batch: GameBatch, game: int) -> dict[int, list[tuple[int, int]]]:
    g = engine.geometry
    return {int(seat): [g.xy(c) for c in batch.body_cells(game, seat)] for seat in np.nonzero(batch.present[game])[0]}


def adjacent(a: tuple[int, int], b: tuple[int, int], width: int, height: int, wrapped: bool) -> bool:
    dx, dy = abs(a[0] - b[0]), abs(a[1] - b[1])
    if wrapped:
        dx, dy = min(dx, width - dx), min(dy, height - dy)
    return dx + dy == 1


def check_invariants(engine: Engine, batch: GameBatch, before: list[dict] | None) -> list[dict]:
    """Assert every invariant for every game; returns a snapshot to compare the next step with."""
    g = engine.geometry
    ruleset = engine.ruleset
    wrapped = ruleset.wrapped
    snapshot = []
    for game in range(batch.size):
        body = bodies(engine, batch, game)
        alive = {seat: bool(batch.alive[game, seat]) for seat in body}
        health = {seat: int(batch.health[game, seat]) for seat in body}
        food = {g.xy(c) for c in np.nonzero(batch.food[game])[0]}
        # bookkeeping grids agree with the bodies
        occ = np.zeros(g.cells, np.int64)
        for seat, cells in body.items():
            if alive[seat]:
                for x, y in cells:
                    occ[g.cell(x, y)] += 1
                    assert batch.owner[game, g.cell(x, y)] == seat
        assert np.array_equal(batch.occ[game], occ), "occ differs from a recount of the live bodies"
        assert batch.food_count[game] == len(food) == batch.food[game].sum()
        assert not batch.food[game][~g.interior].any(), "food off the board"
        cells_of_live = [p for seat, cells in body.items() if alive[seat] for p in set(cells)]
        assert len(cells_of_live) == len(set(cells_of_live)), "two live snakes share a cell"
        assert not food & set(cells_of_live), "food under a live body"
        for seat, cells in body.items():
            if not alive[seat]:
                continue
            assert all(0 <= x < g.width and 0 <= y < g.height for x, y in cells)
            assert ruleset.classic or 1 <= health[seat] <= 100
            for i in range(len(cells) - 1):
                if cells[i] == cells[i + 1]:
                    assert len(set(cells[i:])) == 1, f"stacked segments away from the tail: {cells}"
                else:
                    assert adjacent(cells[i], cells[i + 1], g.width, g.height, wrapped), f"gap in {cells}"
        snap = {"body": body, "alive": alive, "health": health, "food": food, "turn": int(batch.turn[game]),
                "hazard": batch.hazard[game].copy(), "done": bool(batch.done[game])}
        if before is not None:
            check_transition(engine, before[game], snap)
        snapshot.append(snap)
    return snapshot


def check_transition(engine: Engine, old: dict, new: dict) -> None:
    """Lengths and health follow the rules; the dead stay as they died; nobody comes back."""
    ruleset = engine.ruleset
    if old["done"]:  # a finished game is left untouched
        assert np.array_equal(new["hazard"], old["hazard"])
        assert all(new[key] == old[key] for key in old if key != "hazard")
        return
    assert new["turn"] == old["turn"] + 1
    damage = int(engine.settings.get("hazardDamagePerTurn", 0))
    constrictor = "constrictor" in ruleset.name
    for seat, body in new["body"].items():
        was_alive = old["alive"][seat]
        if not was_alive:
            assert not new["alive"][seat] and body == old["body"][seat] and new["health"][seat] == old["health"][seat]
            continue
        if not new["alive"][seat]:
            continue
        old_len, head = len(old["body"][seat]), body[0]
        ate = head in old["food"]
        if ruleset.classic:
            assert len(body) == old_len + (2 if ate else 0)
            assert new["health"][seat] == old["health"][seat]
        elif constrictor:
            assert len(body) in (old_len, old_len + 1) and new["health"][seat] == 100
        elif ate:
            assert len(body) == old_len + 1 and new["health"][seat] == 100
        else:
            g = engine.geometry
            stacks = int(old["hazard"][g.cell(*head)])
            expected = min(max(old["health"][seat] - 1 - stacks * damage, 0), 100)
            assert len(body) == old_len and new["health"][seat] == expected


@settings(PROFILE)
@given(games())
def test_invariants_hold_every_step(spec: dict) -> None:
    engine = Engine(spec["ruleset"], spec["width"], spec["height"], spec["settings"])
    batch = engine.new_batch(spec["seeds"], spec["counts"])
    rnd = random.Random(spec["policy"])
    snapshot = check_invariants(engine, batch, None)
    for _ in range(80):
        if batch.done.all():
            break
        moves = [choose_moves(engine.frame(batch, game), spec["width"], spec["height"], engine.ruleset.wrapped,
                              rnd, spec["chaos"]) for game in range(batch.size)]
        engine.step(batch, engine_moves(moves, batch.seats))
        snapshot = check_invariants(engine, batch, snapshot)
