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
from collections.abc import Callable

from arena.geometry import MOVES
from arena.position import View, read_view

STARVING_HEALTH = 30  # below this, even a space-minded bot goes for food
__all__ = ["MOVES", "STARVING_HEALTH", "bounded", "pick", "view_bot"]


def bounded(policy):
    """Declare that ``policy`` does a bounded amount of work per move and always returns: a match then
    calls it inline on its own thread (``arena.players.spec.builtin_player``) instead of handing each
    move to another thread."""
    policy.bounded = True
    return policy


def pick(key: str, moves: list[int]) -> str:
    """A choice among ``moves`` seeded by ``key`` (game, turn and snake: the same game replays the same
    choices), falling back to any move when there is nothing to choose from.  A single move needs no
    draw (a choice of one is that one)."""
    if len(moves) == 1:
        return MOVES[moves[0]]
    return MOVES[random.Random(zlib.crc32(key.encode())).choice(moves or range(4))]


def view_bot(choose: Callable[[View], list[int]]) -> Callable[[dict], str]:
    """A bounded policy from ``choose(view)``, the moves (0-3) a bot would pick among.

    The policy answers a request (``policy(state)``, read by ``arena.position.read_view``) and, for a
    match that holds the batch, a ready ``View`` (``policy.answer_view(view)``): the same move."""

    def answer_view(view: View) -> str:
        return pick(view.key, choose(view))

    def policy(state: dict) -> str:
        return answer_view(read_view(state))

    policy.__name__ = policy.__qualname__ = choose.__name__
    policy.__doc__ = choose.__doc__
    policy.answer_view = answer_view
    return bounded(policy)
