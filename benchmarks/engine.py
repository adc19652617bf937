"""Engine throughput: batched numpy engine vs the pure-Python model in tests/model.py.

Workload (issue #2): standard 11x11, 4 snakes, uniformly random moves, a game restarts
with a fresh seed when it ends.  A "snake-move" is one live snake moved one turn.

    python benchmarks/engine.py [--seconds 3] [--batch 1024]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from arena.engine import Engine  # noqa: E402
from arena.geometry import MOVES  # noqa: E402
from tests.model import ModelGame  # noqa: E402


def engine_run(batch_size: int, seconds: float) -> tuple[float, float]:
    """(snake-moves per second, turns per second per game) for the batched engine."""
    engine = Engine("standard", 11, 11)
    batch = engine.new_batch(range(batch_size), num_snakes=4)
    rng = np.random.default_rng(0)
    next_seed = batch_size
    moved = steps = 0
    began = time.perf_counter()
    while (elapsed := time.perf_counter() - began) < seconds:
        moved += int((batch.alive & ~batch.done[:, None]).sum())
        engine.step(batch, rng.integers(0, 4, size=batch.alive.shape, dtype=np.int8))
        done = np.nonzero(batch.done)[0]
        if done.size:
            engine.reset(batch, done, seeds=np.arange(next_seed, next_seed + done.size, dtype=np.uint64))
            next_seed += done.size
        steps += 1
    return moved / elapsed, steps / elapsed


def model_run(seconds: float) -> tuple[float, float]:
    """(snake-moves per second, turns per second) for the pure-Python model."""
    pick = random.Random(0).choice
    seed = 0
    game = ModelGame("standard", 11, 11, num_snakes=4, seed=seed)
    moved = turns = 0
    began = time.perf_counter()
    while (elapsed := time.perf_counter() - began) < seconds:
        live = sum(s.alive for s in game.snakes)
        game.step([pick(MOVES) for _ in game.snakes])
        moved += live
        turns += 1
        if game.done:
            seed += 1
            game = ModelGame("standard", 11, 11, num_snakes=4, seed=seed)
    return moved / elapsed, turns / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--batch", type=int, default=1024)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the target says
    model_moves, model_turns = model_run(args.seconds)
    batch_moves, _ = engine_run(args.batch, args.seconds)
    _, single_turns = engine_run(1, args.seconds)
    print(f"pure-Python model        : {model_moves:12,.0f} snake-moves/s  {model_turns:9,.0f} turns/s")
    print(f"engine, B={args.batch:<5}         : {batch_moves:12,.0f} snake-moves/s  "
          f"({batch_moves / model_moves:.1f}x the model; target >= 2,000,000 and >= 25x)")
    print(f"engine, B=1              : {single_turns:12,.0f} turns/s        "
          f"({single_turns / model_turns:.2f}x the model; target >= 1x)")


if __name__ == "__main__":
    main()
