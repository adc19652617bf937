"""`random`: a uniformly random move each turn — the floor of the ladder."""

from __future__ import annotations

from arena.position import Asked, View, request_key
from snek_bots.common import EVERY_MOVE, bounded, pick, pick_many, ready


@bounded
def random_move(state: dict) -> str:
    return pick(request_key(state), EVERY_MOVE)


def answer_view(view: View) -> str:
    """The same move for a match's ``View`` (the board is not needed: only the key)."""
    return pick(view.key, EVERY_MOVE)


def answer_batch(asked: Asked) -> list[int]:
    """The same moves for many snakes at once (``snek_bots.common.view_bot``)."""
    return pick_many(asked.keys, [EVERY_MOVE] * len(asked.keys))


random_move.answer_view = answer_view
random_move.answer_batch = answer_batch


def create():
    return ready(random_move)
