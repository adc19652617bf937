"""``create_app(config)``: the Flask app of ``snek serve`` (docs/server.md lists every route).

Nothing lives at import time: the hub, the rooms, the replay library and the tournaments are built
per app and kept in ``app.extensions["snek"]`` (a ``Server``).  Blueprints: ``api`` (JSON), ``pages``
(the static viewer) and the websocket routes; every response carries a Content-Security-Policy that
forbids inline script.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request, send_from_directory
from flask_sock import Sock
from werkzeug.exceptions import HTTPException

from arena import jsonio
from arena.maps import MAPS
from arena.registry import builtin_bots
from arena.replay import ReplayError
from arena.rules import RULESETS
from snek_viewer import board_api, sockets
from snek_viewer.config import ServerConfig
from snek_viewer.fanout import Writer
from snek_viewer.hub import Hub, HubUnavailable, Subscription
from snek_viewer.library import (
    UPLOAD_LIMIT,
    DiskFull,
    LibraryBusy,
    ReplayLibrary,
    UploadTooLarge,
    game_files,
    tournament_detail,
    tournament_folders,
    tournament_summary,
)
from snek_viewer.limits import SocketLimits
from snek_viewer.rooms import RoomLimit, RoomRegistry, RoomRequest, error
from snek_viewer.seats import SeatRules
from snek_viewer.sockets import NoReaderThread, Session, guarded

STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")
ROOM_BODY_LIMIT = 64 * 1024  # a room's JSON is a few hundred bytes
# what a page on another site may POST here without asking first (a CORS "simple" request): a request must
# be something else, so no other site can create rooms or upload through a visitor's browser
SIMPLE_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain", "")
NOT_SIMPLE_HEADER = "X-Requested-With"
UPLOAD_HOW = ("send the replay as the raw body with a Content-Type such as application/octet-stream "
              "(curl --data-binary @FILE -H 'Content-Type: application/octet-stream'), or as a multipart "
              f"file field with a {NOT_SIMPLE_HEADER} header (curl -F file=@FILE -H '{NOT_SIMPLE_HEADER}: snek'); "
              "a form on another site can send neither")
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
        self.sockets = SocketLimits(config.max_sockets, config.max_sockets_per_address)
        self._closed = False

    def open_start_rooms(self) -> None:
        """The demo room and the ``--room`` rooms; one the limits refuse is a ValueError (a user error).
        Every ``--room`` is checked before any room opens: a refused start leaves no game in the library."""
        for body in self.config.rooms:
            RoomRequest.parse(body, self.rules, self.config.max_seats)
        try:
            if self.config.demo_room:
                self.rooms.create(DEMO_ROOM, permanent=True)
            for body in self.config.rooms:
                self.rooms.create(body, permanent=True)
        except RoomLimit as exc:
            raise ValueError(f"--room: {exc}; see --max-rooms and --cpu-budget") from None

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
    """``{"ok": true}``, with the hub's state when it shares rooms (``"redis": "up"``); 503 while it cannot."""
    hub = server().hub
    ok = hub.available
    return jsonify({"ok": ok, **hub.health()}), 200 if ok else 503


@api.get("/api/rooms")
def list_rooms():
    return jsonify({"rooms": sorted(server().hub.rooms(), key=lambda r: r["id"])})


@api.get("/api/rooms/<room_id>")
def get_room(room_id: str):
    room = server().hub.room(room_id)
    return jsonify(room) if room else fail(404, f"no room {room_id[:40]!r}")


def cross_site_proof() -> bool:
    """True for a request no page on another site can send without the browser asking us first."""
    return request.mimetype not in SIMPLE_TYPES or NOT_SIMPLE_HEADER in request.headers


def json_body() -> object:
    """The request's JSON; ValueError (one line) for anything else, too deep nesting included."""
    if not request.is_json:
        raise ValueError("send the room as a JSON object (Content-Type: application/json)")
    if (request.content_length or 0) > ROOM_BODY_LIMIT:
        raise ValueError(f"a room is at most {ROOM_BODY_LIMIT // 1024} KB of JSON")
    try:
        return jsonio.loads(request.get_data(cache=False), clean_strings=False)
    except RecursionError:
        raise ValueError("not JSON: nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"not JSON ({getattr(exc, 'msg', exc)})") from None


@api.post("/api/rooms")
def create_room():
    try:
        body = json_body()
    except ValueError as exc:
        return fail(400, str(exc))
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


@api.get("/api/maps")
def list_maps():
    return jsonify({"maps": [{"name": m.name, "description": m.description, "width": m.default_size[0],
                              "height": m.default_size[1], "sizes": [list(size) for size in m.sizes],
                              "snakes": m.default_snakes, "min_snakes": m.min_snakes, "max_snakes": m.max_snakes,
                              "rulesets": list(m.rulesets), "supports": m.supports(), "implemented": m.implemented}
                             for m in MAPS.values()]})


@api.get("/api/replays")
def list_replays():
    return jsonify({"replays": server().library.list()})


@api.get("/api/replays/<replay_id>")
def get_replay(replay_id: str):
    try:
        lines = server().library.lines(replay_id)
    except ReplayError as exc:
        return fail(422, str(exc))
    if lines is None:
        return fail(404, f"no replay {replay_id[:60]!r}")
    return Response(text_chunks(lines), mimetype="application/x-ndjson")


def text_chunks(lines: Iterator[str], size: int = 64 * 1024) -> Iterator[bytes]:
    """Lines as newline-terminated pieces of about ``size`` bytes: a big replay streams from disk."""
    parts: list[str] = []
    held = 0
    for line in lines:
        parts.append(line)
        held += len(line) + 1
        if held >= size:
            yield ("\n".join(parts) + "\n").encode()
            parts, held = [], 0
    if parts:
        yield ("\n".join(parts) + "\n").encode()


@api.post("/api/replays")
def upload_replay():
    if not cross_site_proof():
        return fail(415, UPLOAD_HOW)
    upload = next(iter(request.files.values()), None) if request.mimetype == "multipart/form-data" else None
    try:
        stored = server().library.upload(upload.stream if upload is not None else request.stream,
                                         upload.filename if upload is not None else None)
    except UploadTooLarge as exc:
        return fail(413, str(exc))
    except ReplayError as exc:
        return fail(400, str(exc))
    except DiskFull as exc:
        return fail(507, exc.strerror)
    except LibraryBusy as exc:
        return fail(503, str(exc))
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
    """A stored replay for a socket: its lines are read from disk as the socket takes them."""
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
    if not s.hub.available:
        raise HubUnavailable("Redis is unavailable")
    if s.hub.room(room_id) is None:  # a closed room lives on as its replay
        return serve_replay(ws, room_id)
    if s.hub.spectators(room_id) >= s.config.max_spectators:
        return refuse(ws, "room_full", f"this room has its {s.config.max_spectators} spectators")
    subscription = s.hub.subscribe(room_id, s.config.queue_frames)
    if subscription is None:
        return refuse(ws, "not_found", f"no room {room_id[:40]!r}")
    Session(ws, subscription, s.config, s.writer, s.hub, room_id).run()


def limit_sockets(app: Flask) -> None:
    """Count websockets per client address and in total; refuse the upgrade beyond the limits
    (``snek_viewer.limits``), before the handshake, and give the place back when the socket ends."""

    @app.before_request
    def take_place():
        if request.environ.get("HTTP_UPGRADE", "").lower() != "websocket":
            return None
        address = request.remote_addr or "?"
        refused = server().sockets.acquire(address)
        if refused == 429:
            return fail(429, "too many websockets from your address: close some first")
        if refused is not None:
            return fail(503, "the server has all the websockets it can hold: try again later")
        g.snek_socket = address
        return None

    @app.teardown_request
    def give_place_back(exc):
        address = g.pop("snek_socket", None)
        if address is not None:
            server().sockets.release(address)


def register_sockets(app: Flask) -> None:
    limit_sockets(app)
    sock = Sock(app)
    sock.route("/ws/rooms/<room_id>")(guarded(serve_room))
    sock.route("/ws/replays/<replay_id>")(guarded(serve_replay))
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
    # every response is ASCII (other characters as \u escapes): a lone surrogate in a stored file's names
    # cannot break a listing (UTF-8 cannot encode it)
    app.json.ensure_ascii = True
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
