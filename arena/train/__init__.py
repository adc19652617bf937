"""Training a snake policy with PPO (``snek train``) and playing it back without torch.

Why two halves: training needs torch (the ``rl`` extra) but playing a trained policy must not,
so the core install stays light.  The numpy half -- ``inputs`` (observation -> network input),
``numpy_net`` (the forward pass of an exported ``.npz``) and ``player`` (a bot that plays one) --
imports no torch; ``net``, ``ppo``, ``run`` and ``opponents`` are the torch half, imported only by
``snek train``.
"""
