"""`greedy`: walk the shortest path to the nearest food, avoiding moves that die at once or risk
a head-on with a snake at least as long.  It never looks at how much room a path leaves, which
is why it loses to `space`."""

from __future__ import annotations

from arena.position import THREAT, View
from snek_bots.common import view_bot


@view_bot
def greedy_move(view: View) -> list[int]:
    moves = view.safe_moves()
    calm = [m for m in moves if not view.flags(view.target(m)) & THREAT] or moves
    distance = view.food_distance([view.target(m) for m in calm])
    reachable = [d for d in distance if d is not None]
    if not reachable:
        return calm
    best = min(reachable)
    return [m for m, d in zip(calm, distance) if d == best]


def create():
    return greedy_move
