"""One thread drives every room's fixed-timestep loop.

A room's loop is a generator (``Room._loop``) that yields the monotonic time it wants to be resumed
at: its next tick's deadline.  The scheduler keeps those deadlines in a heap and, at each one, runs
the room's turn.  A thread per room would have every room wake on its own and queue for the GIL
behind the others' turns; one thread runs the due turns one after another, in deadline order, and
sleeps exactly until the next deadline.

A turn whose players all answer on the spot (built-in bots called inline, humans' buffered moves:
``Player.inline``) runs on the scheduler's thread.  A room with a player that blocks (a subprocess
or HTTP bot the match waits for, up to 75% of a tick) would hold every other room back, so its turns
run on a pool thread instead, and the room is put back on the heap when the turn is done.  A room
whose turn on the scheduler's thread took more CPU than ``inline_step_s`` (a bot too slow to answer
inline, a huge board) is demoted the same way for good: one room never holds the others back twice.
(A room sets its game up and plays its first turn on the pool: only its later turns are judged.)
"""

from __future__ import annotations

import gc
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from snek_viewer.phases import Phases

Loop = Iterator[float]  # yields the monotonic time to resume at
log = logging.getLogger(__name__)


class Task:
    """One room's loop on the scheduler: finished (``done``) when the generator returns."""

    def __init__(self, name: str, loop: Loop, inline: Callable[[], bool]) -> None:
        self.name = name
        self.loop = loop
        self.inline = inline
        self.done = threading.Event()
        self.due = 0.0  # when its loop asked to be resumed
        self.running = False  # taken off the heap for a turn (on the scheduler's thread or a pool thread)
        self.poked = False  # asked to resume at once while running: it goes back on the heap due now
        self.demoted = False  # its turns run on the pool from now on (one took too long on the scheduler's thread)


class Scheduler:
    def __init__(self, pool_threads: int = 64, inline_step_s: float = 0.02) -> None:
        self.inline_step_s = inline_step_s
        self._heap: list[tuple[float, int, Task]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._stop = False
        self.phases = Phases()  # where in its tick each room plays (rooms of one tick spread evenly)
        self._settled = False
        self.observe: Callable[[Task, float], None] | None = None  # (task, seconds late) per step: measuring
        self._pool = ThreadPoolExecutor(max_workers=pool_threads, thread_name_prefix="snek-room-turn")
        self._thread = threading.Thread(target=self._run, name="snek-rooms", daemon=True)
        self._thread.start()

    def add(self, task: Task, due: float | None = None) -> None:
        with self._cond:
            self._push(task, time.monotonic() if due is None else due)

    def poke(self, task: Task) -> None:
        """Resume ``task`` now (it was asked to stop): its loop sees that and finishes."""
        with self._cond:
            if task.done.is_set():
                return
            if task.running:
                task.poked = True
                return
            self._heap = [entry for entry in self._heap if entry[2] is not task]
            heapq.heapify(self._heap)
            self._push(task, time.monotonic())

    def settle(self) -> None:
        """A room's game is set up: the first time, collect garbage and freeze what the process holds.

        Why: the first game loads the compiled kernels (~60,000 Python objects that live as long as the
        process), and every full collection then walks them all: ~60 ms holding the GIL, every room's
        turn waiting behind it.  Frozen (``gc.freeze``) they are never walked again; later rooms add a
        few hundred objects each, collected as before.  Done once, on the pool thread that set the first
        game up (before any turn of it is due)."""
        with self._cond:
            if self._settled:
                return
            self._settled = True
        gc.collect()
        gc.freeze()

    def on_own_thread(self) -> bool:
        return threading.current_thread() is self._thread or threading.current_thread().name.startswith(
            "snek-room-turn")

    def _push(self, task: Task, due: float) -> None:
        task.due = due
        heapq.heappush(self._heap, (due, next(self._order), task))
        self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stop:
                    now = time.monotonic()
                    if self._heap and self._heap[0][0] <= now:
                        break
                    self._cond.wait(self._heap[0][0] - now if self._heap else None)
                if self._stop:
                    return
                _, _, task = heapq.heappop(self._heap)
                task.running = True
            if task.inline() and not task.demoted:
                began = time.thread_time()
                self._step(task)
                spent = time.thread_time() - began
                if spent > self.inline_step_s and not task.demoted:
                    task.demoted = True
                    log.warning("room %s took %.0f ms of CPU on the scheduler's thread: its turns run on the pool "
                                "from now on", task.name, spent * 1000)
            else:
                self._pool.submit(self._step, task)

    def _step(self, task: Task) -> None:
        """Run the task's loop to its next yield; put it back on the heap for then."""
        if self.observe is not None:
            self.observe(task, time.monotonic() - task.due)
        try:
            due = next(task.loop)
        except StopIteration:
            due = None
        except Exception:  # a room's bug ends that room, never the scheduler (nor the other rooms)
            log.exception("room %s stopped on an error", task.name)
            due = None
        with self._cond:
            task.running = False
            if due is None:
                task.done.set()
            else:
                self._push(task, time.monotonic() if task.poked else due)
                task.poked = False
