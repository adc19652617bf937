"""The PettingZoo parallel env: API conformance, exact observations and masks, determinism, replays."""

from __future__ import annotations

import numpy as np
import pytest
import reference_env as ref
from pettingzoo.test import api_test, parallel_api_test
from pettingzoo.utils.conversions import parallel_to_aec
from policies import masked_random_agents

from arena.env import parallel_env
from arena.replay import read_replay
from arena.verify import verify


def play(env, seed: int, policy_seed: int = 0, turns: int = 10_000, reversals: float = 0.0):
    """Play one episode with masked random moves (and, with ``reversals``, that share of moves picked
    from all four); yield (observations, rewards, terms, truncs) per step."""
    rng = np.random.default_rng(policy_seed)
    observations, _ = env.reset(seed=seed)
    yield observations, None, None, None
    while env.agents and turns:
        actions = masked_random_agents(rng, {a: observations[a]["action_mask"] for a in env.agents})
        if reversals:
            actions = {a: int(rng.integers(4)) if rng.random() < reversals else m for a, m in actions.items()}
        observations, rewards, terms, truncs, _ = env.step(actions)
        turns -= 1
        yield observations, rewards, terms, truncs


def test_parallel_api():
    parallel_api_test(parallel_env(), num_cycles=200)


def test_aec_api_and_spaces():
    api_test(parallel_to_aec(parallel_env(obs="global", num_snakes=3)), num_cycles=200)


@pytest.mark.parametrize("kwargs", [
    {},
    {"obs": "global"},
    {"ruleset": "wrapped", "view_radius": 4},
    {"ruleset": "royale", "view_radius": 7, "settings": {"shrinkEveryNTurns": 5}},
    {"ruleset": "constrictor", "num_snakes": 2, "width": 7, "height": 7},
    {"ruleset": "solo", "num_snakes": 1, "obs": "global"},
    {"ruleset": "classic", "num_snakes": 4},
    {"ruleset": "classic", "num_snakes": 2, "width": 11, "height": 11, "obs": "global"},
    {"num_snakes": 5},
    {"num_snakes": 8, "obs": "global"},
    {"num_snakes": 12, "width": 19, "height": 19, "view_radius": 6},
    {"num_snakes": 16, "width": 25, "height": 25},
], ids=lambda kwargs: "-".join(f"{k}={v}" for k, v in kwargs.items()) or "default")
def test_observations_and_masks_match_per_snake_model(kwargs):
    env = parallel_env(**kwargs)
    g = env.games.geometry
    classic = env.games.engine.ruleset.name == "classic"
    damage = env.games.engine.settings.get("hazardDamagePerTurn", 0)
    checked = 0
    for observations, *_ in play(env, seed=3, reversals=0.2 if classic else 0.0):
        frame = env.frame()
        for agent, o in observations.items():
            assert env.observation_space(agent).contains(o)
            if agent not in env.agents:
                continue
            want = ref.observation(frame, agent, g.width, g.height, env.games.observer.encoding,
                                   env.games.observer.radius, g.wrapped)
            np.testing.assert_array_equal(o["observation"], want, err_msg=f"{agent} turn {frame['turn']}")
            mask = ref.action_mask(frame, agent, g.width, g.height, g.wrapped, not classic, damage, classic=classic)
            np.testing.assert_array_equal(o["action_mask"], mask, err_msg=f"{agent} turn {frame['turn']}")
            checked += 1
            if classic:
                snake = next(s for s in frame["snakes"] if s["id"] == agent)
                (hx, hy), (nx, ny) = snake["body"][:2]
                back = ref.MOVE_DELTAS.index((nx - hx, ny - hy))
                ahead = ref.MOVE_DELTAS.index((hx - nx, hy - ny))
                assert o["action_mask"][back] == o["action_mask"][ahead]  # a reversal keeps the heading
    assert checked >= 5 * env.num_snakes


def test_masked_moves_never_die_from_walls_bodies_or_hunger():
    env = parallel_env(num_snakes=4)
    deaths = free_deaths = 0
    for seed in range(5):
        rng = np.random.default_rng(seed)
        observations, _ = env.reset(seed=seed)
        while env.agents:
            before = env.frame()
            doomed = {a for a in env.agents if not ref.action_mask(before, a, 11, 11, fallback=False).any()}
            masks = {a: observations[a]["action_mask"] for a in env.agents}
            observations, *_ = env.step(masked_random_agents(rng, masks))
            frame = env.frame()
            for snake in frame["snakes"]:
                death = snake["death"]
                if death and death["turn"] == frame["turn"]:
                    deaths += 1
                    if snake["id"] not in doomed:  # it had a safe move: only a head-to-head can kill it
                        free_deaths += 1
                        assert death["cause"] == "head-collision", (seed, snake)
    assert deaths >= 5 * 3  # every game ran until at most one snake was left
    assert free_deaths >= 1, "no snake with a safe move died: the head-collision check never ran"


def test_full_episode_is_reproducible():
    def run():
        return [(obs, rew) for obs, rew, *_ in play(parallel_env(), seed=11, policy_seed=5)]

    first, second = run(), run()
    assert len(first) == len(second) > 20
    for (obs_a, rew_a), (obs_b, rew_b) in zip(first, second):
        assert rew_a == rew_b
        assert obs_a.keys() == obs_b.keys()
        for agent in obs_a:
            np.testing.assert_array_equal(obs_a[agent]["observation"], obs_b[agent]["observation"])


def test_rewards_pay_outcomes_once():
    """Win, loss and draw are paid once each, as the frames say: a snake that died while another lived
    on lost, the last one alive won, snakes dying together with nobody left drew."""
    seen = {"win": 0, "loss": 0, "draw": 0}
    pay = {"win": 2.0, "loss": -3.0, "draw": 0.5}
    for seed in range(12):
        env = parallel_env(num_snakes=2 + seed % 3, rewards=pay)
        totals = {a: 0.0 for a in env.possible_agents}
        for _, rewards, _, _ in play(env, seed=seed):
            for agent, r in (rewards or {}).items():
                totals[agent] += r
        frame = env.frame()
        last = max((s["death"]["turn"] for s in frame["snakes"] if s["death"]), default=None)
        for snake in frame["snakes"]:
            if snake["alive"]:
                outcome = "win" if env.games.batch.done[0] else None  # else cut off by max_turns
            elif any(s["alive"] for s in frame["snakes"]) or snake["death"]["turn"] != last:
                outcome = "loss"
            else:
                outcome = "draw" if sum(s["death"]["turn"] == last for s in frame["snakes"]) >= 2 else "loss"
            assert totals[snake["id"]] == (pay[outcome] if outcome else 0.0), (seed, snake, totals)
            if outcome:
                seen[outcome] += 1
    assert seen["win"] >= 3 and seen["loss"] >= 10 and seen["draw"] >= 1, seen


def test_state_render_and_truncation():
    env = parallel_env(max_turns=3, render_mode="ansi")
    observations, _ = env.reset(seed=0)
    assert env.state_space.contains(env.state())
    assert "turn 0" in env.render()
    for _ in range(3):
        actions = {a: int(np.flatnonzero(observations[a]["action_mask"])[0]) for a in env.agents}
        observations, _, terms, truncs, _ = env.step(actions)
    assert not env.agents and all(truncs.values()) and not any(terms.values())
    image = parallel_env(render_mode="rgb_array")
    image.reset(seed=0)
    assert image.render().shape == (11 * 16, 11 * 16, 3)


def test_recorded_episode_verifies(tmp_path):
    env = parallel_env(record_dir=str(tmp_path))
    frames = []
    for _ in play(env, seed=7):
        frames.append(env.frame())
    env.close()
    (path,) = tmp_path.glob("*.jsonl")
    replay = read_replay(path, require_result=True)
    assert [{k: f[k] for k in ("turn", "food", "snakes")} for f in replay.frames] == \
        [{k: f[k] for k in ("turn", "food", "snakes")} for f in frames]
    assert replay.header["seed"] == 7
    assert verify(replay).ok
