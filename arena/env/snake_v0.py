"""The Snake env as a PettingZoo environment module: ``from arena.env import snake_v0``.

PettingZoo's own envs are modules with ``env()`` (AEC, wrapped), ``raw_env()`` (AEC, unwrapped)
and ``parallel_env()``, and its tests (``max_cycles_test(mod)``, ``seed_test(mod.env)``, ...) take
them in that shape; this module is that shape over :class:`arena.env.parallel.SnakeParallelEnv`,
which is parallel-native (every snake moves at once), so the AEC versions step it through
PettingZoo's own ``parallel_to_aec_wrapper`` as PettingZoo's tutorial for parallel envs does.

Every function takes the parallel env's arguments (``docs/envs.md``); ``max_cycles`` is accepted
as PettingZoo's name of ``max_turns``.
"""

from __future__ import annotations

from typing import Any

from pettingzoo import AECEnv
from pettingzoo.utils import wrappers
from pettingzoo.utils.conversions import parallel_to_aec_wrapper

from arena.env.parallel import SnakeParallelEnv


def parallel_env(**kwargs: Any) -> SnakeParallelEnv:
    """The parallel env: ``snake_v0.parallel_env(num_snakes=4, max_cycles=500, ...)``."""
    return SnakeParallelEnv(**kwargs)


def raw_env(**kwargs: Any) -> AECEnv:
    """The AEC env without PettingZoo's checking wrappers (snakes act in seat order, moves apply once all have)."""
    return parallel_to_aec_wrapper(parallel_env(**kwargs))


def env(**kwargs: Any) -> AECEnv:
    """The AEC env with PettingZoo's standard wrappers: actions outside ``Discrete(4)`` are asserted
    against, and ``step``/``last`` before ``reset`` raise (``OrderEnforcingWrapper``)."""
    aec = wrappers.AssertOutOfBoundsWrapper(raw_env(**kwargs))
    return wrappers.OrderEnforcingWrapper(aec)
