"""The policy network in torch (training) and its export to the numpy ``.npz`` (playing).

Small on purpose: it trains on a shared CPU and its forward pass answers a move in well under
2 ms in numpy.  Two 3x3 convolutions over the egocentric window (translation-equivariant: a
wall or a head means the same anywhere), one dense layer that also takes the vector features
(health), then a move head and a value head.  ``arena.train.numpy_net`` mirrors it layer for layer.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from arena.train.numpy_net import MASKED, POLICY_FORMAT


class PolicyNet(nn.Module):
    def __init__(self, spatial_channels: int, vector_size: int, window: tuple[int, int],
                 conv: tuple[int, ...] = (32, 16), hidden: int = 128) -> None:
        super().__init__()
        self.sizes = {"spatial_channels": spatial_channels, "vector_size": vector_size, "window": list(window),
                      "conv": list(conv), "hidden": hidden}
        layers, channels = [], spatial_channels
        for out in conv:
            layers.append(nn.Conv2d(channels, out, 3, padding=1))
            channels = out
        self.convs = nn.ModuleList(layers)
        self.fc = nn.Linear(channels * window[0] * window[1] + vector_size, hidden)
        self.pi = nn.Linear(hidden, 4)
        self.v = nn.Linear(hidden, 1)

    def forward(self, spatial: torch.Tensor, vector: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits (B, 4), values (B,))."""
        x = spatial
        for conv in self.convs:
            x = torch.relu(conv(x))
        hidden = torch.relu(self.fc(torch.cat([x.flatten(1), vector], dim=1)))
        return self.pi(hidden), self.v(hidden).squeeze(-1)


def masked(logits: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Logits with the masked moves set to ``MASKED`` (the numpy pass uses the same constant)."""
    return torch.where(masks > 0, logits, torch.full_like(logits, float(MASKED)))


def export_npz(net: PolicyNet, path: Path, meta: dict) -> Path:
    """Write the weights and ``meta`` (format, observation format, view radius, sizes, run facts) as an
    ``.npz`` the numpy pass loads; written to a temporary name first so a reader never sees half a file."""
    arrays = {name: t.detach().cpu().numpy().astype(np.float32) for name, t in net.state_dict().items()}
    meta = {"format": POLICY_FORMAT, **net.sizes, **meta}
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)
    tmp.replace(path)
    return path
