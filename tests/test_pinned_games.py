"""Seeds keep playing the same games: frames recorded before the engine was compiled, turn by turn.

The fixture (``tests/data/pinned_games.json.gz``, written by ``tests/pinned_games.py``) pins every
ruleset, several seeds, mixed batches (games ending at different turns, empty seats), garbage move
codes, positions loaded with ``from_positions`` and classic drop-in events.
"""

from __future__ import annotations

import gzip
import json

import pytest
from pinned_games import CASES, FIXTURE, replay_case

RECORDED = json.loads(gzip.decompress(FIXTURE.read_bytes()))


def test_every_case_is_recorded() -> None:
    assert sorted(RECORDED) == sorted(CASES)
    assert len(CASES) == 19
    rulesets = {case["ruleset"] for case in CASES.values()}
    assert rulesets == {"standard", "wrapped", "constrictor", "wrapped_constrictor", "royale", "solo", "classic"}


@pytest.mark.parametrize("bulk", [False, True], ids=["per-game", "bulk"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_pinned_game_frames(name: str, bulk: bool) -> None:
    """Frames built one game at a time (``Engine.frame``) and for the whole batch (``Engine.frames``)."""
    recorded = RECORDED[name]
    digests = replay_case(CASES[name], recorded, bulk)
    assert len(digests) == len(recorded["digests"]) and len(recorded["moves"]) > 0
    for game, (got, want) in enumerate(zip(digests, recorded["digests"])):
        assert len(got) == len(want) == len(recorded["moves"]) + 1
        first = next((turn for turn, (a, b) in enumerate(zip(got, want)) if a != b), None)
        assert first is None, f"{name}: game {game} differs from the recording from frame {first} on"
