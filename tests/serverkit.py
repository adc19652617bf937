"""Helpers for the live-server tests: a real server on 127.0.0.1 (a free port) in a thread, plain
HTTP calls; the websocket client is tests/wsclient.py."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

from werkzeug.serving import make_server
from wsclient import close_all

from snek_viewer import ServerConfig, create_app


class LiveServer:
    def __init__(self, config: ServerConfig | None = None, start_rooms: bool = True) -> None:
        self.app = create_app(config or ServerConfig(replays=None), start_rooms=start_rooms)
        self.snek = self.app.extensions["snek"]
        self.httpd = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.ws_url = f"ws://127.0.0.1:{self.httpd.server_port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
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
