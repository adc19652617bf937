"""The vector env's one-call step (arena/env/fused.py) against the same step as separate calls.

The reference is the same env with its fused step switched off, so it steps through ``Games.step``,
``Games.restart``, ``Observer.encode`` and ``Observer.action_masks``: every array the two hand out
(observations, masks, rewards, ends, infos) must be equal, step after step, restarts included."""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from arena.env import vector_env

ROOT = Path(__file__).resolve().parents[1]

CASES = [  # (kwargs, steps): rulesets, maps, formats, encodings, rewards, truncation and invalid actions
    (dict(num_games=48, obs_format="codes", view_radius=5, max_turns=60, rewards={"food": 0.5, "survival": 0.1}), 300),
    (dict(num_games=24, obs_format="dict", ruleset="royale", settings={"shrinkEveryNTurns": 5}), 300),
    (dict(num_games=24, num_snakes=3, obs_format="codes", ruleset="wrapped", obs="global"), 300),
    (dict(num_games=16, obs_format="image", ruleset="constrictor", view_radius=3), 200),
    (dict(num_games=16, num_snakes=3, obs_format="planes", ruleset="classic", width=13, height=9), 200),
    (dict(num_games=16, obs_format="codes", map="hz_spiral", invalid_action="default"), 200),
    (dict(num_games=16, obs_format="codes", map="healing_pools", copy=False), 200),
]


def unfused(kwargs: dict):
    env = vector_env(**kwargs)
    env._fused = None  # the step as separate calls, as it was before the fused one
    return env


def assert_same(fused, plain, where: str) -> None:
    if isinstance(fused, tuple):
        assert len(fused) == len(plain), where
        for k, (a, b) in enumerate(zip(fused, plain)):
            assert_same(a, b, f"{where}[{k}]")
    elif isinstance(fused, dict):
        assert fused.keys() == plain.keys(), where
        for key in fused:
            assert_same(fused[key], plain[key], f"{where}[{key}]")
    else:
        assert fused.dtype == plain.dtype and fused.shape == plain.shape, where
        assert np.array_equal(fused, plain), where


@pytest.mark.parametrize(("kwargs", "steps"), CASES)
def test_fused_step_equals_the_separate_calls(kwargs: dict, steps: int) -> None:
    fused, plain = vector_env(**kwargs), unfused(kwargs)
    assert fused._fused is not None
    obs, infos = fused.reset(seed=11)
    assert_same(obs, plain.reset(seed=11)[0], "reset")
    pick = np.random.default_rng(3)
    compared = ended = live = 0
    for step in range(steps):
        masks = infos["action_mask"]
        # masked random moves, but every third step unmasked ones, so snakes die and games restart
        actions = np.argmax(pick.random(masks.shape) * (masks if step % 3 else 1), axis=1)
        if kwargs.get("invalid_action") == "default" and step % 5 == 0:
            actions[::7] = 9  # out of range: the default move
        got = fused.step(actions)
        assert_same(got, plain.step(actions), f"step {step}")  # obs, rewards, terminated, truncated, infos
        infos = got[4]
        compared += fused.num_envs
        live += int(np.count_nonzero(infos["alive"]))
        ended += int(np.count_nonzero(got[2] | got[3]))
    assert compared == steps * fused.num_envs
    assert ended > fused.num_envs and live > compared // 4  # games ended, restarted and went on


def test_fused_step_refuses_bad_actions_and_waiting_games_as_before() -> None:
    kwargs = dict(num_games=4, num_snakes=2, autoreset_mode="disabled", max_turns=3)
    fused, plain = vector_env(**kwargs), unfused(kwargs)
    fused.reset(seed=2)
    plain.reset(seed=2)
    before = fused.games.batch.turn.copy()
    messages = []
    for env in (fused, plain):
        with pytest.raises(ValueError, match=r"invalid action .*7\)? in slot 5") as refused:
            env.step(np.array([0, 0, 0, 0, 0, 7, 0, 0]))
        messages.append(str(refused.value))
    assert messages[0] == messages[1]
    assert np.array_equal(fused.games.batch.turn, before)  # nothing moved
    refusals = []
    for step in range(5):  # the games end (at the latest when cut at turn 3), then wait for a reset
        actions = np.zeros(8, np.int64)
        try:
            got = fused.step(actions)
        except RuntimeError as error:
            with pytest.raises(RuntimeError) as same:
                plain.step(actions)
            refusals.append((str(error), str(same.value)))
            break
        assert_same(got, plain.step(actions), f"step {step}")
    assert len(refusals) == 1 and refusals[0][0] == refusals[0][1]
    assert "ended: with autoreset_mode DISABLED" in refusals[0][0]
    mask = np.ones(8, bool)
    assert_same(fused.reset(options={"reset_mask": mask}), plain.reset(options={"reset_mask": mask}), "reset mask")
    assert_same(fused.step(np.ones(8, np.int64)), plain.step(np.ones(8, np.int64)), "after the reset")


def test_restart_seeds_are_drawn_when_and_as_the_separate_calls_draw_them() -> None:
    """The fused step hands restart seeds out itself and draws more (256 at a time) only when the
    games waiting to restart would run short, as the separate calls do; a step refused for a bad
    action draws nothing.  The env's generator must stand where the separate calls leave it after
    every step: an unseeded reset draws its seed from it."""
    kwargs = dict(num_games=64, num_snakes=4, obs_format="codes", max_turns=12)
    fused, plain = vector_env(**kwargs), unfused(kwargs)
    assert_same(fused.reset(seed=5), plain.reset(seed=5), "reset")
    pick = np.random.default_rng(1)
    pools, refused, refused_at_a_draw = set(), 0, 0
    for step in range(150):
        actions = pick.integers(0, 4, fused.num_envs)
        waiting = int(np.count_nonzero(fused._waiting))
        if step % 10 == 9:  # a bad action: refused before anything moves or any seed is drawn
            actions[3] = 4
            refused_at_a_draw += waiting > fused.games.seeds_left()
            for env in (fused, plain):
                with pytest.raises(ValueError, match="slot 3"):
                    env.step(actions)
            refused += 1
        elif step == 100:  # an unseeded reset takes its seed from the generator the restarts draw from
            assert_same(fused.reset(), plain.reset(), "unseeded reset")
        elif step % 25 == 0:  # restarts asked for by a mask take the same seeds from the same pool
            mask = np.repeat(pick.random(fused.num_games) < 0.3, fused.num_snakes)
            assert_same(fused.reset(options={"reset_mask": mask}), plain.reset(options={"reset_mask": mask}), "mask")
        else:
            assert_same(fused.step(actions), plain.step(actions), f"step {step}")
        assert fused.np_random.bit_generator.state == plain.np_random.bit_generator.state, f"step {step}"
        assert fused.games.seeds_left() == plain.games.seeds_left(), f"step {step}"
        pools.add(id(fused.games.seeds))
    assert refused == 15 and refused_at_a_draw >= 1  # some refusals came just when seeds were due
    assert len(pools) >= 6  # seeds drawn again and again


def test_a_restart_with_no_room_fails_as_with_the_separate_calls_and_a_reset_recovers() -> None:
    """Classic spawns need room: on 9x9 four snakes fit from some seeds and not from others, so a restart
    can fail half-way through a fused step.  The same error at the same step, then a reset starts over
    exactly as the separate calls do."""
    kwargs = dict(num_games=8, ruleset="classic", width=9, height=9, num_snakes=4, max_turns=5)
    fused, plain = vector_env(**kwargs), unfused(kwargs)
    assert_same(fused.reset(seed=1), plain.reset(seed=1), "reset")
    actions, steps = np.zeros(fused.num_envs, np.int64), 0
    while steps < 200:
        try:
            got = fused.step(actions)
        except ValueError as error:
            with pytest.raises(ValueError) as same:
                plain.step(actions)
            assert str(error) == str(same.value) == "no room for 4 classic snakes on a 9x9 board"
            break
        assert_same(got, plain.step(actions), f"step {steps}")
        steps += 1
    assert 0 < steps < 200  # games were played, then a restart found no room
    assert_same(fused.reset(seed=2), plain.reset(seed=2), "reset after")
    for step in range(3):
        assert_same(fused.step(actions), plain.step(actions), f"after, step {step}")


def test_same_step_autoreset_and_recording_keep_the_separate_calls(tmp_path) -> None:
    assert vector_env(num_games=2, autoreset_mode="same_step")._fused is None  # final_obs need the state before
    assert vector_env(num_games=2, record_dir=str(tmp_path))._fused is None  # the recorder reads every frame
    assert vector_env(num_games=2)._fused is not None


def digest_of_a_run(fused: bool) -> str:
    """A hash of everything 60 steps hand out (restarts included), with the fused step or without."""
    kwargs = dict(num_games=4, num_snakes=3, obs_format="codes", max_turns=20)
    env = vector_env(**kwargs) if fused else unfused(kwargs)
    digest = hashlib.sha256()
    _, infos = env.reset(seed=4)
    pick = np.random.default_rng(0)
    for step in range(60):  # every third step unmasked: snakes die, games end apart
        masks = infos["action_mask"]
        actions = np.argmax(pick.random(masks.shape) * (masks if step % 3 else 1), axis=1)
        obs, rewards, terminated, truncated, infos = env.step(actions)
        for part in (*obs.values(), rewards, terminated, truncated, *infos.values()):
            digest.update(np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()


def test_plain_python_runs_the_fused_step_to_the_same_results() -> None:
    """NUMBA_DISABLE_JIT=1 runs the fused step as plain Python (debugging, coverage): the same results."""
    code = ("import sys; sys.path.insert(0, 'tests')\n"
            "import arena.jit\n"
            "from test_env_fused import digest_of_a_run\n"
            "print(arena.jit.DISABLED, digest_of_a_run(True), digest_of_a_run(False))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=ROOT,
                          env={**os.environ, "NUMBA_DISABLE_JIT": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    disabled, plain_fused, plain_separate = done.stdout.split()
    compiled = digest_of_a_run(True)
    assert disabled == "True" and plain_fused == plain_separate == compiled


def test_a_pickled_env_steps_on_as_the_original() -> None:
    """A trainer's snapshot pickles the env mid-run; the copy's fused step goes on exactly as the original's."""
    env = vector_env(num_games=4, num_snakes=2, max_turns=10)
    env.reset(seed=1)
    actions = np.ones(8, np.int64)
    env.step(actions)  # the compiled entry point is found
    twin = pickle.loads(pickle.dumps(env))
    assert twin._fused is not None and twin._fused.obs is twin._obs
    for step in range(15):
        assert_same(twin.step(actions), env.step(actions), f"step {step}")
