"""``random.Random(seed).choice(range(n))``, compiled: the same index, without a Python generator.

Why: the built-in bots seed a fresh ``random.Random`` per move from (game, turn, snake), so a game
replays the same choices; their recorded moves, the ladder and every saved replay depend on that
exact stream.  Creating and seeding the Python object cost more than a whole move of ``safe``, so
this is CPython's Mersenne Twister seeding (``init_by_array`` with the seed as its one 32-bit word)
and ``_randbelow`` (``getrandbits(n.bit_length())`` until below ``n``), reading only the few words
of the first twist it needs.  ``tests/test_pyrandom.py`` compares it with ``random.Random``.
"""

from __future__ import annotations

import numpy as np

from arena.geometry import frozen
from arena.jit import kernel

_N, _M = 624, 397
_WORD = np.uint64(0xFFFFFFFF)


def _genrand_start() -> np.ndarray:
    """The state every seeding starts from (CPython ``init_genrand(19650218)``): the same for any seed."""
    mt = [19650218]
    for i in range(1, _N):
        mt.append((1812433253 * (mt[-1] ^ (mt[-1] >> 30)) + i) & 0xFFFFFFFF)
    return np.array(mt, np.uint64)


_START = frozen(_genrand_start())


@kernel
def _seeded(seed: int) -> np.ndarray:
    """The generator's state after ``random.Random(seed)`` for 0 <= seed < 2**32 (CPython ``random_seed``)."""
    mt = _START.copy()
    i = 1
    key = np.uint64(seed) & _WORD
    for _ in range(_N):  # init_by_array, one key word (j stays 0)
        prev = mt[i - 1]
        mt[i] = ((mt[i] ^ (((prev ^ (prev >> np.uint64(30))) * np.uint64(1664525)) & _WORD)) + key) & _WORD
        i += 1
        if i >= _N:
            mt[0] = mt[_N - 1]
            i = 1
    for _ in range(_N - 1):
        prev = mt[i - 1]
        mt[i] = ((mt[i] ^ (((prev ^ (prev >> np.uint64(30))) * np.uint64(1566083941)) & _WORD)) - np.uint64(i)) & _WORD
        i += 1
        if i >= _N:
            mt[0] = mt[_N - 1]
            i = 1
    mt[0] = np.uint64(0x80000000)
    return mt


@kernel
def _output(mt: np.ndarray, k: int) -> np.uint64:
    """The ``k``-th 32-bit output (k < N - M) of the freshly seeded state ``mt``: its twisted word, tempered."""
    y = (mt[k] & np.uint64(0x80000000)) | (mt[k + 1] & np.uint64(0x7FFFFFFF))
    y = mt[k + _M] ^ (y >> np.uint64(1)) ^ (np.uint64(0x9908B0DF) if y & np.uint64(1) else np.uint64(0))
    y ^= y >> np.uint64(11)
    y ^= (y << np.uint64(7)) & np.uint64(0x9D2C5680)
    y ^= (y << np.uint64(15)) & np.uint64(0xEFC60000)
    y ^= y >> np.uint64(18)
    return y & _WORD


@kernel
def choice_index(seed: int, n: int) -> int:
    """``random.Random(seed).choice(range(n))`` for 0 <= seed < 2**32 and 1 <= n <= 2**16."""
    mt = _seeded(seed)
    bits = 0
    while (1 << bits) <= n:
        bits += 1
    for k in range(_N - _M):  # each draw is accepted with odds over 1/2: 227 misses never happen
        r = _output(mt, k) >> np.uint64(32 - bits)
        if r < np.uint64(n):
            return np.int64(r)
    return np.int64(0)


@kernel
def choice_indices(seeds: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``choice_index(seeds[k], counts[k])`` for every ``k`` in one call (a bot answering many snakes)."""
    out = np.empty(seeds.shape[0], np.int64)
    for k in range(seeds.shape[0]):
        out[k] = choice_index(seeds[k], counts[k])
    return out
