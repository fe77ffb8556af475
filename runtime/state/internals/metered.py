"""The outer layer: the only one that knows serdes; counts operations for metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from sys import getrefcount
from time import perf_counter_ns
from typing import Any

from runtime.errors import SerializationError, StreamsError
from runtime.serdes import Serde
from runtime.serdes.internals.value_copy import copier_for
from runtime.state.api import KeyValueStore, StoreContext, ValueAndTimestamp
from runtime.state.internals.caching_store import CachingLayer, TypedCodec
from runtime.state.internals.ownership import LOCAL_REFS, PARAM_REFS, PROVABLE
from runtime.state.internals.timestamped_bytes import timestamp_of, with_timestamp
from runtime.state.internals.wrapped import WrappedKeyValueStore

__all__ = [
    "MeteredKeyValueStore", "MeteredTimestampedKeyValueStore", "StoreSerdes", "TimestampedValues",
    "latency_metrics", "time_operations"]


_IMMUTABLE_KEYS = frozenset({str, int, bytes})
only_scalars = frozenset({str, int, float, bool, type(None)}).issuperset


class StoreSerdes:
    """The serde half of a metered layer (key-value or window): typed keys and values
    above, bytes below."""

    name: str
    key_serde: Serde[Any] | None
    value_serde: Serde[Any] | None
    _topic: str | None
    wrapped: Any
    # the caching layer right below, when it holds this store's values typed
    _typed: Any = None
    _memo_key: Any = object()
    _memo_raw: bytes = b""

    def init(self, context: StoreContext) -> None:
        # Serdes left open in the topology fall back to the application's defaults, and
        # serialize with the changelog topic name, as Kafka's metered stores do.
        if self.key_serde is None:
            self.key_serde = context.default_key_serde()
        if self.value_serde is None:
            self.value_serde = context.default_value_serde()
        self._topic = context.changelog_topic(self.name)
        super().init(context)  # type: ignore[misc]
        layer = self.wrapped
        if isinstance(layer, CachingLayer) and hasattr(layer, "put_typed"):
            codec = self._typed_codec()
            if codec is not None:
                layer.use_typed(codec)
                self._typed = layer

    def _typed_codec(self) -> TypedCodec | None:
        copier = copier_for(self.value_serde)
        if copier is None:
            return None
        normalize, copy = copier.normalize, copier.copy

        def modify(update: Callable[[int, Any], Any], start: int, value: Any) -> Any:
            return normalize(update(start, copy(value)))

        # no caller proves ownership of plain values yet: adopting is normalizing
        return TypedCodec(normalize, copy, self._value, self._from_value, normalize, modify)

    # -- serde helpers -------------------------------------------------------------
    def _key(self, key: Any) -> bytes:
        # a processor reads and writes the same key several times in a row (a windowed
        # aggregation: every window of the record); immutable keys are serialized once
        if key is self._memo_key:
            return self._memo_raw
        if key is None:
            raise StreamsError(f"store {self.name}: keys must not be None")
        assert self.key_serde is not None
        raw = self.key_serde.serialize(key, self._topic)
        if raw is None:
            raise SerializationError(f"store {self.name}: key {key!r} serialized to None")
        if type(key) in _IMMUTABLE_KEYS:
            self._memo_key, self._memo_raw = key, raw
        return raw

    def _value(self, value: Any) -> bytes | None:
        assert self.value_serde is not None
        return self.value_serde.serialize(value, self._topic)

    def _from_value(self, raw: bytes | None) -> Any:
        assert self.value_serde is not None
        return self.value_serde.deserialize(raw, self._topic)

    def _from_key(self, raw: bytes) -> Any:
        assert self.key_serde is not None
        return self.key_serde.deserialize(raw, self._topic)


class MeteredKeyValueStore(StoreSerdes, WrappedKeyValueStore):
    """Typed keys and values on top of a bytes store."""

    def __init__(self, wrapped: KeyValueStore[Any, Any], key_serde: Serde[Any] | None,
                 value_serde: Serde[Any] | None) -> None:
        super().__init__(wrapped)
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._topic: str | None = None
        self.metrics: dict[str, int] = {"put-total": 0, "get-total": 0, "delete-total": 0,
                                        "range-total": 0}


    def _pairs(self, it: Iterator[tuple[bytes, bytes]]) -> Iterator[tuple[Any, Any]]:
        self.metrics["range-total"] += 1
        return iter([(self._from_key(k), self._from_value(v)) for k, v in it])

    def _bound(self, key: Any) -> bytes | None:
        return None if key is None else self._key(key)

    # -- KeyValueStore ---------------------------------------------------------------
    def get(self, key: Any) -> Any:
        self.metrics["get-total"] += 1
        typed = self._typed
        if typed is not None:
            return typed.get_typed(self._key(key))
        return self._from_value(self.wrapped.get(self._key(key)))

    def put(self, key: Any, value: Any) -> None:
        self.metrics["put-total"] += 1
        typed = self._typed
        if typed is not None:
            typed.put_typed(self._key(key), value)
            return
        self.wrapped.put(self._key(key), self._value(value))

    def put_if_absent(self, key: Any, value: Any) -> Any:
        self.metrics["put-total"] += 1
        typed = self._typed
        if typed is not None:
            raw = self._key(key)
            old = typed.get_typed(raw)
            if old is None:
                typed.put_typed(raw, value)
            return old
        return self._from_value(self.wrapped.put_if_absent(self._key(key), self._value(value)))

    def delete(self, key: Any) -> Any:
        self.metrics["delete-total"] += 1
        typed = self._typed
        if typed is not None:
            raw = self._key(key)
            old = typed.get_typed(raw)
            typed.put_typed(raw, None)
            return old
        return self._from_value(self.wrapped.delete(self._key(key)))

    def range(self, from_key: Any, to_key: Any) -> Iterator[tuple[Any, Any]]:
        return self._pairs(self.wrapped.range(self._bound(from_key), self._bound(to_key)))

    def reverse_range(self, from_key: Any, to_key: Any) -> Iterator[tuple[Any, Any]]:
        return self._pairs(self.wrapped.reverse_range(self._bound(from_key),
                                                      self._bound(to_key)))

    def all(self) -> Iterator[tuple[Any, Any]]:
        return self._pairs(self.wrapped.all())

    def reverse_all(self) -> Iterator[tuple[Any, Any]]:
        return self._pairs(self.wrapped.reverse_all())


class TimestampedValues:
    """Serdes of a timestamped store's layer: values are :class:`ValueAndTimestamp`, the
    bytes below are the serialized value behind an 8-byte timestamp (Kafka's layout)."""

    name: str
    value_serde: Any
    _topic: str | None

    def _value(self, value: Any) -> bytes | None:
        if value is None:
            return None
        self._check_timestamped(value)
        assert self.value_serde is not None
        return with_timestamp(self.value_serde.serialize(value.value, self._topic),
                              value.timestamp)

    def _check_timestamped(self, value: Any) -> None:
        if not isinstance(value, ValueAndTimestamp):
            raise StreamsError(
                f"store {self.name} is timestamped: put ValueAndTimestamp(value, timestamp), "
                f"got {value!r}")

    def _typed_codec(self) -> TypedCodec | None:
        copier = copier_for(self.value_serde)
        if copier is None:
            return None
        normalize_value, copy_value = copier.normalize, copier.copy
        check = self._check_timestamped
        new = tuple.__new__  # half the cost of ValueAndTimestamp(...) on this hot path

        def normalize(value: Any) -> Any:
            if value is None:
                return None
            if type(value) is not ValueAndTimestamp:
                check(value)
            inner = value[0]
            # a None value is written as a delete, as with_timestamp(None) is
            return None if inner is None else new(ValueAndTimestamp,
                                                  (normalize_value(inner), value[1]))

        def copy(value: Any) -> Any:
            inner = value[0]
            # most aggregates are flat dicts: checked and copied in C (copy_value's own
            # first case, without the call)
            if type(inner) is dict and only_scalars(map(type, inner.values())):
                return new(ValueAndTimestamp, (inner.copy(), value[1]))
            return new(ValueAndTimestamp, (copy_value(inner), value[1]))

        plain_flat = copier.plain_flat
        if not PROVABLE or plain_flat is None:
            # values of the other serdes are immutable: nothing to copy, adopting is
            # normalizing
            def modify_copied(update: Callable[[int, Any], Any], start: int, value: Any) -> Any:
                return normalize(update(start, copy(value)))

            return TypedCodec(normalize, copy, self._value, self._from_value, normalize,
                              modify_copied)
        param_outer, param_inner = PARAM_REFS
        local_outer, local_inner = LOCAL_REFS

        # adopt and modify keep the pair they are handed when ownership.py's counts
        # prove nothing else refers to it or to the dict inside, and that dict is flat
        # and plain: nobody can then mutate it or see it mutated, so the cache keeps it
        # without a copy. Anything else is normalized (copied).
        def adopt(value: Any) -> Any:
            """``normalize(value)``, for a caller that holds ``value`` in one local
            variable and passes it nowhere else."""
            if type(value) is ValueAndTimestamp and getrefcount(value) == param_outer:
                inner = value[0]
                if getrefcount(inner) == param_inner and plain_flat(inner):
                    return value
            return normalize(value)

        def modify(update: Callable[[int, Any], Any], start: int, value: Any) -> Any:
            """``normalize(update(start, copy(value)))``, a read-modify-write."""
            new_value = update(start, copy(value))
            # The copy ``update`` got is referenced from nowhere here any more: an
            # aggregator that changed it in place and returned it hands over the only
            # reference left.
            if type(new_value) is ValueAndTimestamp and getrefcount(new_value) == local_outer:
                inner = new_value[0]
                if getrefcount(inner) == local_inner and plain_flat(inner):
                    return new_value
            return normalize(new_value)

        return TypedCodec(normalize, copy, self._value, self._from_value, adopt, modify,
                          plain_flat)

    def _from_value(self, raw: bytes | None) -> Any:
        if raw is None:
            return None
        assert self.value_serde is not None
        return ValueAndTimestamp(self.value_serde.deserialize(raw[8:], self._topic),
                                 timestamp_of(raw))


class MeteredTimestampedKeyValueStore(TimestampedValues, MeteredKeyValueStore):
    """Values are :class:`ValueAndTimestamp`; bytes below are timestamp-prefixed."""



# Kafka Streams' store-level operation latencies (``put-latency-avg``, in ns). They are
# DEBUG-level metrics there, so the task times a store only at metrics.recording.level
# DEBUG: the wrappers shadow the methods on the instance, the untimed path is untouched.
_TIMED_OPERATIONS = ("put", "put_if_absent", "put_all", "get", "delete", "fetch", "remove")


def time_operations(store: Any) -> None:
    """Time the outer layer's operations into ``store.latencies`` (op -> [count, sum ns,
    max ns])."""
    latencies: dict[str, list[int]] = {}
    for op in _TIMED_OPERATIONS:
        method = getattr(store, op, None)
        if callable(method):
            slot = latencies[op.replace("_", "-")] = [0, 0, 0]
            setattr(store, op, _timed(method, slot))
    store.latencies = latencies


def _timed(method: Any, slot: list[int]) -> Any:
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = perf_counter_ns()
        try:
            return method(*args, **kwargs)
        finally:
            took = perf_counter_ns() - start
            slot[0] += 1
            slot[1] += took
            if took > slot[2]:
                slot[2] = took
    return timed


def latency_metrics(store: Any) -> dict[str, float | None]:
    """``<op>-latency-avg/max`` (ns, since the task started) of a timed store; {} when
    the store is not timed."""
    out: dict[str, float | None] = {}
    for op, (count, total, most) in getattr(store, "latencies", {}).items():
        out[f"{op}-latency-avg"] = total / count if count else None
        out[f"{op}-latency-max"] = float(most) if count else None
    return out
