"""One websocket session: the reader validates and rate-limits client messages, one writer sends.

Every client message gets checked here before anything else sees it: text only, at most
``max_message_bytes``, JSON, an object, a known ``type`` with well-typed fields.  A problem is
answered with ``{"type":"error","code":…,"message":…}`` and the socket stays usable; only a client
that keeps flooding past the rate limit (``abuse_limit`` rejections in a row), or stops reading its
replies, is closed (code 1008).  Nothing a client sends raises out of here or reaches the room's loop:
the room sees only clean messages through the hub, and a socket's own writer thread is the only one
that blocks on that client.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterable

from arena.geometry import MOVES
from snek_viewer.config import ServerConfig
from snek_viewer.hub import Hub, RoomGone, Subscription
from snek_viewer.rooms import NAME_LIMIT, dumps, error

CLIENT_TYPES = ("join", "move", "leave", "respawn")
POLICY_VIOLATION = 1008
MAX_UNREAD_REPLIES = 1000
SEND_TIMEOUT_S = 30


def parse_message(data: object, max_bytes: int) -> dict:
    """A clean client message, or an ``error`` dict saying what is wrong with it."""
    if not isinstance(data, str):
        return error("bad_message", "send JSON text messages, not binary")
    if len(data) > max_bytes or len(data.encode("utf-8", "surrogatepass")) > max_bytes:
        return error("too_large", f"messages are limited to {max_bytes} bytes")
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return error("bad_json", "not valid JSON")
    if not isinstance(obj, dict):
        return error("bad_message", "expected a JSON object with a \"type\"")
    kind = obj.get("type")
    if kind not in CLIENT_TYPES:
        shown = kind[:32] if isinstance(kind, str) else type(kind).__name__
        return error("unknown_type", f"unknown message type {shown!r} (expected one of {', '.join(CLIENT_TYPES)})")
    if kind == "join":
        name, token = obj.get("name"), obj.get("token")
        if token is not None:
            if not isinstance(token, str) or not 0 < len(token) <= 64:
                return error("bad_token", "token must be the string the welcome gave you")
            return {"type": "join", "token": token}
        if not isinstance(name, str) or not name.strip():
            return error("bad_name", "join needs a \"name\" (1 to 32 characters) or a \"token\"")
        if len(name) > NAME_LIMIT:
            return error("bad_name", f"names are at most {NAME_LIMIT} characters")
        return {"type": "join", "name": name}
    if kind == "move":
        move = obj.get("move")
        if not isinstance(move, str) or move.lower() not in MOVES:
            return error("bad_move", f"move must be one of {', '.join(MOVES)} (any case)")
        return {"type": "move", "move": move.lower()}
    return {"type": kind}


class RateLimit:
    """A token bucket: ``rate`` messages per second sustained, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.last = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Session:
    """A socket's life: a writer thread drains its subscription; this thread reads and answers."""

    def __init__(self, ws, subscription: Subscription, config: ServerConfig, hub: Hub | None = None,
                 room_id: str | None = None) -> None:
        self.ws = ws
        self.sub = subscription
        self.config = config
        self.hub = hub
        self.room_id = room_id  # None for a stored replay: nothing to steer
        self.conn = uuid.uuid4().hex
        self.limit = RateLimit(config.rate_per_s, config.rate_burst)
        self.flooding = 0
        self.close_code: tuple[int, str] | None = None
        self._writer = threading.Thread(target=self._write, name="socket-writer", daemon=True)

    def _write(self) -> None:
        sock = getattr(self.ws, "sock", None)
        if sock is not None:  # a send blocked this long means the client is gone: free this thread
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", SEND_TIMEOUT_S, 0))
            except (OSError, struct.error):
                pass
        try:
            while True:
                text = self.sub.next(timeout=1.0)
                if text is not None:
                    self.ws.send(text)
                elif self.sub.closed:
                    break
                elif not self.ws.connected:
                    return
            if self.close_code and self.ws.connected:
                self.ws.close(*self.close_code)
        except Exception:  # the client went away mid-send: the reader notices and cleans up
            self.sub.close()

    def _answer(self, replies: Iterable[dict]) -> None:
        for reply in replies:
            self.sub.reply(dumps(reply))

    def _close(self, message: str) -> None:
        self._answer([error("closing", message)])
        self.close_code = (POLICY_VIOLATION, message[:120])
        self.sub.close()

    def handle(self, data: object) -> None:
        """One incoming message -> replies (and a close for abuse)."""
        if not self.limit.allow():
            self.flooding += 1
            if self.flooding >= self.config.abuse_limit:
                self._close("too many messages: closing this socket")
            else:
                self._answer([error("rate_limited", f"slow down: at most {self.config.rate_per_s:g} "
                                                    "messages per second")])
            return
        self.flooding = 0
        message = parse_message(data, self.config.max_message_bytes)
        if message["type"] == "error":
            self._answer([message])
        elif self.room_id is None:
            self._answer([error("not_live", "this is a stored replay: there is nothing to join or steer")])
        else:
            try:
                self._answer(self.hub.send_input(self.room_id, {**message, "conn": self.conn}))
            except RoomGone:
                self._answer([error("room_gone", "this room has closed")])

    def run(self) -> None:
        self._writer.start()
        try:
            while not self.sub.closed:
                data = self.ws.receive(timeout=1.0)
                if data is None:
                    if not self.ws.connected:
                        break
                    continue
                self.handle(data)
                if self.sub.pending_replies > MAX_UNREAD_REPLIES:
                    self._close("you are not reading your replies: closing this socket")
        finally:
            if self.room_id is not None and self.hub is not None:
                try:
                    self.hub.send_input(self.room_id, {"type": "disconnect", "conn": self.conn})
                except RoomGone:
                    pass
            if self.hub is not None:
                self.hub.unsubscribe(self.sub)
            else:
                self.sub.close()
            self._writer.join(timeout=5)
