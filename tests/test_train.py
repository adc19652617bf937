"""`snek train` end to end with real processes: a short run on 7x7 writes its files, resumes where it
stopped (exactly: a resumed run equals an uninterrupted one), a real Ctrl-C saves a checkpoint; the
policy it wrote plays through every bot transport (in-process, stdio, HTTP serve-bot, a server room)
with the same moves; the numpy forward pass equals torch's; the shipped `learned` bot is
deterministic.  No test asserts a win rate or a time (benchmarks/learned.py prints those)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from serve import ServeBot
from serverkit import LiveServer, http
from snek_cli import snek
from waiting import wait_until

from arena.battlesnake import GameInfo, game_state
from arena.geometry import MOVES
from arena.match import MatchConfig, run_match
from arena.players.spec import load_player
from arena.position import read_view
from arena.registry import builtin_bots
from arena.replay import read_replay
from arena.train.numpy_net import NumpyNet
from arena.train.player import LearnedPolicy
from snek_viewer import ServerConfig

torch = pytest.importorskip("torch")

from arena.train.net import PolicyNet, export_npz  # noqa: E402 - needs torch

SHORT = ["--size", "7", "--games", "8", "--eval-games", "2", "--eval-every", "1000", "--checkpoint-every", "1000"]
WALL_CLOCK = {"seconds", "steps_per_s"}  # the metrics columns that may differ between equal runs


def metrics(folder: Path) -> list[dict]:
    with open(folder / "metrics.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def weights(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {k: data[k] for k in data.files if k != "meta"}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, list[dict]]:
    """A 1,500-step run (its metrics kept as they were), then resumed to 3,000 steps."""
    out = tmp_path_factory.mktemp("train") / "run"
    done = snek("train", *SHORT, "--steps", "1500", "--out-dir", str(out))
    assert done.returncode == 0, done.stderr
    before = metrics(out)
    resumed = snek("train", "--resume", "--steps", "3000", "--out-dir", str(out))
    assert resumed.returncode == 0, resumed.stderr
    return out, before


def test_a_short_run_writes_its_files(first_run) -> None:
    out, before = first_run
    assert int(before[-1]["steps"]) >= 1500 and before[0]["update"] == "0"  # the evaluation before training
    steps = [int(r["steps"]) for r in before]
    assert steps == sorted(steps) and len(steps) >= 2
    assert {"safe", "greedy", "space"} == {k[len("eval_win_"):] for k in before[0] if k.startswith("eval_win_")}
    assert before[0]["eval_win_safe"] != ""  # evaluated at step 0
    for name in ("latest.pt", "policy.npz", "report.html", "run.json", "metrics.csv"):
        assert (out / name).is_file(), name
    assert len(list((out / "checkpoints").glob("step-*.npz"))) >= 2
    page = (out / "report.html").read_text()
    assert page.count("<svg") >= 3 and "polyline" in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    net = NumpyNet.load(out / "policy.npz")
    assert net.meta["width"] == 7 and net.meta["view_radius"] == 3 and net.meta["steps"] >= 3000


def test_training_on_a_map(tmp_path) -> None:
    """`snek train --map`: the learner's games are on the map (its usual board unless given one), the run and
    its policy record it; a board the map is not played on is refused with the map's one line."""
    out = tmp_path / "on-a-map"
    done = snek("train", "--map", "hz_columns", *SHORT, "--steps", "200", "--eval-every", "100000",
                "--out-dir", str(out))
    assert done.returncode == 0, done.stderr
    run_json = json.loads((out / "run.json").read_text())
    assert (run_json["map"], run_json["ruleset"], run_json["width"]) == ("hz_columns", "standard", 7)
    assert NumpyNet.load(out / "policy.npz").meta["map"] == "hz_columns"
    assert "map hz_columns" in (out / "report.html").read_text()
    refused = snek("train", "--map", "arcade_maze", "--size", "7", "--out-dir", str(tmp_path / "refused"))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip() == "error: map arcade_maze is played on board 19x21 with 1 to 6 snakes, not on 7x7"


def test_resume_continues_the_step_count_and_metrics(first_run) -> None:
    out, before = first_run
    after = metrics(out)
    assert after[:len(before)] == before  # the first run's rows are kept as they were
    new = after[len(before):]
    assert new, "the resumed run wrote no rows"
    assert int(new[0]["update"]) == int(before[-1]["update"]) + 1
    assert int(new[0]["steps"]) > int(before[-1]["steps"]) and int(after[-1]["steps"]) >= 3000


def test_a_resumed_run_equals_an_uninterrupted_one(first_run, tmp_path) -> None:
    out, _ = first_run
    whole = tmp_path / "whole"
    done = snek("train", *SHORT, "--steps", "3000", "--out-dir", str(whole))
    assert done.returncode == 0, done.stderr
    a, b = weights(out / "policy.npz"), weights(whole / "policy.npz")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    strip = lambda rows: [{k: v for k, v in r.items() if k not in WALL_CLOCK} for r in rows]
    assert strip(metrics(out)) == strip(metrics(whole))


def test_a_used_folder_bad_options_and_no_torch_are_one_line_exit_2(first_run, tmp_path) -> None:
    out, _ = first_run
    cases = {
        "already holds a training run": snek("train", "--steps", "10", "--out-dir", str(out)),
        "board width must be between": snek("train", "--size", "2", "--out-dir", str(tmp_path / "small")),
        "--reward expects name=number": snek("train", "--reward", "food", "--out-dir", str(tmp_path / "r")),
        "needs torch": without_torch("train", "--out-dir", str(tmp_path / "fresh")),
        # options and the folder are checked before torch is imported (a refusal does not wait for it)
        "view_radius must be at least 1": without_torch("train", "--view-radius", "0", "--out-dir", str(tmp_path)),
        "nothing to resume": without_torch("train", "--resume", "--out-dir", str(tmp_path / "empty")),
    }
    for words, result in cases.items():
        assert result.returncode == 2, (words, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and "Traceback" not in result.stderr, (words, result.stderr)
    assert len(cases) == 6
    assert not (tmp_path / "small").exists()


def without_torch(*args: str) -> subprocess.CompletedProcess:
    """``snek ARGS`` in a process where ``import torch`` fails."""
    return subprocess.run([sys.executable, "-c", "import sys; sys.modules['torch'] = None; "
                           f"sys.argv = ['snek', *{list(args)!r}]; from arena.cli import main; main()"],
                          capture_output=True, text=True, timeout=120)


def test_ctrl_c_saves_a_checkpoint_and_prints_the_resume_command(tmp_path) -> None:
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "arena", "train", *SHORT, "--steps", "100000000",
                             "--eval-every", "100000000", "--out-dir", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait_until(lambda: (out / "metrics.csv").exists() and len(metrics(out)) >= 3, timeout=240, every=0.2)
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C does
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert f"snek train --resume --out-dir {out}" in " ".join(stdout.split())
    state = torch.load(out / "latest.pt", weights_only=False)
    rows = metrics(out)
    assert state["counters"]["steps"] == int(rows[-1]["steps"]) > 0  # the checkpoint is the last row's state
    assert NumpyNet.load(out / "policy.npz").meta["steps"] == state["counters"]["steps"]
    resumed = snek("train", "--resume", "--steps", str(state["counters"]["steps"] + 1), "--out-dir", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert int(metrics(out)[-1]["update"]) == int(rows[-1]["update"]) + 1


def learned_moves(outcome, seat: int = 0) -> list[str]:
    return [f["snakes"][seat]["move"] for f in outcome.frames[1:] if f["snakes"][seat]["move"] is not None]


def test_the_trained_policy_plays_through_every_transport(first_run, tmp_path) -> None:
    """In-process, stdio (cmd: python -m arena.train.player), HTTP (snek serve-bot learned:PATH) and a
    room of snek serve: the same seeded game, the same moves, no errors."""
    out, _ = first_run
    # Generous deadlines: a loaded machine (or a first numba compile in a fresh process) must not look like an error.
    config = MatchConfig(width=7, height=7, seed=5, game_id="transport", timeout_ms=30_000, max_turns=60)
    games = {}
    games["in-process"] = run_match([load_player(f"learned:{out}"), load_player("safe")], config, keep_frames=True)
    stdio = load_player(f"cmd:{sys.executable} -m arena.train.player {out / 'policy.npz'}")
    assert stdio.kind == "stdio"
    games["stdio"] = run_match([stdio, load_player("safe")], config, keep_frames=True)
    with ServeBot([f"learned:{out}"]) as server:
        games["http"] = run_match([load_player(server.url), load_player("safe")], config, keep_frames=True)
    expected = learned_moves(games["in-process"])
    assert len(expected) >= 3
    for transport, outcome in games.items():
        errors = [s["error"] for f in outcome.frames[1:] for s in f["snakes"] if s["error"]]
        assert errors == [], (transport, errors)
        assert learned_moves(outcome) == expected, transport
    assert len(games) == 3
    room_config = ServerConfig(replays=tmp_path / "lib", demo_room=False, bots={"trained": f"learned:{out}"})
    with LiveServer(room_config) as live:
        listed = http("GET", live.url + "/api/bots")[1]
        assert "learned" in listed["builtin"] and {"trained", "learned"} <= set(listed["bots"])
        status, room, _ = http("POST", live.url + "/api/rooms", {"ruleset": "standard", "seats": ["trained", "learned"],
                                                                 "tick_ms": 100, "width": 7, "height": 7})
        assert status == 201, room
        wait_until(lambda: http("GET", f"{live.url}/api/rooms/{room['id']}")[1]["status"] == "finished", timeout=120)
    replay = read_replay(tmp_path / "lib" / f"{room['id']}.jsonl.gz", require_result=True)
    moves = [s["move"] for f in replay.frames[1:] for s in f["snakes"] if s["move"]]
    assert len(replay.frames) >= 2 and len(moves) >= 2
    # A room's tick is its deadline: on a loaded machine a move may be late, but never a crash or garbage.
    assert [s["error"] for f in replay.frames[1:] for s in f["snakes"]
            if s["error"] and not s["error"].startswith("timeout")] == []


@pytest.mark.parametrize("window,conv,vector", [((7, 7), (32, 16), 1), ((11, 11), (8,), 1), ((5, 5), (4, 4, 4), 3)])
def test_numpy_forward_equals_torch_forward(tmp_path, window, conv, vector) -> None:
    torch.manual_seed(len(conv))
    net = PolicyNet(9, vector, window, conv, hidden=32)
    for p in net.parameters():
        torch.nn.init.normal_(p, std=0.3)  # far from the initialisation's small values
    path = export_npz(net, tmp_path / "p.npz", {"obs_format": "planes", "view_radius": window[0] // 2})
    numpy_net = NumpyNet.load(path)
    rng = np.random.default_rng(0)
    spatial = (rng.random((64, 9, *window)) < 0.3).astype(np.float32) + rng.normal(0, 0.1, (64, 9, *window))
    spatial = spatial.astype(np.float32)
    vec = rng.random((64, vector), dtype=np.float32)
    logits, values = numpy_net.forward(spatial, vec)
    with torch.no_grad():
        expected_logits, expected_values = net(torch.from_numpy(spatial), torch.from_numpy(vec))
    assert np.abs(expected_logits.numpy()).max() > 1  # not a trivially flat network
    np.testing.assert_allclose(logits, expected_logits.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(values, expected_values.numpy(), rtol=1e-4, atol=1e-4)


def seeded_states(width: int = 11, seed: int = 3) -> list[dict]:
    """Move requests for seat 0 of a seeded game between built-in bots."""
    outcome = run_match([load_player("space"), load_player("greedy"), load_player("safe")],
                        MatchConfig(width=width, height=width, seed=seed, max_turns=150), keep_frames=True)
    info = GameInfo(game_id="states", ruleset="standard", settings={"foodSpawnChance": 15, "minimumFood": 1})
    return [game_state(f, width, width, info, f["snakes"][0]["id"]) for f in outcome.frames if f["snakes"][0]["alive"]]


def test_the_shipped_learned_bot_is_deterministic_and_never_walks_into_death() -> None:
    assert "learned" in builtin_bots()
    states = seeded_states()
    first, second = builtin_bots()["learned"](), builtin_bots()["learned"]()
    moves = [first(s) for s in states]
    assert len(states) >= 20 and len(set(moves)) >= 2
    assert [second(s) for s in reversed(states)][::-1] == moves  # a fresh instance, another order
    assert [first(s) for s in states] == moves  # asked again
    for state, move in zip(states, moves):
        safe = [MOVES[m] for m in read_view(state).safe_moves()]  # what the built-in bots call safe
        assert not safe or move in safe, (state["turn"], move, safe)  # the mask keeps it off deadly moves


def test_learned_spec_errors_are_one_line(tmp_path) -> None:
    with pytest.raises(ValueError, match="no trained policy at"):
        load_player(f"learned:{tmp_path}")
    (tmp_path / "policy.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="cannot read policy"):
        load_player(f"learned:{tmp_path}")
    result = snek("play", f"learned:{tmp_path / 'nowhere.npz'}", "safe", "-q")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert isinstance(LearnedPolicy(Path(__file__).parent.parent / "bots" / "learned.npz")(seeded_states()[0]), str)


def test_the_learner_one_hot_of_codes_equals_the_planes() -> None:
    """The ``codes`` input the network reads is exactly the ``planes`` input (the one-hot is ours)."""
    from arena.env.vector import SnakeVectorEnv
    from arena.train.inputs import input_spec

    envs = {f: SnakeVectorEnv(num_games=6, num_snakes=3, obs_format=f, copy=True, ruleset="royale")
            for f in ("codes", "planes")}
    obs = {f: e.reset(seed=4)[0] for f, e in envs.items()}
    rng = np.random.default_rng(0)
    compared = 0
    for _ in range(40):
        codes = input_spec("codes").encode(input_spec("codes").parts(obs["codes"]))
        planes = input_spec("planes").encode(input_spec("planes").parts(obs["planes"]))
        np.testing.assert_array_equal(codes[0], planes[0])
        np.testing.assert_allclose(codes[1][:, 0], planes[1][:, 0])  # health; codes add length and turn
        compared += codes[0].shape[0]
        actions = rng.integers(0, 4, envs["codes"].num_envs)
        obs = {f: e.step(actions)[0] for f, e in envs.items()}
    assert compared == 40 * 18


@pytest.mark.parametrize("obs_format", ["codes", "planes"])
def test_a_policy_of_either_format_plays_on_any_board(tmp_path, obs_format) -> None:
    """The player encodes requests in the format and radius the policy was trained with, on boards of
    another size too (the window keeps its radius)."""
    from arena.train.inputs import input_spec

    spec = input_spec(obs_format)
    torch.manual_seed(1)
    net = PolicyNet(spec.spatial_channels, spec.vector_size, (7, 7), (8,), hidden=16)
    path = export_npz(net, tmp_path / f"{obs_format}.npz", {"obs_format": obs_format, "view_radius": 3})
    played = 0
    for size in (7, 11, 19):
        outcome = run_match([load_player(f"learned:{path}"), load_player("safe")],
                            MatchConfig(width=size, height=size, seed=size, max_turns=30), keep_frames=True)
        assert learned_moves(outcome) and all(s["error"] is None for f in outcome.frames for s in f["snakes"])
        played += 1
    assert played == 3
