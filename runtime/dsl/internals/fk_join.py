"""The foreign-key table-table join (KIP-213), wired as Kafka's
``KTableImpl.doJoinOnForeignKey`` wires it, names and name order included.

Left table ──send──▶ subscription-registration topic (keyed by foreign key)
    ──▶ receive (subscription store) ──▶ subscription-join (looks up the right value)
Right table ──foreign-join (prefix scan of the subscription store)──┐
    subscription-join ──────────────────────────────────────────────┴▶
    subscription-response topic (keyed by primary key) ──▶ resolver (current left value,
    hash check, joiner) ──▶ result table (a KTable source, stored when asked).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime import naming
from runtime.dsl.internals.builder import InternalStreamsBuilder
from runtime.dsl.internals.graph import (
    ForeignKeyJoinTopicNode,
    ProcessorGraphNode,
    StatefulProcessorNode,
    StateStoreNode,
    StreamToTableNode,
)
from runtime.dsl.internals.materialize import resolve_materialized, timestamped_store_builder
from runtime.processors.fk_join import (
    ForeignKeyJoinSerdes,
    ForeignTableJoin,
    ResponseJoin,
    SubscriptionJoin,
    SubscriptionReceive,
    SubscriptionSend,
)
from runtime.processors.table import KTableSource
from runtime.serdes import Serdes
from runtime.state.internals.builders import StoreBuilder
from runtime.state.stores import Stores, dsl_key_value_store

__all__ = ["foreign_key_join"]


def _name(builder: InternalStreamsBuilder, name: str | None, suffix: str, prefix: str) -> str:
    """Kafka's NamedInternal.suffixWithOrElseGet: ``name + suffix`` or a generated name;
    an index is used up either way."""
    generated = builder.new_processor_name(prefix)
    return generated if name is None else naming.validate_name(name + suffix)


def _response_partition(topic: str, key: Any, value: Any, num_partitions: int) -> int | None:
    # back to the partition of the left record (None: by key, as before Kafka 3.6)
    return value.primary_partition if value is not None else None


def _subscription_store(store_name: str, serdes: ForeignKeyJoinSerdes) -> StoreBuilder:
    # Kafka's SubscriptionStoreFactory: of the default.dsl.store kind, timestamped,
    # logged, never cached
    builder = Stores.timestamped_key_value_store_builder(
        dsl_key_value_store(store_name, None), Serdes.bytes(), serdes.subscription)
    builder.with_logging_enabled({})
    return builder


def foreign_key_join(table: Any, other: Any, foreign_key_extractor: Callable[[Any], Any],
                     joiner: Callable[[Any, Any], Any], *, left: bool, name: str | None,
                     store: Any) -> Any:
    """``table`` joined with ``other`` where ``foreign_key_extractor(value)`` is the key
    of ``other``; ``joiner(value, other_value)`` per match (``other_value`` None for a
    left join without one). The result is keyed like ``table``."""
    from runtime.dsl.table import KTable

    if not isinstance(other, KTable) or other._builder is not table._builder:
        raise TypeError(f"a foreign-key join needs a KTable of the same StreamsBuilder, "
                        f"got {other!r}")
    if not callable(foreign_key_extractor) or not callable(joiner):
        raise TypeError("foreign_key_extractor and joiner must be callable")
    if name is not None:
        naming.validate_name(name)
    builder: InternalStreamsBuilder = table._builder

    # Old values: the left side unsubscribes the old foreign key; Kafka asks the right
    # side for them too (both tables end up stored).
    other._supplier.enable_send_old_values()
    table._supplier.enable_send_old_values()

    subscription_topic = _name(builder, name, "-subscription-registration",
                               naming.FK_JOIN_SUBSCRIPTION_REGISTRATION) + naming.TOPIC_SUFFIX
    serdes = ForeignKeyJoinSerdes(subscription_topic, table.key_serde, other.key_serde,
                                  table.value_serde, other.value_serde)

    send = ProcessorGraphNode(
        _name(builder, name, "-subscription-registration-processor",
              naming.FK_JOIN_SUBSCRIPTION_REGISTRATION),
        SubscriptionSend(foreign_key_extractor, serdes, left))
    builder.add_graph_node(table._node, send)

    subscription_sink = _name(builder, name, "-subscription-registration-sink",
                              naming.KTABLE_SINK)
    subscription_source = _name(builder, name, "-subscription-registration-source",
                                naming.KTABLE_SOURCE)
    subscription = ForeignKeyJoinTopicNode(subscription_source, subscription_sink,
                                           subscription_topic, other.key_serde,
                                           serdes.subscription)
    builder.add_graph_node(send, subscription)
    # the subscriptions are read where the right table is: same partitions
    builder.copartition(other.source_nodes | {subscription_source})

    store_name = _name(builder, name, "-subscription-store", naming.FK_JOIN_STATE_STORE)
    builder.add_graph_node(builder.root, StateStoreNode(_subscription_store(store_name, serdes)))

    receive = StatefulProcessorNode(
        _name(builder, name, "-subscription-receive", naming.FK_JOIN_SUBSCRIPTION_PROCESSOR),
        SubscriptionReceive(store_name, serdes), store_names=(store_name,))
    builder.add_graph_node(subscription, receive)

    right_getter = other.value_getter()
    subscription_join = StatefulProcessorNode(
        _name(builder, name, "-subscription-join-foreign", naming.FK_JOIN_SUBSCRIPTION_PROCESSOR),
        SubscriptionJoin(right_getter), store_names=tuple(right_getter.store_names))
    builder.add_graph_node(receive, subscription_join)

    foreign_join = StatefulProcessorNode(
        _name(builder, name, "-foreign-join-subscription", naming.FK_JOIN_SUBSCRIPTION_PROCESSOR),
        ForeignTableJoin(store_name, serdes), store_names=(store_name,))
    builder.add_graph_node(other._node, foreign_join)

    response_topic = _name(builder, name, "-subscription-response",
                           naming.FK_JOIN_SUBSCRIPTION_RESPONSE) + naming.TOPIC_SUFFIX
    response_sink = _name(builder, name, "-subscription-response-sink", naming.KTABLE_SINK)
    response_source = _name(builder, name, "-subscription-response-source",
                            naming.KTABLE_SOURCE)
    response = ForeignKeyJoinTopicNode(response_source, response_sink, response_topic,
                                       table.key_serde, serdes.response, _response_partition)
    builder.add_graph_node([subscription_join, foreign_join], response)
    # the responses are read where the left table is: same partitions
    result_sources = table.source_nodes | {response_source}
    builder.copartition(result_sources)

    left_getter = table.value_getter()
    resolver = StatefulProcessorNode(
        _name(builder, name, "-subscription-response-resolver",
              naming.FK_JOIN_RESPONSE_RESOLVER),
        ResponseJoin(left_getter, serdes, joiner, left),
        store_names=tuple(left_getter.store_names))
    builder.add_graph_node(response, resolver)

    result_name = _name(builder, name, "-result", naming.FK_JOIN_OUTPUT)
    materialized, queryable = resolve_materialized(builder, store, naming.FK_JOIN_OUTPUT)
    assert materialized.store_name is not None
    # the store may override the key serde; the result table keeps the left one (as Kafka)
    store_key_serde = materialized.key_serde or table.key_serde
    value_serde = materialized.value_serde
    supplier = KTableSource(materialized.store_name,
                            materialized.store_name if queryable else None)
    result = StreamToTableNode(
        result_name, supplier,
        lambda: timestamped_store_builder(materialized, store_key_serde, value_serde))
    builder.add_graph_node(resolver, result)
    return KTable(builder, result_name, table.key_serde, value_serde, result_sources,
                  supplier.queryable_name, supplier, result)
