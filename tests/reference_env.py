"""A readable, per-snake model of the envs' observations and action masks, built from frame dicts.

The oracle for the compiled encoder behind ``arena/env/observation.py`` and for the action
masks.  Plain numpy, one snake at a time.
"""

from __future__ import annotations

import numpy as np

MOVE_DELTAS = ((0, 1), (0, -1), (-1, 0), (1, 0))  # up, down, left, right
OWN, LONG, SHORT = 0, 2, 4  # channel of the head; the body channel is the next one
FOOD, WALL, HAZARD, HEALTH = 6, 7, 8, 9


def board_planes(frame: dict, me: str, width: int, height: int) -> np.ndarray:
    """(10, height, width) planes indexed [channel, y, x] (y up), relative to snake ``me``."""
    planes = np.zeros((10, height, width), np.uint8)
    mine = next(s for s in frame["snakes"] if s["id"] == me)
    for snake in frame["snakes"]:
        if not snake["alive"]:
            continue
        if snake["id"] == me:
            head_channel = OWN
        else:
            head_channel = LONG if len(snake["body"]) >= len(mine["body"]) else SHORT
        hx, hy = snake["body"][0]
        for x, y in snake["body"][1:]:
            if (x, y) != (hx, hy):
                planes[head_channel + 1, y, x] = 1
        planes[head_channel, hy, hx] = 1
    for x, y in frame["food"]:
        planes[FOOD, y, x] = 1
    for x, y in frame["hazards"]:
        planes[HAZARD, y, x] = 1
    planes[HEALTH] = min(max(mine["health"], 0), 100)
    return planes


def observation(frame: dict, me: str, width: int, height: int, encoding: str = "egocentric",
                radius: int = 5, wrapped: bool = False) -> np.ndarray:
    """Snake ``me``'s observation: rows top first, egocentric window or whole board."""
    planes = board_planes(frame, me, width, height)[:, ::-1, :]  # row 0 = top
    if encoding == "global":
        return np.ascontiguousarray(planes)
    r = radius
    if wrapped:
        padded = np.pad(planes, ((0, 0), (r, r), (r, r)), mode="wrap")
    else:
        padded = np.pad(planes, ((0, 0), (r, r), (r, r)))
        padded[WALL] = 1
        padded[WALL, r:r + height, r:r + width] = 0
        padded[HEALTH] = planes[HEALTH, 0, 0]
    mine = next(s for s in frame["snakes"] if s["id"] == me)
    hx, hy = mine["body"][0]
    row, col = height - 1 - hy, hx  # the head's row/column in the unpadded, top-first board
    return padded[:, row:row + 2 * r + 1, col:col + 2 * r + 1].copy()


def action_mask(frame: dict, me: str, width: int, height: int, wrapped: bool = False,
                starves: bool = True, hazard_damage: int = 14, fallback: bool = True,
                classic: bool = False) -> np.ndarray:
    """1 for each move that does not kill ``me`` outright; all ones when every move does (if ``fallback``).
    ``classic``: a reversal (a move onto the neck) keeps the heading, so it is as safe as straight on."""
    occupied: dict[tuple[int, int], int] = {}
    for snake in frame["snakes"]:
        if snake["alive"]:
            for x, y in snake["body"][:-1]:  # every tail moves away
                occupied[(x, y)] = occupied.get((x, y), 0) + 1
    mine = next(s for s in frame["snakes"] if s["id"] == me)
    hx, hy = mine["body"][0]
    food = {tuple(p) for p in frame["food"]}
    hazards = [tuple(p) for p in frame["hazards"]]
    mask = np.zeros(4, np.int8)
    neck = tuple(mine["body"][1]) if len(mine["body"]) > 1 else (hx, hy)
    for move, (dx, dy) in enumerate(MOVE_DELTAS):
        if classic and neck != (hx, hy) and (hx + dx, hy + dy) == neck:
            dx, dy = hx - neck[0], hy - neck[1]  # classic walls are solid: no wrap to undo
        x, y = hx + dx, hy + dy
        if wrapped and 0 <= hx < width and 0 <= hy < height:
            x, y = x % width, y % height
        if not (0 <= x < width and 0 <= y < height) or occupied.get((x, y), 0) > 0:
            continue
        health = mine["health"] - 1 - hazard_damage * hazards.count((x, y))
        if starves and health <= 0 and (x, y) not in food:
            continue
        mask[move] = 1
    return mask if mask.any() or not fallback else np.ones(4, np.int8)
