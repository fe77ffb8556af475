"""Waiting on a condition with a bound, failing with what was last seen; free of Django."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest


def wait_for(what: str, probe: Callable[[], tuple[bool, Any]], timeout: float, *,
             interval: float = 0.5, check: Callable[[], None] | None = None) -> tuple[float, Any]:
    """Call `probe` until it answers (True, state); returns (seconds taken, state).

    Fails naming `what` and the last state observed. `check` runs before each probe
    (e.g. that the worker is still alive) and may fail the test itself.
    """
    start = time.monotonic()
    deadline = start + timeout
    while True:
        if check is not None:
            check()
        ok, state = probe()
        if ok:
            return time.monotonic() - start, state
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; last observed: {state!r}",
                        pytrace=False)
        time.sleep(interval)
