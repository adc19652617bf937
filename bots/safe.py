"""`safe`: random among the moves that don't die at once (walls, bodies, starvation)."""

from __future__ import annotations

from snek_bots.common import bounded, parse, pick, rng_for, safe_moves


@bounded
def safe_move(state: dict) -> str:
    return pick(rng_for(state), safe_moves(parse(state)))


def create():
    return safe_move
