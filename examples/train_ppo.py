"""Train a masked PPO snake on ``snek/Snake-v0`` against the built-in `safe` bot; print its win rate before and after.

    pip install -e ".[rl]"          # stable-baselines3 + sb3-contrib (torch: a CPU build is enough)
    python examples/train_ppo.py            # 150k steps: about 7 minutes on one CPU core

A 1-vs-1 game on 11x11; the agent sees the egocentric window and only ever picks moves its
action mask allows (sb3-contrib's MaskablePPO reads ``env.action_masks()``).  docs/envs.md
quotes how long this takes on a laptop-class CPU.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from sb3_contrib import MaskablePPO
from sb3_contrib.common.wrappers import ActionMasker
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

import arena.env  # noqa: F401 - registers snek/Snake-v0


class Planes(gym.ObservationWrapper):
    """The observation planes as float32 in [0, 1] (health / 100); the mask comes from ``action_masks()``."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.observation_space = spaces.Box(0.0, 1.0, env.observation_space["observation"].shape, np.float32)
        self.scale = (1.0 / env.observation_space["observation"].high).astype(np.float32)

    def observation(self, observation: dict) -> np.ndarray:
        return observation["observation"] * self.scale


class SmallCnn(BaseFeaturesExtractor):
    """Two 3x3 convolutions over the (10, 11, 11) window, then one dense layer."""

    def __init__(self, space: spaces.Box, features_dim: int = 256) -> None:
        super().__init__(space, features_dim)
        channels, height, width = space.shape
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(channels, 32, 3, padding=1), torch.nn.ReLU(),
            torch.nn.Conv2d(32, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
            torch.nn.Linear(32 * height * width, features_dim), torch.nn.ReLU())

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        return self.net(observations)


def make_env() -> gym.Env:
    env = gym.make("snek/Snake-v0", opponents=["safe"], max_turns=300,
                   rewards={"win": 1.0, "loss": -1.0, "food": 0.02, "survival": 0.005})
    return ActionMasker(Planes(env), lambda e: e.unwrapped.action_masks())


def win_rate(model: MaskablePPO, games: int, seed: int) -> float:
    env, wins = make_env(), 0
    for game in range(games):
        obs, info = env.reset(seed=seed + game)
        done = False
        while not done:
            action, _ = model.predict(obs, deterministic=True, action_masks=env.unwrapped.action_masks())
            obs, _, terminated, truncated, info = env.step(int(action))
            done = terminated or truncated
        wins += info.get("winner") == "snake_0"
    return wins / games


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=150_000)
    parser.add_argument("--envs", type=int, default=8)
    parser.add_argument("--eval-games", type=int, default=100)
    args = parser.parse_args()
    torch.set_num_threads(1)
    vec = make_vec_env(make_env, n_envs=args.envs, seed=0)
    model = MaskablePPO("MlpPolicy", vec, n_steps=256, batch_size=512, learning_rate=3e-4, gamma=0.99,
                        ent_coef=0.01, seed=0, verbose=0,
                        policy_kwargs={"features_extractor_class": SmallCnn, "net_arch": [128]})
    print(f"win rate vs safe before training: {win_rate(model, args.eval_games, 10_000):.0%}")
    began = time.perf_counter()
    model.learn(total_timesteps=args.timesteps)
    took = time.perf_counter() - began
    print(f"trained {args.timesteps:,} steps in {took:.0f}s ({args.timesteps / took:,.0f} steps/s)")
    print(f"win rate vs safe after training:  {win_rate(model, args.eval_games, 10_000):.0%}")


if __name__ == "__main__":
    main()
