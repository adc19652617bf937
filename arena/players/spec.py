"""Bot specs: one string names a player, the same for ``snek play``, ``snek tournament`` and
``snek serve-bot``.  The syntax, checked in this order (docs/bots.md):

- ``http://...`` or ``https://...``: a Battlesnake HTTP server (``HttpPlayer``)
- ``cmd:<shell command>``: a stdio bot in any language (``StdioPlayer``), e.g. ``cmd:node bot.js``
- ``learned:PATH``: a policy trained by ``snek train`` (an ``.npz``, a checkpoint ``.pt`` with its
  ``.npz`` beside it, or a run's output folder), played by its numpy forward pass
- ``path/to/file.py:attr``: ``attr`` from a Python file
- ``package.module:attr``: ``attr`` from an importable module
- ``name``: a built-in or plugin bot registered under the ``snek.bots`` entry point

A Python ``attr`` is a policy ``policy(state) -> move``, a class (instantiated with no arguments:
a ``Player`` subclass, or a policy class with ``__call__``), or a ready ``Player`` instance.
Anything else is a ValueError with a one-line message.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import os
import re
import shlex
import shutil
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from arena.players.base import Player, PythonPlayer, describe
from arena.players.http import HttpPlayer
from arena.players.stdio import SHELL_SYNTAX, StdioPlayer
from arena.registry import builtin_bots, resolve_bot

SYNTAX = ("a built-in name, module:attr, path/to/file.py:attr, 'cmd:<shell command>' (stdio), "
          "learned:PATH (a 'snek train' policy) or an http(s):// URL")
LEARNED = "learned:"
_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")


def load_player(spec: str, name: str | None = None, inline: bool = True) -> Player:
    """The player a spec names (started lazily: processes launch at the game's start).  ``inline=False``
    keeps even a bounded built-in bot on a thread of its own (``builtin_player``)."""
    spec = spec.strip()
    if not spec:
        raise ValueError(f"empty bot spec (expected {SYNTAX})")
    if spec.startswith(("http://", "https://")):
        return HttpPlayer(spec, name=name)
    if spec.startswith("cmd:"):
        command = spec[4:].strip()
        check_command(command)
        return StdioPlayer(command, name=name)
    if spec.startswith(LEARNED):
        return learned_player(spec[len(LEARNED):].strip(), name, inline)
    if ":" in spec:
        where, _, attr = spec.rpartition(":")
        return python_player(load_attr(where, attr), name or default_name(where, attr))
    if spec.endswith(".py"):
        raise ValueError(f"bot spec {spec!r} needs the callable's name: {spec}:move")
    if not _NAME.match(spec):
        raise ValueError(f"bad bot spec {spec!r} (expected {SYNTAX})")
    if spec not in builtin_bots():
        known = ", ".join(sorted(builtin_bots())) or "none installed"
        raise ValueError(f"unknown bot {spec!r}: not a built-in ({known}); specs are {SYNTAX}")
    return builtin_player(spec, name, inline)


def builtin_player(bot: str, name: str | None = None, inline: bool = True) -> PythonPlayer:
    """The player for a registered bot name.  A bot whose policy declares ``bounded = True`` (its move
    does a bounded amount of work and always returns) runs inline, on the match's own thread.

    Why only registered bots: they are installed, finished code; a file or module under development
    may loop forever, and only a thread of its own keeps such a bot from hanging the game."""
    policy = resolve_bot(bot)
    return PythonPlayer(policy, name=name or bot, inline=inline and getattr(policy, "bounded", False) is True)


def learned_player(path: str, name: str | None = None, inline: bool = True) -> PythonPlayer:
    """The player for a policy ``snek train`` wrote (numpy only; bounded, so it may run inline)."""
    from arena.train.player import LearnedPolicy

    if not path:
        raise ValueError("'learned:' needs a path: learned:runs/train (a run folder), or an .npz / .pt file")
    return PythonPlayer(LearnedPolicy(path), name=name or "learned", inline=inline)


def check_command(command: str) -> None:
    """Catch a missing or unrunnable program now rather than as a crashed snake (simple command lines only)."""
    if not command:
        raise ValueError("'cmd:' needs a command, e.g. cmd:python3 mybot.py")
    if SHELL_SYNTAX.search(command):
        return  # shell syntax: let the shell decide
    try:
        program = shlex.split(command)[0]
    except ValueError as exc:
        raise ValueError(f"cannot parse command {command!r}: {exc}") from None
    where = f"(in 'cmd:{command}')"
    if "/" not in program:  # looked up on PATH, as the process will be
        if shutil.which(program) is None:
            raise ValueError(f"command not found: {program!r} {where}")
    elif os.path.isdir(program):
        raise ValueError(f"is a directory, not a program: {program!r} {where}")
    elif not os.path.exists(program):
        raise ValueError(f"command not found: {program!r} {where}")
    elif not os.access(program, os.X_OK):
        raise ValueError(f"not executable: {program!r} {where}")


def default_name(where: str, attr: str) -> str:
    stem = Path(where).stem if where.endswith(".py") else where.rsplit(".", 1)[-1]
    return stem if attr in ("move", "policy", "Bot", "create") else f"{stem}.{attr}"


def load_attr(where: str, attr: str):
    """``attr`` from a Python file (``*.py``) or an importable module."""
    if not where or not attr or not attr.isidentifier():
        raise ValueError(f"bad bot spec {where}:{attr!r} (expected {SYNTAX})")
    if where.endswith(".py"):
        path = Path(where).expanduser().resolve()
        if not path.is_file():
            raise ValueError(f"no such bot file: {where}")
        module_name = f"snek_bot_{hashlib.sha256(str(path).encode()).hexdigest()[:16]}"  # unsalted hash
        module = sys.modules.get(module_name)
        if module is None:
            spec = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(spec)
            if str(path.parent) not in sys.path:
                sys.path.append(str(path.parent))  # let the bot import its neighbours
            bot_code(f"cannot load {where}", lambda: spec.loader.exec_module(module))
            sys.modules[module_name] = module
    else:
        module = bot_code(f"cannot import module {where!r}", lambda: importlib.import_module(where))
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ValueError(f"{where} has no attribute {attr!r}") from None


def bot_code(what: str, run: Callable[[], object]) -> object:
    """``run()``, the bot's own code (its import, its constructor): whatever it raises, ``SystemExit``
    and ``KeyboardInterrupt`` included, is a one-line ValueError ``what: Type: message``.

    Only the user's own Ctrl-C stays a KeyboardInterrupt: on the main thread a SIGINT handler
    marks it while ``run`` runs (elsewhere a real Ctrl-C never arrives)."""
    pressed: list[bool] = []
    main = threading.current_thread() is threading.main_thread()
    own_handler = main and signal.getsignal(signal.SIGINT) is signal.default_int_handler

    def on_sigint(signum: int, frame: object) -> None:
        pressed.append(True)
        raise KeyboardInterrupt

    if own_handler:
        signal.signal(signal.SIGINT, on_sigint)
    try:
        return run()
    except BaseException as exc:  # noqa: BLE001 - a bot's SystemExit must not end our process
        if isinstance(exc, KeyboardInterrupt) and (pressed or main and not own_handler):
            raise
        raise ValueError(f"{what}: {describe(exc)}") from None
    finally:
        if own_handler:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def python_player(obj, name: str) -> Player:
    if isinstance(obj, Player):
        return obj
    if inspect.isclass(obj):
        instance = bot_code(f"cannot create {obj.__name__}()", obj)
        if isinstance(instance, Player):
            if name and getattr(instance, "name", Player.name) == Player.name:
                instance.name = name
            return instance
        obj = instance
    if not callable(obj):
        raise ValueError(f"{name} is not callable (a bot is a function state -> move, a class or a Player)")
    return PythonPlayer(obj, name=name)
