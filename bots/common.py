"""Shared helpers for the built-in bots: read a Battlesnake game state once, then ask cheap questions.

Why one module: every bot needs the same facts (which moves kill me right now, where the food
is, how much room a cell leads to) under every ruleset — wrapped edges, constrictor's stacked
tails, royale's hazards — and getting those right once keeps the bots themselves a few lines.
The work is compiled and lives in arena: ``arena.position.read_view`` reads the request in one call
(deadly moves by the engine's own ``arena.safety``) and its ``View`` runs ``arena.flood``'s searches.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

from arena.geometry import MOVES
from arena.heuristics import asked_choices, view_choices
from arena.heuristics import prepare as prepare_rule
from arena.position import Asked, View, prepare, read_view
from arena.pyrandom import choice_index, choice_indices

STARVING_HEALTH = 30  # below this, even a space-minded bot goes for food
EVERY_MOVE = (0, 1, 2, 3)
__all__ = ["EVERY_MOVE", "MOVES", "STARVING_HEALTH", "bounded", "pick", "pick_many", "ready", "rule_bot", "view_bot"]


def bounded(policy):
    """Declare that ``policy`` does a bounded amount of work per move and always returns: a match then
    calls it inline on its own thread (``arena.players.spec.builtin_player``) instead of handing each
    move to another thread."""
    policy.bounded = True
    return policy


def pick(key: str, moves: list[int]) -> str:
    """A choice among ``moves`` seeded by ``key`` (game, turn and snake: the same game replays the same
    choices), falling back to any move when there is nothing to choose from: exactly
    ``random.Random(zlib.crc32(key)).choice(moves)``, compiled (``arena.pyrandom``).  A single move needs
    no draw (a choice of one is that one)."""
    if len(moves) == 1:
        return MOVES[moves[0]]
    options = moves or EVERY_MOVE
    return MOVES[options[choice_index(zlib.crc32(key.encode()), len(options))]]


def pick_many(keys: list[str], choices: list[list[int]]) -> list[int]:
    """``pick`` for many snakes at once, as move indices (0-3): the draws in one compiled call."""
    out = [m[0] if len(m) == 1 else -1 for m in choices]
    drawn = [k for k, m in enumerate(out) if m < 0]
    if drawn:
        options = [choices[k] or EVERY_MOVE for k in drawn]
        seeds = np.array([zlib.crc32(keys[k].encode()) for k in drawn], np.int64)
        picked = choice_indices(seeds, np.array([len(o) for o in options], np.int64)).tolist()
        for k, opts, i in zip(drawn, options, picked):
            out[k] = opts[i]
    return out


def view_bot(choose: Callable[[View], list[int]],
             choose_many: Callable[[Asked], list[list[int]]] | None = None) -> Callable[[dict], str]:
    """A bounded policy from ``choose(view)``, the moves (0-3) a bot would pick among.

    The policy answers a request (``policy(state)``, read by ``arena.position.read_view``), for a
    match that holds the batch a ready ``View`` (``policy.answer_view(view)``), and for a lockstep
    of many games every asked snake at once (``policy.answer_batch(asked)``, moves as 0-3, by
    ``choose_many(asked)`` when given, else ``choose`` of every asked snake's view): the same move every way."""

    def answer_view(view: View) -> str:
        return pick(view.key, choose(view))

    def policy(state: dict) -> str:
        return answer_view(read_view(state))

    def answer_batch(asked: Asked) -> list[int]:
        choices = choose_many(asked) if choose_many else [choose(view) for view in asked.views()]
        return pick_many(asked.keys, choices)

    policy.__name__ = policy.__qualname__ = choose.__name__
    policy.__doc__ = choose.__doc__
    policy.answer_view = answer_view
    policy.answer_batch = answer_batch
    return bounded(policy)


def rule_bot(rule: int, name: str, doc: str, starving: int = 0) -> Callable[[dict], str]:
    """A bounded policy playing one of the compiled move rules of ``arena.heuristics``, one snake or
    a whole batch at a time."""

    def choose(view: View) -> list[int]:
        return view_choices(rule, view, starving)

    choose.__name__, choose.__doc__ = name, doc
    policy = view_bot(choose, lambda asked: asked_choices(rule, asked, starving))
    policy.prepare = lambda: prepare_rule(rule)
    return policy


def ready(policy):
    """``policy`` with the compiled code it calls loaded in this process (``arena.position.prepare``):
    a bot factory returns this, so the loading happens when a game's players are made, not in a move."""
    prepare()
    choice_index(0, 2)
    choice_indices(np.zeros(1, np.int64), np.full(1, 2, np.int64))
    if callable(getattr(policy, "prepare", None)):
        policy.prepare()
    return policy
