"""A training run's settings, checked once, saved in every checkpoint (``--resume`` reads them back)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from arena.engine import Engine
from arena.env.core import Rewards
from arena.train.inputs import INPUTS

#: The curriculum's ladder of built-in bots, weakest first (``snek train`` climbs it).
CURRICULUM = ("random", "safe", "greedy", "space")
#: Shaping that teaches a beginner to eat and not to die; outcomes still dominate.
#: A run folder's files beside ``checkpoints/``: the checkpoint ``--resume`` reads and the metrics.
LATEST, METRICS = "latest.pt", "metrics.csv"
DEFAULT_REWARDS = {"win": 1.0, "loss": -1.0, "draw": 0.0, "food": 0.03, "survival": 0.002}


@dataclass
class TrainConfig:
    ruleset: str = "standard"
    map: str | None = None  # one of Battlesnake's maps (arena.maps); None: the ruleset's own board
    width: int = 11
    height: int = 11
    snakes: int = 2  # per game: seat 0 learns, the others are drawn from the opponent pool
    max_turns: int = 500
    seed: int = 0
    obs_format: str = "codes"
    view_radius: int | None = None  # default: half the larger board side
    rewards: dict = field(default_factory=lambda: dict(DEFAULT_REWARDS))
    # PPO
    games: int = 64  # games stepped together (the vector env's batch)
    rollout: int = 64  # env steps per update
    epochs: int = 3
    minibatch: int = 1024
    lr: float = 3e-4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    conv: tuple[int, ...] = (32, 16)
    hidden: int = 128
    # opponents: self-play, past checkpoints, built-in bots (a curriculum over CURRICULUM)
    curriculum: tuple[str, ...] = CURRICULUM
    self_play: float = 0.2  # share of opponent seats played by the learner itself
    past: float = 0.15  # share played by frozen past versions (once there are any)
    pool_size: int = 5  # past versions kept
    pool_every: int = 20  # updates between two past versions
    promote_at: float = 0.6  # win rate against the hardest unlocked bot (last promote_games) to unlock the next
    promote_games: int = 100
    # bookkeeping
    eval_every: int = 50_000  # learner steps between evaluations
    eval_games: int = 32  # games against each evaluation bot
    eval_bots: tuple[str, ...] = ("safe", "greedy", "space")
    checkpoint_every: int = 100_000  # learner steps between checkpoints

    @property
    def radius(self) -> int:
        return max(self.width, self.height) // 2 if self.view_radius is None else self.view_radius

    def check(self, bots: set[str]) -> None:
        """Every value that could make the run fail later fails here, as one ValueError."""
        Engine(self.ruleset, self.width, self.height, map=self.map).new_batch([0], num_snakes=self.snakes)
        if self.obs_format not in INPUTS:
            raise ValueError(f"cannot train on obs_format {self.obs_format!r} (choose from {', '.join(INPUTS)})")
        Rewards.of(self.rewards)
        for name in (*self.curriculum, *self.eval_bots):
            if name not in bots:
                raise ValueError(f"unknown bot {name!r} (built-in bots: {', '.join(sorted(bots))})")
        positive = {"games": self.games, "rollout": self.rollout, "epochs": self.epochs,
                    "minibatch": self.minibatch, "pool_size": self.pool_size, "pool_every": self.pool_every,
                    "eval_every": self.eval_every, "checkpoint_every": self.checkpoint_every,
                    "promote_games": self.promote_games, "max_turns": self.max_turns}
        for name, value in positive.items():
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if self.radius < 1:
            raise ValueError(f"view_radius must be at least 1, got {self.radius}")
        if not (0 <= self.self_play and 0 <= self.past and self.self_play + self.past <= 1):
            raise ValueError("self_play and past are shares of the opponent seats: each >= 0, together <= 1")
        if not 0 < self.promote_at <= 1:
            raise ValueError(f"promote_at is a win rate in (0, 1], got {self.promote_at}")
        if not self.curriculum:
            raise ValueError("the curriculum needs at least one bot")

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name: f for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**values)


class RunError(ValueError):
    """A run that cannot start: a used folder, a missing or foreign checkpoint."""


def fresh_run_dir(out_dir: Path) -> None:
    """Refuse a folder that already holds a run: continuing one is ``--resume``'s job."""
    if (Path(out_dir) / LATEST).exists() or (Path(out_dir) / METRICS).exists():
        raise RunError(f"{out_dir} already holds a training run: add --resume to continue it, "
                       f"or choose another --out-dir")


def latest_checkpoint(out_dir: Path) -> Path:
    """The checkpoint ``--resume`` continues from; a folder without one is refused."""
    path = Path(out_dir) / LATEST
    if not path.is_file():
        raise RunError(f"nothing to resume: no {LATEST} in {out_dir}")
    return path


def checkpoint_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "checkpoints"
