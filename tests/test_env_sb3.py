"""The SB3 adapter over the vector env: SB3's own wrappers agree with it, MaskablePPO's masks reach the
policy, and the self-play example runs (a tiny budget; docs/envs.md quotes a real run)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("stable_baselines3", reason="stable-baselines3 is in the rl extra (CI installs it)")
pytest.importorskip("sb3_contrib", reason="sb3-contrib is in the rl extra (CI installs it)")
from sb3_contrib import MaskablePPO  # noqa: E402
from sb3_contrib.common.maskable.utils import get_action_masks, is_masking_supported  # noqa: E402
from stable_baselines3.common.vec_env import VecCheckNan, VecEnvWrapper, VecMonitor  # noqa: E402

from arena.env import vector_env  # noqa: E402
from arena.env.sb3 import SnakeSB3VecEnv, sb3_vec_env  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SMALL = {"num_games": 4, "num_snakes": 3, "width": 7, "height": 7, "max_turns": 20}


def masked_random(rng: np.random.Generator, masks: np.ndarray) -> np.ndarray:
    return np.argmax(rng.random(masks.shape) * masks, axis=1)


def test_adapter_steps_like_the_vector_env_and_vec_monitor_agrees():
    """Observations, rewards and dones are the vector env's (same-step autoreset); done slots carry the final
    observation as ``terminal_observation``; SB3's VecMonitor counts the same episodes, returns and lengths."""
    adapter = sb3_vec_env(**SMALL)
    env = VecMonitor(VecCheckNan(adapter, raise_exception=True))
    twin = vector_env(**SMALL, autoreset_mode="same_step")
    assert env.num_envs == 12 and env.observation_space == twin.single_observation_space
    assert is_masking_supported(env)
    env.seed(5)
    obs = env.reset()
    twin_obs, _ = twin.reset(seed=5)
    np.testing.assert_array_equal(obs["observation"], twin_obs["observation"])
    rng = np.random.default_rng(5)
    episodes = truncated = 0
    for _ in range(80):
        masks = get_action_masks(env)
        np.testing.assert_array_equal(masks, twin.action_masks())
        actions = masked_random(rng, masks)
        obs, rewards, dones, infos = env.step(actions)
        twin_obs, twin_rewards, terms, truncs, twin_infos = twin.step(actions)
        np.testing.assert_array_equal(obs["observation"], twin_obs["observation"])
        np.testing.assert_array_equal(rewards, twin_rewards)
        np.testing.assert_array_equal(dones, terms | truncs)
        for slot in range(12):
            if not dones[slot]:
                assert "terminal_observation" not in infos[slot] and "episode" not in infos[slot]
                continue
            final = infos[slot]["terminal_observation"]
            np.testing.assert_array_equal(final["observation"], twin_infos["final_obs"][slot]["observation"])
            assert infos[slot]["TimeLimit.truncated"] == truncs[slot]
            assert infos[slot]["episode"]["r"] == pytest.approx(twin_infos["episode_return"][slot], abs=1e-5)
            assert infos[slot]["episode"]["l"] == twin_infos["episode_length"][slot]
            episodes += 1
            truncated += bool(truncs[slot])
    assert episodes >= 24 and truncated > 0 and env.episode_count == episodes


class MaskAudit(VecEnvWrapper):
    """Counts the live slots' actions and how many of them the action mask forbade."""

    def __init__(self, venv: SnakeSB3VecEnv) -> None:
        super().__init__(venv)
        self.checked = self.forbidden = 0

    def step_async(self, actions: np.ndarray) -> None:
        alive = self.venv.env.alive
        allowed = self.venv.action_masks()[np.arange(self.num_envs), actions]
        self.checked += int(alive.sum())
        self.forbidden += int((alive & ~allowed).sum())
        self.venv.step_async(actions)

    def reset(self):
        return self.venv.reset()

    def step_wait(self):
        return self.venv.step_wait()


@pytest.mark.parametrize("use_masking", [True, False])
def test_maskable_ppo_gets_the_masks(use_masking):
    """With masking MaskablePPO never plays a forbidden move; without it, it does (the audit can fail)."""
    env = MaskAudit(sb3_vec_env(**SMALL))
    model = MaskablePPO("MultiInputPolicy", env, n_steps=32, batch_size=128, n_epochs=1, seed=0)
    model.learn(total_timesteps=2 * 32 * 12, use_masking=use_masking)
    assert model.num_timesteps == 2 * 32 * 12 and env.checked > 300
    assert (env.forbidden == 0) if use_masking else (env.forbidden > 10)


def test_adapter_needs_same_step_and_fresh_arrays():
    with pytest.raises(ValueError, match="same_step"):
        SnakeSB3VecEnv(vector_env(num_games=1, num_snakes=2))
    with pytest.raises(ValueError, match="copy=True"):
        SnakeSB3VecEnv(vector_env(num_games=1, num_snakes=2, autoreset_mode="same_step", copy=False))


def test_selfplay_example_runs_with_a_tiny_budget():
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "selfplay_maskable_ppo.py"), "--timesteps", "256", "--games", "2",
         "--n-steps", "32", "--eval-games", "1", "--max-turns", "40"],
        capture_output=True, text=True, timeout=600, cwd=ROOT / "examples")
    assert out.returncode == 0, out.stderr
    assert re.search(r"untrained policy vs space: won \d+% of 1 games", out.stdout), out.stdout
    assert re.search(r"trained 256 steps \(4 snake slots\) in \d+s: [\d,]+ steps/s", out.stdout), out.stdout
    assert re.search(r"trained policy vs space: +won \d+% of 1 games", out.stdout), out.stdout


def test_adapter_passes_the_obs_format_through():
    env = sb3_vec_env(**SMALL, obs_format="planes")
    assert env.observation_space.shape == (10, 7, 7)
    obs = env.reset()
    rng = np.random.default_rng(1)
    finals = 0
    for _ in range(40):
        assert obs.shape == (12, 10, 7, 7) and env.observation_space.contains(obs[0])
        obs, _, dones, infos = env.step(masked_random(rng, env.action_masks()))
        for slot in np.flatnonzero(dones):
            assert env.observation_space.contains(infos[slot]["terminal_observation"])
            finals += 1
    assert finals >= 12


def test_adapter_and_maskable_ppo_take_the_codes_format():
    env = sb3_vec_env(**SMALL, obs_format="codes")
    assert env.observation_space["codes"].shape == (7, 7) and env.observation_space["scalars"].shape == (3,)
    obs = env.reset()
    rng = np.random.default_rng(2)
    finals = 0
    for _ in range(40):
        assert obs["codes"].shape == (12, 7, 7) and obs["codes"].dtype == np.uint8
        np.testing.assert_array_equal(obs["action_mask"].astype(bool), env.action_masks())  # dead slots: all ones
        obs, _, dones, infos = env.step(masked_random(rng, env.action_masks()))
        for slot in np.flatnonzero(dones):
            assert env.observation_space.contains(infos[slot]["terminal_observation"])
            finals += 1
    assert finals >= 12
    model = MaskablePPO("MultiInputPolicy", sb3_vec_env(**SMALL, obs_format="codes"), n_steps=16, batch_size=64,
                        n_epochs=1, seed=0)
    model.learn(total_timesteps=2 * 16 * 12)
    assert model.num_timesteps == 2 * 16 * 12
