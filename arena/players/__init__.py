"""Players: anything that answers a move for a Battlesnake game state within a time limit.

One interface (``Player``), several transports: in-process Python, stdio subprocess, HTTP.
A player never raises into the game loop: failures come back as a ``MoveResult`` whose
``error`` says what went wrong (``timeout``, ``crash``, ``bad-output: ...``, ``http 500``).
"""

from arena.players.base import MoveResult, Player, PythonPlayer

__all__ = ["MoveResult", "Player", "PythonPlayer"]
