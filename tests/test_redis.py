"""The Redis hub against a real redis-server: two hubs stand for two ``snek serve`` processes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from redis_server import free_port, redis_server

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


def test_input_to_a_vanished_owner_fails_at_once(redis_url: str) -> None:
    a, b = RedisHub(redis_url, prefix="gone:"), RedisHub(redis_url, prefix="gone:")
    try:
        a.open_room("r")
        a.serve_input("r", lambda message: [])
        a.close()  # the owner process stops without closing its room
        began = time.monotonic()
        with pytest.raises(RoomGone):
            b.send_input("r", {"type": "move", "move": "up"})
        assert time.monotonic() - began < 4  # nobody listened: no waiting for the input timeout
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
    assert drain(three, 1, timeout=1) == [] and three.closed and one.closed
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
