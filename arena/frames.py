"""Replay frames (docs/replay-format.md) for many games of a batch at once.

Why: a tournament's lockstep batch and the live server need a frame per game every turn; reading the
arrays game by game (or even with batched numpy calls, ~25 of them) cost more than the step itself.
One compiled call gathers every column the frames need -- each snake's fields, ordered bodies as
``[x, y]`` points, food and hazards -- into a few flat arrays, turned into lists at once; only the dicts
are then built in Python.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from arena.geometry import MOVES
from arena.jit import kernel
from arena.state import CAUSES, GameBatch

# columns of ``gather``'s per-snake table
PRESENT, ALIVE, LENGTH, HEALTH, CAUSE, DEATH_TURN, KILLER, MOVE = range(8)


@kernel
def gather(games: np.ndarray, present: np.ndarray, alive: np.ndarray, length: np.ndarray, health: np.ndarray,
           death_cause: np.ndarray, death_turn: np.ndarray, death_by: np.ndarray, last_move: np.ndarray,
           turn: np.ndarray, head_ptr: np.ndarray, ring: np.ndarray, ring_mask: int, food: np.ndarray,
           hazard: np.ndarray, xy: np.ndarray) -> tuple:
    """``(snakes, points, food_points, food_at, hazard_points, hazard_at)`` for ``games``: ``snakes`` one
    row per (game, seat) with the columns above (``MOVE`` -1 for a snake eliminated on an earlier turn:
    no move reached this frame), ``points`` every present snake's body head first, one after another,
    and the food / hazard points of game ``i`` at ``[at[i], at[i + 1])`` (a hazard once per stacked entry)."""
    count, seats, cells = games.shape[0], present.shape[1], food.shape[1]
    segments = 0
    for i in range(count):
        for s in range(seats):
            if present[games[i], s]:
                segments += length[games[i], s]
    snakes = np.empty((count * seats, 8), np.int64)
    points = np.empty((segments, 2), np.int64)
    k = 0
    for i in range(count):
        g = games[i]
        for s in range(seats):
            r = i * seats + s
            here = present[g, s]
            n = length[g, s] if here else 0
            snakes[r, PRESENT] = here
            snakes[r, ALIVE] = alive[g, s]
            snakes[r, LENGTH] = n
            snakes[r, HEALTH] = health[g, s]
            snakes[r, CAUSE] = death_cause[g, s]
            snakes[r, DEATH_TURN] = death_turn[g, s]
            snakes[r, KILLER] = death_by[g, s]
            snakes[r, MOVE] = last_move[g, s] if alive[g, s] or death_turn[g, s] == turn[g] else -1
            row, ptr = g * seats + s, head_ptr[g, s]
            for j in range(n):
                c = ring[row, (ptr - j) & ring_mask]
                points[k, 0] = xy[c, 0]
                points[k, 1] = xy[c, 1]
                k += 1
    foods = 0
    hazards = 0
    for i in range(count):
        for c in range(cells):
            foods += food[games[i], c]
        for c in range(hazard.shape[1]):  # a map may keep hazards above the board too (snail_mode)
            hazards += hazard[games[i], c]
    food_points = np.empty((foods, 2), np.int64)
    hazard_points = np.empty((hazards, 2), np.int64)
    food_at = np.empty(count + 1, np.int64)
    hazard_at = np.empty(count + 1, np.int64)
    f = h = 0
    for i in range(count):
        food_at[i], hazard_at[i] = f, h
        for c in range(cells):
            if food[games[i], c]:
                food_points[f, 0], food_points[f, 1] = xy[c, 0], xy[c, 1]
                f += 1
        for c in range(hazard.shape[1]):
            for _ in range(hazard[games[i], c]):
                hazard_points[h, 0], hazard_points[h, 1] = xy[c, 0], xy[c, 1]
                h += 1
    food_at[count], hazard_at[count] = f, h
    return snakes, points, food_points, food_at, hazard_points, hazard_at


def build_frames(batch: GameBatch, games: np.ndarray, ids: Sequence[str], xy: np.ndarray) -> list[dict]:
    """The frames of ``games`` (int64 indices); ``xy`` maps a padded cell to its ``[x, y]``."""
    columns = gather(games, batch.present, batch.alive, batch.length, batch.health, batch.death_cause,
                     batch.death_turn, batch.death_by, batch.last_move, batch.turn, batch.head_ptr, batch.ring,
                     batch.ring_mask, batch.food, batch.hazard, xy)
    snakes, points, food, food_at, hazards, hazard_at = (a.tolist() for a in columns)
    seats = batch.seats
    killers = (*ids, None)  # no killer (-1) reads the last entry
    move_names = (*MOVES, None)  # no move (-1) likewise
    out = []
    k = 0
    for i, turn in enumerate(batch.turn[games].tolist()):
        frame_snakes = []
        for snake_id, (here, lives, n, hp, why, when, killer, move) in zip(ids, snakes[i * seats:(i + 1) * seats]):
            if not here:
                continue
            frame_snakes.append({
                "id": snake_id,
                "body": points[k:k + n],
                "health": hp,
                "alive": lives == 1,
                "death": {"cause": CAUSES[why], "turn": when, "by": killers[killer]} if why else None,
                "move": move_names[move],
            })
            k += n
        out.append({
            "type": "frame",
            "turn": turn,
            "food": food[food_at[i]:food_at[i + 1]],
            "hazards": hazards[hazard_at[i]:hazard_at[i + 1]],
            "snakes": frame_snakes,
        })
    return out
