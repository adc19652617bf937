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

Keys (``prefix`` defaults to ``snek:``): ``room:<id>:{open,seq,header,frames,result,owner,spectators}``,
``rooms`` (summaries), ``alive:<process>``; channels ``ch:<room>``, ``in:<process>``, ``re:<process>``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from snek_viewer.hub import BACKLOG_FRAMES, INPUT_TIMEOUT_S, Hub, InputHandler, RoomGone, Subscription

ALIVE_TTL_S = 10
HEARTBEAT_S = 3

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
        try:
            self.redis = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
            self.redis.ping()
        except (redis.RedisError, ValueError) as exc:
            raise ValueError(f"cannot use Redis at {url}: {exc}") from None
        self._publish = self.redis.register_script(PUBLISH)
        self._snapshot = self.redis.register_script(SNAPSHOT)
        self._set_header = self.redis.register_script(SET_HEADER)
        self._lock = threading.Lock()
        self._local: dict[str, list[_Local]] = {}
        self._handlers: dict[str, InputHandler] = {}
        self._waiting: dict[str, Future] = {}
        self._workers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="snek-redis-input")
        self._stop = threading.Event()
        self._beat()
        self._pubsub = self.redis.pubsub(ignore_subscribe_messages=False)
        self._pubsub.psubscribe(f"{prefix}ch:*")
        self._pubsub.subscribe(f"{prefix}in:{self.process}", f"{prefix}re:{self.process}")
        confirmed = 0
        while confirmed < 3:  # listening before anything is published or subscribed
            message = self._pubsub.get_message(timeout=5)
            if message is None:
                raise ValueError(f"Redis at {url} did not confirm the subscriptions")
            confirmed += message["type"] in ("subscribe", "psubscribe")
        self._listener = threading.Thread(target=self._listen, name="snek-redis-hub", daemon=True)
        self._listener.start()

    # --- keys ------------------------------------------------------------------------------
    def _k(self, room_id: str, part: str) -> str:
        return f"{self.prefix}room:{room_id}:{part}"

    def _stream_keys(self, room_id: str) -> list[str]:
        return [self._k(room_id, part) for part in ("open", "seq", "header", "frames", "result")]

    def _beat(self) -> None:
        self.redis.set(f"{self.prefix}alive:{self.process}", 1, ex=ALIVE_TTL_S)

    # --- the stream (owner side) -------------------------------------------------------------
    def open_room(self, room_id: str) -> None:
        self.redis.set(self._k(room_id, "open"), self.process)

    def publish(self, room_id: str, text: str, kind: str) -> None:
        if kind not in ("header", "frame", "result"):
            raise ValueError(f"unknown message kind {kind!r}")
        self._publish(keys=[*self._stream_keys(room_id), f"{self.prefix}ch:{room_id}"],
                      args=[kind, text, self.backlog_frames])

    def set_header(self, room_id: str, text: str) -> None:
        self._set_header(keys=[self._k(room_id, "header")], args=[text])

    def close_room(self, room_id: str) -> None:
        with self._lock:
            self._handlers.pop(room_id, None)
        pipe = self.redis.pipeline()
        pipe.delete(*self._stream_keys(room_id), self._k(room_id, "owner"), self._k(room_id, "spectators"))
        pipe.hdel(f"{self.prefix}rooms", room_id)
        pipe.publish(f"{self.prefix}ch:{room_id}", "0:close:")
        pipe.execute()

    # --- spectators ----------------------------------------------------------------------------
    def subscribe(self, room_id: str, maxsize: int = 256) -> Subscription | None:
        local = _Local(Subscription(room_id, [], maxsize))
        with self._lock:  # registered before the snapshot: nothing published after it is missed
            self._local.setdefault(room_id, []).append(local)
        snapshot = self._snapshot(keys=self._stream_keys(room_id))
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
        self.redis.hincrby(self._k(room_id, "spectators"), self.process, 1)
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
            self.redis.hincrby(self._k(subscription.room_id, "spectators"), self.process, -1)

    def spectators(self, room_id: str) -> int:
        return sum(int(v) for v in self.redis.hvals(self._k(room_id, "spectators")))

    # --- input -----------------------------------------------------------------------------------
    def serve_input(self, room_id: str, handler: InputHandler) -> None:
        with self._lock:
            self._handlers[room_id] = handler
        self.redis.set(self._k(room_id, "owner"), self.process)

    def send_input(self, room_id: str, message: dict) -> list[dict]:
        with self._lock:
            handler = self._handlers.get(room_id)
        if handler is not None:
            return handler(message)
        owner = self.redis.get(self._k(room_id, "owner"))
        if owner is None:
            raise RoomGone(room_id)
        request = uuid.uuid4().hex
        future: Future = Future()
        with self._lock:
            self._waiting[request] = future
        try:
            body = json.dumps({"req": request, "room": room_id, "reply": self.process, "message": message})
            if not self.redis.publish(f"{self.prefix}in:{owner}", body):
                raise RoomGone(room_id)  # the owner process is gone
            answer = future.result(timeout=INPUT_TIMEOUT_S)
        except FutureTimeout:
            raise RoomGone(room_id) from None
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
        self.redis.publish(f"{self.prefix}re:{request['reply']}", json.dumps(answer))

    # --- the listener thread ---------------------------------------------------------------------
    def _listen(self) -> None:
        room_prefix = f"{self.prefix}ch:"
        next_beat = time.monotonic() + HEARTBEAT_S
        while not self._stop.is_set():
            try:
                message = self._pubsub.get_message(timeout=1.0)
            except Exception:  # connection trouble: redis-py reconnects on the next call
                if self._stop.is_set():
                    return
                self._stop.wait(0.5)
                continue
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + HEARTBEAT_S
                self._beat_quietly()
            if message is None or message["type"] not in ("message", "pmessage"):
                continue
            channel, data = message["channel"], message["data"]
            if channel.startswith(room_prefix):
                self._deliver(channel[len(room_prefix):], data)
            elif channel.endswith(f"in:{self.process}"):
                self._workers.submit(self._answer, json.loads(data))
            else:
                answer = json.loads(data)
                with self._lock:
                    future = self._waiting.get(answer.get("req"))
                if future is not None and not future.done():
                    future.set_result(answer)

    def _beat_quietly(self) -> None:
        try:
            self._beat()
        except Exception:  # Redis briefly away: the next beat catches up before the key expires
            pass

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
        if self.redis.exists(self._k(room_id, "open")):
            self.redis.hset(f"{self.prefix}rooms", room_id, json.dumps({"owner": self.process, "summary": summary}))

    def rooms(self) -> list[dict]:
        stored = {room_id: json.loads(value) for room_id, value in self.redis.hgetall(f"{self.prefix}rooms").items()}
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
