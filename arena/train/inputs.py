"""What the network sees: an env observation turned into float arrays, the same for the learner
(torch reads these arrays as they are) and for the numpy forward pass that plays a checkpoint.

One function per observation format, so switching formats is one setting (``obs_format``) and
the learner and the player can never disagree on the encoding.  Every format gives
``(spatial (B, C, h, w) float32, vector (B, V) float32)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from arena.env.observation import NUM_CHANNELS
from arena.state import MAX_HEALTH

_HEALTH = NUM_CHANNELS - 1


@dataclass(frozen=True)
class InputSpec:
    """How one observation format becomes network input, and the sizes the network is built for."""

    obs_format: str
    spatial_channels: int
    vector_size: int
    encode: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def encode_planes(obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``planes`` (B, 10, h, w) uint8: the nine 0/1 planes as floats, health (constant over the window)
    as one number in [0, 1] (a plane of it would only cost the first convolution time)."""
    spatial = obs[:, :_HEALTH].astype(np.float32)
    vector = obs[:, _HEALTH, 0, :1].astype(np.float32) / np.float32(MAX_HEALTH)
    return spatial, vector


INPUTS: dict[str, InputSpec] = {
    "planes": InputSpec("planes", _HEALTH, 1, encode_planes),
}


def input_spec(obs_format: str) -> InputSpec:
    if obs_format not in INPUTS:
        raise ValueError(f"cannot train on obs_format {obs_format!r} (choose from {', '.join(INPUTS)})")
    return INPUTS[obs_format]
