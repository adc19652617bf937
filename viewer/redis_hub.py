"""A hub shared by several ``snek serve`` processes through Redis (``snek serve --redis URL``).

The room's owner publishes each message with one Lua script that numbers it (a per-room counter),
stores it in the backlog (header, the last ``backlog_frames`` frames, result) and publishes it on
the room's channel.  Every process listens to all room channels on one pub/sub connection and hands
each message to its own local subscribers, so a frame crosses Redis once per process, not once per
spectator.  A new subscriber is registered locally first, then reads the backlog and the counter in
one atomic script; live messages numbered at or below that counter are already in its backlog and
are skipped, the others are delivered after it: no message lost, none twice.

Input goes to the owner: each process listens on its own input channel and answers on the asking
process's reply channel.  Each process refreshes a liveness key while it runs, so the room list
forgets the rooms of a process that died without closing them, and input to them fails at once.

An outage of Redis is survived, not fatal: the owner keeps a copy of each of its rooms' streams (the
same backlog Redis holds) and its rooms tick on locally while Redis is away; every local subscriber
is told (an ``unavailable`` error) and its socket closed with 1013 (try again later), new ones are
refused the same way, and the listener thread reconnects with backoff.  When Redis answers again the
process puts its rooms back (stream, owner, summary) and serves them as before.

Keys (``prefix`` defaults to ``snek:``): ``room:<id>:{open,seq,header,frames,result,owner,spectators}``,
``rooms`` (summaries), ``alive:<process>``; channels ``ch:<room>``, ``in:<process>``, ``re:<process>``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from arena import jsonio
from snek_viewer.hub import BACKLOG_FRAMES, INPUT_TIMEOUT_S, Hub, HubUnavailable, InputHandler, RoomGone, Subscription

ALIVE_TTL_S = 10
HEARTBEAT_S = 3
RECONNECT_S = (0.2, 5.0)  # first and longest wait between reconnection attempts (doubling)
TRY_AGAIN_LATER = 1013  # the websocket close code for a subscriber cut by an outage
UNAVAILABLE = jsonio.dumps_text({"type": "error", "code": "unavailable",
                                 "message": "the server lost its connection to Redis: reconnect in a moment"})
log = logging.getLogger(__name__)

# KEYS: open, seq, header, frames, result, channel; ARGV: kind, text, backlog frames
PUBLISH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local seq = redis.call('INCR', KEYS[2])
local item = seq .. ':' .. ARGV[2]
if ARGV[1] == 'header' then
  redis.call('SET', KEYS[3], item)
  redis.call('DEL', KEYS[4], KEYS[5])
elseif ARGV[1] == 'frame' then
  redis.call('RPUSH', KEYS[4], item)
  redis.call('LTRIM', KEYS[4], -tonumber(ARGV[3]), -1)
elseif ARGV[1] == 'result' then
  redis.call('SET', KEYS[5], item)
end
redis.call('PUBLISH', KEYS[6], seq .. ':' .. ARGV[1] .. ':' .. ARGV[2])
return seq
"""

# KEYS: open, seq, header, frames, result
SNAPSHOT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return {redis.call('GET', KEYS[2]) or '0', redis.call('GET', KEYS[3]) or '',
        redis.call('LRANGE', KEYS[4], 0, -1), redis.call('GET', KEYS[5]) or ''}
"""

# KEYS: header; ARGV: text.  Keeps the header's number (its place in the stream) with the new text.
SET_HEADER = """
local old = redis.call('GET', KEYS[1])
if not old then return 0 end
redis.call('SET', KEYS[1], string.sub(old, 1, string.find(old, ':')) .. ARGV[1])
return 1
"""


# KEYS: open, seq, header, frames, result, owner; ARGV: process, header, result, frames...
# Puts an owned room back after Redis lost it (a restart): numbered 1..n as if published again.
RESTORE = """
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[6], ARGV[1])
local seq = 0
if ARGV[2] ~= '' then seq = seq + 1; redis.call('SET', KEYS[3], seq .. ':' .. ARGV[2]) end
for i = 4, #ARGV do seq = seq + 1; redis.call('RPUSH', KEYS[4], seq .. ':' .. ARGV[i]) end
if ARGV[3] ~= '' then seq = seq + 1; redis.call('SET', KEYS[5], seq .. ':' .. ARGV[3]) end
redis.call('SET', KEYS[2], seq)
return seq
"""


class _Owned:
    """This process's copy of a room it owns: what Redis holds for it, to put back after an outage."""

    __slots__ = ("header", "frames", "result", "summary")

    def __init__(self, backlog_frames: int) -> None:
        self.header = ""
        self.frames: deque[str] = deque(maxlen=backlog_frames)
        self.result = ""
        self.summary: dict | None = None


def _text(item: str) -> tuple[int, str]:
    seq, _, text = item.partition(":")
    return int(seq), text


class _Local:
    """A subscriber on this process, possibly still reading its backlog (``after`` is None)."""

    __slots__ = ("subscription", "after", "pending")

    def __init__(self, subscription: Subscription) -> None:
        self.subscription = subscription
        self.after: int | None = None
        self.pending: list[tuple[int, str, str]] = []  # (number, kind, text) published during the snapshot


class RedisHub(Hub):
    remote = True

    def __init__(self, url: str, prefix: str = "snek:", backlog_frames: int = BACKLOG_FRAMES) -> None:
        try:
            import redis
        except ImportError:
            raise ValueError("--redis needs the redis package: pip install 'snek-arena[redis]'") from None
        self.backlog_frames = backlog_frames
        self.prefix = prefix
        self.process = uuid.uuid4().hex[:12]
        self.errors = (redis.RedisError, OSError)
        try:
            self.redis = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30,
                                              socket_timeout=5, socket_connect_timeout=2)
            self.redis.ping()
        except (redis.RedisError, ValueError) as exc:
            raise ValueError(f"cannot use Redis at {url}: {exc}") from None
        self._publish = self.redis.register_script(PUBLISH)
        self._snapshot = self.redis.register_script(SNAPSHOT)
        self._set_header = self.redis.register_script(SET_HEADER)
        self._restore = self.redis.register_script(RESTORE)
        self._lock = threading.Lock()
        self._local: dict[str, list[_Local]] = {}
        self._handlers: dict[str, InputHandler] = {}
        self._owned: dict[str, _Owned] = {}
        self._waiting: dict[str, Future] = {}
        self._workers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="snek-redis-input")
        self._stop = threading.Event()
        self.down_since: float | None = None  # monotonic time Redis was lost; None while it answers
        self.last_error = ""
        self._beat()
        if not self._listen_again():
            raise ValueError(f"Redis at {url} did not confirm the subscriptions")
        self._listener = threading.Thread(target=self._listen, name="snek-redis-hub", daemon=True)
        self._listener.start()

    # --- keys ------------------------------------------------------------------------------
    def _k(self, room_id: str, part: str) -> str:
        return f"{self.prefix}room:{room_id}:{part}"

    def _stream_keys(self, room_id: str) -> list[str]:
        return [self._k(room_id, part) for part in ("open", "seq", "header", "frames", "result")]

    def _beat(self) -> None:
        self.redis.set(f"{self.prefix}alive:{self.process}", 1, ex=ALIVE_TTL_S)

    # --- an outage ---------------------------------------------------------------------------
    @property
    def up(self) -> bool:
        return self.down_since is None

    available = up

    def health(self) -> dict:
        if self.up:
            return {"redis": "up"}
        return {"redis": "down", "down_s": round(time.monotonic() - self.down_since, 1), "error": self.last_error}

    def _try(self, call, *args, **kwargs):
        """``call`` against Redis, or None (and the outage noted) when Redis is away: owner-side work never
        fails for it, since the room's loop must go on."""
        if not self.up:
            return None
        try:
            return call(*args, **kwargs)
        except self.errors as exc:
            self._lost(exc)
            return None

    def _lost(self, exc: BaseException) -> None:
        """Redis stopped answering: tell every local subscriber and close its socket (1013, try again later);
        the listener thread reconnects."""
        with self._lock:
            first = self.down_since is None
            if first:
                self.down_since, self.last_error = time.monotonic(), f"{type(exc).__name__}: {exc}"[:200]
            cut = [local.subscription for entries in self._local.values() for local in entries]
            self._local.clear()
            waiting, self._waiting = list(self._waiting.values()), {}
        if first:
            log.warning("lost Redis (%s): rooms go on locally, spectators are told to come back", self.last_error)
        for future in waiting:
            if not future.done():
                future.set_exception(HubUnavailable("Redis is unavailable"))
        for subscription in cut:
            subscription.reply(UNAVAILABLE)
            subscription.close(TRY_AGAIN_LATER, "Redis unavailable")

    def _listen_again(self) -> bool:
        """A fresh pub/sub connection on every channel this process listens to; False if Redis did not confirm."""
        self._pubsub = self.redis.pubsub(ignore_subscribe_messages=False)
        self._pubsub.psubscribe(f"{self.prefix}ch:*")
        self._pubsub.subscribe(f"{self.prefix}in:{self.process}", f"{self.prefix}re:{self.process}")
        confirmed = 0
        while confirmed < 3:  # listening before anything is published or subscribed
            message = self._pubsub.get_message(timeout=5)
            if message is None:
                return False
            confirmed += message["type"] in ("subscribe", "psubscribe")
        return True

    def _reconnect(self) -> None:
        """Until Redis answers (waits doubling up to ``RECONNECT_S[1]``): listen again, put this process's
        rooms back, then take traffic again."""
        wait = RECONNECT_S[0]
        while not self._stop.wait(wait):
            try:
                self._pubsub.close()
            except Exception:  # the old connection is dead anyway
                pass
            try:
                self.redis.ping()
                if not self._listen_again():
                    raise ConnectionError("no subscription confirmed")
                self._beat()
                with self._lock:  # no message is published between the copy put back and being up again
                    self._put_back()
                    self.down_since = None
            except self.errors as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"[:200]
                wait = min(wait * 2, RECONNECT_S[1])
                continue
            log.warning("Redis is back: %d rooms put back", len(self._owned))
            return

    def _put_back(self) -> None:
        """Write every room this process owns into Redis again (a restarted Redis forgot them); under the lock."""
        for room_id, o in self._owned.items():
            self._restore(keys=[*self._stream_keys(room_id), self._k(room_id, "owner")],
                          args=[self.process, o.header, o.result, *o.frames])
            summary = o.summary
            if summary is not None:
                self.redis.hset(f"{self.prefix}rooms", room_id,
                                jsonio.dumps_text({"owner": self.process, "summary": summary}))

    # --- the stream (owner side) -------------------------------------------------------------
    def open_room(self, room_id: str) -> None:
        with self._lock:
            self._owned[room_id] = _Owned(self.backlog_frames)
        self._try(self.redis.set, self._k(room_id, "open"), self.process)

    def publish(self, room_id: str, text: str, kind: str) -> None:
        if kind not in ("header", "frame", "result"):
            raise ValueError(f"unknown message kind {kind!r}")
        with self._lock:  # kept, and sent only if Redis is up: a message put back after an outage is not sent twice
            owned = self._owned.get(room_id)
            if owned is not None:
                if kind == "header":
                    owned.header, owned.result = text, ""
                    owned.frames.clear()
                elif kind == "frame":
                    owned.frames.append(text)
                else:
                    owned.result = text
            send = self.up
        if send:
            self._try(self._publish, keys=[*self._stream_keys(room_id), f"{self.prefix}ch:{room_id}"],
                      args=[kind, text, self.backlog_frames])

    def set_header(self, room_id: str, text: str) -> None:
        with self._lock:
            if room_id in self._owned:
                self._owned[room_id].header = text
        self._try(self._set_header, keys=[self._k(room_id, "header")], args=[text])

    def close_room(self, room_id: str) -> None:
        with self._lock:
            self._handlers.pop(room_id, None)
            self._owned.pop(room_id, None)
        pipe = self.redis.pipeline()
        pipe.delete(*self._stream_keys(room_id), self._k(room_id, "owner"), self._k(room_id, "spectators"))
        pipe.hdel(f"{self.prefix}rooms", room_id)
        pipe.publish(f"{self.prefix}ch:{room_id}", "0:close:")
        self._try(pipe.execute)

    # --- spectators ----------------------------------------------------------------------------
    def subscribe(self, room_id: str, maxsize: int = 256) -> Subscription | None:
        if not self.up:
            raise HubUnavailable("Redis is unavailable")
        local = _Local(Subscription(room_id, [], maxsize))
        with self._lock:  # registered before the snapshot: nothing published after it is missed
            self._local.setdefault(room_id, []).append(local)
        try:
            snapshot = self._snapshot(keys=self._stream_keys(room_id))
        except self.errors as exc:
            self._forget(local)
            self._lost(exc)
            raise HubUnavailable("Redis is unavailable") from None
        if snapshot is None:
            self._forget(local)
            return None
        seq, header, frames, result = snapshot
        backlog = [_text(item)[1] for item in ([header] if header else []) + frames + ([result] if result else [])]
        subscription = Subscription(room_id, backlog if header else [], maxsize)
        with self._lock:
            local.subscription = subscription
            local.after = int(seq)
            for number, kind, text in local.pending:
                if kind == "close":
                    subscription.close()
                elif number > local.after:
                    subscription.offer(text)
            local.pending.clear()
        self._try(self.redis.hincrby, self._k(room_id, "spectators"), self.process, 1)
        return subscription

    def _forget(self, local: _Local) -> bool:
        room_id = local.subscription.room_id
        with self._lock:
            entries = self._local.get(room_id, [])
            if local not in entries:
                return False
            entries.remove(local)
            if not entries:
                self._local.pop(room_id, None)
        return True

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.close()
        with self._lock:
            local = next((e for e in self._local.get(subscription.room_id, []) if e.subscription is subscription), None)
        if local is not None and self._forget(local):
            self._try(self.redis.hincrby, self._k(subscription.room_id, "spectators"), self.process, -1)

    def spectators(self, room_id: str) -> int:
        counts = self._try(self.redis.hvals, self._k(room_id, "spectators"))
        if counts is None:  # Redis is away: this process's own count (which an outage has set to 0)
            with self._lock:
                return len(self._local.get(room_id, []))
        return sum(int(v) for v in counts)

    # --- input -----------------------------------------------------------------------------------
    def serve_input(self, room_id: str, handler: InputHandler) -> None:
        with self._lock:
            self._handlers[room_id] = handler
        self._try(self.redis.set, self._k(room_id, "owner"), self.process)

    def send_input(self, room_id: str, message: dict) -> list[dict]:
        with self._lock:
            handler = self._handlers.get(room_id)
        if handler is not None:
            return handler(message)
        if not self.up:
            raise HubUnavailable("Redis is unavailable")
        request = uuid.uuid4().hex
        future: Future = Future()
        with self._lock:
            self._waiting[request] = future
        try:
            owner = self.redis.get(self._k(room_id, "owner"))
            if owner is None:
                raise RoomGone(room_id)
            body = jsonio.dumps_text({"req": request, "room": room_id, "reply": self.process, "message": message})
            if not self.redis.publish(f"{self.prefix}in:{owner}", body):
                raise RoomGone(room_id)  # the owner process is gone
            answer = future.result(timeout=INPUT_TIMEOUT_S)
        except FutureTimeout:
            raise RoomGone(room_id) from None
        except self.errors as exc:
            self._lost(exc)
            raise HubUnavailable("Redis is unavailable") from None
        finally:
            with self._lock:
                self._waiting.pop(request, None)
        if answer.get("gone"):
            raise RoomGone(room_id)
        return answer["replies"]

    def _answer(self, request: dict) -> None:
        with self._lock:
            handler = self._handlers.get(request["room"])
        try:
            answer = {"req": request["req"], "replies": handler(request["message"])} if handler else None
        except Exception:  # a handler bug must not kill the input worker; the caller sees the room as gone
            answer = None
        answer = answer or {"req": request["req"], "gone": True}
        self._try(self.redis.publish, f"{self.prefix}re:{request['reply']}", jsonio.dumps_text(answer))

    # --- the listener thread ---------------------------------------------------------------------
    def _listen(self) -> None:
        room_prefix = f"{self.prefix}ch:"
        next_beat = time.monotonic() + HEARTBEAT_S
        while not self._stop.is_set():
            if not self.up:
                self._reconnect()
                continue
            try:
                message = self._pubsub.get_message(timeout=1.0)
            except Exception as exc:  # Redis is away: everyone local is told, then we reconnect
                if not self._stop.is_set():
                    self._lost(exc)
                continue
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + HEARTBEAT_S
                self._try(self._beat)
            if message is None or message["type"] not in ("message", "pmessage"):
                continue
            channel, data = message["channel"], message["data"]
            if channel.startswith(room_prefix):
                self._deliver(channel[len(room_prefix):], data)
            elif channel.endswith(f"in:{self.process}"):
                self._workers.submit(self._answer, jsonio.loads(data))
            else:
                answer = jsonio.loads(data)
                with self._lock:
                    future = self._waiting.get(answer.get("req"))
                if future is not None and not future.done():
                    future.set_result(answer)

    def _deliver(self, room_id: str, data: str) -> None:
        seq_text, kind, text = data.split(":", 2)
        seq = int(seq_text)
        with self._lock:
            entries = list(self._local.get(room_id, []))
            ready = []
            for local in entries:
                if local.after is None:
                    local.pending.append((seq, kind, text))
                elif kind == "close" or seq > local.after:
                    ready.append(local.subscription)
            if kind == "close":
                self._local.pop(room_id, None)
        for subscription in ready:
            if kind == "close":
                subscription.close()
            else:
                subscription.offer(text)

    # --- rooms across processes ------------------------------------------------------------------
    def announce(self, room_id: str, summary: dict) -> None:
        with self._lock:
            if room_id not in self._owned:
                return
            self._owned[room_id].summary = summary
        self._try(self.redis.hset, f"{self.prefix}rooms", room_id,
                  jsonio.dumps_text({"owner": self.process, "summary": summary}))

    def rooms(self) -> list[dict]:
        try:
            return self._all_rooms() if self.up else self._own_rooms()
        except self.errors as exc:
            self._lost(exc)
            return self._own_rooms()

    def _own_rooms(self) -> list[dict]:
        """During an outage: the rooms this process owns (nobody can watch them here until Redis is back)."""
        with self._lock:
            return [{**o.summary, "spectators": 0} for o in self._owned.values() if o.summary is not None]

    def _all_rooms(self) -> list[dict]:
        stored = {room_id: jsonio.loads(value) for room_id, value in self.redis.hgetall(f"{self.prefix}rooms").items()}
        owners = sorted({entry["owner"] for entry in stored.values()})
        pipe = self.redis.pipeline()
        for owner in owners:
            pipe.exists(f"{self.prefix}alive:{owner}")
        alive = {owner for owner, up in zip(owners, pipe.execute()) if up}
        pipe = self.redis.pipeline()
        listed = [(room_id, entry) for room_id, entry in stored.items() if entry["owner"] in alive]
        for room_id, _ in listed:
            pipe.hvals(self._k(room_id, "spectators"))
        counts = pipe.execute()
        return [{**entry["summary"], "spectators": sum(int(v) for v in values)}
                for (room_id, entry), values in zip(listed, counts)]

    def close(self) -> None:
        self._stop.set()
        try:
            self.redis.publish(f"{self.prefix}re:{self.process}", "{}")  # wakes the listener at once
        except Exception:  # Redis already gone: the listener wakes by its own timeout
            pass
        self._listener.join(timeout=3)
        try:
            self._pubsub.close()
            with self._lock:
                mine = {room_id: len(entries) for room_id, entries in self._local.items()}
                self._local.clear()
            pipe = self.redis.pipeline()
            for room_id in mine:
                pipe.hdel(self._k(room_id, "spectators"), self.process)
            pipe.delete(f"{self.prefix}alive:{self.process}")
            pipe.execute()
        except Exception:  # closing is best effort: Redis may already be gone
            pass
        self._workers.shutdown(wait=False, cancel_futures=True)
        self.redis.close()
