"""`safe`: random among the moves that don't die at once (walls, bodies, starvation)."""

from __future__ import annotations

from arena.position import Asked, View
from snek_bots.common import pick_many, ready, view_bot


@view_bot
def safe_move(view: View) -> list[int]:
    return view.safe_moves()


def answer_batch(asked: Asked) -> list[int]:
    """``answer_batch`` from the deadly flags alone: the rest of a view is not needed."""
    return pick_many(asked.keys, [[m for m in range(4) if not d[m]] for d in asked.deadly().tolist()])


safe_move.answer_batch = answer_batch


def create():
    return ready(safe_move)
