"""Start positions, first food and hazards of Battlesnake's maps (``arena.maps``), compiled.

``start`` is the one setup entry ``arena.kernels`` calls: the rulesets' own modes (``arena.setup``)
and each map's mode, plus the ``NO_FOOD`` flag (constrictor removes the map's first food, as
Battlesnake's constrictor pipeline does on its first run).
"""

from __future__ import annotations

from arena.jit import kernel
from arena.setup import NO_FOOD, start_game
from arena.stages import Turn
from arena.state import Arrays


@kernel
def start(b: Arrays, t: Turn, g: int, count: int, mode: int) -> bool:
    """Start game ``g`` with ``count`` snakes in ``mode`` (a ruleset's or a map's); False: no room."""
    base = mode & (NO_FOOD - 1)
    ok = start_game(b, t, g, count, base)
    if ok and mode & NO_FOOD:
        b.food[g] = False
        b.food_count[g] = 0
    return ok
