"""One websocket session: its handler thread reads, validates and rate-limits client messages; the
process's one writer (``snek_viewer.fanout``) sends.

Every client message gets checked here before anything else sees it: text only, at most
``max_message_bytes``, JSON, an object, a known ``type`` with well-typed fields.  A problem is
answered with ``{"type":"error","code":…,"message":…}`` and the socket stays usable; only a client
that keeps flooding past the rate limit (``abuse_limit`` rejections in a row), or stops reading its
replies, is closed (code 1008).  Nothing a client sends raises out of here or reaches the room's loop:
the room sees only clean messages through the hub, and nothing ever blocks on sending to a client.
"""

from __future__ import annotations

import functools
import logging
import selectors
import socket
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable

from flask import current_app
from wsproto.events import BytesMessage, CloseConnection, Ping, Pong, TextMessage

from arena import jsonio
from arena.geometry import MOVES
from snek_viewer.config import ServerConfig
from snek_viewer.fanout import PING, PONG, Outlet, Writer, frame
from snek_viewer.hub import NORMAL_CLOSURE, Hub, HubUnavailable, RoomGone, Subscription
from snek_viewer.rooms import NAME_LIMIT, dumps, error

CLIENT_TYPES = ("join", "move", "leave", "respawn")
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011
TRY_AGAIN_LATER = 1013
MAX_UNREAD_REPLIES = 1000
MAX_FRAME_BYTES = 64 * 1024  # a client message this big is not a mistake: the socket is closed (1009)
RECEIVE_BYTES = 16 * 1024
READ_WAIT_S = 5.0  # the reader's longest sleep (pings are due sooner; input and hang-ups wake it at once)
CLOSE_WAIT_S = 5.0  # after our close frame, how long the client has to answer with its own
log = logging.getLogger(__name__)


def parse_message(data: object, max_bytes: int) -> dict:
    """A clean client message, or an ``error`` dict saying what is wrong with it."""
    if not isinstance(data, str):
        return error("bad_message", "send JSON text messages, not binary")
    if len(data) > max_bytes or len(data.encode("utf-8", "surrogatepass")) > max_bytes:
        return error("too_large", f"messages are limited to {max_bytes} bytes")
    try:
        obj = jsonio.loads(data, clean_strings=False)  # a name holding one is refused below
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
        if not is_text(name):
            return error("bad_name", "names must be text: no control characters or lone surrogates")
        return {"type": "join", "name": name}
    if kind == "move":
        move = obj.get("move")
        if not isinstance(move, str) or move.lower() not in MOVES:
            return error("bad_move", f"move must be one of {', '.join(MOVES)} (any case)")
        return {"type": "move", "move": move.lower()}
    return {"type": kind}


def is_text(value: str) -> bool:
    """No control characters and no lone surrogates (``"\\ud800"`` in JSON): such a name cannot be encoded
    as UTF-8, so it would break every listing, socket and Redis message that carried it."""
    return not any(unicodedata.category(c) in ("Cc", "Cs") for c in value)


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


class NoReaderThread:
    """simple-websocket starts a reader thread per socket; ours reads in the socket's own handler thread
    (``Session.run``), so the thread flask-sock's websocket would start never runs."""

    name = "snek-no-reader"

    def __init__(self, target=None, **kwargs) -> None:
        pass

    def start(self) -> None:
        pass


class Session:
    """A socket's life.  This (the handler's) thread reads and answers client messages and sends pings;
    everything sent goes through the socket's ``Outlet``, which the process's one writer flushes."""

    def __init__(self, ws, subscription: Subscription, config: ServerConfig, writer: Writer,
                 hub: Hub | None = None, room_id: str | None = None,
                 transform: Callable[[str], str | None] | None = None) -> None:
        self.ws = ws
        self.sub = subscription
        self.config = config
        self.hub = hub
        self.room_id = room_id  # None for a stored replay: nothing to steer
        self.conn = uuid.uuid4().hex
        self.limit = RateLimit(config.rate_per_s, config.rate_burst)
        self.flooding = 0
        self.seated = False  # this socket was given a seat: the room hears when it goes (grace period)
        self.writer = writer
        self.outlet = Outlet(ws.sock, subscription, writer, transform)

    def _answer(self, replies: Iterable[dict]) -> None:
        for reply in replies:
            if reply.get("type") == "welcome":
                self.seated = True
            self.sub.reply(dumps(reply))

    def _close(self, message: str) -> None:
        self._answer([error("closing", message)])
        self.outlet.close(POLICY_VIOLATION, message[:120])

    def _allowed(self, answer: bool = True) -> bool:
        """Take a token for one client frame (a message, a ping or a pong).  Over the rate, a message is
        answered ``rate_limited`` (control frames get nothing); ``abuse_limit`` refusals in a row close
        the socket."""
        if self.limit.allow():
            self.flooding = 0
            return True
        self.flooding += 1
        if self.flooding >= self.config.abuse_limit:
            if not self.sub.closed:
                self._close("too many messages: closing this socket")
        elif answer:
            self._answer([error("rate_limited", f"slow down: at most {self.config.rate_per_s:g} "
                                                "messages per second")])
        return False

    def handle(self, data: object) -> None:
        """One incoming message -> replies (and a close for abuse)."""
        if not self._allowed():
            return
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
            except HubUnavailable:
                self._answer([error("unavailable", "the server cannot reach this room right now: try again later")])
        if self.sub.pending_replies > MAX_UNREAD_REPLIES:
            self._close("you are not reading your replies: closing this socket")

    def _events(self, connection) -> bool:
        """Handle what the client sent; False once the conversation is over (it closed, or broke the protocol)."""
        for event in connection.events():
            if isinstance(event, TextMessage | BytesMessage):
                self._parts.append(event.data)
                self._size += len(event.data)
                if self._size > MAX_FRAME_BYTES:
                    self.outlet.close(MESSAGE_TOO_BIG, "message is too big")
                    return False
                if not event.message_finished:
                    continue
                parts, self._parts, self._size = self._parts, [], 0
                data = "".join(parts) if isinstance(event, TextMessage) else b"".join(parts)
                if not self.sub.closed:
                    self.handle(data)
            elif isinstance(event, Ping):
                if self._allowed(answer=False) and not self.sub.closed:
                    self.outlet.pong(frame(PONG, bytes(event.payload)))
            elif isinstance(event, Pong):
                self._pong = True  # alive, whatever the rate: only the token is taken
                self._allowed(answer=False)
            elif isinstance(event, CloseConnection):
                if not self.sub.closed:  # the client's close: answer it with its own code
                    self.outlet.close(event.code if 1000 <= event.code < 5000 and event.code not in (1005, 1006)
                                      else NORMAL_CLOSURE, "")
                return False
        return True

    def _announces_too_much(self, connection) -> bool:
        """A frame whose header announces more than ``MAX_FRAME_BYTES`` is refused at once (1009), not after
        that much arrived.  wsproto has parsed the header of the frame it waits for (its payload length)."""
        inner = getattr(getattr(connection, "handshake", None), "connection", None) or connection  # a WSConnection
        decoder = getattr(getattr(inner, "_proto", None), "_frame_decoder", None)
        header = getattr(decoder, "header", None)
        if header is None or self._size - decoder.payload_consumed + header.payload_len <= MAX_FRAME_BYTES:
            return False
        self.outlet.close(MESSAGE_TOO_BIG, "message is too big")
        return True

    def run(self) -> None:
        sock, connection = self.ws.sock, self.ws.ws
        self.ws.connected = False  # flask-sock's closing is ours now: nothing is sent behind the outlet's back
        self._parts: list = []
        self._size = 0
        self._pong = True
        sock.setblocking(False)
        selector = selectors.DefaultSelector()
        selector.register(sock, selectors.EVENT_READ)
        next_ping = time.monotonic() + self.config.ping_s
        closing_until: float | None = None  # after our close frame, how long we wait for the client's
        self.outlet.wake()  # the backlog starts flowing
        try:
            while not self.outlet.failed:
                now = time.monotonic()
                if self.sub.closed and closing_until is None:  # we close: the client has a moment to answer
                    closing_until = now + CLOSE_WAIT_S
                if closing_until is not None and (now >= closing_until or self.outlet.blocked):
                    break  # the client had its moment, or is not reading: no close handshake to wait for
                if now >= next_ping and closing_until is None:
                    if not self._pong:  # the last ping went unanswered: the client is gone
                        self.outlet.close(POLICY_VIOLATION, "ping timeout")
                        continue
                    self._pong, next_ping = False, now + self.config.ping_s
                    self.outlet.control(frame(PING, b""))
                # closing: only the client's close (or the end of its moment) matters, not the next ping, which
                # is already past after a ping timeout and would make this loop spin
                wait = min(READ_WAIT_S, closing_until - now) if closing_until else min(READ_WAIT_S, next_ping - now)
                if not selector.select(max(0.0, wait)):
                    continue
                try:
                    data = sock.recv(RECEIVE_BYTES)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    break
                if not data:
                    break
                connection.receive_data(data)
                if not self._events(connection) or self._announces_too_much(connection):
                    break  # the client closed (our answer goes out in _hang_up), or broke the protocol
        finally:
            selector.close()
            if self.seated and self.room_id is not None and self.hub is not None:
                try:
                    self.hub.send_input(self.room_id, {"type": "disconnect", "conn": self.conn})
                except (RoomGone, HubUnavailable):  # the seat's grace period runs out by itself
                    pass
            if self.hub is not None:
                self.hub.unsubscribe(self.sub)
            else:
                self.sub.close()
            self._hang_up(sock)

    def _hang_up(self, sock) -> None:
        """Let the close frame go out (briefly, and only to a client that reads), release the socket from the
        writer, end the connection.  Waits on an event, not a polling loop: hundreds of sockets cut at once
        (a ping timeout they all reach together) cost no CPU while they wait."""
        if not self.outlet.blocked:
            self.outlet.wake()
            self.outlet.done.wait(1.0)
        self.writer.release(self.outlet)
        try:
            sock.setblocking(True)
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def refuse(ws, config: ServerConfig, writer: Writer, reason: str, replies: Iterable[dict] = (),
           code: int = POLICY_VIOLATION) -> None:
    """Send ``replies``, then close (``code``, 1008 by default) with the same orderly hang-up as any session
    (the client's close is awaited, so it reads everything before the connection ends)."""
    session = Session(ws, Subscription("", []), config, writer)
    session._answer(replies)
    session.outlet.close(code, reason[:120])
    session.run()


def guarded(handler: Callable) -> Callable:
    """A websocket route from which no exception escapes: after the upgrade, Flask would write an HTTP 500
    into the websocket stream.  A hub outage is answered ``unavailable`` and closed 1013 (try again later),
    anything else is logged and closed 1011."""

    @functools.wraps(handler)
    def route(ws, *args, **kwargs) -> None:
        try:
            handler(ws, *args, **kwargs)
        except HubUnavailable:
            _refuse_quietly(ws, TRY_AGAIN_LATER, "unavailable", "the server cannot reach its rooms right now: "
                                                                "reconnect in a moment")
        except Exception:
            log.exception("websocket %s failed", handler.__name__)
            _refuse_quietly(ws, INTERNAL_ERROR, "internal", "the server failed serving this socket")

    return route


def _refuse_quietly(ws, code: int, kind: str, message: str) -> None:
    snek = current_app.extensions["snek"]
    try:
        refuse(ws, snek.config, snek.writer, message, [error(kind, message)], code)
    except Exception:  # the socket is beyond saving: let the connection go
        log.exception("could not close a failed websocket")
