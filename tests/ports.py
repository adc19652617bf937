"""A free 127.0.0.1 port for a test's server (the OS picks it; nothing listens on it when returned)."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
