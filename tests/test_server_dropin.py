"""Drop-in / drop-out on Match (the classic live room's game): late joiners, leaves and respawns are
recorded as frame events and the saved replay re-simulates exactly."""

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
    out = tmp_path / "room.jsonl.gz"
    players = [PythonPlayer(resolve_bot("greedy")), PythonPlayer(resolve_bot("safe")), RandomHuman(1), RandomHuman(2)]
    match = Match(players, MatchConfig(ruleset="classic", settings={"endless": True}, seed=3, seated=2,
                                       max_turns=300, grace_ms=0, timeout_ms=200), out=out)
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
