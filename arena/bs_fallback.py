"""A move for any Battlesnake request, read straight from its JSON: what ``snek serve-bot`` answers
when a request is outside what our engine models (a board over 25 cells a side, more than 16
snakes, a setting out of our rules' range), so the snake still plays a legal, sensible move.

Why not a bot: bots read requests through grids sized by the board; this reads sets of points, so
a request of any size the engine could send costs time in proportion to its points, never to its
area.  The rule is the ``safe`` bot's, without randomness: a move that does not die at once (a
wall unless the ruleset wraps, a body except a tail that moves away, hazard damage that empties
health); among those, one away from the heads of snakes at least as long; going straight first.
"""

from __future__ import annotations

from collections import Counter

from arena.geometry import MOVES

STEP = {"up": (0, 1), "down": (0, -1), "left": (-1, 0), "right": (1, 0)}


def _xy(point: dict) -> tuple[int, int]:
    return point["x"], point["y"]


def _straight_first(body: list[tuple[int, int]]) -> list[str]:
    """The moves, the one continuing from neck to head first (then the API's order)."""
    if len(body) > 1 and body[0] != body[1]:
        dx, dy = body[0][0] - body[1][0], body[0][1] - body[1][1]
        ahead = next((m for m, step in STEP.items() if step == (dx, dy)), None)
        if ahead is not None:
            return [ahead, *(m for m in MOVES if m != ahead)]
    return list(MOVES)


def fallback_move(request: dict) -> str:
    """A legal move for ``request`` (a body that passed ``check_request(..., modelled=False)``)."""
    board, you = request["board"], request["you"]
    width, height = board["width"], board["height"]
    rules = ((request.get("game") or {}).get("ruleset") or {})
    wrapped = "wrapped" in str(rules.get("name", ""))
    damage = ((rules.get("settings") or {}).get("hazardDamagePerTurn") or 0)
    me = [_xy(p) for p in you["body"]]
    solid: set[tuple[int, int]] = set()
    threats: set[tuple[int, int]] = set()
    for snake in board["snakes"]:
        body = [_xy(p) for p in snake["body"]]
        stacked = len(body) > 1 and body[-1] == body[-2]
        solid.update(body if stacked else body[:-1])  # a tail moves away unless it is stacked (just ate)
        if snake.get("id") != you.get("id") and len(body) >= len(me):
            threats.update(((body[0][0] + dx) % width, (body[0][1] + dy) % height) if wrapped
                           else (body[0][0] + dx, body[0][1] + dy) for dx, dy in STEP.values())
    hazards = Counter(_xy(p) for p in board["hazards"])
    food = {_xy(p) for p in board["food"]}
    health = you.get("health", 100)
    safe, calm = [], []
    for move in _straight_first(me):
        x, y = me[0][0] + STEP[move][0], me[0][1] + STEP[move][1]
        if wrapped:
            x, y = x % width, y % height
        if not (0 <= x < width and 0 <= y < height) or (x, y) in solid:
            continue
        if (x, y) not in food and health - 1 - hazards[(x, y)] * damage <= 0:
            continue
        safe.append(move)
        if (x, y) not in threats:
            calm.append(move)
    return (calm or safe or _straight_first(me))[0]
