"""Built-in bot strategies, one small file each, registered by name."""

REGISTRY: dict = {}
