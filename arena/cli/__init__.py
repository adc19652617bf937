"""`snek`: the command line.  Commands are thin; the work lives in the library.

This package is the one place in ``arena`` allowed to import ``bots`` and ``viewer``.
"""

from __future__ import annotations

import typer

from arena.cli import bots as _bots
from arena.cli import play as _play

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="snek-arena: multiplayer Snake engine, bots, arena and replays.")
_play.register(app)

app.registered_commands.extend(_bots.app.registered_commands)  # serve-bot, tournament


def main() -> None:
    app()
