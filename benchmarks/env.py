"""Agent-steps per second of the self-play vector env vs a straightforward per-agent env, on one core.

    .venv/bin/python benchmarks/env.py [--games 1024] [--snakes 4] [--steps 200] [--view-radius R]
                                       [--autoreset next_step same_step] [--clock wall|cpu]

Both sides step the same batched engine with random masked moves (the time to pick them is
not counted: it is the policy's, not the env's); the vector env builds
every observation and mask in a few numpy calls, the per-agent side loops over live snakes
and builds each one from the game's frame dict (``tests/reference_env.py``).  Reported: slot
steps (every seat of every game, the arrays the learner receives) and live agent-steps (only
snakes that were alive and acted), and the ratio of live agent-steps; the vector env is measured
in each autoreset mode asked for (both by default).  ``--clock cpu`` times with this process's
CPU time instead of the wall clock: on a machine other work is loading, that still measures the
env's own cost (the benchmark is single-threaded and pinned to one core).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import reference_env as ref  # noqa: E402

from arena.env import vector_env  # noqa: E402


def masked_random(rng: np.random.Generator, masks: np.ndarray) -> np.ndarray:
    return np.argmax(rng.random(masks.shape) * masks, axis=1)


def bench_vector(games: int, snakes: int, steps: int, radius: int | None, repeats: int,
                 autoreset: str, clock=time.perf_counter) -> tuple[float, float]:
    """Best of ``repeats`` runs: (slot-steps/s, live agent-steps/s)."""
    env = vector_env(num_games=games, num_snakes=snakes, view_radius=radius, copy=False, autoreset_mode=autoreset)
    _, infos = env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(50):  # warm up, and let games spread over all lengths
        _, _, _, _, infos = env.step(masked_random(rng, infos["action_mask"]))
    best = (0.0, 0.0)
    for _ in range(repeats):
        live, took = 0, 0.0
        for _ in range(steps):
            live += int(infos["alive"].sum())
            actions = masked_random(rng, infos["action_mask"])  # the policy's time is not the env's
            began = clock()
            _, _, _, _, infos = env.step(actions)
            took += clock() - began
        best = max(best, (games * snakes * steps / took, live / took))
    return best


def bench_per_agent(games: int, snakes: int, steps: int, radius: int | None, clock=time.perf_counter) -> float:
    """Live agent-steps/s when each snake's observation and mask are built on their own."""
    env = vector_env(num_games=games, num_snakes=snakes, view_radius=radius)
    env.reset(seed=0)
    g, engine, batch = env.games.geometry, env.games.engine, env.games.batch
    r = env.games.observer.radius
    ids = [f"snake_{i}" for i in range(snakes)]
    rng = np.random.default_rng(0)
    live, took = 0, 0.0
    for _ in range(steps):
        began = clock()
        masks = np.ones((games, snakes, 4), np.int8)
        for game in range(games):
            frame = engine.frame(batch, game, ids)
            for seat, snake in enumerate(frame["snakes"]):
                if snake["alive"]:
                    ref.observation(frame, snake["id"], g.width, g.height, "egocentric", r, g.wrapped)
                    masks[game, seat] = ref.action_mask(frame, snake["id"], g.width, g.height, g.wrapped)
                    live += 1
        took += clock() - began
        moves = masked_random(rng, masks.reshape(-1, 4)).reshape(games, snakes)
        began = clock()
        env.games.step(moves)
        ended = np.nonzero(batch.done)[0]
        if ended.size:
            env.games.restart(ended, rng)
        took += clock() - began
    return live / took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=1024)
    parser.add_argument("--snakes", type=int, default=4)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-steps", type=int, default=3)
    parser.add_argument("--view-radius", type=int, default=None, help="egocentric window radius (default: board/2)")
    modes = ["next_step", "same_step"]
    parser.add_argument("--autoreset", nargs="+", default=modes, choices=modes, help="autoreset modes to measure")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall", help="cpu: this process's CPU time")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    env = vector_env(num_games=1, num_snakes=args.snakes, view_radius=args.view_radius)
    shape = env.single_observation_space["observation"].shape
    print(f"vector env: {args.games} games x {args.snakes} snakes, 11x11 standard, egocentric obs {shape} uint8, "
          f"random masked moves, one core")
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    print(f"  timed by {'CPU time' if args.clock == 'cpu' else 'the wall clock'}; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for mode in args.autoreset:
        slots, live = bench_vector(args.games, args.snakes, args.steps, args.view_radius, args.repeats, mode, clock)
        print(f"  vectorised, {mode + ':':<10} {slots:>12,.0f} slot-steps/s   {live:>12,.0f} live agent-steps/s")
    base = bench_per_agent(args.games, args.snakes, args.baseline_steps, args.view_radius, clock)
    print(f"  per-agent:  {'':>23}                {base:>12,.0f} live agent-steps/s")
    print(f"  speed-up:   {live / base:.0f}x (live agent-steps)")


if __name__ == "__main__":
    main()
