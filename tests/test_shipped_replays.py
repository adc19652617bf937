"""The sample replays in replays/ stay readable and re-simulate exactly under the current engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from arena.replay import read_replay
from arena.verify import verify

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "replays").glob("*.jsonl*"))


def test_there_are_samples() -> None:
    assert SAMPLES


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_verifies(path: Path) -> None:
    replay = read_replay(path, require_result=True)
    verdict = verify(replay)
    assert verdict.ok, verdict.detail
