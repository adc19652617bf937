"""The fan-out: one writer thread pushes websocket frames to every socket without blocking.

A room's frame is one text for all its subscribers (the hub offers the same ``str`` to each
``Subscription``), and a server-to-client websocket frame is unmasked (RFC 6455 §5.1), so the
frame's bytes are the same for every socket too: the writer builds them once per message
(``FrameCache``, keyed by the text object) and writes them to each socket with a non-blocking
``send``.  A socket whose kernel buffer is full keeps what it could not take in its subscription's
bounded queue (the hub's drop-oldest and ``lagging`` rules apply there) and is flushed again when
the kernel says it is writable: no thread waits on a slow client, and a socket costs no thread of
its own on the sending side (its handler thread only reads, ``snek_viewer.sockets``).

Every byte a socket sends goes through its ``Outlet`` (frames, replies, pings, pongs, the close
frame), under the outlet's lock, so frames never interleave.
"""

from __future__ import annotations

import logging
import os
import selectors
import struct
import threading
import time
from collections import deque
from collections.abc import Callable

from snek_viewer.hub import Subscription

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
CHUNK = 64 * 1024  # bytes gathered into one send
STALL_S = 30.0  # a socket that accepted nothing for this long (with data waiting) is cut
log = logging.getLogger(__name__)
CACHE = 512  # encoded messages kept (the newest frames of every room, at least)
MAX_CONTROL = 2  # our own pings waiting to go out (one is sent per ping interval; a third means the client is gone)


def frame(opcode: int, payload: bytes) -> bytes:
    """One final, unmasked websocket frame (RFC 6455 §5.2): what a server sends."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return head + payload


def text_frame(text: str) -> bytes:
    return frame(TEXT, text.encode("utf-8", "replace"))  # a lone surrogate in a name must not break a socket


def close_frame(code: int, reason: str = "") -> bytes:
    return frame(CLOSE, struct.pack("!H", code) + reason.encode("utf-8", "replace")[:123])


class FrameCache:
    """Text -> frame bytes, built once per message object: every subscriber is offered the same ``str``."""

    def __init__(self, size: int = CACHE) -> None:
        self.size = size
        self._frames: dict[int, tuple[str, bytes]] = {}
        self.built = 0  # frames encoded (for the benchmark: once per message, not per socket)

    def __call__(self, text: str) -> bytes:
        hit = self._frames.get(id(text))
        if hit is not None and hit[0] is text:
            return hit[1]
        data = text_frame(text)
        self.built += 1
        if len(self._frames) >= self.size:
            del self._frames[next(iter(self._frames))]  # the oldest entry (dicts keep insertion order)
        self._frames[id(text)] = (text, data)
        return data


class Outlet:
    """The sending side of one socket: its subscription's messages, then control frames, as bytes.

    ``transform`` (optional) turns each message into the text this client gets (``None`` skips it):
    the Battlesnake board's events are built per socket from our frames.
    """

    def __init__(self, sock, subscription: Subscription, writer: Writer,
                 transform: Callable[[str], str | None] | None = None) -> None:
        self.sock = sock
        self.sub = subscription
        self.writer = writer
        self.transform = transform
        self.close_sent = False
        self.done = threading.Event()  # the close frame went out, or the socket broke: nothing more will be sent
        self.failed = False  # the socket broke (or stalled): the reader lets it go
        self.released = threading.Event()  # the writer holds no reference to the socket any more
        self.blocked_since: float | None = None
        self._control: deque[bytes] = deque(maxlen=MAX_CONTROL)
        self._pong: bytes | None = None  # only the latest ping is answered (RFC 6455 §5.5.3): one pong waits at most
        self._pending: memoryview | None = None
        self._lock = threading.Lock()
        subscription.listener = self.wake

    def wake(self) -> None:
        self.writer.wake(self)

    def control(self, data: bytes) -> None:
        """Our ping: sent between messages, before the next one (at most ``MAX_CONTROL`` wait)."""
        with self._lock:
            self._control.append(data)
        self.wake()

    def pong(self, data: bytes) -> None:
        """The answer to the client's latest ping; it replaces an earlier pong still waiting, so a client
        that pings without reading holds one pong, not one per ping."""
        with self._lock:
            self._pong = data
        self.wake()

    def discard(self) -> None:
        """Drop everything still queued for this socket (it is closed: nothing will be sent)."""
        with self._lock:
            self._control.clear()
            self._pong = self._pending = None
        self.sub.discard()

    def close(self, code: int, reason: str = "") -> None:
        """Send what is queued, then a close frame with ``code``; nothing is sent after it."""
        self.sub.close(code, reason)

    @property
    def finished(self) -> bool:
        return self.close_sent or self.failed

    @property
    def blocked(self) -> bool:
        """The kernel's buffer for this socket is full: the client is not reading."""
        return self.blocked_since is not None

    def _gather(self, encode: Callable[[str], bytes]) -> bytes:
        parts: list[bytes] = []
        size = 0
        while size < CHUNK and not self.close_sent:
            if self._control:
                data = self._control.popleft()
            elif self._pong is not None:
                data, self._pong = self._pong, None
            else:
                text = self.sub.poll()
                if text is None:
                    if not self.sub.closed:
                        break
                    data, self.close_sent = close_frame(*self.sub.close_code), True
                else:
                    if self.transform is not None:
                        text = self.transform(text)
                        if text is None:
                            continue
                    data = encode(text)
            parts.append(data)
            size += len(data)
        return b"".join(parts)

    def flush(self, encode: Callable[[str], bytes]) -> bool:
        """Write what the socket takes without blocking; True when the kernel buffer is full (wait for it)."""
        with self._lock:
            while not self.failed and not self.released.is_set():
                if self._pending is None:
                    data = self._gather(encode)
                    if not data:
                        self.blocked_since = None
                        if self.close_sent:
                            self.done.set()
                        return False
                    self._pending = memoryview(data)
                try:
                    sent = self.sock.send(self._pending)
                except (BlockingIOError, InterruptedError):
                    sent = 0
                except OSError:  # the client went away: its reader notices and cleans up
                    self._fail()
                    return False
                if sent:
                    self.blocked_since = None
                self._pending = self._pending[sent:] if sent < len(self._pending) else None
                if self._pending is not None:
                    self.blocked_since = self.blocked_since or time.monotonic()
                    return True
            return False

    def _fail(self) -> None:
        self.failed = True
        self.done.set()
        self._pending = None
        self.sub.close()
        try:  # wakes the socket's reader at once
            self.sock.shutdown(2)
        except OSError:
            pass

    def stalled(self, now: float) -> bool:
        return self.blocked_since is not None and now - self.blocked_since > STALL_S

    def cut(self) -> None:
        with self._lock:
            self._fail()


class Writer:
    """The process's one sending thread: flushes outlets that have something new or became writable."""

    def __init__(self) -> None:
        self.encode = FrameCache()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._lock = threading.Lock()
        self._ready: set[Outlet] = set()
        self._released: list[Outlet] = []
        self._signalled = False
        self._waiting: set[Outlet] = set()  # registered for EVENT_WRITE
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="snek-writer", daemon=True)
        self._thread.start()

    def wake(self, outlet: Outlet) -> None:
        """``outlet`` has something to send (called by publishers and readers; never blocks)."""
        with self._lock:
            self._ready.add(outlet)
            signal = not self._signalled
            self._signalled = True
        if signal:
            self._signal()

    def release(self, outlet: Outlet, timeout: float = 5.0) -> None:
        """Forget ``outlet`` (its socket is about to be closed); waits until the writer let go of it."""
        with self._lock:
            self._released.append(outlet)
            self._signalled = True
        self._signal()
        if not outlet.released.wait(timeout) and not self._thread.is_alive():
            outlet.released.set()

    def _signal(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):  # already woken (a full pipe), or closed
            pass

    def close(self) -> None:
        self._stop = True
        self._signal()
        self._thread.join(timeout=5)
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _run(self) -> None:
        next_check = time.monotonic() + 1.0
        while not self._stop:
            writable = []
            for key, _ in self._selector.select(timeout=1.0):
                if key.data is None:
                    try:
                        while os.read(self._wake_r, 4096):
                            pass
                    except BlockingIOError:
                        pass
                else:
                    writable.append(key.data)
            with self._lock:
                ready, self._ready = self._ready, set()
                released, self._released = self._released, []
                self._signalled = False
            for outlet in released:
                self._unwait(outlet)
                ready.discard(outlet)
                try:
                    outlet.discard()
                except Exception:  # what is dropped does not matter; the writer must go on for everyone
                    log.exception("writer: dropping a closed socket's queue failed")
                outlet.released.set()
            ready.update(writable)
            for outlet in ready:
                if outlet.released.is_set():
                    continue
                try:
                    blocked = outlet.flush(self.encode)
                except Exception:  # one socket's bug (a bad message, a transform) cuts that socket, not the writer
                    log.exception("writer: a socket failed; it is cut")
                    outlet.cut()
                    blocked = False
                if blocked:
                    if outlet not in self._waiting:
                        self._waiting.add(outlet)
                        self._selector.register(outlet.sock, selectors.EVENT_WRITE, outlet)
                else:
                    self._unwait(outlet)
            now = time.monotonic()
            if now >= next_check:
                next_check = now + 1.0
                for outlet in [o for o in self._waiting if o.stalled(now)]:
                    outlet.cut()
                    self._unwait(outlet)

    def _unwait(self, outlet: Outlet) -> None:
        if outlet in self._waiting:
            self._waiting.discard(outlet)
            try:
                self._selector.unregister(outlet.sock)
            except (KeyError, ValueError, OSError):
                pass
