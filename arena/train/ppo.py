"""PPO's two pieces over a rollout: generalised advantage estimation and the clipped update.

Why our own (about a hundred lines) rather than SB3: the learner plays only some seats of the
vector env (the rest are bots or past versions), dead snakes' idle steps and autoreset steps are
not its transitions, and SB3 treats every slot as an env of its own with per-slot Python
bookkeeping.  Here a rollout is ``(T, slots)`` arrays with a ``valid`` mask.
"""

from __future__ import annotations

import numpy as np
import torch

from arena.train.net import PolicyNet, masked


def advantages(rewards: np.ndarray, values: np.ndarray, next_value: np.ndarray, terminal: np.ndarray,
               ended: np.ndarray, gamma: float, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """(advantages, returns), both (T, S).  ``values[t]`` is V(obs_t) and ``next_value`` V(obs_T);
    ``terminal[t]``: nothing follows step t (death, a decided game); ``ended[t]``: the episode stops
    there (terminal, or cut off by ``max_turns``: then V(obs_{t+1}) stands in for the rest)."""
    steps = rewards.shape[0]
    adv = np.zeros_like(rewards)
    running = np.zeros(rewards.shape[1], np.float32)
    for t in reversed(range(steps)):
        after = next_value if t == steps - 1 else values[t + 1]
        delta = rewards[t] + gamma * after * (1.0 - terminal[t]) - values[t]
        running = delta + gamma * lam * (1.0 - ended[t]) * running
        adv[t] = running
    return adv, adv + values


def update(net: PolicyNet, optimizer: torch.optim.Optimizer, batch: dict[str, torch.Tensor], epochs: int,
           minibatch: int, clip: float, ent_coef: float, vf_coef: float, max_grad_norm: float,
           should_stop=lambda: False) -> dict[str, float]:
    """``epochs`` passes of clipped-surrogate PPO over the batch in shuffled minibatches; mean statistics."""
    count = batch["actions"].shape[0]
    adv = batch["advantages"]
    adv = (adv - adv.mean()) / (adv.std() + 1e-8) if count > 1 else adv
    totals = {"policy_loss": 0.0, "value_loss": 0.0, "entropy": 0.0, "approx_kl": 0.0, "clip_fraction": 0.0}
    passes = 0
    for _ in range(epochs):
        order = torch.randperm(count)
        for start in range(0, count, minibatch):
            if should_stop():
                raise KeyboardInterrupt
            idx = order[start:start + minibatch]
            logits, values = net(batch["spatial"][idx], batch["vector"][idx])
            dist = torch.distributions.Categorical(logits=masked(logits, batch["masks"][idx]))
            logp = dist.log_prob(batch["actions"][idx])
            log_ratio = logp - batch["logp"][idx]
            ratio = log_ratio.exp()
            a = adv[idx]
            policy_loss = -torch.min(ratio * a, ratio.clamp(1 - clip, 1 + clip) * a).mean()
            value_loss = 0.5 * (values - batch["returns"][idx]).pow(2).mean()
            entropy = dist.entropy().mean()
            loss = policy_loss + vf_coef * value_loss - ent_coef * entropy
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), max_grad_norm)
            optimizer.step()
            with torch.no_grad():
                totals["policy_loss"] += policy_loss.item()
                totals["value_loss"] += value_loss.item()
                totals["entropy"] += entropy.item()
                totals["approx_kl"] += ((ratio - 1) - log_ratio).mean().item()
                totals["clip_fraction"] += ((ratio - 1).abs() > clip).float().mean().item()
            passes += 1
    return {k: v / max(passes, 1) for k, v in totals.items()}
