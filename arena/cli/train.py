"""`snek train`: a thin command over ``arena.train`` (needs the ``rl`` extra for torch)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from arena.cli.common import RULESET_HELP, console, fail, game_rules, user_errors
from arena.maps import get_map

app = typer.Typer(add_completion=False, no_args_is_help=True)
NEEDS_TORCH = "snek train needs torch: pip install 'snek-arena[rl]' (a CPU build of torch is enough)"


def parse_rewards(pairs: list[str]) -> dict:
    from arena.train.config import DEFAULT_REWARDS

    rewards = dict(DEFAULT_REWARDS)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            rewards[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise ValueError(f"--reward expects name=number, e.g. food=0.05, got {pair!r}")
    return rewards


def status(row: dict) -> str:
    hardest = row["hardest"]
    win = row.get(f"train_win_{hardest}")
    parts = [f"{row['steps_per_s']:,.0f} steps/s" if row["steps_per_s"] else "evaluating",
             f"return {row['mean_return']:+.2f}" if row["mean_return"] is not None else "return -",
             f"vs {hardest} {100 * win:.0f}%" if win is not None else f"vs {hardest} -"]
    return ", ".join(parts)


def evaluation_line(row: dict) -> str | None:
    evals = {k[len("eval_win_"):]: v for k, v in row.items() if k.startswith("eval_win_") and v is not None}
    if not evals:
        return None
    return (f"step {row['steps']:,}: evaluation " +
            ", ".join(f"vs {bot} {100 * rate:.0f}%" for bot, rate in evals.items()))


@app.command()
def train(
    ruleset: str | None = typer.Option(None, help=RULESET_HELP),
    map_name: str | None = typer.Option(None, "--map", help="One of Battlesnake's maps (snek rules lists them): "
                                        "alone, training plays on the map's usual board and ruleset."),
    size: int | None = typer.Option(None, help="Square board size (default 11, or the map's usual size)."),
    width: int | None = typer.Option(None, help="Board width (overrides --size)."),
    height: int | None = typer.Option(None, help="Board height (overrides --size)."),
    snakes: int = typer.Option(2, help="Snakes per game: the learner and its opponents."),
    minutes: float | None = typer.Option(None, help="Stop after this many minutes (of this invocation)."),
    steps: int | None = typer.Option(None, help="Stop at this many learner steps in all (default 1,000,000 "
                                     "unless --minutes is given)."),
    seed: int = typer.Option(0, help="Seed: same seed, same run (one thread)."),
    out_dir: Path = typer.Option(Path("runs/train"), help="Checkpoints, metrics.csv, report.html, policy.npz."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run saved in --out-dir (its settings; "
                                "only --steps, --minutes and --threads apply)."),
    games: int = typer.Option(64, help="Games played side by side."),
    max_turns: int = typer.Option(500, help="Cut a game off after this many turns."),
    obs_format: str = typer.Option("codes", help="What the network reads: codes (one uint8 code per cell, "
                                   "one-hot on the learner's side) or planes."),
    view_radius: int | None = typer.Option(None, help="Egocentric window radius (default: half the board)."),
    reward: list[str] = typer.Option([], help="Reward name=value (win, loss, draw, food, survival)."),
    lr: float = typer.Option(3e-4, help="Adam learning rate."),
    ent_coef: float = typer.Option(0.01, help="Entropy bonus."),
    promote_at: float = typer.Option(0.6, help="Win rate over the last 100 games against the hardest unlocked "
                                     "bot that unlocks the next one."),
    eval_every: int = typer.Option(50_000, help="Learner steps between evaluations."),
    eval_games: int = typer.Option(32, help="Evaluation games against each of safe, greedy, space."),
    checkpoint_every: int = typer.Option(100_000, help="Learner steps between checkpoints."),
    threads: int = typer.Option(1, min=1, help="Torch threads (1 keeps a seeded run reproducible)."),
) -> None:
    """Train a snake policy by PPO: self-play, past versions and a curriculum of built-in bots (random up to
    space); writes checkpoints, metrics.csv, report.html and policy.npz (play it as the bot learned:OUT_DIR)."""
    with user_errors():  # every option and the folder checked first: a refusal never waits for torch's import
        from arena.registry import builtin_bots
        from arena.train.config import TrainConfig, fresh_run_dir, latest_checkpoint

        if resume:
            latest_checkpoint(out_dir)
        else:
            fresh_run_dir(out_dir)
            rules = game_rules(ruleset, map_name, size, width, height, [])
            usual_w, usual_h = get_map(map_name).default_size if map_name else (11, 11)
            config = TrainConfig(ruleset=rules.ruleset, map=map_name, width=rules.width or usual_w,
                                 height=rules.height or usual_h, snakes=snakes, seed=seed,
                                 max_turns=max_turns, obs_format=obs_format, view_radius=view_radius,
                                 rewards=parse_rewards(reward), games=games, lr=lr, ent_coef=ent_coef,
                                 promote_at=promote_at, eval_every=eval_every, eval_games=eval_games,
                                 checkpoint_every=checkpoint_every)
            config.check(set(builtin_bots()))
    try:
        import torch
    except ImportError:
        fail(NEEDS_TORCH)
    with user_errors():
        from arena.train.run import Trainer

        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(True)  # free on the CPU; a kernel without a deterministic form raises
        trainer = Trainer.resume(out_dir) if resume else Trainer(config, out_dir)
    if steps is None and minutes is None:
        steps = 1_000_000
    run(trainer, out_dir, steps, minutes)


def run(trainer, out_dir: Path, steps: int | None, minutes: float | None) -> None:
    columns = [TextColumn("[bold]train[/]"), BarColumn(), TextColumn("{task.completed:,.0f}/{task.fields[goal]}"),
               TextColumn("{task.fields[status]}"), TimeElapsedColumn()]
    goal_steps = steps if steps is not None else None
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("train", total=goal_steps, completed=trainer.counters["steps"],
                                 goal=f"{goal_steps:,} steps" if goal_steps else f"{minutes:g} min", status="starting")

        def on_update(update) -> None:
            row = update.row
            progress.update(task, completed=row["steps"], status=status(row))
            for event in update.events:
                progress.console.print(escape(event))
            line = evaluation_line(row)
            if line:
                progress.console.print(escape(line))

        reason = trainer.train(steps=steps, minutes=minutes, on_update=on_update)
    where = escape(str(out_dir))
    if reason == "interrupted":
        console.print(f"[yellow]interrupted[/]: checkpoint saved at step {trainer.saved_steps:,} in {where}/latest.pt")
        console.print(f"resume with: [bold]snek train --resume --out-dir {where}[/]", soft_wrap=True)
        raise typer.Exit(130)
    console.print(f"done ({reason}): {trainer.saved_steps:,} learner steps; policy {where}/policy.npz, "
                  f"report {where}/report.html", soft_wrap=True)
    console.print(f"play it: [bold]snek play learned:{where} safe[/]", soft_wrap=True)
