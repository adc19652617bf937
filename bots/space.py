"""`space`: area control.  Each safe move is scored by its territory — the cells I would reach
before any rival at least as long as me (a BFS race, so corridors a longer head can close count
for nothing) — never risks a head-on with a longer-or-equal snake when there is another way,
hunts shorter heads, and goes for food when hungry or not clearly the longest."""

from __future__ import annotations

from arena.position import PREY, THREAT, View
from snek_bots.common import STARVING_HEALTH, view_bot


def scores(view: View, moves: list[int]) -> list[int]:
    """Each move's score (whole numbers: the same order as the float scores this bot always had)."""
    targets = [view.target(m) for m in moves]
    rooms = view.room(targets, view.rivals())
    hungry = view.health < STARVING_HEALTH
    longest_rival = max((view.lengths[s] for s in view.opponents()), default=0)
    food = view.food_distance(targets) if hungry or view.length <= longest_rival + 1 else [None] * len(moves)
    out = []
    for target, reached, distance in zip(targets, rooms, food):
        score = 10 * min(reached, 3 * view.length + 8)
        if reached < view.length:  # a dead end shorter than me: I will bite myself
            score -= 5000
        flags = view.flags(target)
        if flags & THREAT:
            score -= 20000  # worse than a tight spot: a longer head may well come here
        elif flags & PREY:
            score += 40
        score -= 60 * sum(1 for n in view.next[target] if view.flags(n) & THREAT)  # out of reach of longer heads
        score -= 3 * view.hazard_cost(target)
        if distance is not None:
            score -= (8 if hungry else 3) * distance
        out.append(score)
    return out


@view_bot
def space_move(view: View) -> list[int]:
    moves = view.safe_moves()
    if not moves:
        return moves
    scored = scores(view, moves)
    best = max(scored)
    return [m for m, s in zip(moves, scored) if s == best]


def create():
    return space_move
