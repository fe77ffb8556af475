"""``TimeWindowedKStream``: a grouped stream aggregated per tumbling, hopping or sliding
window."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runtime import naming
from runtime.dsl.internals.graph import StatefulProcessorNode
from runtime.dsl.internals.materialize import resolve_materialized
from runtime.dsl.options import Materialized
from runtime.dsl.sliding_windows import SlidingWindows
from runtime.dsl.table import KTable
from runtime.dsl.windows import TimeWindows
from runtime.processors.aggregate import count_aggregator, count_initializer
from runtime.processors.sliding_aggregate import KStreamSlidingWindowAggregate
from runtime.processors.windowed_aggregate import KStreamWindowAggregate
from runtime.serdes import Serde, Serdes
from runtime.serdes.windowed import TimeWindowedSerde
from runtime.state.internals.window_builders import WindowStoreBuilder
from runtime.state.stores import Stores, dsl_window_store

if TYPE_CHECKING:
    from runtime.dsl.grouped import KGroupedStream

__all__ = ["TimeWindowedKStream"]


class TimeWindowedKStream:
    """``count``, ``reduce`` and ``aggregate`` per (key, window), each giving a KTable
    keyed by :class:`Windowed`. The window store keeps windows for size + grace of
    stream time (sliding windows: 2 * time difference + grace, so a new record still
    finds the windows it needs); its changelog is compacted and deleted by time."""

    def __init__(self, grouped: KGroupedStream, windows: TimeWindows | SlidingWindows) -> None:
        self._grouped = grouped
        self._builder = grouped._builder
        self.windows = windows

    def count(self, *, name: str | None = None, store: str | Materialized | None = None) -> KTable:
        """Number of records per key and window."""
        # Kafka burns one store index for count(Materialized) without a name (topology
        # compatibility) on time windows, not on sliding ones; resolve_materialized does it.
        burn = isinstance(store, Materialized) and isinstance(self.windows, TimeWindows)
        materialized, queryable = resolve_materialized(
            self._builder, store, naming.AGGREGATE, burn_unnamed=burn)
        value_serde = materialized.value_serde or Serdes.long()
        return self._aggregate(naming.AGGREGATE, name, materialized, queryable, value_serde,
                               count_initializer, count_aggregator)

    def reduce(self, reducer: Callable[[Any, Any], Any], *, name: str | None = None,
               store: str | Materialized | None = None) -> KTable:
        """Combine values per key and window: ``reducer(aggregate, value)``."""
        if not callable(reducer):
            raise TypeError("reducer must be callable")
        materialized, queryable = resolve_materialized(self._builder, store, naming.REDUCE)
        value_serde = materialized.value_serde or self._grouped.value_serde
        return self._aggregate(naming.REDUCE, name, materialized, queryable, value_serde,
                               None, reducer)

    def aggregate(self, initializer: Callable[[], Any],
                  aggregator: Callable[[Any, Any, Any], Any], *, name: str | None = None,
                  store: str | Materialized | None = None,
                  value_serde: Serde[Any] | None = None) -> KTable:
        """Fold values per key and window: ``aggregator(key, value, aggregate)`` starting
        from ``initializer()``. ``value_serde`` is the serde of the aggregate."""
        if not callable(initializer) or not callable(aggregator):
            raise TypeError("initializer and aggregator must be callable")
        materialized, queryable = resolve_materialized(self._builder, store, naming.AGGREGATE)
        agg_serde = value_serde if value_serde is not None else materialized.value_serde
        return self._aggregate(naming.AGGREGATE, name, materialized, queryable, agg_serde,
                               initializer, aggregator)

    def _store_builder(self, materialized: Materialized, key_serde: Serde[Any] | None,
                       value_serde: Serde[Any] | None) -> WindowStoreBuilder:
        assert materialized.store_name is not None
        windows = self.windows
        size = self._window_size()
        if isinstance(windows, SlidingWindows):
            # Kafka's SlidingWindowStoreMaterializer: a new record may need windows that
            # start up to 2 * time difference before it.
            retention = 2 * windows.time_difference_ms + windows.grace_ms
        else:
            retention = windows.size_ms + windows.grace_ms
        supplier = dsl_window_store(materialized.store_name, retention, size, False,
                                    materialized.store_type)
        builder = Stores.timestamped_window_store_builder(supplier, key_serde, value_serde)
        if materialized.logging_enabled:
            builder.with_logging_enabled(materialized.log_config)
        else:
            builder.with_logging_disabled()
        if materialized.caching_enabled:
            builder.with_caching_enabled()
        return builder

    def _aggregate(self, prefix: str, name: str | None, materialized: Materialized,
                   queryable: bool, value_serde: Serde[Any] | None,
                   initializer: Callable[[], Any] | None,
                   aggregator: Callable[..., Any]) -> KTable:
        assert materialized.store_name is not None
        node_name = self._builder.name_or_generate(name, prefix)
        key_serde = materialized.key_serde or self._grouped.key_serde
        store_builder = self._store_builder(materialized, key_serde, value_serde)
        supplier: Any
        if isinstance(self.windows, SlidingWindows):
            supplier = KStreamSlidingWindowAggregate(
                self.windows, materialized.store_name, *_sliding_functions(initializer,
                                                                           aggregator))
        else:
            supplier = KStreamWindowAggregate(self.windows, materialized.store_name,
                                              initializer, aggregator)
        node = StatefulProcessorNode(node_name, supplier, store_builder=store_builder)
        source_nodes = self._grouped._attach(node, materialized.store_name)
        # The table's keys are Windowed; with a known key serde they get Kafka's
        # time-windowed layout (FullTimeWindowedSerde in Kafka).
        table_key_serde = (TimeWindowedSerde(key_serde, self._window_size())
                           if key_serde is not None else None)
        return KTable(self._builder, node_name, table_key_serde, value_serde, source_nodes,
                      materialized.store_name if queryable else None, supplier, node)

    def _window_size(self) -> int:
        windows = self.windows
        return (windows.time_difference_ms if isinstance(windows, SlidingWindows)
                else windows.size_ms)

    def __repr__(self) -> str:
        return f"TimeWindowedKStream({self._grouped.name!r}, {self.windows!r})"


def _sliding_functions(initializer: Callable[[], Any] | None, aggregator: Callable[..., Any]
                       ) -> tuple[Callable[[], Any], Callable[[Any, Any, Any], Any]]:
    """The sliding aggregate's (initializer, aggregator); a reduce (no initializer)
    starts from None and takes the first value as is (Kafka's aggregatorForReducer)."""
    if initializer is not None:
        return initializer, aggregator

    def reduce_aggregator(key: Any, value: Any, aggregate: Any) -> Any:
        return value if aggregate is None else aggregator(aggregate, value)

    return _none, reduce_aggregator


def _none() -> None:
    return None
