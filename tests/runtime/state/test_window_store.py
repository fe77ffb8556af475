"""Window stores: the in-memory store, change-logging with Kafka's windowed changelog key
(WindowKeySchema#toStoreKeyBinary: key, 8-byte window start, 4-byte seqnum), the metered
layer, retention as in Kafka's InMemoryWindowStore (a window start at or before
observed stream time - retention is expired), and restore from changelog records."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from runtime import TimeWindow, Windowed
from runtime.serdes import Serdes
from runtime.state import Stores, ValueAndTimestamp
from runtime.state.internals.in_memory_window import InMemoryWindowStore
from runtime.state.internals.rocksdb_window_store import RocksDBWindowStore
from runtime.state.internals.wrapped import innermost


class RecordingContext:
    application_id = "app"
    task_id = "0_0"
    partition = 0

    def __init__(self) -> None:
        self.timestamp = 100
        self.logged: list[tuple[str, bytes, bytes | None, int]] = []

    def changelog_topic(self, store_name: str) -> str:
        return f"app-{store_name}-changelog"

    def record_timestamp(self) -> int:
        return self.timestamp

    def log_change(self, store_name: str, key: bytes, value: bytes | None, timestamp: int) -> None:
        self.logged.append((store_name, key, value, timestamp))

    def default_key_serde(self) -> Any:
        return Serdes.string()

    def default_value_serde(self) -> Any:
        return Serdes.long()


MakeStore = Callable[..., Any]


# The contract holds for both innermost window stores: in memory and RocksDB (segmented;
# small segments here so that the tests cross segment boundaries).
@pytest.fixture(params=["in_memory", "rocksdb"])
def make_store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[MakeStore]:
    opened: list[Any] = []

    def make(retention: int = 100, size: int = 10, name: str = "w") -> Any:
        store: Any = (InMemoryWindowStore(name, retention, size)
                      if request.param == "in_memory"
                      else RocksDBWindowStore(name, retention, size, state_dir=str(tmp_path),
                                              segment_interval=20))
        store.init(RecordingContext())
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def test_fetch_single_window_and_ranges(make_store: MakeStore) -> None:
    store = make_store()
    store.put(b"a", b"1", 0)
    store.put(b"a", b"2", 10)
    store.put(b"b", b"3", 10)
    store.put(b"a", b"4", 20)
    assert store.fetch(b"a", 10) == b"2"
    assert store.fetch(b"a", 5) is None
    assert list(store.fetch(b"a", 5, 20)) == [(10, b"2"), (20, b"4")]  # bounds inclusive
    assert [(w.key, w.window.start, v) for w, v in store.fetch_all(10, 10)] == \
        [(b"a", 10, b"2"), (b"b", 10, b"3")]
    assert store.approximate_num_entries() == 4
    store.put(b"a", None, 10)  # None deletes
    assert store.fetch(b"a", 10) is None and store.fetch(b"b", 10) == b"3"


def test_retention_expires_old_windows_as_stream_time_advances(make_store: MakeStore) -> None:
    store = make_store(retention=30, size=10)
    store.put(b"k", b"0", 0)
    store.put(b"k", b"1", 10)
    store.put(b"k", b"3", 30)   # stream time 30: start 0 <= 30 - 30 is expired
    assert store.fetch(b"k", 0) is None
    assert [s for s, _ in store.fetch(b"k", 0, 100)] == [10, 30]
    store.put(b"k", b"old", 0)  # a write to an expired window is ignored
    assert store.fetch(b"k", 0) is None and store.expired_records == 1
    store.put(b"k", b"4", 40)
    assert [s for s, _ in store.fetch(b"k", 0, 100)] == [30, 40]
    assert len(list(store.all())) == 2
    if isinstance(store, InMemoryWindowStore):  # RocksDB's count is an estimate
        assert store.approximate_num_entries() == 2


def test_all_gives_changelog_store_keys_for_snapshots(make_store: MakeStore) -> None:
    store = make_store()
    store.put(b"a", b"1", 7)
    assert list(store.all()) == [(b"a" + struct.pack(">qi", 7, 0), b"1")]
    # a two-argument put takes that layout back (restore and checkpoint reload)
    copy = make_store(name="copy")
    for key, value in store.all():
        copy.put(key, value)
    assert copy.fetch(b"a", 7) == b"1"


def test_timestamped_stack_logs_windowed_keys_and_plain_values() -> None:
    builder = Stores.timestamped_window_store_builder(
        Stores.in_memory_window_store("counts", 15, 10), Serdes.string(), Serdes.long())
    store = builder.build()
    ctx = RecordingContext()
    store.init(ctx)
    store.put("a", ValueAndTimestamp(3, 42), 10)
    store.put("a", None, 10)
    assert ctx.logged == [
        # ChangeLoggingTimestampedWindowBytesStore: the value without its timestamp, the
        # timestamp as the changelog record's; key = key bytes + start + seqnum 0
        ("counts", b"a" + struct.pack(">qi", 10, 0), struct.pack(">q", 3), 42),
        ("counts", b"a" + struct.pack(">qi", 10, 0), None, 100),
    ]
    store.put("b", ValueAndTimestamp(1, 5), 0)
    assert store.fetch("b", 0) == ValueAndTimestamp(1, 5)
    assert list(store.fetch("b", 0, 10)) == [(0, ValueAndTimestamp(1, 5))]
    assert list(store.all()) == [(Windowed("b", TimeWindow(0, 10)), ValueAndTimestamp(1, 5))]
    assert list(store.fetch_all(0, 0)) == list(store.all())


def test_window_changelog_topic_config() -> None:
    # WindowedChangelogTopicConfig: compact,delete; retention = store retention + 1 day
    builder = Stores.timestamped_window_store_builder(
        Stores.persistent_timestamped_window_store("w", 6000, 5000))
    assert builder.log_config == {"cleanup.policy": "compact,delete",
                                  "retention.ms": str(6000 + 86_400_000)}
    builder.with_logging_enabled({"min.insync.replicas": "2"})
    assert builder.log_config["cleanup.policy"] == "compact,delete"
    assert builder.log_config["min.insync.replicas"] == "2"


def test_untimestamped_window_store_and_innermost() -> None:
    store = Stores.window_store_builder(Stores.in_memory_window_store("w", 100, 10),
                                        Serdes.string(), Serdes.string()).build()
    ctx = RecordingContext()
    store.init(ctx)
    store.put("k", "v", 20)
    assert store.fetch("k", 20) == "v"
    assert ctx.logged == [("w", b"k" + struct.pack(">qi", 20, 0), b"v", 100)]
    assert isinstance(innermost(store), InMemoryWindowStore)
