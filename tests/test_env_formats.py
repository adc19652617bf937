"""Observation formats (``obs_format``): the same game in dict, planes, image and codes form, in all three
envs, and the libraries each format is for (SuperSuit's observation wrappers, SB3's CnnPolicy)."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from policies import masked_random, masked_random_agents
from prereq import need_module

import arena.env  # noqa: F401 - registers snek/Snake-v0
from arena.env import parallel_env, vector_env
from arena.env.observation import HEALTH_BYTE, OBS_FORMATS, planes_from_codes

HEALTH = 9


def as_image(planes: np.ndarray) -> np.ndarray:
    """What the image format must show for the dict format's planes (channel axis -3)."""
    planes = planes.astype(np.int32)
    image = planes * 255
    image[..., HEALTH, :, :] = np.round(planes[..., HEALTH, :, :] * 255 / 100)
    return image.astype(np.uint8)


def assert_shows(obs_format: str, obs, ref: dict) -> None:
    """``obs`` (in ``obs_format``) shows what the dict format's ``ref`` shows, single or batched."""
    if obs_format == "codes":
        np.testing.assert_array_equal(planes_from_codes(obs["codes"], obs["scalars"]), ref["observation"])
        np.testing.assert_array_equal(obs["action_mask"], ref["action_mask"])
    else:
        want = ref["observation"] if obs_format == "planes" else as_image(ref["observation"])
        np.testing.assert_array_equal(obs, want)


def test_health_byte_spans_0_to_255():
    assert HEALTH_BYTE[0] == 0 and HEALTH_BYTE[100] == 255 and HEALTH_BYTE[50] == 128
    assert (np.diff(HEALTH_BYTE.astype(int)) > 0).all()  # no two healths share a byte


def play_parallel(obs_format: str, seed: int = 5, turns: int = 60):
    """Masked random play (masks from infos, as a planes user must read them); yields each step's observations."""
    env = parallel_env(num_snakes=4, obs_format=obs_format, max_turns=turns)
    rng = np.random.default_rng(seed)
    observations, infos = env.reset(seed=seed)
    yield env, observations, infos
    while env.agents:
        actions = masked_random_agents(rng, {a: infos[a]["action_mask"] for a in env.agents})
        observations, _, _, _, infos = env.step(actions)
        yield env, observations, infos


def test_parallel_formats_show_the_same_game():
    steps, codes_seen = 0, 0
    for (env_d, dict_obs, _), (env_p, planes, planes_infos), (env_i, images, _), (env_c, codes, _) in zip(
            play_parallel("dict"), play_parallel("planes"), play_parallel("image"), play_parallel("codes"),
            strict=True):
        assert set(dict_obs) == set(planes) == set(images) == set(codes)
        for agent, o in dict_obs.items():
            for env, obs_format, obs in ((env_p, "planes", planes), (env_i, "image", images), (env_c, "codes", codes)):
                assert env.observation_space(agent).contains(obs[agent])
                assert_shows(obs_format, obs[agent], o)
            np.testing.assert_array_equal(planes_infos[agent]["action_mask"], o["action_mask"])
            seat = int(agent.split("_")[1])
            batch = env_d.games.batch
            want = [min(max(batch.health[0, seat], 0), 100), batch.length[0, seat], batch.turn[0]]
            np.testing.assert_array_equal(codes[agent]["scalars"], np.array(want, np.float32))
            codes_seen += 1
        steps += 1
    assert steps > 5 and codes_seen > 4 * 5
    assert env_p.observation_space("snake_0") == parallel_env().observation_space("snake_0")["observation"]
    space = env_i.observation_space("snake_0")
    assert space.dtype == np.uint8 and (space.low == 0).all() and (space.high == 255).all()


@pytest.mark.parametrize("obs_format", ["planes", "image", "codes"])
def test_single_env_formats(obs_format):
    dict_env = gym.make("snek/Snake-v0", opponents=["safe"])
    env = gym.make("snek/Snake-v0", opponents=["safe"], obs_format=obs_format)
    ref, _ = dict_env.reset(seed=1)
    obs, info = env.reset(seed=1)
    for turn in range(40):
        assert env.observation_space.contains(obs)
        assert_shows(obs_format, obs, ref)
        np.testing.assert_array_equal(info["action_mask"], ref["action_mask"])
        np.testing.assert_array_equal(env.unwrapped.action_masks(), ref["action_mask"].astype(bool))
        action = int(np.flatnonzero(info["action_mask"])[turn % int(info["action_mask"].sum())])
        ref, _, done, cut, _ = dict_env.step(action)
        obs, _, terminated, truncated, info = env.step(action)
        assert (terminated, truncated) == (done, cut)
        if done or cut:
            break
    assert turn > 3


@pytest.mark.parametrize("obs_format", ["planes", "image", "codes"])
@pytest.mark.parametrize("copy", [True, False])
def test_vector_env_formats(obs_format, copy):
    same_step = {"autoreset_mode": "same_step"}  # final_obs come in the format too
    ref_env = vector_env(num_games=6, num_snakes=3, max_turns=20, **same_step)
    env = vector_env(num_games=6, num_snakes=3, max_turns=20, obs_format=obs_format, copy=copy, **same_step)
    planes_space = ref_env.single_observation_space["observation"]
    if obs_format == "codes":
        space = env.observation_space
        assert space["codes"].shape == (18, 11, 11) and space["scalars"].shape == (18, 3)
    else:
        if obs_format == "planes":
            assert env.single_observation_space == planes_space
        else:  # the same planes as bytes, every one spanning 0-255
            space = env.single_observation_space
            assert (space.shape, space.dtype) == (planes_space.shape, np.uint8)
            assert (space.low == 0).all() and (space.high == 255).all()
        assert env.observation_space.shape == (18, *env.single_observation_space.shape)
    ref, _ = ref_env.reset(seed=2)
    obs, infos = env.reset(seed=2)
    rng = np.random.default_rng(0)
    finals = 0
    for _ in range(40):
        assert env.observation_space.contains(obs)
        assert_shows(obs_format, obs, ref)
        np.testing.assert_array_equal(infos["action_mask"], ref["action_mask"])
        np.testing.assert_array_equal(env.action_masks(), ref["action_mask"].astype(bool))
        actions = masked_random(rng, infos["action_mask"])
        ref, _, _, _, ref_infos = ref_env.step(actions)
        obs, _, _, _, infos = env.step(actions)
        if "final_obs" in infos:
            for slot in np.flatnonzero(infos["_final_obs"]):
                assert env.single_observation_space.contains(infos["final_obs"][slot])
                assert_shows(obs_format, infos["final_obs"][slot], ref_infos["final_obs"][slot])
                finals += 1
    assert finals > 0  # max_turns=20 cut some games off


@pytest.mark.parametrize("kwargs", [dict(view_radius=1), dict(view_radius=2), dict(view_radius=5),
                                    dict(obs="global", width=5, height=4)])
def test_the_codes_encoder_writes_nothing_past_its_output(kwargs):
    """Windows are written sixteen cells at a time, the spill landing on the rows after: never past the end."""
    env = vector_env(num_games=3, num_snakes=2, obs_format="codes", **kwargs)
    env.reset(seed=5)
    observer, batch = env.games.observer, env.games.batch
    fresh = observer.encode(batch)
    size = fresh["codes"].size
    backing = np.full(size + 64, 0xEE, np.uint8)
    out = {"codes": backing[:size].reshape(fresh["codes"].shape), "scalars": np.empty_like(fresh["scalars"])}
    observer.encode(batch, out=out)
    assert (backing[size:] == 0xEE).all()
    np.testing.assert_array_equal(out["codes"], fresh["codes"])


def test_unknown_format_is_a_clear_error():
    for make in (lambda: parallel_env(obs_format="rgb"), lambda: vector_env(num_games=1, obs_format="rgb"),
                 lambda: gym.make("snek/Snake-v0", obs_format="rgb")):
        with pytest.raises(ValueError, match="unknown obs_format 'rgb' \\(choose from dict, planes, image, codes\\)"):
            make()
    assert OBS_FORMATS == ("dict", "planes", "image", "codes")


# --- the libraries each format is for ---------------------------------------------------------------


def test_supersuit_observation_wrappers_need_planes():
    ss = need_module("supersuit", "the rl-test extra")
    with pytest.raises(AttributeError, match="low"):  # why planes exists: SuperSuit wants Box observations
        ss.dtype_v0(parallel_env(), np.float32)
    env = ss.frame_stack_v1(ss.flatten_v0(ss.dtype_v0(parallel_env(obs_format="planes"), np.float32)), 3)
    size = 10 * 11 * 11
    assert env.observation_space("snake_0").shape == (3 * size,)
    plain = parallel_env(obs_format="planes")
    observations, infos = env.reset(seed=4)
    plain_obs, _ = plain.reset(seed=4)
    rng = np.random.default_rng(4)
    steps = 0
    while env.agents:
        for agent, o in observations.items():
            assert o.dtype == np.float32 and o.shape == (3 * size,)
            np.testing.assert_array_equal(o[-size:], plain_obs[agent].reshape(-1))  # newest frame last
        actions = masked_random_agents(rng, {a: infos[a]["action_mask"] for a in env.agents})
        observations, _, _, _, infos = env.step(actions)
        plain_obs, *_ = plain.step(actions)
        steps += 1
        if steps == 1:  # the stack now holds the first two frames, oldest zeros
            first = observations["snake_0"]
            assert not first[:size].any() and first[size:2 * size].any()
    assert steps > 3


def test_supersuit_black_death_fills_dead_snakes_with_zeros():
    ss = need_module("supersuit", "the rl-test extra")
    with pytest.raises(AssertionError, match="Box"):
        ss.black_death_v3(parallel_env()).reset(seed=0)
    env = ss.black_death_v3(parallel_env(obs_format="planes", num_snakes=4))
    inner = env.unwrapped
    observations, infos = env.reset(seed=7)
    rng = np.random.default_rng(7)
    zero_obs = 0
    while inner.agents:
        assert set(observations) == set(inner.possible_agents)  # every agent, every step
        actions = {a: 0 for a in inner.possible_agents}  # the dead get a placeholder
        actions.update(masked_random_agents(rng, {a: infos[a]["action_mask"] for a in inner.agents}))
        dead_before = set(inner.possible_agents) - set(inner.agents)
        observations, rewards, _, _, infos = env.step(actions)
        for agent in dead_before:
            assert not observations[agent].any() and rewards[agent] == 0.0
            zero_obs += 1
    assert zero_obs > 0  # some snake died before the game ended


def test_sb3_cnn_policy_takes_the_image_format():
    need_module("stable_baselines3", "the rl extra")
    from sb3_contrib import MaskablePPO
    from stable_baselines3.common.preprocessing import is_image_space, is_image_space_channels_first
    from stable_baselines3.common.torch_layers import NatureCNN
    from stable_baselines3.common.vec_env import VecTransposeImage

    planes = gym.make("snek/Snake-v0", opponents=["safe"], obs_format="planes")
    assert not is_image_space(planes.observation_space)  # 0..1 and 0..100: SB3 would not normalise it
    # NatureCNN (CnnPolicy's default) needs at least 36x36: a view radius of 18 gives a 37x37 window.
    env = gym.make("snek/Snake-v0", opponents=["safe"], obs_format="image", view_radius=18)
    assert is_image_space(env.observation_space) and is_image_space_channels_first(env.observation_space)
    model = MaskablePPO("CnnPolicy", env, n_steps=16, batch_size=16, n_epochs=1, seed=0, device="cpu")
    assert isinstance(model.policy.features_extractor, NatureCNN)
    assert not isinstance(model.get_env(), VecTransposeImage)  # already channel-first
    model.learn(32)
    assert model.num_timesteps >= 32
    obs, _ = env.reset(seed=3)
    tensor, _ = model.policy.obs_to_tensor(obs)
    scaled = model.policy.extract_features(tensor, model.policy.pi_features_extractor)
    assert scaled.shape == (1, 512)
    from stable_baselines3.common.preprocessing import preprocess_obs
    pre = preprocess_obs(tensor, env.observation_space)
    assert float(pre.max()) == 1.0 and float(pre[0, HEALTH, 0, 0]) == pytest.approx(obs[HEALTH, 0, 0] / 255)


# --- the codes format's documented learner side (docs/envs.md runs these very lines) -----------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "envs.md"


def documented_block(marker: str) -> str:
    """The first ```python block after ``marker`` in docs/envs.md."""
    text = DOCS.read_text()
    start = text.index("```python\n", text.index(marker)) + len("```python\n")
    return text[start:text.index("```", start)]


def test_the_documented_one_hots_give_the_planes():
    torch = pytest.importorskip("torch")
    env = vector_env(num_games=8, num_snakes=4, obs_format="codes", settings={"shrinkEveryNTurns": 3},
                     ruleset="royale")  # hazards, so codes 9..17 occur
    twin = vector_env(num_games=8, num_snakes=4, settings={"shrinkEveryNTurns": 3}, ruleset="royale")
    obs, infos = env.reset(seed=3)
    ref, _ = twin.reset(seed=3)
    rng = np.random.default_rng(3)
    checked, hazard_cells = 0, 0
    for _ in range(30):
        codes, scalars = obs["codes"], obs["scalars"]
        numpy_planes = {"np": np, "codes": codes, "scalars": scalars}
        exec(documented_block("<!-- one-hot: numpy -->"), numpy_planes)
        torch_planes = {"torch": torch, "codes": torch.from_numpy(codes), "scalars": torch.from_numpy(scalars)}
        exec(documented_block("<!-- one-hot: torch -->"), torch_planes)
        np.testing.assert_array_equal(numpy_planes["planes"], ref["observation"])
        assert numpy_planes["planes"].dtype == np.uint8
        np.testing.assert_array_equal(torch_planes["planes"].numpy(), ref["observation"].astype(np.float32))
        np.testing.assert_array_equal(planes_from_codes(codes, scalars), ref["observation"])
        checked += 1
        hazard_cells += int(np.count_nonzero(codes >= 9))
        actions = np.argmax(rng.random((32, 4)) * infos["action_mask"], axis=1)
        obs, _, _, _, infos = env.step(actions)
        ref, *_ = twin.step(actions)
    assert checked == 30 and hazard_cells > 100


def test_the_codes_training_snippet_runs():
    pytest.importorskip("torch")
    snippet = documented_block("<!-- codes: training -->")
    assert 'obs_format="codes"' in snippet and "range(100)" in snippet
    scope: dict = {}
    exec(snippet.replace("range(100)", "range(5)"), scope)
    assert scope["step"] == 4 and np.isfinite(float(scope["loss"]))
