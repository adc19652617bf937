"""Engine throughput against a naive pure-Python game of the same workload, measured in the same run.

Workload (issue #16): standard 11x11, 4 snakes, random non-reversing moves; a game restarts with
a fresh seed when it ends.  A "snake-move" is one live snake moved one turn.  The engine's moves
come from pre-drawn random numbers through a lookup table (``move = NOT_BACK[last move, r]``), the
naive game draws with ``random.choice``; both pay for their own moves.

    taskset -c 0 python benchmarks/engine.py [--seconds 3] [--batch 1024]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from arena.engine import Engine  # noqa: E402
from arena.jit import lean_kernel  # noqa: E402
from benchmarks.naive import naive_run  # noqa: E402

# Row last_move + 1 (last_move -1: no move yet), column r in 0..11: a uniformly random move that is
# not the reverse of the last one (12 columns: 4 moves x 3 or 3 moves x 4).
NOT_BACK = np.array([[0, 1, 2, 3] * 3] + [[m for m in range(4) if m != last ^ 1] * 4 for last in range(4)], np.int8)
NOT_BACK.setflags(write=False)
DRAWS = 256  # pre-drawn turns of random numbers, cycled


@lean_kernel
def random_moves(last_move: np.ndarray, alive: np.ndarray, done: np.ndarray, draws: np.ndarray,
                 table: np.ndarray, moves: np.ndarray) -> tuple[int, int]:
    """The benchmark's own bookkeeping in one call: this turn's moves, and (live snakes, finished games)."""
    live = finished = 0
    for g in range(moves.shape[0]):
        finished += done[g]
        for i in range(moves.shape[1]):
            moves[g, i] = table[last_move[g, i] + 1, draws[g, i]]
            live += alive[g, i] and not done[g]
    return live, finished


def engine_run(batch_size: int, seconds: float) -> tuple[float, float, float]:
    """(snake-moves per second, turns per second per game, CPU seconds per wall second) for the engine,
    B games per step."""
    engine = Engine("standard", 11, 11)
    batch = engine.new_batch(range(batch_size), num_snakes=4)
    draws = np.random.default_rng(0).integers(0, 12, size=(DRAWS, batch_size, 4), dtype=np.int8)
    moves = np.empty((batch_size, 4), np.int8)
    next_seed = batch_size
    moved = steps = 0
    engine.step(batch, moves)  # compile (or load the cache) before the clock starts
    random_moves(batch.last_move, batch.alive, batch.done, draws[0], NOT_BACK, moves)
    engine.reset(batch, np.arange(batch_size), seeds=np.arange(batch_size, dtype=np.uint64))
    began, cpu = time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - began) < seconds:
        for k in range(DRAWS):
            live, _ = random_moves(batch.last_move, batch.alive, batch.done, draws[k], NOT_BACK, moves)
            next_seed += engine.step_restart(batch, moves, next_seed)  # ended games start again at once
            moved += live
            steps += 1
    return moved / elapsed, steps / elapsed, (time.process_time() - cpu) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--batch", type=int, default=1024)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the targets say
    naive_moves, naive_turns, naive_cpu = naive_run(args.seconds)
    batch_moves, _, batch_cpu = engine_run(args.batch, args.seconds)
    _, single_turns, single_cpu = engine_run(1, args.seconds)
    print(f"load average {os.getloadavg()[0]:.2f} (figures are noisy under load; in brackets: per second of this "
          "process's own CPU time, which other processes' load inflates less)")
    print(f"naive pure Python       : {naive_moves:12,.0f} snake-moves/s  {naive_turns:9,.0f} turns/s "
          f"[{naive_moves / naive_cpu:,.0f} / {naive_turns / naive_cpu:,.0f}]")
    print(f"engine, B={args.batch:<5}        : {batch_moves:12,.0f} snake-moves/s  "
          f"({batch_moves / naive_moves:.1f}x naive; target >= 10,000,000 and >= 75x) "
          f"[{batch_moves / batch_cpu:,.0f}, {batch_moves / batch_cpu / (naive_moves / naive_cpu):.1f}x]")
    print(f"engine, B=1             : {single_turns:12,.0f} turns/s        "
          f"({single_turns / naive_turns:.2f}x naive; target >= 100,000 and >= 2x) "
          f"[{single_turns / single_cpu:,.0f}, {single_turns / single_cpu / (naive_turns / naive_cpu):.2f}x]")

if __name__ == "__main__":
    main()
