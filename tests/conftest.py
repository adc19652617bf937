"""Suite-wide fixtures: websocket clients closed at every test's end, and prerequisites that fail under CI.

The test helpers live beside the tests (ports.py, waiting.py, snek_cli.py, serve.py, wsclient.py, policies.py,
serverkit.py, ...); pytest puts this folder on ``sys.path``, so tests import them by name.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from wsclient import close_all


@pytest.fixture(autouse=True)
def _close_websocket_clients() -> Iterator[None]:
    yield
    close_all()
