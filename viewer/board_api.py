"""The routes Battlesnake's board client reads, for our live rooms and stored replays alike.

Point the official board at this server (``https://board.battlesnake.com/?engine=http://HOST:PORT&game=ID``)
and it plays room or replay ``ID``: ``GET /games/<id>`` answers ``{"Game": ...}`` and
``ws /games/<id>/events`` streams the frames as Battlesnake events (a late joiner gets the backlog
first, as on our own sockets), then ``game_end``, then closes.  The shapes are ``snek_viewer.bs_board``'s;
CORS is open on these routes (as on Battlesnake's own engine), since the board runs on another origin.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, jsonify

from snek_viewer import bs_board
from snek_viewer.hub import Subscription
from snek_viewer.sockets import Session, guarded, refuse

board = Blueprint("battlesnake_board", __name__)
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, OPTIONS",
        "Access-Control-Allow-Headers": "*"}
LIVE = ("waiting", "running")


def _server():
    return current_app.extensions["snek"]


def room_header(room: dict) -> dict:
    """What a room summary tells about its game, in the header's field names (players come with frames)."""
    return {"game_id": room["id"], "ruleset": room["ruleset"], "width": room["width"], "height": room["height"],
            "settings": room.get("settings") or {}, "timeout_ms": room.get("tick_ms"),
            "players": [{"id": s["id"], "name": s["name"]} for s in room.get("seats") or []]}


def _stored(game_id: str):
    """A stored game's index entry, or None (unreadable files are as good as absent for the board)."""
    try:
        return _server().library.entry(game_id)
    except ValueError:
        return None


def _cors(response: Response, status: int = 200) -> tuple[Response, int]:
    response.headers.update(CORS)
    return response, status


@board.route("/games/<game_id>", methods=["GET", "OPTIONS"])
def game_info(game_id: str):
    room = _server().hub.room(game_id)
    if room is not None:
        status = bs_board.RUNNING if room["status"] in LIVE else bs_board.COMPLETE
        return _cors(jsonify(bs_board.game_info(room_header(room), status)))
    entry = _stored(game_id)
    if entry is None:
        return _cors(jsonify({"error": f"no game {game_id[:60]!r}"}), 404)
    return _cors(jsonify(bs_board.game_info(_server().library.header(game_id),
                                            bs_board.COMPLETE if entry.finished else bs_board.RUNNING)))


class BoardStream:
    """Turns our stream (header, frames, result; JSON texts) into the board's events."""

    def __init__(self) -> None:
        self.header: dict | None = None
        self.players: dict[str, dict] = {}
        self.done = False

    def feed(self, text: str) -> str | None:
        message = json.loads(text)
        kind = message.get("type")
        if kind == "header":
            self.header, self.players = message, bs_board.players_of(message)
        elif kind == "frame" and self.header is not None:
            bs_board.rename_joiners(self.players, message)
            return json.dumps(bs_board.frame_event(message, self.players), separators=(",", ":"))
        elif kind == "result" and self.header is not None:
            self.done = True
            return json.dumps(bs_board.game_end_event(self.header), separators=(",", ":"))
        return None  # our own errors (lagging) mean nothing to the board


class BoardSession(Session):
    """The board only listens: whatever it sends is ignored."""

    def handle(self, data: object) -> None:
        pass


def game_events(ws, game_id: str) -> None:
    s = _server()
    stream = BoardStream()
    hub = s.hub if s.hub.room(game_id) is not None else None
    subscription = hub.subscribe(game_id, s.config.queue_frames) if hub is not None else None
    if subscription is None:
        hub, lines = None, _stored(game_id) and s.library.lines(game_id)
        if not lines:
            refuse(ws, s.config, s.writer, "no such game")
            return
        subscription = Subscription(game_id, lines)  # read from disk as the socket takes it
        subscription.close()  # the stored game, then the close frame

    def to_event(text: str) -> str | None:
        event = stream.feed(text)
        if stream.done:  # game_end is the last event: the server closes the stream after it
            subscription.close()
        return event

    BoardSession(ws, subscription, s.config, s.writer, hub, transform=to_event).run()


def register(app, sock) -> None:
    """Add the board's routes to an app and its flask-sock instance."""
    app.register_blueprint(board)
    sock.route("/games/<game_id>/events")(guarded(game_events))
