"""The player interface and the in-process Python transport."""

from __future__ import annotations

import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from arena import jsonio
from arena.geometry import MOVES


@dataclass
class MoveResult:
    move: str | None
    latency_ms: float | None = None
    error: str | None = None
    shout: str | None = None
    stderr: str | None = None  # what a subprocess bot wrote to stderr during this turn (its tail)

    def __post_init__(self) -> None:
        # a bot's JSON may hold a lone surrogate ("\ud800"), which UTF-8 cannot carry: replaced here, once,
        # as Go's encoding/json does in Battlesnake's engine, so no frame, file or socket ever trips on it
        if self.shout:
            self.shout = jsonio.clean_text(self.shout)


def parse_answer(answer) -> MoveResult:
    """Accept a move string or a ``{"move": ..., "shout": ...}`` dict; anything else is bad output."""
    shout = None
    if isinstance(answer, dict):
        shout = answer.get("shout") if isinstance(answer.get("shout"), str) else None
        answer = answer.get("move")
    if isinstance(answer, str) and answer.lower() in MOVES:
        return MoveResult(answer.lower(), shout=shout)
    return MoveResult(None, error=f"bad-output: {str(answer)[:80]!r} is not a move", shout=shout)


class Player(ABC):
    """A seat in a game.  ``move`` must return within the request's ``game.timeout``."""

    name: str = "player"
    kind: str = "python"
    color: str | None = None
    head: str = "default"  # Battlesnake customizations, passed to every snake in the request body
    tail: str = "default"
    concurrent: bool = False  # may ``move`` be called while an earlier call is still running?
    inline: bool = False  # ``move``/``start``/``end`` always return promptly: the match calls them on its own thread
    listens: bool = True  # ``start``/``end`` do something: the match builds their requests and calls them

    def start(self, state: dict) -> None:
        """Called once before turn 0 with the initial game state."""

    @abstractmethod
    def move(self, state: dict, timeout_ms: int) -> MoveResult:
        """Answer one turn within ``timeout_ms`` (the match also stops waiting then)."""

    @property
    def reads_view(self) -> bool:
        """Whether ``move_view`` answers instead of ``move``: the match then builds no request for this
        seat, only an ``arena.position.View`` from its batch (the same facts, no dicts)."""
        return False

    def move_view(self, view, timeout_ms: int) -> MoveResult:
        """``move`` for an ``arena.position.View`` (only asked when ``reads_view``)."""
        raise NotImplementedError

    @property
    def batch_answer(self) -> Callable | None:
        """``answer(asked) -> moves`` (0-3) for many games' snakes at once (an ``arena.position.Asked``),
        shared by every player of the same bot, or None: a lockstep of many games (``arena.lockstep``)
        then asks this seat in every game with one call.  Only for inline players."""
        return None

    def end(self, state: dict) -> None:
        """Called once with the final game state."""

    def demote(self) -> None:
        """Stop answering inline: an inline call overran the turn's deadline, so later calls go through a
        thread the match stops waiting for at the deadline (``inline`` becomes False).  Nothing to do for
        players that are not inline."""

    def close(self) -> None:
        """Release processes, sockets or threads; safe to call twice."""


def describe(exc: BaseException) -> str:
    """``Type: message`` (``Type`` when there is no message) on one line, bounded."""
    text = " ".join(str(exc).split())
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:190]


class _Job:
    def __init__(self, fn: Callable, arg: object) -> None:
        self.fn, self.arg = fn, arg
        self.value: object = None
        self.error: str | None = None
        self.done = threading.Event()


class CallWorker:
    """Runs a bot's calls one at a time on a daemon thread, each caller waiting only until its deadline.

    Why: Python cannot stop a thread, so a policy that never returns must at least not hold up
    the caller (the deadline holds) nor the interpreter's exit (a daemon thread is never joined).
    Why one at a time: policies need not be thread-safe; a call that finds the previous one still
    running waits for it, up to its own deadline.  Why a thread of its own that outlives a call:
    handing a call over costs tens of microseconds, starting a thread several times that.  The
    thread ends after a few idle seconds and is started again on demand.
    Everything the call raises, ``SystemExit`` and ``KeyboardInterrupt`` included, is the bot's
    error: a real Ctrl-C is only ever delivered to the main thread, never to this one.
    """

    IDLE_S = 5.0

    def __init__(self, name: str) -> None:
        self.name = name
        self._free = threading.Lock()  # held from a call's start until it returns (released by the worker)
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None

    def call(self, fn: Callable, arg: object, timeout_s: float) -> tuple[object, str | None]:
        """``(value, None)``, or ``(None, error)`` for a raise, a timeout or a busy worker."""
        began = time.perf_counter()
        if not self._free.acquire(timeout=max(0.0, timeout_s)):
            return None, "timeout (still busy with an earlier turn)"
        job = _Job(fn, arg)
        with self._guard:
            self._jobs.put(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"snek-python-{self.name}", daemon=True)
                self._thread.start()
        if job.done.wait(max(0.0, timeout_s - (time.perf_counter() - began))):
            return job.value, job.error
        return None, "timeout"

    def _run(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=self.IDLE_S)
            except queue.Empty:
                with self._guard:
                    if self._jobs.empty():
                        self._thread = None
                        return
                continue
            try:
                job.value = job.fn(job.arg)
            except BaseException as exc:  # noqa: BLE001 - the bot's SystemExit / KeyboardInterrupt is its error
                job.error = f"crash: {describe(exc)}"
            finally:
                job.done.set()
                self._free.release()


def hook_timeout_s(state: dict) -> float:
    """How long ``start`` / ``end`` may take: the request's ``game.timeout``, at least 1 s."""
    game = state.get("game") if isinstance(state, dict) else None
    timeout = game.get("timeout") if isinstance(game, dict) else None
    return max(timeout if isinstance(timeout, int) and not isinstance(timeout, bool) else 0, 1000) / 1000


class PythonPlayer(Player):
    """An in-process callable ``policy(state) -> move`` (or ``{"move", "shout"}``).

    The policy runs on a ``CallWorker``: ``move`` returns by ``timeout_ms`` whatever the policy
    does (late is ``timeout``), one call at a time, and whatever it raises is its error.
    Optional ``policy.start(state)`` / ``policy.end(state)`` run the same way, for up to the
    request's ``game.timeout`` (at least 1 s); their errors are ignored, as Battlesnake does.

    ``inline=True`` is for policies known to return (``bounded``, see ``arena.players.spec.builtin_player``):
    they run on the caller's thread, which spares a thread hand-over per move.  The outcome is
    the same: an answer that took longer than ``timeout_ms`` is dropped as ``timeout``, and an
    ``Exception`` is the bot's crash (a ``KeyboardInterrupt`` there is the user's Ctrl-C).
    """

    kind = "python"

    def __init__(self, policy: Callable[[dict], object], name: str | None = None, color: str | None = None,
                 inline: bool = False) -> None:
        self.policy = policy
        self.name = name or getattr(policy, "__name__", "python")
        self.color = color
        self.inline = inline
        self._start = getattr(policy, "start", None)
        self._end = getattr(policy, "end", None)
        self.listens = callable(self._start) or callable(self._end)  # a plain function needs no hook requests
        self._answer_view = getattr(policy, "answer_view", None)
        self._answer_batch = getattr(policy, "answer_batch", None)
        self._worker = None if inline else CallWorker(self.name)

    def demote(self) -> None:
        if self.inline:
            self.inline = False
            self._worker = CallWorker(self.name)

    def _call(self, fn: Callable, state: dict, timeout_s: float) -> tuple[object, str | None]:
        if self._worker is not None:
            return self._worker.call(fn, state, timeout_s)
        began = time.perf_counter()
        try:
            value = fn(state)
        except Exception as exc:  # the bot's error, as on the worker (SystemExit / Ctrl-C go up)
            return None, f"crash: {describe(exc)}"
        return (None, "timeout") if time.perf_counter() - began > timeout_s else (value, None)

    def start(self, state: dict) -> None:
        if callable(self._start):
            self._call(self._start, state, hook_timeout_s(state))

    @property
    def reads_view(self) -> bool:
        """An inline policy with ``policy.answer_view(view) -> move`` (the built-in bots: ``snek_bots.common
        .view_bot``) is handed views; on a thread (not inline, or demoted) it gets requests as before."""
        return self.inline and callable(self._answer_view)

    @property
    def batch_answer(self) -> Callable | None:
        """An inline policy's ``policy.answer_batch`` (the built-in bots: ``snek_bots.common.view_bot``)."""
        return self._answer_batch if self.reads_view and callable(self._answer_batch) else None

    def move(self, state: dict, timeout_ms: int) -> MoveResult:
        return self._move(self.policy, state, timeout_ms)

    def move_view(self, view, timeout_ms: int) -> MoveResult:
        return self._move(self._answer_view, view, timeout_ms)

    def _move(self, fn: Callable, request, timeout_ms: int) -> MoveResult:
        began = time.perf_counter()
        answer, error = self._call(fn, request, timeout_ms / 1000)
        result = MoveResult(None, error=error) if error else parse_answer(answer)
        result.latency_ms = round((time.perf_counter() - began) * 1000, 2)
        return result

    def end(self, state: dict) -> None:
        if callable(self._end):
            self._call(self._end, state, hook_timeout_s(state))
