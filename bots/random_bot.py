"""`random`: a uniformly random move each turn — the floor of the ladder."""

from __future__ import annotations

from arena.position import View, request_key
from snek_bots.common import bounded, pick

EVERY_MOVE = [0, 1, 2, 3]


@bounded
def random_move(state: dict) -> str:
    return pick(request_key(state), EVERY_MOVE)


def answer_view(view: View) -> str:
    """The same move for a match's ``View`` (the board is not needed: only the key)."""
    return pick(view.key, EVERY_MOVE)


random_move.answer_view = answer_view


def create():
    return random_move
