"""The Redis hub against a real redis-server: two hubs stand for two ``snek serve`` processes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ports import free_port
from redis_server import redis_server
from serve import SnekServer
from wsclient import Client

from snek_viewer import redis_hub
from snek_viewer.hub import LocalHub, RoomGone, make_hub
from snek_viewer.redis_hub import RedisHub


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> str:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def hubs(redis_url: str, request):
    prefix = f"t{request.node.name[-40:]}:"
    a, b = RedisHub(redis_url, prefix=prefix), RedisHub(redis_url, prefix=prefix)
    yield a, b
    for hub in (a, b):
        hub.close()


def drain(subscription, count: int, timeout: float = 10.0) -> list[str]:
    got, deadline = [], time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        text = subscription.next(timeout=0.2)
        if text is not None:
            got.append(text)
        elif subscription.closed:
            break
    return got


def frame(turn: int) -> str:
    return json.dumps({"type": "frame", "turn": turn})


def test_backlog_then_live_across_processes(hubs) -> None:
    a, b = hubs
    a.open_room("r1")
    a.publish("r1", '{"type":"header"}', "header")
    for turn in range(10):
        a.publish("r1", frame(turn), "frame")
    late = b.subscribe("r1")
    assert drain(late, 11) == ['{"type":"header"}'] + [frame(t) for t in range(10)]
    a.publish("r1", frame(10), "frame")
    a.publish("r1", '{"type":"result"}', "result")
    assert drain(late, 2) == [frame(10), '{"type":"result"}']
    assert b.subscribe("nope") is None


def test_no_message_lost_or_repeated_while_publishing(hubs) -> None:
    """Subscribers join on the other process while the owner publishes as fast as it can."""
    a, b = hubs
    a.open_room("busy")
    a.publish("busy", '{"type":"header"}', "header")
    total = 1500

    def owner() -> None:
        for turn in range(total):
            a.publish("busy", frame(turn), "frame")

    thread = threading.Thread(target=owner)
    thread.start()
    joined = []
    while thread.is_alive() and len(joined) < 8:
        joined.append(b.subscribe("busy", maxsize=total + 10))
        time.sleep(0.01)
    thread.join()
    assert len(joined) >= 2
    for subscription in joined:
        got = drain(subscription, total + 1)
        assert got == ['{"type":"header"}'] + [frame(t) for t in range(total)]
        assert subscription.dropped == 0


def test_backlog_is_bounded_and_header_replaceable(redis_url: str) -> None:
    a = RedisHub(redis_url, prefix="bounded:", backlog_frames=5)
    try:
        a.open_room("r")
        a.publish("r", "h1", "header")
        for turn in range(20):
            a.publish("r", frame(turn), "frame")
        a.set_header("r", "h2")
        assert drain(a.subscribe("r"), 6) == ["h2"] + [frame(t) for t in range(15, 20)]
        a.publish("r", "h3", "header")  # a new game: the stream starts over
        assert drain(a.subscribe("r"), 1) == ["h3"]
    finally:
        a.close()


def test_slow_subscriber_drops_its_own_oldest(hubs) -> None:
    a, b = hubs
    a.open_room("slow")
    a.publish("slow", "h", "header")
    slow, quick = b.subscribe("slow", maxsize=3), b.subscribe("slow", maxsize=100)
    for turn in range(10):
        a.publish("slow", frame(turn), "frame")
    assert drain(quick, 11) == ["h"] + [frame(t) for t in range(10)]
    got = drain(slow, 5)
    assert got[0] == "h" and '"lagging"' in got[1] and got[2:] == [frame(t) for t in (7, 8, 9)]
    assert slow.dropped == 7


def test_input_goes_to_the_owner_and_back(hubs) -> None:
    a, b = hubs
    a.open_room("play")
    seen = []

    def handler(message: dict) -> list[dict]:
        seen.append((threading.current_thread().name, message))
        return [{"type": "welcome", "player_id": "s1", "echo": message["name"]}]

    a.serve_input("play", handler)
    assert b.send_input("play", {"type": "join", "name": "ann", "conn": "c1"}) == [
        {"type": "welcome", "player_id": "s1", "echo": "ann"}]
    assert a.send_input("play", {"type": "join", "name": "bob", "conn": "c2"})[0]["echo"] == "bob"  # owner: direct
    assert [m["conn"] for _, m in seen] == ["c1", "c2"]
    with pytest.raises(RoomGone):
        b.send_input("elsewhere", {"type": "move", "move": "up"})


def test_input_to_a_vanished_owner_fails_at_once(redis_url: str, monkeypatch) -> None:
    a, b = RedisHub(redis_url, prefix="gone:"), RedisHub(redis_url, prefix="gone:")
    try:
        a.open_room("r")
        a.serve_input("r", lambda message: [])
        a.close()  # the owner process stops without closing its room
        monkeypatch.setattr(redis_hub, "INPUT_TIMEOUT_S", 3600.0)  # waiting for it would hang the test
        began = time.monotonic()
        with pytest.raises(RoomGone):
            b.send_input("r", {"type": "move", "move": "up"})
        assert time.monotonic() - began < 60  # nobody listened: no waiting for the input timeout
    finally:
        b.close()


def test_rooms_and_spectators_across_processes(hubs) -> None:
    a, b = hubs
    a.open_room("lobby")
    a.announce("lobby", {"id": "lobby", "status": "running"})
    one, two, three = a.subscribe("lobby"), b.subscribe("lobby"), b.subscribe("lobby")
    assert b.room("lobby") == {"id": "lobby", "status": "running", "spectators": 3}
    b.unsubscribe(two)
    assert a.spectators("lobby") == 2
    a.close_room("lobby")
    assert b.rooms() == []
    assert drain(three, 1, timeout=10) == []  # returns as soon as the close reached this process
    deadline = time.monotonic() + 10
    while not (three.closed and one.closed) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert three.closed and one.closed
    assert b.subscribe("lobby") is None


def test_rooms_of_a_dead_process_are_forgotten(redis_url: str) -> None:
    a, b = RedisHub(redis_url, prefix="dead:"), RedisHub(redis_url, prefix="dead:")
    try:
        a.open_room("r")
        a.announce("r", {"id": "r"})
        assert [r["id"] for r in b.rooms()] == ["r"]
        a.close()  # its liveness key goes with it
        assert b.rooms() == []
    finally:
        b.close()


def test_missing_package_and_bad_url_are_one_line(redis_url: str) -> None:
    code = ("import sys; sys.modules['redis'] = None\n"
            "from snek_viewer.redis_hub import RedisHub\n"
            "try:\n    RedisHub('redis://127.0.0.1:1')\nexcept ValueError as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "--redis needs the redis package: pip install 'snek-arena[redis]'"
    with pytest.raises(ValueError, match="cannot use Redis at redis://127.0.0.1:"):
        RedisHub(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(ValueError, match="cannot use Redis at"):
        RedisHub("nonsense://x")


def test_the_redis_server_helper_stops_its_server(tmp_path: Path) -> None:
    import socket
    with redis_server(tmp_path) as url:
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_make_hub_picks_by_url(redis_url: str) -> None:
    assert isinstance(make_hub(None), LocalHub)
    hub = make_hub(redis_url)
    try:
        assert isinstance(hub, RedisHub)
    finally:
        hub.close()


# --- two real `snek serve` processes sharing rooms through Redis ---------------------------------------

def serve(redis_url: str, replays: Path) -> SnekServer:
    """`snek serve --redis URL` in a process of its own; Ctrl-C stops it."""
    server = SnekServer(["--redis", redis_url, "--no-demo-room", "--replays", str(replays)])
    server.stop_signal = signal.SIGINT
    return server.start()


STEP = {"up": (0, 1), "down": (0, -1), "left": (-1, 0), "right": (1, 0)}


def _snake(frame: dict, sid: str) -> dict | None:
    return next((s for s in frame["snakes"] if s["id"] == sid and s["alive"]), None)


def _towards_centre(snake: dict, width: int, height: int) -> str:
    """A turn (not straight on, not back) that heads for the middle of the board: always safe early on."""
    (hx, hy), (nx, ny) = snake["body"][0], snake["body"][1]
    heading = (hx - nx, hy - ny)
    sideways = ["left", "right"] if heading[0] == 0 else ["up", "down"]
    return min(sideways, key=lambda m: abs(hx + STEP[m][0] - width / 2) + abs(hy + STEP[m][1] - height / 2))


def test_two_processes_share_a_room(redis_url: str, tmp_path: Path) -> None:
    """A room owned by process A: a spectator on B watches it, and a human on B steers it."""
    a = serve(redis_url, tmp_path / "a")
    try:
        b = serve(redis_url, tmp_path / "b")
        try:
            room = a.post("/api/rooms", {"ruleset": "classic", "tick_ms": 250, "seats": ["safe", None]})
            listed = b.get("/api/rooms")["rooms"]
            assert [r["id"] for r in listed] == [room["id"]]  # B lists A's room
            spectator = Client(f"{b.ws_url}/ws/rooms/{room['id']}")
            header = spectator.recv()
            assert header["type"] == "header" and header["game_id"] == room["id"]
            first, _ = spectator.until(lambda m: m["type"] == "frame")
            later, _ = spectator.until(lambda m: m["type"] == "frame" and m["turn"] >= first["turn"] + 2)
            assert later["turn"] >= first["turn"] + 2  # live frames from A, through B
            player = Client(f"{b.ws_url}/ws/rooms/{room['id']}")
            player.send({"type": "join", "name": "ann"})
            welcome, _ = player.until(lambda m: m["type"] in ("welcome", "error"))
            assert welcome["type"] == "welcome", welcome
            sid = welcome["player_id"]
            on_board, _ = player.until(lambda m: m["type"] == "frame" and _snake(m, sid) is not None)
            snake = _snake(on_board, sid)
            steered = 0
            for _ in range(2):  # two turns, each sent on B and carried out by A's loop
                move = _towards_centre(snake, header["width"], header["height"])
                player.send({"type": "move", "move": move})
                for _ in range(8):  # the move lands on the next tick, or the one after if it came mid-tick
                    frame, _ = player.until(lambda m: m["type"] == "frame")
                    now = _snake(frame, sid)
                    assert now is not None, "the human's snake died while being steered"
                    head, snake = snake["body"][0], now
                    if now["move"] == move:
                        assert now["body"][0] == [head[0] + STEP[move][0], head[1] + STEP[move][1]]
                        steered += 1
                        break
                on_board = frame
            assert steered == 2
            seen, _ = spectator.until(lambda m: m["type"] == "frame" and m["turn"] >= on_board["turn"])
            assert _snake(seen, sid) is not None  # B's spectator sees the human's snake too
            assert a.get(f"/api/rooms/{room['id']}")["spectators"] == 2  # both B sockets, counted on A
            player.close()
            spectator.close()
        finally:
            b.stop()
    finally:
        a.stop()
