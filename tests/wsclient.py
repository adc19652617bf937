"""A real websocket client speaking JSON, for every test that talks to a live server (in a thread or a process).

Every client is closed at the end of the test that opened it (tests/conftest.py), or earlier by the test.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable

import simple_websocket

OPEN_CLIENTS: set[Client] = set()


class _Reader(threading.Thread):
    """simple-websocket's reader thread, which first handles what arrived with the handshake's response.

    A server that answers and closes at once (a refused spectator: `room_full`, then a close frame) may send
    it all in the handshake's TCP segment; simple-websocket then waits for more bytes before looking at it,
    the server gives up waiting for our close, and the test sees the connection closed (1005) with nothing
    read (it flaked 1 run in 3 under load).
    """

    def run(self) -> None:
        ws = self._target.__self__  # the simple_websocket.Client whose _thread this runs
        if not ws._handle_events():  # the server already closed: keep its messages, end the connection
            ws.sock.close()
            return
        super().run()


class Client:
    def __init__(self, url: str) -> None:
        self.ws = simple_websocket.Client.connect(url, thread_class=_Reader)
        OPEN_CLIENTS.add(self)

    def send(self, obj: object) -> None:
        self.ws.send(obj if isinstance(obj, str | bytes) else json.dumps(obj))

    def recv(self, timeout: float = 60.0) -> dict:
        text = self.ws.receive(timeout=timeout)
        if text is None:
            raise AssertionError(f"no message within {timeout} s")
        return json.loads(text)

    def until(self, check: Callable[[dict], bool], timeout: float = 60.0) -> tuple[dict, list[dict]]:
        """Read until a message passes ``check``; returns it and everything read before it."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.recv(max(0.01, deadline - time.monotonic()))
            if check(message):
                return message, seen
            seen.append(message)
        raise AssertionError(f"no matching message within {timeout} s (read {len(seen)})")

    def until_closed(self, timeout: float = 60.0) -> list[dict]:
        """Every message until the server closes the socket; AssertionError if it is still open after ``timeout``."""
        seen = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                text = self.ws.receive(timeout=max(0.1, deadline - time.monotonic()))
                if text is not None:
                    seen.append(json.loads(text))
                elif not self.ws.connected:
                    return seen
        except simple_websocket.ConnectionClosed:
            return seen
        raise AssertionError(f"the server did not close the socket within {timeout} s ({len(seen)} messages)")

    def close(self) -> None:
        OPEN_CLIENTS.discard(self)
        try:
            self.ws.close()
        except Exception:
            pass
        self.ws.thread.join(timeout=2)
        if self.ws.thread.is_alive():  # the server never answered the close: cut the connection
            try:
                self.ws.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.ws.thread.join(timeout=5)


def close_all() -> None:
    """Close every client still open (their reader threads are not daemons: pytest would wait at exit)."""
    for client in list(OPEN_CLIENTS):
        client.close()
