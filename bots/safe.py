"""`safe`: random among the moves that don't die at once (walls, bodies, starvation)."""

from __future__ import annotations

from arena.position import View
from snek_bots.common import view_bot


@view_bot
def safe_move(view: View) -> list[int]:
    return view.safe_moves()


def create():
    return safe_move
