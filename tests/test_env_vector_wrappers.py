"""Gymnasium's own vector wrappers over the self-play vector env, in both autoreset modes."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from gymnasium.wrappers import vector as vw
from policies import masked_random

from arena.env import vector_env

MODES = [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP]


@pytest.mark.parametrize("mode", MODES)
def test_record_episode_statistics_agrees_with_the_env(mode):
    """Same episodes (count asserted), same returns, same lengths (a slot's episode is its game)."""
    env = vector_env(num_games=6, num_snakes=4, max_turns=40, autoreset_mode=mode,
                     rewards={"win": 1.0, "loss": -1.0, "food": 0.1, "survival": 0.01})
    stats = vw.RecordEpisodeStatistics(env, buffer_length=10_000)
    _, infos = stats.reset(seed=2)
    rng = np.random.default_rng(2)
    ours = 0
    returns, lengths = [], []
    for _ in range(150):
        _, _, terms, truncs, infos = stats.step(masked_random(rng, infos["action_mask"]))
        done = terms | truncs
        if not done.any():
            assert "episode" not in infos
            continue
        assert (infos["_episode"] == done).all() and (infos["_episode_return"] == done).all()
        np.testing.assert_allclose(infos["episode"]["r"][done], infos["episode_return"][done], rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(infos["episode"]["l"][done], infos["episode_length"][done])
        ours += done.sum()
        returns += list(infos["episode_return"][done])
        lengths += list(infos["episode_length"][done])
    assert ours >= 40 and stats.episode_count == ours == len(stats.return_queue)
    np.testing.assert_allclose(list(stats.return_queue), returns, rtol=1e-5, atol=1e-5)
    assert list(stats.length_queue) == lengths
    assert set(lengths) != {40}  # decided games too, not only cut ones


def test_transform_observation_next_step():
    env = vector_env(num_games=4, num_snakes=2)
    scale = (1.0 / env.single_observation_space["observation"].high).astype(np.float32)
    wrapped = vw.TransformObservation(env, lambda obs: obs["observation"] * scale,
                                      single_observation_space=_unit_box(env))
    obs, infos = wrapped.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(30):
        raw = env.games.observer.observe(env.games.batch)
        np.testing.assert_allclose(obs[infos["alive"]], raw[infos["alive"]] * scale)
        assert obs.dtype == np.float32 and obs.max() <= 1.0
        obs, _, _, _, infos = wrapped.step(masked_random(rng, infos["action_mask"]))


def test_filter_flatten_dtype_normalize_chain():
    """Dict -> planes only -> flat -> float32 -> running normalisation, over the default NEXT_STEP autoreset."""
    env = vector_env(num_games=4, num_snakes=2, max_turns=15)
    size = int(np.prod(env.single_observation_space["observation"].shape))
    chain = vw.NormalizeObservation(
        vw.DtypeObservation(vw.FlattenObservation(vw.FilterObservation(env, ["observation"])), np.float32))
    assert chain.single_observation_space.shape == (size,)
    obs, infos = chain.reset(seed=4)
    rng = np.random.default_rng(4)
    resets = 0
    for _ in range(40):
        assert obs.shape == (8, size) and obs.dtype == np.float32
        planes = env.games.observer.observe(env.games.batch).reshape(8, -1)
        planes[~infos["alive"]] = 0  # black death
        stats = chain.obs_rms  # normalised: an affine map of the planes, per feature
        np.testing.assert_allclose(obs, (planes - stats.mean) / np.sqrt(stats.var + chain.epsilon), rtol=1e-4,
                                   atol=1e-4)
        obs, _, terms, truncs, infos = chain.step(masked_random(rng, infos["action_mask"]))
        resets += (terms | truncs).sum()
    assert chain.obs_rms.count == pytest.approx(41 * 8 + 1e-4) and resets >= 8


@pytest.mark.parametrize("wrap", [
    lambda env: vw.FilterObservation(env, ["observation"]), vw.FlattenObservation,
    lambda env: vw.TransformObservation(env, lambda obs: obs), vw.NormalizeObservation,
])
def test_observation_wrappers_need_next_step(wrap):
    """Gymnasium's observation wrappers refuse SAME_STEP (why NEXT_STEP is the default)."""
    with pytest.raises(ValueError, match="NEXT_STEP"):
        wrap(vector_env(num_games=1, num_snakes=2, autoreset_mode="same_step"))
    assert wrap(vector_env(num_games=1, num_snakes=2)).num_envs == 2


def test_render_fps_and_human_rendering_metadata():
    env = vector_env(num_games=2, num_snakes=2, render_mode="rgb_array")
    assert env.metadata["render_fps"] == 5
    human = vw.HumanRendering(env)  # accepted: it needs rgb_array and render_fps
    assert "human" in human.metadata["render_modes"]
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (16 * 11, 16 * 11, 3) and frame.dtype == np.uint8


def _unit_box(env):
    from gymnasium import spaces

    return spaces.Box(0.0, 1.0, env.single_observation_space["observation"].shape, np.float32)
