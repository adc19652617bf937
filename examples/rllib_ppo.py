"""Multi-agent PPO with RLlib (new API stack): one policy shared by every snake, moves masked by the env's action mask.

    python -m venv .venv-rllib && .venv-rllib/bin/pip install torch==2.13.0   # the CPU build, first
    .venv-rllib/bin/pip install -e ".[rllib]"          # ray[rllib] 2.60 pins gymnasium 1.2.2, hence its own venv
    .venv-rllib/bin/python examples/rllib_ppo.py --iterations 20

RLlib wants three things our ``dict`` observation does not give as is (docs/envs.md, "RLlib"):
its action-masking RLModule reads the mask from the key ``"action_mask"`` and the observation from
``"observations"`` (plural); its default encoder builds an MLP for a 1-D Box and a CNN only for
channel-last images; and its PettingZoo wrapper ends an episode only when every snake that moved
was terminated, or every one truncated, so when one snake dies on the ``max_turns`` turn while the
others are cut off, RLlib would step the finished game.  ``SnakeRLlibEnv`` does those three things: the
planes flattened to float32 in [0, 1] (health / 100), the keys renamed, and ``__all__`` set when
the game is over.  ``MaskAudit`` reads every finished episode back and counts the moves a snake
played that its mask forbade (it reports them as ``forbidden_moves``: 0 when masking works).
"""

from __future__ import annotations

import argparse
import json
import time

import gymnasium as gym
import numpy as np
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.callbacks.callbacks import RLlibCallback
from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv
from ray.rllib.examples.rl_modules.classes.action_masking_rlm import ActionMaskingTorchRLModule
from ray.tune.registry import register_env

from arena.env import snake_v0

AUDIT = ("moves_played", "moves_with_a_forbidden_option", "forbidden_moves")


class SnakeRLlibEnv(ParallelPettingZooEnv):
    """``snake_v0.parallel_env(**config)`` as an RLlib MultiAgentEnv with observations
    ``{"observations": Box(0, 1, (10*h*w,), float32), "action_mask": Box(0, 1, (4,), float32)}``."""

    def __init__(self, config: dict | None = None) -> None:
        super().__init__(snake_v0.parallel_env(**dict(config or {})))
        planes = self.par_env.observation_space(self.possible_agents[0])["observation"]
        self._scale = (1.0 / planes.high).astype(np.float32).reshape(-1)
        space = gym.spaces.Dict({"observations": gym.spaces.Box(0.0, 1.0, self._scale.shape, np.float32),
                                 "action_mask": gym.spaces.Box(0.0, 1.0, (4,), np.float32)})
        self.observation_space = gym.spaces.Dict({a: space for a in self.possible_agents})

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        observations, infos = self.par_env.reset(seed=seed, options=options)
        return self._convert(observations), infos

    def step(self, action_dict: dict):
        observations, rewards, terminations, truncations, infos = self.par_env.step(action_dict)
        over = not self.par_env.agents
        cut = any(truncations.values())
        terminations["__all__"], truncations["__all__"] = over and not cut, over and cut
        return self._convert(observations), rewards, terminations, truncations, infos

    def _convert(self, observations: dict) -> dict:
        return {a: {"observations": o["observation"].reshape(-1) * self._scale,
                    "action_mask": o["action_mask"].astype(np.float32)} for a, o in observations.items()}


class MaskAudit(RLlibCallback):
    """After each episode, checks every move each snake played against the mask it was shown."""

    def on_episode_end(self, *, episode, metrics_logger=None, **kwargs) -> None:
        counts = dict.fromkeys(AUDIT, 0)
        for agent_episode in episode.agent_episodes.values():
            observations, actions = agent_episode.get_observations(), agent_episode.get_actions()
            masks = observations["action_mask"] if isinstance(observations, dict) else \
                np.array([o["action_mask"] for o in observations])
            for mask, action in zip(masks, np.asarray(actions).reshape(-1)):  # the last observation has no move
                counts["moves_played"] += 1
                counts["moves_with_a_forbidden_option"] += int(not mask.all())
                counts["forbidden_moves"] += int(not mask[int(action)])
        for key, value in counts.items():
            metrics_logger.log_value(key, value, reduce="lifetime_sum")


def config(env_config: dict, batch: int, minibatch: int, epochs: int, runners: int) -> PPOConfig:
    """PPO, new API stack, one shared masked policy for all snakes."""
    register_env("snek", lambda cfg: SnakeRLlibEnv(cfg))
    return (
        PPOConfig()
        .environment("snek", env_config=env_config)
        .env_runners(num_env_runners=runners, num_envs_per_env_runner=1)
        .multi_agent(policies={"shared"}, policy_mapping_fn=lambda agent_id, episode, **kwargs: "shared")
        .rl_module(rl_module_spec=MultiRLModuleSpec(rl_module_specs={"shared": RLModuleSpec(
            module_class=ActionMaskingTorchRLModule,
            model_config={"fcnet_hiddens": [128, 128], "head_fcnet_hiddens": [64]})}))
        .callbacks(MaskAudit)
        .training(train_batch_size_per_learner=batch, minibatch_size=minibatch, num_epochs=epochs, lr=3e-4)
        .debugging(seed=0)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--batch", type=int, default=2000, help="env steps per iteration (all snakes together)")
    parser.add_argument("--minibatch", type=int, default=250)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--runners", type=int, default=0, help="remote env runners (0: sample in this process)")
    parser.add_argument("--snakes", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="print one JSON line of figures at the end")
    args = parser.parse_args()
    import ray

    ray.init(num_cpus=max(1, args.runners + 1), include_dashboard=False, log_to_driver=False)
    env_config = {"num_snakes": args.snakes, "max_turns": 300,
                  "rewards": {"win": 1.0, "loss": -1.0, "food": 0.02, "survival": 0.005}}
    algo = config(env_config, args.batch, args.minibatch, args.epochs, args.runners).build_algo()
    start, steps, lengths = time.perf_counter(), 0, []
    for i in range(args.iterations):
        result = algo.train()
        runners = result["env_runners"]
        steps = result.get("num_env_steps_sampled_lifetime", runners.get("num_env_steps_sampled_lifetime", 0))
        lengths.append(float(runners.get("episode_len_mean", float("nan"))))
        print(f"iteration {i + 1}: {steps} env steps, mean episode length {lengths[-1]:.1f} turns, "
              f"mean return {runners.get('episode_return_mean', float('nan')):.2f}", flush=True)
    seconds = time.perf_counter() - start
    audit = {key: int(runners.get(key, 0)) for key in AUDIT}
    print(f"{steps / seconds:.0f} env steps/s; {audit['moves_played']} moves in finished episodes, "
          f"{audit['moves_with_a_forbidden_option']} with a forbidden option, "
          f"{audit['forbidden_moves']} forbidden moves played")
    if args.json:
        print(json.dumps({"iterations": args.iterations, "env_steps": steps, "episode_len_mean": lengths,
                          "seconds": seconds, **audit}))
    algo.stop()
    ray.shutdown()


if __name__ == "__main__":
    main()
