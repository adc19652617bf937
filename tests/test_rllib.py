"""The RLlib recipe (examples/rllib_ppo.py): multi-agent PPO on the new API stack, one shared policy, masked moves.

RLlib pins an older gymnasium (ray[rllib] 2.60 wants gymnasium==1.2.2; we use 1.4), so it cannot share
the test virtualenv: this test builds its own, ``.venv-rllib/`` beside ``.venv/``, once (about two
minutes with a warm pip cache: torch==2.13.0, the CPU build, then ``-e ".[rllib]"``), and reuses it
while its stamp (a hash of pyproject.toml and the install steps) still matches: a changed pyproject rebuilds it.
A build that fails skips the test on a developer's machine and fails it under ``CI=true``.  Then the example
trains two small iterations (about a minute and a half).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from prereq import missing

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-rllib"
PYTHON = VENV / "bin" / "python"
READY = VENV / ".snek-ready"  # the stamp, written once every install step succeeded
INSTALLS = (["torch==2.13.0"], ["-e", f"{ROOT}[rllib]"])  # torch first, so nothing pulls a CUDA build


def stamp() -> str:
    """What the virtualenv was built from: pyproject.toml's bytes and the install steps."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(repr(INSTALLS).encode())
    return digest.hexdigest()


def run(command: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run in its own process group, killed whole (Ray's helpers included) if it overstays."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"{' '.join(command)} took longer than {timeout} s:\n{err[-3000:]}")
    return subprocess.CompletedProcess(command, process.returncode, out, err)


@pytest.fixture(scope="module")
def rllib_python() -> Path:
    wanted = stamp()
    if READY.exists() and READY.read_text().strip() == wanted and PYTHON.exists():
        return PYTHON
    steps = [[sys.executable, "-m", "venv", "--clear", str(VENV)]]
    steps += [[str(PYTHON), "-m", "pip", "install", "-q", *packages] for packages in INSTALLS]
    for command in steps:
        done = run(command, timeout=1200)
        if done.returncode:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            missing(f"RLlib's virtualenv could not be built ({' '.join(command[-3:])}): {last}")
    READY.write_text(wanted + "\n")
    return PYTHON


@pytest.mark.timeout(3600)  # building the virtualenv (two installs of up to 20 min each) counts as setup
def test_rllib_ppo_recipe_trains_with_masked_moves(rllib_python):
    done = run([str(rllib_python), "examples/rllib_ppo.py", "--iterations", "2", "--batch", "400",
                "--minibatch", "100", "--epochs", "1", "--json"], timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["iterations"] == 2 and figures["env_steps"] >= 800
    assert all(length > 0 for length in figures["episode_len_mean"])
    # Untrained, the policy picks near-uniformly: in hundreds of moves where the mask forbade some
    # move, it would play forbidden ones by the dozen if RLlib did not apply the mask.
    assert figures["moves_with_a_forbidden_option"] >= 300
    assert figures["forbidden_moves"] == 0
    assert "iteration 2:" in done.stdout
