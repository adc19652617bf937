"""`random`: a uniformly random move each turn — the floor of the ladder."""

from __future__ import annotations

from snek_bots.common import MOVES, bounded, pick, rng_for


@bounded
def random_move(state: dict) -> str:
    return pick(rng_for(state), list(MOVES))


def create():
    return random_move
