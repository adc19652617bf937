"""`verify` checks everything a replay claims (header, every frame, the result), and the reader
refuses values that cannot occur."""

from __future__ import annotations

from pathlib import Path

import pytest
from replay_tools import lines_of, record_game, rewrite

from arena.replay import ReplayError, open_replay, read_replay
from arena.verify import verify


@pytest.fixture(scope="module")
def game(tmp_path_factory) -> Path:
    return record_game(tmp_path_factory.mktemp("verify") / "game.jsonl.gz")


def last_frame_index(objs: list[dict]) -> int:
    return max(i for i, o in enumerate(objs) if o["type"] == "frame")


def stepping_snake(objs: list[dict]) -> tuple[int, int]:
    """(line, snake index) of a snake that moved into that frame (it was alive the frame before)."""
    for i in range(2, len(objs)):
        if objs[i]["type"] != "frame":
            continue
        for k in range(len(objs[i]["snakes"])):
            if objs[i - 1]["snakes"][k]["alive"]:
                return i, k
    raise AssertionError("no snake ever moved")


def _winner_changed(objs):
    objs[-1]["winner"] = "s3" if objs[-1]["winner"] != "s3" else "s2"


def _ranks_swapped(objs):
    first, last = objs[-1]["placements"][0], objs[-1]["placements"][-1]
    first["rank"], last["rank"] = last["rank"], first["rank"]


def _turns_changed(objs):
    objs[-1]["turns"] += 1


def _reason_added(objs):
    objs[-1]["reason"] = "max-turns"


def _death_turn_changed(objs):
    dead = [p for p in objs[-1]["placements"] if p["death_turn"] is not None]
    dead[0]["death_turn"] -= 1


def _final_frames_dropped(objs):
    end = last_frame_index(objs)
    del objs[end - 2:end + 1]


def _final_frames_dropped_result_rewritten(objs):
    """The cut-short file claims its own last frame's outcome: still not the game that was played."""
    end = last_frame_index(objs)
    del objs[end - 2:end + 1]
    objs[-1]["turns"] = objs[-2]["turn"]


def _settings_changed(objs):
    objs[0]["settings"]["foodSpawnChance"] = 99


def _header_size_changed(objs):
    objs[0]["width"] = 12


def _move_to_null(objs):
    i, k = stepping_snake(objs)
    objs[i]["snakes"][k]["move"] = None


def _first_frame_move(objs):
    objs[1]["snakes"][0]["move"] = "left"


@pytest.mark.parametrize("change", [
    _winner_changed, _ranks_swapped, _turns_changed, _reason_added, _death_turn_changed, _final_frames_dropped,
    _final_frames_dropped_result_rewritten, _settings_changed, _header_size_changed, _move_to_null,
    _first_frame_move,
], ids=lambda f: f.__name__.strip("_"))
def test_every_claim_is_checked(game: Path, tmp_path: Path, change) -> None:
    tampered = rewrite(game, tmp_path / "tampered.jsonl", change)
    assert tampered.read_text() != "".join(open_text(game))  # the change really happened
    try:
        verdict = verify(read_replay(tampered))
    except ReplayError as exc:  # refused on read: also a failure to pass as genuine
        assert "\n" not in str(exc)
        return
    assert not verdict.ok, f"{change.__name__} passed as OK"
    assert verdict.detail and "\n" not in verdict.detail


def open_text(path: Path) -> list[str]:
    import gzip
    import json

    with gzip.open(path, "rt") as handle:
        return [json.dumps(json.loads(line), separators=(",", ":")) + "\n" for line in handle]


def test_untouched_copy_still_verifies(game: Path, tmp_path: Path) -> None:
    """The rewriting itself changes nothing a reader cares about (so the failures above are the changes')."""
    copy = rewrite(game, tmp_path / "copy.jsonl", lambda objs: None)
    assert verify(read_replay(copy)).ok


def test_result_mismatch_names_the_field(game: Path, tmp_path: Path) -> None:
    verdict = verify(read_replay(rewrite(game, tmp_path / "t.jsonl", _winner_changed)))
    assert not verdict.ok and "winner" in verdict.detail


def test_dropped_final_frames_are_reported(game: Path, tmp_path: Path) -> None:
    verdict = verify(read_replay(rewrite(game, tmp_path / "t.jsonl", _final_frames_dropped)))
    assert not verdict.ok and "turns" in verdict.detail


def _set(objs, where, value):
    """Set objs[line][key]...[key] = value."""
    line, *keys = where
    target = objs[line]
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value


@pytest.mark.parametrize("where,value,message", [
    ((0, "width"), 0, "width"),
    ((0, "width"), 10**9, "width"),
    ((0, "height"), True, "height"),
    ((0, "seed"), 1.5, "seed"),
    ((0, "players", 0, "id"), 5, "id"),
    ((2, "snakes", 0, "move"), "diagonal", "move"),
    ((2, "snakes", 0, "move"), 7, "move"),
    ((2, "snakes", 0, "move"), "UP", "move"),
    ((2, "snakes", 0, "body", 0), [1.0, 2], "body"),
    ((2, "snakes", 0, "body", 0), [True, 2], "body"),
    ((2, "snakes", 0, "body", 0), [1, 2, 3], "body"),
    ((2, "snakes", 0, "body", 0), [40, 2], "body"),
    ((2, "food"), [[1, 1]] * 200, "food"),
    ((2, "snakes", 0, "health"), 101, "health"),
    ((2, "snakes", 0, "alive"), 1, "alive"),
    ((2, "snakes", 0, "latency_ms"), "fast", "latency_ms"),
    ((2, "snakes", 0, "id"), "s9", "id"),
    ((2, "events"), [{"kind": "teleport", "id": "s0"}], "kind"),
    ((2, "events"), [{"kind": "spawn", "id": "nobody"}], "id"),
    ((2, "events"), {"kind": "spawn"}, "events"),
    ((-1, "winner"), "nobody", "winner"),
    ((-1, "placements", 0, "rank"), "1", "rank"),
    ((-1, "placements"), [{"rank": 1}], "id"),
])
def test_impossible_values_are_errors(game: Path, tmp_path: Path, where, value, message: str) -> None:
    path = rewrite(game, tmp_path / "bad.jsonl", lambda objs: _set(objs, where, value))
    with pytest.raises(ReplayError, match=message) as info:
        read_replay(path)
    text = str(info.value)
    assert "\n" not in text and "line" in text


def test_dead_snake_without_death_is_an_error(game: Path, tmp_path: Path) -> None:
    def kill_quietly(objs):
        objs[2]["snakes"][0]["alive"] = False

    with pytest.raises(ReplayError, match="death"):
        read_replay(rewrite(game, tmp_path / "bad.jsonl", kill_quietly))


def test_reader_streams_with_header_first(game: Path) -> None:
    with open_replay(game) as reader:
        assert reader.header["format"] == "snek-replay/1"
        assert reader.result is None
        turns = [frame["turn"] for frame in reader.frames]
        assert reader.result is not None and reader.result["turns"] == turns[-1]
    assert turns == list(range(len(lines_of(game)) - 2))
