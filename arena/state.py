"""The batched game state: B games held in numpy arrays, plus the body bookkeeping.

Bodies live in a per-snake ring buffer of padded cell ids (head at ``head_ptr``, tail
``length - 1`` slots behind it), mirrored by a per-cell segment count ``occ`` and the seat
``owner`` of each occupied cell, so collision checks are single fancy-index reads.
Invariant between steps: ``occ`` counts exactly the segments of live snakes, and live
snakes never share a cell (stacking happens only within one snake, at its tail).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from arena import rng
from arena.geometry import MAX_SIZE, Geometry, frozen

MAX_SNAKES = 16
MAX_HEALTH = 100

CAUSES = (
    None,
    "snake-collision",
    "snake-self-collision",
    "out-of-health",
    "hazard",
    "head-collision",
    "wall-collision",
    "left",  # a player left a drop-in (classic) game
)
CAUSE_INDEX = {name: i for i, name in enumerate(CAUSES) if name}
_OFFSETS = frozen(np.arange(1 << (MAX_SIZE * MAX_SIZE + 3).bit_length()))  # ring offsets, enough for any board


def game_index(games) -> np.ndarray:
    """Game indices as int64; a boolean mask would silently mean games 0 and 1, so it is refused."""
    index = np.asarray(games)
    if index.dtype == bool:
        raise TypeError("games must be indices, not a boolean mask (np.flatnonzero(mask) gives the indices)")
    return index.astype(np.int64, copy=False)


@dataclass
class GameBatch:
    """State of B games on one board geometry; every array's first axis is the game."""

    geometry: Geometry
    seed: np.ndarray  # (B,) uint64
    seed_key: np.ndarray  # (B,) uint64 rng.seed_key_np(seed), set with it (every turn's draws start from it)
    turn: np.ndarray  # (B,) int32
    done: np.ndarray  # (B,) bool
    present: np.ndarray  # (B, N) bool: the seat is used in this game
    alive: np.ndarray  # (B, N) bool
    health: np.ndarray  # (B, N) int32
    length: np.ndarray  # (B, N) int32
    head: np.ndarray  # (B, N) int32 padded cell id
    head_ptr: np.ndarray  # (B, N) int32 ring slot of the head
    ring: np.ndarray  # (B * N, L) int16 body cells, ring buffer per snake (L a power of two)
    last_move: np.ndarray  # (B, N) int8 move applied last turn, -1 before the first
    death_cause: np.ndarray  # (B, N) int8 index into CAUSES
    death_turn: np.ndarray  # (B, N) int32
    death_by: np.ndarray  # (B, N) int8 seat of the killer, -1 for none
    occ: np.ndarray  # (B, C) int16 live segments per cell
    owner: np.ndarray  # (B, C) int8 seat occupying the cell (valid where occ > 0)
    food: np.ndarray  # (B, C) bool
    food_count: np.ndarray  # (B,) int32
    hazard: np.ndarray  # (B, C) int16 stacked hazard entries per cell
    box: np.ndarray  # (B, 4) int32 royale safe box: min_x, max_x, min_y, max_y

    def __post_init__(self) -> None:
        # Stages write through ``array.reshape(-1)``, which is a copy (writes lost) unless C-contiguous.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray) and not value.flags.c_contiguous:
                raise ValueError(f"GameBatch.{f.name} must be C-contiguous")

    @classmethod
    def empty(cls, geometry: Geometry, batch_size: int, num_seats: int) -> GameBatch:
        if not 1 <= num_seats <= MAX_SNAKES:
            raise ValueError(f"a game has 1 to {MAX_SNAKES} snakes, got {num_seats}")
        b, n, c = batch_size, num_seats, geometry.cells
        ring_len = 1 << (geometry.area + 3).bit_length()  # a power of two: slot arithmetic is a bit mask
        return cls(
            geometry=geometry,
            seed=np.zeros(b, np.uint64),
            seed_key=rng.seed_key_np(np.zeros(b, np.uint64)),
            turn=np.zeros(b, np.int32),
            done=np.ones(b, bool),
            present=np.zeros((b, n), bool),
            alive=np.zeros((b, n), bool),
            health=np.zeros((b, n), np.int32),
            length=np.zeros((b, n), np.int32),
            head=np.zeros((b, n), np.int32),
            head_ptr=np.zeros((b, n), np.int32),
            ring=np.zeros((b * n, ring_len), np.int16),
            last_move=np.full((b, n), -1, np.int8),
            death_cause=np.zeros((b, n), np.int8),
            death_turn=np.zeros((b, n), np.int32),
            death_by=np.full((b, n), -1, np.int8),
            occ=np.zeros((b, c), np.int16),
            owner=np.zeros((b, c), np.int8),
            food=np.zeros((b, c), bool),
            food_count=np.zeros(b, np.int32),
            hazard=np.zeros((b, c), np.int16),
            box=np.tile(np.array([0, geometry.width - 1, 0, geometry.height - 1], np.int32), (b, 1)),
        )

    @property
    def size(self) -> int:
        return self.seed.shape[0]

    @property
    def seats(self) -> int:
        return self.alive.shape[1]

    @property
    def ring_len(self) -> int:
        return self.ring.shape[1]

    @property
    def ring_mask(self) -> int:
        """``slot & ring_mask`` wraps a ring slot, negative ones included."""
        return self.ring.shape[1] - 1

    def _parts(self, games: np.ndarray):
        """(field name, array, index) for every per-game array; the ring is indexed by snake rows."""
        rows = (games[:, None] * self.seats + np.arange(self.seats)).ravel()
        for f in fields(self):
            if f.name != "geometry":
                yield f.name, getattr(self, f.name), rows if f.name == "ring" else games

    def select(self, games) -> GameBatch:
        """A new batch holding copies of the given games (indices may repeat: search bots fan out)."""
        values = {name: array[index] for name, array, index in self._parts(game_index(games))}
        return GameBatch(geometry=self.geometry, **values)

    def assign(self, games, source: GameBatch, source_games) -> None:
        """Overwrite these games with copies of ``source``'s (same geometry and seat count)."""
        theirs = {name: (array, index) for name, array, index in source._parts(game_index(source_games))}
        for name, array, index in self._parts(game_index(games)):
            source_array, source_index = theirs[name]
            array[index] = source_array[source_index]

    def copy(self) -> GameBatch:
        return self.select(np.arange(self.size))

    # --- body bookkeeping shared by stages, setup and drop-in ---------------------------

    def rows(self, games: np.ndarray, seats: np.ndarray) -> np.ndarray:
        return games * self.seats + seats

    def body_cells(self, game: int, seat: int) -> np.ndarray:
        """Ordered body (head first) of one snake as padded cell ids."""
        ptr = self.head_ptr[game, seat]
        slots = (ptr - np.arange(self.length[game, seat])) & self.ring_mask
        return self.ring[game * self.seats + seat, slots]

    def lift_rows(self, rows: np.ndarray, skip_head: bool) -> None:
        """Take snakes' segments off the occupancy grid (when they are eliminated); ``rows`` are
        flat snake indices ``game * seats + seat`` (flat indexing: numpy's cheapest kind).

        A live snake's cells are its own (stacking happens only within one snake), so
        lifting it just empties them, stacked segments included.
        """
        if not rows.size:
            return
        lengths = self.length.reshape(-1)[rows]
        offsets = _OFFSETS[1 if skip_head else 0 : int(np.maximum.reduce(lengths))]
        slots = (self.head_ptr.reshape(-1)[rows][:, None] - offsets) & self.ring_mask
        slots += (rows * self.ring_len)[:, None]
        game_offset = (rows // self.seats * self.geometry.cells)[:, None]
        flat = self.ring.reshape(-1)[slots] + game_offset  # int64 (the ring is int16)
        self.occ.reshape(-1)[flat[offsets < lengths[:, None]]] = 0

    def lift_bodies(self, games: np.ndarray, seats: np.ndarray, skip_head: bool) -> None:
        self.lift_rows(self.rows(games, seats), skip_head)

    def grow_rows(self, rows: np.ndarray) -> None:
        """Battlesnake's growth: duplicate the tail segment (the snake is one longer next turn).
        ``rows`` are flat snake indices ``game * seats + seat``.  A snake as long as its ring
        allows (longer than the board) stays as it is: one more would overwrite its head."""
        ring = self.ring.reshape(-1)
        length = self.length.reshape(-1)
        rows = rows[length[rows] < self.ring_len - 1]
        start = rows * self.ring_len
        tail_slot = self.head_ptr.reshape(-1)[rows] - length[rows]
        tail = ring[start + ((tail_slot + 1) & self.ring_mask)]
        ring[start + (tail_slot & self.ring_mask)] = tail
        length[rows] += 1
        flat = rows // self.seats * self.geometry.cells + tail
        np.add.at(self.occ.reshape(-1), flat, 1)
        self.owner.reshape(-1)[flat] = rows % self.seats  # a length-1 snake's tail is its new head's cell

    def grow(self, games: np.ndarray, seats: np.ndarray) -> None:
        self.grow_rows(self.rows(games, seats))

    def place(self, game: int, seat: int, body_cells, health: int) -> None:
        """Put a snake with the given body (head first) on the board of one game."""
        body = np.asarray(body_cells, dtype=np.int32)
        if body.size == 0:
            raise ValueError("a snake needs at least one body segment")
        if body.size > self.ring_len:
            raise ValueError("snake body is longer than the board allows")
        row = game * self.seats + seat
        self.ring[row, : body.size] = body[::-1]
        self.head_ptr[game, seat] = body.size - 1
        self.length[game, seat] = body.size
        self.head[game, seat] = body[0]
        self.health[game, seat] = health
        self.present[game, seat] = True
        self.alive[game, seat] = True
        self.death_cause[game, seat] = 0
        self.death_by[game, seat] = -1
        self.death_turn[game, seat] = 0
        self.last_move[game, seat] = -1
        np.add.at(self.occ[game], body, 1)
        self.owner[game, body] = seat

    def start_games(self, games: np.ndarray, heads: np.ndarray, present: np.ndarray, length: int, health: int,
                    food: np.ndarray | None = None, food_count: np.ndarray | None = None) -> None:
        """Rewrite every per-game field of ``games`` (all but the seed and its key) for a fresh start: the
        ``present`` seats' snakes stacked ``length`` deep on ``heads`` (G, N), ``food`` rows (G, C)
        (``food_count``: their counts, if known) or none.  One whole-row write per field."""
        g = self.geometry
        n = self.seats
        self.present[games] = present
        self.alive[games] = present
        self.length[games] = present * np.int32(length)
        self.head_ptr[games] = present * np.int32(length - 1)
        self.health[games] = present * np.int32(health)
        self.head[games] = heads
        rows = games[:, None] * n + np.arange(n)
        self.ring.reshape(-1)[(rows * self.ring_len)[:, :, None] + np.arange(length)] = heads[:, :, None]
        occ = np.zeros((games.size, g.cells), np.int16)
        occ[np.arange(games.size)[:, None], heads] = present * np.int16(length)  # absent seats: 0 on cell 0
        self.occ[games] = occ
        self.owner[games[:, None], heads] = np.arange(n, dtype=np.int8)  # only read where occ > 0
        if food is None:
            self.food[games] = False
            self.food_count[games] = 0
        else:
            self.food[games] = food
            self.food_count[games] = food.sum(axis=1) if food_count is None else food_count
        self._restart_status(games)

    def _restart_status(self, games: np.ndarray) -> None:
        """Turn 0, no hazards, nobody dead, the full royale box: shared by every way of starting games."""
        g = self.geometry
        self.hazard[games] = 0
        self.turn[games] = 0
        self.done[games] = False
        self.last_move[games] = -1
        self.death_cause[games] = 0
        self.death_by[games] = -1
        self.death_turn[games] = 0
        self.box[games] = (0, g.width - 1, 0, g.height - 1)

    def clear_games(self, games: np.ndarray) -> None:
        """Empty the boards of the given games (before setting them up again)."""
        self.present[games] = False
        self.alive[games] = False
        self.length[games] = 0
        self.occ[games] = 0
        self.food[games] = False
        self.food_count[games] = 0
        self._restart_status(games)
