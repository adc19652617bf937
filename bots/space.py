"""`space`: area control.  Each safe move is scored by its territory — the cells I would reach
before any rival at least as long as me (a BFS race, so corridors a longer head can close count
for nothing) — never risks a head-on with a longer-or-equal snake when there is another way,
hunts shorter heads, and goes for food when hungry or not clearly the longest.  The scoring is
compiled (``arena.heuristics.space`` has every weight)."""

from __future__ import annotations

from arena.heuristics import SPACE
from snek_bots.common import STARVING_HEALTH, ready, rule_bot

space_move = rule_bot(SPACE, "space_move", __doc__, STARVING_HEALTH)


def create():
    return ready(space_move)
