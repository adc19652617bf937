"""Helpers for the live-server tests: a real server on 127.0.0.1 (a free port) in a thread, plain
HTTP calls; the websocket client is tests/wsclient.py."""

from __future__ import annotations

import json
import os
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from werkzeug.serving import make_server
from wsclient import close_all

from snek_viewer import ServerConfig, create_app

SHUTDOWN_POLL_S = 0.02  # how often a test's HTTP server thread looks for shutdown() (the stdlib default: 0.5 s)


class LiveServer:
    def __init__(self, config: ServerConfig | None = None, start_rooms: bool = True) -> None:
        self.app = create_app(config or ServerConfig(replays=None), start_rooms=start_rooms)
        self.snek = self.app.extensions["snek"]
        self.httpd = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.ws_url = f"ws://127.0.0.1:{self.httpd.server_port}"
        # shutdown() waits for the serving loop to look up: every 20 ms, not the default 0.5 s each close costs
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_S},
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        close_all()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.snek.close()

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def http(method: str, url: str, body: object = None, raw: bytes | None = None,
         headers: dict | None = None) -> tuple[int, object, dict]:
    """(status, parsed JSON or text, headers) for one request."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method, headers=headers or (
        {"Content-Type": "application/json"} if body is not None else {}))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text, got = response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        status, text, got = exc.code, exc.read().decode(), dict(exc.headers)
    try:
        return status, json.loads(text), got
    except ValueError:
        return status, text, got


def handshake(port: int, path: str, source: str = "127.0.0.1", rcvbuf: int | None = None) -> socket.socket:
    """A bare websocket client that sends the upgrade request and then reads nothing (``source``: the
    127.x.y.z address it comes from; ``rcvbuf``: a small kernel buffer, so the server's sends to it block)."""
    raw = socket.socket()
    if rcvbuf:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    raw.bind((source, 0))
    raw.connect(("127.0.0.1", port))
    raw.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    return raw


def upgrade_status(raw: socket.socket) -> int:
    """The HTTP status the server answered a ``handshake`` with (101: upgraded)."""
    raw.settimeout(30)
    head = b""
    while b"\r\n" not in head:
        chunk = raw.recv(1024)
        if not chunk:
            break
        head += chunk
    return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0


def masked(opcode: int, payload: bytes) -> bytes:
    """A client's websocket frame of under 126 bytes (clients must mask, RFC 6455 §5.3)."""
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + mask + body


def read_frames(raw: socket.socket, until: float, enough: Callable[[list], bool] = lambda frames: False
                ) -> list[tuple[int, bytes]]:
    """(opcode, payload) of every whole frame the server sends until it hangs up, ``until`` passes or the
    frames so far are ``enough``."""
    data = b""
    while time.monotonic() < until:
        raw.settimeout(max(0.01, until - time.monotonic()))
        try:
            chunk = raw.recv(65536)
        except (TimeoutError, OSError):
            break
        if not chunk:
            break
        data += chunk
        if enough(parse_frames(data)):
            break
    return parse_frames(data)


def parse_frames(data: bytes) -> list[tuple[int, bytes]]:
    """The whole frames after the handshake's response in ``data`` (a partial last frame is left out)."""
    if b"\r\n\r\n" not in data:
        return []
    data = data[data.index(b"\r\n\r\n") + 4:]
    frames, pos = [], 0
    while pos + 2 <= len(data):
        opcode, size, head = data[pos] & 0x0F, data[pos + 1] & 0x7F, 2
        if size == 126:
            size, head = int.from_bytes(data[pos + 2:pos + 4], "big"), 4
        elif size == 127:
            size, head = int.from_bytes(data[pos + 2:pos + 10], "big"), 10
        if pos + head + size > len(data):
            break
        frames.append((opcode, data[pos + head:pos + head + size]))
        pos += head + size
    return frames
