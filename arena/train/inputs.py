"""What the network sees: an env observation turned into float arrays, the same for the learner
(torch reads these arrays as they are) and for the numpy forward pass that plays a checkpoint.

One entry per observation format, so switching formats is one setting (``obs_format``) and the
learner and the player can never disagree on the encoding.  An observation travels as its
*parts*, the arrays ``Observer.encode`` writes (``{"observation"}`` for planes, ``{"codes",
"scalars"}`` for codes): compact uint8 in the rollout buffer, turned into floats only for the
network.  Every format gives ``(spatial (B, C, h, w) float32, vector (B, V) float32)``.

- ``codes`` (default): one uint8 code per cell, one-hot through ``CODE_PLANES`` (the nine 0/1
  planes of the ``planes`` format, exactly), and the scalars health / 100, length / 50, turn / 500.
- ``planes``: the nine 0/1 planes as they are, health / 100.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from arena.env.observation import CODE_PLANES, NUM_CHANNELS
from arena.geometry import frozen
from arena.state import MAX_HEALTH

Parts = dict[str, np.ndarray]
_HEALTH = NUM_CHANNELS - 1
_ONE_HOT = frozen(CODE_PLANES.astype(np.float32))  # (codes, 9)
_SCALAR_SCALE = frozen(np.array([1 / MAX_HEALTH, 1 / 50, 1 / 500], np.float32))  # health, length, turn


@dataclass(frozen=True)
class InputSpec:
    """How one observation format becomes network input, and the sizes the network is built for."""

    obs_format: str
    keys: tuple[str, ...]  # the parts kept per observation
    spatial_channels: int
    vector_size: int
    encode: Callable[[Parts], tuple[np.ndarray, np.ndarray]]

    def parts(self, obs) -> Parts:
        """An env observation (array or dict, a batch) as its parts."""
        return {self.keys[0]: obs} if not isinstance(obs, dict) else {k: obs[k] for k in self.keys}


def encode_planes(parts: Parts) -> tuple[np.ndarray, np.ndarray]:
    """``planes`` (B, 10, h, w) uint8: the nine 0/1 planes as floats, health (constant over the window)
    as one number in [0, 1] (a plane of it would only cost the first convolution time)."""
    obs = parts["observation"]
    spatial = obs[:, :_HEALTH].astype(np.float32)
    vector = obs[:, _HEALTH, 0, :1].astype(np.float32) / np.float32(MAX_HEALTH)
    return spatial, vector


def encode_codes(parts: Parts) -> tuple[np.ndarray, np.ndarray]:
    """``codes`` (B, h, w) uint8 one-hot to (B, 9, h, w); scalars (B, 3) scaled to about [0, 1]."""
    spatial = np.ascontiguousarray(_ONE_HOT[parts["codes"]].transpose(0, 3, 1, 2))
    return spatial, (parts["scalars"] * _SCALAR_SCALE).astype(np.float32)


INPUTS: dict[str, InputSpec] = {
    "codes": InputSpec("codes", ("codes", "scalars"), _ONE_HOT.shape[1], len(_SCALAR_SCALE), encode_codes),
    "planes": InputSpec("planes", ("observation",), _HEALTH, 1, encode_planes),
}


def input_spec(obs_format: str) -> InputSpec:
    if obs_format not in INPUTS:
        raise ValueError(f"cannot train on obs_format {obs_format!r} (choose from {', '.join(INPUTS)})")
    return INPUTS[obs_format]
