"""The single-agent Gymnasium env: API checks, opponents by name or callable, masks, replays."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import arena.env  # noqa: F401 - registers snek/Snake-v0
from arena.geometry import MOVES
from arena.registry import resolve_bot
from arena.replay import read_replay
from arena.verify import verify

DELTAS = {"up": (0, 1), "down": (0, -1), "left": (-1, 0), "right": (1, 0)}


def safe_bot(state: dict) -> str:
    """First move that stays on the board and off every body (deterministic)."""
    board, me = state["board"], state["you"]
    head = me["head"]
    taken = {(p["x"], p["y"]) for s in board["snakes"] for p in s["body"][:-1]}
    for move, (dx, dy) in DELTAS.items():
        x, y = head["x"] + dx, head["y"] + dy
        if 0 <= x < board["width"] and 0 <= y < board["height"] and (x, y) not in taken:
            return move
    return "up"


def make(**kwargs) -> gym.Env:
    return gym.make("snek/Snake-v0", opponents=[safe_bot, safe_bot, safe_bot], **kwargs)


def test_check_env():
    check_env(make().unwrapped, skip_render_check=True)


def test_render_modes():
    for mode, kind in (("ansi", str), ("rgb_array", np.ndarray)):
        env = make(render_mode=mode)
        env.reset(seed=0)
        assert isinstance(env.render(), kind)


def test_episode_masks_infos_and_rewards():
    """Each episode's return is its survival shaping plus the outcome the final frame shows: a win
    when the agent is the last one alive, a draw when it died with every other snake on the last
    turn, else a loss; truncated episodes pay no outcome."""
    pay = {"win": 2.0, "loss": -3.0, "draw": 0.5, "survival": 0.01}
    seen = {"win": 0, "loss": 0, "draw": 0, "truncated": 0}
    for seed in range(8):
        opponents = ["random"] if seed % 2 else [safe_bot, safe_bot, safe_bot]  # some games the agent wins
        env = gym.make("snek/Snake-v0", opponents=opponents, rewards=pay, max_turns=150)
        obs, info = env.reset(seed=seed)
        assert env.observation_space.contains(obs)
        total, steps, terminated, truncated = 0.0, 0, False, False
        while not (terminated or truncated):
            mask = env.unwrapped.action_masks()
            np.testing.assert_array_equal(mask, info["action_mask"].astype(bool))
            obs, reward, terminated, truncated, info = env.step(int(np.flatnonzero(mask)[-1]))
            total, steps = total + reward, steps + 1
        frame = env.unwrapped.frame()
        me, others = frame["snakes"][0], frame["snakes"][1:]
        if truncated:
            outcome, survived = "truncated", steps
        elif me["alive"]:
            outcome, survived = "win", steps
            assert info["winner"] == "snake_0"
        else:
            died = me["death"]["turn"]
            together = not any(s["alive"] for s in others) and any(s["death"]["turn"] == died for s in others)
            outcome, survived = ("draw" if together else "loss"), steps - 1
        seen[outcome] += 1
        assert total == pytest.approx(pay.get(outcome, 0.0) + 0.01 * survived, abs=1e-4), (seed, outcome)
    assert seen["loss"] >= 1 and seen["win"] >= 1 and sum(seen.values()) == 8, seen


def test_bot_names_resolve_through_entry_points():
    with pytest.raises(ValueError, match="unknown bot"):
        resolve_bot("no-such-bot")
    assert resolve_bot(safe_bot) is safe_bot


def test_recorded_episode_verifies(tmp_path):
    env = make(record_dir=str(tmp_path))
    env.reset(seed=2)
    done = False
    while not done:
        _, _, terminated, truncated, _ = env.step(int(np.flatnonzero(env.unwrapped.action_masks())[0]))
        done = terminated or truncated
    env.close()
    (path,) = tmp_path.glob("*.jsonl")
    replay = read_replay(path, require_result=True)
    assert replay.header["players"][1]["name"] == "safe_bot"
    assert all(s["move"] in (None, *MOVES) for f in replay.frames for s in f["snakes"])
    assert verify(replay).ok


def test_builtin_bots_by_name():
    from arena.registry import builtin_bots

    assert {"safe", "greedy"} <= set(builtin_bots())  # they ship with the package: never a skip
    check_env(gym.make("snek/Snake-v0", opponents=["safe", "greedy"]).unwrapped, skip_render_check=True)
