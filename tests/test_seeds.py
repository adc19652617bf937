"""Seeds: one normalisation at every entry point, reproducible resets, unrelated games from nearby seeds."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from policies import masked_random

from arena import rng
from arena.engine import Engine
from arena.env import SnakeEnv, parallel_env, vector_env

# Every pair is the same seed once normalised (its low 64 bits, two's complement for negatives).
SAME = [(-1, 2**64 - 1), (2**64 + 5, 5), (np.int64(-7), 2**64 - 7), (np.uint64(2**64 - 1), -1),
        (np.int32(12), 12), (-(2**70) + 3, 3)]


def test_seed_to_int_maps_every_integer_and_refuses_the_rest() -> None:
    for a, b in SAME:
        assert rng.seed_to_int(a) == rng.seed_to_int(b)
        assert 0 <= rng.seed_to_int(a) < 2**64
    for bad in (2.5, "7", None, np.float64(1.0)):
        with pytest.raises(TypeError, match="seed must be an integer"):
            rng.seed_to_int(bad)
    assert rng.seed_array([-1, 2**64 + 1, np.int8(-2)]).tolist() == [2**64 - 1, 1, 2**64 - 2]
    assert rng.seed_array(np.array([-1, 3], np.int64)).tolist() == [2**64 - 1, 3]
    assert rng.seed_array(5).tolist() == [5]


def test_engine_new_batch_and_reset_agree_on_every_seed() -> None:
    engine = Engine("standard", 11, 11)
    checked = 0
    for a, b in SAME:
        left, right = engine.new_batch([a], 4), engine.new_batch([b], 4)
        assert engine.frame(left, 0) == engine.frame(right, 0)
        engine.reset(right, [0], seeds=[a])  # used to raise OverflowError on -1 and >= 2**64
        engine.reset(left, np.array([0]), seeds=np.array([b], dtype=object))
        assert int(left.seed[0]) == int(right.seed[0]) == rng.seed_to_int(a)
        assert engine.frame(left, 0) == engine.frame(right, 0)
        checked += 1
    assert checked == len(SAME)


@pytest.mark.parametrize("make", [lambda: parallel_env(num_snakes=3), lambda: vector_env(num_games=3, num_snakes=2),
                                  lambda: SnakeEnv(opponents=["safe"])], ids=["parallel", "vector", "single"])
def test_env_resets_normalise_seeds(make) -> None:
    env = make()
    for a, b in SAME:
        first, second = env.reset(seed=a)[0], env.reset(seed=b)[0]
        first = first if "observation" in first else first["snake_0"]
        second = second if "observation" in second else second["snake_0"]
        np.testing.assert_array_equal(first["observation"], second["observation"])
    with pytest.raises(TypeError, match="seed must be an integer"):
        env.reset(seed=1.5)


def test_vector_reset_with_a_seed_replays_the_same_games_after_stepping() -> None:
    """One env reused: the restart pool from the first run must not leak into the second."""
    env = vector_env(num_games=3, num_snakes=2, max_turns=8)

    def run() -> list[np.ndarray]:
        obs, infos = env.reset(seed=11)
        moves = np.random.default_rng(0)
        out = [obs["observation"]]
        for _ in range(30):  # several restarts per game
            obs, rewards, _, _, infos = env.step(masked_random(moves, infos["action_mask"]))
            out += [obs["observation"], rewards, env.games.batch.seed.copy()]
        return out

    first, second = run(), run()
    assert len(first) == len(second) == 91
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_nearby_vector_seeds_give_unrelated_games() -> None:
    """Game g of seed s used to be game g - 1 of seed s + 1 (seeds s + g)."""
    one, two = vector_env(num_games=8, num_snakes=2), vector_env(num_games=8, num_snakes=2)
    one.reset(seed=100)
    two.reset(seed=101)
    seeds = np.concatenate([one.games.batch.seed, two.games.batch.seed])
    assert np.unique(seeds).size == 16
    assert one.games.batch.seed.tolist() == rng.game_seeds(100, 8).tolist()
    assert rng.game_seeds(100, 8)[3] == rng.game_seeds(100, 4)[3]  # game g's seed does not depend on the count


def test_gymnasium_make_accepts_any_integer_seed() -> None:
    env = gymnasium.make("snek/Snake-v0", opponents=["safe"])
    a = env.reset(seed=-3)[0]["observation"]
    b = env.reset(seed=2**64 - 3)[0]["observation"]
    np.testing.assert_array_equal(a, b)
    env.close()


def test_file_bot_module_names_do_not_depend_on_the_hash_salt(tmp_path) -> None:
    """``file.py:attr`` specs load under a name derived from the path, the same in every process."""
    import os
    import subprocess
    import sys

    bot = tmp_path / "mybot.py"
    bot.write_text("def move(state):\n    return 'up'\n")
    code = f"from arena.players.spec import load_attr; print(load_attr({str(bot)!r}, 'move').__module__)"
    names = []
    for salt in ("1", "2", "3"):
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "PYTHONHASHSEED": salt})
        assert run.returncode == 0, run.stderr
        names.append(run.stdout.strip())
    assert len(names) == 3 and names[0].startswith("snek_bot_")
    assert len(set(names)) == 1, names
