"""`greedy`: walk the shortest path to the nearest food, avoiding moves that die at once or risk
a head-on with a snake at least as long.  It never looks at how much room a path leaves, which
is why it loses to `space`.  The rule is compiled (``arena.heuristics.greedy``)."""

from __future__ import annotations

from arena.heuristics import GREEDY
from snek_bots.common import ready, rule_bot

greedy_move = rule_bot(GREEDY, "greedy_move", __doc__)


def create():
    return ready(greedy_move)
