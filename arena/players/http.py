"""The HTTP transport: any Battlesnake snake server plays in our arena unchanged.

Requests are exactly Battlesnake's: ``GET /`` for metadata (color, head, tail; ours may add a
name), then ``POST /start``, ``/move`` every turn and ``/end`` with the game-state JSON.  The
match asks all snakes of a turn at once (one thread each), so requests go out concurrently.
Connections are kept alive and reused; one that timed out or failed is dropped and replaced.
Stdlib only (``http.client``): no dependency for the library.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from urllib.parse import urlsplit

from arena.players.base import MoveResult, Player, parse_answer

INFO_TIMEOUT_S = 3.0
USER_AGENT = "snek-arena"


class HttpError(Exception):
    """A request that did not produce a usable answer; ``str`` is the frame's error text."""


class HttpPlayer(Player):
    """A Battlesnake server at ``url``; ``fetch_info`` asks ``GET /`` for its color and name."""

    kind = "http"

    def __init__(self, url: str, name: str | None = None, color: str | None = None, fetch_info: bool = True) -> None:
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
        self.name = name or f"{self._host}:{self._port}{self._base}"
        self.color = color
        self.info: dict = {}
        if fetch_info:
            self.fetch_info()

    def fetch_info(self) -> dict:
        """``GET /``.  An unreachable server is a user error (ValueError); a broken one is not."""
        try:
            info = self._request("GET", "/", None, INFO_TIMEOUT_S)
        except HttpError as exc:
            if str(exc).startswith("http "):
                return {}  # it answers, just not this: the game will record its errors
            raise ValueError(f"cannot reach snake at {self.url}: {exc}") from None
        if isinstance(info, dict):
            self.info = info
            self.color = self.color or (info.get("color") if isinstance(info.get("color"), str) else None)
            if isinstance(info.get("name"), str) and info["name"]:
                self.name = info["name"]
        return self.info

    # --- connections ----------------------------------------------------------------------

    def _connection(self, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        """An idle kept-alive connection if there is one (reused=True), else a new one."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            return cls(self._host, self._port, timeout=timeout), False
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn, True

    def _request(self, method: str, path: str, body: dict | None, timeout: float):
        payload = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        while True:
            conn, reused = self._connection(timeout)
            try:
                conn.request(method, self._base + path, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except TimeoutError:
                conn.close()
                raise HttpError("timeout") from None
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                if reused and isinstance(exc, (ConnectionError, http.client.RemoteDisconnected)):
                    continue  # the server dropped an idle keep-alive connection: try a fresh one
                raise HttpError(f"connection failed: {type(exc).__name__}: {exc}"[:160]) from None
        if response.will_close:
            conn.close()
        else:
            with self._lock:
                self._idle.append(conn)
        if response.status != 200:
            raise HttpError(f"http {response.status}")
        if not data.strip():
            return None
        try:
            return json.loads(data)
        except ValueError:
            raise HttpError(f"bad-output: {data[:80].decode('utf-8', 'replace')!r} is not JSON") from None

    # --- the Player interface -------------------------------------------------------------

    def _notify(self, path: str, state: dict) -> None:
        """/start and /end: Battlesnake ignores the answer, and so do we."""
        try:
            self._request("POST", path, state, max(state.get("game", {}).get("timeout", 500), 500) / 1000)
        except HttpError:
            pass

    def start(self, state: dict) -> None:
        self._notify("/start", state)

    def move(self, state: dict, timeout_ms: int) -> MoveResult:
        began = time.perf_counter()
        try:
            result = parse_answer(self._request("POST", "/move", state, timeout_ms / 1000))
        except HttpError as exc:
            result = MoveResult(None, error=str(exc))
        result.latency_ms = round((time.perf_counter() - began) * 1000, 2)
        return result

    def end(self, state: dict) -> None:
        self._notify("/end", state)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
