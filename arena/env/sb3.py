"""Stable-Baselines3 ``VecEnv`` over the self-play vector env: every snake slot one SB3 env, one shared policy.

Why an adapter: SB3 only takes its own ``VecEnv`` (it rejects a Gymnasium ``VectorEnv``), and
its contract is Gymnasium's SAME_STEP autoreset with the last observation in
``info["terminal_observation"]``.  Wrapping the batched env keeps its speed (one engine call per
step for every game) while MaskablePPO trains one policy on all seats (parameter sharing), with
``action_masks()`` for sb3-contrib.  Needs the ``rl`` extra (stable-baselines3, sb3-contrib).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env import VecEnv

from arena.env.vector import SnakeVectorEnv


class SnakeSB3VecEnv(VecEnv):
    """``num_envs = num_games * num_snakes`` SB3 envs, slot ``i`` = seat ``i % N`` of game ``i // N``.

    Episodes follow the vector env's "black death" meaning (``docs/envs.md``): a dead snake's slot
    gets zero observations and reward 0 until its game ends, then every slot of the game is done
    at once.  At that step ``infos[i]`` holds ``terminal_observation``, ``TimeLimit.truncated``
    (SB3 bootstraps from truncated slots) and ``episode = {"r", "l"}`` (what ``VecMonitor`` and
    SB3's logger read); the returned observation is the new game's first.
    """

    def __init__(self, env: SnakeVectorEnv) -> None:
        if env.autoreset_mode != AutoresetMode.SAME_STEP:
            raise ValueError("SB3 needs autoreset_mode='same_step' (its VecEnv contract): use sb3_vec_env(...)")
        if not env.copy:
            raise ValueError("SB3 keeps the last observations across a step: the vector env needs copy=True")
        self.env = env
        super().__init__(env.num_envs, env.single_observation_space, env.single_action_space)
        self._actions: np.ndarray | None = None

    def reset(self):
        seed = self._seeds[0]
        obs, _ = self.env.reset(seed=seed)
        self._reset_seeds()
        self._reset_options()
        self.reset_infos = [{} for _ in range(self.num_envs)]
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions).reshape(self.num_envs)

    def step_wait(self):
        obs, rewards, terminated, truncated, infos = self.env.step(self._actions)
        dones = terminated | truncated
        out: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        done_slots = np.flatnonzero(dones)
        if done_slots.size:
            final, returns, lengths = infos["final_obs"], infos["episode_return"], infos["episode_length"]
            for slot in done_slots.tolist():
                out[slot] = {"terminal_observation": final[slot], "TimeLimit.truncated": bool(truncated[slot]),
                             "episode": {"r": float(returns[slot]), "l": int(lengths[slot])}}
        return obs, rewards, dones, out

    def action_masks(self) -> np.ndarray:
        """(num_envs, 4) bool: moves that do not kill outright (all ones on dead slots)."""
        return self.env.action_masks()

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """Seed the next ``reset()``: game ``g`` then gets a seed hashed from ``(seed, g)``."""
        self._seeds = [seed] + [None] * (self.num_envs - 1)
        return self._seeds

    def close(self) -> None:
        self.env.close()

    # One vector env serves every slot: attributes are shared, per-slot arrays are split by slot.

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        value = getattr(self, attr_name) if attr_name == "action_masks" else getattr(self.env, attr_name)
        return [value for _ in self._indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        setattr(self.env, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs) -> list[Any]:
        method = self.action_masks if method_name == "action_masks" else getattr(self.env, method_name)
        result = method(*method_args, **method_kwargs)
        slots = self._indices(indices)
        if isinstance(result, np.ndarray) and result.ndim and result.shape[0] == self.num_envs:
            return list(result[slots])
        return [result for _ in slots]

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False for _ in self._indices(indices)]

    def _indices(self, indices) -> list[int]:
        if indices is None:
            return list(range(self.num_envs))
        return [indices] if isinstance(indices, int) else list(indices if isinstance(indices, Iterable) else [indices])


def sb3_vec_env(**kwargs) -> SnakeSB3VecEnv:
    """``vector_env(**kwargs)`` (same-step autoreset, fresh arrays) as an SB3 ``VecEnv``."""
    return SnakeSB3VecEnv(SnakeVectorEnv(**{**kwargs, "autoreset_mode": AutoresetMode.SAME_STEP, "copy": True}))
