"""Hostile and stuck clients against a real server on 127.0.0.1, with real sockets that never read:
ping floods (issue 20, item 4), many stuck sockets cut at once (item 8), socket limits per address
and in total (item 9)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from serverkit import LiveServer, http, wait_until

from snek_viewer import ServerConfig

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def handshake(port: int, path: str, source: str = "127.0.0.1", rcvbuf: int | None = None) -> socket.socket:
    """A bare websocket client that sends the upgrade request and then reads nothing."""
    raw = socket.socket()
    if rcvbuf:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    raw.bind((source, 0))
    raw.connect(("127.0.0.1", port))
    raw.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    return raw


def masked(opcode: int, payload: bytes) -> bytes:
    """A client's frame (clients must mask, RFC 6455 §5.3)."""
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + mask + body


def outlets(live: LiveServer, room: str) -> list:
    """The sending side of every socket subscribed to ``room`` (each subscription's listener is its outlet's)."""
    return [sub.listener.__self__ for sub in list(live.snek.hub._streams[room].subscribers)]


def new_room(live: LiveServer, **fields) -> str:
    body = {"ruleset": "classic", "settings": {"endless": True}, "tick_ms": 100, "seats": ["greedy", "safe"],
            **fields}
    status, room, _ = http("POST", live.url + "/api/rooms", body)
    assert status == 201, room
    return room["id"]


def test_a_ping_flood_from_a_client_that_never_reads_is_bounded_and_cut(tmp_path):
    """Pongs for a client that does not read its socket used to queue without limit (+446 MB in 44 s)
    and stay queued after it closed.  Now one pong waits at most (RFC 6455 §5.5.3 lets a server answer only
    the latest ping), control frames count against the socket's rate limit, and a flood is closed."""
    config = ServerConfig(replays=None, demo_room=False)
    with LiveServer(config) as live:
        room = new_room(live)
        raw = handshake(live.httpd.server_port, f"/ws/rooms/{room}", rcvbuf=4096)
        wait_until(lambda: live.snek.hub.spectators(room) == 1)
        outlet = outlets(live, room)[0]
        ping = masked(0x9, b"p" * 125)
        sent, peak = 0, 0
        try:
            for _ in range(200):  # 20,000 pings in bursts, reading nothing back
                raw.sendall(ping * 100)
                sent += 100
                peak = max(peak, len(outlet._control) + (outlet._pong is not None))
        except OSError:  # the server cut us for flooding: that is the point
            pass
        assert sent > config.abuse_limit
        assert peak <= 3, f"{peak} control frames queued for one socket"
        assert wait_until(lambda: live.snek.hub.spectators(room) == 0)  # closed for flooding
        assert wait_until(lambda: outlet.released.is_set())
        assert not outlet._control and outlet._pong is None and outlet._pending is None  # nothing kept
        assert outlet.sub.pending_replies == 0 and not outlet.sub._live and outlet.sub._backlog is None
        raw.close()


def status_of(raw: socket.socket) -> int:
    """The HTTP status the server answered an upgrade request with."""
    raw.settimeout(30)
    head = b""
    while b"\r\n" not in head:
        chunk = raw.recv(1024)
        if not chunk:
            break
        head += chunk
    return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0


def test_sockets_are_limited_per_address_and_in_total(tmp_path):
    """One client address may hold ``max_sockets_per_address`` websockets, the process ``max_sockets``;
    beyond that the upgrade is refused (429 per address, 503 in total) before a thread is spent on it,
    a closed socket frees its place, and pages keep answering."""
    config = ServerConfig(replays=None, demo_room=False, max_sockets=12, max_sockets_per_address=8)
    with LiveServer(config) as live:
        room = new_room(live)
        port, path = live.httpd.server_port, f"/ws/rooms/{room}"
        held = [handshake(port, path) for _ in range(8)]
        assert [status_of(s) for s in held] == [101] * 8
        extra = handshake(port, path)
        assert status_of(extra) == 429  # this address has its 8
        others = [handshake(port, path, source="127.0.0.2") for _ in range(4)]
        assert [status_of(s) for s in others] == [101] * 4
        third = handshake(port, path, source="127.0.0.3")
        assert status_of(third) == 503  # the process has its 12
        assert http("GET", live.url + "/healthz")[0] == 200 and http("GET", live.url + "/")[0] == 200
        assert live.snek.hub.spectators(room) == 12
        held.pop().close()
        wait_until(lambda: live.snek.sockets.total == 11)  # its place is given back when its handler ends
        again = handshake(port, path)
        assert status_of(again) == 101
        for s in [*held, *others, extra, third, again]:
            s.close()
        wait_until(lambda: live.snek.hub.spectators(room) == 0)
        assert wait_until(lambda: live.snek.sockets.total == 0)  # every place given back


def answers(url: str, timeout: float = 10.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.skipif(shutil.which("gunicorn", path=str(BIN)) is None, reason="gunicorn (the `serve` extra) missing")
def test_idle_websockets_cannot_starve_the_production_server(tmp_path):
    """Under the documented gunicorn command every open socket holds one of the worker's threads: idle
    sockets used to take them all and /healthz timed out.  Here 24 threads and 24 idle sockets from one
    address; the socket limit (SNEK_MAX_SOCKETS=16) keeps threads for pages."""
    port = free_port()
    env = {**os.environ, "SNEK_REPLAYS": str(tmp_path), "SNEK_MAX_SOCKETS": "16", "SNEK_MAX_SOCKETS_PER_ADDRESS": "0"}
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "python:snek_viewer.gunicorn_conf", "-b", f"127.0.0.1:{port}", "--threads", "24",
         "snek_viewer.serving:from_env()"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    idle: list[socket.socket] = []
    try:
        wait_until(lambda: process.poll() is None and answers(url + "/healthz", 2), timeout=120, every=0.2)
        demo = http("GET", url + "/api/rooms")[1]["rooms"][0]["id"]
        idle = [handshake(port, f"/ws/rooms/{demo}") for _ in range(24)]
        statuses = [status_of(s) for s in idle]
        assert statuses.count(101) == 16 and statuses.count(503) == 8
        assert answers(url + "/healthz") and answers(url + "/")  # threads left for pages
    finally:
        for s in idle:
            s.close()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_cutting_many_stuck_sockets_at_once_does_not_stall_the_room(tmp_path):
    """200 spectators that never read (small receive buffers, so the server's sends to them block) all
    reach the ping timeout together; cutting them used to stall the room (a 1.36 s gap, 3.4 s behind)."""
    config = ServerConfig(replays=None, demo_room=False, ping_s=1.0, max_sockets_per_address=0)
    with LiveServer(config) as live:
        room_id = new_room(live, tick_ms=50, seats=["greedy", "space", "safe", "greedy"], width=25, height=25)
        room = live.snek.rooms.get(room_id)
        late: list[float] = []
        live.snek.rooms.scheduler.observe = lambda task, late_s: late.append(late_s) if task.name == room_id else None
        stuck = [handshake(live.httpd.server_port, f"/ws/rooms/{room_id}", rcvbuf=2048) for _ in range(200)]
        wait_until(lambda: live.snek.hub.spectators(room_id) == 200, timeout=60)
        late.clear()
        turn = room.turn
        wait_until(lambda: live.snek.hub.spectators(room_id) == 0, timeout=120)  # all cut for not answering pings
        wait_until(lambda: room.turn >= turn + 20)
        worst = max(late)
        for s in stuck:
            s.close()
        assert worst < 0.5, f"the room was {worst:.2f} s late while 200 stuck sockets were cut"
