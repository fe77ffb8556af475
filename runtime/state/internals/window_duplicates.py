"""Change-logging for window stores that retain duplicates (the stream-stream join stores).

Kafka's ``ChangeLoggingWindowBytesStore`` keeps its own sequence number when the store
retains duplicates and writes it into each changelog key, so that restoring the
changelog brings back every duplicate instead of the last one per key and timestamp.
"""

from __future__ import annotations

from runtime.state.internals.window_key_schema import to_store_key
from runtime.state.internals.window_layers import ChangeLoggingWindowBytesStore

__all__ = ["ChangeLoggingDuplicatesWindowBytesStore"]

_MAX_SEQNUM = 2**31 - 1


class ChangeLoggingDuplicatesWindowBytesStore(ChangeLoggingWindowBytesStore):
    _seqnum = 0

    def put(self, key: bytes, value: bytes | None, window_start: int) -> None:
        self.wrapped.put(key, value, window_start)
        self._seqnum = 0 if self._seqnum == _MAX_SEQNUM else self._seqnum + 1
        self._log(to_store_key(key, window_start, self._seqnum), value)
