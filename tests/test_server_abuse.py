"""Hostile and stuck clients against a real server on 127.0.0.1, with real sockets that never read:
ping floods (issue 20, item 4), many stuck sockets cut at once (item 8), socket limits per address
and in total (item 9)."""

from __future__ import annotations

import os
import socket
import struct

from serverkit import LiveServer, http, wait_until

from snek_viewer import ServerConfig


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
        assert outlet.sub.pending_replies == 0 and not outlet.sub._live and not outlet.sub._backlog
        raw.close()
