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

import numpy as np
from gymnasium import spaces

from arena import stages
from arena.engine import Engine
from arena.geometry import MOVES
from arena.state import MAX_HEALTH, GameBatch

ENCODINGS = ("egocentric", "global")

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


class Observer:
    """Encodes observations and action masks for chosen snakes of a batch of games.

    ``egocentric``: a ``(10, 2r+1, 2r+1)`` window centred on the snake's head (row 0 is the
    top, i.e. ``y + r``; column 0 is ``x - r``).  ``global``: the whole board ``(10, height,
    width)`` in the same orientation, channels relative to the observing snake.
    """

    def __init__(self, engine: Engine, seats: int, encoding: str = "egocentric",
                 view_radius: int | None = None) -> None:
        if encoding not in ENCODINGS:
            raise ValueError(f"unknown observation encoding {encoding!r} (choose from {', '.join(ENCODINGS)})")
        g = engine.geometry
        self.geometry, self.seats, self.encoding = g, seats, encoding
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
        # Cell codes: 0 empty, 1 + 2s head of seat s, 2 + 2s its body, then food, then wall;
        # plus the hazard bit on hazard cells.  Codes without it index a per-observer table.
        self._food_code, self._wall_code = 2 * seats + 1, 2 * seats + 2
        self._lut_width = 2 * seats + 3
        self._code_bits = (1 << self._lut_width.bit_length()) - 1
        self._hazard_code = self._code_bits + 1
        self._base = np.where(g.interior, 0, self._wall_code).astype(np.uint8)
        self._buffers: dict[int, np.ndarray] = {}
        self._lut_offsets = np.zeros((0, 1, 1), np.uint16)
        seat = np.arange(seats)
        self._own = seat[:, None] == seat[None, :]  # (viewer, seat)
        self._categories = np.arange(1, _ONE_HOT + 1, dtype=np.uint8)[None, :, None, None]

        self._starves = stages.starve in engine.stages
        self._hazard_damage = int(engine.settings.get("hazardDamagePerTurn", 0)) \
            if stages.hazard_damage in engine.stages else 0

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
        high = np.ones(self.shape, np.uint8)
        high[_HEALTH] = MAX_HEALTH
        return spaces.Box(np.zeros(self.shape, np.uint8), high, dtype=np.uint8)

    def space(self) -> spaces.Dict:
        return spaces.Dict({"observation": self.observation_space(), "action_mask": mask_space()})

    # --- encoding -----------------------------------------------------------------------

    def _codes(self, batch: GameBatch, games: np.ndarray | None) -> np.ndarray:
        """Cell codes of the given games on the engine grid: (G, cells) uint8."""
        pick = (lambda a: a) if games is None else (lambda a: a[games])
        occ, owner, food, hazard = pick(batch.occ), pick(batch.owner), pick(batch.food), pick(batch.hazard)
        code = owner.astype(np.uint8)
        code *= 2
        code += 2
        np.copyto(code, self._base, where=occ <= 0)
        np.copyto(code, self._food_code, where=food)
        alive, head = pick(batch.alive), pick(batch.head)
        rows, seats = np.nonzero(alive)
        code[rows, head[rows, seats]] = (seats * 2 + 1).astype(np.uint8)
        code += (hazard > 0).view(np.uint8) * self._hazard_code
        return code

    def _padded(self, codes: np.ndarray) -> np.ndarray:
        """Codes laid out top row first and padded by the view radius: (G, H', W') uint8."""
        g, r = self.geometry, self.radius
        if self._wrap_source is not None:
            return codes[:, self._wrap_source].reshape(codes.shape[0], *self._big_shape)
        big = self._buffers.get(codes.shape[0])
        if big is None:
            big = self._buffers[codes.shape[0]] = np.full((codes.shape[0], *self._big_shape), self._wall_code, np.uint8)
        big[:, r:r + g.height + 2, r:r + g.width + 2] = codes.reshape(-1, g.height + 2, g.width + 2)[:, ::-1]
        return big

    def _lookup(self, batch: GameBatch, games: np.ndarray) -> np.ndarray:
        """Per observer, cell code -> category 1..8 (0 empty): (G*N * (2N+3),) uint8."""
        length = batch.length[games]  # (G, N)
        longer = length[:, None, :] >= length[:, :, None]  # (G, viewer, seat)
        head_cat = np.where(self._own, 1, np.where(longer, 3, 5)).astype(np.uint8).reshape(-1, self.seats)
        lut = np.empty((head_cat.shape[0], self._lut_width), np.uint8)
        lut[:, 0] = 0
        lut[:, 1:-2:2] = head_cat
        lut[:, 2:-2:2] = head_cat + 1
        lut[:, -2] = _FOOD_CAT
        lut[:, -1] = _WALL_CAT
        return lut.reshape(-1)

    def _offsets(self, count: int) -> np.ndarray:
        """Where each observer's lookup table starts in the flattened tables (uint16 when it fits: faster)."""
        if self._lut_offsets.shape[0] != count:
            dtype = np.uint16 if count * self._lut_width < 2**16 else np.uint32
            self._lut_offsets = (np.arange(count, dtype=dtype) * self._lut_width)[:, None, None]
        return self._lut_offsets

    def _games(self, batch: GameBatch, games) -> np.ndarray:
        return np.arange(batch.size) if games is None else np.asarray(games, dtype=np.intp).reshape(-1)

    def observe(self, batch: GameBatch, games=None, out: np.ndarray | None = None) -> np.ndarray:
        """Observations of every seat of the given games (default all), game-major: (G*N, C, h, w) uint8."""
        picked = self._games(batch, games)
        big = self._padded(self._codes(batch, None if games is None else picked))
        windows = np.lib.stride_tricks.sliding_window_view(big, self.window, axis=(1, 2))
        heads = batch.head[picked].reshape(-1)
        local = np.repeat(np.arange(picked.size), self.seats)
        code = windows[local, self._row_of[heads], self._col_of[heads]]  # (A, h, w)
        offsets = self._offsets(heads.size)
        index = np.bitwise_and(code, self._code_bits, dtype=offsets.dtype)
        index += offsets
        category = self._lookup(batch, picked).take(index)
        obs = np.empty((heads.size, *self.shape), np.uint8) if out is None else out
        np.equal(category[:, None], self._categories, out=obs[:, :_ONE_HOT].view(bool))
        np.greater(code, self._code_bits, out=obs[:, _HAZARD].view(bool))
        health = np.clip(batch.health[picked].reshape(-1), 0, MAX_HEALTH).astype(np.uint8)
        obs[:, _HEALTH] = health[:, None, None]
        return obs

    def action_masks(self, batch: GameBatch, games=None) -> np.ndarray:
        """1 for moves that do not kill the snake outright, game-major: (G*N, 4) int8.

        Deadly: leaving the board, a cell that is still occupied after every tail has moved
        (necks, bodies, stacked tails), and running out of health (starving, or hazard
        damage) off food.  A head-on is never certain, so it is not masked.  A row with no
        safe move is all ones (the snake is doomed; let the policy pick).
        """
        picked = self._games(batch, games)
        g = self.geometry
        alive, length, ptr = batch.alive[picked], batch.length[picked], batch.head_ptr[picked]
        rows = picked[:, None] * batch.seats + np.arange(batch.seats)
        tails = batch.ring[rows, (ptr - length + 1) % batch.ring_len]
        offset = (np.arange(picked.size) * g.cells)[:, None]
        after = batch.occ[picked].astype(np.int16)  # occupancy once every live tail has moved
        after.reshape(-1)[(offset + tails)[alive]] -= 1
        nxt = g.next_cell[batch.head[picked]]  # (G, N, 4)
        flat = offset[:, :, None] + nxt
        deadly = ~g.interior[nxt] | (after.reshape(-1)[flat] > 0)
        if self._starves:
            health = batch.health[picked][:, :, None] - 1
            if self._hazard_damage:
                health = health - self._hazard_damage * batch.hazard[picked].reshape(-1)[flat]
            deadly |= (health <= 0) & ~batch.food[picked].reshape(-1)[flat]
        mask = (~deadly).view(np.int8).reshape(-1, 4)
        mask[~mask.any(axis=1)] = 1
        return mask
