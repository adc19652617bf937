"""Counter-based random draws keyed by (seed, turn, stream, index).

Why: a game's history must depend only on its own seed and moves, never on the batch it
runs in.  A stateless hash of the key gives every game and turn its own independent
stream, identical whether computed in pure Python (``draw_py``, the tests' model) or by the
compiled kernels (``draw``) the engine runs.

draw = mix(key(seed, turn) ^ (stream * M1 + index * M2)), where key folds the seed and the
turn in with two rounds of SplitMix64's finaliser (``mix``).  The (game, turn) key is the
expensive part and is shared by every draw of that game and turn.
Every random choice in the rules is "the candidate with the highest ``score``", where
``score = draw | 1`` (so a real candidate never scores 0), ties broken by the lowest
candidate index.  The streams below name each kind of choice; ``docs/rules.md`` lists them.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable

import numpy as np

from arena.jit import kernel

MASK64 = (1 << 64) - 1
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_GOLDEN = 0x9E3779B97F4A7C15

# Streams: one per kind of random choice.
FOOD_CHANCE = 1  # turn: new turn number; index 0; roll = draw % 100
FOOD_CELL = 2  # turn: new turn; index: y * width + x
ROYALE_SIDE = 3  # turn: shrink number k (1, 2, ...); index 0; side = draw % 4
START_CORNERS = 10  # turn 0; index: corner 0..3
START_CARDINALS = 11  # turn 0; index: cardinal 0..3
START_COIN = 12  # turn 0; index 0; corners first when draw % 2 == 0
START_QUADRANT = 13  # turn 0; index 0; first quadrant = draw % 4
START_QUADRANT_ORDER = 14  # turn 0; index: quadrant * 4 + slot
START_RANDOM_SPOT = 15  # turn 0; index: snake * 1024 + y * width + x
START_FOOD_DIAGONAL = 16  # turn 0; index: snake * 4 + diagonal
START_FOOD_RANDOM = 17  # turn 0; index: y * width + x (the n best cells, n = snakes)
RESPAWN_SPOT = 20  # turn: current turn; index: seat * 1024 + y * width + x
GAME_SEED = 30  # turn: game number g; index 0 (per-game seeds of a vector env reset with one seed)
# Maps (``arena.maps``); "turn 0" draws are fixed for the whole game, as Battlesnake's GetRand(0).
MAP_START_ORDER = 40  # turn 0; index: start spot (castle walls, arcade maze, hazard pits: spots by score)
MAP_LAYOUT = 41  # turn 0; index 0; healing_pools' layout = draw % layouts
MAP_ORIGIN = 42  # turn 0; index 0 / 1: the x / y of hz_spiral's, hz_grow_box's, hz_expand_*'s first cell
MAP_SCATTER = 43  # turn 0; index: y * width + x (hz_scatter's order: by score; hz_expand_scatter's in a ring)
MAP_GROW_SIDE = 44  # turn 0; index: growth k; side = draw % sides that can grow (hz_grow_box)
MAP_FOOD_SPOT = 45  # turn: new turn; index: spot (castle walls, arcade maze: spots tried by score)
MAP_FOOD_CHANCE = 46  # turn: new turn; index 0; arcade maze food roll = draw % 100
MAP_DRY_POOL = 47  # turn: new turn; index: y * width + x (healing_pools: the pool that dries up)
MAP_MAZE = 48  # turn: the turn the maze is built; index: draw number (solo_maze's walls and holes)
MAP_MAZE_FOOD = 49  # turn: the turn the food is placed; index: try * 2 + 0 / 1 (x / y)


def _mix_py(z: int) -> int:
    z &= MASK64
    z = ((z ^ (z >> 30)) * _M1) & MASK64
    z = ((z ^ (z >> 27)) * _M2) & MASK64
    return z ^ (z >> 31)


def seed_key_py(seed: int) -> int:
    """``seed_key`` in pure Python (a fresh batch's keys need no compiled code)."""
    return _mix_py(seed ^ _GOLDEN)


def _key_py(seed: int, turn: int) -> int:
    return _mix_py(seed_key_py(seed) ^ ((turn * _GOLDEN) & MASK64))


def draw_py(seed: int, turn: int, stream: int, index: int) -> int:
    """One 64-bit draw, pure Python (the reference the numpy version must equal)."""
    return _mix_py(_key_py(seed, turn) ^ ((stream * _M1 + index * _M2) & MASK64))


def score_py(seed: int, turn: int, stream: int, index: int) -> int:
    return draw_py(seed, turn, stream, index) | 1


# The compiled draws (``arena.jit``): the stages and the setup call these per game and candidate.
# uint64 constants throughout: numba would turn a uint64 mixed with an int64 into a float.
_M1_U, _M2_U, _GOLDEN_U = np.uint64(_M1), np.uint64(_M2), np.uint64(_GOLDEN)
_S27, _S30, _S31 = np.uint64(27), np.uint64(30), np.uint64(31)
ONE = np.uint64(1)


@kernel
def mix(z: np.uint64) -> np.uint64:
    """SplitMix64's finaliser (``_mix_py``), wrapping modulo 2**64."""
    z = np.uint64(z)  # an int64 (a Python int passed in) mixed with uint64 would become a float
    z = (z ^ (z >> _S30)) * _M1_U
    z = (z ^ (z >> _S27)) * _M2_U
    return z ^ (z >> _S31)


@kernel
def seed_key(seed: np.uint64) -> np.uint64:
    """The seed-only half of a (seed, turn) key: constant for a game (``GameBatch.seed_key``)."""
    return mix(np.uint64(seed) ^ _GOLDEN_U)


@kernel
def turn_key(key_of_seed: np.uint64, turn: int) -> np.uint64:
    """The (seed, turn) key from a ``seed_key``; shared by every draw of that game and turn."""
    return mix(np.uint64(key_of_seed) ^ (np.uint64(turn) * _GOLDEN_U))


@kernel
def draw(key: np.uint64, stream: int, index: int) -> np.uint64:
    """Draw ``index`` of ``stream`` under a ``turn_key`` (``draw_py`` of the same seed and turn)."""
    return mix(np.uint64(key) ^ (np.uint64(stream) * _M1_U + np.uint64(index) * _M2_U))


@kernel
def score(key: np.uint64, stream: int, index: int) -> np.uint64:
    """``draw | 1``: a real candidate never scores 0, so 0 can mean "not a candidate"."""
    return draw(key, stream, index) | ONE


@kernel
def _seed_keys(seeds: np.ndarray, out: np.ndarray) -> None:
    for i in range(seeds.shape[0]):
        out[i] = seed_key(seeds[i])


def seed_key_np(seeds: np.ndarray) -> np.ndarray:
    """``seed_key`` of every seed of a flat uint64 array."""
    seeds = np.ascontiguousarray(seeds, dtype=np.uint64).reshape(-1)
    out = np.empty(seeds.shape, np.uint64)
    _seed_keys(seeds, out)
    return out


@kernel
def _game_seeds(seed: np.uint64, out: np.ndarray) -> None:
    key = seed_key(seed)
    for g in range(out.shape[0]):
        out[g] = draw(turn_key(key, g), GAME_SEED, 0)


def seed_to_int(seed) -> int:
    """The one seed normalisation: any integer (Python or numpy, negative or >= 2**64) maps to its
    low 64 bits, two's complement for negatives (so -1 and 2**64 - 1 are the same seed)."""
    try:
        return operator.index(seed) & MASK64
    except TypeError:
        raise TypeError(f"seed must be an integer, got {seed!r}") from None


def seed_array(seeds: Iterable | int) -> np.ndarray:
    """``seed_to_int`` over one seed or many, as a flat uint64 array."""
    if isinstance(seeds, np.ndarray) and seeds.dtype.kind in "iu":
        return seeds.astype(np.uint64).reshape(-1)  # numpy's integer cast keeps the low 64 bits too
    if np.ndim(seeds) == 0:
        return np.array([seed_to_int(seeds)], np.uint64)
    return np.array([seed_to_int(s) for s in np.asarray(seeds, dtype=object).reshape(-1)], np.uint64)


def game_seeds(seed, count: int) -> np.ndarray:
    """Seeds of games 0..count-1 derived from one seed by hashing ``(seed, g)``: nearby seeds
    (workers seeded ``base + rank``) give unrelated games, and game g's seed does not depend on count."""
    out = np.empty(count, np.uint64)
    _game_seeds(np.uint64(seed_to_int(seed)), out)
    return out
