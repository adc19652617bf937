"""What a game is played under, from what the user chose (ruleset, map, board size, snakes), with the
same defaults and the same one-line refusals at every entry point (CLI, envs, rooms, tournaments).

``--map NAME`` alone (or ``map=`` alone in an env or a room) plays the way the map is usually played:
its usual ruleset (``solo`` for ``solo_maze``, else ``standard``) and its usual snake count; its usual
board size is the engine's own default (``arena.engine.Engine``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arena.engine import Engine
from arena.maps import get_map

if TYPE_CHECKING:
    from arena.match import MatchConfig

DEFAULT_RULESET = "standard"


def usual_ruleset(ruleset: str | None, map_name: str | None) -> str:
    """The ruleset asked for; else the map's usual one; else standard."""
    if ruleset is not None:
        return ruleset
    return get_map(map_name).rulesets[0] if map_name is not None else DEFAULT_RULESET


def usual_snakes(snakes: int | None, map_name: str | None, default: int) -> int:
    """The snake count asked for; else the map's usual one; else ``default`` (the entry point's own)."""
    if snakes is not None:
        return snakes
    return get_map(map_name).default_snakes if map_name is not None else default


def check_map_snakes(engine: Engine, snakes: int) -> None:
    """A snake count the engine's map is not played with: its one line naming what it supports."""
    if engine.map is not None:
        engine.map.check(engine.geometry.width, engine.geometry.height, snakes)


def checked_engine(rules: MatchConfig, snakes: int) -> Engine:
    """The engine ``rules`` build, once games of ``snakes`` snakes are known to fit: bad rules, sizes,
    maps and counts are one-line ValueErrors before any bot starts."""
    engine = Engine(rules.ruleset, rules.width, rules.height, rules.settings, map=rules.map)
    check_map_snakes(engine, snakes)
    try:
        engine.new_batch([0], num_snakes=snakes)
    except ValueError as exc:
        raise ValueError(f"{snakes} players per game do not fit: {exc}") from None
    return engine
