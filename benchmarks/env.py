"""Live agent-steps per second of the envs against a naive pure-Python game with observations, one core.

    taskset -c 0 .venv/bin/python benchmarks/env.py [--seconds 3] [--games 1024] [--snakes 4]
                                                    [--view-radius 5] [--autoreset next_step] [--clock wall|cpu]

Measured in one run, each figure with its ratio to the naive game measured first:
- naive: ``benchmarks/naive.py``'s game, plus for every live snake an egocentric window of codes
  (lists of lists) and its action mask, in plain Python;
- the vector env, ``--games`` games x ``--snakes`` snakes, ``obs_format="codes"``, then the 10-plane
  ``dict`` format (``copy=False``, as a training loop that consumes each step's arrays uses it);
- the PettingZoo parallel env, one game, dict observations with masks.
Every side plays masked random moves; picking them is the policy's time and is not counted (the
env's step, its observations, masks and restarts are).  A live agent-step is one live snake
stepped and observed.  ``--clock cpu`` times this process's CPU time instead of the wall clock: on
a machine other work is loading, that still measures the env's own cost.  The load average is
printed beside the figures: they are noisy under load.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena.env import parallel_env, vector_env  # noqa: E402
from benchmarks.naive import DIRECTIONS, NaiveGame  # noqa: E402

EMPTY, OWN_HEAD, LONG_HEAD, SHORT_HEAD, FOOD, WALL = 0, 1, 3, 5, 7, 8  # the codes format's table


def naive_observe(game: NaiveGame, radius: int) -> list[tuple[int, list[list[int]], list[int]]]:
    """(seat, window, mask) of every live snake: the window's rows top first, the mask 1 where the
    move stays on the board and off every segment that stays (what a plain-Python env would do)."""
    drawn: dict[tuple[int, int], object] = {cell: FOOD for cell in game.food}
    for i, body in enumerate(game.bodies):
        if game.alive[i]:
            for cell in body[1:]:
                drawn[cell] = (i, 1)
            drawn[body[0]] = (i, 0)
    staying = {cell for i, body in enumerate(game.bodies) if game.alive[i] for cell in body[:-1]}
    size, seen = game.size, []
    for me, body in enumerate(game.bodies):
        if not game.alive[me]:
            continue
        hx, hy = body[0]
        window = []
        for y in range(hy + radius, hy - radius - 1, -1):
            row = []
            for x in range(hx - radius, hx + radius + 1):
                what = drawn.get((x, y), EMPTY) if 0 <= x < size and 0 <= y < size else WALL
                if isinstance(what, tuple):
                    seat, body_part = what
                    kind = OWN_HEAD if seat == me else LONG_HEAD if len(game.bodies[seat]) >= len(body) else SHORT_HEAD
                    what = kind + body_part
                row.append(what)
            window.append(row)
        mask = [int(0 <= hx + dx < size and 0 <= hy + dy < size and (hx + dx, hy + dy) not in staying)
                for dx, dy in DIRECTIONS]
        seen.append((me, window, mask))
    return seen


def naive_run(snakes: int, radius: int, seconds: float, clock) -> float:
    """Live agent-steps/s of the naive game with observations; games restart with the next seed."""
    pick = np.random.default_rng(0).random
    seed, game = 0, NaiveGame(0, snakes=snakes)
    live, took = 0, 0.0
    while took < seconds:
        began = clock()
        seen = naive_observe(game, radius)
        took += clock() - began
        moves = [0] * snakes
        for seat, _, mask in seen:  # the policy: a random allowed move (not timed)
            moves[seat] = int(np.argmax(pick(4) * mask))
        began = clock()
        game.step(moves)
        live += len(seen)
        if game.done:
            seed += 1
            game = NaiveGame(seed, snakes=snakes)
        took += clock() - began
    return live / took


def masked_random(rng: np.random.Generator, masks: np.ndarray) -> np.ndarray:
    return np.argmax(rng.random(masks.shape) * masks, axis=1)


def vector_run(games: int, snakes: int, radius: int, obs_format: str, autoreset: str, seconds: float,
               clock) -> float:
    """Live agent-steps/s of the vector env (masked random actions; their picking is not timed)."""
    env = vector_env(num_games=games, num_snakes=snakes, view_radius=radius, copy=False, obs_format=obs_format,
                     autoreset_mode=autoreset)
    _, infos = env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(50):  # compile (or load the cache), and let games spread over all lengths
        _, _, _, _, infos = env.step(masked_random(rng, infos["action_mask"]))
    live, took = 0, 0.0
    while took < seconds:
        live += int(np.count_nonzero(infos["alive"]))
        actions = masked_random(rng, infos["action_mask"])
        began = clock()
        _, _, _, _, infos = env.step(actions)
        took += clock() - began
    return live / took


def parallel_run(snakes: int, radius: int, seconds: float, clock) -> float:
    """Live agent-steps/s of the PettingZoo parallel env, one game, dict observations with masks."""
    env = parallel_env(num_snakes=snakes, view_radius=radius)
    pick = np.random.default_rng(0).random
    _, infos = env.reset(seed=0)
    live, took = 0, 0.0
    while took < seconds:
        actions = {a: int(np.argmax(pick(4) * infos[a]["action_mask"])) for a in env.agents}
        began = clock()
        _, _, _, _, infos = env.step(actions)
        if not env.agents:
            _, infos = env.reset()
        took += clock() - began
        live += len(actions)
    return live / took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="timed seconds per figure")
    parser.add_argument("--games", type=int, default=1024)
    parser.add_argument("--snakes", type=int, default=4)
    parser.add_argument("--view-radius", type=int, default=5, help="egocentric window radius (5: 11x11)")
    modes = ["next_step", "same_step"]
    parser.add_argument("--autoreset", default="next_step", choices=modes, help="the vector env's autoreset mode")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall", help="cpu: this process's CPU time")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    side = 2 * args.view_radius + 1
    print(f"standard 11x11, {args.snakes} snakes, {side}x{side} egocentric window, masked random moves, one core, "
          f"timed by {'CPU time' if args.clock == 'cpu' else 'the wall clock'}")
    naive = naive_run(args.snakes, args.view_radius, args.seconds, clock)
    rows = [("naive pure Python + observations", naive, "")]
    for obs_format, target in (("codes", "7,000,000 and >= 48x"), ("dict", "2,000,000 and >= 18x")):
        rate = vector_run(args.games, args.snakes, args.view_radius, obs_format, args.autoreset, args.seconds, clock)
        rows.append((f"vector env {args.games} games, {obs_format}", rate, target))
    rows.append(("parallel env, 1 game, dict", parallel_run(args.snakes, args.view_radius, args.seconds, clock),
                 "70,000"))
    for name, rate, target in rows:
        ratio = f"{rate / naive:6.1f}x naive" if target else " " * 14
        aim = f"  (target >= {target})" if target else ""
        print(f"  {name:<36} {rate:>12,.0f} live agent-steps/s  {ratio}{aim}")
    print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (figures are noisy under load)")


if __name__ == "__main__":
    main()
