"""The Redis hub against a real redis-server: two hubs stand for two ``snek serve`` processes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import simple_websocket
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

def _get(url: str, timeout: float = 10.0) -> object:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


class Serve:
    """`snek serve --redis URL` in a process of its own, on a free port."""

    def __init__(self, redis_url: str, replays: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "arena", "serve", "--port", str(self.port), "--redis", redis_url,
             "--no-demo-room", "--replays", str(replays)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(self.base + "/healthz", timeout=2)
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"snek serve did not start: {self.process.stdout.read()[-2000:]}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Socket:
    def __init__(self, url: str) -> None:
        self.ws = simple_websocket.Client.connect(url)

    def send(self, message: dict) -> None:
        self.ws.send(json.dumps(message))

    def recv(self, timeout: float = 20.0) -> dict:
        text = self.ws.receive(timeout=timeout)
        assert text is not None, "no message within the timeout"
        return json.loads(text)

    def until(self, check, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.recv(max(0.1, deadline - time.monotonic()))
            if check(message):
                return message
        raise AssertionError("expected message did not come")

    def close(self) -> None:
        self.ws.close()


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
    a = Serve(redis_url, tmp_path / "a")
    try:
        b = Serve(redis_url, tmp_path / "b")
        try:
            room = _post(a.base + "/api/rooms", {"ruleset": "classic", "tick_ms": 250, "seats": ["safe", None]})
            listed = _get(b.base + "/api/rooms")["rooms"]
            assert [r["id"] for r in listed] == [room["id"]]  # B lists A's room
            spectator = Socket(f"ws://127.0.0.1:{b.port}/ws/rooms/{room['id']}")
            header = spectator.recv()
            assert header["type"] == "header" and header["game_id"] == room["id"]
            first = spectator.until(lambda m: m["type"] == "frame")
            later = spectator.until(lambda m: m["type"] == "frame" and m["turn"] >= first["turn"] + 2)
            assert later["turn"] >= first["turn"] + 2  # live frames from A, through B
            player = Socket(f"ws://127.0.0.1:{b.port}/ws/rooms/{room['id']}")
            player.send({"type": "join", "name": "ann"})
            welcome = player.until(lambda m: m["type"] in ("welcome", "error"))
            assert welcome["type"] == "welcome", welcome
            sid = welcome["player_id"]
            on_board = player.until(lambda m: m["type"] == "frame" and _snake(m, sid) is not None)
            snake = _snake(on_board, sid)
            steered = 0
            for _ in range(2):  # two turns, each sent on B and carried out by A's loop
                move = _towards_centre(snake, header["width"], header["height"])
                player.send({"type": "move", "move": move})
                for _ in range(8):  # the move lands on the next tick, or the one after if it came mid-tick
                    frame = player.until(lambda m: m["type"] == "frame")
                    now = _snake(frame, sid)
                    assert now is not None, "the human's snake died while being steered"
                    head, snake = snake["body"][0], now
                    if now["move"] == move:
                        assert now["body"][0] == [head[0] + STEP[move][0], head[1] + STEP[move][1]]
                        steered += 1
                        break
                on_board = frame
            assert steered == 2
            seen = spectator.until(lambda m: m["type"] == "frame" and m["turn"] >= on_board["turn"])
            assert _snake(seen, sid) is not None  # B's spectator sees the human's snake too
            assert _get(a.base + f"/api/rooms/{room['id']}")["spectators"] == 2  # both B sockets, counted on A
            player.close()
            spectator.close()
        finally:
            b.stop()
    finally:
        a.stop()
