"""Which moves kill a snake at once: one answer, derived from the ruleset's own stages, for the env
masks, the search bot and anyone else who asks (``Engine.deadly_moves``).

A move is deadly when, whatever the others do, the step would eliminate the snake: its head
leaves the board, lands on a segment still there after every tail has moved (necks, bodies,
stacked tails), or its health runs out off food (starvation and hazard damage, where the
ruleset has those stages).  A head-on is never certain, so it is never deadly.  The move that
counts is the one the move stage would apply: in classic a reversal keeps the heading, so a
reversal is exactly as deadly as going straight on.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from arena import stages
from arena.state import GameBatch

_CANDIDATES = np.arange(4, dtype=np.int8)
_CANDIDATES.setflags(write=False)


@lru_cache(maxsize=32)
def _offsets(games: int, seats: int, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each of G games' cells and seats start in flattened (G, ...) arrays: (G, 1, 1) each."""
    local = np.arange(games)[:, None, None]
    out = (local * cells, local * seats)
    for a in out:
        a.setflags(write=False)
    return out


class MoveSafety:
    """``deadly(batch, games)``: (G, N, 4) bools for the given games (default all), game-major."""

    def __init__(self, engine) -> None:
        g = engine.geometry
        self.geometry = g
        self.keeps_heading = stages.move_classic in engine.stages
        self.starves = stages.starve in engine.stages
        self.hazard_damage = int(engine.settings.get("hazardDamagePerTurn", 0)) \
            if stages.hazard_damage in engine.stages else 0

    def targets(self, batch: GameBatch, games: np.ndarray | None) -> np.ndarray:
        """(G, N, 4) cells each candidate move leads to, as the move stage would apply it."""
        pick = _picker(games)
        head = pick(batch.head)
        if not self.keeps_heading:
            return self.geometry.next_cell[head]
        necks = stages.neck_cells(batch)
        neck, heading = pick(necks), pick(stages.neck_direction(batch, necks))
        has_neck = (pick(batch.length) >= 2) & (head != neck)
        moves = stages.keep_heading(_CANDIDATES, heading[..., None], has_neck[..., None])
        return np.take_along_axis(self.geometry.next_cell[head], moves.astype(np.intp), axis=-1)

    def deadly(self, batch: GameBatch, games=None) -> np.ndarray:
        games = None if games is None else np.asarray(games, dtype=np.intp).reshape(-1)
        pick = _picker(games)
        alive, length, ptr = pick(batch.alive), pick(batch.length), pick(batch.head_ptr)
        cell_offset, seat_offset = _offsets(alive.shape[0], batch.seats, self.geometry.cells)
        ring_len = batch.ring_len
        rows = pick(np.arange(batch.size * batch.seats).reshape(batch.size, batch.seats) * ring_len)
        slot = ptr - length + 1
        slot &= ring_len - 1  # ring_len is a power of two
        tails = batch.ring.reshape(-1)[rows + slot]  # (G, N)
        nxt = self.targets(batch, games)  # (G, N, 4)
        flat = cell_offset + nxt
        # Live snakes never share a cell, so at most the owner's tail leaves the cell ahead.
        owner = seat_offset + pick(batch.owner).reshape(-1)[flat]
        leaving = (tails.reshape(-1)[owner] == nxt) & alive.reshape(-1)[owner]
        deadly = pick(batch.occ).reshape(-1)[flat] > leaving
        deadly |= ~self.geometry.interior[nxt]
        if self.starves:
            health = pick(batch.health)
            hazard = pick(batch.hazard)
            worst = 1 + self.hazard_damage * int(hazard.max(initial=0)) if self.hazard_damage > 0 else 1
            if (health <= worst).any():  # nobody can starve this turn: skip the check
                left = health[:, :, None] - 1
                if self.hazard_damage:
                    left = left - self.hazard_damage * hazard.reshape(-1)[flat]
                deadly |= (left <= 0) & ~pick(batch.food).reshape(-1)[flat]
        return deadly


def _picker(games: np.ndarray | None):
    """Select the given games' rows, or take whole arrays (no copy) when games is None."""
    return (lambda a: a) if games is None else (lambda a: a[games])
