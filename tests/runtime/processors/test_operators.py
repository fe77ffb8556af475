"""Each DSL operator through the driver: results, and timestamps/headers kept as Kafka
Streams keeps them (one-to-one operators keep the input timestamp; aggregations emit
the largest timestamp seen for the key)."""

from __future__ import annotations

from typing import Any

import pytest

from runtime import ProcessingError, Serdes, StreamsBuilder
from runtime.dsl import KStream
from runtime.testing import TestRecord, TopologyTestDriver

S, L, J = Serdes.string(), Serdes.long(), Serdes.json()
H = (("trace", b"t-1"),)


def run(build: Any, records: list[TestRecord], value_serde: Any = J) -> list[TestRecord]:
    b = StreamsBuilder()
    build(b.stream("in", key_serde=S, value_serde=J)).to("out", key_serde=S,
                                                         value_serde=value_serde)
    with TopologyTestDriver(b.build()) as driver:
        topic = driver.create_input_topic("in", S, J)
        for record in records:
            topic.pipe_input(record)
        return driver.create_output_topic("out", S, value_serde).read_records_to_list()


INPUT = [TestRecord("a", 1, 10, H), TestRecord("b", 2, 20), TestRecord("a", 3, 5)]


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (lambda s: s.filter(lambda k, v: v % 2 == 1),
         [TestRecord("a", 1, 10, H), TestRecord("a", 3, 5)]),
        (lambda s: s.filter_not(lambda k, v: v % 2 == 1), [TestRecord("b", 2, 20)]),
        (lambda s: s.map_values(lambda v: v * 10),
         [TestRecord("a", 10, 10, H), TestRecord("b", 20, 20), TestRecord("a", 30, 5)]),
        (lambda s: s.map_values(lambda k, v: f"{k}{v}", with_key=True),
         [TestRecord("a", "a1", 10, H), TestRecord("b", "b2", 20), TestRecord("a", "a3", 5)]),
        (lambda s: s.map(lambda k, v: (k.upper(), [k, v])),
         [TestRecord("A", ["a", 1], 10, H), TestRecord("B", ["b", 2], 20),
          TestRecord("A", ["a", 3], 5)]),
        (lambda s: s.select_key(lambda k, v: str(v)),
         [TestRecord("1", 1, 10, H), TestRecord("2", 2, 20), TestRecord("3", 3, 5)]),
        (lambda s: s.flat_map(lambda k, v: [(k, v)] * v if v < 3 else []),
         [TestRecord("a", 1, 10, H), TestRecord("b", 2, 20), TestRecord("b", 2, 20)]),
        (lambda s: s.flat_map_values(lambda v: range(v) if v < 3 else ()),
         [TestRecord("a", 0, 10, H), TestRecord("b", 0, 20), TestRecord("b", 1, 20)]),
    ],
)
def test_stateless_operators(op: Any, expected: list[TestRecord]) -> None:
    assert run(op, INPUT) == expected


def test_peek_and_foreach_see_every_record() -> None:
    peeked: list[Any] = []
    each: list[Any] = []

    def build(s: KStream) -> KStream:
        s.foreach(lambda k, v: each.append((k, v)))
        return s.peek(lambda k, v: peeked.append((k, v)))

    assert [r.value for r in run(build, INPUT)] == [1, 2, 3]
    assert peeked == each == [("a", 1), ("b", 2), ("a", 3)]


def test_merge_interleaves_in_processing_order() -> None:
    b = StreamsBuilder()
    left = b.stream("left", key_serde=S, value_serde=S)
    right = b.stream("right", key_serde=S, value_serde=S)
    left.merge(right).to("out", key_serde=S, value_serde=S)
    with TopologyTestDriver(b.build()) as driver:
        driver.create_input_topic("left", S, S).pipe_input("k", "l1", 1)
        driver.create_input_topic("right", S, S).pipe_input("k", "r1", 2)
        driver.create_input_topic("left", S, S).pipe_input("k", "l2", 3)
        assert driver.create_output_topic("out", S, S).read_values_to_list() == ["l1", "r1", "l2"]


def test_flat_map_values_refuses_a_string_result() -> None:
    # A Python str is iterable, but a mapper returning one is a bug, not many values.
    with pytest.raises(ProcessingError, match="must return an iterable"):
        run(lambda s: s.flat_map_values(lambda v: "abc"), INPUT[:1])


def test_map_must_return_a_pair() -> None:
    with pytest.raises(ProcessingError, match=r"\(key, value\) tuple"):
        run(lambda s: s.map(lambda k, v: v), INPUT[:1])


def grouped(build_agg: Any, records: list[TestRecord], value_serde: Any) -> list[TestRecord]:
    b = StreamsBuilder()
    build_agg(b.stream("in", key_serde=S, value_serde=J).group_by_key()) \
        .to_stream().to("out", key_serde=S, value_serde=value_serde)
    with TopologyTestDriver(b.build()) as driver:
        topic = driver.create_input_topic("in", S, J)
        for record in records:
            topic.pipe_input(record)
        return driver.create_output_topic("out", S, value_serde).read_records_to_list()


def test_reduce_starts_with_the_first_value_and_keeps_the_max_timestamp() -> None:
    out = grouped(lambda g: g.reduce(lambda agg, v: agg + v), INPUT, J)
    assert out == [TestRecord("a", 1, 10, H), TestRecord("b", 2, 20), TestRecord("a", 4, 10)]


def test_aggregate_folds_from_the_initializer() -> None:
    out = grouped(lambda g: g.aggregate(lambda: [], lambda k, v, agg: agg + [v],
                                        value_serde=J), INPUT, J)
    assert [(r.key, r.value, r.timestamp) for r in out] == [
        ("a", [1], 10), ("b", [2], 20), ("a", [1, 3], 10)]


def test_aggregations_skip_null_keys_and_values() -> None:
    records = [TestRecord(None, 1, 1), TestRecord("a", None, 2), TestRecord("a", 5, 3)]
    assert grouped(lambda g: g.count(), records, L) == [TestRecord("a", 1, 3)]


def test_table_map_values_and_filter_on_an_aggregate() -> None:
    out = grouped(lambda g: g.count().filter(lambda k, c: c > 1).map_values(lambda c: c * 100),
                  INPUT, L)
    # filtered-out updates arrive as tombstones (KTableFilter, sendOldValues off)
    assert [(r.key, r.value) for r in out] == [("a", None), ("b", None), ("a", 200)]
