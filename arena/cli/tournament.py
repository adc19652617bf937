"""`snek tournament`: a thin command over ``arena.tournament``."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from arena.cli.play import board_size, parse_settings, user_errors
from arena.engine import Engine
from arena.match import MatchConfig
from arena.rules import RULESETS
from arena.tournament import GameRecord, Leaderboard, TournamentConfig, run_tournament

app = typer.Typer(add_completion=False, no_args_is_help=True)
console = Console()


def leaderboard_table(board: Leaderboard, title: str) -> Table:
    table = Table(title=title)
    for column, justify in (("#", "right"), ("bot", "left"), ("rating", "right"), ("mu", "right"),
                            ("sigma", "right"), ("games", "right"), ("wins", "right"), ("win %", "right"),
                            ("avg place", "right"), ("errors", "right")):
        table.add_column(column, justify=justify, no_wrap=column == "bot")
    for i, s in enumerate(board.standings(), 1):
        table.add_row(str(i), s.name, f"{s.ordinal:.2f}", f"{s.mu:.2f}", f"{s.sigma:.2f}", str(s.games), str(s.wins),
                      f"{100 * s.wins / s.games:.0f}" if s.games else "-", f"{s.avg_place:.2f}", str(s.errors))
    return table


@app.command()
def tournament(
    bots: list[str] = typer.Argument(..., help="Bot specs: a built-in name, module:attr, file.py:attr, "
                                     "'cmd:<command>' (stdio) or an http(s):// URL."),
    games: int = typer.Option(200, help="Number of games."),
    players: int = typer.Option(4, help="Snakes per game (free-for-all); every bot if there are fewer."),
    ruleset: str = typer.Option("standard", help=f"One of: {', '.join(RULESETS)}."),
    size: int | None = typer.Option(None, help="Square board size (default 11, classic 24)."),
    width: int | None = typer.Option(None, help="Board width (overrides --size)."),
    height: int | None = typer.Option(None, help="Board height (overrides --size)."),
    seed: int = typer.Option(0, help="Tournament seed: same seed, same schedule and games."),
    workers: int = typer.Option(2, help="Worker processes playing games in parallel (1 = in this process)."),
    timeout: int = typer.Option(500, help="Per-move timeout in milliseconds."),
    max_turns: int = typer.Option(10_000, help="Stop a game after this many turns."),
    out_dir: Path | None = typer.Option(None, help="Save every replay, results.jsonl and leaderboard.txt here."),
    setting: list[str] = typer.Option([], "--set", help="Ruleset setting name=value, e.g. --set minimumFood=3."),
) -> None:
    """Play many seeded games among bots and rate them with OpenSkill (Plackett-Luce)."""
    began = time.perf_counter()
    with user_errors():
        w, h = board_size(size, width, height)
        rules = MatchConfig(ruleset=ruleset, width=w, height=h, settings=parse_settings(setting),
                            timeout_ms=timeout, max_turns=max_turns)
        config = TournamentConfig(bots=list(bots), games=games, players_per_game=players, rules=rules, seed=seed,
                                  workers=workers, out_dir=out_dir)
        config.check()
        progress = Progress(TextColumn("[bold]games"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("eta"), TimeRemainingColumn(), console=console)
        task = progress.add_task("games", total=games)
        state: dict = {"board": None}

        def view(board: Leaderboard | None):
            return Group(progress, leaderboard_table(board, "leaderboard")) if board else progress

        with Live(view(None), console=console, refresh_per_second=4, transient=True) as live:
            def on_game(record: GameRecord, board: Leaderboard) -> None:
                state["board"] = board
                progress.advance(task)
                live.update(view(board))

            try:
                board = run_tournament(config, on_game)
            except KeyboardInterrupt:
                board = state["board"]
                live.stop()
                console.print(f"[yellow]interrupted after {board.played if board else 0} games[/]")
                if board:
                    console.print(leaderboard_table(board, "leaderboard (partial)"))
                raise typer.Exit(130) from None
    seconds = time.perf_counter() - began
    g = Engine(ruleset, w, h).geometry
    title = f"{board.played} games, {ruleset} {g.width}x{g.height}, {min(players, len(bots))} per game, seed {seed}"
    table = leaderboard_table(board, title)
    console.print(table)
    command = "snek " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    console.print(f"played in {seconds:.0f} s with {workers} worker(s)")
    if out_dir:
        with open(out_dir / "leaderboard.txt", "w", encoding="utf-8") as handle:
            handle.write(f"$ {command}\n")  # verbatim: no wrapping, no markup
            Console(file=handle, width=120, color_system=None).print(table)
        console.print(f"replays, results.jsonl and leaderboard.txt saved in [bold]{out_dir}[/]")
