"""Observations and action masks for every snake of a batch at once (the envs' shared encoder).

Why this shape: the vector env has to encode thousands of snakes per step, so nothing here
loops over games or snakes.  Each step the board is drawn once per *game* as a small code
grid, embedded in a grid padded by the view radius (walls outside, or the board tiled on
wrapped rulesets), and every snake's window is cut out with one fancy index into a sliding
window view of it.  A per-snake lookup table then turns "seat s's head/body" into "my head /
an enemy at least as long as me / a shorter enemy", and one broadcast comparison writes the
binary channels.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from gymnasium import spaces

from arena.engine import Engine
from arena.geometry import MOVES, frozen
from arena.state import MAX_HEALTH, GameBatch

ENCODINGS = ("egocentric", "global")
#: How an env hands out an observation (``obs_format``): ``dict`` = Dict(observation, action_mask);
#: ``planes`` = the planes Box alone; ``image`` = the planes as a uint8 0/255 channel-first image
#: (health scaled to 0..255), which SB3 recognises as an image.  The mask always stays in the infos
#: and ``action_masks()``.
OBS_FORMATS = ("dict", "planes", "image")

#: (name, meaning) of each observation channel, in order.  Channels 0-8 are 0/1, channel 9 is 0..100.
CHANNELS: tuple[tuple[str, str], ...] = (
    ("own_head", "this snake's head"),
    ("own_body", "this snake's other segments (a stacked tail counts once)"),
    ("long_enemy_head", "heads of enemies at least as long as this snake (a head-on would kill it)"),
    ("long_enemy_body", "other segments of those enemies"),
    ("short_enemy_head", "heads of enemies shorter than this snake (a head-on would kill them)"),
    ("short_enemy_body", "other segments of those enemies"),
    ("food", "food"),
    ("wall", "outside the board (always 0 on wrapped rulesets and in the global encoding)"),
    ("hazard", "hazard cells (any number of stacked hazard entries)"),
    ("health", "this snake's health, 0..100, on every cell"),
)
NUM_CHANNELS = len(CHANNELS)
_ONE_HOT = 8  # channels 0..7 are a one-hot of the cell category 1..8
_HAZARD, _HEALTH = 8, 9
_FOOD_CAT, _WALL_CAT = 7, 8


def mask_space() -> spaces.Box:
    return spaces.Box(0, 1, (len(MOVES),), np.int8)


def obs_format_name(obs_format: str) -> str:
    if obs_format not in OBS_FORMATS:
        raise ValueError(f"unknown obs_format {obs_format!r} (choose from {', '.join(OBS_FORMATS)})")
    return obs_format


#: Health 0..100 as an image byte 0..255 (rounded), for the ``image`` format.
HEALTH_BYTE = frozen(np.round(np.arange(MAX_HEALTH + 1) * 255 / MAX_HEALTH).astype(np.uint8))


MAX_CACHED_SIZES = 8  # buffer sets kept per distinct batch/subset size: memory stays bounded, steady use hits


class Observer:
    """Encodes observations and action masks for chosen snakes of a batch of games.

    ``egocentric``: a ``(10, 2r+1, 2r+1)`` window centred on the snake's head (row 0 is the
    top, i.e. ``y + r``; column 0 is ``x - r``).  ``global``: the whole board ``(10, height,
    width)`` in the same orientation, channels relative to the observing snake.
    """

    def __init__(self, engine: Engine, seats: int, encoding: str = "egocentric",
                 view_radius: int | None = None, obs_format: str = "dict") -> None:
        if encoding not in ENCODINGS:
            raise ValueError(f"unknown observation encoding {encoding!r} (choose from {', '.join(ENCODINGS)})")
        g = engine.geometry
        self.engine, self.geometry, self.seats, self.encoding = engine, g, seats, encoding
        self.obs_format = obs_format_name(obs_format)
        self.image = obs_format == "image"
        hp, wp = g.height + 2, g.width + 2
        if encoding == "egocentric":
            r = max(g.width, g.height) // 2 if view_radius is None else int(view_radius)
            if r < 1:
                raise ValueError(f"view_radius must be at least 1, got {r}")
            self.window = (2 * r + 1, 2 * r + 1)
            cells = np.arange(g.cells)
            # Top-left corner of each head cell's window in the padded, top-row-first grid.
            self._row_of = (hp - 1 - cells // wp).astype(np.intp)
            self._col_of = (cells % wp).astype(np.intp)
        else:
            if view_radius is not None:
                raise ValueError("view_radius applies to the egocentric encoding only")
            r = 0
            self.window = (g.height, g.width)
            self._row_of = np.ones(g.cells, np.intp)
            self._col_of = np.ones(g.cells, np.intp)
        self.radius = r
        self._big_shape = (hp + 2 * r, wp + 2 * r)
        self._wrap_source = self._wrap_map(r) if g.wrapped and encoding == "egocentric" else None
        # Cell codes: 0 empty, 1 + 2k / 2 + 2k the head / body of the snake ranked k by length
        # (longest first), then food, then wall; hazard cells add ``_hazard_code``.  Ranks make
        # "my cell / a longer enemy's / a shorter enemy's" depend only on the observer's rank
        # k and the last rank q as long as it, so one table indexed by (class(k, q), code)
        # serves every game.
        self._food_code, self._wall_code = 2 * seats + 1, 2 * seats + 2
        self._hazard_code = 2 * seats + 3
        self._base = np.where(g.interior, 0, self._wall_code).astype(np.uint8)
        self._buffers: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._raw: dict[tuple[int, ...], tuple[bytearray, np.ndarray]] = {}
        self._cuts: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        self._mask_offsets: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._table = _category_table(seats)
        self._perm_table, self._perm_id, self._perm_digits = _permutation_table(seats)
        self._translate = self._table.size <= 256  # bytes.translate: a 256-entry lookup, 2-3x faster than take
        self._table_bytes = self._table.tobytes().ljust(256, b"\0")
        self._index_dtype = np.uint8 if self._translate else np.uint16
        self._categories = np.arange(1, _ONE_HOT + 1, dtype=np.uint8)[:, None, None, None]

    def __getstate__(self) -> dict:
        """Copies and pickles drop the cached buffers: their sliding-window views would not follow the copy."""
        state = dict(self.__dict__)
        state.update(_buffers={}, _raw={}, _cuts={}, _mask_offsets={})
        return state

    def _wrap_map(self, r: int) -> np.ndarray:
        """Engine cell shown at each cell of the padded grid when the board wraps around."""
        g = self.geometry
        rows, cols = np.indices(self._big_shape)
        y = (g.height - 1 - (rows - r - 1)) % g.height
        x = (cols - r - 1) % g.width
        return ((y + 1) * g.padded_width + x + 1).ravel()

    # --- spaces -------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int, int]:
        return (NUM_CHANNELS, *self.window)

    def observation_space(self) -> spaces.Box:
        """The planes: 0/1 with health 0..100, or 0/255 everywhere in the ``image`` format."""
        if self.image:
            return spaces.Box(0, 255, self.shape, np.uint8)
        high = np.ones(self.shape, np.uint8)
        high[_HEALTH] = MAX_HEALTH
        return spaces.Box(np.zeros(self.shape, np.uint8), high, dtype=np.uint8)

    def space(self) -> spaces.Space:
        """One agent's observation space in this observer's ``obs_format``."""
        if self.obs_format == "dict":
            return spaces.Dict({"observation": self.observation_space(), "action_mask": mask_space()})
        return self.observation_space()

    def present(self, planes: np.ndarray, mask: np.ndarray):
        """An observation (or a batch of them) in this observer's ``obs_format``."""
        return {"observation": planes, "action_mask": mask} if self.obs_format == "dict" else planes

    # --- encoding -----------------------------------------------------------------------

    def _ranks(self, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each seat's rank by length (longest first, ties by seat) and its observer class."""
        key = length * 32 + (31 - np.arange(self.seats, dtype=length.dtype))  # unique per seat, larger ranks first
        rank = np.zeros(length.shape, np.int32)
        last = np.full(length.shape, -1, np.int32)  # the last rank as long as me
        beaten = np.empty(length.shape, bool)
        for seat in range(self.seats):  # N passes over (G, N): cheaper than (G, N, N) reductions
            np.greater(key[:, seat:seat + 1], key, out=beaten)
            rank += beaten
            np.greater_equal(length[:, seat:seat + 1], length, out=beaten)
            last += beaten
        return rank, last * (last + 1) // 2 + rank

    def _codes(self, batch: GameBatch, games: np.ndarray | None, rank: np.ndarray) -> np.ndarray:
        """Cell codes of the given games on the engine grid: (G, cells) uint8."""
        pick = _picker(games)
        owner = pick(batch.owner).view(np.uint8)
        occupied = (pick(batch.occ) > 0).view(np.uint8)
        if self._perm_table is not None:
            # Each game's ranks are a permutation: one byte lookup by (permutation, owner).
            raw, index = self._index_buffer(owner.shape)
            np.add(owner, self._perm_id[rank @ self._perm_digits][:, None], out=index)
            body = np.frombuffer(raw.translate(self._perm_table), np.uint8).reshape(owner.shape)
            code = np.multiply(body, occupied)
        else:
            seat_code = (rank * 2 + 2).astype(np.uint8)  # body code of each seat
            code = np.zeros(owner.shape, np.uint8)
            is_seat, term = np.empty(owner.shape, bool), np.empty(owner.shape, np.uint8)
            for seat in range(self.seats):  # N cheap passes over the grid beat one gather by owner
                np.equal(owner, seat, out=is_seat)
                np.multiply(is_seat, seat_code[:, seat:seat + 1], out=term)
                code += term
            code *= occupied
        code += self._base
        code += pick(batch.food).view(np.uint8) * np.uint8(self._food_code)  # food never lies under a snake
        code += (pick(batch.hazard) > 0).view(np.uint8) * np.uint8(self._hazard_code)
        alive = pick(batch.alive)
        # A head is its body code minus one; dead seats subtract 0 from cell 0 (always a wall).
        heads = np.where(alive, self._offsets_for(alive.shape[0], self.seats)[0][:, :, 0] + pick(batch.head), 0)
        code.reshape(-1)[heads] -= alive.view(np.uint8)
        return code

    def _windows(self, codes: np.ndarray) -> np.ndarray:
        """Every window of the codes laid out top row first and padded by the view radius.

        A sliding-window view ``(G, rows, cols, h, w)`` of a buffer kept per batch size, so
        neither the padded grid nor the view is rebuilt each step.
        """
        g, r, count = self.geometry, self.radius, codes.shape[0]
        if count not in self._buffers:
            if len(self._buffers) >= MAX_CACHED_SIZES:  # callers observing ever new subset sizes: start over
                self._buffers.clear()
                self._cuts.clear()  # cuts view the evicted buffers
            big = np.full((count, *self._big_shape), self._wall_code, np.uint8)
            self._buffers[count] = (big, np.lib.stride_tricks.sliding_window_view(big, self.window, axis=(1, 2)))
        big, windows = self._buffers[count]
        if self._wrap_source is not None:
            np.take(codes, self._wrap_source, axis=1, out=big.reshape(count, -1))
        else:
            big[:, r:r + g.height + 2, r:r + g.width + 2] = codes.reshape(-1, g.height + 2, g.width + 2)[:, ::-1]
        return windows

    def _cut(self, windows: np.ndarray, count: int, heads: np.ndarray) -> np.ndarray:
        """Each snake's window (A, h, w) out of the padded grids of ``count`` games.

        A window is gathered whole, as one void item spanning its first to its last cell in
        an overlapping view of the padded grids (one fancy index of A items rather than of
        A * h * w bytes), then its rows are packed, each as one ``w``-byte item, into a
        buffer reused from step to step.
        """
        if heads.size == 0:
            return np.zeros((0, *self.window), np.uint8)
        key = (count, heads.size)
        if key not in self._cuts:
            big = self._buffers[count][0]
            rows, cols = self._big_shape
            h, w = self.window
            span = (h - 1) * cols + w
            items = np.ndarray((big.size - span + 1,), np.dtype((np.void, span)), big, strides=(1,))
            local = np.repeat(np.arange(count) * (rows * cols), heads.size // max(count, 1))
            corner = (self._row_of * cols + self._col_of).astype(np.intp)
            packed = np.empty((heads.size, h, w), np.uint8)
            self._cuts[key] = (items, local, corner, packed)
        items, local, corner, packed = self._cuts[key]
        cut = items[local + corner[heads]]
        h, w = self.window
        row = np.dtype((np.void, w))
        packed.view(row)[..., 0] = np.ndarray((heads.size, h), row, cut, strides=(cut.itemsize, self._big_shape[1]))
        return packed

    def _games(self, batch: GameBatch, games) -> np.ndarray:
        return np.arange(batch.size) if games is None else np.asarray(games, dtype=np.intp).reshape(-1)

    def _offsets_for(self, games: int, seats: int) -> tuple[np.ndarray, np.ndarray]:
        """Where each of G games' cells and seats start in flattened (G, ...) arrays: (G, 1, 1) each."""
        if games not in self._mask_offsets:
            if len(self._mask_offsets) >= MAX_CACHED_SIZES:
                self._mask_offsets.clear()
            local = np.arange(games)[:, None, None]
            self._mask_offsets[games] = (local * self.geometry.cells, local * seats)
        return self._mask_offsets[games]

    def _index_buffer(self, shape: tuple[int, ...]) -> tuple[bytearray, np.ndarray]:
        """A reused bytearray (what ``bytes.translate`` reads without a copy) and an array view of it."""
        found = self._raw.get(shape)
        if found is None:
            if len(self._raw) >= MAX_CACHED_SIZES:
                self._raw.clear()
            raw = bytearray(int(np.prod(shape)))
            found = self._raw[shape] = (raw, np.frombuffer(raw, np.uint8).reshape(shape))
        return found

    def buffer(self, games: int) -> np.ndarray:
        """A channel-major ``(C, G*N, h, w)`` buffer for ``observe(..., out=)``."""
        return np.empty((NUM_CHANNELS, games * self.seats, *self.window), np.uint8)

    def observe(self, batch: GameBatch, games=None, out: np.ndarray | None = None,
                blank_dead: bool = False) -> np.ndarray:
        """Observations of every seat of the given games (default all), game-major: (G*N, C, h, w) uint8.

        The result is a view of a channel-major buffer (``out``, from ``buffer()``): every
        channel of every snake is one contiguous slab, so each channel is written in one long
        pass.  ``np.ascontiguousarray`` it if a consumer needs C order.  ``blank_dead``: dead
        snakes' observations are all zeros (the vector env's "black death"), done on the small
        code windows rather than on the ten planes.
        """
        picked = self._games(batch, games)
        pick = _picker(None if games is None else picked)
        rank, klass = self._ranks(pick(batch.length))
        windows = self._windows(self._codes(batch, None if games is None else picked, rank))
        heads = pick(batch.head).reshape(-1)
        code = self._cut(windows, picked.size, heads)  # (A, h, w)
        dead = ~pick(batch.alive).reshape(-1) if blank_dead else None
        if dead is not None:
            code[dead] = 0  # an empty window: every channel 0 (health below)
        offsets = (klass.reshape(-1, 1, 1) * (2 * self._hazard_code)).astype(self._index_dtype)
        if self._translate:
            raw, index = self._index_buffer(code.shape)
            np.add(code, offsets, out=index)
            category = np.frombuffer(raw.translate(self._table_bytes), np.uint8).reshape(code.shape)
        else:
            category = self._table.take(np.add(code, offsets, dtype=self._index_dtype))
        buf = self.buffer(picked.size) if out is None else out
        np.equal(category[None], self._categories, out=buf[:_ONE_HOT].view(bool))
        np.greater_equal(code, self._hazard_code, out=buf[_HAZARD].view(bool))
        health = np.clip(pick(batch.health).reshape(-1), 0, MAX_HEALTH).astype(np.uint8)
        if dead is not None:
            health[dead] = 0
        if self.image:  # 0/1 -> 0/255 (uint8 negation), health -> 0..255
            np.negative(buf[:_HEALTH], out=buf[:_HEALTH])
            health = HEALTH_BYTE[health]
        buf[_HEALTH].reshape(health.size, -1)[:] = health[:, None]  # one long row per snake
        return buf.transpose(1, 0, 2, 3)

    def action_masks(self, batch: GameBatch, games=None) -> np.ndarray:
        """1 for moves that do not kill the snake outright, game-major: (G*N, 4) int8.

        Deadly moves are the engine's own answer (``Engine.deadly_moves``, ``arena/safety.py``):
        off the board, onto a segment still there after every tail moved, out of health off food;
        in classic a reversal counts as the heading it keeps.  A head-on is never certain, so it is
        not masked.  A row with no safe move is all ones (the snake is doomed; let the policy pick).
        """
        return self.engine.safety.masks(batch, games)


def _category_table(seats: int) -> np.ndarray:
    """Category (1..8, 0 empty) of every (observer class, cell code), flattened: class * 2H + code."""
    hazard = 2 * seats + 3
    rows = []
    for last in range(seats):
        for rank in range(last + 1):  # class = last * (last + 1) / 2 + rank
            row = np.zeros(hazard, np.uint8)
            for other in range(seats):
                head = 1 if other == rank else 3 if other <= last else 5
                row[1 + 2 * other], row[2 + 2 * other] = head, head + 1
            row[2 * seats + 1], row[2 * seats + 2] = _FOOD_CAT, _WALL_CAT
            rows.append(np.concatenate([row, row]))  # the same with the hazard code added
    return np.concatenate(rows)


def _permutation_table(seats: int) -> tuple[bytes | None, np.ndarray, np.ndarray]:
    """Body code ``2 * rank + 2`` of every (rank permutation, seat), as a byte table
    indexed by ``permutation * seats + seat``; the id of each permutation by its base-``seats``
    digits; the digit weights.  None when the table would not fit in 256 bytes."""
    digits = seats ** np.arange(seats)
    if math.factorial(seats) * seats > 256:
        return None, np.zeros(0, np.uint8), digits
    ids = np.zeros(seats ** seats, np.uint8)
    table = bytearray(256)
    for i, perm in enumerate(itertools.permutations(range(seats))):
        ids[int(np.dot(perm, digits))] = i * seats
        for seat, rank in enumerate(perm):
            table[i * seats + seat] = 2 * rank + 2
    return bytes(table), ids, digits


def _picker(games: np.ndarray | None):
    """Select the given games' rows, or take whole arrays (no copy) when games is None."""
    return (lambda a: a) if games is None else (lambda a: a[games])
