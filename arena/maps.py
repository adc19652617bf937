"""Battlesnake's game maps: where snakes start, what food and hazards a board gets, and how they change.

A map is Battlesnake's ``maps`` package idea (``battlesnake play --map NAME``): a setup (start spots,
first food, hazards) and a per-turn update run after the ruleset's own stages (their PostUpdateBoard).
Here a map is compiled like everything else: a setup mode of ``arena.setup``/``arena.map_setup`` and a
tuple of stages (``arena.stages``/``arena.map_stages``) that takes the place of the ruleset's food
spawning, so a whole step stays one compiled call.  Without a map a ruleset plays as it always has
(which is Battlesnake's ``standard`` map, or ``royale`` for the royale ruleset).

Random choices use our own keyed draws (``arena.rng``), not Go's generator: a map places the same
kinds of things by the same rules, but not on the cells Battlesnake's seed would pick
(docs/rules.md, "Maps", lists every map and each deliberate difference).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from arena import map_setup as ms
from arena import map_stages as ups
from arena import maze, setup
from arena import stages as s
from arena.rules import ROYALE, Setting, Stage

SHRINK = {"shrinkEveryNTurns": ROYALE["shrinkEveryNTurns"]}  # the maps that read it (Battlesnake's CLI sends 25)
ODD_SQUARES = tuple((n, n) for n in range(7, 26, 2))  # Battlesnake's OddSizes(7, 25)
MAP_RULESETS = ("standard", "wrapped", "constrictor", "wrapped_constrictor", "royale", "solo")
HAZARD_RULESETS = tuple(r for r in MAP_RULESETS if r != "royale")  # royale's own shrink would wipe the map's hazards


def _sizes_text(sizes: tuple[tuple[int, int], ...]) -> str:
    if sizes == ODD_SQUARES:
        return "odd square boards 7x7 to 25x25"
    names = [f"{w}x{h}" for w, h in sizes]
    return ("board " if len(names) == 1 else "boards ") + (", ".join(names[:-1]) + " or " + names[-1]
                                                          if len(names) > 1 else names[0])


def engine_work(width: int, height: int) -> int:
    """The ``Turn.work`` entries the engine's own stages take, on any board (most maps need no more)."""
    return s.WORK


@dataclass(frozen=True)
class GameMap:
    """One map: its metadata (Battlesnake's ``Meta()``) and how the compiled engine plays it."""

    name: str
    description: str  # one line
    sizes: tuple[tuple[int, int], ...] = ODD_SQUARES  # the (width, height) boards it is played on
    max_snakes: int = 16
    min_snakes: int = 1
    default_size: tuple[int, int] = (11, 11)
    default_snakes: int = 4
    rulesets: tuple[str, ...] = HAZARD_RULESETS  # the rulesets it goes with (the first is its usual one)
    settings: dict[str, Setting] = field(default_factory=dict)  # settings it adds to the ruleset's
    setup_mode: int | None = None  # ``arena.setup`` / ``arena.map_setup`` mode; None: not implemented yet
    update: tuple[Stage, ...] = ()  # stages run where the ruleset spawns food (Battlesnake's PostUpdateBoard)
    off_board: bool = False  # hazards may also lie one board-height above the board (snail_mode's state)
    # ``Turn.work`` entries its setup and steps take on a (width, height) board (they allocate nothing):
    # the engine's own, or more for a map that builds things there (solo_maze's mazes)
    work_size: Callable[[int, int], int] = engine_work

    @property
    def implemented(self) -> bool:
        return self.setup_mode is not None

    @property
    def sizes_text(self) -> str:
        return _sizes_text(self.sizes)

    @property
    def snakes_text(self) -> str:
        if self.min_snakes == self.max_snakes:
            return f"{self.max_snakes} snake" + ("s" if self.max_snakes > 1 else "")
        return f"{self.min_snakes} to {self.max_snakes} snakes"

    def supports(self) -> str:
        """What the map is played on, one phrase (errors and ``snek rules``)."""
        return f"{self.sizes_text} with {self.snakes_text}"

    def check(self, width: int, height: int, snakes: int | None = None) -> None:
        """Refuse a board size or snake count the map is not played with: one line naming what it supports."""
        if (width, height) not in self.sizes:
            raise ValueError(f"map {self.name} is played on {self.supports()}, not on {width}x{height}")
        if snakes is not None and not self.min_snakes <= snakes <= self.max_snakes:
            raise ValueError(f"map {self.name} is played on {self.supports()}, not with {snakes}")

    def check_ruleset(self, ruleset: str) -> None:
        if ruleset not in self.rulesets:
            which = f"ruleset {self.rulesets[0]}" if len(self.rulesets) == 1 else f"rulesets {', '.join(self.rulesets)}"
            raise ValueError(f"map {self.name} goes with {which}, not {ruleset}")

    def stages_for(self, ruleset_stages: tuple[Stage, ...]) -> tuple[Stage, ...]:
        """The ruleset's stages with this map's update where the ruleset spawns food (Battlesnake runs
        the map after the ruleset; food spawning is the standard map's update).  A ruleset that spawns
        none (constrictor) gets the update just before its game-over test, as Battlesnake's pipeline
        runs it; stages the ruleset already has (royale's shrink) are not run twice."""
        at = ruleset_stages.index(s.spawn_food) if s.spawn_food in ruleset_stages else len(ruleset_stages) - 1
        kept = tuple(stage for stage in ruleset_stages if stage is not s.spawn_food)
        update = tuple(stage for stage in self.update if stage not in kept)
        return kept[:at] + update + kept[at:]


FOOD = (s.spawn_food,)
CASTLE = {"setup_mode": ms.CASTLE_WALL, "update": (ups.castle_food,)}
RIVERS = {"setup_mode": ms.RIVERS, "update": (ups.spawn_food_dry,)}
ISLANDS = {"setup_mode": ms.ISLANDS, "update": (ups.spawn_food_dry,)}


def _maps(*maps: GameMap) -> dict[str, GameMap]:
    return {m.name: m for m in maps}


MAPS: dict[str, GameMap] = _maps(
    GameMap("standard", "standard snake placement and food spawning", rulesets=MAP_RULESETS,
            setup_mode=setup.STANDARD, update=(s.spawn_food,)),
    GameMap("empty", "standard snake placement, no food ever", rulesets=MAP_RULESETS,
            setup_mode=setup.STANDARD_NO_FOOD),
    GameMap("royale", "standard, and every shrinkEveryNTurns one side of the safe box turns to hazard",
            rulesets=MAP_RULESETS, settings=SHRINK, setup_mode=setup.STANDARD, update=(s.spawn_food, s.shrink_royale)),
    GameMap("arcade_maze", "an arcade maze of hazard walls, food on fixed spots", sizes=((19, 21),),
            max_snakes=6, default_size=(19, 21), setup_mode=ms.ARCADE_MAZE, update=(ups.arcade_food,)),
    GameMap("hz_castle_wall", "a wall of hazard around the board with dangerous bridges", sizes=((11, 11),),
            max_snakes=8, **CASTLE),
    GameMap("hz_castle_wall_lg", "a wall of hazard around the board with dangerous bridges", sizes=((19, 19),),
            max_snakes=8, default_size=(19, 19), **CASTLE),
    GameMap("hz_castle_wall_xl", "a wall of hazard around the board with dangerous bridges", sizes=((25, 25),),
            max_snakes=12, default_size=(25, 25), **CASTLE),
    GameMap("hz_hazard_pits", "pits of hazard that fill a layer every shrinkEveryNTurns up to 4, then drain",
            sizes=((11, 11),), max_snakes=4, settings=SHRINK, setup_mode=ms.HAZARD_PITS,
            update=(s.spawn_food, ups.hazard_pits)),
    GameMap("hz_inner_wall", "a ring of hazard one cell in from the edge", setup_mode=ms.INNER_WALL, update=FOOD),
    GameMap("hz_rings", "concentric rings of hazard with a free ring between them", setup_mode=ms.RINGS,
            update=FOOD),
    GameMap("hz_columns", "hazard on every cell with odd x and odd y", setup_mode=ms.COLUMNS, update=FOOD),
    GameMap("hz_rivers_bridges", "a lake of hazard with rivers to the edges, crossed by bridges", sizes=((11, 11),),
            max_snakes=8, **RIVERS),
    GameMap("hz_rivers_bridges_lg", "a lake of hazard with rivers to the edges, crossed by bridges",
            sizes=((19, 19),), max_snakes=12, default_size=(19, 19), **RIVERS),
    GameMap("hz_rivers_bridges_xl", "a lake of hazard with rivers to the edges, crossed by bridges",
            sizes=((25, 25),), max_snakes=12, default_size=(25, 25), **RIVERS),
    GameMap("hz_islands_bridges", "islands in rivers of hazard, joined by bridges", sizes=((11, 11),),
            max_snakes=4, **ISLANDS),
    GameMap("hz_islands_bridges_lg", "islands in rivers of hazard, joined by bridges", sizes=((19, 19),),
            max_snakes=16, default_size=(19, 19), **ISLANDS),
    GameMap("hz_spiral", "hazard grows in a spiral from a random cell, one cell every 3 turns",
            setup_mode=setup.STANDARD, update=(s.spawn_food, ups.spiral)),
    GameMap("hz_scatter", "one random cell turns to hazard every 2 turns", setup_mode=setup.STANDARD,
            update=(s.spawn_food, ups.scatter)),
    GameMap("hz_grow_box", "a box of hazard grows one random side every 12 turns", setup_mode=setup.STANDARD,
            update=(s.spawn_food, ups.grow_box)),
    GameMap("hz_expand_box", "a box of hazard grows a ring every 20 turns from a random cell",
            setup_mode=setup.STANDARD, update=(s.spawn_food, ups.expand_box)),
    GameMap("hz_expand_scatter", "hazard fills rings around a random cell, one random cell every 2 turns",
            setup_mode=setup.STANDARD, update=(s.spawn_food, ups.expand_scatter)),
    GameMap("healing_pools", "single hazard cells (pools) on fixed spots; one dries up every shrinkEveryNTurns",
            sizes=((7, 7), (11, 11), (19, 19)), max_snakes=8, settings=SHRINK, setup_mode=ms.HEALING_POOLS,
            update=(s.spawn_food, ups.dry_pool)),
    GameMap("sinkholes", "a round sinkhole of stacking hazard grows from the centre every shrinkEveryNTurns",
            sizes=((7, 7), (11, 11), (19, 19)), max_snakes=8, settings=SHRINK, setup_mode=setup.STANDARD,
            update=(s.spawn_food, ups.sinkholes)),
    GameMap("snail_mode", "snakes leave a fading trail of hazard behind them", off_board=True,
            setup_mode=setup.STANDARD, update=(s.spawn_food, ups.snail_trail)),
    GameMap("solo_maze", "one snake finds the food in a maze of hazard; each food is a bigger maze",
            sizes=((7, 7), (11, 11), (19, 19), (19, 21), (25, 25)), max_snakes=1, default_snakes=1,
            rulesets=("solo",), setup_mode=ms.SOLO_MAZE, update=(ups.solo_maze,), work_size=maze.work_size),
)


def get_map(name: str) -> GameMap:
    try:
        return MAPS[name]
    except KeyError:
        raise ValueError(f"unknown map {name!r} (choose from {', '.join(MAPS)})") from None
