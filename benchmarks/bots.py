"""Bot answer times: how long each built-in bot takes per move, by board size.

Why a benchmark and not a test: answer times depend on the machine and its load, and the bots'
moves do not (``search`` budgets its lookahead in leaves, not milliseconds), so tests assert the
moves and this script reports the times.  Each board plays one seeded 4-snake game of
``search, space, greedy, safe`` (no move timeout) and times every call in-process.  For a bot that
counts the positions it simulates (``search``'s ``nodes``), ``nodes`` is their mean per move,
``nodes/s`` their total over its total thinking time and ``cpu nodes/s`` the same over the CPU time
its thread got (less sensitive to a loaded machine than the wall clock; bots run on the match's thread).

    python benchmarks/bots.py [--turns 120] [--sizes 7 11 19 25]
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


def timed(policy, times: list[float], cpu: list[float], nodes: list[int]):
    def call(state: dict):
        began, began_cpu = time.perf_counter(), time.thread_time()
        try:
            return policy(state)
        finally:
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.thread_time() - began_cpu) * 1000)
            if hasattr(policy, "nodes"):
                nodes.append(policy.nodes)
    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=120)
    parser.add_argument("--sizes", type=int, nargs="+", default=[7, 11, 19, 25])
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; times in ms per move")
    print(f"{'board':>6} {'bot':>7} {'moves':>6} {'p50':>6} {'p90':>6} {'max':>6} {'mean':>6} {'nodes':>7} "
          f"{'nodes/s':>9} {'cpu nodes/s':>11}")
    for size in args.sizes:
        times: dict[str, list[float]] = {name: [] for name in LINEUP}
        cpu: dict[str, list[float]] = {name: [] for name in LINEUP}
        nodes: dict[str, list[int]] = {name: [] for name in LINEUP}
        players = [PythonPlayer(timed(resolve_bot(name), times[name], cpu[name], nodes[name]), name=name)
                   for name in LINEUP]
        run_match(players, MatchConfig(width=size, height=size, seed=3, timeout_ms=600_000, max_turns=args.turns))
        for name in LINEUP:
            t = np.array(times[name])
            total = sum(nodes[name])
            searched = (f"{np.mean(nodes[name]):>7.0f} {total / (t.sum() / 1000):>9,.0f} "
                        f"{total / (sum(cpu[name]) / 1000):>11,.0f}" if nodes[name] else f"{'-':>7} {'-':>9} {'-':>11}")
            print(f"{size:>3}x{size:<2} {name:>7} {t.size:>6} {np.median(t):>6.1f} {np.percentile(t, 90):>6.1f} "
                  f"{t.max():>6.1f} {t.mean():>6.1f} {searched}")


if __name__ == "__main__":
    main()
