"""A training run: rollouts on the vector env, PPO updates, evaluations, checkpoints, metrics.

The learner plays seat 0 of every game (and every seat in self-play games); the other seats are
drawn per game from the opponent pool (``arena.train.opponents``).  One update = ``rollout``
steps of all ``games`` games, then ``epochs`` PPO passes over the learner's transitions.  A
"step" everywhere (``--steps``, steps/s, metrics) is one move of the learner: a transition it
trains on.

Determinism: with the same config (seed included) and step budget, one thread, the run is the
same move for move: the env, the opponent draws (a numpy generator seeded from the seed), the
bots (seeded from ``game.id``), torch's sampling and minibatch order (``torch.manual_seed``) all
follow the seed.  After every update the whole state -- networks, optimiser, past versions,
curriculum, generators, the env with its games in progress -- is kept as a snapshot; a
checkpoint is that snapshot, so an interrupted run resumed with ``--resume`` continues exactly
where the snapshot was taken.  What still varies: wall-clock figures (seconds, steps/s), where
``--minutes`` stops, and results across torch versions or CPUs.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import pickle
import shutil
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from arena.env.vector import SnakeVectorEnv
from arena.registry import builtin_bots
from arena.train.config import LATEST, METRICS, RunError, TrainConfig, checkpoint_dir, latest_checkpoint
from arena.train.evaluate import evaluate
from arena.train.inputs import input_spec
from arena.train.net import PolicyNet, export_npz, masked
from arena.train.opponents import BOT, LEARNER, PAST, BotSeats, Curriculum, draw_opponent
from arena.train.player import POLICY_FILE
from arena.train.ppo import advantages, update
from arena.train.report import RUN_FILE, write_report

CHECKPOINT_FORMAT = "snek-train-checkpoint/1"
KEEP_CHECKPOINTS = 2  # .pt files kept in checkpoints/ (every .npz is kept: each is a playable bot)
EVAL_SEED = 1_000_003


@dataclass
class Update:
    """What one update (or the evaluation at step 0) did: one row of metrics.csv."""

    row: dict
    events: list[str] = field(default_factory=list)


class Trainer:
    def __init__(self, config: TrainConfig, out_dir: Path, bots: dict[str, Callable] | None = None) -> None:
        self.factories = builtin_bots() if bots is None else bots
        config.check(set(self.factories))
        self.config, self.out = config, Path(out_dir)
        self.inputs = input_spec(config.obs_format)
        torch.manual_seed(config.seed)
        self.rng = np.random.default_rng([config.seed, 1])
        self.env = SnakeVectorEnv(num_games=config.games, ruleset=config.ruleset, map=config.map, width=config.width,
                                  height=config.height, num_snakes=config.snakes, max_turns=config.max_turns,
                                  view_radius=config.radius, rewards=config.rewards, obs_format=config.obs_format,
                                  copy=False, invalid_action="default")
        window = tuple(self.env.games.observer.window)
        self.net = self._new_net(window)
        self.window = window
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=config.lr, eps=1e-5)
        self.curriculum = Curriculum(config.curriculum, config.promote_at, config.promote_games)
        self.bot_policies = [self.factories[name]() for name in config.curriculum]
        self.pool: list[dict] = []
        self.pool_nets: list[PolicyNet] = []
        self.counters = {"steps": 0, "updates": 0, "games": 0, "seconds": 0.0}
        self.next_eval, self.next_checkpoint = 0, config.checkpoint_every
        self.returns: deque = deque(maxlen=100)
        self.lengths: deque = deque(maxlen=100)
        n, slots = config.snakes, self.env.num_envs
        obs, info = self.env.reset(seed=config.seed)
        self.seats = BotSeats(self.env.games, list(config.curriculum), self.bot_policies, f"train{config.seed}")
        self.kind = np.zeros(slots, np.int8)
        self.which = np.zeros(slots, np.int64)
        self.opponent = [""] * config.games
        for game in range(config.games):
            self._draw(game)
        self.obs = _copy(self.inputs.parts(obs))
        self.masks, self.alive = info["action_mask"].copy(), info["alive"].copy()
        self.resetting = np.zeros(slots, bool)
        self.num_snakes = n
        self._stop = threading.Event()
        self._snapshot: dict | None = None

    # --- opponents --------------------------------------------------------------------------

    def _new_net(self, window) -> PolicyNet:
        """A network initialised from the seed's generator without advancing it: building one (for a past
        version, an export) must not change the moves sampled after it, or a resumed run would differ."""
        c = self.config
        with torch.random.fork_rng(devices=[]):
            return PolicyNet(self.inputs.spatial_channels, self.inputs.vector_size, window, c.conv, c.hidden)

    def _draw(self, game: int) -> None:
        """Opponents for a game that starts: one kind for all its other seats; a new ``game.id``."""
        c, n = self.config, self.config.snakes
        kind, which = draw_opponent(self.rng, self.curriculum, c.self_play, c.past, len(self.pool))
        seats = slice(game * n + 1, game * n + n)
        self.kind[game * n] = LEARNER
        self.kind[seats], self.which[seats] = kind, which
        self.opponent[game] = ("self" if kind == LEARNER else "past" if kind == PAST
                               else self.curriculum.bots[which])
        self.seats.new_game(game)

    # --- rollouts ------------------------------------------------------------------------------

    def _encode(self, parts: dict[str, np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        spatial, vector = self.inputs.encode(parts)
        return torch.from_numpy(spatial), torch.from_numpy(vector)

    def _sample(self, net: PolicyNet, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Moves sampled from ``net`` for the given slots: (actions, log-probabilities, values)."""
        with torch.no_grad():
            logits, values = net(*self._encode(_take(self.obs, slots)))
            dist = torch.distributions.Categorical(logits=masked(logits, torch.from_numpy(self.masks[slots])))
            actions = dist.sample()
            return actions.numpy(), dist.log_prob(actions).numpy(), values.numpy()

    def _step(self, t: int, buf: dict[str, np.ndarray]) -> list[str]:
        """One env step of every game; the learner's part goes into row ``t`` of the buffers."""
        n, events = self.num_snakes, []
        acting = self.alive & ~self.resetting
        learner = np.flatnonzero((self.kind == LEARNER) & self.alive)  # values of terminal observations too
        actions = np.full(self.env.num_envs, -1, np.int64)
        for key, part in self.obs.items():
            buf[key][t] = part
        buf["masks"][t] = self.masks
        buf["values"][t] = 0
        if learner.size:
            a, logp, values = self._sample(self.net, learner)
            actions[learner], buf["logp"][t, learner], buf["values"][t, learner] = a, logp, values
        past = (self.kind == PAST) & acting
        for j in np.unique(self.which[past]).tolist():
            slots = np.flatnonzero(past & (self.which == j))
            actions[slots] = self._sample(self.pool_nets[j], slots)[0]
        bots = np.flatnonzero((self.kind == BOT) & acting)
        if bots.size:
            actions[bots] = self.seats.moves([(s // n, s % n, int(self.which[s])) for s in bots.tolist()])
        obs, rewards, terminated, truncated, info = self.env.step(actions)
        alive = info["alive"]
        valid = (self.kind == LEARNER) & acting
        buf["actions"][t] = np.maximum(actions, 0)
        buf["rewards"][t] = rewards
        buf["valid"][t] = valid
        terminal = valid & (~alive | terminated)
        buf["terminal"][t] = terminal
        buf["ended"][t] = terminal | (valid & truncated)
        self.counters["steps"] += int(valid.sum())
        for game in np.flatnonzero(self.resetting[::n]).tolist():  # a reset step: the new games' opponents
            self._draw(game)
        ended_games = np.flatnonzero((terminated | truncated).reshape(-1, n).any(axis=1))
        for game in ended_games.tolist():
            events.extend(self._game_over(game, info, alive, truncated))
        self.resetting = np.repeat(np.isin(np.arange(self.config.games), ended_games), n)
        self.obs = _copy(self.inputs.parts(obs))
        self.masks, self.alive = info["action_mask"].copy(), alive.copy()
        return events

    def _game_over(self, game: int, info: dict, alive: np.ndarray, truncated: np.ndarray) -> list[str]:
        slot = game * self.num_snakes
        self.counters["games"] += 1
        self.returns.append(float(info["episode_return"][slot]))
        self.lengths.append(int(info["episode_length"][slot]))
        won = bool(alive[slot] and not truncated[slot])
        unlocked = self.curriculum.record(self.opponent[game], won)
        return [f"unlocked {unlocked} at step {self.counters['steps']:,}"] if unlocked else []

    def _rollout(self) -> tuple[dict[str, np.ndarray], list[str]]:
        c, slots = self.config, self.env.num_envs
        shape = (c.rollout, slots)
        buf = {**{k: np.empty((*shape, *v.shape[1:]), v.dtype) for k, v in self.obs.items()},
               "masks": np.empty((*shape, 4), np.int8),
               "actions": np.zeros(shape, np.int64), "logp": np.zeros(shape, np.float32),
               "values": np.zeros(shape, np.float32), "rewards": np.zeros(shape, np.float32),
               "valid": np.zeros(shape, bool), "terminal": np.zeros(shape, np.float32),
               "ended": np.zeros(shape, np.float32)}
        events = []
        for t in range(c.rollout):
            if self._stop.is_set():
                raise KeyboardInterrupt
            events.extend(self._step(t, buf))
        return buf, events

    def _learn(self, buf: dict[str, np.ndarray]) -> dict[str, float]:
        c = self.config
        next_value = np.zeros(self.env.num_envs, np.float32)
        learner = np.flatnonzero((self.kind == LEARNER) & self.alive)
        if learner.size:
            next_value[learner] = self._sample(self.net, learner)[2]
        adv, returns = advantages(buf["rewards"], buf["values"], next_value, buf["terminal"], buf["ended"],
                                  c.gamma, c.gae_lambda)
        valid = buf["valid"]
        if not valid.any():
            return {}
        spatial, vector = self._encode({k: buf[k][valid] for k in self.inputs.keys})
        batch = {"spatial": spatial, "vector": vector, "masks": torch.from_numpy(buf["masks"][valid]),
                 "actions": torch.from_numpy(buf["actions"][valid]), "logp": torch.from_numpy(buf["logp"][valid]),
                 "advantages": torch.from_numpy(adv[valid]), "returns": torch.from_numpy(returns[valid])}
        return update(self.net, self.optimizer, batch, c.epochs, c.minibatch, c.clip, c.ent_coef, c.vf_coef,
                      c.max_grad_norm, self._stop.is_set)

    def _keep_past_version(self) -> None:
        c = self.config
        if self.counters["updates"] % c.pool_every:
            return
        self.pool.append(copy.deepcopy(self.net.state_dict()))
        del self.pool[:-c.pool_size]
        self._load_pool_nets()

    def _load_pool_nets(self) -> None:
        while len(self.pool_nets) < len(self.pool):
            self.pool_nets.append(self._new_net(self.window))
        for net, state in zip(self.pool_nets, self.pool):
            net.load_state_dict(state)

    # --- evaluation -------------------------------------------------------------------------------

    def act(self, parts: dict[str, np.ndarray], masks: np.ndarray) -> np.ndarray:
        """The current policy's best allowed moves (what the exported bot plays)."""
        with torch.no_grad():
            logits, _ = self.net(*self._encode(parts))
            return masked(logits, torch.from_numpy(np.asarray(masks))).argmax(dim=1).numpy()

    def evaluate(self) -> dict[str, dict]:
        c = self.config
        return {bot: evaluate(self.act, c, bot, self.factories[bot](), c.eval_games, EVAL_SEED + c.seed,
                              self._stop.is_set) for bot in c.eval_bots}

    # --- the loop -------------------------------------------------------------------------------

    def train(self, steps: int | None = None, minutes: float | None = None,
              on_update: Callable[[Update], None] | None = None) -> str:
        """Train until ``steps`` learner steps in all (``None``: no limit) or ``minutes`` more minutes;
        Ctrl-C (SIGINT) stops at once and saves the last snapshot.  Returns why it stopped:
        ``"steps"``, ``"minutes"`` or ``"interrupted"``.  Checkpoints, metrics and the report are written
        on the way and at the end."""
        self.out.mkdir(parents=True, exist_ok=True)
        checkpoint_dir(self.out).mkdir(exist_ok=True)
        (self.out / RUN_FILE).write_text(json.dumps(self.config.to_dict(), indent=1) + "\n", encoding="utf-8")
        previous = self._catch_sigint()
        began = time.monotonic()
        reason = "interrupted"
        try:
            self._snapshot = self.snapshot()
            if self.counters["updates"] == 0 and not (self.out / METRICS).exists():
                self._emit(Update(self._row({}, self.evaluate(), 0.0)), on_update)
                self._snapshot = self.snapshot()
            while True:
                if steps is not None and self.counters["steps"] >= steps:
                    reason = "steps"
                    break
                if minutes is not None and time.monotonic() - began >= minutes * 60:
                    reason = "minutes"
                    break
                self._emit(self._one_update(), on_update)
                self._snapshot = self.snapshot()
                if self.counters["steps"] >= self.next_checkpoint:
                    self.next_checkpoint += self.config.checkpoint_every
                    self._snapshot["next_checkpoint"] = self.next_checkpoint
                    self.save(self._snapshot)
            self.save(self._snapshot)
        except KeyboardInterrupt:
            self.save(self._snapshot)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        return reason

    def _one_update(self) -> Update:
        began = time.monotonic()
        steps_before = self.counters["steps"]
        buf, events = self._rollout()
        stats = self._learn(buf)
        self.counters["updates"] += 1
        self._keep_past_version()
        evaluations = None
        if self.counters["steps"] >= self.next_eval:
            evaluations = self.evaluate()
        seconds = time.monotonic() - began
        self.counters["seconds"] += seconds
        rate = (self.counters["steps"] - steps_before) / max(seconds, 1e-9)
        return Update(self._row(stats, evaluations, rate), events)

    def _row(self, stats: dict, evaluations: dict | None, rate: float) -> dict:
        c = self.config
        if evaluations is not None:
            while self.next_eval <= self.counters["steps"]:
                self.next_eval += c.eval_every
        row = {"update": self.counters["updates"], "steps": self.counters["steps"], "games": self.counters["games"],
               "seconds": round(self.counters["seconds"], 2), "steps_per_s": round(rate, 1),
               "mean_return": _mean(self.returns), "mean_length": _mean(self.lengths),
               "hardest": self.curriculum.hardest}
        for bot in c.curriculum:
            row[f"train_win_{bot}"] = _round(self.curriculum.win_rate(bot))
        for key in ("policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction"):
            row[key] = _round(stats.get(key))
        for bot in c.eval_bots:
            e = (evaluations or {}).get(bot)
            row[f"eval_win_{bot}"] = _round(e["wins"] / e["games"]) if e else None
        return row

    def _emit(self, upd: Update, on_update) -> None:
        path = self.out / METRICS
        new = not path.exists()
        with open(path, "a", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(upd.row))
            if new:
                writer.writeheader()
            writer.writerow({k: "" if v is None else v for k, v in upd.row.items()})
        if on_update:
            on_update(upd)

    def _catch_sigint(self):
        """Ctrl-C sets a flag the loop checks between steps (never mid-update); the main thread only."""
        if threading.current_thread() is not threading.main_thread():
            return None
        return signal.signal(signal.SIGINT, lambda signum, frame: self._stop.set())

    @property
    def saved_steps(self) -> int:
        """Learner steps of the last snapshot (what a checkpoint written now holds)."""
        return self._snapshot["counters"]["steps"] if self._snapshot else self.counters["steps"]

    # --- checkpoints ------------------------------------------------------------------------------

    def snapshot(self) -> dict:
        """The whole state between two updates (see the module docstring)."""
        env_state = pickle.dumps({"env": self.env, "obs": self.obs, "masks": self.masks, "alive": self.alive,
                                  "resetting": self.resetting, "kind": self.kind, "which": self.which,
                                  "opponent": self.opponent, "game_ids": [i.game_id for i in self.seats.info],
                                  "started": self.seats.started})
        return {"format": CHECKPOINT_FORMAT, "config": self.config.to_dict(),
                "net": copy.deepcopy(self.net.state_dict()), "optimizer": copy.deepcopy(self.optimizer.state_dict()),
                "pool": copy.deepcopy(self.pool), "curriculum": self.curriculum.state(),
                "counters": dict(self.counters), "next_eval": self.next_eval, "next_checkpoint": self.next_checkpoint,
                "returns": list(self.returns), "lengths": list(self.lengths),
                "rng": {"torch": torch.get_rng_state(), "numpy": copy.deepcopy(self.rng.bit_generator.state)},
                "env": env_state}

    def restore(self, state: dict) -> None:
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.pool = list(state["pool"])
        self._load_pool_nets()
        self.curriculum.load_state(state["curriculum"])
        self.counters = dict(state["counters"])
        self.next_eval, self.next_checkpoint = state["next_eval"], state["next_checkpoint"]
        self.returns.extend(state["returns"])
        self.lengths.extend(state["lengths"])
        torch.set_rng_state(state["rng"]["torch"])
        self.rng.bit_generator.state = state["rng"]["numpy"]
        env = pickle.loads(state["env"])
        self.env = env["env"]
        self.seats.games = self.env.games
        for info, game_id in zip(self.seats.info, env["game_ids"]):
            info.game_id = game_id
        self.seats.started = env["started"]
        for key in ("obs", "masks", "alive", "resetting", "kind", "which", "opponent"):
            setattr(self, key, env[key])

    def save(self, state: dict | None) -> Path | None:
        """Write a snapshot: ``checkpoints/step-N.pt`` and its ``.npz``, ``latest.pt``, ``policy.npz``
        (the latest playable policy), ``metrics.csv`` cut to it, and ``report.html``."""
        if state is None:
            return None
        steps = state["counters"]["steps"]
        folder = checkpoint_dir(self.out)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"step-{steps:010d}.pt"
        blob = io.BytesIO()
        torch.save(state, blob)
        _write_atomic(path, blob.getvalue())
        net = self._new_net(self.window)
        net.load_state_dict(state["net"])
        c = self.config
        meta = {"obs_format": c.obs_format, "view_radius": c.radius, "ruleset": c.ruleset, "map": c.map,
                "width": c.width, "height": c.height, "snakes": c.snakes, "seed": c.seed, "steps": steps,
                "updates": state["counters"]["updates"], "seconds": round(state["counters"]["seconds"], 1),
                "hardest": c.curriculum[state["curriculum"]["level"]]}
        export_npz(net, path.with_suffix(".npz"), meta)
        _write_atomic(self.out / LATEST, blob.getvalue())
        shutil.copyfile(path.with_suffix(".npz"), self.out / POLICY_FILE)
        for old in sorted(folder.glob("step-*.pt"))[:-KEEP_CHECKPOINTS]:
            old.unlink()
        cut_metrics(self.out / METRICS, state["counters"]["updates"])
        write_report(self.out)
        return path

    @classmethod
    def resume(cls, out_dir: Path, bots: dict[str, Callable] | None = None) -> Trainer:
        """The run saved in ``out_dir`` (its ``latest.pt``), ready to continue."""
        path = latest_checkpoint(out_dir)
        try:
            state = torch.load(path, weights_only=False)
        except Exception as exc:  # noqa: BLE001 - a torn or foreign file: one line, not a traceback
            raise RunError(f"cannot read checkpoint {path}: {exc}") from None
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise RunError(f"{path} is not a snek train checkpoint")
        trainer = cls(TrainConfig.from_dict(state["config"]), out_dir, bots)
        trainer.restore(state)
        cut_metrics(Path(out_dir) / METRICS, state["counters"]["updates"])
        return trainer


def cut_metrics(path: Path, updates: int) -> None:
    """Drop metrics rows past the snapshot a run resumes from (they are played again)."""
    if not path.exists():
        return
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        return
    column = rows[0].index("update")
    kept = [rows[0]] + [r for r in rows[1:] if r and int(r[column]) <= updates]
    if len(kept) != len(rows):
        with open(path, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(kept)


def _copy(parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in parts.items()}


def _take(parts: dict[str, np.ndarray], index) -> dict[str, np.ndarray]:
    return {k: v[index] for k, v in parts.items()}


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _mean(values) -> float | None:
    return round(float(np.mean(values)), 4) if values else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)
