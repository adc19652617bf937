"""Replay lines written straight from the batch (``Engine.frame_lines``, what a tournament's lockstep
writes) are byte for byte the lines the frame dicts give (``Engine.frames``, annotated as a match does,
encoded by ``jsonio.dumps_line``): every turn of real games of every ruleset and a map with hazards
above the board, with latencies from 0 to thousands of ms."""

from __future__ import annotations

import numpy as np

from arena import jsonio
from arena.engine import Engine, seat_ids
from arena.rules import RULESETS

LATENCIES = (0, 1, 5, 10, 99, 100, 101, 150, 1234, 100_000, 123_456_789)  # hundredths of a ms


def annotated(frame: dict, latency: list[int]) -> dict:
    """A match's annotation: latency of every asked seat (those with a move), no error."""
    for snake in frame["snakes"]:
        cents = latency[int(snake["id"][1:])]
        snake["latency_ms"] = round(cents / 100, 2) if cents >= 0 else None
        snake["error"] = None
    return frame


def compare(engine: Engine, games: int, seats: int, turns: int) -> int:
    batch = engine.new_batch(range(games), num_snakes=[2 + g % (seats - 1) for g in range(games)], seats=seats)
    ids = seat_ids(seats)
    rng = np.random.default_rng(7)
    compared = 0
    for turn in range(turns):
        live = np.flatnonzero(~batch.done)
        if not live.size:
            break
        asked = batch.alive[live] | (batch.death_turn[live] == batch.turn[live, None])
        latency = np.where(asked, rng.choice(LATENCIES, size=asked.shape), -1).astype(np.int64)
        lines = engine.frame_lines(batch, live, ids, latency.reshape(-1))
        frames = engine.frames(batch, live, ids)
        for line, frame, row in zip(lines, frames, latency.tolist()):
            assert line == jsonio.dumps_line(annotated(frame, row)), (engine.ruleset.name, turn)
            compared += 1
        safe = ~engine.deadly_moves(batch)  # random moves among the safe ones: games long enough to matter
        engine.step(batch, np.argmax(safe + rng.random(safe.shape), axis=-1).astype(np.int8))
    return compared


def test_lines_from_the_arrays_are_the_lines_of_the_frames() -> None:
    counts = {ruleset: compare(Engine(ruleset), 12, 8, 120) for ruleset in RULESETS}
    counts["snail_mode"] = compare(Engine("standard", map="snail_mode"), 6, 4, 80)
    assert len(counts) == len(RULESETS) + 1 and all(counts.values()), counts
    assert sum(counts.values()) == 6224, counts
