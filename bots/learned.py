"""`learned`: a policy trained by `snek train` (PPO; self-play, past versions and the built-in bots
as opponents), shipped as ``learned.npz`` and played by a numpy forward pass (no torch needed).

Its move is the argmax over the masked move logits, so a state always gets the same answer.
How it was trained and how strong it is: docs/envs.md ("The shipped `learned` bot").  Any other
run's policy plays with the spec ``learned:PATH`` (``arena.players.spec``).
"""

from __future__ import annotations

from pathlib import Path

from arena.train.player import LearnedPolicy

WEIGHTS = Path(__file__).with_name("learned.npz")


def create() -> LearnedPolicy:
    return LearnedPolicy(WEIGHTS)
