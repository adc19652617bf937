"""The built-in bots' batched answers (``answer_batch``: every snake of many games in one call, as a
tournament's lockstep asks them) are exactly their per-snake answers (``answer_view`` of the snake's
``batch_view``, itself the answer to the request: tests/test_position.py, tests/test_bot_moves.py).

Real games of every ruleset, 2 to 8 snakes, each snake steered by one of the bots; every turn every
bot answers every live snake both ways."""

from __future__ import annotations

import numpy as np

from arena.engine import Engine
from arena.geometry import MOVE_INDEX
from arena.position import THREAT, Asked, batch_view
from arena.registry import resolve_bot
from arena.rules import RULESETS
from snek_bots.common import view_bot

BOTS = ("safe", "greedy", "space", "random", "plugin")  # plugin: a view bot with no batched rule of its own


def plugin_choice(view) -> list[int]:
    """A plugin's rule in Python (``view_bot`` batches it over ``Asked.views``): safe moves off threats."""
    moves = view.safe_moves()
    return [m for m in moves if not view.flags(view.target(m)) & THREAT] or moves
GAMES = 14


def test_batched_answers_are_the_per_snake_answers() -> None:
    policies = {name: resolve_bot(name) for name in BOTS[:-1]} | {"plugin": view_bot(plugin_choice)}
    compared = {name: 0 for name in BOTS}
    for ruleset in RULESETS:
        size = 15 if ruleset == "classic" else 11
        engine = Engine(ruleset, size, size)
        damage = int(engine.settings.get("hazardDamagePerTurn", 0))  # what a match's views are told
        counts = [2 + game % 7 for game in range(GAMES)]
        batch = engine.new_batch(range(100, 100 + GAMES), num_snakes=counts, seats=8)
        for turn in range(150):
            games, seats = np.nonzero(batch.alive & ~batch.done[:, None])
            if not games.size:
                break
            keys = [f"{ruleset}-{g}:{turn}:s{s}" for g, s in zip(games.tolist(), seats.tolist())]
            asked = Asked(batch, games.astype(np.int64), seats.astype(np.int64), damage, keys)
            moves = np.full((GAMES, 8), -1, np.int8)
            for name, policy in policies.items():
                batched = policy.answer_batch(asked)
                single = [MOVE_INDEX[policy.answer_view(batch_view(batch, g, s, damage, key))]
                          for g, s, key in zip(games.tolist(), seats.tolist(), keys)]
                assert batched == single, (ruleset, turn, name)
                compared[name] += len(single)
                steering = seats % len(BOTS) == BOTS.index(name)  # each seat plays one of the bots
                moves[games[steering], seats[steering]] = np.array(batched, np.int8)[steering]
            engine.step(batch, moves)
    assert len(set(compared.values())) == 1
    assert compared["space"] == 28_170, compared
