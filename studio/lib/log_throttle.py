"""A logging filter that lets one of a run of identical messages through per interval.

channels_redis's pub/sub layer logs a traceback each second while Redis is unreachable
(its receive loop retries once a second). An outage of minutes would bury the rest of
the web log; one line per minute, saying how many were held back, says the same.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["RepeatThrottle"]


class RepeatThrottle(logging.Filter):
    """Passes the first record of each (logger, message template) and then at most one
    per `interval_s`; the one that passes after a quiet spell says how many it replaces.

    Attach it to the logger whose records repeat, not to a handler: records with the
    same template but different arguments (a worker's per-record errors) are distinct
    events everywhere else.
    """

    def __init__(self, interval_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval_s = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}   # key -> (passed at, held back since)

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = self._clock()
        with self._lock:
            passed_at, held = self._seen.get(key, (None, 0))
            if passed_at is not None and now - passed_at < self.interval_s:
                self._seen[key] = (passed_at, held + 1)
                return False
            self._seen[key] = (now, 0)
        if held:
            record.msg = f"{record.getMessage()} ({held} more like this in the last {now - (passed_at or now):.0f} s)"
            record.args = None
        return True
