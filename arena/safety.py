"""Which moves kill a snake at once: one answer, derived from the ruleset's own stages, for the env
masks, the search bot and anyone else who asks (``Engine.deadly_moves``).

A move is deadly when, whatever the others do, the step would eliminate the snake: its head
leaves the board, lands on a segment still there after every tail has moved (necks, bodies,
stacked tails), or its health runs out off food (starvation and hazard damage, where the
ruleset has those stages).  A head-on is never certain, so it is never deadly.  The move that
counts is the one the move stage would apply: in classic a reversal keeps the heading, so a
reversal is exactly as deadly as going straight on.

The answer is one compiled loop over the asked games' snakes (``arena.jit``): a B=1 ask costs a
microsecond or two, not dozens of numpy calls.
"""

from __future__ import annotations

import numpy as np

from arena import stages
from arena.jit import inline_kernel, kernel, lean_kernel
from arena.stages import INSIDE, NEXT, X, Y, board_table, classic_move, neck_heading
from arena.state import GameBatch

#: What ``moves_kernel`` writes per (snake, move): the deadly flags, or env action masks
#: (1 = allowed; a snake with no safe move, and with ``DEAD_ANY`` a dead one, may do anything).
DEADLY, MASK, MASK_DEAD_ANY = 0, 1, 2


@kernel
def stays_taken(occ: np.ndarray, owner: np.ndarray, alive: np.ndarray, ring: np.ndarray, head_ptr: np.ndarray,
                length: np.ndarray, g: int, cell: int) -> bool:
    """Whether a segment is still on ``cell`` of game ``g`` once every tail has moved (a stacked tail stays).
    Only a cell holding exactly one segment needs the tail read: it is free if that is a live tail."""
    count = occ[g, cell]
    if count != 1:
        return count > 1
    other = owner[g, cell]
    tail = ring[g * alive.shape[1] + other, (head_ptr[g, other] - length[g, other] + 1) & (ring.shape[1] - 1)]
    return not (tail == cell and alive[g, other])


@inline_kernel
def out_of_health(health, on_food, hazards, hazard_damage) -> bool:
    """Whether stepping onto a cell with ``hazards`` stacked hazard entries leaves a snake with no health:
    starvation's -1 and the hazard damage, neither on food."""
    return not on_food and health - 1 - hazard_damage * np.int64(hazards) <= 0


@inline_kernel
def move_directions(g, s, length, head_ptr, head, ring, board, keeps_heading):
    """(heading, has_neck) for ``classic_move``: the move stage turns a reversal into the heading (classic
    only; elsewhere ``keeps_heading`` is False and a move is its own direction)."""
    heading, has_neck = 0, False
    if keeps_heading and length[g, s] >= 2:
        h = head[g, s]
        neck = ring[g * length.shape[1] + s, (head_ptr[g, s] - 1) & (ring.shape[1] - 1)]
        heading = neck_heading(board[h, X], board[h, Y], board[neck, X], board[neck, Y])
        has_neck = h != neck
    return heading, has_neck


@lean_kernel
def moves_kernel(games, alive, length, head_ptr, head, health, ring, occ, owner, food, hazard, board, keeps_heading,
                 starves, hazard_damage, mode, out):
    """``out[k, s, m]`` for snake ``s`` of game ``games[k]`` and move ``m`` (``mode``: DEADLY or a MASK).
    Takes the batch's arrays one by one rather than as ``GameBatch.arrays()``: a named tuple of twenty
    arrays costs more to pass than this whole answer for one game."""
    for k in range(games.shape[0]):
        game_moves(games[k], out[k], alive, length, head_ptr, head, health, ring, occ, owner, food, hazard, board,
                   keeps_heading, starves, hazard_damage, mode)


@inline_kernel
def game_moves(g, out, alive, length, head_ptr, head, health, ring, occ, owner, food, hazard, board, keeps_heading,
               starves, hazard_damage, mode):
    """``moves_kernel`` for one game ``g``: ``out[s, m]`` (the vector env's fused step reads the same masks off
    its drawing instead: ``arena.env.windows.drawn_masks``)."""
    seats = alive.shape[1]
    for s in range(seats):
        if mode == MASK_DEAD_ANY and not alive[g, s]:  # a dead snake may do anything
            for m in range(4):
                out[s, m] = 1
            continue
        h = head[g, s]
        heading, has_neck = move_directions(g, s, length, head_ptr, head, ring, board, keeps_heading)
        safe_moves = 0
        for m in range(4):
            cell = board[h, NEXT + (classic_move(m, heading, has_neck) if keeps_heading else m)]
            deadly = not board[cell, INSIDE] or stays_taken(occ, owner, alive, ring, head_ptr, length, g, cell)
            if starves and not deadly:
                deadly = out_of_health(health[g, s], food[g, cell], hazard[g, cell], hazard_damage)
            out[s, m] = deadly if mode == DEADLY else not deadly
            safe_moves += not deadly
        if mode != DEADLY and safe_moves == 0:
            for m in range(4):
                out[s, m] = 1


def asked_games(batch: GameBatch, games, every: dict[int, np.ndarray]) -> np.ndarray:
    """The asked games as int64 indices; ``None`` means all of them (``every`` caches that per size)."""
    if games is None:
        found = every.get(batch.size)
        if found is None:
            found = every[batch.size] = np.arange(batch.size, dtype=np.int64)
        return found
    return np.asarray(games, dtype=np.int64).reshape(-1)


class MoveSafety:
    """``deadly(batch, games)``: (G, N, 4) bools for the given games (default all), game-major;
    ``masks(...)``: the same as env action masks."""

    def __init__(self, engine) -> None:
        self.geometry = engine.geometry
        self.board = board_table(engine.geometry)
        self.keeps_heading = stages.move_classic in engine.stages
        self.starves = stages.starve in engine.stages
        self.hazard_damage = int(engine.settings.get("hazardDamagePerTurn", 0)) \
            if stages.hazard_damage in engine.stages else 0
        self._every: dict[int, np.ndarray] = {}

    def fill(self, batch: GameBatch, games, mode: int, out: np.ndarray) -> np.ndarray:
        """Write ``mode``'s answer for the given games into ``out`` (G, N, 4) int8 / bool; returns it."""
        moves_kernel(asked_games(batch, games, self._every), batch.alive, batch.length, batch.head_ptr, batch.head,
                     batch.health, batch.ring, batch.occ, batch.owner, batch.food, batch.hazard, self.board,
                     self.keeps_heading, self.starves, self.hazard_damage, mode, out)
        return out

    def deadly(self, batch: GameBatch, games=None) -> np.ndarray:
        count = batch.size if games is None else np.size(games)
        return self.fill(batch, games, DEADLY, np.empty((count, batch.seats, 4), bool))

    def masks(self, batch: GameBatch, games=None, dead_any: bool = False, out: np.ndarray | None = None) -> np.ndarray:
        """(G * N, 4) int8 action masks: 1 = the move does not kill outright; all ones when every move
        kills (the snake is doomed: let the policy pick) and, with ``dead_any``, on dead snakes."""
        count = batch.size if games is None else np.size(games)
        if out is None:
            out = np.empty((count * batch.seats, 4), np.int8)
        self.fill(batch, games, MASK_DEAD_ANY if dead_any else MASK, out.reshape(count, batch.seats, 4))
        return out
