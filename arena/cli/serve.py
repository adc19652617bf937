"""`snek serve`: the live server (a thin command over ``snek_viewer``)."""

from __future__ import annotations

import logging
from pathlib import Path

import typer
from rich.console import Console

from arena.cli.common import user_errors

app = typer.Typer(add_completion=False, no_args_is_help=True)
console = Console()


def start_server(host: str, port: int, seconds: float | None = None, **options) -> None:
    """Build the app from ``snek serve``'s options, print its URL and serve."""
    from snek_viewer.app import create_app
    from snek_viewer.serving import config_from_options, serve

    with user_errors():
        config = config_from_options(**options)
        flask_app = create_app(config, start_rooms=False)
        try:
            flask_app.extensions["snek"].open_start_rooms()
        except BaseException:
            flask_app.extensions["snek"].close()
            raise
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request on the console
    serve(flask_app, host, port, seconds,
          on_ready=lambda url: console.print(f"serving on [bold]{url}[/]  (Ctrl-C or SIGTERM stops; endless rooms "
                                             "are saved)", soft_wrap=True))


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port (0 = any free port)."),
    replays: Path = typer.Option(Path("replays"), help="Replay library: served, and finished rooms are saved here."),
    tournaments: list[Path] = typer.Option([], help="A `snek tournament --out-dir` folder (or a folder of them)."),
    bot: list[str] = typer.Option([], help="NAME=SPEC: a bot web clients may seat by NAME (any spec, yours)."),
    room: list[str] = typer.Option([], help="Open a room at start: RULESET[@MAP]:SEAT,SEAT,... ('open' = human; "
                                                 "@MAP alone: its usual ruleset) or JSON."),
    no_demo_room: bool = typer.Option(False, "--no-demo-room", help="Do not open the endless classic bot room."),
    max_rooms: int = typer.Option(64, help="Most rooms at once."),
    max_seats: int = typer.Option(16, help="Most seats per room."),
    max_spectators: int = typer.Option(1000, help="Most spectator sockets per room."),
    max_sockets: int = typer.Option(1000, min=0, help="Most websockets at once (each holds a thread; 0: no limit)."),
    max_sockets_per_address: int = typer.Option(100, min=0, help="Most websockets at once from one client "
                                                "address (0: no limit; behind a proxy, limit there)."),
    cpu_budget: float = typer.Option(0.8, min=0, help="Share of one core all rooms' turns may need together "
                                     "(estimated; a room beyond it is refused; 0: no limit)."),
    idle: float = typer.Option(300.0, help="Close a room nobody watched or played for this many seconds."),
    wait: float = typer.Option(30.0, help="Seconds a non-classic room waits for humans before `safe` fills in."),
    grace: float = typer.Option(30.0, help="Seconds a disconnected human keeps their seat (token resume)."),
    segment_turns: int = typer.Option(3000, min=0, help="Save an endless room's game as a replay part every N "
                                                         "turns (0: only when the room closes)."),
    seconds: float | None = typer.Option(None, "--seconds", help="Stop after this many seconds (tests, demos)."),
    redis: str | None = typer.Option(None, help="redis://HOST:PORT/DB: share rooms with other snek serve processes "
                                     "(pip install 'snek-arena\\[redis]')."),
) -> None:
    """Serve live rooms, replays and tournaments to browsers (docs/server.md)."""
    start_server(host, port, seconds, replays=replays, tournaments=tournaments, bots=bot, rooms=room,
                 demo_room=not no_demo_room, max_rooms=max_rooms, max_seats=max_seats,
                 max_spectators=max_spectators, cpu_budget=cpu_budget, max_sockets=max_sockets,
                 max_sockets_per_address=max_sockets_per_address, idle_s=idle, wait_s=wait, grace_s=grace,
                 redis=redis, segment_turns=segment_turns)
