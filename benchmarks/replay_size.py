"""Replay size: a 300-turn, 4-snake, 11x11 standard game written as .jsonl and .jsonl.gz.

Plays built-in bots (long-lived ones, so the game reaches 300 turns; the match stops at 300)
over seeds until a game lasts the full 300 turns, then prints both file sizes.

    python benchmarks/replay_size.py [--bot space]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena.match import MatchConfig, run_match  # noqa: E402
from arena.players import PythonPlayer  # noqa: E402
from arena.registry import resolve_bot  # noqa: E402
from arena.replay import dumps_replay, read_replay  # noqa: E402

TURNS = 300


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bot", default="space", help="built-in bot for all four seats")
    parser.add_argument("--max-seeds", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.max_seeds):
            players = [PythonPlayer(resolve_bot(args.bot), args.bot) for _ in range(4)]
            gz = Path(tmp) / "game.jsonl.gz"
            outcome = run_match(players, MatchConfig(seed=seed, max_turns=TURNS, timeout_ms=1000), out=gz)
            if outcome.result["turns"] == TURNS:
                plain = Path(tmp) / "game.jsonl"
                plain.write_text(dumps_replay(read_replay(gz)))
                alive = sum(p["death_turn"] is None for p in outcome.result["placements"])
                print(f"seed {seed}: {TURNS} turns, {alive} snakes alive at the end")
                print(f"  .jsonl    {plain.stat().st_size / 1024:8.1f} KB")
                print(f"  .jsonl.gz {gz.stat().st_size / 1024:8.1f} KB   (target <= 60 KB)")
                return
    print(f"no game among {args.max_seeds} seeds lasted {TURNS} turns with {args.bot}")


if __name__ == "__main__":
    main()
