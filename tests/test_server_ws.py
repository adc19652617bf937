"""The websocket protocol of `snek serve` with real clients on 127.0.0.1: spectate, late join with the
backlog, join and steer, reconnect with the token, hijacks refused, a slow client that stalls nobody,
thousands of malformed and hostile messages, floods closed."""

from __future__ import annotations

import json
import random
import socket
import threading
import time

import pytest
import simple_websocket
from serverkit import LiveServer, http, read_frames
from waiting import wait_until
from wsclient import Client

from arena.replay import read_replay
from arena.verify import verify
from snek_viewer import ServerConfig

DELTA = {"up": (0, 1), "down": (0, -1), "left": (-1, 0), "right": (1, 0)}
REVERSE = {"up": "down", "down": "up", "left": "right", "right": "left"}
OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left"}


@pytest.fixture()
def live(tmp_path):
    with LiveServer(ServerConfig(replays=tmp_path / "lib", demo_room=False, grace_s=60)) as server:
        yield server


def new_room(server: LiveServer, **fields) -> str:
    body = {"ruleset": "classic", "settings": {"endless": True}, "tick_ms": 100, "seats": ["greedy", None], **fields}
    status, room, _ = http("POST", server.url + "/api/rooms", body)
    assert status == 201, room
    return room["id"]


def snake(frame: dict, sid: str) -> dict | None:
    return next((s for s in frame["snakes"] if s["id"] == sid), None)


def heading(body: list) -> str:
    (hx, hy), (nx, ny) = body[0], body[1]
    return next(m for m, d in DELTA.items() if d == (hx - nx, hy - ny))


def test_spectators_get_header_backlog_then_live_frames(live):
    room = new_room(live)
    first = Client(f"{live.ws_url}/ws/rooms/{room}")
    header = first.recv()
    assert header["type"] == "header" and header["format"] == "snek-replay/1" and header["game_id"] == room
    assert header["seated"] == 1 and [p["kind"] for p in header["players"]] == ["python", "human"]
    frames = [first.recv() for _ in range(5)]
    assert [f["turn"] for f in frames] == list(range(5)) and all(f["type"] == "frame" for f in frames)
    late = Client(f"{live.ws_url}/ws/rooms/{room}")
    assert late.recv()["type"] == "header"
    backlog = [late.recv() for _ in range(5)]
    assert [f["turn"] for f in backlog] == list(range(5))  # a late joiner can scrub the whole game
    assert wait_until(lambda: http("GET", f"{live.url}/api/rooms/{room}")[1]["spectators"] == 2)
    first.close()
    late.close()
    assert wait_until(lambda: http("GET", f"{live.url}/api/rooms/{room}")[1]["spectators"] == 0)


def test_join_steer_reconnect_and_leave(live):
    room = new_room(live)
    player = Client(f"{live.ws_url}/ws/rooms/{room}")
    player.send({"type": "join", "name": "Zoë 🐍 <b>"})
    welcome, _ = player.until(lambda m: m["type"] == "welcome")
    sid, token = welcome["player_id"], welcome["token"]
    assert sid == "s1" and len(token) >= 16
    frame, _ = player.until(lambda m: m["type"] == "frame" and snake(m, sid) is not None)
    assert {"kind": "spawn", "id": sid, "name": "Zoë 🐍 <b>"} in frame["events"]
    room_seats = http("GET", f"{live.url}/api/rooms/{room}")[1]["seats"]
    assert room_seats[1]["name"] == "Zoë 🐍 <b>" and room_seats[1]["kind"] == "human" and not room_seats[1]["open"]

    def steer(client: Client, wanted: str | None = None) -> None:
        """Send a turn (never a reversal) and check the head moved that way on the frame that applied it."""
        frame, _ = client.until(lambda m: m["type"] == "frame" and (snake(m, sid) or {}).get("alive"))
        going = heading(snake(frame, sid)["body"])
        move = wanted or next(m for m in ("up", "left", "down", "right") if m not in (going, OPPOSITE[going]))
        client.send({"type": "move", "move": move.upper()})  # the original game's "LEFT" works too
        moved, _ = client.until(lambda m: m["type"] == "frame" and (snake(m, sid) or {}).get("move") == move)
        before = next(f for f in [frame, *_] if f["turn"] == moved["turn"] - 1) if moved["turn"] > frame["turn"] + 1 \
            else frame
        (hx, hy), (px, py) = snake(moved, sid)["body"][0], snake(before, sid)["body"][0]
        assert (hx - px, hy - py) == DELTA[move]

    steer(player)
    player.close()  # the connection drops: the seat waits for the token (grace period)
    again = Client(f"{live.ws_url}/ws/rooms/{room}")
    again.send({"type": "join", "token": token})
    welcome, _ = again.until(lambda m: m["type"] == "welcome")
    assert welcome == {"type": "welcome", "player_id": sid, "token": token}
    steer(again)
    again.send({"type": "leave"})
    gone, _ = again.until(lambda m: m["type"] == "frame" and {"kind": "remove", "id": sid} in m.get("events", []))
    assert snake(gone, sid)["death"]["cause"] == "left"
    again.send({"type": "move", "move": "up"})
    assert again.until(lambda m: m["type"] == "error")[0]["code"] == "not_playing"
    assert http("GET", f"{live.url}/api/rooms/{room}")[1]["seats"][1]["open"]


def test_a_room_of_humans_only_starts_empty_and_takes_players_in(live, tmp_path):
    room = new_room(live, seats=[None, None])
    ann, bob = Client(f"{live.ws_url}/ws/rooms/{room}"), Client(f"{live.ws_url}/ws/rooms/{room}")
    header = ann.recv()
    assert header["seated"] == 0 and [p["kind"] for p in header["players"]] == ["human", "human"]
    empty, _ = ann.until(lambda m: m["type"] == "frame" and m["turn"] >= 2)
    assert empty["snakes"] == []  # nobody on the board, and the endless game goes on
    ann.send({"type": "join", "name": "ann"})
    bob.send({"type": "join", "name": "bob"})
    ids = {ann.until(lambda m: m["type"] == "welcome")[0]["player_id"],
           bob.until(lambda m: m["type"] == "welcome")[0]["player_id"]}
    assert ids == {"s0", "s1"}
    both, _ = ann.until(lambda m: m["type"] == "frame" and {s["id"] for s in m["snakes"] if s["alive"]} == ids)
    assert both["turn"] > empty["turn"]
    ann.close()
    bob.close()
    live.snek.rooms.close(room)  # as at shutdown: the endless game is saved
    path = tmp_path / "lib" / f"{room}.jsonl.gz"
    assert path.exists()
    saved = read_replay(path)
    assert saved.result["reason"] == "stopped" and verify(saved).ok
    assert {e["name"] for f in saved.frames for e in f.get("events", ())} == {"ann", "bob"}


def test_hijacks_are_refused(live):
    room = new_room(live)
    owner = Client(f"{live.ws_url}/ws/rooms/{room}")
    owner.send({"type": "join", "name": "ann"})
    welcome, _ = owner.until(lambda m: m["type"] == "welcome")
    thief = Client(f"{live.ws_url}/ws/rooms/{room}")
    attempts = [{"type": "move", "move": "left"}, {"type": "move", "move": "left", "player_id": welcome["player_id"]},
                {"type": "join", "token": "x" * 24}, {"type": "join", "token": welcome["token"][:-1]},
                {"type": "leave"}, {"type": "respawn"}, {"type": "join", "player_id": welcome["player_id"]}]
    for attempt in attempts:
        thief.send(attempt)
    errors = [thief.until(lambda m: m["type"] == "error")[0]["code"] for _ in attempts]
    assert errors == ["not_playing", "not_playing", "bad_token", "bad_token", "not_playing", "not_playing", "bad_name"]
    # the owner still holds the seat and steers
    owner.send({"type": "move", "move": "up"})
    owner.send({"type": "leave"})
    frame, _ = owner.until(lambda m: m["type"] == "frame" and {"kind": "remove", "id": "s1"} in m.get("events", []))
    assert snake(frame, "s1")["death"]["cause"] == "left"


def test_room_full_and_respawn_rules(live):
    room = new_room(live, seats=["greedy", None])
    ann, bob = Client(f"{live.ws_url}/ws/rooms/{room}"), Client(f"{live.ws_url}/ws/rooms/{room}")
    ann.send({"type": "join", "name": "ann"})
    assert ann.until(lambda m: m["type"] in ("welcome", "error"))[0]["type"] == "welcome"
    ann.send({"type": "join", "name": "ann again"})
    assert ann.until(lambda m: m["type"] == "error")[0]["code"] == "already_playing"
    bob.send({"type": "join", "name": "bob"})
    assert bob.until(lambda m: m["type"] == "error")[0]["code"] == "room_full"
    ann.until(lambda m: m["type"] == "frame" and (snake(m, "s1") or {}).get("alive"))
    ann.send({"type": "respawn"})
    assert ann.until(lambda m: m["type"] == "error")[0]["code"] == "no_respawn"
    # turn sideways (the snake never does that by itself) for the nearer wall, hit it, then come back
    width, height = (http("GET", f"{live.url}/api/rooms/{room}")[1][k] for k in ("width", "height"))
    frame, _ = ann.until(lambda m: m["type"] == "frame" and (snake(m, "s1") or {}).get("alive"))
    me = snake(frame, "s1")
    (hx, hy), going = me["body"][0], heading(me["body"])
    walls = {"left": hx, "right": width - 1 - hx, "down": hy, "up": height - 1 - hy}
    direction = min((d for d in walls if d not in (going, REVERSE[going])), key=walls.get)
    ann.send({"type": "move", "move": direction})
    steered, _ = ann.until(lambda m: m["type"] == "frame" and snake(m, "s1")["move"] == direction, timeout=60)
    course = [steered]
    while snake(course[-1], "s1")["alive"]:
        course.append(ann.until(lambda m: m["type"] == "frame", timeout=60)[0])
    assert [snake(f, "s1")["move"] for f in course] == [direction] * len(course)  # on, as sent, until it died
    assert snake(course[-1], "s1")["death"]["cause"] in ("wall-collision", "snake-collision", "head-collision")
    ann.send({"type": "respawn"})
    back, _ = ann.until(lambda m: m["type"] == "frame" and {"kind": "spawn", "id": "s1"} in m.get("events", []))
    assert snake(back, "s1")["alive"]


def test_a_slow_client_stalls_nobody(tmp_path):
    """A client that never reads: its own queue drops its oldest frames (it is told `lagging`); the room's
    turns and the other spectators go on."""
    config = ServerConfig(replays=None, demo_room=False, queue_frames=4)
    with LiveServer(config) as live:
        room = new_room(live, width=25, height=25, tick_ms=20,
                        seats=["greedy", "safe"] * 6)
        # small kernel buffers on both ends (accepted sockets inherit the listener's), so the few
        # frames the network could hold fill up quickly and the server's writer for this client blocks
        live.httpd.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", live.httpd.server_port))
        stalled.sendall((f"GET /ws/rooms/{room} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        watcher = Client(f"{live.ws_url}/ws/rooms/{room}")
        try:
            stream = live.snek.hub._streams[room]
            wait_until(lambda: sum(s.dropped for s in stream.subscribers) > 0, timeout=120)
            slow = next(s for s in stream.subscribers if s.dropped)
            turns = [m["turn"] for m in (watcher.recv() for _ in range(100)) if m["type"] == "frame"]
            assert turns == list(range(turns[0], turns[0] + len(turns)))  # the watcher missed nothing
            assert slow.dropped > 0 and len(slow._live) <= 4
            turn = http("GET", f"{live.url}/api/rooms/{room}")[1]["turn"]
            assert wait_until(lambda: http("GET", f"{live.url}/api/rooms/{room}")[1]["turn"] > turn + 20)
        finally:
            stalled.close()
            watcher.close()


def hostile_messages(rng: random.Random, count: int) -> list:
    """Messages that must each get exactly one error: junk, wrong types, bad fields, oversize, binary."""
    fixed = ["", " ", "null", "[]", "42", '"join"', "{", "}", '{"type":', "{\"type\":\"join\"", "\x00\x01\x02",
             '{"type": null}', '{"type": 7}', '{"type": "JOIN"}', '{"type": "disconnect", "conn": "x"}',
             '{"type": "welcome"}', '{"type": "join"}', '{"type": "join", "name": ""}',
             '{"type": "join", "name": "   "}', '{"type": "join", "name": 5}', '{"type": "join", "name": "' + "n" * 33
             + '"}', '{"type": "join", "token": 5}', '{"type": "join", "token": ""}', '{"type": "move"}',
             '{"type": "move", "move": "sideways"}', '{"type": "move", "move": ["up"]}', '{"type": "move", "move": 1}',
             '{"type": "move", "move": "up"}', '{"type": "leave"}', '{"type": "respawn"}', "x" * 5000,
             json.dumps({"type": "join", "name": "é" * 2100}), "[" * 10_000 + "]" * 10_000, '{"a":' * 3000,
             b"\x00binary", '{"type": "move", "move": "up", "extra": ' + "1" * 4000 + "}"]
    out = list(fixed)
    alphabet = '{}[]":,0123456789abcdefghijklmnopqrstuvwxyz \\ntypejoinmove\u00e9\U0001f40d'
    while len(out) < count:
        kind = rng.random()
        if kind < 0.4:
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80))))
        elif kind < 0.7:
            out.append(json.dumps({"type": rng.choice(["move", "join", "leave", "respawn", "x", 1, None]),
                                   "move": rng.choice(["UP", "diagonal", 3, None, "le ft"]),
                                   "token": rng.choice([None, 7, "nope" * 3]),
                                   "name": rng.choice([None, 3, "", "x" * 40])}))
        else:
            out.append(bytes(rng.randrange(256) for _ in range(rng.randint(1, 40))))
    return out


def test_thousands_of_hostile_messages_each_get_an_error_and_the_server_still_serves(tmp_path):
    config = ServerConfig(replays=None, demo_room=False, rate_per_s=1e6, rate_burst=10**6)
    with LiveServer(config) as live:
        room = new_room(live)
        watcher = Client(f"{live.ws_url}/ws/rooms/{room}")
        fuzzer = Client(f"{live.ws_url}/ws/rooms/{room}")
        messages = hostile_messages(random.Random(7), 3000)
        errors, sent = [], 0
        for start in range(0, len(messages), 50):  # pipelined in batches, every reply read
            batch = messages[start:start + 50]
            for message in batch:
                fuzzer.send(message)
                sent += 1
            for _ in batch:
                errors.append(fuzzer.until(lambda m: m["type"] in ("error", "welcome"))[0])
        assert sent == len(messages) == 3000 and len(errors) == sent
        assert all(e["type"] == "error" and set(e) == {"type", "code", "message"} for e in errors)
        codes = {e["code"] for e in errors}
        assert {"bad_json", "bad_message", "unknown_type", "bad_name", "bad_move", "bad_token", "too_large",
                "not_playing"} <= codes
        # the room ticked on, the watcher saw consecutive turns, and everything else still works
        turns = [m["turn"] for m in (watcher.recv() for _ in range(30)) if m["type"] == "frame"]
        assert turns == list(range(turns[0], turns[0] + len(turns)))
        fuzzer.send({"type": "join", "name": "still fine"})
        assert fuzzer.until(lambda m: m["type"] in ("welcome", "error"))[0]["type"] == "welcome"
        assert http("GET", live.url + "/healthz")[:2] == (200, {"ok": True})
        fresh = Client(f"{live.ws_url}/ws/rooms/{room}")
        assert fresh.recv()["type"] == "header"


def test_a_flood_is_rate_limited_then_closed(live):
    room = new_room(live)
    flooder = Client(f"{live.ws_url}/ws/rooms/{room}")
    sent = 0
    try:
        for _ in range(2000):
            flooder.send({"type": "move", "move": "up"})
            sent += 1
    except (simple_websocket.ConnectionClosed, OSError):  # the server closed the socket under us: the point
        pass
    codes = []  # read until the server says it is closing (or has closed): a missing "closing" fails below
    while "closing" not in codes:
        try:
            message = flooder.recv()
        except (simple_websocket.ConnectionClosed, OSError):
            break
        if message["type"] == "error":
            codes.append(message["code"])
    assert sent > live.snek.config.abuse_limit and "rate_limited" in codes and codes[-1] == "closing"
    assert flooder.ws.close_reason == 1008
    calm = Client(f"{live.ws_url}/ws/rooms/{room}")  # others are unaffected
    assert calm.recv()["type"] == "header"


def test_replay_sockets_send_the_stored_game_and_refuse_input(live, tmp_path):
    room = new_room(live, ruleset="standard", settings={}, width=7, height=7, tick_ms=20, max_turns=30,
                    seats=["greedy", "safe"])
    watcher = Client(f"{live.ws_url}/ws/rooms/{room}")
    result, seen = watcher.until(lambda m: m["type"] == "result", timeout=60)
    saved = tmp_path / "lib" / f"{room}.jsonl.gz"
    wait_until(saved.exists)
    assert verify(read_replay(saved, require_result=True)).ok
    replay = Client(f"{live.ws_url}/ws/replays/{room}")
    lines = [replay.recv() for _ in range(len(seen) + 1)]
    assert lines == [*seen, result]
    replay.send({"type": "join", "name": "ann"})
    assert replay.recv()["code"] == "not_live"
    missing = Client(f"{live.ws_url}/ws/replays/nope")
    assert missing.recv()["code"] == "not_found"


def raw_spectator(live: LiveServer, path: str) -> socket.socket:
    """A bare websocket client: the handshake and nothing else (it never answers pings by itself)."""
    raw = socket.create_connection(("127.0.0.1", live.httpd.server_port), timeout=30)
    raw.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    return raw


def test_one_thread_per_socket_and_each_frame_built_once(live):
    """The sending side costs no thread per socket (the handler thread only reads) and a frame's websocket
    bytes are built once for all its subscribers."""
    room = new_room(live)
    writer = live.snek.writer
    before = threading.active_count()
    sockets = [raw_spectator(live, f"/ws/rooms/{room}") for _ in range(12)]
    try:
        wait_until(lambda: live.snek.hub.spectators(room) == 12)
        assert threading.active_count() - before <= 12 + 2  # one handler thread each (was three), a bot call's
        assert not [t for t in threading.enumerate() if "simple_websocket" in t.name]
        turn = http("GET", f"{live.url}/api/rooms/{room}")[1]["turn"]
        built = writer.encode.built
        wait_until(lambda: http("GET", f"{live.url}/api/rooms/{room}")[1]["turn"] >= turn + 10)
        published = http("GET", f"{live.url}/api/rooms/{room}")[1]["turn"] - turn
        assert 10 <= writer.encode.built - built <= published + 2  # once per frame, not once per socket
        ten_texts = lambda frames: sum(op == 0x1 for op, _ in frames) >= 10
        frames = [read_frames(s, time.monotonic() + 60, enough=ten_texts) for s in sockets]
        assert all(ten_texts(f) for f in frames)  # and every socket got them
    finally:
        for s in sockets:
            s.close()


def test_pings_keep_answering_clients_and_cut_silent_ones(tmp_path):
    # 2 s between pings: a loaded machine's client still answers in time (it was 0.3 s, and flaked)
    config = ServerConfig(replays=None, demo_room=False, ping_s=2.0)
    with LiveServer(config) as live:
        room = new_room(live)
        silent = raw_spectator(live, f"/ws/rooms/{room}")
        polite = Client(f"{live.ws_url}/ws/rooms/{room}")  # simple-websocket answers pings
        try:
            frames = read_frames(silent, time.monotonic() + 60)
            ops = [op for op, _ in frames]
            assert 0x9 in ops and ops[-1] == 0x8  # pinged, never answered, closed
            assert int.from_bytes(frames[-1][1][:2], "big") == 1008 and b"ping timeout" in frames[-1][1]
            time.sleep(2 * config.ping_s + 0.5)  # the polite one answers two more pings
            assert polite.ws.connected and polite.recv()["type"] in ("header", "frame")
            assert wait_until(lambda: live.snek.hub.spectators(room) == 1)  # the silent one was released
        finally:
            silent.close()
            polite.close()
