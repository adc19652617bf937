"""The move policy the env tests play with: uniformly random among the moves the action mask allows."""

from __future__ import annotations

import numpy as np


def masked_random(rng: np.random.Generator, masks: np.ndarray) -> np.ndarray:
    """One allowed action per row of ``masks`` (rows, 4); a row with nothing allowed gets action 0."""
    return np.argmax(rng.random(masks.shape) * masks, axis=1)


def masked_random_agents(rng: np.random.Generator, masks: dict) -> dict:
    """``masked_random`` for a PettingZoo parallel env: {agent: action} from {agent: action mask}."""
    agents = list(masks)
    if not agents:
        return {}
    actions = masked_random(rng, np.stack([masks[a] for a in agents]))
    return {a: int(x) for a, x in zip(agents, actions)}
