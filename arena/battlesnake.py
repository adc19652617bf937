"""Conversion to and from Battlesnake's game-state JSON (the body of ``POST /move``).

Why: any Battlesnake bot can play in our arena unchanged, and any real Battlesnake position
can be loaded and stepped under our rules.  Only live snakes appear on the board, as in
Battlesnake; points are ``{"x": .., "y": ..}`` with y pointing up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from arena import __version__
from arena.engine import Engine
from arena.rules import RULESETS
from arena.state import GameBatch

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


def _point(p) -> dict:
    return {"x": p[0], "y": p[1]}


def snake_json(snake: dict, info: GameInfo) -> dict:
    latency = info.latency_ms.get(snake["id"])
    return {
        "id": snake["id"],
        "name": info.names.get(snake["id"], snake["id"]),
        "health": snake["health"],
        "body": [_point(p) for p in snake["body"]],
        "latency": str(int(round(latency))) if latency is not None else "0",
        "head": _point(snake["body"][0]),
        "length": len(snake["body"]),
        "shout": info.shouts.get(snake["id"], ""),
        "squad": "",
        "customizations": {"color": info.colors.get(snake["id"], "#888888"),
                           "head": info.heads.get(snake["id"], "default"),
                           "tail": info.tails.get(snake["id"], "default")},
    }


def game_state(frame: dict, width: int, height: int, info: GameInfo, you: str | None,
               timeout_ms: int | None = None) -> dict:
    """The JSON body Battlesnake sends to snake ``you`` for this frame (``you`` None: spectator view).

    ``timeout_ms`` is this request's ``game.timeout`` when it differs from the game's (a first-turn
    allowance): the body always announces the deadline the snake really has."""
    live = [snake_json(s, info) for s in frame["snakes"] if s["alive"]]
    body = {
        "game": {
            "id": info.game_id,
            "ruleset": info.ruleset_json(),
            "map": "royale" if info.ruleset == "royale" else "standard",
            "timeout": info.timeout_ms if timeout_ms is None else timeout_ms,
            "source": SOURCE,
        },
        "turn": frame["turn"],
        "board": {
            "height": height,
            "width": width,
            "food": [_point(p) for p in frame["food"]],
            "hazards": [_point(p) for p in frame["hazards"]],
            "snakes": live,
        },
    }
    if you is not None:
        mine = next((s for s in frame["snakes"] if s["id"] == you), None)
        if mine is None:
            raise ValueError(f"no snake {you!r} in this game")
        body["you"] = snake_json(mine, info)
    return body


class RequestError(ValueError):
    """A Battlesnake request body that cannot be understood; the message says where."""


def _xy(point, where: str) -> tuple[int, int]:
    if not isinstance(point, dict) or not isinstance(point.get("x"), int) or not isinstance(point.get("y"), int):
        raise RequestError(f"{where}: expected a point {{\"x\": int, \"y\": int}}, got {point!r}")
    return point["x"], point["y"]


def load_request(body: dict, ruleset: str | None = None) -> tuple[Engine, GameBatch, list[str]]:
    """Build a one-game batch from a Battlesnake request, to step it under our rules.

    Returns (engine, batch, snake ids in seat order).  The ruleset and its settings come from
    ``game.ruleset`` unless ``ruleset`` overrides the name; unknown settings are ignored.
    """
    if not isinstance(body, dict):
        raise RequestError("request body must be a JSON object")
    try:
        board = body["board"]
        width, height = int(board["width"]), int(board["height"])
    except (KeyError, TypeError, ValueError) as exc:
        raise RequestError(f"request has no usable board width/height ({exc})") from None
    game = body.get("game") or {}
    rules_json = game.get("ruleset") or {}
    name = ruleset or rules_json.get("name") or "standard"
    if name not in RULESETS:
        raise RequestError(f"unknown ruleset {name!r} (choose from {', '.join(RULESETS)})")
    raw = rules_json.get("settings") or {}
    flat = {k: v for k, v in raw.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if isinstance(raw.get("royale"), dict) and raw["royale"].get("shrinkEveryNTurns"):
        flat["shrinkEveryNTurns"] = raw["royale"]["shrinkEveryNTurns"]
    known = RULESETS[name].settings
    try:
        engine = Engine(name, width, height, {k: v for k, v in flat.items() if k in known})
    except ValueError as exc:
        raise RequestError(str(exc)) from None
    snakes = board.get("snakes")
    if not isinstance(snakes, list) or not snakes:
        raise RequestError("board.snakes must be a non-empty list")
    ids, position_snakes = [], []
    for i, snake in enumerate(snakes):
        where = f"board.snakes[{i}]"
        if not isinstance(snake, dict) or not isinstance(snake.get("body"), list) or not snake["body"]:
            raise RequestError(f"{where}: needs a non-empty body")
        ids.append(str(snake.get("id", f"s{i}")))
        health = snake.get("health", 100)
        if not isinstance(health, int):
            raise RequestError(f"{where}.health must be an integer")
        position_snakes.append({
            "body": [_xy(p, f"{where}.body[{j}]") for j, p in enumerate(snake["body"])],
            "health": health,
        })
    position = {
        "turn": int(body.get("turn", 0)),
        "food": [_xy(p, f"board.food[{j}]") for j, p in enumerate(board.get("food") or [])],
        "hazards": [_xy(p, f"board.hazards[{j}]") for j, p in enumerate(board.get("hazards") or [])],
        "snakes": position_snakes,
    }
    try:
        batch = engine.from_positions([position])
    except ValueError as exc:
        raise RequestError(str(exc)) from None
    return engine, batch, ids

