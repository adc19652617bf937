"""The batched game state: B games held in numpy arrays, plus the body bookkeeping.

Bodies live in a per-snake ring buffer of padded cell ids (head at ``head_ptr``, tail
``length - 1`` slots behind it), mirrored by a per-cell segment count ``occ`` and the seat
``owner`` of each occupied cell, so collision checks are single fancy-index reads.
Invariant between steps: ``occ`` counts exactly the segments of live snakes, and live
snakes never share a cell (stacking happens only within one snake, at its tail).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np

from arena import rng
from arena.geometry import Geometry
from arena.jit import kernel

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


class Arrays(NamedTuple):
    """A ``GameBatch``'s arrays as the compiled kernels take them (``GameBatch.arrays()``, same order)."""

    seed: np.ndarray
    seed_key: np.ndarray
    turn: np.ndarray
    done: np.ndarray
    present: np.ndarray
    alive: np.ndarray
    health: np.ndarray
    length: np.ndarray
    head: np.ndarray
    head_ptr: np.ndarray
    ring: np.ndarray
    last_move: np.ndarray
    death_cause: np.ndarray
    death_turn: np.ndarray
    death_by: np.ndarray
    occ: np.ndarray
    owner: np.ndarray
    food: np.ndarray
    food_count: np.ndarray
    hazard: np.ndarray
    box: np.ndarray


_ARRAY_FIELDS = frozenset(Arrays._fields)
_KERNEL_TYPES = {  # (dtype, ndim) of each array, as GameBatch.empty makes them
    "seed": (np.uint64, 1), "seed_key": (np.uint64, 1), "turn": (np.int32, 1), "done": (np.bool_, 1),
    "present": (np.bool_, 2), "alive": (np.bool_, 2), "health": (np.int32, 2), "length": (np.int32, 2),
    "head": (np.int32, 2), "head_ptr": (np.int32, 2), "ring": (np.int16, 2), "last_move": (np.int8, 2),
    "death_cause": (np.int8, 2), "death_turn": (np.int32, 2), "death_by": (np.int8, 2), "occ": (np.int16, 2),
    "owner": (np.int8, 2), "food": (np.bool_, 2), "food_count": (np.int32, 1), "hazard": (np.int16, 2),
    "box": (np.int32, 2),
}


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
    hazard: np.ndarray  # (B, C) int16 stacked hazard entries per cell (+ a board's area above it: see ``empty``)
    box: np.ndarray  # (B, 4) int32 royale safe box: min_x, max_x, min_y, max_y

    def __post_init__(self) -> None:
        # Kernels are compiled for C-contiguous arrays (another layout would compile them again).
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray) and not value.flags.c_contiguous:
                raise ValueError(f"GameBatch.{f.name} must be C-contiguous")

    def __setattr__(self, name: str, value) -> None:
        if name in _ARRAY_FIELDS:
            self.__dict__.pop("_arrays", None)  # a replaced array: ``arrays()`` rebuilds its view
        super().__setattr__(name, value)

    def arrays(self) -> Arrays:
        """The arrays the kernels take (built and checked once per batch: ``Engine.step`` passes them
        every turn straight to the compiled code, which was compiled for exactly these types)."""
        view = self.__dict__.get("_arrays")
        if view is None:
            view = Arrays(*(getattr(self, name) for name in Arrays._fields))
            for name, array in zip(Arrays._fields, view):
                dtype, ndim = _KERNEL_TYPES[name]
                if not (isinstance(array, np.ndarray) and array.dtype == dtype and array.ndim == ndim
                        and array.flags.c_contiguous and array.flags.writeable and array.flags.aligned):
                    raise TypeError(f"GameBatch.{name} must be a writable C-contiguous {ndim}-d {dtype} array")
            self.__dict__["_arrays"] = view
        return view

    @classmethod
    def empty(cls, geometry: Geometry, batch_size: int, num_seats: int, hazards_above: bool = False) -> GameBatch:
        """``hazards_above``: hazard counters for a copy of the board above it too, after the padded
        cells (a map that keeps state there: snail_mode)."""
        if not 1 <= num_seats <= MAX_SNAKES:
            raise ValueError(f"a game has 1 to {MAX_SNAKES} snakes, got {num_seats}")
        b, n, c = batch_size, num_seats, geometry.cells
        ring_len = 1 << (geometry.area + 3).bit_length()  # a power of two: slot arithmetic is a bit mask
        return cls(
            geometry=geometry,
            seed=np.zeros(b, np.uint64),
            seed_key=np.full(b, rng.seed_key_py(0), np.uint64),
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
            hazard=np.zeros((b, c + (geometry.area if hazards_above else 0)), np.int16),
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
        """Take snakes' segments off the occupancy grid; ``rows`` are flat snake indices ``game * seats + seat``."""
        for row in np.asarray(rows).reshape(-1).tolist():
            lift_body(self.arrays(), row // self.seats, row % self.seats, skip_head)

    def lift_bodies(self, games: np.ndarray, seats: np.ndarray, skip_head: bool) -> None:
        self.lift_rows(self.rows(games, seats), skip_head)

    def grow_rows(self, rows: np.ndarray) -> None:
        """Battlesnake's growth (``grow_body``) for flat snake indices ``game * seats + seat``."""
        for row in np.asarray(rows).reshape(-1).tolist():
            grow_body(self.arrays(), row // self.seats, row % self.seats)

    def grow(self, games: np.ndarray, seats: np.ndarray) -> None:
        self.grow_rows(self.rows(games, seats))

    def place(self, game: int, seat: int, body_cells, health: int) -> None:
        """Put a snake with the given body (head first) on the board of one game."""
        body = np.asarray(body_cells, dtype=np.int32).reshape(-1)
        if body.size == 0:
            raise ValueError("a snake needs at least one body segment")
        if body.size > self.ring_len:
            raise ValueError("snake body is longer than the board allows")
        place_body(self.arrays(), game, seat, body, health)

    def clear_games(self, games: np.ndarray) -> None:
        """Empty the boards of the given games (before setting them up again)."""
        for game in np.asarray(games).reshape(-1).tolist():
            clear_game(self.arrays(), game, self.geometry.width, self.geometry.height)


# --- body bookkeeping kernels: the stages, the setup and drop-in all keep bodies through these -----


@kernel
def lift_body(b: Arrays, game: int, seat: int, skip_head: bool) -> None:
    """Take a snake's segments off the occupancy grid (it was eliminated).  A live snake's cells are
    its own (stacking happens only within one snake), so lifting it just empties them."""
    row = game * b.alive.shape[1] + seat
    mask = b.ring.shape[1] - 1
    ptr = b.head_ptr[game, seat]
    for k in range(1 if skip_head else 0, b.length[game, seat]):
        b.occ[game, b.ring[row, (ptr - k) & mask]] = 0


@kernel
def grow_body(b: Arrays, game: int, seat: int) -> None:
    """Battlesnake's growth: duplicate the tail segment (the snake is one longer next turn).  A snake
    as long as its ring allows (longer than the board) stays as it is: one more would overwrite its head.
    Only a live snake's new segment goes on the grid (an eliminated one's body is no obstacle)."""
    length = b.length[game, seat]
    if length >= b.ring.shape[1] - 1:
        return
    row = game * b.alive.shape[1] + seat
    mask = b.ring.shape[1] - 1
    tail_slot = b.head_ptr[game, seat] - length
    tail = b.ring[row, (tail_slot + 1) & mask]
    b.ring[row, tail_slot & mask] = tail
    b.length[game, seat] = length + 1
    if b.alive[game, seat]:
        b.occ[game, tail] += 1
        b.owner[game, tail] = seat  # a length-1 snake's tail is its new head's cell


@kernel
def place_body(b: Arrays, game: int, seat: int, body: np.ndarray, health: int) -> None:
    """Put a snake with ``body`` (padded cells, head first) on a game's board, alive and unmoved."""
    row = game * b.alive.shape[1] + seat
    size = body.shape[0]
    for k in range(size):
        b.ring[row, k] = body[size - 1 - k]
        b.occ[game, body[k]] += 1
        b.owner[game, body[k]] = seat
    b.head_ptr[game, seat] = size - 1
    b.length[game, seat] = size
    b.head[game, seat] = body[0]
    b.health[game, seat] = health
    b.present[game, seat] = True
    b.alive[game, seat] = True
    b.death_cause[game, seat] = 0
    b.death_by[game, seat] = -1
    b.death_turn[game, seat] = 0
    b.last_move[game, seat] = -1


@kernel
def clear_game(b: Arrays, g: int, width: int, height: int) -> None:
    """Turn 0, empty board, nobody dead, the full royale box: shared by every way of starting a game."""
    b.present[g] = False
    b.alive[g] = False
    b.length[g] = 0
    b.occ[g] = 0
    b.food[g] = False
    b.food_count[g] = 0
    b.hazard[g] = 0
    b.turn[g] = 0
    b.done[g] = False
    b.last_move[g] = -1
    b.death_cause[g] = 0
    b.death_by[g] = -1
    b.death_turn[g] = 0
    b.box[g, 0], b.box[g, 1], b.box[g, 2], b.box[g, 3] = 0, width - 1, 0, height - 1
