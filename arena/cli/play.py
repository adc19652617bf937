"""`snek play`, `snek replay show|verify`, `snek rules`, `snek demo`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from arena.cli.common import (
    MAP_HELP,
    MAX_TIMEOUT_MS,
    RULESET_HELP,
    SIZE_HELP,
    console,
    frame_delay,
    game_rules,
    user_errors,
)
from arena.engine import Engine
from arena.game_choice import check_map_snakes
from arena.maps import MAPS
from arena.match import Match, MatchConfig
from arena.render import frame_view, header_styles, safe_style
from arena.replay import open_replay
from arena.rules import RULESETS
from arena.state import MAX_SNAKES
from arena.verify import verify

VERIFY_CUT_SHORT = 3  # `snek replay verify`: a verified prefix, not a whole game (0 is only for a whole game)


def results_table(result: dict, header: dict) -> Table:
    names, colors = header_styles(header)
    table = Table(title=f"result after {result['turns']} turns"
                  + (" (max turns)" if result.get("reason") == "max-turns" else ""))
    for column in ("rank", "snake", "died"):
        table.add_column(column)
    for place in result["placements"]:
        name = Text(names.get(place["id"], place["id"]), style=safe_style(colors.get(place["id"])))
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
    delay = frame_delay(fps)
    engine = Engine(config.ruleset, config.width, config.height, config.settings, map=config.map)  # before bots start
    ruleset = engine.ruleset
    check_map_snakes(engine, len(bots))
    if len(bots) < ruleset.min_snakes:
        raise ValueError(f"ruleset {ruleset.name} needs at least {ruleset.min_snakes} snakes, got {len(bots)}")
    if len(bots) > MAX_SNAKES:
        raise ValueError(f"a game has at most {MAX_SNAKES} snakes, got {len(bots)}")
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
                if delay:
                    time.sleep(delay)

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
                                         "'cmd:<command>' (stdio), learned:PATH (a snek train policy) or an "
                                         "http(s):// URL."),
        ruleset: str | None = typer.Option(None, help=RULESET_HELP),
        map_name: str | None = typer.Option(None, "--map", help=MAP_HELP),
        size: int | None = typer.Option(None, help=SIZE_HELP),
        width: int | None = typer.Option(None, help="Board width (overrides --size)."),
        height: int | None = typer.Option(None, help="Board height (overrides --size)."),
        seed: int = typer.Option(0, help="Game seed: same seed and moves, same game."),
        timeout: int = typer.Option(500, min=1, max=MAX_TIMEOUT_MS, help="Per-move timeout in milliseconds."),
        max_turns: int = typer.Option(10_000, min=1, help="Stop the game after this many turns."),
        out: Path | None = typer.Option(None, help="Write a replay (.jsonl or .jsonl.gz)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Only print the result."),
        fps: float = typer.Option(10.0, help="Frames per second when showing the board (0 = as fast as possible)."),
        setting: list[str] = typer.Option([], "--set", help="Ruleset setting name=value, e.g. --set minimumFood=3."),
    ) -> None:
        """Play one game between bots, showing the board as it goes."""
        with user_errors():
            config = game_rules(ruleset, map_name, size, width, height, setting, seed=seed, timeout_ms=timeout,
                                max_turns=max_turns)
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
            delay = frame_delay(fps)
            with open_replay(file) as reader:
                h = reader.header
                names, colors = header_styles(h)
                if turn is not None:
                    shown = next((f for f in reader.frames if f["turn"] == turn), None)
                    if shown is None:
                        turns = f"{reader.first_turn}..{reader.last_turn}"
                        raise ValueError(f"turn {turn} is not in this replay (turns {turns})")
                    console.print(frame_view(shown, h["width"], h["height"], names, colors))
                    return
                with Live(console=console, auto_refresh=False) as live:
                    for frame in reader.frames:
                        if frame["turn"] < start:
                            continue
                        live.update(frame_view(frame, h["width"], h["height"], names, colors), refresh=True)
                        if step and sys.stdin.isatty():
                            input()
                        elif delay:
                            time.sleep(delay)
            if reader.result:
                console.print(results_table(reader.result, h))
            else:
                console.print("[yellow]replay ends without a result (game cut short)[/]")

    @replay_app.command("verify")
    def replay_verify(file: Path = typer.Argument(..., help="Replay file to re-simulate.")) -> None:
        """Re-simulate a replay from its seed and recorded moves; report the first claim that differs.

        Exit code 0: the whole game, result included, is what the rules give.  3: every frame there is
        verified, but the file ends before its result line (a game cut short, or still being written).
        1: a mismatch.  2: the file cannot be read (corrupt, not a replay)."""
        with user_errors(), open_replay(file) as reader:
            verdict = verify(reader)
            cut_short = reader.result is None
        if verdict.ok:
            extra = escape(f"; {verdict.note}" if verdict.note else "")
            if cut_short:
                console.print(f"[yellow]INCOMPLETE[/]: {verdict.turns} frames re-simulated identically, but the file "
                              f"ends before its result line (the game was cut short){extra}", soft_wrap=True)
                raise typer.Exit(VERIFY_CUT_SHORT)
            console.print(f"[green]OK[/]: {verdict.turns} frames re-simulated identically, result confirmed{extra}",
                          soft_wrap=True)
            return
        console.print(f"[bold red]MISMATCH[/] at turn {verdict.first_bad_turn}: {escape(verdict.detail)}"
                      + escape(f"; {verdict.note}" if verdict.note else ""), soft_wrap=True)
        raise typer.Exit(1)

    @app.command()
    def rules() -> None:
        """List the rulesets, their settings (defaults, ranges, what each one does) and the maps."""
        table = Table(title="rulesets")
        for column in ("ruleset", "board", "settings (default)", "description"):
            table.add_column(column)
        for r in RULESETS.values():
            settings = "\n".join(f"{name}={spec.default}" for name, spec in r.settings.items()) or "-"
            table.add_row(r.name, "x".join(map(str, r.default_size)), settings, r.description)
        console.print(table)
        console.print(settings_table())
        console.print(maps_table())

    def maps_table() -> Table:
        """Battlesnake's maps (``--map NAME``): the boards and snake counts each is played with."""
        table = Table(title=f"maps (--map NAME; {len(MAPS)} maps)")
        table.add_column("map", no_wrap=True)  # whole names: they are what --map takes
        for column in ("boards", "snakes", "rulesets", "description"):
            table.add_column(column)
        for m in MAPS.values():
            usual = "x".join(str(side) for side in m.default_size)
            sizes = m.sizes_text if len(m.sizes) == 1 else f"{m.sizes_text} (usual {usual})"
            snakes = m.snakes_text if m.min_snakes == m.max_snakes else f"{m.snakes_text} (usual {m.default_snakes})"
            description = m.description if m.implemented else f"{m.description} (not implemented yet)"
            others = [name for name in RULESETS if name not in m.rulesets]
            rulesets = ", ".join(m.rulesets) if len(m.rulesets) <= len(others) else f"all but {', '.join(others)}"
            table.add_row(m.name, sizes, snakes, rulesets, description)
        return table

    def settings_table() -> Table:
        """Each setting once (several rulesets share the food settings): default, range, meaning, rulesets."""
        table = Table(title="settings (--set NAME=VALUE)")
        for column in ("setting", "default", "range", "meaning", "rulesets"):
            table.add_column(column)
        seen: dict[str, list[str]] = {}
        for r in RULESETS.values():
            for name in r.settings:
                seen.setdefault(name, []).append(r.name)
        for name, rulesets in seen.items():
            spec = next(r.settings[name] for r in RULESETS.values() if name in r.settings)
            span = "true/false" if isinstance(spec.default, bool) else f"{spec.minimum}..{spec.maximum}"
            table.add_row(name, str(spec.default).lower() if isinstance(spec.default, bool) else str(spec.default),
                          span, spec.help, ", ".join(rulesets))
        return table
