"""Installing snek-arena claims no generic import names: a user's own ``bots``/``viewer`` packages win."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_script_beside_users_own_bots_and_viewer_packages_runs(tmp_path):
    for package in ("bots", "viewer"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(f"WHO = 'user-{package}'\n")
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent("""
        import bots, viewer
        from arena.match import MatchConfig, run_match
        from arena.players import load_player
        print(bots.WHO, viewer.WHO)
        outcome = run_match([load_player("greedy"), load_player("safe")], MatchConfig(seed=3, max_turns=20))
        print("turns", outcome.result["turns"])
    """))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "user-bots user-viewer"
    assert lines[1].startswith("turns ")


def test_our_packages_install_under_their_own_names():
    import snek_bots
    import snek_viewer

    assert set(snek_bots.REGISTRY) >= {"random", "safe", "greedy", "space", "search"}
    assert snek_viewer.__name__ == "snek_viewer"
