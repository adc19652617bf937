"""Rulesets: ordered lists of stages plus their settings, with Battlesnake's names and defaults."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from arena import stages as s

Stage = Callable[..., None]  # a compiled stage (arena.stages): (batch arrays, turn) -> None


@dataclass(frozen=True)
class Setting:
    default: int | bool
    minimum: int = 0
    maximum: int = 1_000_000
    help: str = ""

    def parse(self, name: str, value) -> int | bool:
        if isinstance(self.default, bool):
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(f"setting {name} must be true or false, got {value!r}")
                return value.lower() in ("true", "1", "yes")
            return bool(value)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"setting {name} must be a whole number, got {value!r}") from None
        if isinstance(value, float) and value != number:
            raise ValueError(f"setting {name} must be a whole number, got {value!r}")
        if not self.minimum <= number <= self.maximum:
            raise ValueError(f"setting {name} must be between {self.minimum} and {self.maximum}, got {number}")
        return number


FOOD = {
    "foodSpawnChance": Setting(15, 0, 100, "percent chance per turn of one extra food"),
    "minimumFood": Setting(1, 0, 625, "food is topped up to this count every turn"),
    "hazardDamagePerTurn": Setting(14, -100, 100, "health lost per hazard entry under the head"),
}
ROYALE = {**FOOD, "shrinkEveryNTurns": Setting(25, 1, 10_000, "turns between two shrinks of the safe box")}
CLASSIC = {"endless": Setting(False, help="never end by itself (drop-in live games)")}

STANDARD_CORE: tuple[Stage, ...] = (s.move, s.starve, s.hazard_damage, s.feed, s.eliminate)
WRAPPED_CORE = STANDARD_CORE  # wrapping lives in the geometry's neighbour table


@dataclass(frozen=True)
class Ruleset:
    name: str
    description: str
    stages: tuple[Stage, ...]
    settings: dict[str, Setting] = field(default_factory=dict)
    wrapped: bool = False
    food_at_start: bool = True
    classic: bool = False
    default_size: tuple[int, int] = (11, 11)
    min_snakes: int = 2

    def resolve(self, overrides: dict | None = None, extra: dict[str, Setting] | None = None) -> dict:
        """Defaults overlaid with ``overrides``; unknown names and bad values raise ValueError.
        ``extra``: settings a map adds (``arena.maps``), after the ruleset's own."""
        specs = dict(self.settings)
        for name, spec in (extra or {}).items():
            specs.setdefault(name, spec)
        values = {name: spec.default for name, spec in specs.items()}
        for name, value in (overrides or {}).items():
            if name not in specs:
                known = ", ".join(specs) or "none"
                raise ValueError(f"ruleset {self.name} has no setting {name!r} (settings: {known})")
            values[name] = specs[name].parse(name, value)
        return values

    def stages_for(self, settings: dict) -> tuple[Stage, ...]:
        if self.classic and settings.get("endless"):
            return self.stages[:-1] + (s.game_over_never,)
        return self.stages


RULESETS: dict[str, Ruleset] = {
    r.name: r
    for r in (
        Ruleset("standard", "Battlesnake standard: food, health, last snake alive wins",
                STANDARD_CORE + (s.spawn_food, s.game_over_standard), FOOD),
        Ruleset("wrapped", "standard, but heads wrap around the board edges",
                WRAPPED_CORE + (s.spawn_food, s.game_over_standard), FOOD, wrapped=True),
        Ruleset("constrictor", "no food; every snake grows every turn and stays at full health",
                STANDARD_CORE + (s.remove_food, s.grow_always, s.game_over_standard), FOOD, food_at_start=False),
        Ruleset("wrapped_constrictor", "constrictor on a wrapped board",
                WRAPPED_CORE + (s.remove_food, s.grow_always, s.game_over_standard), FOOD,
                wrapped=True, food_at_start=False),
        Ruleset("royale", "standard, and the safe area shrinks into hazard every shrinkEveryNTurns",
                STANDARD_CORE + (s.spawn_food, s.shrink_royale, s.game_over_standard), ROYALE),
        Ruleset("solo", "standard for one snake: the game ends when no snake is left",
                STANDARD_CORE + (s.spawn_food, s.game_over_solo), FOOD, min_snakes=1),
        Ruleset("classic", "Kogame Snek: 24x24 walls, no health, +2 per food, fair head-ons, drop-in",
                (s.move_classic, s.feed_classic, s.eliminate_classic, s.spawn_food_classic, s.game_over_classic),
                CLASSIC, classic=True, default_size=(24, 24), min_snakes=1),
    )
}


def get_ruleset(name: str) -> Ruleset:
    try:
        return RULESETS[name]
    except KeyError:
        raise ValueError(f"unknown ruleset {name!r} (choose from {', '.join(RULESETS)})") from None
