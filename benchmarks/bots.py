"""Bot answer times: how long each built-in bot takes per move, by board size.

Why a benchmark and not a test: answer times depend on the machine and its load, and the bots'
moves do not (``search`` budgets its lookahead in leaves, not milliseconds), so tests assert the
moves and this script reports the times.  Each board plays one seeded 4-snake game of
``search, space, greedy, safe`` (no move timeout) and keeps every request any snake was sent; then
each bot answers every one of those requests in-process, timed call by call, so every bot is
timed on the same positions however long it survived.  Pin it to one core and read the load:

    taskset -c 0 python benchmarks/bots.py [--turns 120] [--sizes 7 11 19 25] [--bots space greedy safe]

Issue 17's targets: ``safe``, ``greedy`` and ``space`` at most 0.05 ms a move (p50) on 11x11 and
0.2 ms on 25x25.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from arena.match import MatchConfig, run_match  # noqa: E402
from arena.players import PythonPlayer  # noqa: E402
from arena.registry import resolve_bot  # noqa: E402

LINEUP = ("search", "space", "greedy", "safe")
TARGET_MS = {11: 0.05, 25: 0.2}  # p50 for safe, greedy and space
FAST = ("space", "greedy", "safe")


def recorder(policy, states: list[dict]):
    def call(state: dict):
        states.append(state)
        return policy(state)
    return call


def requests(size: int, turns: int) -> list[dict]:
    """Every request of one seeded game of the line-up on a ``size`` board."""
    states: list[dict] = []
    players = [PythonPlayer(recorder(resolve_bot(name), states), name=name) for name in LINEUP]
    run_match(players, MatchConfig(width=size, height=size, seed=3, timeout_ms=600_000, max_turns=turns))
    return states


def answer_times(name: str, states: list[dict]) -> np.ndarray:
    """Milliseconds per answer of bot ``name`` to each state (after one untimed answer: compiled code
    loads on first use)."""
    policy = resolve_bot(name)
    policy(states[0])
    times = []
    for state in states:
        began = time.perf_counter()
        policy(state)
        times.append(time.perf_counter() - began)
    return np.array(times) * 1000


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=120)
    parser.add_argument("--sizes", type=int, nargs="+", default=[7, 11, 19, 25])
    parser.add_argument("--bots", nargs="+", default=list(LINEUP), choices=LINEUP)
    args = parser.parse_args()
    print(f"{load()}; ms per move over every request of one seeded game")
    print(f"{'board':>6} {'bot':>7} {'moves':>6} {'p50':>7} {'p90':>7} {'max':>7}  target (p50)")
    for size in args.sizes:
        states = requests(size, args.turns)
        for name in args.bots:
            t = answer_times(name, states)
            target = TARGET_MS.get(size) if name in FAST else None
            verdict = "" if target is None else f"  ≤ {target} {'✔' if np.median(t) <= target else '✘'}"
            print(f"{size:>3}x{size:<2} {name:>7} {t.size:>6} {np.median(t):>7.3f} {np.percentile(t, 90):>7.3f} "
                  f"{t.max():>7.3f}{verdict}")
    print(load())


if __name__ == "__main__":
    main()
