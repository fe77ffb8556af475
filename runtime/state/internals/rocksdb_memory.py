"""One memory budget for all the RocksDB instances of a process, as Kafka Streams'
documented ``BoundedMemoryRocksDBConfig`` sets up with a RocksDBConfigSetter.

Left to its defaults, every RocksDB instance (each key-value store partition, each
segment of a window or session store) has its own block cache and memtables, and keeps
its index and filter blocks outside any cache, so memory grows with the number of stores
and with the data. Here all of them share one LRU block cache of
``riffle.rocksdb.memory.max.bytes``; their memtables are charged to that cache through
one WriteBufferManager (half of the budget), and index and filter blocks live in the
cache too, partitioned, with only their top level pinned. RocksDB then keeps the
total near the budget whatever the key space. 0 turns the bound off (RocksDB's defaults).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rocksdict import BlockBasedIndexType, BlockBasedOptions, Cache, Options, WriteBufferManager

__all__ = ["cache_usage", "rocksdb_options"]

# A memtable fills to this before it is flushed (Kafka Streams' default is 16 MiB); a
# small budget gets smaller memtables, so that several stores fit in it.
_WRITE_BUFFER_MAX = 16 * 1024 * 1024
_WRITE_BUFFERS = 3          # Kafka Streams' max write buffers per store
_MEMTABLE_SHARE = 0.5       # of the budget, charged to the shared cache


@dataclass(frozen=True)
class _Budget:
    cache: Cache
    write_buffers: WriteBufferManager
    write_buffer_size: int


_budgets: dict[int, _Budget] = {}
_lock = threading.Lock()


def _budget(max_bytes: int) -> _Budget:
    """The process's shared cache for ``max_bytes`` (stream threads build stores at once)."""
    with _lock:
        budget = _budgets.get(max_bytes)
        if budget is None:
            cache = Cache(max_bytes)
            memtables = int(max_bytes * _MEMTABLE_SHARE)
            budget = _budgets[max_bytes] = _Budget(
                cache=cache,
                write_buffers=WriteBufferManager.new_write_buffer_manager_with_cache(memtables, False, cache),
                write_buffer_size=max(1024 * 1024, min(_WRITE_BUFFER_MAX, memtables // _WRITE_BUFFERS)),
            )
        return budget


def rocksdb_options(max_bytes: int) -> Options:
    """Options of one RocksDB instance (raw bytes keys and values), within the process's
    shared budget of ``max_bytes`` (0: unbounded, RocksDB's defaults)."""
    options = Options(raw_mode=True)
    options.create_if_missing(True)
    if max_bytes <= 0:
        return options
    budget = _budget(max_bytes)
    table = BlockBasedOptions()
    table.set_block_cache(budget.cache)
    # Index and filter blocks in the cache, partitioned so that only their small top
    # level stays pinned and the rest is evicted like data (Kafka's recipe).
    table.set_cache_index_and_filter_blocks(True)
    table.set_index_type(BlockBasedIndexType.two_level_index_search())
    table.set_partition_filters(True)
    table.set_pin_top_level_index_and_filter(True)
    options.set_block_based_table_factory(table)
    options.set_write_buffer_manager(budget.write_buffers)
    options.set_write_buffer_size(budget.write_buffer_size)
    options.set_max_write_buffer_number(_WRITE_BUFFERS)
    return options


def cache_usage(max_bytes: int) -> int:
    """Bytes the shared cache of ``max_bytes`` holds now, memtable reservations included
    (0 when no store has used that budget)."""
    with _lock:
        budget = _budgets.get(max_bytes)
    return 0 if budget is None else int(budget.cache.get_usage())
