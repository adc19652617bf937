"""The policy network's forward pass in numpy alone, from an exported ``.npz``.

Why numpy: a trained snake must play wherever snek-arena is installed -- in tournaments, behind
``snek serve-bot``, in the browser's rooms -- and torch is a multi-gigabyte optional extra.
The layers mirror ``arena.train.net.PolicyNet`` exactly (tests compare both on random inputs):
3x3 convolutions with padding 1 and ReLU, a dense ReLU layer over the flattened maps and the
vector features, then the move logits and the value.

The file: every weight under its torch ``state_dict`` name, plus ``meta``, a JSON string with
``format`` (``POLICY_FORMAT``), the observation format and view radius the network was trained
on, the layer sizes, and what the training run recorded about itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from arena.train.inputs import InputSpec, input_spec

POLICY_FORMAT = "snek-policy/1"
MASKED = np.float32(-1e9)  # a masked move's logit: never the argmax, probability 0 after softmax


class NumpyNet:
    """A loaded policy: ``forward(spatial, vector) -> (logits (B, 4), values (B,))``."""

    def __init__(self, weights: dict[str, np.ndarray], meta: dict) -> None:
        if meta.get("format") != POLICY_FORMAT:
            raise ValueError(f"not a snek policy (format {meta.get('format')!r}, expected {POLICY_FORMAT!r})")
        self.meta = meta
        self.inputs: InputSpec = input_spec(meta["obs_format"])
        self.view_radius = int(meta["view_radius"])
        convs = []
        while f"convs.{len(convs)}.weight" in weights:
            i = len(convs)
            w = weights[f"convs.{i}.weight"].astype(np.float32)
            convs.append((w.reshape(w.shape[0], -1).T.copy(), weights[f"convs.{i}.bias"].astype(np.float32)))
        self.convs = convs
        self.fc = _dense(weights, "fc")
        self.pi = _dense(weights, "pi")
        self.v = _dense(weights, "v")

    @classmethod
    def load(cls, path: str | Path) -> NumpyNet:
        """A policy from an ``.npz`` written by ``snek train`` (``arena.train.net.export_npz``)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                weights = {k: data[k] for k in data.files if k != "meta"}
                meta = json.loads(str(data["meta"])) if "meta" in data.files else {}
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(f"cannot read policy {path}: {exc}") from None
        try:
            return cls(weights, meta)
        except KeyError as exc:
            raise ValueError(f"policy {path} lacks {exc}") from None

    def forward(self, spatial: np.ndarray, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = spatial.astype(np.float32, copy=False)
        for w, b in self.convs:
            x = _conv3x3_relu(x, w, b)
        hidden = np.maximum(np.concatenate([x.reshape(x.shape[0], -1), vector], axis=1) @ self.fc[0] + self.fc[1], 0)
        return hidden @ self.pi[0] + self.pi[1], (hidden @ self.v[0] + self.v[1])[:, 0]

    def logits(self, parts: dict[str, np.ndarray], masks: np.ndarray) -> np.ndarray:
        """Masked move logits (B, 4) for a batch of observations (their parts) in the trained format."""
        logits, _ = self.forward(*self.inputs.encode(parts))
        return np.where(np.asarray(masks) > 0, logits, MASKED)

    def act(self, parts: dict[str, np.ndarray], masks: np.ndarray) -> np.ndarray:
        """The best allowed move of each observation (argmax over the masked logits; ties: the first)."""
        return np.argmax(self.logits(parts, masks), axis=1)


def _dense(weights: dict[str, np.ndarray], name: str) -> tuple[np.ndarray, np.ndarray]:
    return weights[f"{name}.weight"].astype(np.float32).T.copy(), weights[f"{name}.bias"].astype(np.float32)


def _conv3x3_relu(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A 3x3 convolution with zero padding 1 (as torch's ``Conv2d(..., 3, padding=1)``), then ReLU.

    ``w`` is the kernel laid out (C * 9, O); the patches are one sliding-window view, so the
    whole layer is a single matrix product."""
    batch, channels, height, width = x.shape
    padded = np.zeros((batch, channels, height + 2, width + 2), np.float32)
    padded[:, :, 1:-1, 1:-1] = x
    patches = sliding_window_view(padded, (3, 3), axis=(2, 3))  # (B, C, H, W, 3, 3)
    patches = patches.transpose(0, 2, 3, 1, 4, 5).reshape(batch * height * width, channels * 9)
    out = np.maximum(patches @ w + b, 0)
    return out.reshape(batch, height, width, -1).transpose(0, 3, 1, 2)
