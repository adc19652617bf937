"""Bad actions: outside Discrete(4) they raise a clear error in all three envs (a wrong-sized policy
head must not train silently), unless ``invalid_action="default"`` asks for the default move."""

from __future__ import annotations

import numpy as np
import pytest

from arena.env import SnakeEnv, parallel_env, vector_env

BAD = [4, -5, 2.7, 2.0, np.float32(1), True, "up", None, np.array([1, 2])]


@pytest.mark.parametrize("action", BAD, ids=repr)
def test_single_env_refuses_bad_actions(action) -> None:
    env = SnakeEnv(opponents=["safe"])
    env.reset(seed=1)
    with pytest.raises(ValueError, match="invalid action"):
        env.step(action)
    assert env.games.batch.turn[0] == 0  # nothing was played


@pytest.mark.parametrize("action", BAD, ids=repr)
def test_parallel_env_refuses_bad_actions(action) -> None:
    env = parallel_env(num_snakes=2)
    env.reset(seed=1)
    with pytest.raises(ValueError, match="invalid action"):
        env.step({"snake_0": action, "snake_1": 0})
    assert env.games.batch.turn[0] == 0
    with pytest.raises(ValueError, match="no agent"):
        env.step({"snake_7": 0})


@pytest.mark.parametrize("actions", [
    np.array([0, 1, 2, 4]), np.array([0, -5, 1, 1]), np.array([0.0, 1.0, 2.7, 3.0]), np.array([0, 1, 2]),
    np.zeros((2, 2), np.int64), [0, 1, 2, 3, 0], np.array([True, False, True, False]),
], ids=["4", "-5", "2.7", "short", "2d", "long-list", "bool"])
def test_vector_env_refuses_bad_actions(actions) -> None:
    env = vector_env(num_games=2, num_snakes=2)
    env.reset(seed=1)
    with pytest.raises(ValueError, match="invalid action"):
        env.step(actions)
    assert (env.games.batch.turn == 0).all()


def test_good_actions_of_every_integer_kind_play() -> None:
    env = vector_env(num_games=2, num_snakes=2)
    _, infos = env.reset(seed=1)
    for kind in (list, np.int8, np.uint64):
        safe = np.argmax(infos["action_mask"], axis=1)
        _, _, _, _, infos = env.step(safe.tolist() if kind is list else safe.astype(kind))
    assert (env.games.batch.turn == 3).all()
    single = SnakeEnv(opponents=["safe"])
    single.reset(seed=1)
    for kind in (int, np.int64, np.array):
        single.step(kind(int(np.flatnonzero(single.action_masks())[0])))
    assert single.games.batch.turn[0] == 3


def test_opt_in_turns_invalid_actions_into_the_default_move() -> None:
    strict, lenient = vector_env(num_games=2, num_snakes=2), vector_env(num_games=2, num_snakes=2,
                                                                         invalid_action="default")
    strict.reset(seed=3)
    lenient.reset(seed=3)
    strict.step(np.array([0, 1, 0, 2]))  # a stacked snake's default move is "up"
    lenient.step(np.array([9, 1, -5, 2]))
    assert strict.games.engine.frame(strict.games.batch, 0) == lenient.games.engine.frame(lenient.games.batch, 0)
    single = SnakeEnv(opponents=["safe"], invalid_action="default")
    single.reset(seed=2)
    single.step(7)
    assert single.games.batch.turn[0] == 1
    pz = parallel_env(num_snakes=2, invalid_action="default")
    pz.reset(seed=2)
    pz.step({"snake_0": 2.5, "snake_1": 0})
    assert pz.games.batch.turn[0] == 1
    with pytest.raises(ValueError, match="invalid_action"):
        vector_env(num_games=1, invalid_action="ignore")
