"""The built-in bots' move rules (``greedy``, ``space``), compiled: which moves a bot picks among.

Why here and compiled: a bot's rule is a few flood fills and a handful of comparisons per move, and
in Python the comparisons cost more than the fills.  One kernel per rule serves both ways a bot is
asked: one snake's ``arena.position.View`` (``view_choices``) and every snake of a lockstep batch at
once (``Asked.choices``, the facts read and the rule applied in one call).  The rules are the bots'
(``snek_bots.greedy``, ``snek_bots.space`` say what they do); compiled code lives in arena so that
its cache stays fresh (``arena.jit``).  Moves are 0-3 (``arena.geometry.MOVES``); a rule marks its
candidates in ``out`` (none marked: any move).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from arena.flood import distance_map, nearest, room
from arena.jit import kernel
from arena.position import BLOCKED, FOOD, HAZARD_SHIFT, PREY, SAMPLE, THREAT, Asked, View, _fill_facts, read_view
from arena.stages import NEXT

SAFE, GREEDY, SPACE = 0, 1, 2  # the rules by number (``choose_many``)


@kernel
def _safe_moves(deadly: np.ndarray) -> np.ndarray:
    return np.array([m for m in range(4) if not deadly[m]], np.int64)


@kernel
def greedy(board: np.ndarray, cells: np.ndarray, deadly: np.ndarray, head: int, out: np.ndarray) -> None:
    """Safe moves off the cells a head at least as long could reach (all safe ones if none is), then the
    nearest reachable food among them (all of them when no food is reachable)."""
    moves = _safe_moves(deadly)
    calm = np.array([m for m in moves if not cells[board[head, NEXT + m]] & THREAT], np.int64)
    if calm.shape[0] == 0:
        calm = moves
    targets = np.array([board[head, NEXT + m] for m in calm], np.int64)
    distance = nearest(board, cells, BLOCKED, FOOD, targets)
    best = -1
    for d in distance:
        if d >= 0 and (best < 0 or d < best):
            best = d
    out[:] = False
    for k in range(calm.shape[0]):
        if best < 0 or distance[k] == best:
            out[calm[k]] = True


@kernel
def space(board: np.ndarray, cells: np.ndarray, deadly: np.ndarray, heads: np.ndarray, lengths: np.ndarray,
          me: int, health: int, hazard_damage: int, starving: int, out: np.ndarray) -> None:
    """The safe moves of best score: territory won in a race against rivals at least as long (capped at
    3 x length + 8; a dead end shorter than me -5000), -20000 onto a cell such a rival could reach
    (+40 onto one a shorter snake could), -60 per such cell next to it, -3 per point of hazard
    damage, and food's distance (x8 below ``starving`` health, else x3) when hungry or not clearly
    the longest."""
    out[:] = False
    moves = _safe_moves(deadly)
    if moves.shape[0] == 0:
        return
    length = lengths[me]
    rivals = np.array([heads[s] for s in range(heads.shape[0]) if s != me and lengths[s] >= length], np.int64)
    longest_rival = 0
    for s in range(heads.shape[0]):
        if s != me:
            longest_rival = max(longest_rival, lengths[s])
    targets = np.array([board[heads[me], NEXT + m] for m in moves], np.int64)
    rooms = room(board, cells, BLOCKED, targets, distance_map(board, cells, BLOCKED, rivals))
    hungry = health < starving
    food = nearest(board, cells, BLOCKED, FOOD, targets) if hungry or length <= longest_rival + 1 \
        else np.full(targets.shape[0], -1, np.int64)
    scores = np.empty(targets.shape[0], np.int64)
    for k in range(targets.shape[0]):
        target = targets[k]
        score = 10 * min(rooms[k], 3 * length + 8)
        if rooms[k] < length:
            score -= 5000
        flags = cells[target]
        if flags & THREAT:
            score -= 20000
        elif flags & PREY:
            score += 40
        for m in range(4):
            if cells[board[target, NEXT + m]] & THREAT:
                score -= 60
        if not flags & FOOD:
            score -= 3 * (flags >> HAZARD_SHIFT) * hazard_damage
        if food[k] >= 0:
            score -= (8 if hungry else 3) * food[k]
        scores[k] = score
    best = scores.max()
    for k in range(targets.shape[0]):
        if scores[k] == best:
            out[moves[k]] = True


@kernel
def choose(rule: int, board: np.ndarray, cells: np.ndarray, deadly: np.ndarray, heads: np.ndarray,
           lengths: np.ndarray, me: int, health: int, hazard_damage: int, starving: int, out: np.ndarray) -> None:
    """``rule``'s candidates for one snake's facts (``view_choices``)."""
    if rule == GREEDY:
        greedy(board, cells, deadly, heads[me], out)
    elif rule == SPACE:
        space(board, cells, deadly, heads, lengths, me, health, hazard_damage, starving, out)
    else:
        for m in range(4):
            out[m] = not deadly[m]


@kernel
def choose_many(rule: int, board: np.ndarray, alive: np.ndarray, length: np.ndarray, head_ptr: np.ndarray,
                head: np.ndarray, health: np.ndarray, ring: np.ndarray, occ: np.ndarray, owner: np.ndarray,
                food: np.ndarray, hazard: np.ndarray, games: np.ndarray, seats: np.ndarray, hazard_damage: int,
                starving: int) -> np.ndarray:
    """(K, 4): ``rule``'s candidates for seat ``seats[k]`` of game ``games[k]``, its facts read as
    ``arena.position.facts`` reads them (``asked_choices``)."""
    count = games.shape[0]
    out = np.zeros((count, 4), np.bool_)
    cells = np.zeros(board.shape[0], np.int64)
    deadly = np.empty(4, np.bool_)
    for k in range(count):
        g, seat = games[k], seats[k]
        _fill_facts(board, alive, length, head_ptr, head, health, ring, occ, owner, food, hazard, g, seat,
                    hazard_damage, cells, deadly)
        live = np.array([s for s in range(alive.shape[1]) if alive[g, s]], np.int64)
        me = 0
        for s in live:
            if s < seat:
                me += 1
        choose(rule, board, cells, deadly, head[g][live].astype(np.int64), length[g][live].astype(np.int64), me,
               health[g, seat], hazard_damage, starving, out[k])
    return out


def _moves(mask) -> list[int]:
    return [m for m in range(4) if mask[m]]


def view_choices(rule: int, view: View, starving: int = 0) -> list[int]:
    """The moves ``rule`` picks among for one snake's view (``starving``: the health below which
    ``space`` goes for food)."""
    out = np.zeros(4, np.bool_)
    choose(rule, view.table, view.cells, np.array(view.deadly, np.bool_), np.array(view.heads, np.int64),
           np.array(view.lengths, np.int64), view.me, view.health, view.hazard_damage, starving, out)
    return _moves(out.tolist())


def asked_choices(rule: int, asked: Asked, starving: int = 0) -> list[list[int]]:
    """``view_choices`` of every asked snake, in one call."""
    b = asked.batch
    out = choose_many(rule, asked.table(), b.alive, b.length, b.head_ptr, b.head, b.health, b.ring, b.occ, b.owner,
                      b.food, b.hazard, asked.games, asked.seats, asked.hazard_damage, starving)
    return [_moves(mask) for mask in out.tolist()]


@cache
def prepare(rule: int) -> None:
    """Load ``rule``'s compiled code, both ways, before any clock runs (a bot factory's ``ready``)."""
    from arena.battlesnake import load_request  # the engine: only for a bot about to play

    _, batch, _ = load_request(SAMPLE)
    view_choices(rule, read_view(SAMPLE))
    asked_choices(rule, Asked(batch, np.zeros(1, np.int64), np.zeros(1, np.int64), 14, ["sample"]))
