"""Where tournament games run: in this process, on worker processes, or as Ray tasks.

Every executor takes jobs (anything with an ``index``) and a ``play(job)`` function, and yields
``(job, result)`` as games finish, in completion order; the caller puts them back in game order.
A game whose worker dies (killed, out of memory) or whose ``play`` raises is tried once more; if
that fails too, the result is the ``Failure`` -- only that game is lost, the others go on.

Stopping (Ctrl-C, or a caller that has seen enough, as ``snek compare`` does) interrupts the
games in flight with SIGINT, so each closes its bots (their processes are killed) before the
worker exits; workers also exit by themselves when the main process disappears (SIGKILL).
"""

from __future__ import annotations

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


def _attempt(play: Callable, job) -> object:
    try:
        return play(job)
    except Exception as exc:  # a bot that cannot load, a transport bug: this game fails, not the run
        return Failure(f"{type(exc).__name__}: {exc}"[:300])


class InProcess:
    """Play games one after another in this process (``workers=1``)."""

    def run(self, jobs: Iterable, play: Callable) -> Iterator[tuple[object, object]]:
        for job in jobs:
            result = _attempt(play, job)
            if isinstance(result, Failure):
                result = _attempt(play, job)
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
        while (job := conn.recv()) is not None:
            conn.send((job.index, _attempt(play, job)))
    except (KeyboardInterrupt, EOFError, OSError):
        pass
    finally:
        # skip interpreter teardown: a lock copied mid-use by fork (stdout's, say) must not hang the exit
        os._exit(0)


class _Slot:
    """One worker process and the job it is playing, if any."""

    def __init__(self, context, play: Callable) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker, args=(child, os.getpid(), play), daemon=True)
        self.process.start()
        child.close()
        self.job = None


class ProcessPool:
    """``workers`` processes, one game each at a time; a dead worker is replaced and its game retried."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        # fork: workers start without re-importing the caller's main module (scripts need no guard);
        # they only ever run ``play``, which starts its own threads and processes afresh.
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.slots: list[_Slot] = []

    def run(self, jobs: Iterable, play: Callable) -> Iterator[tuple[object, object]]:
        pending = iter(jobs)
        retry: deque = deque()
        tries: dict[int, int] = {}
        self.slots = [_Slot(self.context, play) for _ in range(self.workers)]
        while True:
            for i, slot in enumerate(self.slots):
                if slot.job is None and not slot.process.is_alive():  # died between games
                    slot.process.join()
                    slot.conn.close()
                    slot = self.slots[i] = _Slot(self.context, play)
                if slot.job is None and (job := retry.popleft() if retry else next(pending, None)) is not None:
                    tries[job.index] = tries.get(job.index, 0) + 1
                    slot.job = job
                    slot.conn.send(job)
            busy = [s for s in self.slots if s.job is not None]
            if not busy:
                return
            ready = wait([s.conn for s in busy] + [s.process.sentinel for s in busy])
            for i, slot in enumerate(self.slots):
                if slot.job is None:
                    continue
                job = slot.job
                if slot.conn in ready:
                    try:
                        index, result = slot.conn.recv()
                    except (EOFError, OSError):
                        result = None  # died mid-answer: handled as a dead worker below
                    else:
                        slot.job = None
                        if isinstance(result, Failure) and tries[index] < ATTEMPTS:
                            retry.append(job)
                        else:
                            yield job, result
                        continue
                if slot.process.sentinel in ready or not slot.process.is_alive():
                    slot.process.join()
                    code = slot.process.exitcode
                    slot.conn.close()
                    self.slots[i] = _Slot(self.context, play)
                    if tries[job.index] < ATTEMPTS:
                        retry.append(job)
                    else:
                        yield job, Failure(f"worker process died (exit code {code}), twice")

    def close(self) -> None:
        """Interrupt the games in flight (their bots are closed), then stop every worker."""
        for slot in self.slots:
            if slot.process.is_alive():
                if slot.job is not None:
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


def _ray_play(play: Callable, job) -> tuple[object, bytes | None]:
    """Play in a Ray worker; the replay comes back as bytes for the driver to write."""
    target = getattr(job, "out", None)
    with tempfile.TemporaryDirectory(prefix="snek-") as tmp:
        if target:
            job = replace(job, out=str(Path(tmp) / Path(target).name))
        result = _attempt(play, job)
        data = Path(job.out).read_bytes() if target and Path(job.out).exists() else None
    return result, data


class RayPool:
    """Games as Ray tasks on an existing cluster (``address``) or a local one (``None``).

    Bots start inside the task; results and replay bytes stream back as tasks finish, at most
    twice the cluster's CPUs in flight.  Ray itself retries a task whose worker died, once.
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

    def run(self, jobs: Iterable, play: Callable) -> Iterator[tuple[object, object]]:
        ray = self.ray
        task = ray.remote(max_retries=ATTEMPTS - 1)(_ray_play)
        pending = iter(jobs)
        while True:
            while len(self.running) < self.in_flight and (job := next(pending, None)) is not None:
                self.running[task.remote(play, job)] = job
            if not self.running:
                return
            done, _ = ray.wait(list(self.running), num_returns=1)
            for ref in done:
                job = self.running.pop(ref)
                try:
                    result, data = ray.get(ref)
                except Exception as exc:  # the worker died on both tries
                    result, data = Failure(f"ray task failed: {type(exc).__name__}: {exc}"[:300]), None
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
