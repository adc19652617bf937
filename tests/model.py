"""A readable, per-game, pure-Python model of the rules: the oracle for differential tests.

Written from DESIGN.md and Battlesnake's official Go rules engine (standard, wrapped,
constrictor, royale, solo) plus our classic mode, *not* from ``arena/stages.py``: one game,
plain lists and sets, one small loop per rule, in the Go pipeline's order

    move -> starvation -> hazard damage -> feed -> eliminate -> food / constrictor / royale -> game over

Random choices use ``arena.rng``'s documented conventions (the candidate with the highest
``score_py`` wins, ties to the lowest index) so both implementations draw the same numbers.
It is also the unbatched baseline that the benchmarks divide by, so it stays straightforward.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from arena import rng

Point = tuple[int, int]

DIRECTIONS: dict[str, Point] = {"up": (0, 1), "down": (0, -1), "left": (-1, 0), "right": (1, 0)}
OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left"}
DIAGONALS: tuple[Point, ...] = ((-1, -1), (-1, 1), (1, -1), (1, 1))
MAX_HEALTH = 100
START_LENGTH = 3

FOOD_SETTINGS = {"foodSpawnChance": 15, "minimumFood": 1, "hazardDamagePerTurn": 14}


@dataclass(frozen=True)
class Mode:
    """What a ruleset changes relative to standard."""

    wrapped: bool = False
    constrictor: bool = False
    royale: bool = False
    solo: bool = False
    classic: bool = False

    def defaults(self) -> dict:
        if self.classic:
            return {"endless": False}
        if self.royale:
            return {**FOOD_SETTINGS, "shrinkEveryNTurns": 25}
        return dict(FOOD_SETTINGS)


MODES = {
    "standard": Mode(),
    "wrapped": Mode(wrapped=True),
    "constrictor": Mode(constrictor=True),
    "wrapped_constrictor": Mode(wrapped=True, constrictor=True),
    "royale": Mode(royale=True),
    "solo": Mode(solo=True),
    "classic": Mode(classic=True),
}


@dataclass
class Snake:
    id: str
    body: list[Point]
    health: int = MAX_HEALTH
    alive: bool = True
    death: dict | None = None
    move: str | None = None

    @property
    def head(self) -> Point:
        return self.body[0]


def default_move(body: Sequence[Point]) -> str:
    """Battlesnake's getDefaultMove: the direction from neck to head, wrap-aware; else up."""
    if len(body) >= 2:
        (hx, hy), (nx, ny) = body[0], body[1]
        if hx == nx + 1:
            return "right"
        if hx == nx - 1:
            return "left"
        if hy == ny + 1:
            return "up"
        if hy == ny - 1:
            return "down"
        if hx == 0 and nx > 0:
            return "right"
        if nx == 0 and hx > 0:
            return "left"
        if hy == 0 and ny > 0:
            return "up"
        if ny == 0 and hy > 0:
            return "down"
    return "up"


class ModelGame:
    """One game of one ruleset, stepped with a list of move names (one per seat)."""

    def __init__(self, ruleset: str = "standard", width: int | None = None, height: int | None = None,
                 num_snakes: int = 2, seed: int = 0, settings: dict | None = None,
                 seats: int | None = None, _empty: bool = False) -> None:
        self.ruleset = ruleset
        self.mode = MODES[ruleset]
        default = 24 if self.mode.classic else 11
        self.width = width or default
        self.height = height or default
        self.settings = {**self.mode.defaults(), **(settings or {})}
        self.seed = rng.seed_to_int(seed)
        self.turn = 0
        self.food: list[Point] = []
        self.hazards: list[Point] = []  # one entry per hazard stack, repeats allowed
        self.box = [0, self.width - 1, 0, self.height - 1]  # royale safe area: min_x, max_x, min_y, max_y
        self.snakes: list[Snake | None] = [None] * max(seats or num_snakes, num_snakes)
        self.done = False
        if _empty:
            return
        if self.mode.classic:
            self._setup_classic(num_snakes)
        else:
            self._setup_standard(num_snakes)
        self.done = self._game_over()

    @classmethod
    def from_position(cls, ruleset: str, width: int, height: int, position: dict, seed: int = 0,
                      settings: dict | None = None) -> ModelGame:
        """A game at an explicit position (same dict shape as ``Engine.from_positions``)."""
        game = cls(ruleset, width, height, len(position["snakes"]), seed, settings, _empty=True)
        game.turn = int(position.get("turn", 0))
        for x, y in position.get("food", []):
            if (x, y) not in game.food:
                game.food.append((x, y))
        game.hazards = [(x, y) for x, y in position.get("hazards", [])]
        game.box = game._box_from_hazards()
        for seat, spec in enumerate(position["snakes"]):
            body = [(x, y) for x, y in spec["body"]]
            game.snakes[seat] = Snake(f"s{seat}", body, int(spec.get("health", MAX_HEALTH)))
            if not spec.get("alive", True):
                death = spec.get("death") or {}
                game.remove(seat, death.get("cause", "left"))
                game.snakes[seat].death["turn"] = int(death.get("turn", game.turn))
        game.done = game._game_over()
        return game

    # --- helpers ------------------------------------------------------------------------

    def on_board(self, p: Point) -> bool:
        return 0 <= p[0] < self.width and 0 <= p[1] < self.height

    def cells(self) -> list[Point]:
        """Every board cell in board-index order (y * width + x), the order random draws use."""
        return [(x, y) for y in range(self.height) for x in range(self.width)]

    def index(self, p: Point) -> int:
        return p[1] * self.width + p[0]

    def live(self) -> list[Snake]:
        return [s for s in self.snakes if s is not None and s.alive]

    def _best(self, candidates: list[tuple[int, Point]], turn: int, stream: int) -> Point | None:
        """The candidate (index, point) with the highest score; ties go to the lowest index."""
        best, best_score = None, 0
        for index, point in sorted(candidates):
            score = rng.score_py(self.seed, turn, stream, index)
            if score > best_score:
                best, best_score = point, score
        return best

    def _ranked(self, count: int, stream: int, offset: int = 0) -> list[int]:
        """0..count-1 ordered by descending score, ties lowest first (a seeded shuffle)."""
        return sorted(range(count), key=lambda i: (-rng.score_py(self.seed, 0, stream, offset + i), i))

    def _place_food(self, n: int, turn: int, stream: int) -> None:
        """Add up to n food on the n best-scoring free cells (Battlesnake's GetUnoccupiedPoints)."""
        if n <= 0:
            return
        blocked = set(self.food)
        for snake in self.live():
            blocked.update(snake.body)
            hx, hy = snake.head
            blocked.update((hx + dx, hy + dy) for dx, dy in DIRECTIONS.values())  # never wrapped
        free = [p for p in self.cells() if p not in blocked]
        free.sort(key=lambda p: (-rng.score_py(self.seed, turn, stream, self.index(p)), self.index(p)))
        self.food.extend(free[:n])

    def _box_from_hazards(self) -> list[int]:
        """The royale safe box implied by a position: the bounds of the hazard-free cells."""
        safe = [p for p in self.cells() if p not in self.hazards]
        if not safe:  # an empty box: everything stays hazard
            return [self.width, self.width - 1, 0, self.height - 1]
        if not self.hazards:
            return [0, self.width - 1, 0, self.height - 1]
        xs, ys = [p[0] for p in safe], [p[1] for p in safe]
        return [min(xs), max(xs), min(ys), max(ys)]

    # --- setup --------------------------------------------------------------------------

    def _setup_standard(self, count: int) -> None:
        w, h = self.width, self.height
        square = w == h
        if square and w >= 7 and count <= 8:
            starts = self._fixed_starts()
        elif square and w >= 11:
            starts = self._distributed_starts()
        elif square and w < 7 and count > 8:
            raise ValueError("more than 8 snakes need a board of at least 7x7")
        else:
            starts = self._random_starts(count)
        for seat in range(count):
            self.snakes[seat] = Snake(f"s{seat}", [starts[seat]] * START_LENGTH)
        if self.mode.constrictor:
            return
        if square and w >= 7:
            self._fixed_food(count)
        else:
            self._place_food(count, 0, rng.START_FOOD_RANDOM)

    def _fixed_starts(self) -> list[Point]:
        lo, mid, hi = 1, (self.width - 1) // 2, self.width - 2
        corners = [(lo, lo), (lo, hi), (hi, lo), (hi, hi)]
        cardinals = [(lo, mid), (mid, lo), (mid, hi), (hi, mid)]
        corners = [corners[i] for i in self._ranked(4, rng.START_CORNERS)]
        cardinals = [cardinals[i] for i in self._ranked(4, rng.START_CARDINALS)]
        if rng.draw_py(self.seed, 0, rng.START_COIN, 0) % 2 == 0:
            return corners + cardinals
        return cardinals + corners

    def _distributed_starts(self) -> list[Point]:
        w, h = self.width, self.height
        qw, qh = w // 2, h // 2
        ox, oy = qw // 3, qh // 3
        quad0 = [(ox, oy), (qw - ox, oy), (ox, qh - oy), (qw - ox, qh - oy)]
        quads = [
            quad0,
            [(w - x - 1, y) for x, y in quad0],
            [(x, h - y - 1) for x, y in quad0],
            [(w - x - 1, h - y - 1) for x, y in quad0],
        ]
        order = [self._ranked(4, rng.START_QUADRANT_ORDER, q * 4) for q in range(4)]
        first = rng.draw_py(self.seed, 0, rng.START_QUADRANT, 0) % 4
        starts = []
        for i in range(16):
            q = (first + i) % 4
            starts.append(quads[q][order[q][i // 4]])
        return starts

    def _random_starts(self, count: int) -> list[Point]:
        centre = ((self.width - 1) // 2, (self.height - 1) // 2)
        taken: list[Point] = []
        for seat in range(count):
            options = [(seat * 1024 + self.index(p), p) for p in self.cells()
                       if (p[0] + p[1]) % 2 == 0 and p != centre and p not in taken]
            spot = self._best(options, 0, rng.START_RANDOM_SPOT)
            if spot is None:
                raise ValueError(f"no room for {count} snakes")
            taken.append(spot)
        return taken

    def _fixed_food(self, count: int) -> None:
        w, h = self.width, self.height
        cx, cy = (w - 1) // 2, (h - 1) // 2
        if count <= 4 or w * h >= 11 * 11:
            for seat in range(count):
                hx, hy = self.snakes[seat].head
                options = []
                for d, (dx, dy) in enumerate(DIAGONALS):
                    px, py = hx + dx, hy + dy
                    away = (px < hx < cx) or (cx < hx < px) or (py < hy < cy) or (cy < hy < py)
                    corner = px in (0, w - 1) and py in (0, h - 1)
                    if (self.on_board((px, py)) and away and not corner and (px, py) != (cx, cy)
                            and (px, py) not in self.food):
                        options.append((seat * 4 + d, (px, py)))
                spot = self._best(options, 0, rng.START_FOOD_DIAGONAL)
                if spot is not None:
                    self.food.append(spot)
        occupied = {p for s in self.live() for p in s.body}
        if (cx, cy) not in occupied and (cx, cy) not in self.food:
            self.food.append((cx, cy))

    def classic_spot(self, seat: int, turn: int) -> list[Point] | None:
        """A straight 3-long body (head first) at a safe spot, heading away from the nearest wall."""
        w, h = self.width, self.height
        occupied = {p for s in self.live() for p in s.body}
        heads = [s.head for s in self.live()]
        backs = [(-1, 0), (1, 0), (0, -1), (0, 1)]  # towards the left, right, bottom, top wall
        options = []
        for x, y in self.cells():
            walls = [x, w - 1 - x, y, h - 1 - y]
            bx, by = backs[walls.index(min(walls))]
            body = [(x + k * bx, y + k * by) for k in range(START_LENGTH)]
            ahead = [(x - k * bx, y - k * by) for k in (1, 2, 3)]
            if not all(self.on_board(p) and p not in occupied and p not in self.food for p in body):
                continue
            if any(p in occupied for p in ahead):
                continue
            if any(abs(x - hx) + abs(y - hy) <= 2 for hx, hy in heads):
                continue
            options.append((seat * 1024 + self.index((x, y)), tuple(body)))
        best = self._best(options, turn, rng.RESPAWN_SPOT)
        return list(best) if best is not None else None

    def _setup_classic(self, count: int) -> None:
        for seat in range(count):
            body = self.classic_spot(seat, 0)
            if body is None:
                raise ValueError(f"no room for {count} classic snakes")
            self.snakes[seat] = Snake(f"s{seat}", body)
        self._place_food(max(count - 1, 1), 0, rng.FOOD_CELL)

    # --- drop-in / drop-out -------------------------------------------------------------

    def remove(self, seat: int, cause: str = "left") -> None:
        snake = self.snakes[seat]
        if snake is not None and snake.alive:
            snake.alive = False
            snake.death = {"cause": cause, "turn": self.turn, "by": None}

    def spawn(self, seat: int) -> bool:
        if seat >= len(self.snakes):
            raise ValueError(f"seat {seat} does not exist")
        self.remove(seat)
        body = self.classic_spot(seat, self.turn)
        if body is None:
            return False
        self.snakes[seat] = Snake(f"s{seat}", body)
        self.done = False
        return True

    # --- one turn -----------------------------------------------------------------------

    def step(self, moves: Sequence[str | None]) -> None:
        if self.done:
            return
        turn = self.turn + 1
        self._move(moves)
        if not self.mode.classic:
            for snake in self.live():
                snake.health -= 1
            self._hazard_damage(turn)
        self._feed()
        self._eliminate(turn)
        if self.mode.constrictor:
            self.food = []
            for snake in filter(None, self.snakes):  # eliminated snakes too, as Battlesnake's GrowSnakesConstrictor
                snake.health = MAX_HEALTH
                if len(snake.body) >= 2 and snake.body[-1] != snake.body[-2]:
                    snake.body.append(snake.body[-1])
        elif self.mode.classic:
            target = max(len(self.live()) - 1, 1)
            self._place_food(target - len(self.food), turn, rng.FOOD_CELL)
        else:
            self._spawn_food(turn)
        if self.mode.royale:
            self._shrink(turn)
        self.turn = turn
        self.done = self._game_over()

    def _move(self, moves: Sequence[str | None]) -> None:
        for seat, snake in enumerate(self.snakes):
            if snake is None or not snake.alive:
                continue
            wanted = moves[seat] if seat < len(moves) else None
            heading = default_move(snake.body)
            if wanted not in DIRECTIONS:
                wanted = heading
            elif self.mode.classic and len(snake.body) >= 2 and snake.body[0] != snake.body[1] \
                    and wanted == OPPOSITE[heading]:
                wanted = heading  # classic ignores a 180-degree turn
            dx, dy = DIRECTIONS[wanted]
            x, y = snake.head[0] + dx, snake.head[1] + dy
            if self.mode.wrapped:
                x, y = x % self.width, y % self.height
            snake.body = [(x, y)] + snake.body[:-1]
            snake.move = wanted

    def _hazard_damage(self, turn: int) -> None:
        damage = self.settings["hazardDamagePerTurn"]
        for snake in self.live():
            if snake.head in self.food:
                continue
            for hazard in self.hazards:
                if hazard == snake.head:
                    snake.health = min(max(snake.health - damage, 0), MAX_HEALTH)
                    if snake.health <= 0:
                        self._kill(snake, "hazard", None, turn)

    def _feed(self) -> None:
        growth = 2 if self.mode.classic else 1
        for food in list(self.food):
            eaters = [s for s in self.live() if s.head == food]
            if not eaters:
                continue
            self.food.remove(food)
            for snake in eaters:
                if not self.mode.classic:
                    snake.health = MAX_HEALTH
                snake.body.extend([snake.body[-1]] * growth)

    @staticmethod
    def _kill(snake: Snake, cause: str, by: Snake | None, turn: int) -> None:
        snake.alive = False
        snake.death = {"cause": cause, "turn": turn, "by": by.id if by else None}

    def _eliminate(self, turn: int) -> None:
        # Pass 1: out of health, then out of bounds; applied at once.
        for snake in self.live():
            if snake.health <= 0:
                self._kill(snake, "out-of-health", None, turn)
            elif not all(self.on_board(p) for p in snake.body):
                self._kill(snake, "wall-collision", None, turn)
        # Pass 2: decided against the moved board, then applied together.
        live = self.live()
        by_length = sorted(live, key=lambda s: -len(s.body))  # stable: ties keep seat order
        eliminations = []
        for snake in live:
            if snake.head in snake.body[1:]:
                eliminations.append((snake, "snake-self-collision", snake))
                continue
            hit = next((o for o in by_length if o is not snake and snake.head in o.body[1:]), None)
            if hit is not None:
                eliminations.append((snake, "snake-collision", hit))
                continue
            for other in by_length:
                if other is not snake and other.head == snake.head and (
                        self.mode.classic or len(snake.body) <= len(other.body)):
                    eliminations.append((snake, "head-collision", other))
                    break
        for snake, cause, by in eliminations:
            self._kill(snake, cause, by, turn)

    def _spawn_food(self, turn: int) -> None:
        minimum, chance = self.settings["minimumFood"], self.settings["foodSpawnChance"]
        if len(self.food) < minimum:
            self._place_food(minimum - len(self.food), turn, rng.FOOD_CELL)
        elif chance > 0 and 100 - rng.draw_py(self.seed, turn, rng.FOOD_CHANCE, 0) % 100 < chance:
            self._place_food(1, turn, rng.FOOD_CELL)

    def _shrink(self, turn: int) -> None:
        """Every shrinkEveryNTurns one random side of the safe box moves in; outside is hazard.
        Sides may cross (Battlesnake's maps/royale.go has no check): then everything is hazard."""
        every = self.settings["shrinkEveryNTurns"]
        if turn < every or turn % every:
            return
        side = rng.draw_py(self.seed, turn // every, rng.ROYALE_SIDE, 0) % 4
        min_x, max_x, min_y, max_y = self.box
        if side == 0:
            min_x += 1
        elif side == 1:
            max_x -= 1
        elif side == 2:
            min_y += 1
        else:
            max_y -= 1
        self.box = [min_x, max_x, min_y, max_y]
        self.hazards = [(x, y) for x, y in self.cells() if not (min_x <= x <= max_x and min_y <= y <= max_y)]

    def _game_over(self) -> bool:
        alive = len(self.live())
        if self.mode.classic:
            if self.settings.get("endless"):
                return False
            present = sum(s is not None for s in self.snakes)
            return alive == 0 or (alive <= 1 and present > 1)
        if self.mode.solo:
            return alive == 0
        return alive <= 1

    # --- reading state ------------------------------------------------------------------

    def frame(self) -> dict:
        """The state in the replay frame schema, like ``Engine.frame``."""
        order = self.index
        return {
            "type": "frame",
            "turn": self.turn,
            "food": [list(p) for p in sorted(self.food, key=order)],
            "hazards": [list(p) for p in sorted(self.hazards, key=order)],
            "snakes": [
                {
                    "id": s.id,
                    "body": [list(p) for p in s.body],
                    "health": s.health,
                    "alive": s.alive,
                    "death": dict(s.death) if s.death else None,
                    # the move applied to reach this frame: none once eliminated on an earlier turn
                    "move": s.move if s.alive or (s.death and s.death["turn"] == self.turn) else None,
                }
                for s in self.snakes if s is not None
            ],
        }
