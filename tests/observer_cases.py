"""Seeded positions and every observation / mask the envs derive from them, as digests.

Why: the observation encoder and the move-safety masks were rewritten as compiled loops; their
answers must stay bit-identical to the numpy versions they replaced.  ``record()`` ran on the
numpy versions and wrote ``tests/fixtures/observer_digests.json`` (SHA-256 prefixes per case: one
per turn, one per answer over all turns); ``tests/test_observer_fixture.py`` recomputes them.
Positions come from seeded games whose moves are picked mostly among the safe ones, so they
reach long snakes, deaths, stacked hazards and royale's shrinking box;
the engine is itself pinned bit-identical by the rules tests.

    .venv/bin/python tests/observer_cases.py   # re-record (only ever on the implementation to pin)
    .venv/bin/python tests/observer_cases.py constrictor   # re-record cases whose positions the rules changed

Re-recorded since: constrictor and wrapped_constrictor, on the compiled encoder, when eliminated snakes
began to be healed and grown as Battlesnake does (issue 18, defect 8): the games, not the encoder, changed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from arena.engine import Engine
from arena.env.observation import Observer

FIXTURE = Path(__file__).parent / "fixtures" / "observer_digests.json"
GAMES = 6
TURNS = 70

#: (name, ruleset, width, height, snakes, settings): every ruleset family, 1 to 16 snakes, a non-square board.
CASES = (
    ("standard", "standard", 11, 11, 4, None),
    ("hazards", "standard", 9, 9, 3, {"hazardDamagePerTurn": 30}),  # stacked hazards put in by hand
    ("wrapped", "wrapped", 11, 11, 4, None),
    ("royale", "royale", 11, 11, 4, {"shrinkEveryNTurns": 4}),
    ("constrictor", "constrictor", 7, 7, 3, None),
    ("wrapped_constrictor", "wrapped_constrictor", 7, 9, 2, None),
    ("solo", "solo", 5, 5, 1, None),
    ("classic", "classic", 13, 13, 6, None),
    ("sixteen", "standard", 19, 19, 16, None),
    ("oblong", "standard", 13, 7, 2, None),
)
#: (encoding, view radius): the default window, a small one, one wider than the board, the whole board.
VIEWS = (("egocentric", None), ("egocentric", 2), ("egocentric", "wide"), ("global", None))


def digest(array: np.ndarray) -> str:
    array = np.ascontiguousarray(array)
    return hashlib.sha256(f"{array.dtype}{array.shape}".encode() + array.tobytes()).hexdigest()[:16]


def _stack_hazards(engine: Engine, batch, rng: np.random.Generator) -> None:
    """Stacked hazard entries (1 to 3 on a cell) on a third of each board's cells."""
    g = engine.geometry
    for game in range(batch.size):
        hazards = []
        for cell in rng.choice(g.interior_cells, g.area // 3, replace=False).tolist():
            hazards += [list(g.xy(cell))] * int(rng.integers(1, 4))
        engine.set_items(batch, game, hazards=hazards)


def positions(name: str) -> Iterator[tuple[int, Engine, object]]:
    """(turn, engine, batch) of one case, turn 0 to TURNS; moves picked at random among the safe ones."""
    _, ruleset, width, height, snakes, settings = next(c for c in CASES if c[0] == name)
    engine = Engine(ruleset, width, height, settings)
    batch = engine.new_batch(range(100, 100 + GAMES), snakes)
    rng = np.random.default_rng(len(name))
    if name == "hazards":
        _stack_hazards(engine, batch, rng)
    for turn in range(TURNS + 1):
        yield turn, engine, batch
        if batch.done.all():
            return
        safe = ~engine.deadly_moves(batch)
        scores = rng.random(safe.shape) * (safe + 0.01)  # mostly safe moves, now and then a deadly one
        engine.step(batch, np.argmax(scores, axis=2))


def outputs(engine: Engine, batch, observers: list[tuple[str, Observer]]) -> dict[str, str]:
    """Digest of every answer asked of one position: masks and observations, for all games and a subset."""
    subset = np.array([batch.size - 1, 0, 0, 2])
    out = {"deadly": digest(engine.deadly_moves(batch)), "deadly_subset": digest(engine.deadly_moves(batch, subset))}
    for label, observer in observers:
        out[f"{label}/mask"] = digest(observer.action_masks(batch))
        out[f"{label}/mask_subset"] = digest(observer.action_masks(batch, subset))
        out[f"{label}/obs"] = digest(observer.observe(batch))
        out[f"{label}/obs_dead_blank"] = digest(observer.observe(batch, blank_dead=True))
        out[f"{label}/obs_subset"] = digest(observer.observe(batch, subset, blank_dead=True))
    return out


def observers_for(engine: Engine, seats: int) -> list[tuple[str, Observer]]:
    made = []
    for encoding, radius in VIEWS:
        r = engine.geometry.width if radius == "wide" else radius
        for obs_format in ("dict", "image"):  # planes hands out the dict's arrays
            made.append((f"{encoding}-{radius}-{obs_format}", Observer(engine, seats, encoding, r, obs_format)))
    return made


def compute(name: str) -> dict:
    """One case: a digest of every turn's answers together, and of every answer over all turns."""
    turns, chains, observers = [], {}, None
    for _, engine, batch in positions(name):
        observers = observers or observers_for(engine, batch.seats)
        answers = outputs(engine, batch, observers)
        turns.append(hashlib.sha256(json.dumps(answers, sort_keys=True).encode()).hexdigest()[:16])
        for key, value in answers.items():
            chains[key] = hashlib.sha256((chains.get(key, "") + value).encode()).hexdigest()[:16]
    return {"turns": turns, "answers": chains}


def record(names: list[str] | None = None) -> None:
    """Record every case, or only ``names`` (when the rules deliberately changed the positions of those)."""
    data = json.loads(FIXTURE.read_text()) if names else {}
    data.update({name: compute(name) for name, *_ in CASES if not names or name in names})
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    record(sys.argv[1:])
