"""What each line of a replay may contain: every field of every line, checked on read.

Why so strict: replays come from other machines and other programs, and everything downstream
(the renderer, ``verify``, the viewer) indexes into them.  A value that our writers never
produce is refused here with the first problem named, so nothing later can trip over it with a
traceback, and nothing a file holds can make a reader allocate or loop without bound (board
sizes and list lengths are capped by what a real game can have).
"""

from __future__ import annotations

import math

from arena.geometry import MAX_SIZE, MIN_SIZE, MOVES
from arena.maps import MAPS
from arena.state import CAUSES, MAX_HEALTH

MAX_SEATS = 16
MAX_TEXT = 64 * 1024  # names, errors, shouts, stderr tails
MAX_TURN = 2**53  # far beyond any game; keeps turn arithmetic exact
DEATH_CAUSES = tuple(c for c in CAUSES if c)
EVENT_KINDS = ("spawn", "remove")
EXTERNAL_PARTS = ("food", "hazards")


class SchemaError(ValueError):
    """A field that cannot occur; the message names the field's path."""


def fail(path: str, message: str) -> None:
    raise SchemaError(f"{path}: {message}")


def _show(value) -> str:
    if value is None:
        return "nothing (missing or null)"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def need_int(value, path: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        fail(path, f"expected an integer in {low}..{high}, got {_show(value)}")
    return value


def need_str(value, path: str, allow_none: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        fail(path, f"expected {'null or ' if allow_none else ''}a string, got {_show(value)}")
    return value


def need_choice(value, path: str, choices: tuple, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, str) or value not in choices:
        fail(path, f"expected {'null or ' if allow_none else ''}one of {', '.join(choices)}, got {_show(value)}")


def need_list(value, path: str, most: int) -> list:
    if not isinstance(value, list):
        fail(path, f"expected a list, got {_show(value)}")
    if len(value) > most:
        fail(path, f"{len(value)} entries, more than a game can have ({most})")
    return value


def need_dict(value, path: str) -> dict:
    if not isinstance(value, dict):
        fail(path, f"expected an object, got {_show(value)}")
    return value


class Board:
    """The bounds a file's header sets for every later line (board size, seat ids)."""

    def __init__(self, width: int, height: int, ids: list[str], hazards_above: int = 0) -> None:
        self.width, self.height, self.ids = width, height, ids
        self.area = width * height
        self.id_set = set(ids)
        self.hazards_above = hazards_above  # rows above the board a hazard may lie on (snail_mode's state)

    def point(self, value, path: str, outside: int = 0, above: int = 0) -> None:
        """An ``[x, y]`` pair of integers on the board (``outside`` cells beyond it allowed, ``above`` rows
        above it)."""
        if (not isinstance(value, list) or len(value) != 2 or type(value[0]) is not int or type(value[1]) is not int
                or not -outside <= value[0] < self.width + outside
                or not -outside <= value[1] < self.height + max(outside, above)):
            fail(path, f"expected [x, y] integers on the {self.width}x{self.height} board, got {_show(value)}")

    def points(self, value, path: str, most: int, outside: int = 0, above: int = 0) -> None:
        for i, point in enumerate(need_list(value, path, most)):
            self.point(point, f"{path}[{i}]", outside, above)

    def hazards(self, value, path: str) -> None:
        self.points(value, path, 64 * self.area * (2 if self.hazards_above else 1), above=self.hazards_above)

    def seat(self, value, path: str, allow_none: bool = False) -> None:
        if value is None and allow_none:
            return
        if not isinstance(value, str) or value not in self.id_set:
            fail(path, f"expected a player id of the header, got {_show(value)}")


def check_header(obj: dict) -> Board:
    """Validate a header line; returns the bounds for the lines after it."""
    need_str(obj.get("game_id"), "game_id")
    need_str(obj.get("ruleset"), "ruleset")
    if obj.get("map") is not None:
        need_choice(obj["map"], "map", tuple(MAPS))
    settings = need_dict(obj.get("settings"), "settings")
    for name, value in settings.items():
        if not isinstance(value, (bool, int, float, str)) or (isinstance(value, float) and not math.isfinite(value)):
            fail(f"settings.{name}", f"expected a number or a string, got {_show(value)}")
    need_int(obj.get("seed"), "seed", -(2**63), 2**64 - 1)
    width = need_int(obj.get("width"), "width", MIN_SIZE, MAX_SIZE)
    height = need_int(obj.get("height"), "height", MIN_SIZE, MAX_SIZE)
    for key in ("timeout_ms", "max_turns"):
        if obj.get(key) is not None:
            need_int(obj[key], key, 1, MAX_TURN)
    players = need_list(obj.get("players"), "players", MAX_SEATS)
    if not players:
        fail("players", "no players")
    ids = []
    for i, player in enumerate(players):
        need_dict(player, f"players[{i}]")
        ids.append(need_str(player.get("id"), f"players[{i}].id"))
        for key in ("name", "color", "kind", "battlesnake_id"):
            if key in player:
                need_str(player[key], f"players[{i}].{key}")
    if len(set(ids)) != len(ids):
        fail("players", "player ids repeat")
    if obj.get("seated") is not None:
        need_int(obj["seated"], "seated", 0, len(ids))
    if obj.get("segment") is not None:
        need_int(obj["segment"], "segment", 0, MAX_TURN)
    if obj.get("external") is not None:
        for i, part in enumerate(need_list(obj["external"], "external", len(EXTERNAL_PARTS))):
            need_choice(part, f"external[{i}]", EXTERNAL_PARTS)
    if obj.get("imported") is not None:
        for key, value in need_dict(obj["imported"], "imported").items():
            need_str(value, f"imported.{key}", allow_none=True)
    board = Board(width, height, ids, height if obj.get("map") and MAPS[obj["map"]].off_board else 0)
    if obj.get("initial") is not None:
        check_initial(need_dict(obj["initial"], "initial"), board)
    return board


def check_initial(obj: dict, board: Board) -> None:
    """A header's start position (``Engine.from_positions``): snakes by seat, ``alive`` optional."""
    if obj.get("turn") is not None:
        need_int(obj["turn"], "initial.turn", 0, MAX_TURN)
    board.points(obj.get("food"), "initial.food", board.area)
    board.hazards(obj.get("hazards", []), "initial.hazards")
    for i, snake in enumerate(need_list(obj.get("snakes"), "initial.snakes", len(board.ids))):
        where = f"initial.snakes[{i}]"
        need_dict(snake, where)
        if snake.get("id") is not None:
            board.seat(snake["id"], f"{where}.id")
        alive = snake.get("alive", True)
        if not isinstance(alive, bool):
            fail(f"{where}.alive", f"expected true or false, got {_show(alive)}")
        board.points(snake.get("body"), f"{where}.body", board.area + 3, outside=0 if alive else 1)
        if not snake["body"]:
            fail(f"{where}.body", "a snake needs a body")
        if snake.get("health") is not None:
            need_int(snake["health"], f"{where}.health", 0, MAX_HEALTH)
        if not alive and snake.get("death") is not None:
            check_death(snake["death"], board, f"{where}.death")


def check_position(obj: dict, board: Board, prefix: str = "") -> None:
    """The board part of a frame (also a header's ``initial``): food, hazards, snakes."""
    board.points(obj.get("food"), f"{prefix}food", board.area)
    board.hazards(obj.get("hazards"), f"{prefix}hazards")
    snakes = need_list(obj.get("snakes"), f"{prefix}snakes", MAX_SEATS)
    seats = []
    for i, snake in enumerate(snakes):
        where = f"{prefix}snakes[{i}]"
        need_dict(snake, where)
        board.seat(snake.get("id"), f"{where}.id")
        seats.append(board.ids.index(snake["id"]))
        check_snake(snake, board, where)
    if seats != sorted(set(seats)):
        fail(f"{prefix}snakes", "snakes must appear once each, in the header's seat order")


def check_snake(snake: dict, board: Board, where: str) -> None:
    alive = snake.get("alive")
    if not isinstance(alive, bool):
        fail(f"{where}.alive", f"expected true or false, got {_show(alive)}")
    board.points(snake.get("body"), f"{where}.body", board.area + 3, outside=1)
    if alive and not snake["body"]:
        fail(f"{where}.body", "a live snake needs a body")
    need_int(snake.get("health"), f"{where}.health", 0, MAX_HEALTH)
    death = snake.get("death")
    if alive:
        if death is not None:
            fail(f"{where}.death", "a live snake has no death")
    else:
        check_death(death, board, f"{where}.death")
    need_choice(snake.get("move"), f"{where}.move", MOVES, allow_none=True)
    latency = snake.get("latency_ms")
    if latency is not None and (type(latency) not in (int, float) or not 0 <= latency < math.inf):
        fail(f"{where}.latency_ms", f"expected null or a number of milliseconds, got {_show(latency)}")
    for key in ("error", "shout", "stderr"):
        need_str(snake.get(key), f"{where}.{key}", allow_none=True)


def check_death(death: object, board: Board, where: str) -> None:
    need_dict(death, where)
    need_choice(death.get("cause"), f"{where}.cause", DEATH_CAUSES)
    need_int(death.get("turn"), f"{where}.turn", 0, MAX_TURN)
    board.seat(death.get("by"), f"{where}.by", allow_none=True)


def check_frame(obj: dict, board: Board) -> None:
    need_int(obj.get("turn"), "turn", 0, MAX_TURN)
    check_position(obj, board)
    for snake in obj["snakes"]:
        if not snake["alive"] and snake["death"]["turn"] > obj["turn"]:
            fail(f"snake {snake['id']} death.turn", f"{snake['death']['turn']} is after this frame's turn")
    events = obj.get("events")
    if events is not None:
        for i, event in enumerate(need_list(events, "events", 2 * MAX_SEATS)):
            need_dict(event, f"events[{i}]")
            need_choice(event.get("kind"), f"events[{i}].kind", EVENT_KINDS)
            board.seat(event.get("id"), f"events[{i}].id")
            need_str(event.get("name"), f"events[{i}].name", allow_none=True)


def check_result(obj: dict, board: Board) -> None:
    need_int(obj.get("turns"), "turns", 0, MAX_TURN)
    board.seat(obj.get("winner"), "winner", allow_none=True)
    placements = need_list(obj.get("placements"), "placements", MAX_SEATS)
    seen = set()
    for i, place in enumerate(placements):
        need_dict(place, f"placements[{i}]")
        board.seat(place.get("id"), f"placements[{i}].id")
        if place["id"] in seen:
            fail(f"placements[{i}].id", f"{place['id']!r} is placed twice")
        seen.add(place["id"])
        need_int(place.get("rank"), f"placements[{i}].rank", 1, MAX_SEATS)
        if place.get("death_turn") is not None:
            need_int(place["death_turn"], f"placements[{i}].death_turn", 0, MAX_TURN)
    if obj.get("reason") is not None:
        need_str(obj["reason"], "reason")
