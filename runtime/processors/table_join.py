"""KTable-KTable joins: each side's updates look up the other side's current value.

A join is two processors, one per side (KTABLE-JOINTHIS / KTABLE-JOINOTHER), whose
outputs meet in a merger (KTABLE-MERGE) that may keep the result in a store. The other
side's processor holds the reversed joiner, so results are always
``joiner(this_value, other_value)``. ``kind`` is the join from the point of view of the
side the processor serves: "inner", "left" (this side's rows always count), "right"
(the other side's rows always count) or "outer". A result that disappears is forwarded
as a tombstone; the output timestamp is the larger of both sides' timestamps (Kafka's
KTableKTableInnerJoin / LeftJoin / RightJoin / OuterJoin and KTableKTableJoinMerger).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from runtime.processor.api import ProcessorContext
from runtime.processor.record import Record
from runtime.processors.aggregate import forward_via_cache
from runtime.processors.base import DslProcessor, record_dropped
from runtime.processors.change import Change
from runtime.processors.value_getters import StoreValueGetterSupplier, ValueGetter
from runtime.state.api import ValueAndTimestamp

__all__ = ["JoinKind", "KTableKTableJoin", "KTableKTableJoinMerger", "reverse_joiner"]

JoinKind = Literal["inner", "left", "right", "outer"]

Joiner = Callable[[Any, Any], Any]


def reverse_joiner(joiner: Joiner) -> Joiner:
    return lambda other_value, this_value: joiner(this_value, other_value)


def _merged_store_names(*suppliers: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for s in suppliers for name in s.store_names))


class KTableKTableJoin:
    """One side of a table-table join; ``this`` and ``other`` are the suppliers of the
    two tables (asking for their views materializes source tables, as in Kafka)."""

    def __init__(self, this: Any, other: Any, joiner: Joiner, kind: JoinKind) -> None:
        self.this = this
        self.other = other
        self.this_getter = this.view()
        self.other_getter = other.view()
        self.joiner = joiner
        self.kind = kind
        self.send_old_values = False

    def enable_send_old_values(self) -> None:
        self.this.enable_send_old_values()
        self.other.enable_send_old_values()
        self.send_old_values = True

    def view(self) -> _JoinValueGetterSupplier:
        return _JoinValueGetterSupplier(self.this_getter, self.other_getter, self.joiner,
                                        self.kind)

    def __call__(self) -> DslProcessor:
        return _TableTableJoinProcessor(self, self.other_getter.get())


class _TableTableJoinProcessor(DslProcessor):
    def __init__(self, supplier: KTableKTableJoin, getter: ValueGetter) -> None:
        self.supplier = supplier
        self.getter = getter

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.getter.init(context)

    def process(self, record: Record) -> None:
        key, change, ts = record[0], record[1], record[2]
        if key is None:
            record_dropped(self.context, "null key")
            return
        supplier = self.supplier
        kind, joiner, send_old = supplier.kind, supplier.joiner, supplier.send_old_values
        found = self.getter.get(key)
        other = None if found is None else found[0]
        new_value, old_value = change[0], change[1]
        if other is None:
            if kind in ("inner", "right"):
                return
            if new_value is None and old_value is None:
                return
            out_ts = ts
        else:
            out_ts = max(ts, found[1])  # type: ignore[index]
        new = old = None
        if kind == "right":
            # the other side's row counts even without a row here: joiner(None, other)
            new = joiner(new_value, other)
            if send_old:
                old = joiner(old_value, other)
        else:
            if new_value is not None or (kind == "outer" and other is not None):
                new = joiner(new_value, other)
            if send_old and (old_value is not None or (kind == "outer" and other is not None)):
                old = joiner(old_value, other)
        self.forward(Record(key, Change(new, old), out_ts, record[3]))


class _JoinValueGetterSupplier:
    """The join result for a key, computed from both sides' current values."""

    def __init__(self, this: Any, other: Any, joiner: Joiner, kind: JoinKind) -> None:
        self.this = this
        self.other = other
        self.joiner = joiner
        self.kind = kind
        self.store_names = _merged_store_names(this, other)

    def get(self) -> ValueGetter:
        return _JoinValueGetter(self.this.get(), self.other.get(), self.joiner, self.kind)


class _JoinValueGetter(ValueGetter):
    def __init__(self, this: ValueGetter, other: ValueGetter, joiner: Joiner,
                 kind: JoinKind) -> None:
        self.this = this
        self.other = other
        self.joiner = joiner
        self.this_required = kind in ("inner", "left")
        self.other_required = kind in ("inner", "right")

    def init(self, context: ProcessorContext) -> None:
        self.this.init(context)
        self.other.init(context)

    def get(self, key: Any) -> ValueAndTimestamp | None:
        this, other = self.this.get(key), self.other.get(key)
        if this is None and (self.this_required or other is None):
            return None
        if other is None and self.other_required:
            return None
        ts = max(-1 if this is None else this[1], -1 if other is None else other[1])
        return ValueAndTimestamp.make(
            self.joiner(None if this is None else this[0], None if other is None else other[0]),
            ts)


class KTableKTableJoinMerger:
    """Where both sides' results meet; keeps them in ``store_name`` when materialized."""

    def __init__(self, this_side: KTableKTableJoin, other_side: KTableKTableJoin,
                 store_name: str | None) -> None:
        self.this_side = this_side
        self.other_side = other_side
        self.store_name = store_name
        self.send_old_values = False

    @property
    def materialized(self) -> bool:
        return self.store_name is not None

    def enable_send_old_values(self) -> None:
        self.this_side.enable_send_old_values()
        self.other_side.enable_send_old_values()
        self.send_old_values = True

    def view(self) -> Any:
        if self.store_name is not None:
            return StoreValueGetterSupplier(self.store_name)
        return self.this_side.view()

    def __call__(self) -> DslProcessor:
        return _JoinMergeProcessor(self)


class _JoinMergeProcessor(DslProcessor):
    def __init__(self, supplier: KTableKTableJoinMerger) -> None:
        self.supplier = supplier
        self.store: Any = None

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.cached = False
        if self.supplier.store_name is not None:
            self.store = context.get_state_store(self.supplier.store_name)
            self.cached = forward_via_cache(self.store, context, self.supplier.send_old_values)

    def process(self, record: Record) -> None:
        change = record[1]
        if self.store is not None:
            self.store.put(record[0], ValueAndTimestamp.make(change[0], record[2]))
            if self.cached:
                return
        if self.supplier.send_old_values or change[1] is None:
            self.forward(record)
        else:
            self.forward(Record(record[0], Change(change[0], None), record[2], record[3]))
