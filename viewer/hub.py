"""The hub: how a room's messages reach every subscriber, and how their input reaches the room.

Rooms and sockets never talk directly.  A room's *owner* (the process whose thread runs its loop)
publishes already-serialised messages (``header``, ``frame``, ``result`` lines of the replay schema)
and announces a summary of itself; a socket, on whichever process serves it, subscribes to a
room's stream and forwards its client's input to the room's owner.  ``LocalHub`` does this inside
one process (the default); a Redis hub implements the same interface so that several ``snek
serve`` processes share rooms.  The room registry (which rooms this process owns) is separate
(``snek_viewer.rooms``), so a room listed here may well be owned by another process.

The contract an implementation keeps (docs/server.md, "The hub"):

- ``open_room(room_id)`` starts an empty stream; ``publish(room_id, text, kind)`` appends a message:
  ``kind="header"`` starts the stream over (backlog = that header), ``"frame"`` appends (the backlog
  keeps the last ``backlog_frames`` frames), ``"result"`` closes the game; every subscriber gets the
  same text.  ``set_header`` replaces the stored header without sending it (late joiners see the
  names of players who joined since).  ``close_room`` forgets the stream and ends its subscriptions.
- ``subscribe(room_id, maxsize)`` returns a ``Subscription`` holding a snapshot of the backlog and,
  atomically with it, every later message, or None for an unknown room.  Publishing never blocks:
  a full subscription drops its own oldest live message and remembers that it lagged.
- ``serve_input(room_id, handler)`` (owner side) and ``send_input(room_id, message)`` (any process):
  a client's input message (a dict, with the socket's ``conn`` id added) goes to the owner's
  handler, whose reply messages (dicts) come back to the caller.  An unknown room raises ``RoomGone``.
- ``announce(room_id, summary)`` stores the owner's summary of a room; ``rooms()`` and ``room(id)``
  list the summaries of every process's rooms, each with ``spectators`` filled in.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator

InputHandler = Callable[[dict], list[dict]]

BACKLOG_FRAMES = 5000  # a late joiner can scrub this many frames of a game (the whole of most games)
INPUT_TIMEOUT_S = 5.0  # how long a forwarded input may wait for its owner (cross-process hubs)


class RoomGone(LookupError):
    """The room does not exist (any more), or its owner stopped answering."""


class HubUnavailable(RuntimeError):
    """The hub cannot reach what it shares rooms through (Redis is down): try again later."""


NORMAL_CLOSURE = 1000


class Subscription:
    """One subscriber's outbox: the backlog snapshot, then a bounded queue of live messages,
    plus direct replies to this client (welcome, errors) that are never dropped.

    ``offer`` is called by publishers and never blocks; ``next`` is called by whoever sends to the
    subscriber (the process's socket writer, ``snek_viewer.fanout``), which sets ``listener`` to be
    told (outside the lock) that there is something new.  When the live queue is full the oldest
    live message is dropped and ``next`` returns ``lagging_message`` once before the messages that
    survived.
    """

    def __init__(self, room_id: str, backlog: Iterable[str], maxsize: int = 256,
                 lagging_message: str = '{"type":"error","code":"lagging","message":"you fell behind: '
                                        'older frames were dropped"}') -> None:
        self.room_id = room_id
        self.maxsize = max(1, maxsize)
        self.dropped = 0  # live messages dropped so far
        # a room's snapshot (a list), or a stored file's lines read as they are sent (an iterator: a big
        # replay never sits in memory; still sent after ``close``, as a list is; a generator's file closes
        # when it is exhausted or the subscription is dropped)
        self._backlog: Iterator[str] | None = iter(backlog)
        self._live: deque[str] = deque()
        self._direct: deque[str] = deque()
        self._lagged = False
        self._lagging_message = lagging_message
        self._cond = threading.Condition()
        self.closed = False
        self.close_code: tuple[int, str] = (NORMAL_CLOSURE, "")  # the close frame that follows the last message
        self.listener: Callable[[], None] | None = None

    def offer(self, text: str) -> None:
        """A live message for this subscriber; drops the oldest when the queue is full."""
        with self._cond:
            if self.closed:
                return
            if len(self._live) >= self.maxsize:
                self._live.popleft()
                self.dropped += 1
                self._lagged = True
            self._live.append(text)
            self._cond.notify()
        if self.listener is not None:
            self.listener()

    def reply(self, text: str) -> None:
        """A message for this client only (never dropped; the socket layer bounds how many it sends)."""
        with self._cond:
            self._direct.append(text)
            self._cond.notify()
        if self.listener is not None:
            self.listener()

    @property
    def pending_replies(self) -> int:
        return len(self._direct)

    def next(self, timeout: float | None = None) -> str | None:
        """The next message to send (replies first, then the backlog, then live); None on timeout or close."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._direct or self._backlog is not None or self._live
                                       or self.closed, timeout):
                return None
            return self._pop()

    def poll(self) -> str | None:
        """The next message if there is one, without waiting (the socket writer's cheap path)."""
        with self._cond:
            return self._pop()

    def _pop(self) -> str | None:
        if self._direct:
            return self._direct.popleft()
        if self._backlog is not None:
            text = next(self._backlog, None)
            if text is not None:
                return text
            self._backlog = None
        if self._lagged:
            self._lagged = False
            return self._lagging_message
        if self._live:
            return self._live.popleft()
        return None

    def close(self, code: int = NORMAL_CLOSURE, reason: str = "") -> None:
        """No more messages: what is queued is still sent, then a close frame with ``code`` (the first close's)."""
        with self._cond:
            if not self.closed:
                self.close_code = (code, reason)
            self.closed = True
            self._cond.notify_all()
        if self.listener is not None:
            self.listener()

    def discard(self) -> None:
        """Closed, with nothing left queued: its socket is gone, so nothing would ever read it."""
        with self._cond:
            self.closed = True
            self._direct.clear()
            backlog, self._backlog = self._backlog, None
            self._live.clear()
            self._cond.notify_all()
        close = getattr(backlog, "close", None)
        if close is not None:  # a stored file's lines: the file is closed now, not when collected
            close()


class Hub(ABC):
    """The interface every hub implements (see the module docstring for the contract)."""

    backlog_frames: int = BACKLOG_FRAMES
    remote: bool = False  # publishing waits on a network round trip: the room scheduler runs such turns on its pool

    # --- the stream of a room (owner side) ------------------------------------------------
    @abstractmethod
    def open_room(self, room_id: str) -> None: ...

    @abstractmethod
    def publish(self, room_id: str, text: str, kind: str) -> None: ...

    @abstractmethod
    def set_header(self, room_id: str, text: str) -> None: ...

    @abstractmethod
    def close_room(self, room_id: str) -> None: ...

    # --- spectators (any process) ---------------------------------------------------------
    @abstractmethod
    def subscribe(self, room_id: str, maxsize: int = 256) -> Subscription | None: ...

    @abstractmethod
    def unsubscribe(self, subscription: Subscription) -> None: ...

    @abstractmethod
    def spectators(self, room_id: str) -> int: ...

    # --- input: a client's message to the room's owner -------------------------------------
    @abstractmethod
    def serve_input(self, room_id: str, handler: InputHandler) -> None: ...

    @abstractmethod
    def send_input(self, room_id: str, message: dict) -> list[dict]: ...

    # --- the room list across processes ----------------------------------------------------
    @abstractmethod
    def announce(self, room_id: str, summary: dict) -> None: ...

    @abstractmethod
    def rooms(self) -> list[dict]: ...

    def room(self, room_id: str) -> dict | None:
        return next((r for r in self.rooms() if r["id"] == room_id), None)

    @property
    def available(self) -> bool:
        """False while a shared hub cannot reach its store: sockets are refused with ``unavailable``."""
        return True

    def health(self) -> dict:
        """What ``/healthz`` reports about the hub beside ``ok`` (a shared hub: whether it reaches its store)."""
        return {}

    def close(self) -> None:
        """Release connections and threads (nothing to do in process)."""


class _Stream:
    def __init__(self) -> None:
        self.header: str | None = None
        self.frames: deque[str] = deque()
        self.result: str | None = None
        self.subscribers: set[Subscription] = set()

    def backlog(self) -> list[str]:
        if self.header is None:
            return []
        return [self.header, *self.frames] + ([self.result] if self.result else [])


class LocalHub(Hub):
    """Everything in this process: streams in memory, input handed straight to the room."""

    def __init__(self, backlog_frames: int = BACKLOG_FRAMES) -> None:
        self.backlog_frames = backlog_frames
        self._lock = threading.Lock()
        self._streams: dict[str, _Stream] = {}
        self._handlers: dict[str, InputHandler] = {}
        self._summaries: dict[str, dict] = {}

    def open_room(self, room_id: str) -> None:
        with self._lock:
            self._streams.setdefault(room_id, _Stream())

    def publish(self, room_id: str, text: str, kind: str) -> None:
        with self._lock:
            stream = self._streams.get(room_id)
            if stream is None:
                return
            if kind == "header":
                stream.header, stream.result = text, None
                stream.frames.clear()
            elif kind == "frame":
                stream.frames.append(text)
                if len(stream.frames) > self.backlog_frames:
                    stream.frames.popleft()
            elif kind == "result":
                stream.result = text
            else:
                raise ValueError(f"unknown message kind {kind!r}")
            subscribers = list(stream.subscribers)
        for subscription in subscribers:  # offer never blocks: one slow client cannot hold the room
            subscription.offer(text)

    def set_header(self, room_id: str, text: str) -> None:
        with self._lock:
            if room_id in self._streams:
                self._streams[room_id].header = text

    def close_room(self, room_id: str) -> None:
        with self._lock:
            stream = self._streams.pop(room_id, None)
            self._handlers.pop(room_id, None)
            self._summaries.pop(room_id, None)
        for subscription in stream.subscribers if stream else ():
            subscription.close()

    def subscribe(self, room_id: str, maxsize: int = 256) -> Subscription | None:
        with self._lock:
            stream = self._streams.get(room_id)
            if stream is None:
                return None
            subscription = Subscription(room_id, stream.backlog(), maxsize)
            stream.subscribers.add(subscription)
            return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.close()
        with self._lock:
            stream = self._streams.get(subscription.room_id)
            if stream:
                stream.subscribers.discard(subscription)

    def spectators(self, room_id: str) -> int:
        with self._lock:
            stream = self._streams.get(room_id)
            return len(stream.subscribers) if stream else 0

    def serve_input(self, room_id: str, handler: InputHandler) -> None:
        with self._lock:
            self._handlers[room_id] = handler

    def send_input(self, room_id: str, message: dict) -> list[dict]:
        with self._lock:
            handler = self._handlers.get(room_id)
        if handler is None:
            raise RoomGone(room_id)
        return handler(message)

    def announce(self, room_id: str, summary: dict) -> None:
        with self._lock:
            if room_id in self._streams:
                self._summaries[room_id] = summary

    def rooms(self) -> list[dict]:
        with self._lock:
            summaries = list(self._summaries.items())
        return [{**summary, "spectators": self.spectators(room_id)} for room_id, summary in summaries]


def make_hub(redis_url: str | None = None) -> Hub:
    """The in-process hub, or the Redis one that ``snek serve --redis URL`` shares between processes
    (``snek_viewer.redis_hub``; needs the ``redis`` extra, and says so in one line when it is missing)."""
    if not redis_url:
        return LocalHub()
    from snek_viewer.redis_hub import RedisHub

    return RedisHub(redis_url)
