"""PufferLib's C snake (Ocean) against our vector env, one after the other on the same core.

    taskset -c 0 .venv/bin/python benchmarks/pufferlib_snake.py --snake-h PATH/pufferlib/ocean/snake/snake.h
        [--seconds 3] [--games 1024] [--snakes 4] [--size 11] [--view-radius 5] [--food 4] [--cflags "-O2 -fwrapv"]

Issue 16 asks for our ``codes`` vector env to beat PufferLib 3.0's snake "measured right after on the
same core". PufferLib's build downloads raylib (the machine these figures come from has no internet
beyond package registries), so this script needs only the env's one header from a PufferLib checkout
(``git clone https://github.com/PufferAI/PufferLib``; 3.0's ``pufferlib/ocean/snake/snake.h``). It
compiles that header with a driver of ours and an empty stand-in for raylib (rendering is never called)
as PufferLib 3.0's setup.py compiles it (``-O2``, linked with ``-fwrapv``; ``--cflags`` to try others),
and runs it the way PufferLib's vector env does: ``--games`` envs whose observations, actions and
rewards live in shared buffers, each stepped by ``c_step`` in turn, actions copied in from a cache of
random moves each step (as ``PufferEnv.step`` does). No Python runs per step: its figure is an upper
bound on what PufferLib's Python env gives. Then our vector env runs the same shape
(``obs_format="codes"``, masked random moves, ``benchmarks/env.py``'s loop).

PufferLib's snake has simpler rules: snakes move one after the other, no health, no hazards, no
head-to-head rule, and a snake that dies respawns at once (every snake is live every step; its
games never end).  Its board is ``--size`` plus ``--view-radius`` cells of wall on each side, so a
window never leaves the grid.  An agent-step is one snake stepped and observed, on both sides.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.env import vector_run  # noqa: E402

#: raylib as far as snake.h's rendering code needs it to compile; the benchmark never renders.
RAYLIB_STAND_IN = """\
#pragma once
typedef struct Color { unsigned char r, g, b, a; } Color;
#define KEY_ESCAPE 256
#define IsKeyDown(...) 0
#define WindowShouldClose(...) 0
#define InitWindow(...) ((void)0)
#define SetTargetFPS(...) ((void)0)
#define CloseWindow(...) ((void)0)
#define BeginDrawing(...) ((void)0)
#define EndDrawing(...) ((void)0)
#define ClearBackground(...) ((void)0)
#define DrawRectangle(...) ((void)0)
#define DrawText(...) ((void)0)
"""

#: Our driver: PufferLib's vector env in C (shared buffers, ``c_step`` per env), timed by the monotonic clock.
DRIVER = r"""
#include <stdint.h>
#include <string.h>
#include <time.h>
#include "snake.h"

#define CACHE 1024

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
    int games = atoi(argv[1]), snakes = atoi(argv[2]), size = atoi(argv[3]), vision = atoi(argv[4]);
    int food = atoi(argv[5]);
    double seconds = atof(argv[6]);
    int agents = games * snakes, window = 2 * vision + 1;
    char* observations = calloc((size_t)agents * window * window, 1);
    int* actions = calloc(agents, sizeof(int));
    float* rewards = calloc(agents, sizeof(float));
    unsigned char* terminals = calloc(agents, 1);
    int* cache = malloc(sizeof(int) * CACHE * agents);
    srand(0);
    for (long k = 0; k < (long)CACHE * agents; k++) cache[k] = rand() % 4;
    CSnake* envs = calloc(games, sizeof(CSnake));
    for (int g = 0; g < games; g++) {
        CSnake* env = &envs[g];
        env->observations = observations + (size_t)g * snakes * window * window;
        env->actions = actions + g * snakes;
        env->rewards = rewards + g * snakes;
        env->terminals = terminals + g * snakes;
        env->log_buffer = allocate_logbuffer(LOG_BUFFER_SIZE);
        env->num_snakes = snakes;
        env->width = env->height = size + 2 * vision;
        env->max_snake_length = size * size;
        env->food = food;
        env->vision = vision;
        env->leave_corpse_on_death = 1;
        env->reward_food = 0.1f;
        env->reward_corpse = 0.1f;
        env->reward_death = -1.0f;
        init_csnake(env);
        c_reset(env);
    }
    long steps = 0;
    double began = now(), took = 0;
    while (took < seconds) {
        memcpy(actions, cache + (steps % CACHE) * agents, sizeof(int) * agents);
        for (int g = 0; g < games; g++) c_step(&envs[g]);
        steps++;
        if (steps % 16 == 0) took = now() - began;
    }
    took = now() - began;
    long checksum = 0;
    for (long k = 0; k < (long)agents * window * window; k++) checksum += observations[k];
    printf("%.1f %ld %ld\n", steps * (double)agents / took, steps, checksum);
    return 0;
}
"""


def build(snake_h: Path, cflags: list[str], into: Path) -> Path:
    """The driver compiled against ``snake_h`` (copied beside it with the raylib stand-in): its path."""
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None:
        raise SystemExit("benchmarks/pufferlib_snake.py: no C compiler found (set CC or install gcc)")
    shutil.copy(snake_h, into / "snake.h")
    (into / "raylib.h").write_text(RAYLIB_STAND_IN)
    (into / "driver.c").write_text(DRIVER)
    binary = into / "puffer_snake"
    done = subprocess.run([compiler, *cflags, "-o", str(binary), str(into / "driver.c"), "-lm"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["(no output)"]
        first = next((line for line in lines if "error" in line), lines[0])
        raise SystemExit(f"benchmarks/pufferlib_snake.py: {snake_h} did not compile as PufferLib 3.0's snake.h "
                         f"(c_step, c_reset, init_csnake): {first}")
    return binary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snake-h", type=Path, required=True, help="PufferLib 3.0's pufferlib/ocean/snake/snake.h")
    parser.add_argument("--seconds", type=float, default=3.0, help="timed seconds per figure")
    parser.add_argument("--games", type=int, default=1024)
    parser.add_argument("--snakes", type=int, default=4)
    parser.add_argument("--size", type=int, default=11, help="playable board side")
    parser.add_argument("--view-radius", type=int, default=5, help="window radius (5: 11x11)")
    parser.add_argument("--food", type=int, default=4, help="PufferLib's food count per env (kept constant)")
    parser.add_argument("--cflags", default="-O2 -fwrapv", help="C compiler flags (PufferLib 3.0 builds with these)")
    args = parser.parse_args()
    if not args.snake_h.is_file():
        parser.error(f"--snake-h: no file {args.snake_h}")
    for name in ("games", "snakes", "size", "view_radius", "food", "seconds"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    if args.snakes + args.food > args.size * args.size // 2:  # PufferLib spawns by retrying random cells
        parser.error(f"--snakes + --food must fit in half the {args.size}x{args.size} board")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, for the driver too (inherited)
    with tempfile.TemporaryDirectory() as work:
        binary = build(args.snake_h, args.cflags.split(), Path(work))
        shape = [str(v) for v in (args.games, args.snakes, args.size, args.view_radius, args.food)]
        run = subprocess.run([str(binary), *shape, str(args.seconds)], capture_output=True, text=True)
    if run.returncode != 0 or not run.stdout.split():
        raise SystemExit(f"benchmarks/pufferlib_snake.py: the compiled driver failed (exit {run.returncode}): "
                         f"{(run.stderr.strip() or '(no output)').splitlines()[0]}")
    puffer = float(run.stdout.split()[0])
    ours = vector_run(args.games, args.snakes, args.view_radius, "codes", "next_step", args.seconds,
                      time.perf_counter)
    side = 2 * args.view_radius + 1
    print(f"{args.games} games x {args.snakes} snakes, {args.size}x{args.size}, {side}x{side} windows, one core, "
          f"wall clock, {args.seconds:g} s each")
    rows = ((f"PufferLib's snake.h, C driver ({args.cflags})", puffer,
             "agent-steps/s (every snake live, random moves)"),
            ("snek-arena vector env, codes", ours, f"live agent-steps/s (masked random moves), {ours / puffer:.2f}x"))
    for name, rate, what in rows:
        print(f"  {name:<44} {rate:>12,.0f} {what}")
    print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (figures are noisy under load)")


if __name__ == "__main__":
    main()
