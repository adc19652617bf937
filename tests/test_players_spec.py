"""Bot specs: every documented form loads the right player; every bad one is a one-line ValueError."""

from __future__ import annotations

from pathlib import Path

import pytest
from snek_cli import snek

from arena.players import HttpPlayer, Player, PythonPlayer, StdioPlayer, load_player
from arena.players.base import MoveResult

BOT_FILE = '''
from arena.players.base import MoveResult, Player

def move(state):
    return "left"

class Policy:
    def __call__(self, state):
        return {"move": "down", "shout": "hi"}

class Custom(Player):
    def move(self, state, timeout_ms):
        return MoveResult("right")

broken = 42
'''


@pytest.fixture()
def bot_file(tmp_path: Path) -> Path:
    path = tmp_path / "mybot.py"
    path.write_text(BOT_FILE)
    return path


def test_builtin_name() -> None:
    player = load_player("greedy")
    assert isinstance(player, PythonPlayer) and player.name == "greedy"


def test_module_attr() -> None:
    player = load_player("snek_bots.greedy:greedy_move")
    assert isinstance(player, PythonPlayer) and player.name == "greedy.greedy_move"


def test_file_function_class_and_player(bot_file: Path) -> None:
    function = load_player(f"{bot_file}:move")
    assert function.name == "mybot" and function.move({}, 100).move == "left"
    policy = load_player(f"{bot_file}:Policy")
    answer = policy.move({}, 100)
    assert (answer.move, answer.shout) == ("down", "hi")
    custom = load_player(f"{bot_file}:Custom")
    assert isinstance(custom, Player) and custom.move({}, 100) == MoveResult("right")
    assert custom.name == "mybot.Custom"


def test_stdio_and_name_override() -> None:
    player = load_player("cmd:python3 -c 'pass'", name="mine")
    assert isinstance(player, StdioPlayer) and player.name == "mine" and player.kind == "stdio"


def test_http_without_fetching() -> None:
    player = HttpPlayer("http://127.0.0.1:9/base/", fetch_info=False)
    assert player.name == "http://127.0.0.1:9/base/" and player.kind == "http"  # the URL as given


@pytest.mark.parametrize("spec,message", [
    ("", "empty bot spec"),
    ("two words", "bad bot spec"),
    ("nope", "unknown bot 'nope'"),
    ("mybot.py", "needs the callable's name"),
    ("missing.py:move", "no such bot file"),
    ("no_such_module_xyz:move", "cannot import module"),
    ("snek_bots.greedy:nothing", "has no attribute 'nothing'"),
    ("snek_bots.greedy:1bad", "bad bot spec"),
    ("cmd:", "'cmd:' needs a command"),
    ("cmd:no-such-program-xyz", "command not found"),
    ("cmd:/etc/passwd", "not executable: '/etc/passwd'"),
    ("cmd:/tmp --flag", "is a directory, not a program: '/tmp'"),
    ("cmd:./no/such/bot", "command not found: './no/such/bot'"),
    ("ftp://example.org", "bad bot spec"),
])
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        load_player(spec)
    assert "\n" not in str(info.value)


def test_not_callable_and_broken_file(bot_file: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not callable"):
        load_player(f"{bot_file}:broken")
    bad = tmp_path / "bad.py"
    bad.write_text("raise RuntimeError('oops')\n")
    with pytest.raises(ValueError, match="cannot load .*RuntimeError: oops"):
        load_player(f"{bad}:move")


def test_unrunnable_command_stops_snek_play_with_one_line() -> None:

    run = snek("play", "-q", "cmd:/etc/passwd", "safe", timeout=60)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == ["error: not executable: '/etc/passwd' (in 'cmd:/etc/passwd')"]
    assert "result" not in run.stdout
