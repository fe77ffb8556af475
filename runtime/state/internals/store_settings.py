"""What a task's configuration tells the stores it builds: where RocksDB keeps its files,
which store type the DSL's unnamed-type stores get, and the record cache (if any).

Store builders and suppliers take no configuration (as in Kafka, a topology is built
before it meets a config), so the task binds these settings while it builds its stores;
a supplier or builder reads them with :func:`current_settings`. A ContextVar keeps the
binding private to the building thread: several stream threads build tasks at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from runtime.config import (
    DEFAULT_DSL_STORE,
    DEFAULTS,
    IN_MEMORY,
    NUM_STREAM_THREADS,
    ROCKS_DB,
    ROCKSDB_MEMORY_MAX_BYTES,
    STATE_DIR,
    STATESTORE_CACHE_MAX_BYTES,
)
from runtime.state.internals.thread_cache import ThreadCache

__all__ = ["StoreSettings", "current_settings", "use_settings"]


@dataclass(frozen=True)
class StoreSettings:
    state_dir: str = str(DEFAULTS[STATE_DIR])
    dsl_store: str = IN_MEMORY          # "rocksDB" | "in_memory" (default.dsl.store)
    cache: ThreadCache | None = None    # None: record caching is off (size 0)
    rocksdb_memory_max_bytes: int = int(DEFAULTS[ROCKSDB_MEMORY_MAX_BYTES])   # the process's, 0: unbounded

    @property
    def dsl_persistent(self) -> bool:
        return self.dsl_store == ROCKS_DB

    @staticmethod
    def from_config(config: Mapping[str, Any], *, caching: bool = True) -> StoreSettings:
        """Settings of a task on the calling thread. The thread's share of
        ``statestore.cache.max.bytes`` is the total divided by the stream threads
        (Kafka's split); ``caching=False`` (the test driver) turns the cache off."""
        cache = None
        if caching:
            total = int(config.get(STATESTORE_CACHE_MAX_BYTES, 0) or 0)
            threads = max(1, int(config.get(NUM_STREAM_THREADS, 1) or 1))
            if total > 0:
                cache = ThreadCache.for_current_thread(total // threads)
        return StoreSettings(
            state_dir=os.fspath(config.get(STATE_DIR, DEFAULTS[STATE_DIR])),
            dsl_store=str(config.get(DEFAULT_DSL_STORE, IN_MEMORY)),
            cache=cache,
            rocksdb_memory_max_bytes=int(config.get(ROCKSDB_MEMORY_MAX_BYTES, DEFAULTS[ROCKSDB_MEMORY_MAX_BYTES])),
        )


_SETTINGS: ContextVar[StoreSettings | None] = ContextVar("riffle_store_settings", default=None)
_DEFAULT = StoreSettings()


def current_settings() -> StoreSettings:
    """The settings bound by the task building stores now; defaults outside a task."""
    return _SETTINGS.get() or _DEFAULT


@contextmanager
def use_settings(settings: StoreSettings) -> Iterator[StoreSettings]:
    token = _SETTINGS.set(settings)
    try:
        yield settings
    finally:
        _SETTINGS.reset(token)
