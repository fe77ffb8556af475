"""The store decorator stack: in-memory bytes store, change-logging, metered (serdes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from runtime.errors import StreamsError
from runtime.serdes import Serdes
from runtime.state import Stores, ValueAndTimestamp
from runtime.state.internals.change_logging import ChangeLoggingKeyValueBytesStore
from runtime.state.internals.in_memory import InMemoryKeyValueStore
from runtime.state.internals.metered import MeteredKeyValueStore
from runtime.state.internals.rocksdb_store import RocksDBKeyValueStore
from runtime.state.internals.store_settings import StoreSettings, use_settings
from runtime.state.internals.wrapped import innermost


class RecordingContext:
    """A task as far as stores can tell: records what the change-logging layer sends."""

    application_id = "app"
    task_id = "0_2"
    partition = 2

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
        return Serdes.json()


# The bytes-store contract holds for both innermost stores: in memory and RocksDB.
@pytest.fixture(params=["in_memory", "rocksdb"])
def bytes_store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Any]:
    store = (InMemoryKeyValueStore("s") if request.param == "in_memory"
             else RocksDBKeyValueStore("s", str(tmp_path)))
    store.init(RecordingContext())
    yield store
    store.close()


@pytest.fixture(params=["in_memory", "persistent"])
def supplier(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Callable[[str], Any]]:
    """Store suppliers of both kinds; persistent ones write under ``tmp_path``."""
    factory = (Stores.in_memory_key_value_store if request.param == "in_memory"
               else Stores.persistent_key_value_store)
    with use_settings(StoreSettings(state_dir=str(tmp_path))):
        yield factory


def test_store_orders_keys_as_unsigned_bytes(bytes_store: Any) -> None:
    store = bytes_store
    for key in [b"\xff", b"b", b"a", b"\x00", b"ab"]:
        store.put(key, key)
    assert [k for k, _ in store.all()] == [b"\x00", b"a", b"ab", b"b", b"\xff"]
    assert [k for k, _ in store.range(b"a", b"b")] == [b"a", b"ab", b"b"]  # inclusive
    assert [k for k, _ in store.range(None, b"a")] == [b"\x00", b"a"]
    assert [k for k, _ in store.reverse_range(b"a", None)] == [b"\xff", b"b", b"ab", b"a"]
    assert store.approximate_num_entries() == 5


def test_iteration_is_a_snapshot(bytes_store: Any) -> None:
    store = bytes_store
    store.put(b"a", b"1")
    store.put(b"b", b"2")
    seen = []
    for key, _ in store.all():
        store.delete(key)
        store.put(key + b"x", b"3")
        seen.append(key)
    assert seen == [b"a", b"b"]
    assert [k for k, _ in store.all()] == [b"ax", b"bx"]


def test_put_none_deletes_and_put_if_absent_keeps_existing(bytes_store: Any) -> None:
    store = bytes_store
    store.put(b"k", b"v")
    assert store.put_if_absent(b"k", b"w") == b"v"
    store.put(b"k", None)
    assert store.get(b"k") is None
    assert store.put_if_absent(b"k", b"w") is None
    assert store.get(b"k") == b"w"


def test_change_logging_sends_every_write_with_the_record_timestamp() -> None:
    ctx = RecordingContext()
    store = ChangeLoggingKeyValueBytesStore(InMemoryKeyValueStore("s"))
    store.init(ctx)
    store.put(b"k", b"1")
    ctx.timestamp = 150
    assert store.put_if_absent(b"k", b"2") == b"1"        # unchanged: nothing logged
    assert store.put_if_absent(b"j", b"3") is None
    store.delete(b"k")
    assert ctx.logged == [("s", b"k", b"1", 100), ("s", b"j", b"3", 150), ("s", b"k", None, 150)]


def test_key_value_store_builder_stacks_metered_over_logging_over_memory() -> None:
    ctx = RecordingContext()
    builder = Stores.key_value_store_builder(Stores.in_memory_key_value_store("words"),
                                             Serdes.string(), Serdes.long())
    store = builder.build()
    store.init(ctx)
    assert isinstance(store, MeteredKeyValueStore)
    assert isinstance(innermost(store), InMemoryKeyValueStore)
    store.put("kafka", 3)
    assert store.get("kafka") == 3
    assert ctx.logged == [("words", b"kafka", b"\x00" * 7 + b"\x03", 100)]
    assert list(store.all()) == [("kafka", 3)]
    assert store.delete("kafka") == 3
    assert ctx.logged[-1] == ("words", b"kafka", None, 100)


def test_logging_can_be_disabled() -> None:
    ctx = RecordingContext()
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"),
                                           Serdes.string(), Serdes.string()) \
        .with_logging_disabled().build()
    store.init(ctx)
    store.put("a", "b")
    assert ctx.logged == []


def test_missing_serdes_fall_back_to_the_task_defaults() -> None:
    ctx = RecordingContext()
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s")).build()
    store.init(ctx)
    store.put("a", {"n": 1})
    assert ctx.logged == [("s", b"a", b'{"n":1}', 100)]


def test_timestamped_store_logs_the_plain_value_with_its_own_timestamp(
        supplier: Callable[[str], Any]) -> None:
    # ChangeLoggingTimestampedKeyValueBytesStore: the changelog value has no timestamp
    # prefix; the timestamp is the changelog record's timestamp.
    ctx = RecordingContext()
    store = Stores.timestamped_key_value_store_builder(
        supplier("agg"), Serdes.string(), Serdes.long()).build()
    store.init(ctx)
    store.put("k", ValueAndTimestamp(7, 42))
    assert store.get("k") == ValueAndTimestamp(7, 42)
    assert ctx.logged == [("agg", b"k", b"\x00" * 7 + b"\x07", 42)]
    # locally the value is stored as Kafka does: 8-byte timestamp, then the value
    assert innermost(store).get(b"k") == (42).to_bytes(8, "big") + (7).to_bytes(8, "big")
    with pytest.raises(StreamsError, match="ValueAndTimestamp"):
        store.put("k", 8)
    store.close()


def test_none_keys_are_refused() -> None:
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"),
                                           Serdes.string(), Serdes.string()).build()
    store.init(RecordingContext())
    with pytest.raises(StreamsError, match="must not be None"):
        store.put(None, "x")


def test_closed_store_reports_closed(supplier: Callable[[str], Any]) -> None:
    store = Stores.key_value_store_builder(supplier("s")).build()
    store.init(RecordingContext())
    assert store.is_open
    store.close()
    assert not store.is_open
