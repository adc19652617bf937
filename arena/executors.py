"""Where tournament games run: in this process, on worker processes, or as Ray tasks.

Every executor takes jobs (anything with an ``index``), a ``play(jobs)`` function that plays a list
of jobs and yields ``(job, result)`` as each finishes, and how many jobs to hand over at once
(``unit``); it yields ``(job, result)`` in completion order, and the caller puts them back in game
order.  A game whose worker dies (killed, out of memory) or whose ``play`` raises is tried once
more, on its own; if that fails too, the result is the ``Failure`` -- only that game is lost, the
others go on (the other unfinished games of a dead worker's unit are tried again too).

Stopping (Ctrl-C, or a caller that has seen enough, as ``snek compare`` does) interrupts the
games in flight with SIGINT, so each closes its bots (their processes are killed) before the
worker exits; workers also exit by themselves when the main process disappears (SIGKILL).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path

ATTEMPTS = 2  # a game is tried at most twice
PARENT_POLL_S = 0.5


@dataclass
class Failure:
    """A game that could not be played (twice): ``reason`` says why."""

    reason: str


def _failure(exc: Exception) -> Failure:
    return Failure(f"{type(exc).__name__}: {exc}"[:300])


def _attempt(play: Callable, unit: list) -> Iterator[tuple[object, object]]:
    """``play(unit)``'s results; if it raises (a bot that cannot load, a transport bug), every game of
    the unit without a result yet fails, not the run."""
    left = {job.index: job for job in unit}
    try:
        for job, result in play(unit):
            left.pop(job.index, None)
            yield job, result
    except Exception as exc:
        for job in left.values():
            yield job, _failure(exc)


def units(jobs: Iterable, size: int) -> Iterator[list]:
    """``jobs`` in lists of ``size`` (the last one shorter), lazily."""
    pending = iter(jobs)
    while unit := list(itertools.islice(pending, size)):
        yield unit


class InProcess:
    """Play games in this process (``workers=1``)."""

    def run(self, jobs: Iterable, play: Callable, unit: int = 1) -> Iterator[tuple[object, object]]:
        for batch in units(jobs, unit):
            for job, result in _attempt(play, batch):
                if isinstance(result, Failure):
                    _, result = next(_attempt(play, [job]))
                yield job, result

    def close(self) -> None:
        pass


def _watch_parent(parent: int) -> None:
    """Interrupt this worker once its parent is gone, so the game in flight closes its bots."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os.kill(os.getpid(), signal.SIGINT)


def _interrupt_once(signum, frame) -> None:
    """A second SIGINT (the terminal's and ours) must not cut short the closing of the bots."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _worker(conn: Connection, parent: int, play: Callable) -> None:
    signal.signal(signal.SIGINT, _interrupt_once)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    try:
        while (unit := conn.recv()) is not None:
            for job, result in _attempt(play, unit):
                conn.send((job.index, result))
            conn.send(None)  # the unit is done
    except (KeyboardInterrupt, EOFError, OSError):
        pass
    finally:
        # skip interpreter teardown: a lock copied mid-use by fork (stdout's, say) must not hang the exit
        os._exit(0)


class _Slot:
    """One worker process and the jobs of its unit that have no result yet (``busy`` until the unit is done)."""

    def __init__(self, context, play: Callable) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child, os.getpid(), play), daemon=True)
        self.process.start()
        child.close()
        self.jobs: dict[int, object] = {}
        self.busy = False


class ProcessPool:
    """``workers`` processes, one game each at a time; a dead worker is replaced and its game retried."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        # fork: workers start without re-importing the caller's main module (scripts need no guard);
        # they only ever run ``play``, which starts its own threads and processes afresh.
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.slots: list[_Slot] = []

    def run(self, jobs: Iterable, play: Callable, unit: int = 1) -> Iterator[tuple[object, object]]:
        pending = units(jobs, unit)
        retry: deque = deque()  # single jobs, tried again on their own
        tries: dict[int, int] = {}
        self.slots = [_Slot(self.context, play) for _ in range(self.workers)]
        while True:
            for i, slot in enumerate(self.slots):
                if not slot.busy and not slot.process.is_alive():  # died between units
                    slot.process.join()
                    slot.conn.close()
                    slot = self.slots[i] = _Slot(self.context, play)
                if not slot.busy and (batch := [retry.popleft()] if retry else next(pending, None)) is not None:
                    for job in batch:
                        tries[job.index] = tries.get(job.index, 0) + 1
                    slot.jobs = {job.index: job for job in batch}
                    slot.busy = True
                    slot.conn.send(batch)
            busy = [s for s in self.slots if s.busy]
            if not busy:
                return
            wait([s.conn for s in busy] + [s.process.sentinel for s in busy])
            for i, slot in enumerate(self.slots):
                if not slot.busy:
                    continue
                for job, result in self._receive(slot):
                    if isinstance(result, Failure) and tries[job.index] < ATTEMPTS:
                        retry.append(job)
                    else:
                        yield job, result
                if slot.busy and not slot.process.is_alive():  # died mid-unit: its unfinished games go again
                    slot.process.join()
                    code = slot.process.exitcode
                    slot.conn.close()
                    self.slots[i] = _Slot(self.context, play)
                    for job in slot.jobs.values():
                        if tries[job.index] < ATTEMPTS:
                            retry.append(job)
                        else:
                            yield job, Failure(f"worker process died (exit code {code}), twice")

    @staticmethod
    def _receive(slot: _Slot) -> Iterator[tuple[object, object]]:
        """The results ``slot``'s worker has sent so far; ``busy`` ends with its end-of-unit mark."""
        try:
            while slot.conn.poll():
                message = slot.conn.recv()
                if message is None:
                    slot.busy = False
                    return
                index, result = message
                yield slot.jobs.pop(index), result
        except (EOFError, OSError):
            pass  # died mid-answer: the caller sees a dead worker

    def close(self) -> None:
        """Interrupt the games in flight (their bots are closed), then stop every worker."""
        for slot in self.slots:
            if slot.process.is_alive():
                if slot.busy:
                    os.kill(slot.process.pid, signal.SIGINT)
                else:
                    try:
                        slot.conn.send(None)
                    except OSError:
                        pass
        deadline = time.monotonic() + 10
        for slot in self.slots:
            slot.process.join(max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            slot.conn.close()
        self.slots = []


RAY_MISSING = "--backend ray needs Ray: pip install 'snek-arena[ray]'"


def _ray_play(play: Callable, unit: list) -> list[tuple[int, object, bytes | None]]:
    """Play a unit in a Ray worker; each replay comes back as bytes for the driver to write."""
    with tempfile.TemporaryDirectory(prefix="snek-") as tmp:
        local = [replace(job, out=str(Path(tmp) / Path(job.out).name)) if getattr(job, "out", None) else job
                 for job in unit]
        answers = []
        for job, result in _attempt(play, local):
            out = getattr(job, "out", None)
            answers.append((job.index, result, Path(out).read_bytes() if out and Path(out).exists() else None))
    return answers


class RayPool:
    """Games as Ray tasks on an existing cluster (``address``) or a local one (``None``).

    A task plays one unit of games; bots start inside it; results and replay bytes come back as
    tasks finish, at most twice the cluster's CPUs in flight.  Ray itself retries a task whose
    worker died, once (the whole unit: units of more than one game hold only inline bots).
    """

    def __init__(self, address: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise ValueError(RAY_MISSING) from None
        self.ray = ray
        if not ray.is_initialized():
            try:
                ray.init(address=address, log_to_driver=False, include_dashboard=False,
                         logging_level="ERROR", configure_logging=True)
            except Exception as exc:  # a wrong address, a cluster that is down
                raise ValueError(f"cannot start or reach Ray at {address or 'a new local instance'}: {exc}") from None
        self.in_flight = max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
        self.running: dict = {}

    def run(self, jobs: Iterable, play: Callable, unit: int = 1) -> Iterator[tuple[object, object]]:
        ray = self.ray
        task = ray.remote(max_retries=ATTEMPTS - 1)(_ray_play)
        pending = units(jobs, unit)
        while True:
            while len(self.running) < self.in_flight and (batch := next(pending, None)) is not None:
                self.running[task.remote(play, batch)] = batch
            if not self.running:
                return
            done, _ = ray.wait(list(self.running), num_returns=1)
            for ref in done:
                batch = {job.index: job for job in self.running.pop(ref)}
                try:
                    answers = ray.get(ref)
                except Exception as exc:  # the worker died on both tries
                    failure = Failure(f"ray task failed: {type(exc).__name__}: {exc}"[:300])
                    answers = [(index, failure, None) for index in batch]
                for index, result, data in answers:
                    job = batch[index]
                    if data is not None:
                        Path(job.out).parent.mkdir(parents=True, exist_ok=True)
                        Path(job.out).write_bytes(data)
                    yield job, result

    def close(self) -> None:
        for ref in self.running:
            self.ray.cancel(ref, force=True)
        self.running = {}


def executor(backend: str, workers: int, address: str | None = None):
    """The executor for a ``--backend`` (``local`` or ``ray``) and worker count."""
    if backend == "ray":
        return RayPool(address)
    if backend != "local":
        raise ValueError(f"unknown backend {backend!r} (local or ray)")
    return InProcess() if workers == 1 else ProcessPool(workers)
