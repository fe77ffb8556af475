"""``SessionWindowedKStream``: a grouped stream aggregated per session."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runtime import naming
from runtime.dsl.internals.graph import StatefulProcessorNode
from runtime.dsl.internals.materialize import resolve_materialized
from runtime.dsl.options import Materialized
from runtime.dsl.session_windows import SessionWindows
from runtime.dsl.table import KTable
from runtime.processors.aggregate import count_aggregator, count_initializer
from runtime.processors.session_aggregate import KStreamSessionWindowAggregate
from runtime.serdes import Serde, Serdes
from runtime.serdes.windowed import SessionWindowedSerde
from runtime.state.internals.session_builders import SessionStoreBuilder
from runtime.state.stores import Stores, dsl_session_store

if TYPE_CHECKING:
    from runtime.dsl.grouped import KGroupedStream

__all__ = ["SessionWindowedKStream"]


def _count_merger(key: Any, agg1: int, agg2: int) -> int:
    return agg1 + agg2


def _none() -> None:
    return None


class SessionWindowedKStream:
    """``count``, ``reduce`` and ``aggregate`` per (key, session), each giving a KTable
    keyed by ``Windowed(key, SessionWindow(start, end))``. Merging sessions sends a
    tombstone for each replaced session. The session store keeps sessions for gap +
    grace of stream time after they end."""

    def __init__(self, grouped: KGroupedStream, windows: SessionWindows) -> None:
        self._grouped = grouped
        self._builder = grouped._builder
        self.windows = windows

    def count(self, *, name: str | None = None, store: str | Materialized | None = None) -> KTable:
        """Number of records per key and session (None values count, as in Kafka)."""
        # Kafka burns one store index for count(Materialized) without a name.
        materialized, queryable = resolve_materialized(
            self._builder, store, naming.AGGREGATE, burn_unnamed=isinstance(store, Materialized))
        value_serde = materialized.value_serde or Serdes.long()
        return self._aggregate(naming.AGGREGATE, name, materialized, queryable, value_serde,
                               count_initializer, count_aggregator, _count_merger)

    def reduce(self, reducer: Callable[[Any, Any], Any], *, name: str | None = None,
               store: str | Materialized | None = None) -> KTable:
        """Combine values per key and session: ``reducer(aggregate, value)``; merging two
        sessions is ``reducer(earlier_aggregate, later_aggregate)``."""
        if not callable(reducer):
            raise TypeError("reducer must be callable")

        # Kafka's aggregatorForReducer / mergerForAggregator
        def aggregator(key: Any, value: Any, aggregate: Any) -> Any:
            return value if aggregate is None else reducer(aggregate, value)

        def merger(key: Any, agg1: Any, agg2: Any) -> Any:
            return aggregator(key, agg2, agg1)

        materialized, queryable = resolve_materialized(self._builder, store, naming.REDUCE)
        value_serde = materialized.value_serde or self._grouped.value_serde
        return self._aggregate(naming.REDUCE, name, materialized, queryable, value_serde,
                               _none, aggregator, merger)

    def aggregate(self, initializer: Callable[[], Any],
                  aggregator: Callable[[Any, Any, Any], Any],
                  merger: Callable[[Any, Any, Any], Any], *, name: str | None = None,
                  store: str | Materialized | None = None,
                  value_serde: Serde[Any] | None = None) -> KTable:
        """Fold values per key and session: ``aggregator(key, value, aggregate)`` from
        ``initializer()``; sessions that a record joins are combined with
        ``merger(key, agg1, agg2)``. ``value_serde`` is the serde of the aggregate."""
        if not callable(initializer) or not callable(aggregator) or not callable(merger):
            raise TypeError("initializer, aggregator and merger must be callable")
        materialized, queryable = resolve_materialized(self._builder, store, naming.AGGREGATE)
        agg_serde = value_serde if value_serde is not None else materialized.value_serde
        return self._aggregate(naming.AGGREGATE, name, materialized, queryable, agg_serde,
                               initializer, aggregator, merger)

    def _store_builder(self, materialized: Materialized, key_serde: Serde[Any] | None,
                       value_serde: Serde[Any] | None) -> SessionStoreBuilder:
        assert materialized.store_name is not None
        # Kafka's SessionStoreMaterializer: retention = gap + grace
        retention = self.windows.gap_ms + self.windows.grace_ms
        supplier = dsl_session_store(materialized.store_name, retention,
                                     materialized.store_type)
        builder = Stores.session_store_builder(supplier, key_serde, value_serde)
        if materialized.logging_enabled:
            builder.with_logging_enabled(materialized.log_config)
        else:
            builder.with_logging_disabled()
        if materialized.caching_enabled:
            builder.with_caching_enabled()
        return builder

    def _aggregate(self, prefix: str, name: str | None, materialized: Materialized,
                   queryable: bool, value_serde: Serde[Any] | None,
                   initializer: Callable[[], Any], aggregator: Callable[[Any, Any, Any], Any],
                   merger: Callable[[Any, Any, Any], Any]) -> KTable:
        assert materialized.store_name is not None
        node_name = self._builder.name_or_generate(name, prefix)
        key_serde = materialized.key_serde or self._grouped.key_serde
        store_builder = self._store_builder(materialized, key_serde, value_serde)
        supplier = KStreamSessionWindowAggregate(self.windows, materialized.store_name,
                                                 initializer, aggregator, merger)
        node = StatefulProcessorNode(node_name, supplier, store_builder=store_builder)
        source_nodes = self._grouped._attach(node, materialized.store_name)
        table_key_serde = SessionWindowedSerde(key_serde) if key_serde is not None else None
        return KTable(self._builder, node_name, table_key_serde, value_serde, source_nodes,
                      materialized.store_name if queryable else None, supplier, node)

    def __repr__(self) -> str:
        return f"SessionWindowedKStream({self._grouped.name!r}, {self.windows!r})"
