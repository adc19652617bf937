"""`greedy`: walk the shortest path to the nearest food, avoiding moves that die at once or risk
a head-on with a snake at least as long.  It never looks at how much room a path leaves, which
is why it loses to `space`."""

from __future__ import annotations

from arena.position import THREAT, read_view
from snek_bots.common import bounded, pick


@bounded
def greedy_move(state: dict) -> str:
    view = read_view(state)
    moves = view.safe_moves()
    calm = [m for m in moves if not view.flags(view.target(m)) & THREAT] or moves
    distance = view.food_distance([view.target(m) for m in calm])
    reachable = [d for d in distance if d is not None]
    if reachable:
        best = min(reachable)
        calm = [m for m, d in zip(calm, distance) if d == best]
    return pick(state, calm)


def create():
    return greedy_move
