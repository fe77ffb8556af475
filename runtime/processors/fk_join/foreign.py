"""Right side of the foreign-key join.

- :class:`SubscriptionReceive` keeps each subscription in the subscription store under
  foreign key + primary key (deletes remove it) (Kafka's
  ``SubscriptionReceiveProcessorSupplier``);
- :class:`SubscriptionJoin` answers it with the right value of its foreign key, as the
  subscription's instruction says (``SubscriptionJoinProcessorSupplier``);
- :class:`ForeignTableJoin` answers every subscriber of a right key when its value
  changes, found by a prefix scan of the store (``ForeignTableJoinProcessorSupplier``).
"""

from __future__ import annotations

from typing import Any

from runtime.errors import StreamsError
from runtime.processor.api import ProcessorContext
from runtime.processor.record import Record
from runtime.processors.base import DslProcessor, record_dropped
from runtime.processors.change import Change
from runtime.processors.fk_join.join_serdes import ForeignKeyJoinSerdes
from runtime.serdes.internals.fk_serdes import (
    SUBSCRIPTION_VERSION,
    Instruction,
    ResponseWrapper,
)
from runtime.state.api import ValueAndTimestamp

__all__ = ["ForeignTableJoin", "SubscriptionJoin", "SubscriptionReceive"]

_DELETES = (Instruction.DELETE_KEY_AND_PROPAGATE, Instruction.DELETE_KEY_NO_PROPAGATE)


def _check_version(version: int) -> None:
    if version > SUBSCRIPTION_VERSION:
        raise StreamsError(f"subscription wrapper version {version} is not supported")


def _increment(prefix: bytes) -> bytes | None:
    """The smallest key above every key starting with ``prefix`` (None: no bound)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


class _SubscriptionStoreUser:
    """A supplier of processors that use the subscription store."""

    def __init__(self, store_name: str, serdes: ForeignKeyJoinSerdes) -> None:
        self.store_name = store_name
        self.serdes = serdes


class _SubscriptionStoreProcessor(DslProcessor):
    def __init__(self, supplier: _SubscriptionStoreUser) -> None:
        self.store_name = supplier.store_name
        self.serdes = supplier.serdes
        self.store: Any = None

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.serdes.configure(context)
        self.store = context.get_state_store(self.store_name)


class SubscriptionReceive(_SubscriptionStoreUser):
    def __call__(self) -> DslProcessor:
        return _ReceiveProcessor(self)


class _ReceiveProcessor(_SubscriptionStoreProcessor):
    def process(self, record: Record) -> None:
        foreign_key, subscription, timestamp = record[0], record[1], record[2]
        if foreign_key is None and \
                subscription.instruction != Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE:
            record_dropped(self.context, "null foreign key")
            return
        _check_version(subscription.version)
        new = ValueAndTimestamp(subscription, timestamp)
        old = None
        if foreign_key is not None:
            # a left join's null foreign key is answered (with null) but never stored
            store_key = self.serdes.combined_key.to_bytes(foreign_key, subscription.primary_key)
            old = self.store.get(store_key)
            if subscription.instruction in _DELETES:
                self.store.delete(store_key)
            else:
                self.store.put(store_key, new)
        self.forward(Record((foreign_key, subscription.primary_key), Change(new, old),
                            timestamp, record[3]))


class SubscriptionJoin:
    def __init__(self, foreign_value_getter: Any) -> None:
        self.foreign_value_getter = foreign_value_getter

    def __call__(self) -> DslProcessor:
        return _SubscriptionJoinProcessor(self.foreign_value_getter.get())


class _SubscriptionJoinProcessor(DslProcessor):
    def __init__(self, getter: Any) -> None:
        self.getter = getter

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.getter.init(context)

    def process(self, record: Record) -> None:
        (foreign_key, primary_key), change = record[0], record[1]
        subscription, sub_timestamp = change[0]
        _check_version(subscription.version)
        found = None if foreign_key is None else self.getter.get(foreign_key)
        # the result is as recent as the later of the two sides
        timestamp = sub_timestamp if found is None else max(sub_timestamp, found[1])
        instruction = subscription.instruction
        if instruction == Instruction.DELETE_KEY_NO_PROPAGATE:
            return
        if instruction == Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE and found is None:
            return
        value = None if found is None or instruction == Instruction.DELETE_KEY_AND_PROPAGATE \
            else found[0]
        response = ResponseWrapper(subscription.hash, value, subscription.primary_partition)
        self.forward(Record(primary_key, response, timestamp, record[3]))


class ForeignTableJoin(_SubscriptionStoreUser):
    def __call__(self) -> DslProcessor:
        return _ForeignTableJoinProcessor(self)


class _ForeignTableJoinProcessor(_SubscriptionStoreProcessor):
    def process(self, record: Record) -> None:
        foreign_key = record[0]
        if foreign_key is None:
            record_dropped(self.context, "null key")
            return
        schema = self.serdes.combined_key
        prefix = schema.prefix_bytes(foreign_key)
        new_value = record[1][0]
        # the store's range end is inclusive: keep only keys that really share the prefix
        for store_key, stored in list(self.store.range(prefix, _increment(prefix))):
            if not store_key.startswith(prefix):
                continue
            subscription = stored[0]
            primary_key = schema.from_bytes(store_key)[1]
            response = ResponseWrapper(subscription.hash, new_value, subscription.primary_partition)
            self.forward(Record(primary_key, response, record[2], record[3]))
