"""Replay files: round trip, streaming prefix, validation errors, verify finds tampering."""

from __future__ import annotations

import gzip
import json
import random

import pytest
from replay_tools import cautious

from arena.match import MatchConfig, run_match
from arena.players import PythonPlayer
from arena.replay import (
    FORMAT,
    ReplayError,
    ReplayWriter,
    dumps_replay,
    finish_interrupted,
    placements,
    read_replay,
    result_for,
)
from arena.verify import verify


@pytest.fixture(scope="module")
def game(tmp_path_factory) -> tuple:
    path = tmp_path_factory.mktemp("replays") / "game.jsonl.gz"
    outcome = run_match([PythonPlayer(cautious) for _ in range(4)], MatchConfig(seed=11), out=path, keep_frames=True)
    return path, outcome


def test_round_trip_and_verify(game) -> None:
    path, outcome = game
    replay = read_replay(path, require_result=True)
    assert replay.header["format"] == FORMAT
    assert replay.result == outcome.result
    assert [f["turn"] for f in replay.frames] == list(range(len(replay.frames)))
    assert replay.frames == outcome.frames
    assert verify(replay).ok


def test_verify_names_first_tampered_turn(game, tmp_path) -> None:
    path, _ = game
    replay = read_replay(path)
    turn = len(replay.frames) // 2
    replay.frames[turn]["snakes"][0]["health"] -= 1
    verdict = verify(replay)
    assert not verdict.ok and verdict.first_bad_turn == turn
    assert "health" in verdict.detail


def test_verify_detects_changed_seed(game) -> None:
    path, _ = game
    replay = read_replay(path)
    replay.header["seed"] += 1
    assert not verify(replay).ok


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl"])
def test_crash_mid_game_leaves_readable_prefix(tmp_path, suffix: str) -> None:
    path = tmp_path / f"cut{suffix}"
    outcome = run_match([PythonPlayer(cautious) for _ in range(2)], MatchConfig(seed=3, max_turns=30), keep_frames=True)
    writer = ReplayWriter(path, outcome.header)
    for frame in outcome.frames[:10]:
        writer.write_frame(frame)
    # no finish(), no close(): as if the process died here
    data = path.read_bytes()
    partial = tmp_path / f"partial{suffix}"
    partial.write_bytes(data)
    replay = read_replay(partial)
    assert len(replay.frames) == 10 and replay.result is None
    with pytest.raises(ReplayError, match="truncated"):
        read_replay(partial, require_result=True)
    writer.close()


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl"])
def test_unfollowed_writer_buffers_until_the_result(tmp_path, suffix: str) -> None:
    """Tournaments write replays nobody follows: lines are buffered (no flush per turn), the file is whole
    once finished."""
    path = tmp_path / f"bulk{suffix}"
    outcome = run_match([PythonPlayer(cautious) for _ in range(2)], MatchConfig(seed=3, max_turns=30), keep_frames=True)
    writer = ReplayWriter(path, outcome.header, follow=False)
    for frame in outcome.frames[:10]:
        writer.write_frame(frame)
    assert path.stat().st_size == 0  # nothing flushed yet: ten small frames sit in the buffers
    writer.finish(outcome.result)
    replay = read_replay(path, require_result=True)
    assert replay.frames == outcome.frames[:10] and replay.result == outcome.result


def test_torn_last_line_is_ignored(game, tmp_path) -> None:
    text = dumps_replay(read_replay(game[0]))
    lines = text.splitlines(keepends=True)
    torn = tmp_path / "torn.jsonl"
    torn.write_text("".join(lines[:5]) + lines[5][: len(lines[5]) // 2])
    assert len(read_replay(torn).frames) == 4


def test_a_cut_off_game_is_closed_as_interrupted(game, tmp_path) -> None:
    """What ``snek serve`` does at start with the games a crash cut off: the readable prefix, a result line."""
    lines = dumps_replay(read_replay(game[0])).splitlines(keepends=True)
    cases = {"torn": "".join(lines[:8]) + lines[8][:20],  # 7 frames, then half a line
             "broken": "".join(lines[:6]) + "garbage\n" + "".join(lines[6:9]),  # 5 frames, then a bad line
             "whole": "".join(lines)}
    closed = {}
    for name, text in cases.items():
        (tmp_path / f"{name}.jsonl").write_text(text)
        assert finish_interrupted(tmp_path / f"{name}.jsonl", tmp_path / f"{name}-closed.jsonl.gz")
        closed[name] = read_replay(tmp_path / f"{name}-closed.jsonl.gz", require_result=True)
        assert verify(closed[name]).ok, (name, verify(closed[name]).detail)
    assert len(closed) == 3
    assert [len(closed[n].frames) for n in ("torn", "broken")] == [7, 5]
    assert closed["torn"].result == {**result_for(closed["torn"].frames[-1]), "reason": "interrupted"}
    assert closed["whole"].result == read_replay(game[0]).result  # a finished game keeps its own result
    (tmp_path / "header-only.jsonl").write_text(lines[0])
    assert not finish_interrupted(tmp_path / "header-only.jsonl", tmp_path / "nothing.jsonl.gz")
    assert not (tmp_path / "nothing.jsonl.gz").exists()


@pytest.mark.parametrize("content,message", [
    ("", "empty file"),
    ("not json at all\n", "not JSON"),
    ('{"type":"frame","turn":0}\n', "not a snek replay"),
    ('{"type":"header","format":"other/9"}\n', "unsupported format"),
    ('{"type":"header","format":"snek-replay/1","game_id":"g"}\n', "ruleset: expected a string, got nothing"),
])
def test_bad_files_give_one_line_errors(tmp_path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(ReplayError, match=message) as info:
        read_replay(path)
    assert "\n" not in str(info.value)


def test_frame_gap_and_garbage_gzip(game, tmp_path) -> None:
    lines = dumps_replay(read_replay(game[0])).splitlines(keepends=True)
    gap = tmp_path / "gap.jsonl"
    gap.write_text(lines[0] + lines[1] + lines[3])
    with pytest.raises(ReplayError, match="line 3: frame for turn 2, expected turn 1"):
        read_replay(gap)
    fake = tmp_path / "fake.jsonl.gz"
    fake.write_bytes(b"\x1f\x8b not really gzip" + bytes(random.Random(1).randbytes(64)))
    with pytest.raises(ReplayError):
        read_replay(fake)
    with pytest.raises(ReplayError, match="no such file"):
        read_replay(tmp_path / "missing.jsonl")


def test_placements_share_ranks_on_ties() -> None:
    frame = {"turn": 9, "snakes": [
        {"id": "a", "alive": False, "death": {"turn": 9}, "body": []},
        {"id": "b", "alive": False, "death": {"turn": 9}, "body": []},
        {"id": "c", "alive": False, "death": {"turn": 4}, "body": []},
    ]}
    assert [(p["id"], p["rank"]) for p in placements(frame)] == [("a", 1), ("b", 1), ("c", 3)]
    assert result_for(frame)["winner"] is None


def test_gzip_is_smaller_than_plain(game, tmp_path) -> None:
    plain = tmp_path / "plain.jsonl"
    plain.write_text(dumps_replay(read_replay(game[0])))
    assert game[0].stat().st_size < plain.stat().st_size / 3
    with gzip.open(game[0], "rt") as handle:
        assert json.loads(handle.readline())["type"] == "header"
