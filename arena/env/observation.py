"""Observations and action masks for every snake of a batch at once (the envs' shared encoder).

Why this shape: the vector env encodes thousands of snakes per step and the PettingZoo env one
game per step, so both go through one compiled call (``arena.env.windows.encode``) that draws
each game once and copies every snake's window straight into a buffer; the masks are the
engine's own compiled answer (``Engine.safety``).  This module holds the spaces and formats.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from arena.engine import Engine
from arena.env import windows
from arena.env.windows import CODES, NUM_CODES, PLANES, SCALARS
from arena.geometry import MOVES, frozen
from arena.safety import asked_games
from arena.state import MAX_HEALTH, GameBatch

ENCODINGS = ("egocentric", "global")
#: How an env hands out an observation (``obs_format``): ``dict`` = Dict(observation, action_mask);
#: ``planes`` = the planes Box alone; ``image`` = the planes as a uint8 0/255 channel-first image
#: (health scaled to 0..255), which SB3 recognises as an image; ``codes`` = Dict(codes, scalars,
#: action_mask): one uint8 code per cell (``arena.env.windows``) and the scalars, the planes'
#: compact form (the learner one-hots it).  The mask always stays in the infos and ``action_masks()``.
OBS_FORMATS = ("dict", "planes", "image", "codes")

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
_HEALTH = 9


def mask_space() -> spaces.Box:
    return spaces.Box(0, 1, (len(MOVES),), np.int8)


def obs_format_name(obs_format: str) -> str:
    if obs_format not in OBS_FORMATS:
        raise ValueError(f"unknown obs_format {obs_format!r} (choose from {', '.join(OBS_FORMATS)})")
    return obs_format


#: Health 0..100 as an image byte 0..255 (rounded), for the ``image`` format.
HEALTH_BYTE = frozen(np.round(np.arange(MAX_HEALTH + 1) * 255 / MAX_HEALTH).astype(np.uint8))
_HEALTH_PLANE = frozen(np.arange(MAX_HEALTH + 1, dtype=np.uint8))  # the planes' health channel: health itself

#: ``CODE_PLANES[code]``: the nine 0/1 planes (channels 0-8) of a cell with that code; with the health
#: from the scalars, ``planes_from_codes`` rebuilds the ``planes`` format exactly.
_CATEGORY = frozen(np.arange(NUM_CODES) % windows.HAZARD)
CODE_PLANES = frozen(np.column_stack([_CATEGORY[:, None] == np.arange(1, 9), np.arange(NUM_CODES) >= windows.HAZARD])
                     .astype(np.uint8))


def planes_from_codes(codes: np.ndarray, scalars: np.ndarray) -> np.ndarray:
    """The ``planes`` observation of ``codes`` (..., h, w) and ``scalars`` (..., 3): what a learner's
    one-hot does (docs/envs.md shows it as one line of numpy or torch)."""
    health = np.broadcast_to(scalars[..., :1, None, None].astype(np.uint8), (*codes.shape[:-2], 1, *codes.shape[-2:]))
    return np.concatenate([np.moveaxis(CODE_PLANES[codes], -1, -3), health], axis=-3)


class Observer:
    """Encodes observations and action masks for chosen snakes of a batch of games.

    ``egocentric``: a ``(10, 2r+1, 2r+1)`` window centred on the snake's head (row 0 is the
    top, i.e. ``y + r``; column 0 is ``x - r``).  ``global``: the whole board ``(10, height,
    width)`` in the same orientation, channels relative to the observing snake.  ``codes`` is
    the same window as one code per cell (``arena.env.windows``).
    """

    def __init__(self, engine: Engine, seats: int, encoding: str = "egocentric",
                 view_radius: int | None = None, obs_format: str = "dict") -> None:
        if encoding not in ENCODINGS:
            raise ValueError(f"unknown observation encoding {encoding!r} (choose from {', '.join(ENCODINGS)})")
        g = engine.geometry
        self.engine, self.geometry, self.seats, self.encoding = engine, g, seats, encoding
        self.obs_format = obs_format_name(obs_format)
        self.image = obs_format == "image"
        if encoding == "egocentric":
            r = max(g.width, g.height) // 2 if view_radius is None else int(view_radius)
            if r < 1:
                raise ValueError(f"view_radius must be at least 1, got {r}")
            self.window = (2 * r + 1, 2 * r + 1)
        else:
            if view_radius is not None:
                raise ValueError("view_radius applies to the egocentric encoding only")
            r = 0
            self.window = (g.height, g.width)
        self.radius = r
        self._base = frozen(np.where(g.interior, windows.EMPTY, windows.WALL).astype(np.uint8))
        self._big_of = frozen(windows.big_index(g.x_of, g.y_of, g.height, g.width, r))
        self._scratch: tuple[np.ndarray, ...] | None = None
        self._all: dict[int, np.ndarray] = {}
        # stand-ins for the outputs a format does not write: writable (numba types read-only arrays apart),
        # so each observer has its own rather than sharing module-level ones
        self._no_codes, self._no_scalars = np.zeros((0, 0, 0), np.uint8), np.zeros((0, 0), np.float32)
        self._no_planes = np.zeros((0, 0, 0, 0), np.uint8)

    def __getstate__(self) -> dict:
        """Copies and pickles get scratch arrays of their own (two observers must never share them)."""
        return {**self.__dict__, "_scratch": None}

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

    def codes_space(self) -> spaces.Box:
        return spaces.Box(0, NUM_CODES - 1, self.window, np.uint8)

    def scalars_space(self) -> spaces.Box:
        """Health 0..100, length, turn (float32)."""
        return spaces.Box(0, np.array([MAX_HEALTH, np.inf, np.inf], np.float32), (len(SCALARS),), np.float32)

    def space(self) -> spaces.Space:
        """One agent's observation space in this observer's ``obs_format``."""
        if self.obs_format == "dict":
            return spaces.Dict({"observation": self.observation_space(), "action_mask": mask_space()})
        if self.obs_format == "codes":
            return spaces.Dict({"codes": self.codes_space(), "scalars": self.scalars_space(),
                                "action_mask": mask_space()})
        return self.observation_space()

    def present(self, parts: dict[str, np.ndarray], mask: np.ndarray, index=None):
        """An observation (or a batch of them; ``index``: the agent(s) to take) in this ``obs_format``,
        from ``encode``'s arrays and the masks."""
        if self.obs_format in ("planes", "image"):
            return parts["observation"] if index is None else parts["observation"][index]
        if index is None:
            return {**parts, "action_mask": mask}
        return {**{k: v[index] for k, v in parts.items()}, "action_mask": mask[index]}

    # --- encoding -----------------------------------------------------------------------

    def _games(self, batch: GameBatch, games) -> np.ndarray:
        return asked_games(batch, games, self._all)

    def buffers(self, games: int) -> dict[str, np.ndarray]:
        """Arrays for ``encode(..., out=)``: every seat of ``games`` games, in this ``obs_format``."""
        agents = games * self.seats
        if self.obs_format == "codes":
            return {"codes": np.empty((agents, *self.window), np.uint8),
                    "scalars": np.empty((agents, len(SCALARS)), np.float32)}
        return {"observation": np.empty((agents, *self.shape), np.uint8)}

    def encode(self, batch: GameBatch, games=None, out: dict[str, np.ndarray] | None = None,
               blank_dead: bool = False) -> dict[str, np.ndarray]:
        """This format's arrays (``observation``, or ``codes`` and ``scalars``) for every seat of the given
        games (default all), game-major, written into ``out`` (from ``buffers()``) or new arrays.
        ``blank_dead``: dead snakes' observations are all zeros (the vector env's "black death")."""
        picked = self._games(batch, games)
        out = self.buffers(picked.size) if out is None else out
        if self.obs_format == "codes":
            self._encode(batch, picked, blank_dead, CODES, out["codes"], out["scalars"], self._no_planes)
        else:
            self._encode(batch, picked, blank_dead, PLANES, self._no_codes, self._no_scalars, out["observation"])
        return out

    def observe(self, batch: GameBatch, games=None, out: np.ndarray | None = None,
                blank_dead: bool = False) -> np.ndarray:
        """The planes (0/255 in the ``image`` format) of every seat of the given games (default all),
        game-major: (G*N, 10, h, w) uint8, written into ``out`` if given."""
        picked = self._games(batch, games)
        if out is None:
            out = np.empty((picked.size * self.seats, *self.shape), np.uint8)
        self._encode(batch, picked, blank_dead, PLANES, self._no_codes, self._no_scalars, out)
        return out

    def _encode(self, batch: GameBatch, games: np.ndarray, blank_dead: bool, kind: int, codes: np.ndarray,
                scalars: np.ndarray, planes: np.ndarray) -> None:
        g = self.geometry
        x_of, y_of, base, _, health_value = self.tables()
        windows.encode(games, batch.alive, batch.length, batch.head, batch.head_ptr, batch.ring, batch.occ, batch.owner,
                       batch.health, batch.turn, batch.food, batch.hazard, x_of, y_of, base, g.width, g.height,
                       self.radius, self.encoding == "egocentric", g.wrapped, blank_dead, kind, health_value,
                       self.scratch(), codes, scalars, planes)

    def tables(self) -> tuple[np.ndarray, ...]:
        """The encoder's lookup tables: ``windows.encode``'s x_of, y_of, base and health_value, and where each
        engine cell sits in its drawing (``big_of``, for ``windows.drawn_masks``)."""
        g = self.geometry
        return g.x_of, g.y_of, self._base, self._big_of, HEALTH_BYTE if self.image else _HEALTH_PLANE

    def scratch(self) -> tuple[np.ndarray, ...]:
        """The encoder's working arrays (made once, ``windows.scratch``)."""
        g = self.geometry
        if self._scratch is None:
            self._scratch = windows.scratch(g.cells, g.height, g.width, self.radius, self.window)
        return self._scratch

    def outputs(self, parts: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``buffers()``' arrays as the encoder takes them: codes, scalars, planes (stand-ins where unused)."""
        if self.obs_format == "codes":
            return parts["codes"], parts["scalars"], self._no_planes
        return self._no_codes, self._no_scalars, parts["observation"]

    @property
    def kind(self) -> int:
        return CODES if self.obs_format == "codes" else PLANES

    def action_masks(self, batch: GameBatch, games=None, dead_any: bool = False,
                     out: np.ndarray | None = None) -> np.ndarray:
        """1 for moves that do not kill the snake outright, game-major: (G*N, 4) int8.

        Deadly moves are the engine's own answer (``Engine.deadly_moves``, ``arena/safety.py``):
        off the board, onto a segment still there after every tail moved, out of health off food;
        in classic a reversal counts as the heading it keeps.  A head-on is never certain, so it is
        not masked.  A row with no safe move is all ones (the snake is doomed; let the policy pick),
        and so, with ``dead_any``, is a dead snake's.
        """
        return self.engine.safety.masks(batch, games, dead_any, out)


