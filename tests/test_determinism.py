"""Determinism: a game's history depends only on (ruleset, settings, seed, moves).

The same games are played alone (a batch of one) and inside a large mixed batch (other
seeds, other snake counts, more seats, a different position in the batch); every frame must
be identical.  Moves come from a per-game policy seeded by the game's own seed and fed the
game's own frame, so any leak between games would show as a different frame.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from play import choose_moves, engine_moves

from arena.engine import Engine


def play(engine: Engine, seeds: list[int], counts: list[int], turns: int, seats: int | None = None,
         watch: list[int] | None = None) -> list[list[dict]]:
    """Run one batch; returns the frame history of the watched games (default: all)."""
    batch = engine.new_batch(seeds, counts, seats=seats)
    policies = [random.Random(seed) for seed in seeds]
    watch = list(range(len(seeds))) if watch is None else watch
    history: list[list[dict]] = [[] for _ in watch]
    w, h, wrapped = engine.geometry.width, engine.geometry.height, engine.ruleset.wrapped
    for _ in range(turns):
        frames = [engine.frame(batch, g) for g in range(batch.size)]
        for i, g in enumerate(watch):
            history[i].append(frames[g])
        if batch.done.all():
            break
        moves = [choose_moves(f, w, h, wrapped, p, 0.05) for f, p in zip(frames, policies)]
        engine.step(batch, engine_moves(moves, batch.seats))
    return history


def assert_same_game(alone: list[dict], batched: list[dict], name: str) -> None:
    """Equal every turn; a batch may run on after this game ended, repeating its last frame."""
    assert batched[: len(alone)] == alone, f"{name} differs alone vs in the batch"
    assert all(frame == alone[-1] for frame in batched[len(alone):]), f"{name} changed after it ended"


def test_alone_equals_inside_a_batch_of_256() -> None:
    engine = Engine("standard", 11, 11)
    mixer = random.Random(99)
    seeds = [mixer.randrange(2**63) for _ in range(256)]
    counts = [mixer.randint(2, 8) for _ in range(256)]
    watched = [0, 17, 100, 200, 255]
    batched = play(engine, seeds, counts, turns=120, watch=watched)
    for g, history in zip(watched, batched):
        alone = play(engine, [seeds[g]], [counts[g]], turns=120)[0]
        assert_same_game(alone, history, f"game {g}")


@pytest.mark.parametrize("ruleset,size,counts,settings", [
    ("wrapped", (11, 11), [2, 4, 8, 3], None),
    ("royale", (11, 11), [2, 3, 4], {"shrinkEveryNTurns": 4}),
    ("wrapped_constrictor", (19, 19), [16, 2, 9], None),
    ("solo", (7, 7), [1], None),
    ("classic", (24, 24), [1, 3, 5], None),
    ("standard", (9, 13), [2, 4], {"foodSpawnChance": 60}),
])
def test_other_rulesets_alone_equal_batched(ruleset, size, counts, settings) -> None:
    engine = Engine(ruleset, *size, settings)
    seeds = [1000 + i for i in range(24)]
    per_game = [counts[i % len(counts)] for i in range(24)]
    batched = play(engine, seeds, per_game, turns=60, seats=16)
    for g in (0, 5, 23):
        alone = play(engine, [seeds[g]], [per_game[g]], turns=60)[0]
        assert_same_game(alone, batched[g], f"{ruleset} game {g}")


def test_batch_order_does_not_matter() -> None:
    engine = Engine("royale", 11, 11, {"shrinkEveryNTurns": 3})
    seeds, counts = [5, 6, 7, 8], [2, 4, 3, 2]
    forward = play(engine, seeds, counts, turns=50)
    backward = play(engine, seeds[::-1], counts[::-1], turns=50)
    assert forward == backward[::-1]


def test_same_seed_and_moves_twice() -> None:
    for ruleset in ("standard", "wrapped", "royale", "classic"):
        engine = Engine(ruleset)
        first = play(engine, [42, 43], [4, 2], turns=80)
        second = play(Engine(ruleset), [42, 43], [4, 2], turns=80)
        assert first == second, ruleset


def test_different_seeds_differ() -> None:
    """A sanity check that the seed matters at all (start spots, food)."""
    engine = Engine("standard", 11, 11)
    starts = {str(engine.frame(engine.new_batch([seed], 4), 0)) for seed in range(8)}
    assert len(starts) > 1


def test_copies_step_identically() -> None:
    """``GameBatch.select`` copies (search bots fan out) evolve exactly like the original."""
    engine = Engine("standard", 11, 11)
    batch = engine.new_batch([3, 4], [4, 2])
    fan = batch.select([0, 0, 1, 0])
    moves = np.array([[0, 1, 2, 3], [3, -1, -1, -1]])
    for _ in range(5):
        engine.step(batch, moves)
        engine.step(fan, moves[[0, 0, 1, 0]])
        for i, g in enumerate([0, 0, 1, 0]):
            assert engine.frame(fan, i) == engine.frame(batch, g)


def test_reset_inside_a_running_batch() -> None:
    """Restarting one game mid-batch (as vector envs do) gives the game a fresh batch would."""
    engine = Engine("royale", 11, 11, {"shrinkEveryNTurns": 5})
    batch = engine.new_batch(range(8), 4)
    policies = [random.Random(seed) for seed in range(8)]
    w, h = engine.geometry.width, engine.geometry.height
    history = []
    for turn in range(70):
        if turn == 20:
            engine.reset(batch, [3], seeds=[777], num_snakes=[2])
            policies[3] = random.Random(777)
        frames = [engine.frame(batch, g) for g in range(batch.size)]
        if turn >= 20:
            history.append(frames[3])
        moves = [choose_moves(f, w, h, False, p, 0.05) for f, p in zip(frames, policies)]
        engine.step(batch, engine_moves(moves, batch.seats))
    alone = play(engine, [777], [2], turns=50)[0]
    assert_same_game(alone, history, "reset game")


@pytest.mark.parametrize("ruleset,counts", [("standard", [2, 3, 4, 4]), ("solo", [1]), ("classic", [2, 3])])
def test_step_restart_equals_step_then_reset(ruleset, counts) -> None:
    """``step_restart`` (ended games start again inside the step) plays exactly what ``step`` followed by
    ``reset`` of the ended games, seeds counted up in game order, plays; and says how many restarted."""
    engine = Engine(ruleset)
    size = 32
    snakes = np.resize(counts, size)
    stepped, restarted = engine.new_batch(range(size), snakes), engine.new_batch(range(size), snakes)
    pick = np.random.default_rng(5)
    next_seed, total = 1000, 0
    for _ in range(120):
        moves = pick.integers(-1, 4, stepped.alive.shape)
        engine.step(stepped, moves)
        ended = np.flatnonzero(stepped.done)
        engine.reset(stepped, ended, seeds=np.arange(next_seed, next_seed + ended.size))
        count = engine.step_restart(restarted, moves, next_seed)
        assert count == ended.size
        next_seed += count
        total += count
        assert [engine.frame(restarted, g) for g in range(size)] == [engine.frame(stepped, g) for g in range(size)]
        assert restarted.seed.tolist() == stepped.seed.tolist()
    assert total >= size  # every game ended and restarted at least once on average
