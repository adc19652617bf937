"""`snek replay import`: a game written by Battlesnake's CLI, as a snek replay that verifies and plays back."""

from __future__ import annotations

from pathlib import Path

import typer

from arena.bs_import import default_output, import_cli_game, write_imported
from arena.cli.common import console, user_errors
from arena.verify import verify


def register(replay_app: typer.Typer) -> None:
    @replay_app.command("import")
    def replay_import(
        file: Path = typer.Argument(..., help="A game written by `battlesnake play --output FILE` (JSON lines)."),
        out: Path | None = typer.Option(None, "--out", "-o",
                                        help="Replay to write (default: FILE's name with .snek.jsonl.gz)."),
    ) -> None:
        """Convert a Battlesnake CLI game into a snek replay, then verify it under our rules."""
        with user_errors():
            imported = import_cli_game(file)
            target = write_imported(imported, out or default_output(file))
        replay = imported.replay
        h = replay.header
        console.print(f"imported {len(replay.frames)} frames ({len(h['players'])} snakes, {h['ruleset']} "
                      f"{h['width']}x{h['height']}) to [bold]{target}[/]")
        for warning in imported.warnings:
            console.print(f"[yellow]warning:[/] {warning}")
        verdict = verify(replay)
        if verdict.ok:
            console.print(f"verify: [green]OK[/]; {verdict.note}")
        else:
            console.print(f"verify: [bold red]MISMATCH[/] at turn {verdict.first_bad_turn}: {verdict.detail}")
