"""The HTTP transport: any Battlesnake snake server plays in our arena unchanged.

Requests are exactly Battlesnake's: ``GET /`` for the snake's customizations (color, head,
tail), then ``POST /start``, ``/move`` every turn and ``/end`` with the game-state JSON.  We
behave as Battlesnake's engine does (docs/bots.md, "The HTTP API"):

- every turn's ``/move`` is sent, even while an earlier one is still out (``concurrent``);
- a request is bounded by its deadline *in total* (connect, send, headers, body), not per
  socket read: a watchdog cuts the connection of a request that outlives it, so a snake that
  drips its answer byte by byte can neither stall a turn nor keep the process alive;
- answers are parsed as strictly as the engine's Go decoder (``lenient`` relaxes that);
- a request that may have reached the snake is never sent again; only a connection that
  failed before the request was written is retried;
- responses are bounded: headers by ``http.client`` (100 lines of 64 KiB at most), the
  body by ``MAX_RESPONSE_BYTES``.

Connections are kept alive and reused.  Stdlib only (``http.client``): no dependency.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

from arena import jsonio
from arena.geometry import MOVES
from arena.players.base import MoveResult, Player, parse_answer

INFO_TIMEOUT_S = 3.0
USER_AGENT = "snek-arena"
MAX_RESPONSE_BYTES = 64 * 1024  # a move answer is a few dozen bytes; anything near this is not one


class HttpError(Exception):
    """A request that did not produce a usable answer; ``str`` is the frame's error text."""


class _Watchdog:
    """Cuts (shuts down) the socket of every request still running at its deadline.

    Why: socket timeouts apply to each read, so a snake that sends one byte every 100 ms
    keeps a request alive forever; shutting the socket down wakes the blocked read at once.
    One daemon thread serves every request of the process.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, http.client.HTTPConnection]] = []
        self._live: set[int] = set()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def guard(self, conn: http.client.HTTPConnection, deadline: float) -> Iterator[None]:
        key = next(self._ids)
        with self._cond:
            heapq.heappush(self._heap, (deadline, key, conn))
            self._live.add(key)
            if self._thread is None or not self._thread.is_alive():  # also after a fork
                self._thread = threading.Thread(target=self._run, name="snek-http-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()
        try:
            yield
        finally:
            with self._cond:
                self._live.discard(key)

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._live:
                    heapq.heappop(self._heap)  # finished in time
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, key, conn = self._heap[0]
                left = deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                heapq.heappop(self._heap)
                self._live.discard(key)
                sock = conn.sock
                if sock is not None:
                    with contextlib.suppress(OSError):
                        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain call, for TLS sockets too


_WATCHDOG = _Watchdog()


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """An idle kept-alive connection the server closed (or wrote to unasked): not safe to reuse."""
    if conn.sock is None:
        return True
    try:
        readable, _, _ = select.select([conn.sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _quote(value) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _Fields(list):
    """A JSON object as its (key, value) pairs in order, as Go's decoder walks it."""


def parse_move(data: bytes, lenient: bool = False) -> MoveResult:
    """A ``/move`` response body as Battlesnake's engine reads it.

    The engine decodes the body into ``{move, shout}`` strings with Go's ``encoding/json``
    (keys match case-insensitively, the last one wins, ``null`` leaves a field empty, any
    other type fails the whole answer) and accepts only ``up``, ``down``, ``left`` or
    ``right``.  ``lenient`` also takes a bare JSON string, any letter case and a non-string
    shout (ignored).
    """
    if not data.strip():
        return MoveResult(None, error="bad-output: empty response")
    try:
        answer = json.loads(data, object_pairs_hook=_Fields)
    except (ValueError, RecursionError):
        return MoveResult(None, error=f"bad-output: {_quote(data)} is not JSON")
    if lenient and isinstance(answer, str):
        answer = _Fields([("move", answer)])
    if answer is None:
        answer = _Fields()
    if not isinstance(answer, _Fields):
        return MoveResult(None, error=f"bad-output: {_quote(data)} is not a JSON object")
    move = shout = None
    for key, value in answer:
        field = key.lower()
        if field not in ("move", "shout") or value is None:
            continue
        if not isinstance(value, str):
            if field == "shout" and lenient:
                continue
            return MoveResult(None, error=f"bad-output: {field} {_quote(value)} is not a string")
        if field == "move":
            move = value
        else:
            shout = value
    if move is None:
        return MoveResult(None, error=f"bad-output: no move in {_quote(data)}", shout=shout)
    if move not in MOVES and not (lenient and move.lower() in MOVES):
        return MoveResult(None, error=f"bad-output: move {_quote(move)} is not up, down, left or right", shout=shout)
    return parse_answer({"move": move, "shout": shout})


class HttpPlayer(Player):
    """A Battlesnake server at ``url``; ``fetch_info`` asks ``GET /`` for its customizations.

    Its name is ``name``, or the URL as given (``snek play`` and ``snek tournament`` alike):
    Battlesnake's ``GET /`` carries no name.  ``lenient`` accepts answers the official engine
    refuses (``"UP"``, a bare ``"up"``).
    """

    kind = "http"
    concurrent = True  # every request is bounded by its deadline: no turn is ever skipped

    def __init__(self, url: str, name: str | None = None, color: str | None = None, fetch_info: bool = True,
                 lenient: bool = False) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._base = parts.path.rstrip("/")
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self.name = name or url
        self.color = color
        self.lenient = lenient
        self.info: dict = {}
        if fetch_info:
            self.fetch_info()

    def fetch_info(self) -> dict:
        """``GET /``.  An unreachable server is a user error (ValueError); a broken one is not."""
        try:
            data = self._request("GET", "/", None, INFO_TIMEOUT_S)
            info = json.loads(data) if data.strip() else {}
        except (ValueError, RecursionError):
            return {}
        except HttpError as exc:
            if str(exc).startswith(("http ", "bad-output")):
                return {}  # it answers, just not this: the game will record its errors
            raise ValueError(f"cannot reach snake at {self.url}: {exc}") from None
        if isinstance(info, dict):
            self.info = info
            if isinstance(info.get("color"), str) and not self.color:
                self.color = info["color"]
            for part in ("head", "tail"):
                if isinstance(info.get(part), str) and info[part]:
                    setattr(self, part, info[part])
        return self.info

    # --- connections ----------------------------------------------------------------------

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """An idle kept-alive connection still open (reused=True), else a new one."""
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
                return cls(self._host, self._port), False
            if not _dropped(conn):
                return conn, True
            conn.close()

    def _request(self, method: str, path: str, body: dict | None, timeout_s: float) -> bytes:
        """The response body of one request, all of it within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        payload = None if body is None else jsonio.dumps(body)
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        while True:
            conn, reused = self._connection()
            with _WATCHDOG.guard(conn, deadline):
                try:
                    conn.timeout = max(deadline - time.monotonic(), 0.001)
                    if conn.sock is None:
                        conn.connect()
                    conn.sock.settimeout(conn.timeout)
                    conn.request(method, self._base + path, body=payload, headers=headers)
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    if reused and time.monotonic() < deadline:
                        continue  # the request was not written: the snake cannot have seen it
                    raise self._failure(exc, deadline) from None
                try:  # from here on the snake may have the request: never send it again
                    response = conn.getresponse()
                    data = self._read_body(response)
                    if time.monotonic() >= deadline:  # complete only because the watchdog cut it, or late
                        raise TimeoutError
                except (OSError, http.client.HTTPException, HttpError) as exc:
                    conn.close()
                    raise self._failure(exc, deadline) from None
            break
        if response.will_close:
            conn.close()
        else:
            with self._lock:
                self._idle.append(conn)
        if response.status != 200:
            raise HttpError(f"http {response.status}")
        return data

    @staticmethod
    def _read_body(response: http.client.HTTPResponse) -> bytes:
        if response.length is not None and response.length > MAX_RESPONSE_BYTES:
            raise HttpError(f"bad-output: response body over {MAX_RESPONSE_BYTES} bytes")
        chunks, size = [], 0
        while chunk := response.read(min(16384, MAX_RESPONSE_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise HttpError(f"bad-output: response body over {MAX_RESPONSE_BYTES} bytes")
        return b"".join(chunks)

    @staticmethod
    def _failure(exc: Exception, deadline: float) -> HttpError:
        if isinstance(exc, HttpError):
            return exc
        if isinstance(exc, TimeoutError) or time.monotonic() >= deadline:
            return HttpError("timeout")
        if isinstance(exc, (http.client.LineTooLong, http.client.HTTPException)) and "header" in str(exc):
            return HttpError(f"bad-output: response headers too large ({exc})"[:160])
        return HttpError(f"connection failed: {type(exc).__name__}: {exc}"[:160])

    # --- the Player interface -------------------------------------------------------------

    def _notify(self, path: str, state: dict) -> None:
        """/start and /end: Battlesnake ignores the answer, and so do we."""
        timeout = (state.get("game") or {}).get("timeout", 500)
        try:
            self._request("POST", path, state, timeout / 1000)
        except HttpError:
            pass

    def start(self, state: dict) -> None:
        self._notify("/start", state)

    def move(self, state: dict, timeout_ms: int) -> MoveResult:
        began = time.perf_counter()
        try:
            result = parse_move(self._request("POST", "/move", state, timeout_ms / 1000), self.lenient)
        except HttpError as exc:
            result = MoveResult(None, error=str(exc))
        if result.error == "timeout":
            result.latency_ms = timeout_ms  # what Battlesnake reports for a snake that timed out
        else:
            result.latency_ms = round((time.perf_counter() - began) * 1000, 2)
        return result

    def end(self, state: dict) -> None:
        self._notify("/end", state)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
