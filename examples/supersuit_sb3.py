"""SB3 PPO on SuperSuit's vectorised ``snake_v0``: every snake a slot of one shared policy, dead snakes black-death'ed.

    pip install -e ".[rl,rl-test]"            # stable-baselines3 + SuperSuit (torch: a CPU build is enough)
    python examples/supersuit_sb3.py --timesteps 200000

The usual PettingZoo -> SB3 pipeline: ``black_death_v3`` (a dead snake's slot gets zero observations
and rewards until its game ends, so every game keeps ``num_snakes`` slots), ``dtype_v0`` +
``normalize_obs_v0`` + ``flatten_v0`` (the planes as float32 in [0, 1]; these want the ``planes``
format, a Box), ``pettingzoo_env_to_vec_env_v1`` and ``concat_vec_envs_v1`` (``games`` games of
``snakes`` slots each, in this process), SB3's ``VecMonitor`` and ``PPO("MlpPolicy")``.  Plain PPO
does not mask moves (see ``examples/train_ppo.py`` for MaskablePPO).

SuperSuit 3.11.0 (the latest release) has a bug in ``black_death_v3``: it ends an episode only when
every agent is terminated *and* truncated at once, which never happens, so the game's end is never
reported and the next ``step`` steps a finished game (``snake_v0`` raises ``RuntimeError: step()
called on a finished episode``; PettingZoo's own envs fail the same way).  SuperSuit PR #265 (merged
July 2026, not in a release yet) makes it *or*.  On 3.11.0 and earlier, ``black_death`` below
applies exactly that fix on top of ``black_death_v3``; on a later SuperSuit it is ``black_death_v3``
as released.  (SuperSuit's SB3 wrapper also has no ``seed()``, which SB3 calls for ``PPO(seed=...)``:
seed with ``stable_baselines3.common.utils.set_random_seed`` instead, as ``train`` does.)
"""

from __future__ import annotations

import argparse
import time
from importlib.metadata import version

import numpy as np
import supersuit as ss
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.utils import set_random_seed
from stable_baselines3.common.vec_env import VecMonitor
from supersuit.multiagent_wrappers.black_death import black_death_par

from arena.env import snake_v0

FIXED_AFTER = (3, 11, 0)  # the last SuperSuit release without PR #265


class _BlackDeathOr(black_death_par):
    """SuperSuit's parallel black death, ending the episode when every agent is terminated *or* truncated."""

    def step(self, actions):
        observations, rewards, terminations, truncations, infos = super().step(actions)
        if self.agents and not self.env.agents:  # the game is over, but 3.11.0 did not notice
            terminations = truncations = dict.fromkeys(self.agents, True)
            self.agents.clear()
        return observations, rewards, terminations, truncations, infos


def black_death(env):
    """``ss.black_death_v3(env)``, with PR #265's fix on SuperSuit releases up to 3.11.0."""
    released = tuple(int(part) for part in version("supersuit").split(".")[:3])
    return _BlackDeathOr(env) if released <= FIXED_AFTER else ss.black_death_v3(env)


def make_vec_env(games: int, snakes: int, max_turns: int = 300):
    """``games`` games of ``snakes`` snakes as one SB3 VecEnv of ``games * snakes`` slots."""
    env = snake_v0.parallel_env(num_snakes=snakes, max_cycles=max_turns, obs_format="planes",
                                rewards={"win": 1.0, "loss": -1.0, "food": 0.02, "survival": 0.005})
    env = black_death(env)
    env = ss.flatten_v0(ss.normalize_obs_v0(ss.dtype_v0(env, np.float32)))
    vec = ss.concat_vec_envs_v1(ss.pettingzoo_env_to_vec_env_v1(env), games, base_class="stable_baselines3")
    return VecMonitor(vec)


class Episodes(BaseCallback):
    """Every finished slot episode VecMonitor reports: (step, slot, length, return)."""

    def __init__(self) -> None:
        super().__init__()
        self.episodes: list[tuple[int, int, int, float]] = []

    def _on_step(self) -> bool:
        for slot, info in enumerate(self.locals["infos"]):
            if "episode" in info:
                self.episodes.append((self.num_timesteps, slot, int(info["episode"]["l"]),
                                      float(info["episode"]["r"])))
        return True


def train(timesteps: int, games: int = 4, snakes: int = 4, n_steps: int = 256, seed: int = 0):
    """Train PPO for ``timesteps`` slot-steps; return the model, every slot episode, and steps/s."""
    env = make_vec_env(games, snakes)
    set_random_seed(seed)  # not PPO(seed=...): SB3 would call env.seed(), which SuperSuit's SB3 wrapper lacks
    model = PPO("MlpPolicy", env, n_steps=n_steps, batch_size=n_steps, n_epochs=4, device="cpu", verbose=0)
    episodes = Episodes()
    start = time.perf_counter()
    model.learn(timesteps, callback=episodes)
    rate = model.num_timesteps / (time.perf_counter() - start)
    env.close()
    return model, episodes.episodes, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=200_000)
    parser.add_argument("--games", type=int, default=4)
    parser.add_argument("--snakes", type=int, default=4)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    _, episodes, rate = train(args.timesteps, args.games, args.snakes)
    lengths = [length for *_, length, _ in episodes]
    print(f"{len(episodes) // args.snakes} games, mean length {np.mean(lengths):.1f} turns; {rate:.0f} slot-steps/s")


if __name__ == "__main__":
    main()
