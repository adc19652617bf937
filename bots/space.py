"""`space`: area control.  Each safe move is scored by its territory — the cells I would reach
before any rival at least as long as me (a BFS race, so corridors a longer head can close count
for nothing) — never risks a head-on with a longer-or-equal snake when there is another way,
hunts shorter heads, and goes for food when hungry or not clearly the longest."""

from __future__ import annotations

from snek_bots.common import STARVING_HEALTH, Board, bfs, bounded, nearest_food, parse, pick, rng_for, safe_moves


def score_move(board: Board, move: str, blocked: set[int], threats: set[int], prey: set[int],
               rivals: dict[int, int]) -> float:
    me = board.me
    target = board.step(me.head, move)
    room = min(len(bfs(board, target, blocked, before=rivals, offset=1)), 3 * me.length + 8)
    score = 10.0 * room
    if room < me.length:  # a dead end shorter than me: I will bite myself
        score -= 5000
    if target in threats:
        score -= 20000  # worse than a tight spot: a longer head may well come here
    elif target in prey:
        score += 40
    score -= 60 * sum(n in threats for n in board.neighbours[target])  # stay out of reach of longer heads
    score -= 3 * board.hazard_cost(target)
    longest_rival = max((s.length for s in board.opponents), default=0)
    if me.health < STARVING_HEALTH or me.length <= longest_rival + 1:
        distance = nearest_food(board, target, blocked)
        if distance is not None:
            score -= (8 if me.health < STARVING_HEALTH else 3) * distance
    return score


@bounded
def space_move(state: dict) -> str:
    board = parse(state)
    blocked = board.obstacles()
    moves = safe_moves(board, blocked)
    if not moves:
        return pick(rng_for(state), [])
    threats, prey = board.head_threats(), board.head_prey()
    longer = [s.head for s in board.opponents if s.length >= board.me.length]
    rivals = bfs(board, longer, blocked - set(longer)) if longer else {}
    scores = {m: score_move(board, m, blocked, threats, prey, rivals) for m in moves}
    best = max(scores.values())
    return pick(rng_for(state), [m for m, s in scores.items() if s == best])


def create():
    return space_move
