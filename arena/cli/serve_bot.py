"""`snek serve-bot`: any bot spec served over the Battlesnake HTTP API."""

from __future__ import annotations

import json
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
MAX_REQUEST_BYTES = 1 << 20  # a 25x25 board with 16 long snakes is a few hundred KB; more is not a game


def bot_app(spec: str, color: str | None = None):
    """A Flask app serving one bot spec over the Battlesnake HTTP API.

    Why one player per (game, snake): a spec may be a stateful stdio process or object, and
    Battlesnake may send several games (or several copies of our snake in one game) at once.
    """
    from flask import Flask, jsonify, request
    from werkzeug.exceptions import HTTPException

    from arena import __version__
    from arena.battlesnake import RequestError, check_request
    from arena.players.spec import load_player

    probe = load_player(spec)  # fails fast on a bad spec, and gives the name for GET /
    name = probe.name
    color = color or probe.color or COLORS[zlib.crc32(name.encode()) % len(COLORS)]
    probe.close()
    players: OrderedDict[tuple[str, str], Player] = OrderedDict()
    last_move: dict[tuple[str, str], str] = {}
    lock = threading.Lock()
    flask_app = Flask("snek-serve-bot")
    flask_app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    log = flask_app.logger

    def read_body(you_on_board: bool) -> dict:
        """The request's Battlesnake body, checked field by field (``RequestError``: a 400)."""
        try:
            body = json.loads(request.get_data(cache=False))
        except (ValueError, RecursionError):
            raise RequestError("the request body is not JSON") from None
        check_request(body, complete=True, you_on_board=you_on_board)
        return body

    @flask_app.errorhandler(RequestError)
    def bad_body(exc: RequestError):
        return jsonify(error=str(exc)), 400

    @flask_app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # 413 (too large), 404, 405: JSON like every other answer
        if exc.code == 413:
            return jsonify(error=f"request body over {MAX_REQUEST_BYTES} bytes"), 413
        return jsonify(error=exc.description), exc.code

    def where(body: dict) -> str:
        return f"game {body['game']['id']} turn {body['turn']} snake {body['you']['id']}"

    def key(body: dict) -> tuple[str, str]:
        return body["game"]["id"], body["you"]["id"]

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
        body = read_body(you_on_board=True)
        try:
            player_for(body).start(body)
        except Exception as exc:  # the bot's bug: Battlesnake ignores /start's answer, we log it
            log.warning("%s: start crashed: %s: %s", where(body), type(exc).__name__, exc)
        return "ok"

    @flask_app.post("/move")
    def move():
        body = read_body(you_on_board=True)
        timeout = body["game"]["timeout"]
        result = player_for(body).move(body, max(20, timeout - SERVE_MARGIN_MS))
        chosen = result.move or last_move.get(key(body), "up")  # as the engine would do with a bad answer
        if result.error:
            log.warning("%s: %s; answered %s", where(body), result.error, chosen)
        last_move[key(body)] = chosen
        answer = {"move": chosen}
        if result.shout:
            answer["shout"] = result.shout
        return jsonify(answer)

    @flask_app.post("/end")
    def end():
        body = read_body(you_on_board=False)
        player = player_for(body, create=False)
        if player is not None:
            try:
                player.end(body)
            except Exception as exc:  # as for /start
                log.warning("%s: end crashed: %s: %s", where(body), type(exc).__name__, exc)
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
