"""The compiled seeded choice (arena/pyrandom.py) is ``random.Random(seed).choice`` exactly: the built-in
bots' recorded moves, the ladder and every saved replay depend on that stream."""

from __future__ import annotations

import operator
import random

from arena.pyrandom import choice_index

CHOICES = (1, 2, 3, 4, 5, 8, 9, 1000)


def test_the_same_index_as_python_for_every_seed_and_size() -> None:
    pick = random.Random(17)
    seeds = [0, 1, 2, 0xFFFFFFFF, 0x80000000] + [pick.getrandbits(32) for _ in range(3000)]
    compared = differ = 0
    for seed in seeds:
        for n in CHOICES:
            index = operator.index(choice_index(seed, n))  # an integer (a float index fails here)
            differ += index != random.Random(seed).choice(range(n))
            compared += 1
    assert compared == len(seeds) * len(CHOICES) == 24040
    assert differ == 0


def test_draws_that_need_several_words_match_too() -> None:
    """Choices among 2 or 4 reject half the 2- or 3-bit draws: seeds whose first draws are rejected
    several times in a row read later words of the state."""
    n = 4
    long_waits = []
    for seed in range(20000):
        rnd = random.Random(seed)
        draws = 1
        while rnd.getrandbits(n.bit_length()) >= n:
            draws += 1
        if draws >= 5:
            long_waits.append(seed)
    assert len(long_waits) > 100
    assert [choice_index(s, n) for s in long_waits] == [random.Random(s).choice(range(n)) for s in long_waits]
