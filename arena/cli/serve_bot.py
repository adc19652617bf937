"""`snek serve-bot`: any bot spec served over the Battlesnake HTTP API."""

from __future__ import annotations

import logging
import threading
import zlib
from collections import OrderedDict

import typer
from rich.console import Console

from arena.cli.play import user_errors
from arena.match import COLORS
from arena.players.base import Player

app = typer.Typer(add_completion=False, no_args_is_help=True)
console = Console()
MAX_GAMES_SERVED = 256  # per-game players kept by serve-bot before the oldest is dropped
SERVE_MARGIN_MS = 60  # answer this much before Battlesnake's timeout (network and server overhead)


def bot_app(spec: str, color: str | None = None):
    """A Flask app serving one bot spec over the Battlesnake HTTP API.

    Why one player per (game, snake): a spec may be a stateful stdio process or object, and
    Battlesnake may send several games (or several copies of our snake in one game) at once.
    """
    from flask import Flask, jsonify, request

    from arena import __version__
    from arena.players.spec import load_player

    probe = load_player(spec)  # fails fast on a bad spec, and gives the name for GET /
    name = probe.name
    color = color or probe.color or COLORS[zlib.crc32(name.encode()) % len(COLORS)]
    probe.close()
    players: OrderedDict[tuple[str, str], Player] = OrderedDict()
    last_move: dict[tuple[str, str], str] = {}
    lock = threading.Lock()
    flask_app = Flask("snek-serve-bot")

    def key(body: dict) -> tuple[str, str]:
        return str((body.get("game") or {}).get("id", "")), str((body.get("you") or {}).get("id", ""))

    def player_for(body: dict, create: bool = True) -> Player | None:
        k = key(body)
        with lock:
            player = players.get(k)
            if player is None and create:
                player = players[k] = load_player(spec)
                while len(players) > MAX_GAMES_SERVED:
                    _, old = players.popitem(last=False)
                    old.close()
        return player

    @flask_app.get("/")
    def info():
        return jsonify(apiversion="1", author="snek-arena", name=name, color=color,
                       head="default", tail="default", version=__version__)

    @flask_app.post("/start")
    def start():
        body = request.get_json(force=True, silent=True) or {}
        player_for(body).start(body)
        return "ok"

    @flask_app.post("/move")
    def move():
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict) or "you" not in body:
            return jsonify(error="expected a Battlesnake /move body"), 400
        timeout = int((body.get("game") or {}).get("timeout") or 500)
        result = player_for(body).move(body, max(20, timeout - SERVE_MARGIN_MS))
        chosen = result.move or last_move.get(key(body), "up")  # as the engine would do with a bad answer
        last_move[key(body)] = chosen
        answer = {"move": chosen}
        if result.shout:
            answer["shout"] = result.shout
        return jsonify(answer)

    @flask_app.post("/end")
    def end():
        body = request.get_json(force=True, silent=True) or {}
        player = player_for(body, create=False)
        if player is not None:
            player.end(body)
            player.close()
            with lock:
                players.pop(key(body), None)
                last_move.pop(key(body), None)
        return "ok"

    return flask_app


@app.command("serve-bot")
def serve_bot(
    bot: str = typer.Argument(..., help="Bot spec to serve (built-in name, module:attr, file.py:attr, 'cmd:...')."),
    port: int = typer.Option(8001, min=1, max=65535, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Address to bind (0.0.0.0 to accept other machines)."),
    color: str | None = typer.Option(None, help="Snake color for GET / (default: one picked by name)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every request."),
) -> None:
    """Serve a bot over the Battlesnake HTTP API, so it can play on Battlesnake's own engine."""
    with user_errors():
        flask_app = bot_app(bot, color)
    if not verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    console.print(f"serving [bold]{bot}[/] on http://{host}:{port}  (Ctrl-C to stop)")
    try:
        flask_app.run(host=host, port=port, threaded=True)
    except OSError as exc:  # port in use, bad address
        console.print(f"[bold red]error:[/] cannot serve on {host}:{port}: {exc}")
        raise typer.Exit(2) from None
