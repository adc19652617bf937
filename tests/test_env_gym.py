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


def test_episode_masks_and_infos():
    env = make(rewards={"survival": 0.01})
    obs, info = env.reset(seed=4)
    assert env.observation_space.contains(obs)
    total, steps, terminated, truncated = 0.0, 0, False, False
    while not (terminated or truncated):
        mask = env.unwrapped.action_masks()
        np.testing.assert_array_equal(mask, info["action_mask"].astype(bool))
        obs, reward, terminated, truncated, info = env.step(int(np.flatnonzero(mask)[0]))
        total, steps = total + reward, steps + 1
    assert steps > 3
    alive = bool(env.unwrapped.games.batch.alive[0, 0])
    outcome = 0.0 if truncated else 1.0 if alive else -1.0  # a draw pays 0 too, but needs two deaths
    if terminated and not alive and info.get("winner") is None and not env.unwrapped.games.batch.alive[0].any():
        outcome = total - 0.01 * (steps - 1)
    assert total == pytest.approx(0.01 * (steps if alive else steps - 1) + outcome, abs=1e-4)


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

    missing = {"safe", "greedy"} - set(builtin_bots())
    if missing:
        pytest.skip(f"built-in bots not installed: {sorted(missing)}")
    check_env(gym.make("snek/Snake-v0", opponents=["safe", "greedy"]).unwrapped, skip_render_check=True)
