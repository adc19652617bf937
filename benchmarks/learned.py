"""How strong is `learned` (or any bot)?  Seeded 1-vs-1 duels against each built-in bot, win rates with 95% intervals.

Each opponent is a two-bot tournament (``arena.tournament``: game ``i`` has seed ``seed * 1_000_000 + i``,
the two bots swap seats every game), on standard 11x11 by default; a win is outliving the other
snake, so draws (both dying on the same turn) and games cut off at ``--max-turns`` are not wins.
The interval is the tournament's Wilson score interval (``arena.standings.wilson``).  Targets for
the shipped bot (issue 19): >= 90% against safe, >= 60% against greedy, >= 50% against space.

    python benchmarks/learned.py                              # 200 duels against each built-in bot
    python benchmarks/learned.py --bot learned:runs/train --games 100 --opponents safe,greedy,space
    python benchmarks/learned.py --bot search --opponents space      # any bot spec: search's duels (issue 17)

The load average is printed beside each figure: the win rates do not depend on it (every bot
here is deterministic for a given game), the times do (``ms/move``: `learned`'s mean and p95 answer
time in these games, from the tournament's latency figures).
"""

from __future__ import annotations

import argparse
import os
import re
import time

from rich.console import Console
from rich.table import Table

from arena.match import MatchConfig
from arena.registry import builtin_bots
from arena.tournament import TournamentConfig, run_tournament

TARGETS = {"safe": 0.90, "greedy": 0.60, "space": 0.50}


def label(bot: str) -> str:
    """The name the bot under test plays under: ``learned`` for ``learned:PATH``, else the spec with
    anything but letters, digits, ``_`` and ``-`` made ``-`` (``/tmp/x.py:bot`` -> ``tmp-x-py-bot``)."""
    return "learned" if bot.startswith("learned") else re.sub(r"[^A-Za-z0-9_-]+", "-", bot).strip("-")


def duels(bot: str, opponent: str, games: int, seed: int, workers: int, rules: MatchConfig) -> dict:
    began = time.perf_counter()
    name = label(bot)
    board = run_tournament(TournamentConfig(bots=[f"{name}={bot}", opponent], games=games, players_per_game=2,
                                            rules=rules, seed=seed, workers=workers))
    mine = next(s for s in board.standings() if s.name == name)
    theirs = next(s for s in board.standings() if s.name != name)
    return {"opponent": opponent, "games": mine.games, "wins": mine.wins, "losses": theirs.wins,
            "win_rate": mine.win_rate, "low": mine.win_low, "high": mine.win_high, "avg_turns": mine.avg_turns,
            "ms": mine.latency_ms, "p95_ms": mine.latency_p95_ms, "seconds": time.perf_counter() - began,
            "load": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bot", default="learned", help="the bot under test: learned, learned:PATH or any bot spec")
    parser.add_argument("--opponents", default=None, help="comma-separated (default: every other built-in bot)")
    parser.add_argument("--games", type=int, default=200, help="duels against each opponent")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=11)
    parser.add_argument("--max-turns", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=500, help="move timeout in ms (raise it so that load cannot "
                                                                   "decide games of a slower bot)")
    args = parser.parse_args()
    opponents = args.opponents.split(",") if args.opponents else sorted(set(builtin_bots()) - {label(args.bot)})
    rules = MatchConfig(width=args.size, height=args.size, max_turns=args.max_turns, timeout_ms=args.timeout)
    console = Console(width=None if Console().is_terminal else 120)
    table = Table(title=f"{args.bot}: {args.games} seeded duels per opponent, standard {args.size}x{args.size}, "
                        f"seed {args.seed}")
    for column in ("opponent", "won/lost/drawn", "win rate [95% CI]", "target", "avg turns", "ms/move (p95)", "s",
                   "load"):
        table.add_column(column, justify="right", no_wrap=True)
    for opponent in opponents:
        r = duels(args.bot, opponent, args.games, args.seed, args.workers, rules)
        target = TARGETS.get(opponent) if label(args.bot) == "learned" else None
        verdict = "-" if target is None else f">= {target:.0%}: {'met' if r['win_rate'] >= target else 'missed'}"
        line = (f"{opponent}: {r['wins']}/{r['games']} won, {100 * r['win_rate']:.1f}% "
                f"[{100 * r['low']:.1f}, {100 * r['high']:.1f}], lost {r['losses']}, {r['seconds']:.0f} s, "
                f"load {r['load']:.1f}")
        console.print(line)
        table.add_row(opponent, f"{r['wins']}/{r['losses']}/{r['games'] - r['wins'] - r['losses']}",
                      f"{100 * r['win_rate']:.1f}% [{100 * r['low']:.1f}, {100 * r['high']:.1f}]",
                      verdict, f"{r['avg_turns']:.0f}", f"{r['ms']:.2f} ({r['p95_ms']:.2f})", f"{r['seconds']:.0f}",
                      f"{r['load']:.1f}")
    console.print(table)


if __name__ == "__main__":
    main()
