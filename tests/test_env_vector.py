"""The self-play vector env: spaces, alive mask, autoreset, determinism, agreement with the parallel env."""

from __future__ import annotations

import numpy as np
import pytest
import reference_env as ref

from arena import rng as arena_rng
from arena.env import parallel_env, vector_env
from arena.replay import read_replay
from arena.verify import verify


def masked_random(rng: np.random.Generator, masks: np.ndarray) -> np.ndarray:
    return np.argmax(rng.random(masks.shape) * masks, axis=1)


def test_spaces_alive_mask_and_episode_infos():
    env = vector_env(num_games=8, num_snakes=4)
    obs, infos = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert infos["alive"].all() and obs["observation"].shape == (32, 10, 11, 11)
    rng = np.random.default_rng(0)
    was_alive = infos["alive"]
    finished = 0
    for _ in range(150):
        obs, rewards, terms, truncs, infos = env.step(masked_random(rng, infos["action_mask"]))
        assert env.observation_space.contains(obs)
        assert not (rewards[~was_alive]).any() and not terms[~was_alive].any()  # dead slots stay quiet
        ended = infos["_episode"]
        assert (ended == (terms | truncs)).all()
        finished += ended.sum()
        assert (infos["episode"]["l"][ended] > 0).all()
        was_alive = infos["alive"]
    assert finished > 8


def test_autoreset_same_step_and_final_obs_on_truncation():
    env = vector_env(num_games=4, num_snakes=2, max_turns=5)
    obs, infos = env.reset(seed=1)
    rng = np.random.default_rng(1)
    for _ in range(5):
        obs, rewards, terms, truncs, infos = env.step(masked_random(rng, infos["action_mask"]))
    games = env.games.batch
    cut = truncs.reshape(4, 2).any(axis=1)
    assert cut.any() and (games.turn[cut] == 0).all()  # restarted in the same step
    assert infos["alive"].reshape(4, 2)[cut].all()
    for slot in np.flatnonzero(infos["_final_obs"]):
        final = infos["final_obs"][slot]
        assert env.single_observation_space.contains(final)
        assert truncs[slot] or not infos["alive"][slot]


def test_final_obs_hold_the_last_state_of_truncated_games():
    """A twin env without max_turns plays the same games on: at the step the first one truncates, the
    twin's observations and masks are exactly what ``final_obs`` must hold."""
    cut = vector_env(num_games=4, num_snakes=2, max_turns=6)
    twin = vector_env(num_games=4, num_snakes=2, max_turns=None)
    _, infos = cut.reset(seed=8)
    twin.reset(seed=8)
    moves = np.random.default_rng(8)
    for _ in range(6):
        actions = masked_random(moves, infos["action_mask"])
        _, _, _, truncs, infos = cut.step(actions)
        twin_obs, *_ = twin.step(actions)
    slots = np.flatnonzero(infos["_final_obs"])
    assert slots.size >= 4 and truncs[slots].any()
    for slot in slots:
        final = infos["final_obs"][slot]
        np.testing.assert_array_equal(final["observation"], twin_obs["observation"][slot])
        np.testing.assert_array_equal(final["action_mask"], twin_obs["action_mask"][slot])
    assert not np.array_equal(twin_obs["observation"][slots], cut.games.observer.observe(cut.games.batch)[slots])


def test_full_run_is_reproducible_across_restarts():
    def run():
        env = vector_env(num_games=6, num_snakes=3, max_turns=40)
        obs, infos = env.reset(seed=9)
        rng = np.random.default_rng(2)
        out = [obs["observation"]]
        for _ in range(120):
            obs, rewards, *_, infos = env.step(masked_random(rng, infos["action_mask"]))
            out += [obs["observation"], rewards]
        return out

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_first_episodes_match_the_parallel_env():
    """Game g of a vector env seeded s plays exactly like a parallel env seeded ``game_seeds(s, G)[g]``."""
    vec = vector_env(num_games=3, num_snakes=4, obs="global")
    obs, infos = vec.reset(seed=20)
    envs = [parallel_env(num_snakes=4, obs="global") for _ in range(3)]
    singles = [e.reset(seed=int(seed))[0] for seed, e in zip(arena_rng.game_seeds(20, 3), envs)]
    rng = np.random.default_rng(3)
    for _ in range(60):
        alive = infos["alive"].reshape(3, 4)
        for g, (env, single) in enumerate(zip(envs, singles)):
            if not env.agents:
                continue
            for seat in range(4):
                if alive[g, seat]:
                    np.testing.assert_array_equal(obs["observation"][g * 4 + seat],
                                                  single[f"snake_{seat}"]["observation"])
        actions = masked_random(rng, infos["action_mask"])
        for g, env in enumerate(envs):
            if env.agents:
                singles[g] = env.step({a: int(actions[g * 4 + int(a[-1])]) for a in env.agents})[0]
        obs, _, _, _, infos = vec.step(actions)


def test_recording_one_game(tmp_path):
    env = vector_env(num_games=4, num_snakes=2, record_dir=str(tmp_path), record_game=2, max_turns=60)
    obs, infos = env.reset(seed=5)
    rng = np.random.default_rng(5)
    frames, collecting = [env.games.engine.frame(env.games.batch, 2, env._ids)], True
    for _ in range(150):
        obs, _, terms, truncs, infos = env.step(masked_random(rng, infos["action_mask"]))
        collecting &= bool(env.games.batch.turn[2] > 0)  # game 2 restarted: its first replay is complete
        if collecting:
            frames.append(env.games.engine.frame(env.games.batch, 2, env._ids))
    env.close()
    assert len(env.recorder.paths) >= 2
    first = read_replay(env.recorder.paths[0], require_result=True)
    assert first.frames[: len(frames)] == [{**f, "type": "frame"} for f in frames]
    assert len(first.frames) == len(frames) + 1  # the last frame was taken before the restart
    for path in env.recorder.paths[:-1]:
        assert verify(read_replay(path, require_result=True)).ok


@pytest.mark.parametrize("kwargs", [
    {}, {"ruleset": "wrapped", "view_radius": 6}, {"ruleset": "royale", "num_snakes": 3},
    {"ruleset": "classic", "num_snakes": 3}, {"num_snakes": 6}, {"num_snakes": 16, "width": 19, "height": 19},
])
def test_every_live_slot_matches_the_per_snake_model(kwargs):
    env = vector_env(num_games=12, max_turns=30, **kwargs)
    obs, infos = env.reset(seed=4)
    g, engine, batch = env.games.geometry, env.games.engine, env.games.batch
    damage = engine.settings.get("hazardDamagePerTurn", 0)
    rng = np.random.default_rng(4)
    n = env.num_snakes
    for _ in range(80):  # several restarts per game
        for slot in np.flatnonzero(infos["alive"]):
            frame = engine.frame(batch, slot // n, env._ids)
            me = f"snake_{slot % n}"
            want = ref.observation(frame, me, g.width, g.height, "egocentric", env.games.observer.radius, g.wrapped)
            np.testing.assert_array_equal(obs["observation"][slot], want)
            classic = engine.ruleset.classic
            mask = ref.action_mask(frame, me, g.width, g.height, g.wrapped, not classic, damage, classic=classic)
            np.testing.assert_array_equal(obs["action_mask"][slot], mask)
        obs, _, _, _, infos = env.step(masked_random(rng, infos["action_mask"]))
