"""`safe`: random among the moves that don't die at once (walls, bodies, starvation)."""

from __future__ import annotations

from arena.position import read_view
from snek_bots.common import bounded, pick


@bounded
def safe_move(state: dict) -> str:
    return pick(state, read_view(state).safe_moves())


def create():
    return safe_move
