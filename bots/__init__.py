"""Built-in bot strategies, one small file each, registered by name (the ``snek.bots`` entry point).

A registry entry is a zero-argument factory returning a policy ``policy(state) -> move``.  Every
built-in declares itself ``bounded`` (``snek_bots.common.bounded``), so matches call it inline.
"""

from __future__ import annotations

from collections.abc import Callable

from snek_bots import greedy, learned, random_bot, safe, search, space

REGISTRY: dict[str, Callable[[], Callable[[dict], object]]] = {
    "random": random_bot.create,
    "safe": safe.create,
    "greedy": greedy.create,
    "space": space.create,
    "search": search.create,
    "learned": learned.create,
}
