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

import operator
from collections.abc import Iterable
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
GAME_SEED = 30  # turn: game number g; index 0 (per-game seeds of a vector env reset with one seed)


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


# Constants made once: building numpy scalars per call costs as much as a small array op
# (0-d arrays: numpy converts scalar operands on every call)
_M1_NP, _M2_NP, _GOLDEN_NP = (np.array(v, np.uint64) for v in (_M1, _M2, _GOLDEN))
_S27, _S30, _S31 = (np.array(v, np.uint64) for v in (27, 30, 31))
ONE = np.array(1, np.uint64)
for _constant in (_M1_NP, _M2_NP, _GOLDEN_NP, _S27, _S30, _S31, ONE):
    _constant.setflags(write=False)


def _mix_np(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on a fresh uint64 array (this is the hot loop of food spawning).

    Large arrays are mixed in place (no temporaries to fill the cache); small ones out of
    place, because numpy's in-place ufuncs take a slow path on one-element arrays.
    """
    if z.size > 64:
        z ^= z >> _S30
        z *= _M1_NP
        z ^= z >> _S27
        z *= _M2_NP
        z ^= z >> _S31
        return z
    z = z ^ (z >> _S30)
    z = z * _M1_NP
    z = z ^ (z >> _S27)
    z = z * _M2_NP
    return z ^ (z >> _S31)


def seed_key_np(seeds: np.ndarray) -> np.ndarray:
    """The seed-only half of ``key_np`` (constant for a game: worth keeping)."""
    return _mix_np(np.asarray(seeds, dtype=np.uint64) ^ _GOLDEN_NP)


def turn_key_np(seed_keys: np.ndarray, turns: np.ndarray | int) -> np.ndarray:
    """``key_np`` from a ``seed_key_np``."""
    return _mix_np(seed_keys ^ (np.asarray(turns).astype(np.uint64) * _GOLDEN_NP))


def key_np(seeds: np.ndarray, turns: np.ndarray | int) -> np.ndarray:
    """The (game, turn) part of the hash; reuse it for every draw of that game and turn."""
    return turn_key_np(seed_key_np(seeds), turns)


@lru_cache(maxsize=64)
def salts(stream: int, count: int) -> np.ndarray:
    """The per-candidate halves of draws 0..count-1 of a stream (see ``draw_salted_np``)."""
    values = (np.arange(count, dtype=np.uint64) * np.uint64(_M2)) + np.uint64((stream * _M1) & MASK64)
    values.setflags(write=False)
    return values


def draw_salted_np(key: np.ndarray, salt: np.ndarray) -> np.ndarray:
    """Draws for precomputed ``salts`` (concatenate several streams' to draw them in one go)."""
    return _mix_np(key ^ salt)


def draw_np(key: np.ndarray, stream: int, index: np.ndarray | range | int) -> np.ndarray:
    """Draws for ``key`` (any shape) and candidate ``index`` (broadcast against it)."""
    if isinstance(index, range):  # the common case: candidates 0..n-1, salts cached
        salt = salts(stream, index.stop) if index.start == 0 else salts(stream, index.stop)[index.start:]
    else:
        salt = np.asarray(index).astype(np.uint64) * _M2_NP + np.uint64((stream * _M1) & MASK64)
    return _mix_np(key ^ salt)


def score_np(key: np.ndarray, stream: int, index: np.ndarray | range | int) -> np.ndarray:
    z = draw_np(key, stream, index)
    z |= ONE
    return z


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
    keys = key_np(np.full(count, seed_to_int(seed), np.uint64), np.arange(count))
    return draw_np(keys, GAME_SEED, 0)
