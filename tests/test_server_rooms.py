"""Rooms: games that wait for humans, endless rooms saved on close (late joiners included) and
verified from their seed and moves, grace periods, idle rooms cleaned, operator limits."""

from __future__ import annotations

import json

from serverkit import LiveServer, http
from waiting import wait_until
from wsclient import Client

from arena.replay import read_replay
from arena.verify import verify
from snek_viewer import ServerConfig


def test_endless_room_with_a_late_human_is_saved_on_close_and_verifies(tmp_path):
    library = tmp_path / "lib"
    live = LiveServer(ServerConfig(replays=library, demo_room=False))
    try:
        status, room, _ = http("POST", live.url + "/api/rooms", {
            "ruleset": "classic", "settings": {"endless": True}, "tick_ms": 20, "seed": 11,
            "seats": ["greedy", "space", None, None]})
        assert status == 201
        ann = Client(f"{live.ws_url}/ws/rooms/{room['id']}")
        ann.until(lambda m: m["type"] == "frame" and m["turn"] >= 10)
        ann.send({"type": "join", "name": "ann"})
        sid = ann.until(lambda m: m["type"] == "welcome")[0]["player_id"]
        moves = ["left", "up", "right", "down"]
        for i in range(40):
            ann.until(lambda m: m["type"] == "frame")
            ann.send({"type": "move", "move": moves[i // 3 % 4]})
        # left alone, the snake goes straight on into a wall; then it respawns
        ann.until(lambda m: m["type"] == "frame" and any(s["id"] == sid and not s["alive"] for s in m["snakes"]))
        ann.send({"type": "respawn"})
        respawned, _ = ann.until(lambda m: m["type"] in ("frame", "error") and (
            m["type"] == "error" or {"kind": "spawn", "id": sid} in m.get("events", [])))
        assert respawned["type"] == "frame", respawned
        live.snek.rooms.close(room["id"])  # what a shutdown does to every room
        saved = library / f"{room['id']}.jsonl.gz"
        replay = read_replay(saved, require_result=True)
        assert replay.header["seed"] == 11 and replay.header["seated"] == 2
        assert replay.result["reason"] == "stopped"
        joined = [f for f in replay.frames if {"kind": "spawn", "id": sid, "name": "ann"} in f.get("events", [])]
        assert len(joined) == 1 and joined[0]["turn"] > 10
        assert [f for f in replay.frames if {"kind": "spawn", "id": sid} in f.get("events", [])]  # the respawn
        verdict = verify(replay)
        assert verdict.ok, verdict.detail
        listed = {r["id"] for r in http("GET", live.url + "/api/replays")[1]["replays"]}
        assert room["id"] in listed and not (library / ".live" / saved.name).exists()
        # a closed room's socket serves its replay
        again = Client(f"{live.ws_url}/ws/rooms/{room['id']}")
        assert again.recv()["type"] == "header"
    finally:
        live.close()


def test_a_waiting_room_starts_when_its_seats_fill(tmp_path):
    with LiveServer(ServerConfig(replays=tmp_path, demo_room=False)) as live:
        status, room, _ = http("POST", live.url + "/api/rooms", {
            "ruleset": "standard", "tick_ms": 20, "seats": [None, "greedy", None], "wait_s": 600})
        assert room["status"] == "waiting"
        ann, bob = Client(f"{live.ws_url}/ws/rooms/{room['id']}"), Client(f"{live.ws_url}/ws/rooms/{room['id']}")
        ann.send({"type": "join", "name": "ann"})
        assert ann.until(lambda m: m["type"] == "welcome")[0]["player_id"] == "s0"
        assert http("GET", f"{live.url}/api/rooms/{room['id']}")[1]["status"] == "waiting"
        bob.send({"type": "join", "name": "bob"})
        assert bob.until(lambda m: m["type"] == "welcome")[0]["player_id"] == "s2"
        header, _ = ann.until(lambda m: m["type"] == "header")
        assert [p["name"] for p in header["players"]] == ["ann", "greedy", "bob"]
        assert wait_until(lambda: http("GET", f"{live.url}/api/rooms/{room['id']}")[1]["status"] != "waiting")
        late = Client(f"{live.ws_url}/ws/rooms/{room['id']}")
        late.send({"type": "join", "name": "cat"})
        assert late.until(lambda m: m["type"] == "error")[0]["code"] == "room_full"
        result, _ = ann.until(lambda m: m["type"] == "result", timeout=120)
        saved = read_replay(tmp_path / f"{room['id']}.jsonl.gz", require_result=True)
        assert saved.result == json.loads(json.dumps(result)) and verify(saved).ok


def test_an_endless_room_is_saved_in_parts_as_it_plays(tmp_path):
    library = tmp_path / "lib"
    with LiveServer(ServerConfig(replays=library, demo_room=False, segment_turns=8)) as live:
        status, room, _ = http("POST", live.url + "/api/rooms", {
            "ruleset": "classic", "settings": {"endless": True}, "tick_ms": 20, "seed": 5,
            "seats": ["greedy", "random", None]})
        assert status == 201
        ann = Client(f"{live.ws_url}/ws/rooms/{room['id']}")
        ann.send({"type": "join", "name": "ann"})
        ann.until(lambda m: m["type"] == "welcome")
        # parts reach the library while the room plays on, each listed like any finished game
        listed = lambda: {r["id"] for r in http("GET", live.url + "/api/replays")[1]["replays"]}  # noqa: E731
        assert wait_until(lambda: {f"{room['id']}-0000", f"{room['id']}-0001"} <= listed())
        assert http("GET", f"{live.url}/api/rooms/{room['id']}")[1]["status"] == "running"
        ann.close()
        live.snek.rooms.close(room["id"])
    parts = sorted(library.glob(f"{room['id']}-*.jsonl.gz")) + [library / f"{room['id']}.jsonl.gz"]
    assert len(parts) >= 3
    turns, verified = [], 0
    for k, path in enumerate(parts):
        replay = read_replay(path, require_result=True)
        assert replay.header.get("segment", 0) == k and replay.header["game_id"] == room["id"]
        assert replay.result.get("reason") == ("stopped" if k == len(parts) - 1 else "segment")
        verdict = verify(replay)
        assert verdict.ok, f"{path.name}: {verdict.detail}"
        verified += 1
        turns += [f["turn"] for f in (replay.frames if k == 0 else replay.frames[1:])]
    assert verified == len(parts) and turns == list(range(len(turns)))  # no turn lost, none twice
    assert all(read_replay(p).frames[-1]["turn"] == 8 * (k + 1) for k, p in enumerate(parts[:-1]))


def test_a_dropped_human_keeps_the_seat_for_the_grace_period_only(tmp_path):
    with LiveServer(ServerConfig(replays=None, demo_room=False, grace_s=0.5)) as live:
        status, room, _ = http("POST", live.url + "/api/rooms", {"ruleset": "classic", "tick_ms": 50,
                                                                 "settings": {"endless": True},
                                                                 "seats": ["greedy", None]})
        ann = Client(f"{live.ws_url}/ws/rooms/{room['id']}")
        ann.send({"type": "join", "name": "ann"})
        token = ann.until(lambda m: m["type"] == "welcome")[0]["token"]
        assert not http("GET", f"{live.url}/api/rooms/{room['id']}")[1]["seats"][1]["open"]
        ann.close()
        assert wait_until(lambda: http("GET", f"{live.url}/api/rooms/{room['id']}")[1]["seats"][1]["open"])
        back = Client(f"{live.ws_url}/ws/rooms/{room['id']}")
        back.send({"type": "join", "token": token})
        assert back.until(lambda m: m["type"] == "error")[0]["code"] == "bad_token"


def test_idle_rooms_are_cleaned_but_the_demo_room_stays(tmp_path):
    with LiveServer(ServerConfig(replays=None, idle_s=0.3)) as live:
        status, room, _ = http("POST", live.url + "/api/rooms", {"ruleset": "classic", "tick_ms": 50,
                                                                 "settings": {"endless": True}, "seats": ["greedy"]})
        assert status == 201 and len(http("GET", live.url + "/api/rooms")[1]["rooms"]) == 2
        wait_until(lambda: len(http("GET", live.url + "/api/rooms")[1]["rooms"]) == 1, timeout=60)
        assert http("GET", f"{live.url}/api/rooms/{room['id']}")[0] == 404
        assert http("GET", live.url + "/api/rooms")[1]["rooms"][0]["seats"][0]["name"] == "greedy"


def test_operator_limits(tmp_path):
    with LiveServer(ServerConfig(replays=None, demo_room=False, max_rooms=1, max_seats=2,
                                 max_spectators=1)) as live:
        status, answer, _ = http("POST", live.url + "/api/rooms", {"ruleset": "standard",
                                                                   "seats": ["greedy", "safe", "space"]})
        assert status == 400 and "at most 2" in answer["error"]
        status, room, _ = http("POST", live.url + "/api/rooms", {"ruleset": "classic", "seats": ["greedy"]})
        assert status == 201
        status, answer, _ = http("POST", live.url + "/api/rooms", {"ruleset": "classic", "seats": ["greedy"]})
        assert status == 503 and "room limit" in answer["error"]
        first = Client(f"{live.ws_url}/ws/rooms/{room['id']}")
        assert first.recv()["type"] == "header"
        second = Client(f"{live.ws_url}/ws/rooms/{room['id']}")
        assert second.recv()["code"] == "room_full"

