"""Shared helpers for the rules tests: a move policy that keeps games going, random positions,
and frame normalisation so the engine and the model can be compared with ``==``."""

from __future__ import annotations

import random

import numpy as np
from model import DIRECTIONS, ModelGame

from arena.engine import Engine, move_codes
from arena.state import GameBatch

JUNK_MOVES = (None, "bogus", "UP", "")


def normalise(frame: dict) -> dict:
    """Food and hazards as sorted lists: their order carries no meaning."""
    return {**frame, "food": sorted(frame["food"]), "hazards": sorted(frame["hazards"])}


def frame_diff(got: dict, want: dict) -> str:
    """A short, readable account of how two frames differ (for assertion messages)."""
    lines = [f"{key}: engine {got[key]} != model {want[key]}" for key in ("turn", "food", "hazards")
             if got[key] != want[key]]
    if len(got["snakes"]) != len(want["snakes"]):
        lines.append(f"snakes: engine {got['snakes']} != model {want['snakes']}")
    for a, b in zip(got["snakes"], want["snakes"]):
        lines += [f"{a['id']}.{key}: engine {a[key]} != model {b[key]}" for key in a if a[key] != b.get(key)]
    return "\n".join(lines)


def engine_frames(engine: Engine, batch: GameBatch) -> list[dict]:
    return [normalise(engine.frame(batch, g)) for g in range(batch.size)]


def engine_moves(moves: list[list[str | None]], seats: int) -> np.ndarray:
    """Per-game move names to the engine's (B, seats) codes; missing seats get -1."""
    codes = np.full((len(moves), seats), -1, np.int64)
    for g, names in enumerate(moves):
        codes[g, : len(names)] = move_codes(names)
    return codes


def choose_moves(frame: dict, width: int, height: int, wrapped: bool, rnd: random.Random,
                 chaos: float = 0.1) -> list[str | None]:
    """Moves for every seat in ``frame``: mostly sensible (on the board, off bodies, sometimes
    towards food) so games last, with a ``chaos`` share of random directions and junk."""
    live = [s for s in frame["snakes"] if s["alive"]]
    blocked = {tuple(p) for s in live for p in s["body"][:-1]}
    food = [tuple(p) for p in frame["food"]]
    moves: list[str | None] = []
    for snake in frame["snakes"]:
        if not snake["alive"]:
            moves.append(None)
            continue
        if rnd.random() < chaos:
            moves.append(rnd.choice(list(DIRECTIONS) + list(JUNK_MOVES)))
            continue
        hx, hy = snake["body"][0]
        safe = []
        for name, (dx, dy) in DIRECTIONS.items():
            x, y = hx + dx, hy + dy
            if wrapped:
                x, y = x % width, y % height
            if 0 <= x < width and 0 <= y < height and (x, y) not in blocked:
                safe.append((name, (x, y)))
        if not safe:
            moves.append(rnd.choice(list(DIRECTIONS)))
        elif food and rnd.random() < 0.4:
            def distance(item: tuple[str, tuple[int, int]]) -> int:
                x, y = item[1]
                return min(abs(x - fx) + abs(y - fy) for fx, fy in food)
            moves.append(min(safe, key=distance)[0])
        else:
            moves.append(rnd.choice(safe)[0])
    return moves


def model_moves(game: ModelGame, rnd: random.Random, chaos: float = 0.1) -> list[str | None]:
    """``choose_moves`` for a model game, one entry per seat (empty seats get None)."""
    names = iter(choose_moves(game.frame(), game.width, game.height, game.mode.wrapped, rnd, chaos))
    return [next(names) if s is not None else None for s in game.snakes]


def random_position(rnd: random.Random, width: int, height: int, num_snakes: int, wrapped: bool,
                    hazards: bool = True) -> dict:
    """A plausible mid-game position: self-avoiding snakes (tails sometimes stacked), low
    health now and then, eliminated snakes lying anywhere, food off the live bodies, hazards
    with repeated (stacked) entries."""
    taken: set[tuple[int, int]] = set()
    snakes = []
    for _ in range(num_snakes):
        free = [(x, y) for x in range(width) for y in range(height) if (x, y) not in taken]
        if not free:
            break
        body = [rnd.choice(free)]
        for _ in range(rnd.randint(0, 7)):
            options = []
            for dx, dy in DIRECTIONS.values():
                x, y = body[-1][0] + dx, body[-1][1] + dy
                if wrapped:
                    x, y = x % width, y % height
                if 0 <= x < width and 0 <= y < height and (x, y) not in taken and (x, y) not in body:
                    options.append((x, y))
            if not options:
                break
            body.append(rnd.choice(options))
        if rnd.random() < 0.3:
            body.append(body[-1])  # just ate: tail stacked
        if len(body) < 2 and rnd.random() < 0.5:
            body = body * 3  # a fresh, fully stacked snake
        taken.update(body)
        health = rnd.choice([1, 1, 2, 3, 15, 50, 100, rnd.randint(1, 100)])
        snakes.append({"body": [list(p) for p in body], "health": health})
    for _ in range(rnd.choice([0, 0, 1, 2])):  # eliminated snakes lie anywhere, even under live ones
        body = [(rnd.randrange(width), rnd.randrange(height)) for _ in range(rnd.randint(1, 4))]
        if rnd.random() < 0.3:
            body[0] = rnd.choice([(-1, body[0][1]), (width, body[0][1]), (body[0][0], -1), (body[0][0], height)])
        dead = {"body": [list(p) for p in body], "health": rnd.randint(0, 100), "alive": False,
                "death": {"cause": rnd.choice(["snake-collision", "wall-collision", "out-of-health"]), "turn": 0}}
        snakes.insert(rnd.randint(0, len(snakes)), dead)
    free = [(x, y) for x in range(width) for y in range(height) if (x, y) not in taken]
    food = rnd.sample(free, min(len(free), rnd.randint(0, 6)))
    cells = [(x, y) for x in range(width) for y in range(height)]
    hazard_list = [rnd.choice(cells) for _ in range(rnd.randint(0, 12))] if hazards else []
    hazard_list += hazard_list[: rnd.randint(0, len(hazard_list))]  # some stacked twice
    return {
        "turn": rnd.randint(0, 60),
        "food": [list(p) for p in food],
        "hazards": [list(p) for p in hazard_list],
        "snakes": snakes,
    }
