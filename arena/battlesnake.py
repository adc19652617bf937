"""Conversion to and from Battlesnake's game-state JSON (the body of ``POST /move``).

Why: any Battlesnake bot can play in our arena unchanged, and any real Battlesnake position
can be loaded and stepped under our rules.  Only live snakes appear on the board, as in
Battlesnake; points are ``{"x": .., "y": ..}`` with y pointing up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from arena import __version__
from arena.engine import Engine
from arena.geometry import MAX_SIZE, MIN_SIZE
from arena.rules import RULESETS
from arena.state import MAX_HEALTH, MAX_SNAKES, GameBatch

SOURCE = "custom"  # game.source: the API's value for games that are not tournaments, leagues or arenas
RULES_VERSION = f"v{__version__}"  # ruleset.version: a release version string, as the API defines


@dataclass
class GameInfo:
    """What a Battlesnake request says about the game besides the board."""

    game_id: str
    ruleset: str
    settings: dict
    timeout_ms: int = 500
    names: dict[str, str] = field(default_factory=dict)
    colors: dict[str, str] = field(default_factory=dict)
    heads: dict[str, str] = field(default_factory=dict)
    tails: dict[str, str] = field(default_factory=dict)
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    shouts: dict[str, str] = field(default_factory=dict)
    map: str | None = None  # the Battlesnake map (``arena.maps``); None: the ruleset's own board

    @property
    def map_name(self) -> str:
        """``game.map`` as Battlesnake sends it: the map, else the one the ruleset's own board is."""
        return map_name(self.map, self.ruleset)

    def ruleset_json(self) -> dict:
        s = self.settings
        return {
            "name": self.ruleset,
            "version": RULES_VERSION,
            "settings": {
                "foodSpawnChance": s.get("foodSpawnChance", 0),
                "minimumFood": s.get("minimumFood", 0),
                "hazardDamagePerTurn": s.get("hazardDamagePerTurn", 0),
                "hazardMap": "",
                "hazardMapAuthor": "",
                "royale": {"shrinkEveryNTurns": s.get("shrinkEveryNTurns", 0)},
                "squad": {"allowBodyCollisions": False, "sharedElimination": False,
                          "sharedHealth": False, "sharedLength": False},
            },
        }


def map_name(game_map: str | None, ruleset: str) -> str:
    """``game.map`` as Battlesnake's engine sends it: the map's id; a game without one is on the
    official ``standard`` map (``royale`` for the royale ruleset, whose shrinking is that map's)."""
    return game_map or ("royale" if ruleset == "royale" else "standard")


def _point(p) -> dict:
    return {"x": p[0], "y": p[1]}


def snake_json(snake: dict, info: GameInfo) -> dict:
    latency = info.latency_ms.get(snake["id"])
    return {
        "id": snake["id"],
        "name": info.names.get(snake["id"], snake["id"]),
        "health": snake["health"],
        "body": [{"x": x, "y": y} for x, y in snake["body"]],
        "latency": str(int(round(latency))) if latency is not None else "0",
        "head": _point(snake["body"][0]),
        "length": len(snake["body"]),
        "shout": info.shouts.get(snake["id"], ""),
        "squad": "",
        "customizations": {"color": info.colors.get(snake["id"], "#888888"),
                           "head": info.heads.get(snake["id"], "default"),
                           "tail": info.tails.get(snake["id"], "default")},
    }


def live_snakes(frame: dict, info: GameInfo) -> list[dict]:
    """The ``board.snakes`` of every request for this frame."""
    return [snake_json(s, info) for s in frame["snakes"] if s["alive"]]


def game_state(frame: dict, width: int, height: int, info: GameInfo, you: str | None,
               timeout_ms: int | None = None, snakes: list[dict] | None = None) -> dict:
    """The JSON body Battlesnake sends to snake ``you`` for this frame (``you`` None: spectator view).

    ``timeout_ms`` is this request's ``game.timeout`` when it differs from the game's (a first-turn
    allowance): the body always announces the deadline the snake really has.  ``snakes``: this
    frame's ``live_snakes``, already built (then shared: ``you`` is the same object as its entry)."""
    live = live_snakes(frame, info) if snakes is None else snakes
    body = {
        "game": {
            "id": info.game_id,
            "ruleset": info.ruleset_json(),
            "map": info.map_name,
            "timeout": info.timeout_ms if timeout_ms is None else timeout_ms,
            "source": SOURCE,
        },
        "turn": frame["turn"],
        "board": {
            "height": height,
            "width": width,
            "food": [{"x": x, "y": y} for x, y in frame["food"]],
            "hazards": [{"x": x, "y": y} for x, y in frame["hazards"]],
            "snakes": live,
        },
    }
    if you is not None:
        if snakes is not None and (shared := next((s for s in snakes if s["id"] == you), None)) is not None:
            body["you"] = shared
            return body
        mine = next((s for s in frame["snakes"] if s["id"] == you), None)
        if mine is None:
            raise ValueError(f"no snake {you!r} in this game")
        body["you"] = snake_json(mine, info)
    return body


def game_states(frame: dict, width: int, height: int, info: GameInfo, timeout_ms: int | None = None) -> dict[str, dict]:
    """Every live snake's request for this frame, by snake id, built once for all of them: the bodies
    share one ``game``, one ``board`` and the snakes in it (``you`` is its own entry there).  Only for
    players that read their request and never change it (the built-in bots)."""
    snakes = live_snakes(frame, info)
    shared = game_state(frame, width, height, info, None, timeout_ms, snakes)
    return {snake["id"]: {**shared, "you": snake} for snake in snakes}


class RequestError(ValueError):
    """A Battlesnake request body that cannot be understood; the one-line message says where."""


INT32 = 2**31 - 1  # Battlesnake's engine decodes every number of a request into a Go int32
MAX_POINTS = 1 << 20  # the shape check's bound on a list's length (a 1 MiB body holds far fewer points)
_MISSING = object()


def _text(value) -> str:
    text = json.dumps(value, default=repr)
    return text if len(text) <= 60 else text[:57] + "..."


def _at(where: str, key: str | int) -> str:
    return f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else key


def _field(obj: dict, key: str, where: str, kinds: tuple[type, ...], what: str, required: bool):
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        if required:
            raise RequestError(f"{_at(where, key)} is missing")
        return None
    if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
        raise RequestError(f"{_at(where, key)} must be {what}, got {_text(value)}")
    return value


def _int(obj: dict, key: str, where: str, low: int, high: int, required: bool) -> int | None:
    value = _field(obj, key, where, (int,), "an integer", required)
    if value is not None and not low <= value <= high:
        raise RequestError(f"{_at(where, key)} must be between {low} and {high}, got {_text(value)}")
    return value


def _str(obj: dict, key: str, where: str, required: bool = False) -> str | None:
    return _field(obj, key, where, (str,), "a string", required)


def _obj(obj: dict, key: str, where: str, required: bool) -> dict | None:
    return _field(obj, key, where, (dict,), "an object", required)


def _points(obj: dict, key: str, where: str, size: tuple[int, int] | None, required: bool,
            most: int, least: int = 0) -> list[tuple[int, int]] | None:
    """A list of ``{"x", "y"}`` points, inside a ``size`` board if given."""
    items = _field(obj, key, where, (list,), "a list of points", required)
    if items is None:
        return None
    here = _at(where, key)
    if not least <= len(items) <= most:
        raise RequestError(f"{here} must have {least} to {most} points, got {len(items)}")
    points = []
    for i, point in enumerate(items):
        if not isinstance(point, dict):
            raise RequestError(f"{_at(here, i)} must be a point {{\"x\": int, \"y\": int}}, got {_text(point)}")
        xy = tuple(_int(point, axis, _at(here, i), -INT32 - 1, INT32, True) for axis in ("x", "y"))
        if size is not None and not (0 <= xy[0] < size[0] and 0 <= xy[1] < size[1]):
            raise RequestError(f"{_at(here, i)} ({xy[0]}, {xy[1]}) is outside the {size[0]}x{size[1]} board")
        points.append(xy)
    return points


def _snake(snake, where: str, size: tuple[int, int] | None, on_board: bool, complete: bool) -> str | None:
    """Check one snake object; returns its id (None if it has none and none is required).
    ``size`` None: the shape only (any health, points anywhere, any length)."""
    if not isinstance(snake, dict):
        raise RequestError(f"{where} must be a snake object, got {_text(snake)}")
    sid = _str(snake, "id", where, complete)
    for key in ("name", "latency", "shout", "squad"):
        _str(snake, key, where)
    _int(snake, "health", where, *((0, MAX_HEALTH) if size else (-INT32 - 1, INT32)), complete)
    most = size[0] * size[1] + 2 if size else MAX_POINTS
    body = _points(snake, "body", where, size if on_board else None, True, most, least=1)
    head = _points({"head": [snake["head"]]} if "head" in snake else {}, "head", where, None, complete, 1)
    if head and head[0] != body[0]:
        raise RequestError(f"{where}.head must be the first point of its body")
    length = _int(snake, "length", where, 1, INT32, False)
    if length is not None and length != len(body):
        raise RequestError(f"{where}.length is {length} but its body has {len(body)} points")
    looks = _obj(snake, "customizations", where, False)
    for key in ("color", "head", "tail"):
        if looks is not None:
            _str(looks, key, f"{where}.customizations")
    return sid


def _game(game: dict, complete: bool, modelled: bool) -> None:
    _str(game, "id", "game", complete)
    for key in ("map", "source"):
        _str(game, key, "game")
    _int(game, "timeout", "game", 1 if modelled else -INT32 - 1, INT32, complete)
    rules = _obj(game, "ruleset", "game", complete)
    if rules is None:
        return
    _str(rules, "name", "game.ruleset", complete)
    _str(rules, "version", "game.ruleset")
    settings = _obj(rules, "settings", "game.ruleset", False)
    if settings is None:
        return
    where = "game.ruleset.settings"
    for key in ("foodSpawnChance", "minimumFood", "hazardDamagePerTurn"):
        _int(settings, key, where, -INT32 - 1, INT32, False)
    for key in ("hazardMap", "hazardMapAuthor"):
        _str(settings, key, where)
    royale = _obj(settings, "royale", where, False)
    if royale is not None:
        _int(royale, "shrinkEveryNTurns", f"{where}.royale", -INT32 - 1, INT32, False)
    squad = _obj(settings, "squad", where, False)
    for key in ("allowBodyCollisions", "sharedElimination", "sharedHealth", "sharedLength"):
        if squad is not None:
            _field(squad, key, f"{where}.squad", (bool,), "true or false", False)


def check_request(body, complete: bool = True, you_on_board: bool = False, modelled: bool = True) -> None:
    """Check a Battlesnake request body field by field against the API's types and bounds.

    The one validator of request bodies: ``snek serve-bot`` answers 400 with its message, and
    ``load_request`` raises it.  ``complete`` requires every field the engine always sends
    (``load_request`` lets positions omit ``game``, ``turn``, ids, health and ``you``);
    ``you_on_board`` requires ``you`` to be one of ``board.snakes`` (``/start``, ``/move``).
    ``modelled`` (the default) also requires what our engine can hold: boards of 3 to 25 cells a
    side, 1 to 16 snakes on the board, health 0 to 100, every point on the board, and (for our
    rulesets) a position and settings ``load_request`` accepts.  ``modelled=False`` checks the
    shape only, the API's types: what Battlesnake's engine could send (boards of any size,
    off-board hazards as the ``snail_mode`` map keeps its state, ``board.snakes: []`` on ``/end``)
    passes it, so ``serve-bot`` answers it (docs/bots.md).
    """
    if not isinstance(body, dict):
        raise RequestError(f"the request body must be a JSON object, got {_text(body)}")
    game = _obj(body, "game", "", complete)
    if game is not None:
        _game(game, complete, modelled)
    _int(body, "turn", "", 0, INT32, complete)
    board = _obj(body, "board", "", True)
    low, high = (MIN_SIZE, MAX_SIZE) if modelled else (1, INT32)
    width, height = (_int(board, axis, "board", low, high, True) for axis in ("width", "height"))
    size = (width, height) if modelled else None
    cells = width * height if modelled else MAX_POINTS
    _points(board, "food", "board", size, complete, cells)
    _points(board, "hazards", "board", size, complete, 32 * cells)
    snakes = _field(board, "snakes", "board", (list,), "a list of snakes", True)
    least = 1 if you_on_board else 0  # a finished game (/end, a file's last turn) may have no snake left
    most = MAX_SNAKES if modelled else MAX_POINTS
    if not least <= len(snakes) <= most:
        raise RequestError(f"board.snakes must have {least} to {most} snakes, got {len(snakes)}")
    ids = [_snake(s, f"board.snakes[{i}]", size, True, complete) for i, s in enumerate(snakes)]
    if len({i for i in ids if i is not None}) < len([i for i in ids if i is not None]):
        raise RequestError("board.snakes has two snakes with the same id")
    you = _obj(body, "you", "", complete or you_on_board)
    if you is not None:
        you_id = _snake(you, "you", size, False, complete or you_on_board)
        if you_on_board and you_id not in ids:
            raise RequestError(f"you ({_text(you_id)}) is not one of board.snakes")
    if modelled and you_on_board and _ruleset_name(body) in RULESETS:
        _load(body)  # a position or setting our rules cannot hold: 400 here, not a crash in the bot


def load_request(body: dict, ruleset: str | None = None) -> tuple[Engine, GameBatch, list[str]]:
    """Build a one-game batch from a Battlesnake request, to step it under our rules.

    Returns (engine, batch, snake ids in seat order).  The ruleset and its settings come from
    ``game.ruleset`` unless ``ruleset`` overrides the name; unknown settings are ignored.  Any
    malformed body, or a position our rules cannot hold, is a ``RequestError`` (one line).
    """
    check_request(body, complete=False)
    return _load(body, ruleset)


def _ruleset_name(body: dict, override: str | None = None) -> str:
    return override or ((body.get("game") or {}).get("ruleset") or {}).get("name") or "standard"


def _load(body: dict, ruleset: str | None = None) -> tuple[Engine, GameBatch, list[str]]:
    """``load_request`` on a body that passed ``check_request``."""
    board = body["board"]
    if not board["snakes"]:
        raise RequestError(f"board.snakes must have 1 to {MAX_SNAKES} snakes, got 0")
    rules_json = (body.get("game") or {}).get("ruleset") or {}
    name = _ruleset_name(body, ruleset)
    if name not in RULESETS:
        raise RequestError(f"unknown ruleset {name!r} (choose from {', '.join(RULESETS)})")
    raw = rules_json.get("settings") or {}
    flat = {k: v for k, v in raw.items() if isinstance(v, int) and not isinstance(v, bool)}
    if (raw.get("royale") or {}).get("shrinkEveryNTurns"):
        flat["shrinkEveryNTurns"] = raw["royale"]["shrinkEveryNTurns"]
    if "hazardDamagePerTurn" in flat:  # health is clamped to 0..100 after each hazard entry (the engine's rule),
        damage = flat["hazardDamagePerTurn"]  # so beyond ±100 plays as ±100 (Battlesnake's CLI sends any int)
        flat["hazardDamagePerTurn"] = max(-MAX_HEALTH, min(MAX_HEALTH, damage))
    known = RULESETS[name].settings
    position = {
        "turn": body.get("turn", 0),
        "food": [(p["x"], p["y"]) for p in board.get("food") or []],
        "hazards": [(p["x"], p["y"]) for p in board.get("hazards") or []],
        "snakes": [{"body": [(p["x"], p["y"]) for p in s["body"]], "health": s.get("health", MAX_HEALTH)}
                   for s in board["snakes"]],
    }
    try:
        engine = Engine(name, board["width"], board["height"], {k: v for k, v in flat.items() if k in known})
        batch = engine.from_positions([position])
    except ValueError as exc:
        raise RequestError(" ".join(str(exc).split())) from None
    return engine, batch, [str(s.get("id", f"s{i}")) for i, s in enumerate(board["snakes"])]
