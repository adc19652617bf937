"""The self-play vector env: spaces, alive mask, autoreset, determinism, agreement with the parallel env."""

from __future__ import annotations

import numpy as np
import pytest
import reference_env as ref
from gymnasium.vector import AutoresetMode
from policies import masked_random

from arena import rng as arena_rng
from arena.env import parallel_env, vector_env
from arena.replay import read_replay
from arena.verify import verify


def check_info_masks(infos: dict, num_envs: int) -> int:
    """Every info key has its ``_key`` mask of shape (num_envs,), recursively; returns how many keys were checked."""
    checked = 0
    for key, value in infos.items():
        if key.startswith("_"):
            continue
        mask = infos[f"_{key}"]
        assert mask.shape == (num_envs,) and mask.dtype == bool, key
        if isinstance(value, dict):
            checked += check_info_masks(value, num_envs)
        else:
            assert len(value) == num_envs, key
        checked += 1
    return checked


def test_black_death_next_step_autoreset_and_episode_infos():
    """The default: a slot's episode is its game, dead slots are zeroed until it ends, and the step after
    the end is a reset step (reward 0, no flags, the new game's first observation)."""
    env = vector_env(num_games=8, num_snakes=4, max_turns=60)
    assert env.autoreset_mode == AutoresetMode.NEXT_STEP == env.metadata["autoreset_mode"]
    obs, infos = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert infos["alive"].all() and obs["observation"].shape == (32, 10, 11, 11)
    rng = np.random.default_rng(0)
    returns, steps = np.zeros(32, np.float32), np.zeros(32, int)
    was_done, dead_steps, episodes, truncated_episodes = np.zeros(32, bool), 0, 0, 0
    for _ in range(200):
        obs, rewards, terms, truncs, infos = env.step(masked_random(rng, infos["action_mask"]))
        assert env.observation_space.contains(obs)
        assert check_info_masks(infos, 32) >= 2
        done = terms | truncs
        # a reset step: no reward, no flags, a fresh game with every snake alive
        assert not rewards[was_done].any() and not done[was_done].any() and infos["alive"][was_done].all()
        assert (env.games.batch.turn.repeat(4)[was_done] == 0).all()
        returns[~was_done] += rewards[~was_done]
        steps[~was_done] += 1
        # every slot of a game ends together
        assert (done.reshape(8, 4).all(axis=1) == done.reshape(8, 4).any(axis=1)).all()
        dead = ~infos["alive"] & ~done
        dead_steps += dead.sum()
        assert not obs["observation"][~infos["alive"]].any() and (obs["action_mask"][~infos["alive"]] == 1).all()
        if done.any():
            assert (infos["_episode_return"] == done).all() and (infos["_episode_length"] == done).all()
            np.testing.assert_allclose(infos["episode_return"][done], returns[done], atol=1e-6)
            np.testing.assert_array_equal(infos["episode_length"][done], steps[done])
            np.testing.assert_array_equal(infos["episode_length"][done], env.games.batch.turn.repeat(4)[done])
            episodes += done.sum()
            truncated_episodes += truncs.sum()
            returns[done], steps[done] = 0, 0
        else:
            assert "episode_return" not in infos and "_episode_return" not in infos
        was_done = done
    assert episodes > 32 and truncated_episodes > 0 and dead_steps > 100


def test_the_reset_step_ignores_its_actions():
    def run(twist: bool):
        env = vector_env(num_games=6, num_snakes=2, max_turns=20)
        obs, infos = env.reset(seed=3)
        rng = np.random.default_rng(3)
        out, resets, was_done = [], 0, np.zeros(12, bool)
        for _ in range(60):
            actions = masked_random(rng, infos["action_mask"])
            if twist:
                actions[was_done] = (actions[was_done] + 1) % 4
            resets += was_done.sum()
            obs, rewards, terms, truncs, infos = env.step(actions)
            out += [obs["observation"], rewards, terms, truncs]
            was_done = terms | truncs
        return out, resets

    (plain, resets), (twisted, _) = run(False), run(True)
    assert resets >= 12
    for a, b in zip(plain, twisted):
        np.testing.assert_array_equal(a, b)


def test_same_step_autoreset_equals_next_step_shifted_by_one():
    """SAME_STEP's final_obs / final_info are what NEXT_STEP returns on the ending step, and its returned
    observations are what NEXT_STEP returns on the reset step after (the same restart seeds)."""
    nxt = vector_env(num_games=6, num_snakes=3, max_turns=12)
    same = vector_env(num_games=6, num_snakes=3, max_turns=12, autoreset_mode="same_step")
    assert same.metadata["autoreset_mode"] == same.autoreset_mode == AutoresetMode.SAME_STEP
    assert nxt.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP  # per instance
    _, infos = nxt.reset(seed=5)
    same.reset(seed=5)
    rng = np.random.default_rng(5)
    while True:
        actions = masked_random(rng, infos["action_mask"])
        a, b = nxt.step(actions), same.step(actions)
        for x, y in zip(a[1:4], b[1:4]):  # rewards, terminations, truncations
            np.testing.assert_array_equal(x, y)
        infos, same_infos = a[4], b[4]
        done = a[2] | a[3]
        if done.any():
            break
        np.testing.assert_array_equal(a[0]["observation"], b[0]["observation"])
        assert "final_obs" not in same_infos
    assert check_info_masks(same_infos, 18) >= 6
    slots = np.flatnonzero(done)
    assert (same_infos["_final_obs"] == done).all() and (same_infos["_final_info"] == done).all()
    assert same_infos["final_obs"].dtype == object and (same_infos["final_obs"][~done] == None).all()  # noqa: E711
    final_info = same_infos["final_info"]
    for slot in slots:
        final = same_infos["final_obs"][slot]
        assert same.single_observation_space.contains(final)
        np.testing.assert_array_equal(final["observation"], a[0]["observation"][slot])
        np.testing.assert_array_equal(final["action_mask"], a[0]["action_mask"][slot])
        assert final_info["alive"][slot] == infos["alive"][slot]
        np.testing.assert_array_equal(final_info["action_mask"][slot], infos["action_mask"][slot])
    for key in ("episode_return", "episode_length"):
        np.testing.assert_array_equal(final_info[key], infos[key])
        np.testing.assert_array_equal(same_infos[key], infos[key])
    assert same_infos["alive"][slots].all()  # the new game's
    reset_step = nxt.step(np.zeros(18, np.int64))
    np.testing.assert_array_equal(reset_step[0]["observation"][slots], b[0]["observation"][slots])
    np.testing.assert_array_equal(reset_step[4]["action_mask"][slots], same_infos["action_mask"][slots])


def test_disabled_autoreset_waits_for_a_reset_mask():
    env = vector_env(num_games=3, num_snakes=2, max_turns=4, autoreset_mode="disabled")
    _, infos = env.reset(seed=1)
    rng = np.random.default_rng(1)
    for _ in range(4):
        _, _, terms, truncs, infos = env.step(masked_random(rng, infos["action_mask"]))
    done = terms | truncs
    assert done.all()
    with pytest.raises(RuntimeError, match="reset_mask"):
        env.step(np.zeros(6, np.int64))
    with pytest.raises(ValueError, match="whole games"):
        env.reset(options={"reset_mask": np.array([True, False, False, False, False, False])})
    obs, infos = env.reset(options={"reset_mask": done})
    assert (env.games.batch.turn == 0).all() and infos["alive"].all()
    env.step(np.zeros(6, np.int64))
    assert (env.games.batch.turn == 1).all()


def test_unknown_autoreset_mode_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown autoreset_mode 'sometimes'"):
        vector_env(num_games=1, autoreset_mode="sometimes")


def test_final_obs_hold_the_last_state_of_truncated_games():
    """A twin env without max_turns plays the same games on: at the step the first one truncates, the
    twin's observations and masks are exactly what ``final_obs`` must hold."""
    cut = vector_env(num_games=4, num_snakes=2, max_turns=6, autoreset_mode="same_step")
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
    compared, finished = 0, set()
    for _ in range(60):
        alive = infos["alive"].reshape(3, 4)
        for g, (env, single) in enumerate(zip(envs, singles)):
            if not env.agents:
                finished.add(g)
                continue
            for seat in range(4):
                if alive[g, seat]:
                    np.testing.assert_array_equal(obs["observation"][g * 4 + seat],
                                                  single[f"snake_{seat}"]["observation"])
                    compared += 1
        actions = masked_random(rng, infos["action_mask"])
        for g, env in enumerate(envs):
            if env.agents:
                singles[g] = env.step({a: int(actions[g * 4 + int(a[-1])]) for a in env.agents})[0]
        obs, _, _, _, infos = vec.step(actions)
    assert compared >= 3 * 4 * 10  # every seat of every game for at least its first ten turns
    assert finished, "no first episode ended within 60 steps: the ends were never compared"


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
    # NEXT_STEP autoreset: the final state is still there after the ending step, so every frame was seen
    assert first.frames == [{**f, "type": "frame"} for f in frames]
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
    checked = 0
    for _ in range(80):  # several restarts per game
        for slot in np.flatnonzero(infos["alive"]):
            checked += 1
            frame = engine.frame(batch, slot // n, env._ids)
            me = f"snake_{slot % n}"
            want = ref.observation(frame, me, g.width, g.height, "egocentric", env.games.observer.radius, g.wrapped)
            np.testing.assert_array_equal(obs["observation"][slot], want)
            classic = engine.ruleset.classic
            mask = ref.action_mask(frame, me, g.width, g.height, g.wrapped, not classic, damage, classic=classic)
            np.testing.assert_array_equal(obs["action_mask"][slot], mask)
        obs, _, _, _, infos = env.step(masked_random(rng, infos["action_mask"]))
    assert checked >= 12 * 80  # at least one live slot per game per step (a game restarts when it ends)
