"""`snek serve-bot`: any bot spec served over the Battlesnake HTTP API."""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import typer
from rich.console import Console

from arena import jsonio
from arena.cli.common import user_errors
from arena.match import COLORS
from arena.players.base import Player

app = typer.Typer(add_completion=False, no_args_is_help=True)
console = Console()
MAX_GAMES_SERVED = 256  # per-game players kept by serve-bot before the oldest is dropped
IDLE_GAME_S = 60.0  # a game with no request for this long is over (its /end never came): its player is closed
SERVE_MARGIN_MS = 60  # answer this much before Battlesnake's timeout (network and server overhead)
log = logging.getLogger("snek.serve_bot")
MAX_REQUEST_BYTES = 1 << 20  # a 25x25 board full of 16 snakes is ~100 KB; a megabyte is no game any engine sends


def move_budget_ms(timeout_ms: int, margin_ms: int, elapsed_ms: float) -> int:
    """The bot's move timeout: ``game.timeout`` less the margin and what the request already took.
    The margin is ``--margin-ms`` but at most a fifth of the timeout, so a fast game (``-t 50``)
    still leaves the bot most of its time (docs/bots.md); at least 1 ms."""
    return max(1, int(timeout_ms - min(margin_ms, timeout_ms / 5) - elapsed_ms))


def without_off_board_hazards(body: dict) -> dict:
    """The body a bot is shown: hazard entries off the board removed.  Battlesnake's ``snail_mode``
    map keeps its state as off-board hazards; no head can reach them, so the game is the same, and a
    bot that indexes a grid by a hazard's point cannot misread one."""
    board = body["board"]
    width, height = board["width"], board["height"]
    hazards = board["hazards"]
    on = [p for p in hazards if 0 <= p["x"] < width and 0 <= p["y"] < height]
    return body if len(on) == len(hazards) else {**body, "board": {**board, "hazards": on}}


@dataclass
class Incoming:
    """A request body that is the API's shape; ``shown`` is what the bot sees, ``outside`` why our
    engine cannot hold it (None: it can)."""

    body: dict
    shown: dict
    outside: str | None


@dataclass
class Seat:
    """What serve-bot keeps for one (game, snake): the player, its last move, when it was last asked."""

    player: Player
    last_move: str = "up"
    seen: float = field(default_factory=time.monotonic)


class Seats:
    """The (game, snake) seats being served: at most ``limit``, the least recently used closed first,
    and every seat idle for ``idle_s`` closed by a reaper thread — Battlesnake's engine does not
    always send ``/end`` (a restart, a crash), and each seat may hold a process."""

    def __init__(self, make: Callable[[], Player], limit: int = MAX_GAMES_SERVED, idle_s: float = IDLE_GAME_S) -> None:
        self.make, self.limit, self.idle_s = make, limit, idle_s
        self._seats: OrderedDict[tuple[str, str], Seat] = OrderedDict()
        self._lock = threading.Lock()
        threading.Thread(target=self._reap_forever, name="snek-serve-reaper", daemon=True).start()

    def __len__(self) -> int:
        return len(self._seats)

    def get(self, key: tuple[str, str], create: bool = True) -> Seat | None:
        evicted = []
        with self._lock:
            seat = self._seats.get(key)
            if seat is None and create:
                seat = self._seats[key] = Seat(self.make())
                while len(self._seats) > self.limit:
                    evicted.append(self._seats.popitem(last=False))
            if seat is not None:
                seat.seen = time.monotonic()
                self._seats.move_to_end(key)
        self._close(evicted, f"more than {self.limit} games at once")
        return seat

    def pop(self, key: tuple[str, str]) -> Seat | None:
        with self._lock:
            return self._seats.pop(key, None)

    def reap(self) -> None:
        now = time.monotonic()
        with self._lock:
            idle = [(k, s) for k, s in self._seats.items() if now - s.seen > self.idle_s]
            for k, _ in idle:
                del self._seats[k]
        self._close(idle, f"idle for {self.idle_s:g} s")

    def _reap_forever(self) -> None:
        while True:
            time.sleep(min(max(self.idle_s / 4, 0.05), 5.0))
            self.reap()

    @staticmethod
    def _close(seats: list[tuple[tuple[str, str], Seat]], why: str) -> None:
        for (game, snake), seat in seats:
            log.warning("game %s snake %s reaped (%s): its player is closed", game, snake, why)
            seat.player.close()


def bot_app(spec: str, color: str | None = None, max_games: int = MAX_GAMES_SERVED, idle_s: float = IDLE_GAME_S,
            margin_ms: int = SERVE_MARGIN_MS):
    """A Flask app serving one bot spec over the Battlesnake HTTP API.

    Why one player per (game, snake): a spec may be a stateful stdio process or object, and
    Battlesnake may send several games (or several copies of our snake in one game) at once.
    """
    from flask import Flask, jsonify, request
    from werkzeug.exceptions import HTTPException

    from arena import __version__
    from arena.battlesnake import RequestError, check_request
    from arena.bs_fallback import fallback_move
    from arena.players.spec import load_player

    probe = load_player(spec)  # fails fast on a bad spec, and gives the name for GET /
    name = probe.name
    color = color or probe.color or COLORS[zlib.crc32(name.encode()) % len(COLORS)]
    probe.close()
    # every answer must leave by its budget even when the bot is slow: no inline calls here
    seats = Seats(lambda: load_player(spec, inline=False), max_games, idle_s)
    flask_app = Flask("snek-serve-bot")
    flask_app.extensions["snek-seats"] = seats
    flask_app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES

    def read_body(route: str) -> Incoming:
        """The request's Battlesnake body: refused (``RequestError``, a 400) only if it is not the API's
        shape; checked against what our engine models (``Request.outside``) otherwise."""
        try:
            body = jsonio.loads(request.get_data(cache=False))
        except (ValueError, RecursionError):
            raise RequestError("the request body is not JSON") from None
        on_board = route != "end"  # /end's `you` may be dead, and no snake may be left
        check_request(body, complete=True, you_on_board=on_board, modelled=False)
        shown = without_off_board_hazards(body)
        outside = None
        if on_board:
            try:
                check_request(shown, complete=True, you_on_board=True)
            except RequestError as exc:
                outside = str(exc)
        return Incoming(body, shown, outside)

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

    @flask_app.get("/")
    def info():
        return jsonify(apiversion="1", author="snek-arena", name=name, color=color,
                       head="default", tail="default", version=__version__)

    @flask_app.post("/start")
    def start():
        req = read_body("start")
        if req.outside:
            log.warning("%s: outside what snek-arena models (%s): its moves are answered by the fallback",
                        where(req.body), req.outside)
            return "ok"
        try:
            seats.get(key(req.body)).player.start(req.shown)
        except Exception as exc:  # the bot's bug: Battlesnake ignores /start's answer, we log it
            log.warning("%s: start crashed: %s: %s", where(req.body), type(exc).__name__, exc)
        return "ok"

    @flask_app.post("/move")
    def move():
        arrived = time.perf_counter()
        req = read_body("move")
        body = req.body
        if req.outside:  # a request the engine can send but our rules cannot hold: still a legal move
            answer = fallback_move(body)
            seat = seats.get(key(body), create=False)  # no player is started for a game the bot cannot play
            if seat is not None:
                seat.last_move = answer
            log.warning("%s: outside what snek-arena models (%s); answered %s (fallback)", where(body),
                        req.outside, answer)
            return jsonify(move=answer)
        seat = seats.get(key(body))
        elapsed = (time.perf_counter() - arrived) * 1000
        result = seat.player.move(req.shown, move_budget_ms(body["game"]["timeout"], margin_ms, elapsed))
        if result.error:  # answer as the engine would treat a bad answer: the last move again
            log.warning("%s: %s after %s ms; answered %s", where(body), result.error, result.latency_ms,
                        result.move or seat.last_move)
        seat.last_move = result.move or seat.last_move
        answer = {"move": seat.last_move}
        if result.shout:
            answer["shout"] = result.shout
        return jsonify(answer)

    @flask_app.post("/end")
    def end():
        req = read_body("end")
        seat = seats.pop(key(req.body))
        if seat is not None:
            try:
                seat.player.end(req.shown)
            except Exception as exc:  # as for /start
                log.warning("%s: end crashed: %s: %s", where(req.body), type(exc).__name__, exc)
            seat.player.close()
        return "ok"

    return flask_app


@app.command("serve-bot")
def serve_bot(
    bot: str = typer.Argument(..., help="Bot spec to serve (built-in name, module:attr, file.py:attr, "
                                       "'cmd:...', learned:PATH)."),
    port: int = typer.Option(8001, min=1, max=65535, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Address to bind (0.0.0.0 to accept other machines)."),
    color: str | None = typer.Option(None, help="Snake color for GET / (default: one picked by name)."),
    idle_timeout: float = typer.Option(IDLE_GAME_S, help="Close a game's player after this many seconds "
                                       "without a request (its /end never came)."),
    max_games: int = typer.Option(MAX_GAMES_SERVED, help="Games (snakes) served at once; beyond, the least "
                                  "recently asked is closed."),
    margin: int = typer.Option(SERVE_MARGIN_MS, "--margin-ms", help="Answer this many milliseconds before "
                               "game.timeout (network and server overhead); at most a fifth of the timeout."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every request."),
) -> None:
    """Serve a bot over the Battlesnake HTTP API, so it can play on Battlesnake's own engine."""
    with user_errors():
        if idle_timeout <= 0 or max_games < 1 or margin < 0:
            raise ValueError("--idle-timeout and --max-games must be positive, --margin-ms not negative")
        flask_app = bot_app(bot, color, max_games, idle_timeout, margin)
    logging.basicConfig(format="%(asctime)s %(message)s", level=logging.INFO)  # late answers, reaped games
    if not verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    console.print(f"serving [bold]{bot}[/] on http://{host}:{port}  (Ctrl-C to stop)")
    try:
        flask_app.run(host=host, port=port, threaded=True)
    except OSError as exc:  # port in use, bad address
        console.print(f"[bold red]error:[/] cannot serve on {host}:{port}: {exc}")
        raise typer.Exit(2) from None
