"""Running the app: the threaded Werkzeug server ``snek serve`` uses, and the gunicorn entry point.

Werkzeug's threaded server serves flask-sock websockets correctly (one thread per socket) and is
what ``snek serve`` runs.  For production, gunicorn with the threaded worker does the same with a
proper process manager (docs/server.md, "Production"):

    gunicorn -c python:snek_viewer.gunicorn_conf 'snek_viewer.serving:from_env()'

(``snek_viewer.gunicorn_conf``: one worker, since rooms live in the process that runs them, and the
threaded worker; rooms are saved when the worker exits.)
``from_env`` reads the same options as ``snek serve`` from ``SNEK_*`` environment variables.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from werkzeug.serving import make_server

from snek_viewer.app import create_app
from snek_viewer.config import ServerConfig
from snek_viewer.hub import make_hub
from snek_viewer.rooms import parse_room_option
from snek_viewer.seats import parse_bot_option


def config_from_options(replays: Path | None, tournaments: list[Path], bots: list[str], rooms: list[str],
                        demo_room: bool, redis: str | None = None, **limits) -> ServerConfig:
    """A config from ``snek serve``'s options; a bad option is a ValueError with a one-line message."""
    registered = dict(parse_bot_option(b) for b in bots)
    for path in tournaments:
        if not Path(path).is_dir():
            raise ValueError(f"--tournaments {path}: no such folder")
    hub = {"hub": lambda: make_hub(redis)} if redis else {}
    return ServerConfig(replays=replays, tournaments=list(tournaments), bots=registered,
                        rooms=[parse_room_option(r) for r in rooms], demo_room=demo_room, **hub,
                        **{k: v for k, v in limits.items() if v is not None})


def _whole(env: dict, name: str, default: int) -> int:
    text = env.get(name, str(default)).strip()
    if not text.isdigit():
        raise ValueError(f"{name} must be a whole number, got {text[:40]!r}")
    return int(text)


def _share(env: dict, name: str, default: float) -> float:
    text = env.get(name, str(default)).strip()
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise ValueError(f"{name} must be a number >= 0, got {text[:40]!r}")
    return value


def from_env() -> Flask:
    """The app for gunicorn, configured by SNEK_REPLAYS, SNEK_TOURNAMENTS (os.pathsep-separated),
    SNEK_BOTS (``NAME=SPEC`` separated by newlines), SNEK_ROOMS (one spec per line), SNEK_NO_DEMO_ROOM=1,
    SNEK_REDIS (a redis:// URL, as --redis), SNEK_SEGMENT_TURNS (as --segment-turns), SNEK_CPU_BUDGET
    (as --cpu-budget), SNEK_MAX_SOCKETS and SNEK_MAX_SOCKETS_PER_ADDRESS (as --max-sockets[-per-address])."""
    env = os.environ
    lines = lambda name: [line for line in env.get(name, "").splitlines() if line.strip()]  # noqa: E731
    config = config_from_options(
        replays=Path(env.get("SNEK_REPLAYS", "replays")),
        tournaments=[Path(p) for p in env.get("SNEK_TOURNAMENTS", "").split(os.pathsep) if p],
        bots=lines("SNEK_BOTS"), rooms=lines("SNEK_ROOMS"), demo_room=env.get("SNEK_NO_DEMO_ROOM") != "1",
        redis=env.get("SNEK_REDIS") or None, segment_turns=_whole(env, "SNEK_SEGMENT_TURNS", 3000),
        cpu_budget=_share(env, "SNEK_CPU_BUDGET", ServerConfig.cpu_budget),
        max_sockets=_whole(env, "SNEK_MAX_SOCKETS", ServerConfig.max_sockets),
        max_sockets_per_address=_whole(env, "SNEK_MAX_SOCKETS_PER_ADDRESS", ServerConfig.max_sockets_per_address))
    return create_app(config)


def serve(app: Flask, host: str, port: int, seconds: float | None = None,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Serve until Ctrl-C or SIGTERM (or for ``seconds``), then stop every room so endless games are saved."""
    server = make_server(host, port, app, threaded=True)
    server.daemon_threads = True
    url = f"http://{host}:{server.server_port}/"
    if on_ready:
        on_ready(url)
    timer = threading.Timer(seconds, server.shutdown) if seconds is not None else None
    if timer:
        timer.start()
    previous = _stop_on_sigterm()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if timer:
            timer.cancel()
        server.server_close()
        app.extensions["snek"].close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _stop_on_sigterm():
    """SIGTERM (``docker stop``, systemd, ``kill``) stops the server as Ctrl-C does: every room is stopped and
    saved.  Only the main thread can set a handler; elsewhere (tests) nothing changes.  Returns the old one."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _interrupt)
