"""The compiled observation encoder and move-safety masks give the numpy versions' answers, bit for bit,
on every position of ``tests/observer_cases.py`` (digests recorded on the numpy versions)."""

from __future__ import annotations

import json

import pytest
from observer_cases import CASES, FIXTURE, compute

RECORDED = json.loads(FIXTURE.read_text())


def test_every_case_is_recorded():
    assert sorted(RECORDED) == sorted(name for name, *_ in CASES) and len(CASES) == 10


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_answers_match_the_recording(name):
    got, want = compute(name), RECORDED[name]
    assert len(got["turns"]) == len(want["turns"]) > 10
    assert len(got["answers"]) == len(want["answers"]) == 2 + 8 * 5  # masks of the engine; 8 observers x 5 asks
    wrong = sorted(key for key, value in want["answers"].items() if got["answers"].get(key) != value)
    first = next((turn for turn, (a, b) in enumerate(zip(got["turns"], want["turns"])) if a != b), None)
    assert not wrong, f"{name}: first differing turn {first}; answers that differ: {wrong}"
    assert got["turns"] == want["turns"]
