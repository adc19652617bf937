"""Shared helpers for the built-in bots: read a Battlesnake game state once, then ask cheap questions.

Why one module: every bot needs the same facts (which moves kill me right now, where the food
is, how much room a cell leads to) under every ruleset — wrapped edges, constrictor's stacked
tails, royale's hazards — and getting those right once keeps the bots themselves a few lines.
The work is compiled and lives in arena: ``arena.position.read_view`` reads the request in one call
(deadly moves by the engine's own ``arena.safety``) and its ``View`` runs ``arena.flood``'s searches.
"""

from __future__ import annotations

import random
import zlib

from arena.geometry import MOVES

STARVING_HEALTH = 30  # below this, even a space-minded bot goes for food
__all__ = ["MOVES", "STARVING_HEALTH", "bounded", "pick", "rng_for"]


def bounded(policy):
    """Declare that ``policy`` does a bounded amount of work per move and always returns: a match then
    calls it inline on its own thread (``arena.players.spec.builtin_player``) instead of handing each
    move to another thread."""
    policy.bounded = True
    return policy


def rng_for(state: dict) -> random.Random:
    """A random stream fixed by (game, turn, snake): the same game replays the same choices."""
    game = (state.get("game") or {}).get("id", "")
    key = f"{game}:{state.get('turn', 0)}:{state['you']['id']}"
    return random.Random(zlib.crc32(key.encode()))


def pick(state: dict, moves: list[int]) -> str:
    """A choice among ``moves`` seeded by ``rng_for(state)``, falling back to any move when there is
    nothing to choose from.  A single move needs no draw (a choice of one is that one)."""
    if len(moves) == 1:
        return MOVES[moves[0]]
    return MOVES[rng_for(state).choice(moves or range(4))]
