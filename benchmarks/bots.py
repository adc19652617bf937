"""Bot answer times: how long each built-in bot takes per move, by board size.

Why a benchmark and not a test: answer times depend on the machine and its load, and the bots'
moves do not (``search`` budgets its lookahead in nodes, not milliseconds), so tests assert the
moves and this script reports the times.  Each board plays one seeded 4-snake game of
``search, space, greedy, safe`` (no move timeout) and keeps every request any snake was sent; then
each bot answers every one of those requests in-process, timed call by call, so every bot is
timed on the same positions however long it survived.  ``in match`` is the same for a bot that
reads views (``answer_view``): what an inline built-in costs a match, which hands it a view read
from its batch (``arena.position.batch_view``, timed with the answer) instead of a request.  Pin it
to one core and read the load.  For a bot that counts the positions it simulates (``search``'s
``nodes``), ``nodes`` is their mean per move, ``nodes/s`` their total over its total thinking time and
``cpu nodes/s`` the same over the CPU time its thread got (less sensitive to a loaded machine).  Such a
bot is also timed on the requests of a seeded duel against ``space`` on each board (rows marked ``1v1``):
with one rival its trees branch less, so it looks deeper for its nodes:

    taskset -c 0 python benchmarks/bots.py [--turns 120] [--sizes 7 11 19 25] [--bots space greedy safe]

Issue 17's targets: ``safe``, ``greedy`` and ``space`` at most 0.05 ms a move (p50) on 11x11 and
0.2 ms on 25x25.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from arena.match import Match, MatchConfig  # noqa: E402
from arena.players import PythonPlayer  # noqa: E402
from arena.position import batch_view  # noqa: E402
from arena.registry import resolve_bot  # noqa: E402

LINEUP = ("search", "space", "greedy", "safe")
DUEL = ("search", "space")
TARGET_MS = {11: 0.05, 25: 0.2}  # p50 for safe, greedy and space
FAST = ("space", "greedy", "safe")


def recorder(policy, states: list[dict]):
    def call(state: dict):
        states.append(state)
        return policy(state)
    return call


def requests(size: int, turns: int, lineup: tuple = LINEUP) -> tuple[list[dict], list[tuple]]:
    """Every request of one seeded game of ``lineup`` on a ``size`` board, and the same positions as
    (one-game batch, seat, hazard damage, key) for ``batch_view``."""
    states: list[dict] = []
    players = [PythonPlayer(recorder(resolve_bot(name), states), name=name) for name in lineup]
    match = Match(players, MatchConfig(width=size, height=size, seed=3, timeout_ms=600_000, max_turns=turns))
    positions: list[tuple] = []

    def keep(frame: dict) -> None:
        if match.over:
            return
        batch = match.batch.select([match.game])
        for seat in np.flatnonzero(batch.alive[0]).tolist():
            key = f"{match.info.game_id}:{frame['turn']}:{match.ids[seat]}"
            positions.append((batch, seat, int(match.engine.settings.get("hazardDamagePerTurn", 0)), key))

    match.on_frame = keep
    match.run()
    return states, positions


def timed(answer, questions: list[tuple]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Wall and CPU milliseconds per ``answer(*question)``, and the positions it simulated for each (empty
    for a bot that does not count them), after one untimed answer: compiled code loads on first use."""
    answer(*questions[0])
    policy = getattr(answer, "policy", answer)
    times, cpu, nodes = [], [], []
    for question in questions:
        began, began_cpu = time.perf_counter(), time.thread_time()
        answer(*question)
        times.append(time.perf_counter() - began)
        cpu.append(time.thread_time() - began_cpu)
        if hasattr(policy, "nodes"):
            nodes.append(policy.nodes)
    return np.array(times) * 1000, np.array(cpu) * 1000, nodes


def searched(t: np.ndarray, cpu: np.ndarray, nodes: list[int]) -> str:
    """The nodes columns: mean nodes a move, nodes/s of wall and of CPU time ("-" for a bot without them)."""
    if not nodes:
        return f"{'-':>7} {'-':>9} {'-':>11}"
    total = sum(nodes)
    return f"{np.mean(nodes):>7.0f} {total / (t.sum() / 1000):>9,.0f} {total / (cpu.sum() / 1000):>11,.0f}"


def in_match(policy):
    return lambda batch, seat, damage, key: policy.answer_view(batch_view(batch, 0, seat, damage, key))


def row(size: int, name: str, t: np.ndarray, cpu: np.ndarray, nodes: list[int], viewed: str = "",
        verdict: str = "") -> str:
    return (f"{size:>3}x{size:<2} {name:>10} {t.size:>6} {np.median(t):>7.3f} {np.percentile(t, 90):>7.3f} "
            f"{t.max():>7.3f}  {viewed:>8} {searched(t, cpu, nodes)}{verdict}")


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=120)
    parser.add_argument("--sizes", type=int, nargs="+", default=[7, 11, 19, 25])
    parser.add_argument("--bots", nargs="+", default=list(LINEUP), choices=LINEUP)
    args = parser.parse_args()
    print(f"{load()}; ms per move over every request of one seeded game")
    print(f"{'board':>6} {'bot':>10} {'moves':>6} {'p50':>7} {'p90':>7} {'max':>7}  {'in match':>8} {'nodes':>7} "
          f"{'nodes/s':>9} {'cpu nodes/s':>11}  target (p50)")
    for size in args.sizes:
        states, positions = requests(size, args.turns)
        for name in args.bots:
            policy = resolve_bot(name)
            t, cpu, nodes = timed(policy, [(state,) for state in states])
            viewed = f"{np.median(timed(in_match(policy), positions)[0]):>8.3f}" if hasattr(policy, "answer_view") \
                else ""
            target = TARGET_MS.get(size) if name in FAST else None
            verdict = "" if target is None else f"  ≤ {target} {'✔' if np.median(t) <= target else '✘'}"
            print(row(size, name, t, cpu, nodes, viewed, verdict))
        searchers = [resolve_bot(name) for name in args.bots if hasattr(resolve_bot(name), "nodes")]
        duel = [(state,) for state in requests(size, args.turns, DUEL)[0]] if searchers else []
        for policy in searchers:  # its nodes when one rival branches
            t, cpu, nodes = timed(policy, duel)
            print(row(size, f"{policy.__name__} 1v1", t, cpu, nodes))
    print(load())


if __name__ == "__main__":
    main()
