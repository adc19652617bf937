"""The routes Battlesnake's board client reads, for our live rooms and stored replays alike.

Point the official board at this server (``https://board.battlesnake.com/?engine=http://HOST:PORT&game=ID``)
and it plays room or replay ``ID``: ``GET /games/<id>`` answers ``{"Game": ...}`` and
``ws /games/<id>/events`` streams the frames as Battlesnake events (a late joiner gets the backlog
first, as on our own sockets), then ``game_end``, then closes.  The shapes are ``snek_viewer.bs_board``'s;
CORS is open on these routes (as on Battlesnake's own engine), since the board runs on another origin.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from flask import Blueprint, Response, current_app, jsonify

from arena import jsonio
from snek_viewer import bs_board
from snek_viewer.hub import Subscription
from snek_viewer.rooms import bot_timeout_ms
from snek_viewer.sockets import Session, guarded, refuse

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
    return {"game_id": room["id"], "ruleset": room["ruleset"], "map": room.get("map"), "width": room["width"],
            "height": room["height"], "settings": room.get("settings") or {},
            "timeout_ms": bot_timeout_ms(room["tick_ms"]),
            "players": [{"id": s["id"], "name": s["name"], "kind": s.get("kind")} for s in room.get("seats") or []]}


def _entry(game_id: str):
    """A stored game's index entry, or None (unreadable files are as good as absent for the board)."""
    try:
        return _server().library.entry(game_id)
    except ValueError:
        return None


def _stored(game_id: str) -> Iterator[str] | None:
    """A stored game's lines for the board, streamed from disk, from turn 0 when it can be: a part of an
    endless room (its header's ``segment`` k > 0: ``<room>-000k``, or the room's own id for the last part)
    comes after its earlier parts ``<room>-0000`` … ``<room>-000(k-1)``; when they are all in the library
    their frames come first, so every part and a closed room's id open at their real turns (``BoardStream``
    drops the frame each part repeats)."""
    if _entry(game_id) is None:
        return None
    library = _server().library
    segment = (library.header(game_id) or {}).get("segment") or 0
    if not segment:
        return library.lines(game_id)
    match = PART.search(game_id)
    room = game_id[: match.start()] if match and int(match.group(1)) == segment else game_id
    earlier = [f"{room}-{k:04d}" for k in range(segment)]
    if not all(_entry(key) is not None for key in earlier):
        return library.lines(game_id)  # a part missing: this part alone, numbered from its first frame

    def whole() -> Iterator[str]:
        own = library.lines(game_id)
        yield next(own)  # this part's header
        for key in earlier:
            yield from (line for line in itertools.islice(library.lines(key), 1, None)
                        if jsonio.loads(line).get("type") == "frame")
        yield from own
    return whole()


def _cors(response: Response, status: int = 200) -> tuple[Response, int]:
    response.headers.update(CORS)
    return response, status


@board.route("/games/<game_id>", methods=["GET", "OPTIONS"])
def game_info(game_id: str):
    room = _server().hub.room(game_id)
    if room is not None:
        status = bs_board.RUNNING if room["status"] in LIVE else bs_board.COMPLETE
        return _cors(jsonify(bs_board.game_info(room_header(room), status, game_id)))
    entry = _entry(game_id)
    if entry is None:
        return _cors(jsonify({"error": f"no game {game_id[:60]!r}"}), 404)
    return _cors(jsonify(bs_board.game_info(_server().library.header(game_id),
                                            bs_board.COMPLETE if entry.finished else bs_board.RUNNING, game_id)))


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
        if lines is None:
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
