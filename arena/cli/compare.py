"""`snek compare A B`: a thin command over ``arena.compare``."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.live import Live
from rich.text import Text

from arena.cli.common import (
    MAP_HELP,
    MAX_TIMEOUT_MS,
    RULESET_HELP,
    SIZE_HELP,
    console,
    game_rules,
    user_errors,
)
from arena.compare import CompareConfig, Comparison, run_compare

app = typer.Typer(add_completion=False, no_args_is_help=True)
REFRESH_S = 1.0
PLAIN_LINES = 10  # not a terminal: about ten status lines over --max-games


def status(c: Comparison) -> str:
    s = c.state
    return (f"{c.games} games ({c.wins} won, {c.draws} tied, {c.losses} lost by {c.names[0]}): "
            f"Elo {s.elo:+.1f} [{s.elo_low:+.1f}, {s.elo_high:+.1f}], "
            f"LLR {s.llr:.2f} in ({s.lower:.2f}, {s.upper:.2f})")


@app.command()
def compare(
    a: str = typer.Argument(..., help="The bot under test (a spec, or label=SPEC)."),
    b: str = typer.Argument(..., help="The bot to compare it with, e.g. the previous version."),
    players: int = typer.Option(2, help="Snakes per game: 2 for duels, more with --field."),
    field: str = typer.Option("", help="Comma-separated specs holding the other seats, e.g. space,space."),
    max_games: int = typer.Option(1000, help="Stop undecided after this many games."),
    elo0: float = typer.Option(0.0, help="H0: A is this many Elo stronger (or less)."),
    elo1: float = typer.Option(20.0, help="H1: A is at least this many Elo stronger."),
    alpha: float = typer.Option(0.05, help="Chance of calling A stronger when H0 holds."),
    beta: float = typer.Option(0.05, help="Chance of missing it when H1 holds."),
    ruleset: str | None = typer.Option(None, help=RULESET_HELP),
    map_name: str | None = typer.Option(None, "--map", help=MAP_HELP),
    size: int | None = typer.Option(None, help=SIZE_HELP),
    width: int | None = typer.Option(None, help="Board width (overrides --size)."),
    height: int | None = typer.Option(None, help="Board height (overrides --size)."),
    seed: int = typer.Option(0, help="Seed of the first pair: same seed, same games."),
    workers: int = typer.Option(2, help="Worker processes (1 = in this process)."),
    timeout: int = typer.Option(500, min=1, max=MAX_TIMEOUT_MS, help="Per-move timeout in milliseconds."),
    max_turns: int = typer.Option(10_000, help="Stop a game after this many turns."),
    setting: list[str] = typer.Option([], "--set", help="Ruleset setting name=value."),
    out_dir: Path | None = typer.Option(None, help="Save every game's replay here."),
    backend: Annotated[str, typer.Option(help="local or ray.")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (auto, ray://...).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress: print only the verdict.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print only the result, as JSON.")] = False,
) -> None:
    """Is A stronger than B? Paired games with seats swapped, stopped by a sequential probability ratio test."""
    with user_errors():
        rules = game_rules(ruleset, map_name, size, width, height, setting, timeout_ms=timeout, max_turns=max_turns)
        config = CompareConfig(a=a, b=b, players=players,
                               field_bots=[f.strip() for f in field.split(",") if f.strip()],
                               rules=rules, seed=seed, max_games=max_games, elo0=elo0, elo1=elo1, alpha=alpha,
                               beta=beta, workers=workers, out_dir=out_dir, backend=backend, address=address)
        config.check()
        if not console.is_terminal:
            console.width = 200
        silent = quiet or json_out
        live = Live(Text("starting..."), console=console, auto_refresh=False, transient=True) \
            if console.is_terminal and not silent else None
        shown = {"at": 0.0, "next": 0}
        step = max(1, max_games // 2 // PLAIN_LINES)

        def on_pair(c: Comparison) -> None:
            if silent:
                return
            if live:
                now = time.monotonic()
                if now - shown["at"] >= REFRESH_S:
                    shown["at"] = now
                    live.update(Text(status(c)), refresh=True)
            elif c.pairs >= shown["next"]:
                console.print(status(c))
                shown["next"] = c.pairs + step

        try:
            if live:
                live.start(refresh=True)
            try:
                result = run_compare(config, on_pair)
            finally:
                if live:
                    live.stop()
        except KeyboardInterrupt:
            console.print("[yellow]interrupted[/]")
            raise typer.Exit(130) from None
    verdict = result.verdict(elo0)
    if json_out:
        sys.stdout.write(json.dumps({"verdict": verdict, "a": result.names[0], "b": result.names[1],
                                     "games": result.games, "wins": result.wins, "draws": result.draws,
                                     "losses": result.losses, "pentanomial": result.counts,
                                     "failed_pairs": result.failed_pairs, "decided": result.stopped_early,
                                     "sprt": asdict(result.state) if result.state else None}, indent=1) + "\n")
        return
    if result.state:
        console.print(status(result))
    console.print(f"pairs by A's points (0, 1/2, 1, 3/2, 2): {result.counts}"
                  + (f"; {result.failed_pairs} pair(s) left out (a game failed)" if result.failed_pairs else ""))
    how = "SPRT decided" if result.stopped_early else f"undecided after {result.games} games (--max-games)"
    console.print(f"[bold]{verdict}[/] ({how}; H0 Elo {elo0:g}, H1 Elo {elo1:g}, alpha {alpha:g}, beta {beta:g})")
