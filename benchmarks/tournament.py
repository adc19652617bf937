"""Tournament throughput: games/s with 1 and 2 workers, and the share of time that is not bots thinking.

1,000 games of 4 `safe` bots (`--bots` for another lineup) on standard 11x11 (replays written to a
temporary folder, as `--out-dir` does).  "Bots thinking" is the sum of every move's latency: the built-in bots run
inline, so that is the time spent inside the bot's own move function and nothing of ours.
Everything else -- engine, frames, requests, replay writing, scheduling, rating -- is overhead:

    overhead share = 1 - thinking / (wall time x workers)

The machine's load average is printed before and after each run: on a shared machine the figures
are only as good as the cores that were free.  Throughput is measured after start-up: a short warm-up
tournament first imports the bots and loads their compiled code (about a second, printed, not counted;
worker processes are forked from this one, so they start warm too).

    python benchmarks/tournament.py [--games 1000] [--workers 1,2] [--bots space,greedy,safe,random]
    # --workers 1,2,1,2 interleaves repeats
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from arena.match import MatchConfig
from arena.tournament import TournamentConfig, run_tournament


def run(games: int, workers: int, bots: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="snek-bench-") as tmp:
        config = TournamentConfig(bots=bots, games=games, players_per_game=4,
                                  rules=MatchConfig(ruleset="standard", width=11, height=11), seed=0,
                                  workers=workers, out_dir=Path(tmp) / "t")
        thinking_ms = 0.0
        turns = 0

        def count(record, board) -> None:
            nonlocal thinking_ms, turns
            thinking_ms += sum(seat["sum"] for seat in record.latency)
            turns += record.turns

        load_before = os.getloadavg()[0]
        began = time.perf_counter()
        run_tournament(config, count)
        wall = time.perf_counter() - began
        load_after = os.getloadavg()[0]
    return {"workers": workers, "games": games, "wall_s": wall, "games_per_s": games / wall,
            "turns": turns, "thinking_s": thinking_ms / 1000,
            "overhead": 1 - (thinking_ms / 1000) / (wall * workers), "load": (load_before, load_after)}


def warm_up(bots: list[str]) -> float:
    """Seconds a 40-game tournament of ``bots`` takes in a fresh process: imports and compiled code."""
    began = time.perf_counter()
    run(40, 1, bots)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=1000)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--bots", default="safe,safe,safe,safe", help="comma-separated bot specs (4 play each game)")
    args = parser.parse_args()
    bots = args.bots.split(",")
    print(f"{os.cpu_count()} CPUs; {args.games} games of {' '.join(bots)}, standard 11x11, replays written")
    print(f"start-up: {warm_up(bots):.1f} s (imports, compiled code loaded, 40 warm-up games; not counted)")
    results = []
    for workers in (int(w) for w in args.workers.split(",")):
        r = run(args.games, workers, bots)
        results.append(r)
        print(f"workers {workers}: {r['games_per_s']:.1f} games/s ({r['wall_s']:.1f} s, {r['turns']} turns, "
              f"{r['turns'] / r['wall_s']:.0f} turns/s); bots thinking {r['thinking_s']:.1f} s, "
              f"overhead {100 * r['overhead']:.0f}% of worker time; load average {r['load'][0]:.1f} -> "
              f"{r['load'][1]:.1f}")
    by_workers: dict[int, list[float]] = {}
    for r in results:  # repeated counts (--workers 1,2,1,2) are averaged: load drifts between runs
        by_workers.setdefault(r["workers"], []).append(r["games_per_s"])
    mean = {w: sum(v) / len(v) for w, v in by_workers.items()}
    for w in sorted(mean):
        if w != 1 and 1 in mean:
            print(f"speed-up {w} workers vs 1: {mean[w] / mean[1]:.2f}x")

if __name__ == "__main__":
    main()
