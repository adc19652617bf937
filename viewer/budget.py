"""What a room costs this process, estimated before it opens: room creation refuses rooms the server
could not tick on time.

Every room's turns share one process and its one GIL, so together they can use at most one core:
a room whose bots need more than that (a 16-snake ``search`` room on 25×25 needs ~0.6 s of CPU per
turn, three times its 200 ms tick) would make every room late.  Each room is given an estimate, in
cores: (the turn's own work + every seat's move) / the tick.  A move's cost is a bot's measured
milliseconds per move with its seat's share of the frame (rooms of 4 and 16 snakes on 24×24 and 25×25,
and ``benchmarks/bots.py`` on 11×11 and 25×25, on a 2-core machine; docs/server.md), flat plus per
board cell;
rooms are admitted while their sum stays within ``ServerConfig.cpu_budget`` (``--cpu-budget``).

The estimate is a gate, not a promise: at run time the scheduler demotes a room whose turns take too
long on its thread, and the match holds every bot to the turn's deadline (``snek_viewer.scheduler``,
``arena.match``).
"""

from __future__ import annotations

from arena.players import load_player
from arena.rules import RULESETS
from snek_viewer.seats import FILL_BOT, SeatRules

TURN_MS = 0.5  # the engine's step, the frame's JSON and its hand-over to the hub, per turn
MOVE_MS = {  # built-in bot -> (ms per move, ms per board cell per move); a seat's share of the frame included
    "random": (0.05, 0.0),
    "safe": (0.05, 0.0),
    "greedy": (0.06, 0.0),
    "space": (0.05, 0.00004),  # its flood fills grow with the board a little
    # a node budget, not the board, bounds it; measured with its 32,768-node budget (issue 17) on this 2-core
    # machine under load: 20.0 ms of server CPU a turn more than rooms of 4 random (20.7 against 0.7 ms) in
    # classic 24x24 rooms of one search and 3 random (load 4.4-6.2; ``benchmarks/load_server.py rooms
    # --rooms 3 --bots search,random,random,random``), and ``benchmarks/bots.py``: 15-34 ms of CPU a move
    # on average in its 4-snake games (34 ms on 11x11, where the budget is largest; p90 ~70 ms of wall
    # time), 3-29 ms in its duels.  The estimate takes the largest mean.
    "search": (35.0, 0.0),
}
HUMAN_MS = 0.01  # a buffered move
OUT_OF_PROCESS_MS = 0.2  # a subprocess or HTTP bot works elsewhere; the server only waits and parses
UNKNOWN_PYTHON_MS = 5.0  # an operator's in-process bot (``pkg.mod:attr``): nothing to go by


def move_ms(bot: str | None, cells: int, rules: SeatRules, classic: bool) -> float:
    """One move of a seat's player, in ms of this process's CPU."""
    if bot is None:  # a human; outside classic an empty seat is filled by a bot when the room starts
        return HUMAN_MS if classic else move_ms(FILL_BOT, cells, rules, classic)
    if bot in rules.operator_bots:
        player = load_player(rules.operator_bots[bot], name=bot)  # lazy: nothing is started
        try:
            return OUT_OF_PROCESS_MS if player.kind in ("stdio", "http") else UNKNOWN_PYTHON_MS
        finally:
            player.close()
    flat, per_cell = MOVE_MS.get(bot, (UNKNOWN_PYTHON_MS, 0.0))
    return flat + per_cell * cells


def room_cost(ruleset: str, width: int | None, height: int | None, seats: tuple, tick_ms: int,
              rules: SeatRules) -> float:
    """The share of one core a room needs to play every turn on time (estimated)."""
    default = RULESETS[ruleset].default_size
    cells = (width or default[0]) * (height or default[1])
    classic = RULESETS[ruleset].classic
    return (TURN_MS + sum(move_ms(bot, cells, rules, classic) for bot in seats)) / tick_ms
