"""The change-logging layers: every write is also sent to the store's changelog topic."""

from __future__ import annotations

from typing import Any

from runtime.state.api import KeyValueStore, StoreContext
from runtime.state.internals.timestamped_bytes import raw_value, timestamp_of
from runtime.state.internals.wrapped import WrappedKeyValueStore

__all__ = ["ChangeLoggingKeyValueBytesStore", "ChangeLoggingTimestampedKeyValueBytesStore"]


class ChangeLoggingKeyValueBytesStore(WrappedKeyValueStore):
    """Logs (key, value, current record timestamp); a delete logs a tombstone."""

    def __init__(self, wrapped: KeyValueStore[Any, Any]) -> None:
        super().__init__(wrapped)
        self._context: StoreContext | None = None

    def init(self, context: StoreContext) -> None:
        self._context = context
        super().init(context)

    def _log(self, key: bytes, value: bytes | None) -> None:
        ctx = self._context
        assert ctx is not None, "store used before init"
        ctx.log_change(self.name, key, value, ctx.record_timestamp())

    def put(self, key: bytes, value: bytes | None) -> None:
        self.wrapped.put(key, value)
        self._log(key, value)

    def put_if_absent(self, key: bytes, value: bytes) -> bytes | None:
        old = self.wrapped.put_if_absent(key, value)
        if old is None:
            self._log(key, value)
        return old

    def delete(self, key: bytes) -> bytes | None:
        old = self.wrapped.delete(key)
        self._log(key, None)
        return old


class ChangeLoggingTimestampedKeyValueBytesStore(ChangeLoggingKeyValueBytesStore):
    """Values are timestamp-prefixed; the changelog gets the plain value, and the
    timestamp travels as the changelog record's timestamp (as in Kafka Streams)."""

    def _log(self, key: bytes, value: bytes | None) -> None:
        ctx = self._context
        assert ctx is not None, "store used before init"
        if value is None:
            ctx.log_change(self.name, key, None, ctx.record_timestamp())
        else:
            ctx.log_change(self.name, key, raw_value(value), timestamp_of(value))
