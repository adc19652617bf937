"""A Redis outage under a live ``--redis`` server (issue 20, item 5): a real redis-server is killed
(SIGKILL) mid-game and started again on the same port.  Rooms keep ticking, spectators are told and
closed (never left hanging), new sockets are refused with a message (never an HTTP 500 in the upgraded
stream), ``/healthz`` says Redis is down, the janitor survives, and when Redis is back the process
reconnects and serves the room again with its backlog, to its own sockets and to another process's."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from redis_server import RedisProcess
from serverkit import LiveServer, handshake, http, read_frames
from waiting import wait_until
from wsclient import Client

from snek_viewer import ServerConfig
from snek_viewer.hub import make_hub

pytest.importorskip("redis")

TRY_AGAIN_LATER = 1013


def frames_until_closed(client: Client, timeout: float = 30.0) -> list[dict]:
    """Everything the server sends until it closes the socket (fails if it never does)."""
    got, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            text = client.ws.receive(timeout=max(0.01, deadline - time.monotonic()))
        except Exception:  # ConnectionClosed: the server hung up
            return got
        if text is None:
            break
        got.append(json.loads(text))
    raise AssertionError(f"the socket was left hanging ({len(got)} messages, no close)")


def test_rooms_survive_a_redis_outage_and_come_back(tmp_path: Path) -> None:
    redis = RedisProcess(tmp_path).start()
    config = ServerConfig(replays=tmp_path / "lib", demo_room=False, hub=lambda: make_hub(redis.url))
    live = LiveServer(config)
    other = LiveServer(ServerConfig(replays=None, demo_room=False, hub=lambda: make_hub(redis.url)))  # process B
    try:
        body = {"ruleset": "classic", "settings": {"endless": True}, "tick_ms": 100, "seats": ["greedy", "safe", None]}
        status, room, _ = http("POST", live.url + "/api/rooms", body)
        assert status == 201, room
        rid = room["id"]
        owned = live.snek.rooms.get(rid)
        spectator = Client(f"{live.ws_url}/ws/rooms/{rid}")
        assert spectator.recv()["type"] == "header"
        human = Client(f"{live.ws_url}/ws/rooms/{rid}")
        human.send({"type": "join", "name": "ann"})
        welcome = human.until(lambda m: m["type"] in ("welcome", "error"))[0]
        assert welcome["type"] == "welcome"
        wait_until(lambda: owned.turn >= 5)
        assert http("GET", live.url + "/healthz")[:2] == (200, {"ok": True, "redis": "up"})
        remote = Client(f"{other.ws_url}/ws/rooms/{rid}")  # a spectator on B of A's room
        assert remote.recv()["type"] == "header"

        redis.kill()  # the outage
        told = frames_until_closed(spectator)
        assert told and told[-1]["type"] == "error" and told[-1]["code"] == "unavailable"
        assert spectator.ws.close_reason == TRY_AGAIN_LATER
        assert frames_until_closed(human)[-1]["code"] == "unavailable"
        assert frames_until_closed(remote)[-1]["code"] == "unavailable" and remote.ws.close_reason == TRY_AGAIN_LATER
        assert http("GET", other.url + "/healthz")[0] == 503
        status, health, _ = http("GET", live.url + "/healthz")
        assert status == 503 and health["ok"] is False and health["redis"] == "down"
        # the room plays on locally, is still listed by its owner, and the janitor keeps running
        turn = owned.turn
        wait_until(lambda: owned.turn >= turn + 10)
        status, rooms, _ = http("GET", live.url + "/api/rooms")
        assert status == 200 and [r["id"] for r in rooms["rooms"]] == [rid]
        live.snek.rooms.clean()
        assert live.snek.rooms._janitor.is_alive()
        # a new socket during the outage: one error, then a close (not an HTTP 500 in the upgraded stream)
        # (raw sockets: simple-websocket's client loses messages that arrive with the handshake's answer)
        for path in (f"/ws/rooms/{rid}", f"/games/{rid}/events"):
            late = handshake(live.httpd.server_port, path)
            frames = read_frames(late, time.monotonic() + 30)
            late.close()
            assert [op for op, _ in frames] == [0x1, 0x8], frames  # one message, then the close frame
            assert json.loads(frames[0][1])["code"] == "unavailable"
            assert int.from_bytes(frames[1][1][:2], "big") == TRY_AGAIN_LATER

        redis.start()  # same port, empty: the process reconnects and puts its room back
        wait_until(lambda: http("GET", live.url + "/healthz")[0] == 200, timeout=60)
        back = Client(f"{live.ws_url}/ws/rooms/{rid}")
        assert back.recv()["type"] == "header"
        backlog = [back.recv() for _ in range(20)]
        turns = [m["turn"] for m in backlog if m["type"] == "frame"]
        assert turns[0] == 0 and turns == list(range(len(turns)))  # the whole game so far, outage included
        live_turn = back.until(lambda m: m["type"] == "frame" and m["turn"] > owned.turn - 1, timeout=60)[0]["turn"]
        assert live_turn > turn + 10
        again = Client(f"{live.ws_url}/ws/rooms/{rid}")
        again.send({"type": "join", "token": welcome["token"]})
        assert again.until(lambda m: m["type"] in ("welcome", "error"))[0]["type"] == "welcome"
        assert [r["id"] for r in http("GET", live.url + "/api/rooms")[1]["rooms"]] == [rid]
        # B lists A's room again and streams it, backlog first
        wait_until(lambda: [r["id"] for r in http("GET", other.url + "/api/rooms")[1]["rooms"]] == [rid], timeout=60)
        seen = Client(f"{other.ws_url}/ws/rooms/{rid}")
        assert seen.recv()["type"] == "header" and seen.recv()["turn"] == 0
        seen.until(lambda m: m["type"] == "frame" and m["turn"] > live_turn)
    finally:
        other.close()
        live.close()
        redis.stop()
    saved = tmp_path / "lib" / f"{rid}.jsonl.gz"
    assert saved.exists() and not list((tmp_path / "lib" / ".live").glob("*"))
