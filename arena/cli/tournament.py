"""`snek tournament`: a thin command over ``arena.tournament``: progress, tables, files."""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from arena.cli.common import MAP_HELP, MAX_TIMEOUT_MS, RULESET_HELP, SIZE_HELP, game_rules, user_errors
from arena.engine import Engine
from arena.game_choice import usual_snakes
from arena.report import summary
from arena.standings import Leaderboard
from arena.tournament import GameRecord, TournamentConfig, TournamentInterrupted, run_tournament

app = typer.Typer(add_completion=False, no_args_is_help=True)
console = Console()
REFRESH_S = 1.0  # the live view redraws at most once a second
DEFAULT_PLAYERS = 4

PLAIN_WIDTH = 200  # a pipe or file gets whole lines, not a table folded to 80 columns
COLUMNS = (("#", "right"), ("bot", "left"), ("rating", "right"), ("mu", "right"), ("sigma", "right"),
           ("games", "right"), ("wins", "right"), ("win % (95% CI)", "right"), ("place", "right"),
           ("length", "right"), ("turns", "right"), ("usual death", "left"), ("errors", "right"),
           ("timeouts", "right"), ("ms", "right"), ("p95 ms", "right"))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def leaderboard_table(board: Leaderboard, title: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD)
    for column, justify in COLUMNS:
        table.add_column(column, justify=justify, no_wrap=column == "bot")
    for i, s in enumerate(board.standings(), 1):
        win = f"{100 * s.win_rate:.0f} ({100 * s.win_low:.0f}-{100 * s.win_high:.0f})" if s.games else "-"
        table.add_row(str(i), s.name, f"{s.ordinal:.2f}", f"{s.mu:.2f}", f"{s.sigma:.2f}", str(s.games), str(s.wins),
                      win, f"{s.avg_place:.2f}", f"{s.avg_length:.1f}", f"{s.avg_turns:.0f}", s.death, str(s.errors),
                      str(s.timeouts), _ms(s.latency_ms), _ms(s.latency_p95_ms))
    return table


def head_to_head_table(board: Leaderboard) -> Table:
    """Row bot finished ahead of column bot: percent and counts, in games both played."""
    order = [board.names.index(s.name) for s in board.standings()]
    table = Table(title="head to head: how often the row's bot finished ahead of the column's", box=box.SIMPLE_HEAD)
    table.add_column("", no_wrap=True)
    for b in order:
        table.add_column(board.names[b], justify="right")
    for a in order:
        cells = []
        for b in order:
            n = board.together[a][b]
            cells.append("-" if a == b or not n else f"{100 * board.ahead[a][b] / n:.0f}% {board.ahead[a][b]}/{n}")
        table.add_row(board.names[a], *cells)
    return table


class GamesPerSecond(ProgressColumn):
    def render(self, task) -> Text:
        return Text(f"{task.speed or 0:.1f} games/s")


class Display:
    """How the run shows while it goes: live (terminal), plain lines (pipe, file) or nothing."""

    def __init__(self, total: int, mode: str) -> None:
        self.mode, self.total = mode, total
        self.board: Leaderboard | None = None
        self.next_line = 0
        self.shown_at = 0.0
        self.progress = Progress(TextColumn("[bold]games"), BarColumn(), MofNCompleteColumn(), GamesPerSecond(),
                                 TextColumn("eta"), TimeRemainingColumn(), console=console)
        self.task = self.progress.add_task("games", total=total)
        self.live = Live(self.progress, console=console, auto_refresh=False, transient=True) if mode == "live" else None

    def __enter__(self) -> Display:
        if self.live:
            self.live.start(refresh=True)
        return self

    def __exit__(self, *exc) -> None:
        if self.live:
            self.live.stop()

    def on_game(self, record: GameRecord, board: Leaderboard) -> None:
        self.board = board
        done = board.played + len(board.failed)
        self.progress.update(self.task, completed=done)
        if self.mode == "live":
            now = time.monotonic()
            if now - self.shown_at >= REFRESH_S or done == self.total:
                self.shown_at = now
                self.live.update(Group(self.progress, leaderboard_table(board, "leaderboard")), refresh=True)
        elif self.mode == "lines" and done >= self.next_line:
            console.print(f"games {done}/{self.total}")
            self.next_line = done + max(1, self.total // 10)


def resume_command() -> str:
    args = sys.argv[1:]
    return "snek " + " ".join(shlex.quote(a) for a in args + ([] if "--resume" in args else ["--resume"]))


@app.command()
def tournament(
    bots: list[str] = typer.Argument(..., help="Bot specs: a built-in name, module:attr, file.py:attr, "
                                     "'cmd:<command>' (stdio), learned:PATH or an http(s):// URL; "
                                     "label=SPEC names one."),
    games: int = typer.Option(200, help="Number of games."),
    players: int | None = typer.Option(None, help="Snakes per game (free-for-all; default 4, or the map's usual "
                                       "count); every bot if there are fewer."),
    ruleset: str | None = typer.Option(None, help=RULESET_HELP),
    map_name: str | None = typer.Option(None, "--map", help=MAP_HELP),
    size: int | None = typer.Option(None, help=SIZE_HELP),
    width: int | None = typer.Option(None, help="Board width (overrides --size)."),
    height: int | None = typer.Option(None, help="Board height (overrides --size)."),
    seed: int = typer.Option(0, help="Tournament seed: same seed, same schedule and games."),
    workers: int = typer.Option(2, help="Worker processes playing games in parallel (1 = in this process)."),
    timeout: int = typer.Option(500, min=1, max=MAX_TIMEOUT_MS, help="Per-move timeout in milliseconds."),
    max_turns: int = typer.Option(10_000, help="Stop a game after this many turns."),
    out_dir: Path | None = typer.Option(None, help="Save replays, results.jsonl, results.json, leaderboard.csv, "
                                        "leaderboard.txt and report.html here."),
    setting: list[str] = typer.Option([], "--set", help="Ruleset setting name=value, e.g. --set minimumFood=3."),
    resume: Annotated[bool, typer.Option("--resume", help="Continue the interrupted tournament in --out-dir: "
                                         "finished games are kept, the rest played.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only the final table.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print only the summary, as JSON, on stdout.")] = False,
    backend: Annotated[str, typer.Option(help="local (processes on this machine) or ray.")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster to use (auto, ray://host:10001); "
                                                "default: start a local Ray.")] = None,
) -> None:
    """Play many seeded games among bots and rate them with OpenSkill (Plackett-Luce)."""
    began = time.perf_counter()
    with user_errors():
        rules = game_rules(ruleset, map_name, size, width, height, setting, timeout_ms=timeout, max_turns=max_turns)
        players = usual_snakes(players, map_name, DEFAULT_PLAYERS)
        config = TournamentConfig(bots=list(bots), games=games, players_per_game=players, rules=rules, seed=seed,
                                  workers=workers, out_dir=out_dir, resume=resume, backend=backend, address=address)
        config.check()
        if not console.is_terminal:
            console.width = PLAIN_WIDTH
        mode = "none" if quiet or json_out else "live" if console.is_terminal else "lines"
        try:
            with Display(games, mode) as display:
                board = run_tournament(config, display.on_game)
        except TournamentInterrupted as stop:
            board = stop.board
            console.print(f"[yellow]interrupted: {stop.saved} finished games kept[/]")
            if board.played:
                console.print(leaderboard_table(board, "leaderboard (partial)"))
            if out_dir:
                console.print(f"resume with: [bold]{resume_command()}[/]", soft_wrap=True)
            else:
                console.print("nothing was saved: run with --out-dir to be able to resume")
            raise typer.Exit(130) from None
    if json_out:
        sys.stdout.write(json.dumps(summary(board, config), indent=1) + "\n")
        return
    seconds = time.perf_counter() - began
    g = Engine(rules.ruleset, rules.width, rules.height, rules.settings, map=map_name).geometry
    on = f" on map {map_name}" if map_name else ""
    title = f"{board.played} games, {rules.ruleset}{on} {g.width}x{g.height}, {config.seats} per game, seed {seed}"
    table = leaderboard_table(board, title)
    console.print(table)
    if board.failed:
        console.print(f"[red]{len(board.failed)} game(s) could not be played[/] (first: game {board.failed[0][0]}: "
                      f"{board.failed[0][1]})")
    if quiet:
        return
    console.print(head_to_head_table(board))
    console.print(f"played in {seconds:.0f} s with {workers} worker(s)")
    if out_dir:
        command = "snek " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        with open(out_dir / "leaderboard.txt", "w", encoding="utf-8") as handle:
            handle.write(f"$ {command}\n")  # verbatim: no wrapping, no markup
            Console(file=handle, width=PLAIN_WIDTH, color_system=None).print(table)
        console.print(f"replays, results.jsonl, results.json, leaderboard.csv, leaderboard.txt and report.html "
                      f"saved in [bold]{out_dir}[/]")
