"""The routes Battlesnake's board client reads, for our live rooms and stored replays alike.

Point the official board at this server (``https://board.battlesnake.com/?engine=http://HOST:PORT&game=ID``)
and it plays room or replay ``ID``: ``GET /games/<id>`` answers ``{"Game": ...}`` and
``ws /games/<id>/events`` streams the frames as Battlesnake events (a late joiner gets the backlog
first, as on our own sockets), then ``game_end``, then closes.  The shapes are ``snek_viewer.bs_board``'s;
CORS is open on these routes (as on Battlesnake's own engine), since the board runs on another origin.
"""

from __future__ import annotations

import json
import re

from flask import Blueprint, Response, current_app, jsonify

from snek_viewer import bs_board
from snek_viewer.hub import Subscription
from snek_viewer.rooms import bot_timeout_ms
from snek_viewer.sockets import Session, refuse

board = Blueprint("battlesnake_board", __name__)
# CORS as on Battlesnake's engine; Access-Control-Allow-Private-Network answers Chrome's Private Network Access
# preflight, sent when the hosted board (a public https page) calls a server on 127.0.0.1 or the LAN
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, OPTIONS",
        "Access-Control-Allow-Headers": "*", "Access-Control-Allow-Private-Network": "true"}
LIVE = ("waiting", "running")
PART = re.compile(r"-(\d{4})$")  # an endless room's saved part: <room>-0000, <room>-0001, ...


def _server():
    return current_app.extensions["snek"]


def room_header(room: dict) -> dict:
    """What a room summary tells about its game, in the header's field names (players come with frames);
    ``timeout_ms`` is the bots' move timeout, as the room's saved replay will say."""
    return {"game_id": room["id"], "ruleset": room["ruleset"], "width": room["width"], "height": room["height"],
            "settings": room.get("settings") or {}, "timeout_ms": bot_timeout_ms(room["tick_ms"]),
            "players": [{"id": s["id"], "name": s["name"], "kind": s.get("kind")} for s in room.get("seats") or []]}


def _lines(game_id: str) -> list[str] | None:
    try:
        return _server().library.lines(game_id)
    except ValueError:  # unreadable replay file: as good as absent for the board
        return None


def _stored(game_id: str) -> list[str] | None:
    """A stored game's lines for the board, from turn 0 when it can be: a part of an endless room (its
    header's ``segment`` k > 0: ``<room>-000k``, or the room's own id for the last part) comes after its
    earlier parts ``<room>-0000`` … ``<room>-000(k-1)``; when they are all in the library their frames come
    first, so every part and a closed room's id open at their real turns (``BoardStream`` drops the frame
    each part repeats)."""
    lines = _lines(game_id)
    if not lines:
        return lines
    segment = json.loads(lines[0]).get("segment") or 0
    if not segment:
        return lines
    match = PART.search(game_id)
    room = game_id[: match.start()] if match and int(match.group(1)) == segment else game_id
    earlier = [_lines(f"{room}-{k:04d}") for k in range(segment)]
    if not all(earlier):
        return lines  # a part missing: this part alone, numbered from its first frame
    frames = [line for part in earlier for line in part[1:] if json.loads(line).get("type") == "frame"]
    return [lines[0], *frames, *lines[1:]]


def _cors(response: Response, status: int = 200) -> tuple[Response, int]:
    response.headers.update(CORS)
    return response, status


@board.route("/games/<game_id>", methods=["GET", "OPTIONS"])
def game_info(game_id: str):
    room = _server().hub.room(game_id)
    if room is not None:
        status = bs_board.RUNNING if room["status"] in LIVE else bs_board.COMPLETE
        return _cors(jsonify(bs_board.game_info(room_header(room), status, game_id)))
    lines = _lines(game_id)
    if not lines:
        return _cors(jsonify({"error": f"no game {game_id[:60]!r}"}), 404)
    finished = json.loads(lines[-1]).get("type") == "result"
    return _cors(jsonify(bs_board.game_info(json.loads(lines[0]), bs_board.COMPLETE if finished
                                            else bs_board.RUNNING, game_id)))


class BoardSession(Session):
    """The board only listens: whatever it sends is ignored."""

    def handle(self, data: object) -> None:
        pass


def game_events(ws, game_id: str) -> None:
    s = _server()
    stream = bs_board.BoardStream(game_id)
    hub = s.hub if s.hub.room(game_id) is not None else None
    subscription = hub.subscribe(game_id, s.config.queue_frames) if hub is not None else None
    if subscription is None:
        hub, lines = None, _stored(game_id)
        if not lines:
            refuse(ws, s.config, s.writer, "no such game")
            return
        subscription = Subscription(game_id, lines)
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
    sock.route("/games/<game_id>/events")(game_events)
