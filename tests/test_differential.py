"""Differential tests: the batched numpy engine against the pure-Python model, every turn.

Many seeded games per configuration run as one engine batch and as one model each; after
every step each game's frame must be identical.  Moves come from ``play.choose_moves``
(mostly sensible, sometimes random or junk), so games last long enough to eat, grow, collide
and shrink.  ``COMPARED`` counts the game-turns compared (printed with ``pytest -s``).
"""

from __future__ import annotations

import random
import zlib

import pytest
from model import ModelGame
from play import engine_frames, engine_moves, frame_diff, model_moves, normalise, random_position

from arena.engine import Engine

COMPARED = {"turns": 0}

# (ruleset, width, height, snakes per game (cycled over the batch), settings)
CONFIGS = [
    ("standard", 11, 11, [2, 3, 4, 8], None),
    ("standard", 7, 7, [2, 5, 8], None),
    ("standard", 19, 19, [9, 16, 4], None),
    ("standard", 9, 13, [2, 4, 10], None),
    ("standard", 9, 9, [12], None),  # more than 8 on a small square board: random even cells
    ("standard", 5, 5, [2, 3], {"minimumFood": 3, "foodSpawnChance": 50}),
    ("standard", 11, 11, [4], {"minimumFood": 0, "foodSpawnChance": 100}),
    ("standard", 11, 11, [4], {"minimumFood": 0, "foodSpawnChance": 0}),
    ("wrapped", 11, 11, [2, 4, 8], None),
    ("wrapped", 7, 10, [2, 3], {"foodSpawnChance": 30}),
    ("constrictor", 11, 11, [2, 4], None),
    ("constrictor", 7, 7, [2, 3], None),
    ("wrapped_constrictor", 11, 11, [2, 4, 16], None),
    ("wrapped_constrictor", 6, 8, [2], None),
    ("royale", 11, 11, [2, 4, 8], {"shrinkEveryNTurns": 5}),
    ("royale", 7, 7, [2, 3], {"shrinkEveryNTurns": 2, "hazardDamagePerTurn": 30}),
    ("royale", 9, 12, [3], {"shrinkEveryNTurns": 3, "hazardDamagePerTurn": -5, "minimumFood": 2}),
    ("solo", 11, 11, [1], None),
    ("solo", 7, 7, [1], {"foodSpawnChance": 0, "minimumFood": 2}),
    ("classic", 24, 24, [1, 2, 4, 6], None),
    ("classic", 12, 10, [2, 3], None),
]

GAMES_PER_CONFIG = 48
MAX_TURNS = 200


def _ids(config) -> str:
    ruleset, w, h, counts, settings = config
    return f"{ruleset}-{w}x{h}-{'/'.join(map(str, counts))}" + ("-" + "-".join(f"{k}{v}" for k, v in settings.items())
                                                                 if settings else "")


def _compare(engine: Engine, batch, models: list[ModelGame], context: str) -> None:
    got = engine_frames(engine, batch)
    for g, model in enumerate(models):
        want = normalise(model.frame())
        assert got[g] == want, (f"{context}: game {g} (seed {model.seed}) differs at turn {model.turn}\n"
                                + frame_diff(got[g], want))
        assert bool(batch.done[g]) == model.done, f"{context}: game {g} done flag differs at turn {model.turn}"
    COMPARED["turns"] += len(models)


def _run(engine: Engine, batch, models: list[ModelGame], rnd: random.Random, turns: int, context: str,
         chaos: float = 0.1) -> None:
    _compare(engine, batch, models, context)
    for _ in range(turns):
        if all(m.done for m in models):
            break
        moves = [model_moves(m, rnd, chaos) for m in models]
        engine.step(batch, engine_moves(moves, batch.seats))
        for model, names in zip(models, moves):
            model.step(names)
        _compare(engine, batch, models, context)


@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_new_games_match_model(config) -> None:
    ruleset, width, height, counts, settings = config
    engine = Engine(ruleset, width, height, settings)
    base = zlib.crc32(_ids(config).encode()) << 8  # stable across runs (unlike hash())
    seeds = [base + i for i in range(GAMES_PER_CONFIG)]
    snakes = [counts[i % len(counts)] for i in range(GAMES_PER_CONFIG)]
    batch = engine.new_batch(seeds, snakes)
    models = [ModelGame(ruleset, width, height, n, s, settings) for s, n in zip(seeds, snakes)]
    _run(engine, batch, models, random.Random(str(config)), MAX_TURNS, _ids(config))


@pytest.mark.parametrize("ruleset", ["standard", "wrapped", "constrictor", "royale", "solo", "classic"])
def test_random_positions_match_model(ruleset: str) -> None:
    """Arbitrary mid-game positions (low health, stacked tails and hazards, length-1 snakes)
    reach the edge cases that games from the start rarely do."""
    rnd = random.Random(ruleset)
    settings = {"shrinkEveryNTurns": 4} if ruleset == "royale" else None
    wrapped = ruleset == "wrapped"
    for width, height in ((5, 5), (7, 9), (11, 11)):
        engine = Engine(ruleset, width, height, settings)
        positions = [random_position(rnd, width, height, rnd.randint(1, 5), wrapped) for _ in range(60)]
        positions = [p for p in positions if p["snakes"]]
        seeds = list(range(len(positions)))
        batch = engine.from_positions(positions, seeds)
        models = [ModelGame.from_position(ruleset, width, height, p, s, settings) for p, s in zip(positions, seeds)]
        _run(engine, batch, models, rnd, 12, f"{ruleset} {width}x{height}", chaos=0.3)


def test_classic_drop_in_matches_model() -> None:
    """Players leaving and respawning mid-game (Engine.remove / Engine.spawn) in an endless game."""
    rnd = random.Random(7)
    engine = Engine("classic", 16, 16, {"endless": True})
    seeds = list(range(12))
    batch = engine.new_batch(seeds, [1, 2, 3, 4] * 3, seats=6)
    models = [ModelGame("classic", 16, 16, n, s, {"endless": True}, seats=6) for s, n in zip(seeds, [1, 2, 3, 4] * 3)]
    _compare(engine, batch, models, "drop-in")
    for _ in range(120):
        for g, model in enumerate(models):
            for seat in range(6):
                snake = model.snakes[seat]
                if (snake is None or not snake.alive) and rnd.random() < 0.15:
                    assert engine.spawn(batch, g, seat) == model.spawn(seat)
                elif snake is not None and snake.alive and rnd.random() < 0.01:
                    engine.remove(batch, g, seat)
                    model.remove(seat)
        _compare(engine, batch, models, "drop-in")
        moves = [model_moves(m, rnd, 0.1) for m in models]
        engine.step(batch, engine_moves(moves, batch.seats))
        for model, names in zip(models, moves):
            model.step(names)
        _compare(engine, batch, models, "drop-in")


def test_batched_equals_one_by_one() -> None:
    """The same games stepped in one batch and each in a batch of its own agree every turn."""
    engine = Engine("standard", 11, 11)
    seeds, snakes = [3, 1, 4, 1, 5, 9], [2, 4, 3, 8, 2, 4]
    batch = engine.new_batch(seeds, snakes)
    alone = [engine.new_batch([s], n) for s, n in zip(seeds, snakes)]
    models = [ModelGame("standard", 11, 11, n, s) for s, n in zip(seeds, snakes)]
    rnd = random.Random(0)
    for _ in range(100):
        for g, single in enumerate(alone):
            assert engine.frame(batch, g) == engine.frame(single, 0)
        moves = [model_moves(m, rnd) for m in models]
        engine.step(batch, engine_moves(moves, batch.seats))
        for single, model, names in zip(alone, models, moves):
            engine.step(single, engine_moves([names], single.seats))
            model.step(names)


def teardown_module() -> None:
    print(f"\ndifferential: {COMPARED['turns']} game-turns compared")
