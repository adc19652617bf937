"""The one way tests wait for something that happens in another thread or process: poll until it is true.

The timeout is generous (a loaded machine is slow, never wrong), and running out of it is a test failure
that says what was awaited, never a silent ``False``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(check: Callable[[], T], timeout: float = 60.0, every: float = 0.05, what: str = "condition") -> T:
    """Poll ``check`` until it returns something truthy and return that; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(every)
