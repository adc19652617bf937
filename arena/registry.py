"""Finding bots by name without importing ``bots/``: packages register them under the
``snek.bots`` entry-point group (a dict name -> factory), so ``arena`` stays independent
of any bot package, ours included (pyproject: ``builtin = "snek_bots:REGISTRY"``).

A factory takes no arguments and returns a policy: ``policy(game_state: dict) -> move``
(a move string or ``{"move": ..., "shout": ...}``), optionally with ``start``/``end``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.metadata import entry_points

Policy = Callable[[dict], object]
GROUP = "snek.bots"


@cache
def builtin_bots() -> dict[str, Callable[[], Policy]]:
    """All registered bot factories by name (first registration of a name wins)."""
    found: dict[str, Callable[[], Policy]] = {}
    for ep in entry_points(group=GROUP):
        for name, factory in ep.load().items():
            found.setdefault(name, factory)
    return found


def resolve_bot(bot: str | Policy) -> Policy:
    """A policy for a registered bot name, or the callable itself."""
    if callable(bot):
        return bot
    bots = builtin_bots()
    if bot not in bots:
        known = ", ".join(sorted(bots)) or "none installed"
        raise ValueError(f"unknown bot {bot!r} (built-in bots: {known})")
    return bots[bot]()
