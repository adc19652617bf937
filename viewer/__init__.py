"""The live server and the browser viewer of ``snek serve`` (docs/server.md).

Imported as ``snek_viewer``; it uses ``arena`` and is wired into the CLI only by ``arena/cli``.
"""

from snek_viewer.app import create_app
from snek_viewer.config import ServerConfig

__all__ = ["ServerConfig", "create_app"]
