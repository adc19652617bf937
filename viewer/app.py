"""``create_app(config)``: the Flask app of ``snek serve`` (docs/server.md lists every route).

Nothing lives at import time: the hub, the rooms, the replay library and the tournaments are built
per app and kept in ``app.extensions["snek"]`` (a ``Server``).  Blueprints: ``api`` (JSON), ``pages``
(the static viewer) and the websocket routes; every response carries a Content-Security-Policy that
forbids inline script.
"""

from __future__ import annotations

import atexit
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, request, send_from_directory
from flask_sock import Sock
from werkzeug.exceptions import HTTPException

from arena.registry import builtin_bots
from arena.replay import ReplayError
from arena.rules import RULESETS
from snek_viewer import board_api, sockets
from snek_viewer.config import ServerConfig
from snek_viewer.fanout import Writer
from snek_viewer.hub import Hub, Subscription
from snek_viewer.library import (
    UPLOAD_LIMIT,
    ReplayLibrary,
    game_files,
    tournament_detail,
    tournament_folders,
    tournament_summary,
)
from snek_viewer.rooms import RoomLimit, RoomRegistry, error
from snek_viewer.seats import SeatRules
from snek_viewer.sockets import NoReaderThread, Session

STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")
DEMO_ROOM = {"ruleset": "classic", "settings": {"endless": True}, "tick_ms": 200,
             "seats": ["greedy", "space", "safe", "greedy", None, None, None, None]}


class Server:
    """Everything one app serves, built from its config."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.hub: Hub = config.hub()
        self.hub.backlog_frames = config.backlog_frames
        self.rules = SeatRules(config.bots)
        self.tournaments = tournament_folders(config.tournaments)
        extra = {}
        for name, folder in self.tournaments.items():
            extra.update(game_files(name, folder))
        self.library = ReplayLibrary(config.replays, extra)
        self.rooms = RoomRegistry(config, self.hub, self.rules, on_saved=self.library.add)
        self.writer = Writer()  # sends to every websocket of this process (snek_viewer.fanout)
        self._closed = False

    def open_start_rooms(self) -> None:
        if self.config.demo_room:
            self.rooms.create(DEMO_ROOM, permanent=True)
        for body in self.config.rooms:
            self.rooms.create(body, permanent=True)

    def close(self) -> None:
        """Stop every room (endless ones are saved) and the hub; safe to call twice."""
        if not self._closed:
            self._closed = True
            self.rooms.close_all()
            self.hub.close()
            self.writer.close()


def server() -> Server:
    return current_app.extensions["snek"]


def fail(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), status


# --- JSON API ---------------------------------------------------------------------------------

api = Blueprint("api", __name__)


@api.get("/healthz")
def healthz():
    return jsonify({"ok": True})


@api.get("/api/rooms")
def list_rooms():
    return jsonify({"rooms": sorted(server().hub.rooms(), key=lambda r: r["id"])})


@api.get("/api/rooms/<room_id>")
def get_room(room_id: str):
    room = server().hub.room(room_id)
    return jsonify(room) if room else fail(404, f"no room {room_id[:40]!r}")


@api.post("/api/rooms")
def create_room():
    body = request.get_json(silent=True)
    if body is None:
        return fail(400, "send the room as a JSON object (Content-Type: application/json)")
    try:
        room = server().rooms.create(body)
    except RoomLimit as exc:
        return fail(503, str(exc))
    except ValueError as exc:
        return fail(400, str(exc).splitlines()[0] if str(exc) else "bad room")
    return jsonify(room), 201


@api.get("/api/bots")
def list_bots():
    return jsonify({"bots": server().rules.names(), "builtin": sorted(builtin_bots())})


@api.get("/api/rulesets")
def list_rulesets():
    return jsonify({"rulesets": [{"name": r.name, "width": r.default_size[0], "height": r.default_size[1],
                                  "description": r.description,
                                  "settings": {k: v.default for k, v in r.settings.items()}}
                                 for r in RULESETS.values()]})


@api.get("/api/replays")
def list_replays():
    return jsonify({"replays": server().library.list()})


@api.get("/api/replays/<replay_id>")
def get_replay(replay_id: str):
    try:
        text = server().library.text(replay_id)
    except ReplayError as exc:
        return fail(422, str(exc))
    if text is None:
        return fail(404, f"no replay {replay_id[:60]!r}")
    return Response(text, mimetype="application/x-ndjson")


@api.post("/api/replays")
def upload_replay():
    upload = next(iter(request.files.values()), None)
    data = upload.read() if upload is not None else request.get_data()
    if not data:
        return fail(400, "empty upload: send a .jsonl or .jsonl.gz replay as the body or a file field")
    if len(data) > UPLOAD_LIMIT:
        return fail(413, f"replays are limited to {UPLOAD_LIMIT // 2**20} MB")
    try:
        stored = server().library.upload(data, upload.filename if upload is not None else None)
    except ReplayError as exc:
        return fail(400, str(exc))
    return jsonify(stored), 201


@api.get("/api/tournaments")
def list_tournaments():
    found = server().tournaments
    return jsonify({"tournaments": [tournament_summary(name, found[name]) for name in sorted(found)]})


@api.get("/api/tournaments/<name>")
def get_tournament(name: str):
    folder = server().tournaments.get(name)
    if folder is None:
        return fail(404, f"no tournament {name[:60]!r}")
    try:
        return jsonify(tournament_detail(name, folder))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return fail(422, f"tournament {name}: unreadable results.jsonl ({type(exc).__name__}: {exc})"[:200])


# --- pages --------------------------------------------------------------------------------------

pages = Blueprint("pages", __name__)


@pages.get("/")
def lobby():
    return send_from_directory(STATIC, "index.html")


@pages.get("/watch/<game_id>")
def watch(game_id: str):
    return send_from_directory(STATIC, "watch.html")


@pages.get("/tournaments/<name>")
def tournament_page(name: str):
    return send_from_directory(STATIC, "tournament.html")


# --- websockets ---------------------------------------------------------------------------------

def replay_subscription(replay_id: str) -> Subscription | None:
    try:
        lines = server().library.lines(replay_id)
    except ReplayError:
        return None
    return Subscription(replay_id, lines) if lines is not None else None


def refuse(ws, code: str, message: str) -> None:
    sockets.refuse(ws, server().config, server().writer, message, [error(code, message)])


def serve_replay(ws, replay_id: str) -> None:
    subscription = replay_subscription(replay_id)
    if subscription is None:
        return refuse(ws, "not_found", f"no readable replay {replay_id[:40]!r}")
    Session(ws, subscription, server().config, server().writer).run()


def serve_room(ws, room_id: str) -> None:
    s = server()
    if s.hub.room(room_id) is None:  # a closed room lives on as its replay
        return serve_replay(ws, room_id)
    if s.hub.spectators(room_id) >= s.config.max_spectators:
        return refuse(ws, "room_full", f"this room has its {s.config.max_spectators} spectators")
    subscription = s.hub.subscribe(room_id, s.config.queue_frames)
    if subscription is None:
        return refuse(ws, "not_found", f"no room {room_id[:40]!r}")
    Session(ws, subscription, s.config, s.writer, s.hub, room_id).run()


def register_sockets(app: Flask) -> None:
    sock = Sock(app)
    sock.route("/ws/rooms/<room_id>")(serve_room)
    sock.route("/ws/replays/<replay_id>")(serve_replay)
    board_api.register(app, sock)


# --- the app ------------------------------------------------------------------------------------

def create_app(config: ServerConfig | None = None, start_rooms: bool = True) -> Flask:
    """A new app with its own hub, rooms and library; ``start_rooms`` opens the demo and ``--room`` rooms."""
    config = config or ServerConfig()
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = UPLOAD_LIMIT + 1024 * 1024  # multipart framing on top of the file
    # a socket's handler thread reads it (sockets.Session), the process's one writer sends: no thread of
    # simple-websocket's own per socket; pings and the message size limit are the session's
    app.config["SOCK_SERVER_OPTIONS"] = {"thread_class": NoReaderThread}
    app.json.ensure_ascii = False
    snek = Server(config)
    app.extensions["snek"] = snek
    app.register_blueprint(api)
    app.register_blueprint(pages)
    register_sockets(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 413:
            return fail(413, f"replays are limited to {UPLOAD_LIMIT // 2**20} MB")
        return fail(exc.code or 500, exc.description.splitlines()[0] if exc.description else exc.name)

    if start_rooms:
        snek.open_start_rooms()
    atexit.register(snek.close)
    return app
