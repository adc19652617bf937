"""The stdio transport: a bot in any language, run as a subprocess speaking JSON lines.

Protocol (docs/bots.md): for each event we write one line, the Battlesnake request body plus
``"type"``: ``"start"`` (once), ``"move"`` (every turn), ``"end"`` (once).  The bot answers each
``move`` line — and only those — with one line ``{"move": "up"}`` (optionally ``"shout"``);
stdout is for answers only, debugging goes to stderr, which we drain continuously and attach
(the tail of what was written during the turn) to the snake's frame in the replay.

Why threads: a reader, a writer and a stderr drain each own one pipe, so a bot that hangs,
floods stderr or stops reading stdin can never block the game — ``move`` waits on a queue with
the turn's timeout.  The bot runs in its own session (process group) so closing kills it and
any children it spawned; an ``atexit`` hook is the last resort against orphans.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import re
import select
import shlex
import signal
import subprocess
import threading
import time
import weakref
from collections import deque

from arena.players.base import MoveResult, Player, parse_answer

STDERR_LINES = 20  # tail kept per turn
STDERR_CHARS = 2000
MAX_LINE = 1 << 20  # an answer line longer than this is garbage
SHELL_SYNTAX = re.compile(r"[;&|$`()<>*?~{}\\=\n'\"]")  # anything shlex alone would not run as the shell does
_EOF = object()
_live: weakref.WeakSet[StdioPlayer] = weakref.WeakSet()


@atexit.register
def _kill_all() -> None:
    for player in list(_live):
        player.close()


class StdioPlayer(Player):
    """Runs ``command`` (a shell command line) once per game, or once for many games if ``warm``.

    ``warm`` keeps the process between games (``end`` does not stop it); ``close`` always does.
    A process that exits mid-game is not restarted: its snake's moves are errors (``crash``)
    until the game ends.
    """

    kind = "stdio"

    def __init__(self, command: str, name: str | None = None, color: str | None = None, warm: bool = False,
                 cwd: str | None = None, env: dict[str, str] | None = None) -> None:
        self.command = command
        self.name = name or (command.split() or ["stdio"])[-1].rsplit("/", 1)[-1]
        self.color = color
        self.warm = warm
        self.cwd, self.env = cwd, env
        self._proc: subprocess.Popen | None = None
        self._answers: queue.Queue = queue.Queue()
        self._requests: queue.Queue = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=STDERR_LINES)
        self._stderr_partial = b""  # an unfinished last line
        self._stderr_lock = threading.Lock()
        self._outstanding = 0  # move lines sent whose answer has not been read yet
        self._crash: str | None = None
        self._threads: list[threading.Thread] = []

    # --- process lifecycle ----------------------------------------------------------------

    def _launch(self) -> None:
        # A plain command line runs directly (the pid we hold is the bot's); shell syntax gets a shell.
        shell = bool(SHELL_SYNTAX.search(self.command))
        self._proc = subprocess.Popen(
            self.command if shell else shlex.split(self.command), shell=shell, cwd=self.cwd, env=self.env,
            start_new_session=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self._answers, self._requests = queue.Queue(), queue.Queue()
        self._outstanding, self._crash = 0, None
        with self._stderr_lock:
            self._stderr.clear()
            self._stderr_partial = b""
        self._threads = [threading.Thread(target=target, args=(self._proc, self._answers, self._requests),
                                          daemon=True, name=f"snek-stdio{target.__name__}")
                         for target in (self._read_stdout, self._drain_stderr, self._write_stdin)]
        for thread in self._threads:
            thread.start()
        _live.add(self)

    @staticmethod
    def _read_stdout(proc: subprocess.Popen, answers: queue.Queue, _requests: queue.Queue) -> None:
        try:
            for line in iter(lambda: proc.stdout.readline(MAX_LINE), b""):
                answers.put(line)
        except (OSError, ValueError):
            pass
        answers.put(_EOF)

    def _drain_stderr(self, proc: subprocess.Popen, _answers: queue.Queue, _requests: queue.Queue) -> None:
        """Keep the bot's stderr pipe empty (a full pipe would block the bot)."""
        try:
            fd = proc.stderr.fileno()
            os.set_blocking(fd, False)
            while True:
                select.select([fd], [], [], 0.2)
                with self._stderr_lock:
                    if not self._pull_stderr(fd):
                        return
        except (OSError, ValueError):
            pass

    def _pull_stderr(self, fd: int) -> bool:
        """Move whatever the pipe holds into the tail (caller holds the lock); False at end of file."""
        while True:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                return True
            if not data:
                return False
            self._stderr_partial += data
            *lines, self._stderr_partial = self._stderr_partial.split(b"\n")
            self._stderr.extend(line[:STDERR_CHARS].decode("utf-8", "replace") for line in lines)
            self._stderr_partial = self._stderr_partial[-STDERR_CHARS:]

    @staticmethod
    def _write_stdin(proc: subprocess.Popen, _answers: queue.Queue, requests: queue.Queue) -> None:
        """Feed stdin from a queue: a bot that stops reading blocks only this thread."""
        try:
            while (data := requests.get()) is not None:
                proc.stdin.write(data)
                proc.stdin.flush()
        except (OSError, ValueError):
            pass

    def _send(self, state: dict, kind: str) -> None:
        self._requests.put((json.dumps({**state, "type": kind}, separators=(",", ":")) + "\n").encode())

    def _running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and self._crash is None

    def _take_stderr(self) -> str | None:
        """This turn's stderr tail.  The bot wrote it before its answer, so what the drain thread
        has not moved yet is still in the pipe: read that too, under the same lock (no race)."""
        with self._stderr_lock:
            try:
                if self._proc and self._proc.stderr:
                    self._pull_stderr(self._proc.stderr.fileno())
            except (OSError, ValueError):
                pass
            lines = list(self._stderr)
            self._stderr.clear()
        return "\n".join(lines)[-STDERR_CHARS:] if lines else None

    def _crashed(self) -> str:
        if self._crash is None:
            try:
                code = self._proc.wait(timeout=1) if self._proc else None
            except subprocess.TimeoutExpired:  # closed its stdout but still running: as good as dead
                code = None
            self._crash = f"crash: exited with code {code}" if code is not None else "crash: closed its stdout"
        return self._crash

    # --- the Player interface -------------------------------------------------------------

    def start(self, state: dict) -> None:
        if not (self.warm and self._running()):
            self.close()
            self._launch()
        self._send(state, "start")

    def move(self, state: dict, timeout_ms: int) -> MoveResult:
        if self._proc is None:
            self._launch()
        began = time.perf_counter()
        if self._crash is not None:
            return MoveResult(None, latency_ms=0.0, error=self._crash, stderr=self._take_stderr())
        self._send(state, "move")
        self._outstanding += 1
        deadline = began + timeout_ms / 1000
        result: MoveResult | None = None
        while result is None:
            try:
                line = self._answers.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                result = MoveResult(None, error="timeout")
                break
            if line is _EOF:
                result = MoveResult(None, error=self._crashed())
                break
            self._outstanding -= 1
            if self._outstanding > 0:
                continue  # a late answer to an earlier turn: skip it, the next line is ours
            try:
                answer = json.loads(line)
            except ValueError:
                text = line.decode("utf-8", "replace").strip()
                result = MoveResult(None, error=f"bad-output: {text[:80]!r} is not JSON")
                break
            result = parse_answer(answer)
        result.latency_ms = round((time.perf_counter() - began) * 1000, 2)
        result.stderr = self._take_stderr()
        return result

    def end(self, state: dict) -> None:
        if self._running():
            self._send(state, "end")
        if not self.warm:
            self.close()

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        _live.discard(self)
        self._requests.put(None)
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=0.2)  # a polite bot exits on end of input
        except subprocess.TimeoutExpired:
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)  # the whole group: shells and whatever the bot started
            except (ProcessLookupError, PermissionError):
                break
            try:
                proc.wait(timeout=1)
                break
            except subprocess.TimeoutExpired:
                continue
        for thread in self._threads:  # the readers see end-of-file once the group is gone
            thread.join(timeout=1)
        for pipe in (proc.stdout, proc.stderr):
            try:
                pipe.close()
            except OSError:
                pass
