"""snek-arena: batched Battlesnake-exact engine, envs, arena and replays."""

__version__ = "0.1.0"
