"""The process-wide RocksDB memory budget (riffle.rocksdb.memory.max.bytes): every
RocksDB store of the process shares one block cache, their memtables are charged to it,
and the total stays near the budget however many keys the stores hold. The figures
(RSS as the key space grows) are in bench/memory_bench.py."""

from __future__ import annotations

from typing import Any

import pytest

from runtime import Serdes, StreamsBuilder
from runtime.config import ROCKSDB_MEMORY_MAX_BYTES, StreamsConfig
from runtime.dsl.options import Materialized
from runtime.errors import ConfigError
from runtime.exec import ConsumedRecord, MockClock, StreamTask
from runtime.state.internals.rocksdb_memory import cache_usage
from runtime.state.internals.rocksdb_store import RocksDBKeyValueStore
from runtime.state.internals.store_settings import StoreSettings, use_settings
from runtime.state.internals.wrapped import innermost


class Context:
    def __init__(self, partition: int) -> None:
        self.application_id = "app"
        self.task_id = f"0_{partition}"
        self.partition = partition


# A budget no other test uses, so that its shared cache is this test's alone.
BUDGET = 6 * 1024 * 1024 + 4096


def test_stores_share_one_cache_that_holds_their_memtables_within_the_budget(tmp_path: Any) -> None:
    with use_settings(StoreSettings(state_dir=str(tmp_path), rocksdb_memory_max_bytes=BUDGET)):
        stores = [RocksDBKeyValueStore("s"), RocksDBKeyValueStore("s")]
    for partition, store in enumerate(stores):
        store.init(Context(partition))  # type: ignore[arg-type]
    assert cache_usage(BUDGET) == 0 or cache_usage(BUDGET) <= BUDGET
    value = b"v" * 100
    peak = 0
    # ~24 MB of writes, four times the budget: memtables fill, flush and are charged.
    for i in range(120_000):
        stores[i % 2].put(b"key-%09d" % i, value)
        if i % 5_000 == 0:
            peak = max(peak, cache_usage(BUDGET))
    peak = max(peak, cache_usage(BUDGET))
    assert peak > 0, "the memtables were not charged to the shared cache"
    # LRUCache's capacity is not strict: a reservation may overshoot by a memtable block.
    assert peak <= BUDGET * 1.25, f"{peak:,} bytes in a {BUDGET:,}-byte budget"
    # Reads go through the same cache (index, filter and data blocks) and stay correct.
    assert stores[0].get(b"key-%09d" % 0) == value and stores[1].get(b"key-%09d" % 1) == value
    assert stores[0].get(b"key-%09d" % 1) is None
    assert sum(1 for _ in stores[1].all()) == 60_000
    for store in stores:
        store.close()


def test_a_task_gives_its_rocksdb_stores_the_configured_budget(tmp_path: Any) -> None:
    b = StreamsBuilder()
    (b.stream("in", key_serde=Serdes.string(), value_serde=Serdes.string())
     .group_by_key().count(store=Materialized.as_("counts").with_store_type("rocks_db")))  # type: ignore[arg-type]
    task = StreamTask(b.build(), 0, 0, application_id="app", collector=None,  # type: ignore[arg-type]
                      config={"state.dir": str(tmp_path), ROCKSDB_MEMORY_MAX_BYTES: 12345678},
                      clock=MockClock(0))
    task.process(ConsumedRecord("in", 0, 0, 0, b"k", b"x"))
    store = innermost(task._stores["counts"])
    assert isinstance(store, RocksDBKeyValueStore) and store._memory_max_bytes == 12345678
    task.close()


def test_the_default_budget_is_64_mib_and_0_means_unbounded() -> None:
    assert StoreSettings.from_config({}).rocksdb_memory_max_bytes == 64 * 1024 * 1024
    assert StoreSettings.from_config({ROCKSDB_MEMORY_MAX_BYTES: "0"}).rocksdb_memory_max_bytes == 0


@pytest.mark.parametrize("value", [-1, "lots", True])
def test_a_bad_budget_is_a_config_error(value: object) -> None:
    with pytest.raises(ConfigError, match=ROCKSDB_MEMORY_MAX_BYTES):
        StreamsConfig({"application.id": "a", ROCKSDB_MEMORY_MAX_BYTES: value})
