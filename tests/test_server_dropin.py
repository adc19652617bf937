"""Drop-in / drop-out on Match (the classic live room's game): late joiners, leaves and respawns are
recorded as frame events and the saved replay re-simulates exactly."""

import json
import random

from arena.match import Match, MatchConfig
from arena.players import PythonPlayer
from arena.players.base import MoveResult, Player
from arena.registry import resolve_bot
from arena.replay import read_replay
from arena.verify import verify


class RandomHuman(Player):
    kind = "human"
    name = "open"

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def move(self, state, timeout_ms):
        return MoveResult(self.rng.choice(["up", "down", "left", "right", None]))


def test_late_joins_leaves_and_respawns_verify(tmp_path):
    out = tmp_path / "room.jsonl.gz"  # no timeouts under load below: the game is the seed's
    players = [PythonPlayer(resolve_bot("greedy")), PythonPlayer(resolve_bot("safe")), RandomHuman(1), RandomHuman(2)]
    match = Match(players, MatchConfig(ruleset="classic", settings={"endless": True}, seed=3, seated=2,
                                       max_turns=300, grace_ms=0, timeout_ms=20_000), out=out)
    assert match.header["seated"] == 2 and [s["id"] for s in match.start()["snakes"]] == ["s0", "s1"]
    respawns = 0
    for turn in range(300):
        if turn == 5:
            match.spawn(2, "ann")
        if turn == 40:
            match.spawn(3, "bob")
        if turn == 7:  # two turns after its spawn: a safe spot has three free cells ahead
            match.leave(2)
        for seat in (0, 1, 3):  # s2 left for good
            if match.batch.present[0, seat] and not match.batch.alive[0, seat]:
                match.spawn(seat)
                respawns += 1
        match.play_turn()
    match.finish()
    match.close()
    replay = read_replay(out, require_result=True)
    events = [e for f in replay.frames for e in f.get("events", [])]
    assert {"kind": "spawn", "id": "s2", "name": "ann"} in events and {"kind": "remove", "id": "s2"} in events
    assert respawns > 0 and sum(e["kind"] == "spawn" for e in events) >= 2 + 1  # joins plus at least one respawn
    assert replay.frames[6]["snakes"][2]["id"] == "s2"  # the joiner is on the board from the frame after
    verdict = verify(replay)
    assert verdict.ok, verdict.detail
    assert verdict.turns == 301


def _drop_in_game(out, every: int | None, turns: int = 120) -> tuple[list[dict], list]:
    """The same seeded drop-in game (joins, a leave, respawns); with ``every``, written in segments of that
    many turns to ``out``-<k> files.  Returns the frames as played and the files written."""
    players = [RandomHuman(seed) for seed in range(4)]
    config = MatchConfig(ruleset="classic", settings={"endless": True}, seed=9, seated=2, width=9, height=9,
                         max_turns=turns, grace_ms=0, timeout_ms=5000)
    paths = [out.with_name(f"{out.stem}-0.jsonl")]
    match = Match(players, config, out=paths[0], keep_frames=True)
    match.start()
    for turn in range(turns):
        if turn == 3:
            match.spawn(2, "ann")
        if turn == 30:
            match.spawn(3, "bob")
        if turn == 50:
            match.leave(2)
        for seat in (0, 1, 3):
            if match.batch.present[0, seat] and not match.batch.alive[0, seat]:
                match.spawn(seat)
        match.play_turn()
        if every and (turn + 1) % every == 0 and turn + 1 < turns:
            assert match.end_segment() == paths[-1]
            paths.append(out.with_name(f"{out.stem}-{len(paths)}.jsonl"))
            match.begin_segment(paths[-1])
    match.finish("stopped")
    match.close()
    return match.frames, paths


def test_an_endless_game_written_in_segments_is_the_same_game_and_each_part_verifies(tmp_path):
    whole, [single] = _drop_in_game(tmp_path / "whole", every=None)
    played, parts = _drop_in_game(tmp_path / "parts", every=17)
    assert len(parts) == 120 // 17 + 1 == 8
    assert [f["snakes"] for f in played] == [f["snakes"] for f in whole]  # writing in parts changes nothing
    stitched, verified = [], 0
    for k, path in enumerate(parts):
        replay = read_replay(path, require_result=True)
        assert replay.header.get("segment", 0) == k and ("initial" in replay.header) == (k > 0)
        assert replay.result.get("reason") == ("stopped" if k == len(parts) - 1 else "segment")
        verdict = verify(replay)
        assert verdict.ok, f"part {k}: {verdict.detail}"
        verified += 1
        stitched.extend(replay.frames if k == 0 else replay.frames[1:])  # a part starts where the last ended
    assert verified == 8
    assert [(f["turn"], f["food"], [(s["id"], s["body"], s["alive"], s["death"]) for s in f["snakes"]])
            for f in stitched] == [(f["turn"], f["food"], [(s["id"], s["body"], s["alive"], s["death"])
                                                           for s in f["snakes"]]) for f in whole]
    events = [e for f in stitched for e in f.get("events", [])]
    assert {"kind": "spawn", "id": "s2", "name": "ann"} in events and sum(e["kind"] == "spawn" for e in events) >= 3
    assert any(not s["alive"] for f in stitched for s in f["snakes"])  # parts began with dead snakes on board
    assert read_replay(single).frames[-1]["turn"] == 120


def test_a_segment_that_lies_about_its_start_is_caught(tmp_path):
    _, parts = _drop_in_game(tmp_path / "parts", every=40)
    lines = parts[1].read_text().splitlines()
    header = json.loads(lines[0])
    header["initial"]["snakes"][0]["health"] -= 1  # the position the part claims to start from
    parts[1].write_text("\n".join([json.dumps(header)] + lines[1:]) + "\n")
    verdict = verify(read_replay(parts[1]))
    assert not verdict.ok and verdict.first_bad_turn == 40 and "health" in verdict.detail
