"""Record the built-in bots' answers on a few thousand real game states (tests/data/bot_moves.jsonl.gz).

Why: the bots are being moved onto compiled helpers and their moves must not change (the ladder and
every saved replay depend on them).  This script ran once, before that change; the test
``tests/test_bot_moves.py`` asks today's bots the same states and expects the same answers.
Re-running it would record whatever the bots do now, so only do that for a deliberate change.

    python tests/data/make_bot_moves.py
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from arena.match import MatchConfig, run_match  # noqa: E402
from arena.players import PythonPlayer  # noqa: E402
from arena.registry import resolve_bot  # noqa: E402

BOTS = ("safe", "greedy", "space")
OUT = Path(__file__).with_name("bot_moves.jsonl.gz")
# (ruleset, size, lineup, seeds): every rule the bots read (wrap, stacked tails, hazards) on small and large boards
GAMES = [
    ("standard", 11, ("space", "greedy", "safe", "random"), range(8)),
    ("standard", 7, ("space", "greedy"), range(4)),
    ("standard", 19, ("space", "greedy", "safe", "space", "greedy", "safe"), range(2)),
    ("standard", 25, ("space", "greedy", "safe", "random", "space", "greedy", "safe", "random"), range(1)),
    ("wrapped", 11, ("space", "greedy", "safe", "space"), range(3)),
    ("constrictor", 11, ("space", "greedy", "safe"), range(3)),
    ("royale", 11, ("space", "greedy", "safe", "random"), range(3)),
    ("solo", 7, ("space",), range(2)),
]


def recorder(policy, states: list[dict]):
    """``policy``, keeping every state it is asked about."""
    def call(state: dict):
        states.append(state)
        return policy(state)
    return call


def main() -> None:
    policies = {name: resolve_bot(name) for name in BOTS}
    count = 0
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as out:
        for ruleset, size, lineup, seeds in GAMES:
            for seed in seeds:
                states: list[dict] = []
                players = [PythonPlayer(recorder(resolve_bot(name), states), name=name) for name in lineup]
                run_match(players, MatchConfig(ruleset=ruleset, width=size, height=size, seed=seed,
                                               timeout_ms=600_000, max_turns=400))
                for state in states:
                    moves = {name: policy(state) for name, policy in policies.items()}
                    out.write(json.dumps({"state": state, "moves": moves}, separators=(",", ":")) + "\n")
                    count += 1
    print(f"{count} states written to {OUT}")


if __name__ == "__main__":
    main()
