"""Environments over the batched engine: PettingZoo parallel, Gymnasium single-agent, self-play vector.

Importing this package registers ``snek/Snake-v0`` (the single-agent env) with Gymnasium.
``docs/envs.md`` documents spaces, channels, rewards and the vector API.
"""

from __future__ import annotations

import gymnasium

from arena.env import snake_v0
from arena.env.core import Rewards
from arena.env.observation import CHANNELS
from arena.env.parallel import SnakeParallelEnv, parallel_env
from arena.env.single import SnakeEnv
from arena.env.vector import SnakeVectorEnv

__all__ = ["CHANNELS", "Rewards", "SnakeEnv", "SnakeParallelEnv", "SnakeVectorEnv", "parallel_env", "snake_v0",
           "vector_env"]

ENV_ID = "snek/Snake-v0"
if ENV_ID not in gymnasium.registry:
    gymnasium.register(ENV_ID, entry_point="arena.env.single:SnakeEnv")


def vector_env(**kwargs) -> SnakeVectorEnv:
    """``SnakeVectorEnv(num_games=1024, num_snakes=4, ...)``: the batched self-play env."""
    return SnakeVectorEnv(**kwargs)
