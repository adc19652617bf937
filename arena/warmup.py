"""Compile and cache every kernel once: ``python -m arena.warmup``.

Why: the compiled core (``arena.jit``) compiles a kernel on its first use and caches it in the
package's ``__pycache__``; the first use after an install therefore takes ~30 s of CPU.  Running this
once after installing (CI does, before the tests, so test subprocesses do not each compile the same
kernels) moves that cost out of the first game.
"""

from __future__ import annotations

import time

import numpy as np

from arena.engine import Engine, seat_ids
from arena.env import vector_env
from arena.env.observation import OBS_FORMATS
from arena.heuristics import GREEDY, SPACE
from arena.heuristics import prepare as prepare_rule
from arena.lookahead import Lookahead
from arena.position import prepare
from arena.pyrandom import choice_index, choice_indices
from arena.rules import RULESETS


def warm_up() -> None:
    """Play one short batch of every ruleset, with masks, a search tree and every observation format, and
    read a request the way the built-in bots do (one snake, and a lockstep batch)."""
    for name in RULESETS:
        engine = Engine(name)
        batch = engine.new_batch(range(2), num_snakes=2)
        engine.step(batch, np.zeros(batch.alive.shape, np.int8))
        engine.deadly_moves(batch)
        engine.frame(batch, 0)
        engine.frame_lines(batch, [0], seat_ids(2), np.full(2, -1, np.int64))  # a tournament's replay lines
        Lookahead(engine).values(batch.select([0]), 0, [1], 1, 2, 1_000)  # the search bots' tree
    for obs_format in OBS_FORMATS:
        env = vector_env(num_games=2, num_snakes=2, obs_format=obs_format)
        _, infos = env.reset(seed=0)
        env.step(np.argmax(infos["action_mask"], axis=1))
    prepare()
    for rule in (GREEDY, SPACE):
        prepare_rule(rule)
    choice_index(0, 2)
    choice_indices(np.zeros(1, np.int64), np.full(1, 2, np.int64))


def main() -> None:
    began = time.perf_counter()
    warm_up()
    print(f"snek-arena kernels compiled and cached in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
