"""How many websockets one client address, and the whole process, may hold.

Every open socket holds a thread (its reader) for as long as it lives, and the production server
has a fixed number of threads (``snek_viewer.gunicorn_conf``): without a cap, one client opening idle
sockets takes every thread, and ``/healthz`` and the pages stop answering.  The cap is checked before
the websocket handshake, so a refused upgrade costs one short HTTP answer (429 for an address over its
share, 503 when the process is full), not a thread.

The address is the TCP peer's (``REMOTE_ADDR``): behind a reverse proxy every client shares the proxy's
address, so there set ``max_sockets_per_address`` to 0 (off) and let the proxy limit per client.
"""

from __future__ import annotations

import threading
from collections import Counter


class SocketLimits:
    def __init__(self, total: int, per_address: int) -> None:
        self.limit_total, self.limit_per_address = total, per_address  # 0: no limit
        self._lock = threading.Lock()
        self._by_address: Counter[str] = Counter()
        self.total = 0

    def acquire(self, address: str) -> int | None:
        """Take a place for a socket from ``address``: None if granted, else the HTTP status refusing it."""
        with self._lock:
            if self.limit_per_address and self._by_address[address] >= self.limit_per_address:
                return 429
            if self.limit_total and self.total >= self.limit_total:
                return 503
            self._by_address[address] += 1
            self.total += 1
            return None

    def release(self, address: str) -> None:
        with self._lock:
            self.total -= 1
            self._by_address[address] -= 1
            if self._by_address[address] <= 0:
                del self._by_address[address]
