"""`random`: a uniformly random move each turn — the floor of the ladder."""

from __future__ import annotations

from snek_bots.common import bounded, pick


@bounded
def random_move(state: dict) -> str:
    return pick(state, [0, 1, 2, 3])


def create():
    return random_move
