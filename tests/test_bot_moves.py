"""The built-in bots answer recorded states exactly as they did when the states were recorded.

tests/data/bot_moves.jsonl.gz holds 9,870 states from real games (every ruleset the bots read, boards
7x7 to 25x25, 1 to 8 snakes) with the answers of ``safe``, ``greedy`` and ``space`` at the time
(tests/data/make_bot_moves.py): a faster implementation must keep every move, or the ladder and
saved replays change.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from arena.registry import resolve_bot

RECORDED = Path(__file__).parent / "data" / "bot_moves.jsonl.gz"
BOTS = ("safe", "greedy", "space")


@pytest.fixture(scope="module")
def records() -> list[dict]:
    with gzip.open(RECORDED, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


@pytest.mark.parametrize("name", BOTS)
def test_moves_match_the_recording(records: list[dict], name: str) -> None:
    policy = resolve_bot(name)
    differ = [(r["state"]["game"]["id"], r["state"]["turn"], r["state"]["you"]["id"], r["moves"][name], answer)
              for r in records if (answer := policy(r["state"])) != r["moves"][name]]
    assert len(records) == 9870
    assert not differ, f"{len(differ)} of {len(records)} moves changed, first: {differ[:3]}"
