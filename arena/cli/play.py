"""`snek play`, `snek replay show|verify`, `snek rules`, `snek demo`."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from arena.engine import Engine
from arena.match import Match, MatchConfig
from arena.render import frame_view, header_styles
from arena.replay import ReplayError, read_replay
from arena.rules import RULESETS
from arena.verify import verify

console = Console()
err = Console(stderr=True)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn user mistakes (bad specs, settings, files) into one red line and exit code 2."""
    try:
        yield
    except (ValueError, ReplayError, OSError) as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)  # one line, brackets kept
        raise typer.Exit(2) from None


def parse_settings(pairs: list[str]) -> dict:
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"--set expects name=value, got {pair!r}")
        settings[name.strip()] = value.strip()
    return settings


def board_size(size: int | None, width: int | None, height: int | None) -> tuple[int | None, int | None]:
    return (size if width is None else width, size if height is None else height)


def results_table(result: dict, header: dict) -> Table:
    names, colors = header_styles(header)
    table = Table(title=f"result after {result['turns']} turns"
                  + (" (max turns)" if result.get("reason") == "max-turns" else ""))
    for column in ("rank", "snake", "died"):
        table.add_column(column)
    for place in result["placements"]:
        name = f"[{colors.get(place['id'], 'white')}]{names.get(place['id'], place['id'])}[/]"
        table.add_row(str(place["rank"]), name, "-" if place["death_turn"] is None else f"turn {place['death_turn']}")
    return table


def load_players(specs: list[str]) -> list:
    """Players for the given specs; on a bad spec, the ones already started are closed."""
    from arena.players.spec import load_player

    players = []
    try:
        for spec in specs:
            players.append(load_player(spec))
    except BaseException:
        for player in players:
            player.close()
        raise
    return players


def play_game(bots: list[str], config: MatchConfig, out: Path | None, quiet: bool, fps: float) -> dict:
    """Play one match, drawing the board live unless ``quiet``; returns the result line."""
    Engine(config.ruleset, config.width, config.height, config.settings)  # bad rules fail before bots start
    players = load_players(bots)
    try:
        match = Match(players, config, out)
    except BaseException:
        for player in players:
            player.close()
        raise
    if quiet:
        outcome = match.run()
    else:
        names, colors = header_styles(match.header)
        width, height = match.header["width"], match.header["height"]
        with Live(console=console, auto_refresh=False) as live:
            def show(frame: dict) -> None:
                live.update(frame_view(frame, width, height, names, colors), refresh=True)
                if fps > 0:
                    time.sleep(1 / fps)

            match.on_frame = show
            outcome = match.run()
    console.print(results_table(outcome.result, outcome.header))
    if out:
        console.print(f"replay saved to [bold]{out}[/]")
    return outcome.result


def register(app: typer.Typer) -> None:
    from arena.cli import replay_import

    replay_app = typer.Typer(no_args_is_help=True, help="Show, verify or import replay files.")
    app.add_typer(replay_app, name="replay")
    replay_import.register(replay_app)

    @app.command()
    def play(
        bots: list[str] = typer.Argument(..., help="Bot specs: a built-in name, module:attr, file.py:attr, "
                                         "'cmd:<command>' (stdio) or an http(s):// URL."),
        ruleset: str = typer.Option("standard", help=f"One of: {', '.join(RULESETS)}."),
        size: int | None = typer.Option(None, help="Square board size (default 11, classic 24)."),
        width: int | None = typer.Option(None, help="Board width (overrides --size)."),
        height: int | None = typer.Option(None, help="Board height (overrides --size)."),
        seed: int = typer.Option(0, help="Game seed: same seed and moves, same game."),
        timeout: int = typer.Option(500, help="Per-move timeout in milliseconds."),
        max_turns: int = typer.Option(10_000, help="Stop the game after this many turns."),
        out: Path | None = typer.Option(None, help="Write a replay (.jsonl or .jsonl.gz)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Only print the result."),
        fps: float = typer.Option(10.0, help="Frames per second when showing the board (0 = as fast as possible)."),
        setting: list[str] = typer.Option([], "--set", help="Ruleset setting name=value, e.g. --set minimumFood=3."),
    ) -> None:
        """Play one game between bots, showing the board as it goes."""
        with user_errors():
            w, h = board_size(size, width, height)
            if timeout <= 0 or max_turns <= 0:
                raise ValueError("--timeout and --max-turns must be positive")
            config = MatchConfig(ruleset=ruleset, width=w, height=h, settings=parse_settings(setting),
                                 seed=seed, timeout_ms=timeout, max_turns=max_turns)
            play_game(bots, config, out, quiet, fps)

    @replay_app.command("show")
    def replay_show(
        file: Path = typer.Argument(..., help="Replay file (.jsonl or .jsonl.gz)."),
        fps: float = typer.Option(8.0, help="Playback speed in frames per second."),
        turn: int | None = typer.Option(None, help="Show only this turn."),
        start: int = typer.Option(0, help="Start playback at this turn."),
        step: bool = typer.Option(False, help="Advance one turn per Enter key instead of playing."),
    ) -> None:
        """Play a replay back in the terminal."""
        with user_errors():
            replay = read_replay(file)
            h = replay.header
            names, colors = header_styles(h)
            frames = replay.frames
            first = frames[0]["turn"]
            if turn is not None:
                if not first <= turn <= frames[-1]["turn"]:
                    raise ValueError(f"turn {turn} is not in this replay (turns {first}..{frames[-1]['turn']})")
                console.print(frame_view(frames[turn - first], h["width"], h["height"], names, colors))
                return
            with Live(console=console, auto_refresh=False) as live:
                for frame in frames[max(0, start - first):]:
                    live.update(frame_view(frame, h["width"], h["height"], names, colors), refresh=True)
                    if step and sys.stdin.isatty():
                        input()
                    elif fps > 0:
                        time.sleep(1 / fps)
            if replay.result:
                console.print(results_table(replay.result, h))
            else:
                console.print("[yellow]replay ends without a result (game cut short)[/]")

    @replay_app.command("verify")
    def replay_verify(file: Path = typer.Argument(..., help="Replay file to re-simulate.")) -> None:
        """Re-simulate a replay from its seed and recorded moves; report the first differing turn."""
        with user_errors():
            verdict = verify(read_replay(file))
        if verdict.ok:
            console.print(f"[green]OK[/]: {verdict.turns} frames re-simulated identically"
                          + (f"; {verdict.note}" if verdict.note else ""))
            return
        console.print(f"[bold red]MISMATCH[/] at turn {verdict.first_bad_turn}: {verdict.detail}"
                      + (f"; {verdict.note}" if verdict.note else ""))
        raise typer.Exit(1)

    @app.command()
    def rules() -> None:
        """List the rulesets and their settings with defaults."""
        table = Table(title="rulesets")
        for column in ("ruleset", "board", "settings (default)", "description"):
            table.add_column(column)
        for r in RULESETS.values():
            settings = "\n".join(f"{name}={spec.default}" for name, spec in r.settings.items()) or "-"
            table.add_row(r.name, "x".join(map(str, r.default_size)), settings, r.description)
        console.print(table)
