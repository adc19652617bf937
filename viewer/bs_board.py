"""Our frames in the shape Battlesnake's official board client reads, so that board plays our games.

The board (``board.battlesnake.com?engine=<our server>&game=<id>``) asks an *engine* for
``GET /games/<id>`` → ``{"Game": Game}`` and then reads ``ws /games/<id>/events``: one
``{"Type": "frame", "Data": GameFrame}`` per turn, then ``{"Type": "game_end", "Data": {"game": Game}}``.
The types are Battlesnake's ``board/api.go`` (rules repository), field for field: capitalised
names, points as ``{"X", "Y"}``, latency as a string of milliseconds, ``Death`` null while alive.
Lists are never null (the board maps over them).  Where our replays know less than Battlesnake's
engine (authors, squads; head and tail customisations unless the header's player has ``head``/``tail``),
the values are Battlesnake's defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from arena import jsonio
from arena.battlesnake import map_name

SOURCE = "snek-arena"
RUNNING, COMPLETE = "running", "complete"
# The page's colour-blind-safe palette by seat (static/js/palette.js; seats 9-16 reuse the hues, striped on
# the page): the board shows each snake in the colour our viewer gives it, so a snake has one colour in both.
SEAT_COLORS = ("#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#f5f5f5")
BOARD_SETTING_NAMES = {"hazardDamagePerTurn": "damagePerTurn"}  # the rules' parameter names (rules.ParamX)
AUTHORS = {"human": "a human", "python": "a Python bot", "stdio": "a stdio bot",
           "http": "a Battlesnake server"}  # who is behind a snake (its player's kind): the board prints "by …"


def _setting(value) -> str:
    """Battlesnake's ``Ruleset`` is a map of strings; booleans as Go prints them."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def game(header: dict, status: str = RUNNING, game_id: str | None = None) -> dict:
    """A ``board.Game`` for a replay or room header; ``game_id``: the id it was asked for (a library
    file's name, which may differ from the game id inside it)."""
    imported = header.get("imported") or {}
    ruleset = header["ruleset"]
    settings = {BOARD_SETTING_NAMES.get(name, name): _setting(v) for name, v in (header.get("settings") or {}).items()}
    return {
        "ID": game_id or header["game_id"],
        "Status": status,
        "Width": header["width"],
        "Height": header["height"],
        "Ruleset": {"name": ruleset, **settings},
        "SnakeTimeout": int(header.get("timeout_ms") or 500),
        "Source": imported.get("source") or SOURCE,
        "RulesetName": ruleset,
        "RulesStages": [],
        "Map": map_name(header.get("map") or imported.get("map"), ruleset),
    }


def game_info(header: dict, status: str = RUNNING, game_id: str | None = None) -> dict:
    """The body of ``GET /games/<id>``."""
    return {"Game": game(header, status, game_id)}


def _point(p) -> dict:
    return {"X": p[0], "Y": p[1]}


def _status_code(error: str | None) -> int:
    """200 for an answer, the HTTP status for ``http NNN``, 0 when nothing usable came back."""
    if not error:
        return 200
    if error.startswith("http "):
        code = error[5:].split()[0] if error[5:].split() else ""
        return int(code) if code.isdigit() else 0
    return 0


def latency(ms: float | None) -> str:
    """Whole milliseconds (truncated, as Go's ``Duration.Milliseconds``), at least ``"1"``: Battlesnake's CLI
    rounds 0 up to 1, because the board shows a latency of 0 as a failed request."""
    return str(max(1, int(ms or 0)))


def snake(s: dict, player: dict, offset: int = 0) -> dict:
    """A ``board.Snake``: one of our frame's snakes, with its player's name, seat and kind (``players_of``).
    ``offset``: the turn the board's numbering starts from (see ``BoardStream``)."""
    death = s.get("death")
    return {
        "ID": s["id"],
        "Name": player.get("name", s["id"]),
        "Body": [_point(p) for p in s["body"]],
        "Health": s["health"],
        "Death": None if not death else {"Cause": death["cause"], "Turn": max(0, death["turn"] - offset),
                                         "EliminatedBy": death.get("by") or ""},
        "Color": SEAT_COLORS[player.get("seat", 0) % len(SEAT_COLORS)],
        "HeadType": player.get("head") or "default",
        "TailType": player.get("tail") or "default",
        "Latency": latency(s.get("latency_ms")),
        "Shout": s.get("shout") or "",
        "Squad": "",
        "Author": player.get("author") or AUTHORS.get(player.get("kind", ""), SOURCE),
        "StatusCode": _status_code(s.get("error")),
        "Error": s.get("error") or "",
        "IsBot": False,
        "IsEnvironment": False,
    }


def frame_event(frame: dict, players: dict[str, dict], offset: int = 0) -> dict:
    """``{"Type": "frame", "Data": GameFrame}`` for one of our frames; ``players`` by snake id."""
    return {"Type": "frame", "Data": {
        "Turn": frame["turn"] - offset,
        "Snakes": [snake(s, players.get(s["id"], {}), offset) for s in frame["snakes"]],
        "Food": [_point(p) for p in frame["food"]],
        "Hazards": [_point(p) for p in frame["hazards"]],
    }}


def game_end_event(header: dict, game_id: str | None = None) -> dict:
    return {"Type": "game_end", "Data": {"game": game(header, COMPLETE, game_id)}}


def players_of(header: dict) -> dict[str, dict]:
    """The header's players by id, each with its ``seat`` (its place in the header: its colour)."""
    return {p["id"]: {**p, "seat": seat} for seat, p in enumerate(header.get("players") or [])}


def rename_joiners(players: dict[str, dict], frame: dict) -> None:
    """A ``spawn`` event naming a player (a human took the seat mid-game) renames that snake from then on."""
    for event in frame.get("events") or ():
        if event.get("kind") == "spawn" and event.get("name"):
            players[event["id"]] = {**players.get(event["id"], {}), "name": event["name"], "kind": "human"}


def _dumps(event: dict) -> str:
    return jsonio.dumps_text(event)


class BoardStream:
    """Turns our stream (header, frames, result; JSON texts) into the board's events.

    The board keeps frames in a list and shows ``frames[turn]``: it waits for the frame whose ``Turn`` is
    its requested turn (0 unless ``&turn=``) and then indexes the list by turn.  So the board's turns are
    counted from the first frame it is sent: a live room's backlog that starts at turn 1,000 (the last
    5,000 frames of a longer game), or a replay part that starts at turn 3,000 without its earlier parts,
    is numbered from 0 (``Death.Turn`` too).  A stream that starts at turn 0 keeps its turns."""

    def __init__(self, game_id: str | None = None) -> None:
        self.game_id = game_id
        self.header: dict | None = None
        self.players: dict[str, dict] = {}
        self.offset: int | None = None
        self.last_turn: int | None = None
        self.done = False

    def feed(self, text: str) -> str | None:
        message = jsonio.loads(text)
        kind = message.get("type")
        if kind == "header":
            self.header, self.players, self.offset, self.last_turn = message, players_of(message), None, None
        elif kind == "frame" and self.header is not None:
            if self.last_turn is not None and message["turn"] <= self.last_turn:
                return None  # a part repeats the previous part's last frame: the board wants each turn once
            if self.offset is None:
                self.offset = message["turn"]
            self.last_turn = message["turn"]
            rename_joiners(self.players, message)
            return _dumps(frame_event(message, self.players, self.offset))
        elif kind == "result" and self.header is not None:
            self.done = True
            return _dumps(game_end_event(self.header, self.game_id))
        return None  # our own errors (lagging) mean nothing to the board


def events(header: dict, frames: Iterable[dict], finished: bool) -> Iterator[str]:
    """The board's event stream for a game, as JSON texts: every frame, then ``game_end`` if it is over."""
    stream = BoardStream()
    stream.feed(jsonio.dumps_text({**header, "type": "header"}))
    for frame in frames:
        text = stream.feed(jsonio.dumps_text({**frame, "type": "frame"}))
        if text is not None:
            yield text
    if finished:
        yield stream.feed(jsonio.dumps_text({"type": "result"}))
