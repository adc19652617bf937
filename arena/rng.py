"""Counter-based random draws keyed by (seed, turn, stream, index).

Why: a game's history must depend only on its own seed and moves, never on the batch it
runs in.  A stateless hash of the key gives every game and turn its own independent
stream, identical whether computed for one game in pure Python or for 1024 games in numpy.

draw = mix(key(seed, turn) ^ (stream * M1 + index * M2)), where key folds the seed and the
turn in with two rounds of SplitMix64's finaliser (``mix``).  The (game, turn) key is the
expensive part and is shared by every draw of that game and turn.
Every random choice in the rules is "the candidate with the highest ``score``", where
``score = draw | 1`` (so a real candidate never scores 0), ties broken by the lowest
candidate index.  The streams below name each kind of choice; ``docs/rules.md`` lists them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

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


def _mix_py(z: int) -> int:
    z &= MASK64
    z = ((z ^ (z >> 30)) * _M1) & MASK64
    z = ((z ^ (z >> 27)) * _M2) & MASK64
    return z ^ (z >> 31)


def _key_py(seed: int, turn: int) -> int:
    return _mix_py(_mix_py(seed ^ _GOLDEN) ^ ((turn * _GOLDEN) & MASK64))


def draw_py(seed: int, turn: int, stream: int, index: int) -> int:
    """One 64-bit draw, pure Python (the reference the numpy version must equal)."""
    return _mix_py(_key_py(seed, turn) ^ ((stream * _M1 + index * _M2) & MASK64))


def score_py(seed: int, turn: int, stream: int, index: int) -> int:
    return draw_py(seed, turn, stream, index) | 1


def _mix_np(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, in place on a fresh uint64 array (this is the hot loop of food spawning)."""
    tmp = np.empty_like(z)
    for shift, mult in ((30, _M1), (27, _M2)):
        np.right_shift(z, np.uint64(shift), out=tmp)
        np.bitwise_xor(z, tmp, out=z)
        np.multiply(z, np.uint64(mult), out=z)
    np.right_shift(z, np.uint64(31), out=tmp)
    return np.bitwise_xor(z, tmp, out=z)


def key_np(seeds: np.ndarray, turns: np.ndarray | int) -> np.ndarray:
    """The (game, turn) part of the hash; reuse it for every draw of that game and turn."""
    z = _mix_np(np.asarray(seeds, dtype=np.uint64) ^ np.uint64(_GOLDEN))
    return _mix_np(z ^ (np.asarray(turns).astype(np.uint64) * np.uint64(_GOLDEN)))


@lru_cache(maxsize=64)
def _salts(stream: int, count: int) -> np.ndarray:
    salts = (np.arange(count, dtype=np.uint64) * np.uint64(_M2)) + np.uint64((stream * _M1) & MASK64)
    salts.setflags(write=False)
    return salts


def draw_np(key: np.ndarray, stream: int, index: np.ndarray | range | int) -> np.ndarray:
    """Draws for ``key`` (any shape) and candidate ``index`` (broadcast against it)."""
    if isinstance(index, range):  # the common case: candidates 0..n-1, salts cached
        salt = _salts(stream, index.stop) if index.start == 0 else _salts(stream, index.stop)[index.start:]
    else:
        salt = np.asarray(index).astype(np.uint64) * np.uint64(_M2) + np.uint64((stream * _M1) & MASK64)
    return _mix_np(key ^ salt)


def score_np(key: np.ndarray, stream: int, index: np.ndarray | range | int) -> np.ndarray:
    return draw_np(key, stream, index) | np.uint64(1)


def seed_to_int(seed: int) -> int:
    """Seeds are any Python int; only their low 64 bits matter."""
    return int(seed) & MASK64
