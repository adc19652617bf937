"""Compile and cache every kernel once: ``python -m arena.warmup``.

Why: the compiled core (``arena.jit``) compiles a kernel on its first use and caches it in the
package's ``__pycache__``; the first use after an install therefore takes ~30 s of CPU.  Running this
once after installing (CI does, before the tests, so test subprocesses do not each compile the same
kernels) moves that cost out of the first game.
"""

from __future__ import annotations

import time

import numpy as np

from arena.engine import Engine
from arena.env import vector_env
from arena.env.observation import OBS_FORMATS
from arena.position import batch_view, read_view
from arena.rules import RULESETS

_SNAKE = {"id": "a", "health": 90, "body": [{"x": 1, "y": 1}, {"x": 1, "y": 0}, {"x": 0, "y": 0}]}
REQUEST = {  # a small request for the bots' helpers (``arena.position``, ``arena.flood``)
    "game": {"id": "warm-up", "ruleset": {"name": "standard", "settings": {}}}, "turn": 3,
    "board": {"width": 5, "height": 5, "food": [{"x": 3, "y": 3}], "hazards": [{"x": 2, "y": 2}],
              "snakes": [_SNAKE, {"id": "b", "health": 90, "body": [{"x": 4, "y": 4}, {"x": 4, "y": 3}]}]},
    "you": _SNAKE,
}


def warm_up() -> None:
    """Play one short batch of every ruleset, with masks and every observation format, and read a
    request the way the built-in bots do."""
    for name in RULESETS:
        engine = Engine(name)
        batch = engine.new_batch(range(2), num_snakes=2)
        engine.step(batch, np.zeros(batch.alive.shape, np.int8))
        engine.deadly_moves(batch)
        engine.frame(batch, 0)
    for obs_format in OBS_FORMATS:
        env = vector_env(num_games=2, num_snakes=2, obs_format=obs_format)
        _, infos = env.reset(seed=0)
        env.step(np.argmax(infos["action_mask"], axis=1))
    batch = Engine("standard").new_batch([0], num_snakes=2)
    for view in (read_view(REQUEST), batch_view(batch, 0, 0, 14, "warm-up")):
        targets = [view.target(m) for m in view.safe_moves()]
        view.room(targets, view.rivals())
        view.room(targets)
        view.food_distance(targets)


def main() -> None:
    began = time.perf_counter()
    warm_up()
    print(f"snek-arena kernels compiled and cached in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
