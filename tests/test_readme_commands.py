"""Every command in the README's command-line block runs, in order, as a user would paste them.

Commands are taken from the README itself, so a command added there is run here too.  Options
that only make a command long (frame rate, number of games, turn limit) are set small; commands
that serve until stopped are started, checked to answer, and stopped.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from serve import SnekProcess, with_option
from snek_cli import snek_ok

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
QUICK = {  # per command: options set (replaced or added) so that it finishes in seconds
    "play": {"--fps": "0", "--max-turns": "60"},
    "replay show": {"--fps": "0"},
    "tournament": {"--games": "4", "--max-turns": "60"},
    "compare": {"--max-games": "20", "--max-turns": "60"},
    "demo": {"--fps": "0", "--games": "4", "--port": "0", "--serve-seconds": "1"},
    "train": {"--steps": "2000", "--size": "7", "--games": "8", "--eval-games": "2", "--eval-every": "1000"},
}
INPUTS = {"bs-game.jsonl": ROOT / "tests" / "data" / "battlesnake-cli-standard-7x7.jsonl"}  # files commands read
EXPECT = {  # what the output must show, beyond exit code 0
    "replay verify": "OK",
    "rules": "royale",
    "demo": "OK",
    "train": "policy",
}


def readme_commands() -> list[list[str]]:
    block = re.search(r"^## Command line\n```bash\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)
    assert block, "README has no command-line block"
    return [shlex.split(line, comments=True) for line in block.group(1).splitlines() if line.startswith("snek ")]


def name_of(args: list[str]) -> str:
    return " ".join(args[1:3]) if args[1] == "replay" else args[1]


def serve_and_stop(args: list[str], cwd: Path) -> None:
    """Start a command that serves until stopped, see it answer HTTP, stop it with Ctrl-C."""
    process = SnekProcess(args[1:], cwd=cwd)
    try:
        process.start()
    finally:
        process.stop()
    assert "Traceback" not in process.output(), process.tail()


@pytest.mark.timeout(1800)  # every README command in turn, the demo and a tournament among them
def test_every_readme_command_runs(tmp_path: Path) -> None:
    commands = readme_commands()
    assert len(commands) >= 10 and all(args[0] == "snek" for args in commands)
    for name, source in INPUTS.items():
        shutil.copy(source, tmp_path / name)
    ran = []
    for args in commands:
        name = name_of(args)
        if name.startswith("serve"):
            serve_and_stop(args, tmp_path)
        else:
            run = args[1:]
            for option, value in QUICK.get(name, {}).items():
                run = with_option(run, option, value)
            out = snek_ok(*run, cwd=tmp_path)
            assert EXPECT.get(name, "") in out.stdout, f"{shlex.join(args)}: {out.stdout[-2000:]}"
        ran.append(name)
    assert len(ran) == len(commands)
    assert {"play", "replay show", "replay verify", "tournament", "serve-bot", "demo"} <= set(ran)
    assert (tmp_path / "out" / "demo.jsonl.gz").exists()
    assert (tmp_path / "out" / "tournament" / "leaderboard.txt").exists()
