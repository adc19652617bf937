"""Players: anything that answers a move for a Battlesnake game state within a time limit.

One interface (``Player``), several transports: in-process Python, stdio subprocess, HTTP.
A player never raises into the game loop: failures come back as a ``MoveResult`` whose
``error`` says what went wrong (``timeout``, ``crash``, ``bad-output: ...``, ``http 500``).
``load_player(spec)`` turns a bot spec string into the right one (docs/bots.md).
"""

from arena.players.base import MoveResult, Player, PythonPlayer
from arena.players.http import HttpPlayer
from arena.players.spec import builtin_player, load_player
from arena.players.stdio import StdioPlayer

__all__ = ["HttpPlayer", "MoveResult", "Player", "PythonPlayer", "StdioPlayer", "builtin_player", "load_player"]
