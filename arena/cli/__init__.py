"""`snek`: the command line.  Commands are thin; the work lives in the library.

This package is the one place in ``arena`` allowed to import ``bots`` and ``viewer``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from typer.exceptions import TyperException

from arena.cli import common
from arena.cli import compare as _compare
from arena.cli import play as _play
from arena.cli import serve as _serve
from arena.cli import serve_bot as _serve_bot
from arena.cli import tournament as _tournament
from arena.cli import train as _train
from arena.match import MatchConfig
from arena.replay import read_replay
from arena.verify import verify

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="snek-arena: multiplayer Snake engine, bots, arena and replays.")
_play.register(app)

app.registered_commands.extend(_serve.app.registered_commands)
app.registered_commands.extend(_serve_bot.app.registered_commands)
app.registered_commands.extend(_tournament.app.registered_commands)
app.registered_commands.extend(_compare.app.registered_commands)
app.registered_commands.extend(_train.app.registered_commands)


@app.command()
def demo(
    out_dir: Path = typer.Option(Path("out"), help="Where the demo writes its replays."),
    fps: float = typer.Option(12.0, help="Frames per second of the shown game."),
    games: int = typer.Option(24, help="Games in the short tournament that follows."),
    host: str = typer.Option("127.0.0.1", help="Address the server listens on at the end."),
    port: int = typer.Option(8000, help="Port of the server at the end (0 = any free port)."),
    serve_seconds: float | None = typer.Option(None, help="Stop the server after this many seconds "
                                               "(default: serve until Ctrl-C)."),
) -> None:
    """The main job: built-in bots play live in the terminal (replay saved and verified), a short
    tournament rates the bot ladder, then the server shows a live bot room, the library and the
    tournament in the browser."""
    with common.user_errors():
        out = out_dir / "demo.jsonl.gz"
        _play.play_game(["search", "space", "greedy", "safe"], MatchConfig(seed=7), out, quiet=False, fps=fps)
        verdict = verify(read_replay(out, require_result=True))
        status = "[green]OK[/]" if verdict.ok else f"[red]MISMATCH[/] {verdict.detail}"
        common.console.print(f"verify {out}: {status}")
    _tournament.tournament(bots=["random", "safe", "greedy", "space", "learned"], games=games, players=4,
                           ruleset="standard", map_name=None, size=None, width=None, height=None, seed=0, workers=2,
                           timeout=500, max_turns=10_000, out_dir=out_dir / "tournament", setting=[])
    common.console.print(f"watch it again: [bold]snek replay show {out}[/], or in the browser:")
    _serve.start_server(host, port, serve_seconds, replays=out_dir, tournaments=[out_dir / "tournament"], bots=[],
                        rooms=[], demo_room=True)


def main() -> None:
    """Run `snek`.  Usage errors (an unknown option, a bad value, a missing argument) are one red
    line and exit code 2, like every other user mistake; Typer's own are framed boxes."""
    try:
        code = app(standalone_mode=False)
    except TyperException as exc:
        message = exc.format_message()  # empty when the help was shown instead (no arguments)
        if message:
            ctx = getattr(exc, "ctx", None)
            common.red_line(message + (f" (see '{ctx.command_path} --help')" if ctx else ""))
        sys.exit(getattr(exc, "exit_code", 2))
    except typer.Abort:
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
