"""A naive pure-Python Snake game: the baseline the benchmarks divide by.

What a competent programmer writes in an afternoon without numpy: bodies as lists of (x, y),
an occupancy set, Battlesnake's turn order (move, starve, feed, eliminate, spawn food: at least one,
else a 15% chance, never on a snake, on food or next to a head), a food next to each snake and one
in the centre at the start, random non-reversing moves.  Not the rules oracle (that is tests/model.py,
slower and more literal): just an honest "plain Python" speed for the same workload, 4 snakes on 11x11.
"""

from __future__ import annotations

import random
import time

DIRECTIONS = ((0, 1), (0, -1), (-1, 0), (1, 0))  # up, down, left, right
NOT_BACK = [[m for m in range(4) if m != (last ^ 1)] for last in range(4)]  # 0/1 and 2/3 are opposites
STARTS = ((1, 1), (1, 9), (9, 1), (9, 9))


class NaiveGame:
    def __init__(self, seed: int, size: int = 11, snakes: int = 4) -> None:
        self.random = random.Random(seed)
        self.size = size
        self.bodies = [[p, p, p] for p in STARTS[:snakes]]
        self.health = [100] * snakes
        self.alive = [True] * snakes
        self.last = [-1] * snakes
        self.food = {(size // 2, size // 2)}
        for x, y in STARTS[:snakes]:
            self.food.add(self.random.choice([(x + dx, y + dy) for dx in (-1, 1) for dy in (-1, 1)]))
        self.turn = 0

    def random_moves(self) -> list[int]:
        pick = self.random.choice
        return [pick(NOT_BACK[last]) if last >= 0 else pick((0, 1, 2, 3)) for last in self.last]

    def step(self, moves: list[int]) -> int:
        """One turn; returns how many snakes moved."""
        live = [i for i, a in enumerate(self.alive) if a]
        for i in live:
            dx, dy = DIRECTIONS[moves[i]]
            body = self.bodies[i]
            x, y = body[0]
            body.insert(0, (x + dx, y + dy))
            body.pop()
            self.last[i] = moves[i]
            self.health[i] -= 1
        for i in live:
            head = self.bodies[i][0]
            if head in self.food:
                self.health[i] = 100
                self.bodies[i].append(self.bodies[i][-1])
        for i in live:
            self.food.discard(self.bodies[i][0])
        taken = set()
        for i in live:
            taken.update(self.bodies[i][1:])
        dead = []
        for i in live:
            x, y = head = self.bodies[i][0]
            if self.health[i] <= 0 or not (0 <= x < self.size and 0 <= y < self.size) or head in taken:
                dead.append(i)
                continue
            for j in live:
                if j != i and self.bodies[j][0] == head and len(self.bodies[j]) >= len(self.bodies[i]):
                    dead.append(i)
                    break
        for i in dead:
            self.alive[i] = False
        if not self.food or self.random.random() < 0.15:
            occupied = {p for i, b in enumerate(self.bodies) if self.alive[i] for p in b}
            occupied.update((x + dx, y + dy) for i, b in enumerate(self.bodies) if self.alive[i]
                            for x, y in b[:1] for dx, dy in DIRECTIONS)
            free = [(x, y) for x in range(self.size) for y in range(self.size)
                    if (x, y) not in occupied and (x, y) not in self.food]
            if free:
                self.food.add(self.random.choice(free))
        self.turn += 1
        return len(live)

    @property
    def done(self) -> bool:
        return sum(self.alive) <= 1


def naive_run(seconds: float) -> tuple[float, float, float]:
    """(snake-moves per second, turns per second, CPU seconds per wall second), games restarting with
    the next seed as they end."""
    seed = 0
    game = NaiveGame(seed)
    moved = turns = 0
    began, cpu = time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - began) < seconds:
        for _ in range(100):
            moved += game.step(game.random_moves())
            turns += 1
            if game.done:
                seed += 1
                game = NaiveGame(seed)
    return moved / elapsed, turns / elapsed, (time.process_time() - cpu) / elapsed
