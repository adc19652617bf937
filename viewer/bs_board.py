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

import json
from collections.abc import Iterable, Iterator

SOURCE = "snek-arena"
RUNNING, COMPLETE = "running", "complete"


def _setting(value) -> str:
    """Battlesnake's ``Ruleset`` is a map of strings; booleans as Go prints them."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def game(header: dict, status: str = RUNNING) -> dict:
    """A ``board.Game`` for a replay or room header."""
    imported = header.get("imported") or {}
    ruleset = header["ruleset"]
    return {
        "ID": header["game_id"],
        "Status": status,
        "Width": header["width"],
        "Height": header["height"],
        "Ruleset": {"name": ruleset, **{name: _setting(v) for name, v in (header.get("settings") or {}).items()}},
        "SnakeTimeout": int(header.get("timeout_ms") or 500),
        "Source": imported.get("source") or SOURCE,
        "RulesetName": ruleset,
        "RulesStages": [],
        "Map": imported.get("map") or ("royale" if ruleset == "royale" else "standard"),
    }


def game_info(header: dict, status: str = RUNNING) -> dict:
    """The body of ``GET /games/<id>``."""
    return {"Game": game(header, status)}


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


def snake(s: dict, player: dict) -> dict:
    """A ``board.Snake``: one of our frame's snakes, with its player's name and colour."""
    death = s.get("death")
    latency = s.get("latency_ms")
    return {
        "ID": s["id"],
        "Name": player.get("name", s["id"]),
        "Body": [_point(p) for p in s["body"]],
        "Health": s["health"],
        "Death": None if not death else {"Cause": death["cause"], "Turn": death["turn"],
                                         "EliminatedBy": death.get("by") or ""},
        "Color": player.get("color") or "#888888",
        "HeadType": player.get("head") or "default",
        "TailType": player.get("tail") or "default",
        "Latency": str(int(round(latency))) if latency is not None else "0",
        "Shout": s.get("shout") or "",
        "Squad": "",
        "Author": "",
        "StatusCode": _status_code(s.get("error")),
        "Error": s.get("error") or "",
        "IsBot": False,
        "IsEnvironment": False,
    }


def frame_event(frame: dict, players: dict[str, dict]) -> dict:
    """``{"Type": "frame", "Data": GameFrame}`` for one of our frames; ``players`` by snake id."""
    return {"Type": "frame", "Data": {
        "Turn": frame["turn"],
        "Snakes": [snake(s, players.get(s["id"], {})) for s in frame["snakes"]],
        "Food": [_point(p) for p in frame["food"]],
        "Hazards": [_point(p) for p in frame["hazards"]],
    }}


def game_end_event(header: dict) -> dict:
    return {"Type": "game_end", "Data": {"game": game(header, COMPLETE)}}


def players_of(header: dict) -> dict[str, dict]:
    return {p["id"]: p for p in header.get("players") or []}


def rename_joiners(players: dict[str, dict], frame: dict) -> None:
    """A ``spawn`` event naming a player (a human took the seat mid-game) renames that snake from then on."""
    for event in frame.get("events") or ():
        if event.get("kind") == "spawn" and event.get("name"):
            players[event["id"]] = {**players.get(event["id"], {}), "name": event["name"]}


def events(header: dict, frames: Iterable[dict], finished: bool) -> Iterator[str]:
    """The board's event stream for a game, as JSON texts: every frame, then ``game_end`` if it is over."""
    players = players_of(header)
    for frame in frames:
        rename_joiners(players, frame)
        yield json.dumps(frame_event(frame, players), separators=(",", ":"))
    if finished:
        yield json.dumps(game_end_event(header), separators=(",", ":"))
