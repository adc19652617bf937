"""`snek play ... --seed 9` is the same game on every run (the bots' randomness is keyed by the game id,
which derives from the seed and the seating), and a dead snake reports no move after its death."""

from __future__ import annotations

import subprocess
from pathlib import Path

from snek_cli import snek

from arena import match
from arena.match import MatchConfig
from arena.replay import read_replay


def play(out: Path, *bots: str, seed: int = 9) -> subprocess.CompletedProcess:
    """A 10 s move deadline: a loaded machine must not turn a slow move into a timeout (another game).
    ``--fps 0``: the board is still shown each turn, without waiting between turns."""
    return snek("play", *bots, "--seed", str(seed), "--timeout", "10000", "--fps", "0", "--out", str(out))


def moves_and_bodies(path: Path) -> list:
    replay = read_replay(path, require_result=True)
    return [[(s["id"], s["move"], s["body"], s["alive"]) for s in f["snakes"]] for f in replay.frames]


def test_same_command_same_game(tmp_path: Path) -> None:
    runs = []
    for k in range(2):
        out = tmp_path / f"run{k}.jsonl"
        done = play(out, "greedy", "space", "safe")
        assert done.returncode == 0, done.stdout + done.stderr
        runs.append(out)
    first, second = (read_replay(p, require_result=True) for p in runs)
    assert first.header["game_id"] == second.header["game_id"]
    assert len(first.frames) > 10
    assert moves_and_bodies(runs[0]) == moves_and_bodies(runs[1])
    assert first.result == second.result
    other = tmp_path / "reseated.jsonl"
    assert play(other, "space", "greedy", "safe").returncode == 0
    assert read_replay(other).header["game_id"] != first.header["game_id"]  # a different seating, another id


def test_default_game_id_depends_on_seed_and_seating() -> None:
    a = match.default_game_id(MatchConfig(seed=9), ["greedy", "space"])
    assert a == match.default_game_id(MatchConfig(seed=9), ["greedy", "space"])
    assert a != match.default_game_id(MatchConfig(seed=10), ["greedy", "space"])
    assert a != match.default_game_id(MatchConfig(seed=9), ["space", "greedy"])
    assert a != match.default_game_id(MatchConfig(seed=9, ruleset="wrapped"), ["greedy", "space"])


def test_dead_snakes_report_no_move_after_their_death(tmp_path: Path) -> None:
    out = tmp_path / "game.jsonl"
    assert play(out, "random", "space", "space", seed=3).returncode == 0
    replay = read_replay(out, require_result=True)
    checked = 0
    for frame in replay.frames:
        for snake in frame["snakes"]:
            if snake["death"] and snake["death"]["turn"] < frame["turn"]:
                assert snake["move"] is None, (frame["turn"], snake)
                checked += 1
            elif frame["turn"] > 0:
                assert snake["move"] is not None  # alive, or died reaching this frame: it moved
    assert checked > 0
