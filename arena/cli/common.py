"""What every `snek` command shares: the consoles, the user-error rule (one red line, exit 2) and the
option parsers that several commands take (``--set``, ``--size``, ``--fps``, ``--timeout``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer
from rich.console import Console
from rich.markup import escape

from arena.game_choice import usual_ruleset
from arena.maps import MAPS
from arena.match import MatchConfig
from arena.replay import ReplayError
from arena.rules import RULESETS

console = Console()
err = Console(stderr=True)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn user mistakes (bad specs, settings, files) into one red line and exit code 2."""
    try:
        yield
    except (ValueError, ReplayError, OSError) as exc:
        fail(os_message(exc) if isinstance(exc, OSError) else str(exc))


def os_message(exc: OSError) -> str:
    """An OS error with the path it is about, in front (``/proc/version: Input/output error``)."""
    if exc.filename is None or exc.strerror is None:
        return str(exc)
    paths = f"{exc.filename} -> {exc.filename2}" if exc.filename2 else str(exc.filename)
    return f"{paths}: {exc.strerror}"


def red_line(message: str) -> None:
    """One red line on stderr: never wrapped, never read as markup (names and files can hold ``[/]``)."""
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)


def fail(message: str) -> None:
    """A user mistake: one red line and exit code 2."""
    red_line(message)
    raise typer.Exit(2) from None


def parse_settings(pairs: list[str]) -> dict:
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"--set expects name=value, got {pair!r}")
        settings[name.strip()] = value.strip()
    return settings


MIN_FPS, MAX_FPS = 0.01, 1000.0
MAX_TIMEOUT_MS = 3_600_000  # an hour per move; far larger values overflow the clock's waits


def frame_delay(fps: float) -> float:
    """Seconds between frames for ``--fps`` (0 = as fast as possible); refuses values no clock can wait."""
    if fps == 0:
        return 0.0
    if not MIN_FPS <= fps <= MAX_FPS:  # also NaN and infinities
        raise ValueError(f"--fps must be 0 (as fast as possible) or between {MIN_FPS} and {MAX_FPS:g}, got {fps:g}")
    return 1 / fps


RULESET_HELP = f"One of: {', '.join(RULESETS)} (default standard, or the map's usual ruleset)."
MAP_HELP = (f"One of Battlesnake's maps ({len(MAPS)}, listed by snek rules): alone, the game is played on the map's "
            "usual board size, ruleset and snake count.")
SIZE_HELP = "Square board size (default 11, classic 24, or the map's usual size)."


def board_size(size: int | None, width: int | None, height: int | None) -> tuple[int | None, int | None]:
    return (size if width is None else width, size if height is None else height)


def game_rules(ruleset: str | None, map_name: str | None, size: int | None, width: int | None, height: int | None,
               setting: list[str], **limits) -> MatchConfig:
    """The rules every game of a command is played under, from the options ``play``, ``tournament`` and
    ``compare`` share (``limits``: ``seed``, ``timeout_ms``, ``max_turns``); a map alone brings its usual ruleset."""
    w, h = board_size(size, width, height)
    return MatchConfig(ruleset=usual_ruleset(ruleset, map_name), map=map_name, width=w, height=h,
                       settings=parse_settings(setting), **limits)
