"""The stdio transport: a bot in any language, run as a subprocess speaking JSON lines.

Protocol (docs/bots.md): for each event we write one line, the Battlesnake request body (which
carries ``"turn"``) plus ``"type"``: ``"start"`` (once), ``"move"`` (every turn), ``"end"`` (once).
The bot answers each ``move`` line with one JSON object line ``{"move": "up"}`` (optionally
``"shout"``, and ``"turn"`` to say which request it answers).  Every other stdout line (plain text,
JSON that is not an object) is the bot's log, kept with its stderr: the tail written during a turn
goes on the snake's frame in the replay.  Answers are matched to requests: one that names another
turn, or names none and arrived before the request was fully written, answered an earlier turn
and is dropped, so a bot that answers late, twice or never can never shift later moves.

Why threads and non-blocking writes: a reader drains stdout and another stderr, so a bot that
floods either never blocks; requests are written without blocking, so a bot that stops reading
stdin only makes its own moves late.  The bot runs in its own process group and carries a marker
in its environment, so closing kills it and everything it started, even children that left the
group with ``setsid``; an ``atexit`` hook is the last resort against orphans.
"""

from __future__ import annotations

import atexit
import os
import queue
import re
import select
import shlex
import signal
import subprocess
import threading
import time
import uuid
import weakref
from collections import deque

from arena import jsonio
from arena.players.base import MoveResult, Player, parse_answer

STDERR_LINES = 20  # log tail kept per turn
STDERR_CHARS = 2000
MAX_LINE = 1 << 20  # a stdout line longer than this is one bad answer
SHELL_SYNTAX = re.compile(r"[;&|$`()<>*?~{}\\=\n'\"]")  # anything shlex alone would not run as the shell does
MARKER = "SNEK_STDIO_BOT"  # environment variable naming the bot's processes, inherited by its children
_EOF = object()
_OVERSIZED = object()
_live: weakref.WeakSet[StdioPlayer] = weakref.WeakSet()


@atexit.register
def _kill_all() -> None:
    for player in list(_live):
        player.close()


def marked_processes(marker: str) -> list[int]:
    """Pids of live processes whose environment holds ``MARKER=marker`` (Linux /proc; elsewhere none)."""
    if not os.path.exists("/proc/self/environ"):
        return []
    needle = f"\0{MARKER}={marker}\0".encode()
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/environ", "rb") as handle:
                    if needle in b"\0" + handle.read() + b"\0":
                        found.append(int(name))
            except OSError:  # gone, or not ours to read
                continue
    return found


def kill_bot(proc: subprocess.Popen, marker: str, grace: float = 0.5) -> None:
    """SIGTERM, then SIGKILL, the bot's process group and every process carrying its marker.

    A killed parent's children are re-parented and keep the marker, so a few rounds of the
    scan catch anything that forked meanwhile; processes that cleared their environment and
    left the group are beyond reach (documented)."""
    def signal_all(sig: int) -> bool:
        hit = False
        try:
            os.killpg(proc.pid, sig)
            hit = True
        except (ProcessLookupError, PermissionError):
            pass
        for pid in marked_processes(marker):
            try:
                os.kill(pid, sig)
                hit = True
            except (ProcessLookupError, PermissionError):
                pass
        return hit

    if signal_all(signal.SIGTERM):
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    for _ in range(10):
        if not signal_all(signal.SIGKILL):
            break
        time.sleep(0.01)
    try:
        proc.wait(timeout=1)
    except subprocess.TimeoutExpired:
        pass


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
        self._marker = ""
        self._answers: queue.Queue = queue.Queue()
        self._log: deque[str] = deque(maxlen=STDERR_LINES)
        self._stderr_partial = b""  # an unfinished last line
        self._log_lock = threading.Lock()
        self._partial = b""  # the rest of a request line the bot has not taken yet
        self._next = b""  # the newest request, not started (replaced by a newer one: stale requests are useless)
        self._waiting: deque[float] = deque(maxlen=1000)  # write times of move requests not answered yet
        self._last_arrival = 0.0  # when the latest answer arrived
        self._written_at = 0.0  # when the last write of a request began
        self._crash: str | None = None
        self._threads: list[threading.Thread] = []
        self._closing = threading.Lock()

    # --- process lifecycle ----------------------------------------------------------------

    def _launch(self) -> None:
        # A plain command line runs directly (the pid we hold is the bot's); shell syntax gets a shell.
        shell = bool(SHELL_SYNTAX.search(self.command))
        self._marker = uuid.uuid4().hex
        self._proc = subprocess.Popen(
            self.command if shell else shlex.split(self.command), shell=shell, cwd=self.cwd,
            env={**(self.env if self.env is not None else os.environ), MARKER: self._marker}, bufsize=0,
            start_new_session=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        os.set_blocking(self._proc.stdin.fileno(), False)
        self._answers = queue.Queue()
        self._partial = self._next = b""
        self._waiting.clear()
        self._last_arrival = 0.0
        self._crash = None
        with self._log_lock:
            self._log.clear()
            self._stderr_partial = b""
        self._threads = [threading.Thread(target=target, args=(self._proc, self._answers), daemon=True,
                                          name=f"snek-stdio{target.__name__}")
                         for target in (self._read_stdout, self._drain_stderr)]
        for thread in self._threads:
            thread.start()
        _live.add(self)

    def _read_stdout(self, proc: subprocess.Popen, answers: queue.Queue) -> None:
        """Split stdout into lines: JSON objects are answers (stamped with their arrival time),
        anything else is the bot's log; a line over ``MAX_LINE`` is one oversized answer."""
        fd, partial, oversized = proc.stdout.fileno(), b"", False
        try:
            while data := os.read(fd, 65536):
                *lines, rest = (partial + data).split(b"\n")
                for line in lines:
                    if oversized or len(line) > MAX_LINE:
                        answers.put((time.perf_counter(), _OVERSIZED))
                        oversized = False
                    else:
                        self._take_line(line, answers)
                partial = rest
                if len(partial) > MAX_LINE:  # drop it as it comes, remember to report it once
                    partial, oversized = b"", True
        except (OSError, ValueError):
            pass
        answers.put((time.perf_counter(), _EOF))

    def _take_line(self, line: bytes, answers: queue.Queue) -> None:
        try:
            answer = jsonio.loads(line)
        except ValueError:
            answer = None
        if isinstance(answer, dict):
            answers.put((time.perf_counter(), answer))
        elif line.strip():
            with self._log_lock:
                self._log.append(line[:STDERR_CHARS].decode("utf-8", "replace").rstrip("\r"))

    def _drain_stderr(self, proc: subprocess.Popen, _answers: queue.Queue) -> None:
        """Keep the bot's stderr pipe empty (a full pipe would block the bot)."""
        try:
            fd = proc.stderr.fileno()
            os.set_blocking(fd, False)
            while True:
                select.select([fd], [], [], 0.2)
                with self._log_lock:
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
            self._log.extend(line[:STDERR_CHARS].decode("utf-8", "replace") for line in lines)
            self._stderr_partial = self._stderr_partial[-STDERR_CHARS:]

    def _send(self, state: dict, kind: str, deadline: float) -> bool:
        """Queue a request line and write what the pipe takes until ``deadline``; True once it is all written.

        Never blocks past the deadline: a bot that stops reading only makes its own answers late."""
        self._next = jsonio.dumps_line({**state, "type": kind})
        fd = self._proc.stdin.fileno()
        while self._partial or self._next:
            if not self._partial:
                self._partial, self._next = self._next, b""
            try:
                self._written_at = time.perf_counter()  # before the write: the bot may answer before we look again
                self._partial = self._partial[os.write(fd, self._partial):]
                continue
            except BlockingIOError:
                pass
            except (OSError, ValueError):  # the bot closed its stdin or exited: its answers tell the rest
                self._partial = self._next = b""
                return False
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return False
            select.select([], [fd], [], remaining)
        return True

    def _running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and self._crash is None

    def _take_log(self) -> str | None:
        """This turn's log tail.  The bot wrote its stderr before its answer, so what the drain thread
        has not moved yet is still in the pipe: read that too, under the same lock (no race)."""
        with self._log_lock:
            try:
                if self._proc and self._proc.stderr:
                    self._pull_stderr(self._proc.stderr.fileno())
            except (OSError, ValueError):
                pass
            lines = list(self._log)
            self._log.clear()
        return "\n".join(lines)[-STDERR_CHARS:] if lines else None

    def _crashed(self) -> str:
        if self._crash is None:
            try:
                code = self._proc.wait(timeout=1) if self._proc else None
            except subprocess.TimeoutExpired:  # closed its stdout but still running: as good as dead
                code = None
            self._crash = f"crash: exited with code {code}" if code is not None else "crash: closed its stdout"
        return self._crash

    def _answer(self, turn: object, written_at: float, deadline: float) -> MoveResult:
        """Wait for the answer to the request of ``turn`` (written at ``written_at``).

        An answer naming its ``turn`` is ours if the turn matches.  One that names none is matched
        in order: it answers the oldest request still waiting — unless it arrived before ours was
        written, when it cannot be ours.  Requests written before the latest answer arrived are
        no longer waited for, so a bot that skips an answer is back in step a turn later."""
        while True:
            try:
                arrived, line = self._answers.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                code = self._proc.poll()  # exited, but something it started still holds its stdout
                return MoveResult(None, error=self._crashed() if code is not None else "timeout")
            if line is _EOF:
                return MoveResult(None, error=self._crashed())
            self._last_arrival = arrived
            echoed = isinstance(line, dict) and "turn" in line
            if echoed and line["turn"] == turn and not isinstance(line["turn"], bool):
                self._waiting.clear()
            elif echoed or arrived < written_at or len(self._waiting) > 1:
                if len(self._waiting) > 1:
                    self._waiting.popleft()
                continue  # the answer to an earlier request
            else:
                self._waiting.clear()
            if line is _OVERSIZED:
                return MoveResult(None, error=f"bad-output: a line longer than {MAX_LINE >> 20} MiB")
            return parse_answer(line)

    # --- the Player interface -------------------------------------------------------------

    def start(self, state: dict) -> None:
        if not (self.warm and self._running()):
            self.close()
            self._launch()
        self._send(state, "start", time.perf_counter())

    def move(self, state: dict, timeout_ms: int) -> MoveResult:
        if self._proc is None:
            self._launch()
        began = time.perf_counter()
        if self._crash is not None:
            return MoveResult(None, latency_ms=0.0, error=self._crash, stderr=self._take_log())
        deadline = began + timeout_ms / 1000
        if self._send(state, "move", deadline):
            written_at = self._written_at
            while self._waiting and self._waiting[0] < self._last_arrival:
                self._waiting.popleft()  # the bot answered after these were written: it is past them
            self._waiting.append(written_at)
            result = self._answer(state.get("turn"), written_at, deadline)
        elif self._proc.poll() is not None:
            result = MoveResult(None, error=self._crashed())
        else:
            result = MoveResult(None, error="timeout (the bot is not reading its input)")
        result.latency_ms = round((time.perf_counter() - began) * 1000, 2)
        result.stderr = self._take_log()
        return result

    def end(self, state: dict) -> None:
        if self._running():
            self._send(state, "end", time.perf_counter())
        if not self.warm:
            self.close()

    def close(self) -> None:
        """Stop the bot and everything it started; returns once they are gone.  Safe to call twice
        and from several threads (``end`` closes on the match's thread, ``Match.close`` on the main
        one: the second waits for the first, so the process cannot exit before the kill is done)."""
        with self._closing:
            self._close()

    def _close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        _live.discard(self)
        try:
            proc.stdin.close()  # never blocks: the pipe is non-blocking and nothing is buffered
        except OSError:
            pass
        try:
            proc.wait(timeout=0.2)  # a polite bot exits on end of input
        except subprocess.TimeoutExpired:
            pass
        kill_bot(proc, self._marker)  # also when it exited: what it started may still run
        for thread in self._threads:  # the readers see end-of-file once every holder of the pipes is gone
            thread.join(timeout=1)
        if not any(thread.is_alive() for thread in self._threads):  # never close an fd a reader still uses
            for pipe in (proc.stdout, proc.stderr):
                try:
                    pipe.close()
                except OSError:
                    pass
