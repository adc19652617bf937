"""The suite's own rule for missing prerequisites: a skip on a developer's machine, a loud failure under CI=true,
and an error inside an installed library is never mistaken for its absence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

CASES = '''
from prereq import need_module, need_program


def test_needs_a_missing_module():
    need_module("no_such_module_for_snek_tests")


def test_needs_a_missing_program():
    need_program("no-such-program-for-snek-tests")


def test_needs_a_present_module():
    assert need_module("json").dumps(1) == "1"
'''

BROKEN = "import no_such_dependency_of_a_broken_library\n"


def run_cases(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    (tmp_path / "test_cases.py").write_text(CASES)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:cacheprovider", "--rootdir",
                           str(tmp_path), str(tmp_path / "test_cases.py")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)


def test_a_missing_prerequisite_is_a_skip_locally(tmp_path: Path) -> None:
    run = run_cases(tmp_path, ci=None)
    assert run.returncode == 0, run.stdout
    assert "1 passed, 2 skipped" in run.stdout, run.stdout
    assert "no_such_module_for_snek_tests is not installed" in run.stdout


@pytest.mark.parametrize("ci", ["true", "1"])
def test_a_missing_prerequisite_fails_under_ci(tmp_path: Path, ci: str) -> None:
    run = run_cases(tmp_path, ci=ci)
    assert run.returncode == 1, run.stdout
    assert "2 failed, 1 passed" in run.stdout, run.stdout
    assert run.stdout.count("CI=true and a prerequisite is missing") >= 2


def test_an_installed_library_that_fails_to_import_is_an_error(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "broken_library_for_snek_tests.py").write_text(BROKEN)
    monkeypatch.syspath_prepend(str(tmp_path))
    from prereq import need_module

    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_of_a_broken_library"):
        need_module("broken_library_for_snek_tests")
