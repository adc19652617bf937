"""Start a real ``snek serve`` or ``snek serve-bot`` for a test: a free 127.0.0.1 port, wait until it answers,
stop it afterwards.

    with SnekServer(["--replays", str(folder)]) as server:
        server.get("/api/rooms")
    with ServeBot(["greedy"]) as bot:
        load_player(bot.url)

The process runs ``python -m arena`` from this interpreter, in its own process group so nothing it starts
outlives the test; its output goes to a log file (``output()``), whose tail is shown if it fails to start.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from ports import free_port
from snek_cli import SNEK


def with_option(args: list[str], option: str, value: str) -> list[str]:
    """``args`` with ``option`` set to ``value`` (replaced if given, appended if not)."""
    args = list(args)
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    return args


class SnekProcess:
    """``snek COMMAND ARGS --port N`` until ``stop()``; ready once GET ``health`` answers 200."""

    health = "/"
    stop_signal = signal.SIGINT  # Ctrl-C, as a user stops it

    def __init__(self, args: list[str], port: int | None = None, timeout: float = 120.0,
                 cwd: Path | str | None = None, env: dict | None = None) -> None:
        self.port = port or free_port()
        self.args = with_option(list(args), "--port", str(self.port))
        self.timeout, self.cwd, self.env = timeout, cwd, env
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self._signalled = False
        self.returncode: int | None = None
        self.log = Path(tempfile.mkstemp(prefix="snek-process-", suffix=".log")[1])

    def start(self):
        return self.spawn().ready()

    def spawn(self):
        """Start the process without waiting (start several, then wait for each with ``ready()``)."""
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([*SNEK, *self.args], stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True, cwd=self.cwd, env=self.env)
        return self

    def ready(self):
        """Wait until ``health`` answers 200; fail with the output's tail if the process exits or never does."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.proc = None
                raise AssertionError(f"snek {self.args[0]} exited with {code}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.url + self.health, timeout=2) as response:
                    if response.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.02)  # not yet listening: look again soon (start-up takes seconds, each look costs little)
        self.stop(signal.SIGKILL)
        raise AssertionError(f"snek {self.args[0]} did not answer {self.health} in {self.timeout} s:\n{self.tail()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def stop(self, sig: int | None = None) -> int | None:
        """Signal the whole process group (``stop_signal`` unless told), wait, SIGKILL if it hangs; the exit code."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            if not self._signalled or sig is not None:  # signalled by stop_all already: a second Ctrl-C would cut
                os.killpg(self.proc.pid, sig or self.stop_signal)  # its clean shutdown short
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        self.returncode, self.proc, self._signalled = self.proc.returncode, None, False
        return self.returncode

    def signal_stop(self) -> None:
        """Send ``stop_signal`` without waiting (``stop_all``: several processes shut down side by side)."""
        if self.proc is not None and self.proc.poll() is None and not self._signalled:
            os.killpg(self.proc.pid, self.stop_signal)
            self._signalled = True

    def get(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return json.load(response)

    def post(self, path: str, body: dict):
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self.log.unlink(missing_ok=True)


class SnekServer(SnekProcess):
    """``snek serve --host 127.0.0.1 ARGS``, ready when /healthz answers."""

    health = "/healthz"
    stop_signal = signal.SIGTERM  # what a process manager sends

    def __init__(self, args: list[str] | None = None, **kwargs) -> None:
        super().__init__(["serve", "--host", "127.0.0.1", *(args or [])], **kwargs)


class ServeBot(SnekProcess):
    """``snek serve-bot ARGS`` (the bot spec first), ready when GET / answers its Battlesnake info."""

    def __init__(self, args: list[str], **kwargs) -> None:
        super().__init__(["serve-bot", *args], **kwargs)


def stop_all(processes) -> None:
    """Stop several processes: signal each, then wait for each, so their shutdowns overlap (one at a time,
    seven serve-bots took 3 s to stop)."""
    processes = list(processes)
    for process in processes:
        process.signal_stop()
    for process in processes:
        process.stop()
