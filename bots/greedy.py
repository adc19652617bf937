"""`greedy`: walk the shortest path to the nearest food, avoiding moves that die at once or risk
a head-on with a snake at least as long.  It never looks at how much room a path leaves, which
is why it loses to `space`."""

from __future__ import annotations

from snek_bots.common import bounded, nearest_food, parse, pick, rng_for, safe_moves


@bounded
def greedy_move(state: dict) -> str:
    board = parse(state)
    blocked = board.obstacles()
    moves = safe_moves(board, blocked)
    threats = board.head_threats()
    calm = [m for m in moves if board.step(board.me.head, m) not in threats] or moves
    distance = {m: nearest_food(board, board.step(board.me.head, m), blocked) for m in calm}
    reachable = {m: d for m, d in distance.items() if d is not None}
    if reachable:
        best = min(reachable.values())
        calm = [m for m, d in reachable.items() if d == best]
    return pick(rng_for(state), calm)


def create():
    return greedy_move
