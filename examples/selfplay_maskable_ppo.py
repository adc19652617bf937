"""Self-play: MaskablePPO trains one policy for every snake of a vector env, then plays the built-in `space` bot.

    pip install -e ".[rl]"          # stable-baselines3 + sb3-contrib (torch: a CPU build is enough)
    python examples/selfplay_maskable_ppo.py                 # 200k steps; docs/envs.md quotes time and result

``arena.env.sb3.sb3_vec_env`` makes the batched vector env an SB3 ``VecEnv`` whose envs are the
snake slots of ``--games`` 1-vs-1 games: the policy plays both sides (parameter sharing) and only
picks moves its action mask allows (``action_masks()``).  Before and after training, the policy
plays ``--eval-games`` games as ``snake_0`` against the `space` bot (``snek/Snake-v0``) and the
win rates are printed, with the training speed in steps/s.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from sb3_contrib import MaskablePPO
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

from arena.env import SnakeEnv
from arena.env.sb3 import sb3_vec_env

REWARDS = {"win": 1.0, "loss": -1.0, "food": 0.02, "survival": 0.005}


class PlanesCnn(BaseFeaturesExtractor):
    """Two 3x3 convolutions over the observation planes (scaled to [0, 1]), then one dense layer; the
    mask is not a feature (MaskablePPO applies it to the action distribution)."""

    def __init__(self, space: spaces.Dict, features_dim: int = 128) -> None:
        super().__init__(space, features_dim)
        planes = space["observation"]
        channels, height, width = planes.shape
        self.register_buffer("scale", torch.as_tensor(1.0 / planes.high, dtype=torch.float32))
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(channels, 16, 3, padding=1), torch.nn.ReLU(),
            torch.nn.Conv2d(16, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
            torch.nn.Linear(16 * height * width, features_dim), torch.nn.ReLU())

    def forward(self, observations: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.net(observations["observation"] * self.scale)


def play_space(model: MaskablePPO, games: int, seed: int, max_turns: int) -> tuple[float, float]:
    """The policy as snake_0 against `space` on the single-agent env: (share of games won, mean turns survived)."""
    env: gym.Env = SnakeEnv(opponents=["space"], max_turns=max_turns, rewards=REWARDS)
    wins = turns = 0
    for game in range(games):
        obs, info = env.reset(seed=seed + game)
        done = False
        while not done:
            action, _ = model.predict(obs, deterministic=True, action_masks=env.action_masks())
            obs, _, terminated, truncated, info = env.step(int(action))
            done = terminated or truncated
            turns += 1
        wins += info.get("winner") == "snake_0"
    env.close()
    return wins / games, turns / games


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=200_000, help="slot-steps to train (all snakes count)")
    parser.add_argument("--games", type=int, default=16, help="1-vs-1 games stepped together")
    parser.add_argument("--n-steps", type=int, default=64, help="steps per slot per PPO rollout")
    parser.add_argument("--eval-games", type=int, default=50)
    parser.add_argument("--max-turns", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    env = sb3_vec_env(num_games=args.games, num_snakes=2, max_turns=args.max_turns, rewards=REWARDS)
    env.seed(args.seed)
    slots = env.num_envs
    model = MaskablePPO("MultiInputPolicy", env, n_steps=args.n_steps, batch_size=min(1024, slots * args.n_steps),
                        n_epochs=4, learning_rate=3e-4, gamma=0.99, ent_coef=0.01, seed=args.seed, verbose=0,
                        policy_kwargs={"features_extractor_class": PlanesCnn, "net_arch": [64]})
    eval_seed = 10_000 + args.seed
    won, lived = play_space(model, args.eval_games, eval_seed, args.max_turns)
    print(f"untrained policy vs space: won {won:.0%} of {args.eval_games} games, survived {lived:.0f} turns on average")
    began = time.perf_counter()
    model.learn(total_timesteps=args.timesteps)
    took = time.perf_counter() - began
    episodes = list(model.ep_info_buffer)
    mean_length = np.mean([e["l"] for e in episodes]) if episodes else float("nan")
    print(f"trained {model.num_timesteps:,} steps ({slots} snake slots) in {took:.0f}s: "
          f"{model.num_timesteps / took:,.0f} steps/s; mean game length of the last {len(episodes)} episodes "
          f"{mean_length:.0f} turns")
    won, lived = play_space(model, args.eval_games, eval_seed, args.max_turns)
    print(f"trained policy vs space:   won {won:.0%} of {args.eval_games} games, survived {lived:.0f} turns on average")


if __name__ == "__main__":
    main()
