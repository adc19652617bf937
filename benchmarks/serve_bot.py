"""How `snek serve-bot` keeps its deadline under concurrent games: N simultaneous `/move` requests
(distinct games), several rounds, for one bot spec.

    .venv/bin/python benchmarks/serve_bot.py [--bot search] [--games 32] [--rounds 3] [--timeout 500] [--margin-ms 60]

Prints, per round, the slowest and median reply as the client measured it and how many replies came
at or after ``game.timeout``.  A real `snek serve-bot` subprocess on a free local port (late bots are
answered with their fallback move); the client is this process.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from arena.battlesnake import GameInfo, game_state
from arena.engine import Engine

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
from ports import free_port  # noqa: E402 (the tests' one free-port helper)


def body(game_id: str, timeout_ms: int) -> bytes:
    engine = Engine()
    frame = engine.frame(engine.new_batch([1], 4), 0)
    info = GameInfo(game_id, "standard", engine.settings, timeout_ms)
    return json.dumps(game_state(frame, 11, 11, info, "s0")).encode()


def ask(url: str, data: bytes) -> tuple[str, float]:
    request = urllib.request.Request(url + "/move", data=data, headers={"Content-Type": "application/json"})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        move = json.loads(response.read())["move"]
    return move, (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bot", default="search")
    parser.add_argument("--games", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=int, default=500)
    parser.add_argument("--margin-ms", type=int, default=60)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "arena", "serve-bot", args.bot, "--port", str(port),
                               "--margin-ms", str(args.margin_ms)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        print(f"{args.bot}: {args.games} games at once, game.timeout {args.timeout} ms, margin {args.margin_ms} ms, "
              f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for round_ in range(args.rounds):
            replies: list[tuple[str, float]] = []
            bodies = [body(f"r{round_}-g{i}", args.timeout) for i in range(args.games)]
            threads = [threading.Thread(target=lambda b=b, out=replies: out.append(ask(url, b))) for b in bodies]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            took = sorted(t for _, t in replies)
            late = sum(t >= args.timeout for t in took)
            print(f"round {round_}: slowest {took[-1]:.0f} ms, median {took[len(took) // 2]:.0f} ms, "
                  f"{late}/{len(took)} at or over the timeout")
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
