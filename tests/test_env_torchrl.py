"""TorchRL's GymWrapper over the self-play vector env: specs check out, and a rollout is exactly the env's run."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from prereq import need_module

torch = need_module("torch", "CI installs torch==2.13.0 (CPU) with the rl extras")
torchrl = need_module("torchrl", "the rl-test extra (CI installs it)")
from torchrl.envs import GymWrapper  # noqa: E402
from torchrl.envs.utils import check_env_specs  # noqa: E402

from arena.env import vector_env  # noqa: E402


def test_gym_wrapper_rollout_matches_the_env():
    """``autoreset_mode="disabled"`` (TorchRL's preferred mode): TorchRL resets the ended games itself through
    ``reset(options={"reset_mask": ...})``; a twin env driven by hand with the same actions and resets gives
    the same observations, masks, rewards and done flags at every step."""
    base = vector_env(num_games=3, num_snakes=3, width=7, height=7, max_turns=15, autoreset_mode="disabled")
    env = GymWrapper(base)
    assert env.batch_size == (9,)
    check_env_specs(env)
    env.set_seed(11)
    first = env.reset()
    twin = copy.deepcopy(base)  # the same games from here on
    np.testing.assert_array_equal(first["observation"].numpy(), twin.games.observer.observe(twin.games.batch))
    steps = 40
    generator = torch.Generator().manual_seed(0)

    def masked_policy(td):  # a random move among those the mask allows, one-hot as the action spec wants
        scores = torch.rand(td["action_mask"].shape, generator=generator) * td["action_mask"]
        td["action"] = torch.nn.functional.one_hot(scores.argmax(-1), 4)
        return td

    td = env.rollout(steps, masked_policy, break_when_any_done=False, auto_reset=False, tensordict=first)
    assert td.batch_size == (9, steps)
    assert td["observation"].shape == (9, steps, 10, 7, 7) and td["next", "reward"].shape == (9, steps, 1)
    np.testing.assert_array_equal(td["observation"][:, 0].numpy(), first["observation"].numpy())
    ends = 0
    for t in range(steps):
        actions = td["action"][:, t].argmax(-1).numpy()  # one-hot actions
        obs, rewards, terms, truncs, infos = twin.step(actions)
        nxt = td["next"][:, t]
        np.testing.assert_array_equal(nxt["observation"].numpy(), obs["observation"])
        np.testing.assert_array_equal(nxt["action_mask"].numpy(), obs["action_mask"])
        np.testing.assert_array_equal(nxt["reward"][:, 0].numpy(), rewards)
        np.testing.assert_array_equal(nxt["terminated"][:, 0].numpy(), terms)
        np.testing.assert_array_equal(nxt["truncated"][:, 0].numpy(), truncs)
        np.testing.assert_array_equal(nxt["done"][:, 0].numpy(), terms | truncs)
        done = terms | truncs
        if done.any():
            ends += done.sum()
            obs, infos = twin.reset(options={"reset_mask": done})
        if t + 1 < steps:
            np.testing.assert_array_equal(td["observation"][:, t + 1].numpy(), obs["observation"])
    assert ends >= 6 and td["next", "truncated"].any() and td["next", "terminated"].any()


def test_gym_wrapper_refuses_next_step_with_a_reason():
    """TorchRL refuses NEXT_STEP autoreset (the env's default), so the recipe passes ``autoreset_mode``."""
    with pytest.raises(RuntimeError, match="SAME_STEP or DISABLED"):
        GymWrapper(vector_env(num_games=1, num_snakes=2))
