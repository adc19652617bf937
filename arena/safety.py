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
from arena.geometry import OPPOSITE
from arena.jit import kernel
from arena.state import GameBatch

#: What ``moves_kernel`` writes per (snake, move): the deadly flags, or env action masks
#: (1 = allowed; a snake with no safe move, and with ``DEAD_ANY`` a dead one, may do anything).
DEADLY, MASK, MASK_DEAD_ANY = 0, 1, 2


@kernel
def neck_heading(hx: int, hy: int, nx: int, ny: int) -> int:
    """Direction from neck to head (wrap-aware: a jump across the board is a step over its edge), else up;
    the same choice, in the same order, as ``stages.neck_direction``."""
    if hx == nx + 1:
        return 3
    if hx == nx - 1:
        return 2
    if hy == ny + 1:
        return 0
    if hy == ny - 1:
        return 1
    if hx == 0 and nx > 0:
        return 3
    if nx == 0 and hx > 0:
        return 2
    if hy == 0 and ny > 0:
        return 0
    if ny == 0 and hy > 0:
        return 1
    return 0


@kernel
def moves_kernel(games, alive, length, head_ptr, head, health, ring, occ, owner, food, hazard,
                 next_cell, interior, x_of, y_of, opposite, keeps_heading, starves, hazard_damage, mode, out):
    """``out[k, s, m]`` for snake ``s`` of game ``games[k]`` and move ``m`` (``mode``: DEADLY or a MASK)."""
    seats = alive.shape[1]
    ring_mask = ring.shape[1] - 1
    tails = np.empty(seats, np.int64)
    for k in range(games.shape[0]):
        b = games[k]
        for s in range(seats):
            tails[s] = ring[b * seats + s, (head_ptr[b, s] - length[b, s] + 1) & ring_mask]
        for s in range(seats):
            h = head[b, s]
            heading, has_neck = 0, False
            if keeps_heading:
                neck = ring[b * seats + s, (head_ptr[b, s] - 1) & ring_mask]
                if length[b, s] >= 2:
                    heading = neck_heading(x_of[h], y_of[h], x_of[neck], y_of[neck])
                    has_neck = h != neck
            safe_moves = 0
            for m in range(4):
                applied = heading if has_neck and m == opposite[heading] else m
                cell = next_cell[h, applied]
                other = owner[b, cell]
                leaving = 1 if tails[other] == cell and alive[b, other] else 0
                deadly = occ[b, cell] > leaving or not interior[cell]
                if starves and not deadly and not food[b, cell]:
                    deadly = health[b, s] - 1 - hazard_damage * np.int64(hazard[b, cell]) <= 0
                out[k, s, m] = deadly if mode == DEADLY else not deadly
                safe_moves += not deadly
            if mode != DEADLY and (safe_moves == 0 or (mode == MASK_DEAD_ANY and not alive[b, s])):
                for m in range(4):
                    out[k, s, m] = 1


class MoveSafety:
    """``deadly(batch, games)``: (G, N, 4) bools for the given games (default all), game-major;
    ``masks(...)``: the same as env action masks."""

    def __init__(self, engine) -> None:
        self.geometry = engine.geometry
        self.keeps_heading = stages.move_classic in engine.stages
        self.starves = stages.starve in engine.stages
        self.hazard_damage = int(engine.settings.get("hazardDamagePerTurn", 0)) \
            if stages.hazard_damage in engine.stages else 0
        self._all: dict[int, np.ndarray] = {}

    def _games(self, batch: GameBatch, games) -> np.ndarray:
        if games is None:
            found = self._all.get(batch.size)
            if found is None:
                found = self._all[batch.size] = np.arange(batch.size, dtype=np.int64)
            return found
        return np.asarray(games, dtype=np.int64).reshape(-1)

    def fill(self, batch: GameBatch, games, mode: int, out: np.ndarray) -> np.ndarray:
        """Write ``mode``'s answer for the given games into ``out`` (G, N, 4) int8 / bool; returns it."""
        g = self.geometry
        moves_kernel(self._games(batch, games), batch.alive, batch.length, batch.head_ptr, batch.head,
                     batch.health, batch.ring, batch.occ, batch.owner, batch.food, batch.hazard, g.next_cell,
                     g.interior, g.x_of, g.y_of, OPPOSITE, self.keeps_heading, self.starves, self.hazard_damage,
                     mode, out)
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
