"""Session windows: ``SessionWindows`` and windowed_by(SessionWindows) aggregations.

Expected outputs come from Kafka Streams' SessionWindowedKStreamImplTest and
KStreamSessionWindowAggregateProcessorTest (emit on update, no cache), TopologyTest for
the descriptions, and a brute-force sessionization in the property test. In Kafka:
- merged sessions are removed and a tombstone is forwarded for each, timestamped with
  that session's end; the new session is forwarded with its end (the largest record
  timestamp in it) as timestamp;
- a session closes when stream time passes end + gap + grace (KAFKA-12718); a record
  that would only land in a closed session is dropped and counted.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import (
    Materialized,
    Serdes,
    SessionWindow,
    SessionWindowedKStream,
    SessionWindows,
    StreamsBuilder,
    Windowed,
    WindowedSerdes,
)
from runtime.processors.session_aggregate import KStreamSessionWindowAggregate
from runtime.state import Stores, ValueAndTimestamp
from runtime.testing import TopologyTestDriver

STRING = Serdes.string()
SESSION_KEYS = WindowedSerdes.session_windowed_serde_from(STRING)
GAP_MS = 5 * 60 * 1000  # KStreamSessionWindowAggregateProcessorTest.GAP_MS


def session_topology(windows: SessionWindows, op: str = "count",
                     store: str | Materialized | None = None) -> Any:
    b = StreamsBuilder()
    windowed = (b.stream("input", key_serde=STRING, value_serde=STRING)
                .group_by_key().windowed_by(windows))
    assert isinstance(windowed, SessionWindowedKStream)
    value_serde: Any = STRING
    if op == "count":
        table = windowed.count(store=store)
        value_serde = Serdes.long()
    elif op == "reduce":  # MockReducer.STRING_ADDER
        table = windowed.reduce(lambda agg, v: f"{agg}+{v}", store=store)
    else:  # MockInitializer.STRING_INIT, MockAggregator.TOSTRING_ADDER, "+" merger
        table = windowed.aggregate(lambda: "0", lambda k, v, agg: f"{agg}+{v}",
                                   lambda k, a1, a2: f"{a1}+{a2}", store=store,
                                   value_serde=STRING)
    table.to_stream().to("out", key_serde=SESSION_KEYS, value_serde=value_serde)
    return b.build()


def run(topology: Any, records: list[tuple[Any, Any, int]], value_serde: Any = STRING
        ) -> tuple[list[tuple[Any, int, int, Any, int]], TopologyTestDriver]:
    driver = TopologyTestDriver(topology)
    source = driver.create_input_topic("input", STRING, STRING)
    for key, value, ts in records:
        source.pipe_input(key, value, timestamp=ts)
    out = driver.create_output_topic("out", SESSION_KEYS, value_serde)
    return [(r.key.key, r.key.window.start, r.key.window.end, r.value, r.timestamp)
            for r in out.read_records_to_list()], driver


def dropped(driver: TopologyTestDriver) -> float:
    return sum(t.task_metrics()["dropped-records-total"] for t in driver.tasks)


# SessionWindowedKStreamImplTest.processData
IMPL_TEST_DATA = [("1", "1", 10), ("1", "2", 15), ("1", "3", 600), ("2", "1", 600),
                  ("2", "2", 599)]


# -- SessionWindows -------------------------------------------------------------------------
def test_session_windows_factories() -> None:
    windows = SessionWindows.of_inactivity_gap_and_grace(timedelta(seconds=5), 1000)
    assert (windows.inactivity_gap(), windows.grace_period_ms()) == (5000, 1000)
    assert windows == SessionWindows.of_inactivity_gap_and_grace(5000, 1000)
    assert hash(windows) == hash(SessionWindows.of_inactivity_gap_and_grace(5000, 1000))
    assert SessionWindows.of_inactivity_gap_with_no_grace(7).grace_ms == 0
    assert repr(windows) == "SessionWindows{gapMs=5000, graceMs=1000}"  # Kafka's toString


@pytest.mark.parametrize("make", [
    lambda: SessionWindows.of_inactivity_gap_with_no_grace(0),  # SessionWindowsTest
    lambda: SessionWindows.of_inactivity_gap_with_no_grace(-1),
    lambda: SessionWindows.of_inactivity_gap_and_grace(10, -1),
])
def test_invalid_session_windows_are_rejected(make: Any) -> None:
    with pytest.raises(ValueError):
        make()


# -- SessionWindowedKStreamImplTest -------------------------------------------------------
def test_count_session_windowed() -> None:
    # SessionWindowedKStreamImplTest.shouldCountSessionWindowedWithCachingDisabled
    out, driver = run(session_topology(SessionWindows.of_inactivity_gap_with_no_grace(500)),
                      IMPL_TEST_DATA, Serdes.long())
    assert out == [
        ("1", 10, 10, 1, 10),
        ("1", 10, 10, None, 10),
        ("1", 10, 15, 2, 15),
        ("1", 600, 600, 1, 600),
        ("2", 600, 600, 1, 600),
        ("2", 600, 600, None, 600),
        ("2", 599, 600, 2, 600),
    ]
    driver.close()


def test_reduce_session_windowed() -> None:
    # SessionWindowedKStreamImplTest.shouldReduceWindowed
    out, driver = run(session_topology(SessionWindows.of_inactivity_gap_with_no_grace(500),
                                       "reduce"), IMPL_TEST_DATA)
    assert out == [
        ("1", 10, 10, "1", 10),
        ("1", 10, 10, None, 10),
        ("1", 10, 15, "1+2", 15),
        ("1", 600, 600, "3", 600),
        ("2", 600, 600, "1", 600),
        ("2", 600, 600, None, 600),
        ("2", 599, 600, "1+2", 600),
    ]
    driver.close()


def test_aggregate_session_windowed() -> None:
    # SessionWindowedKStreamImplTest.shouldAggregateSessionWindowed
    out, driver = run(session_topology(SessionWindows.of_inactivity_gap_with_no_grace(500),
                                       "aggregate"), IMPL_TEST_DATA)
    assert out == [
        ("1", 10, 10, "0+1", 10),
        ("1", 10, 10, None, 10),
        ("1", 10, 15, "0+0+1+2", 15),
        ("1", 600, 600, "0+3", 600),
        ("2", 600, 600, "0+1", 600),
        ("2", 600, 600, None, 600),
        ("2", 599, 600, "0+0+1+2", 600),
    ]
    driver.close()


@pytest.mark.parametrize("op, values", [
    ("count", [1, 2]), ("reduce", ["3", "1+2"]), ("aggregate", ["0+3", "0+0+1+2"])])
def test_materialized_session_store(op: str, values: list[Any]) -> None:
    # SessionWindowedKStreamImplTest.shouldMaterializeCount/Reduced/Aggregated, with an
    # in-memory store: Kafka's InMemorySessionStore drops the session [10,15] of "1" once
    # stream time (largest session end, 600) - retention (gap + grace = 500) reaches 15.
    # (Kafka's test uses RocksDB, whose 60 s segments keep it a while longer.)
    windows = SessionWindows.of_inactivity_gap_with_no_grace(500)
    topology = session_topology(windows, op, Materialized(store_name="session-store",
                                                          store_type="in_memory"))
    _, driver = run(topology, IMPL_TEST_DATA, Serdes.long() if op == "count" else STRING)
    store = driver.get_session_store("session-store")
    assert list(store.fetch_range("1", "2")) == [
        (Windowed("1", SessionWindow(600, 600)), values[0]),
        (Windowed("2", SessionWindow(599, 600)), values[1])]
    assert store.fetch_session("2", 599, 600) == values[1]
    assert store.fetch_session("1", 10, 15) is None
    driver.close()


# -- KStreamSessionWindowAggregateProcessorTest ------------------------------------------------
def test_handle_multiple_sessions_and_merging() -> None:
    # KStreamSessionWindowAggregateProcessorTest.shouldHandleMultipleSessionsAndMerging
    # (Kafka's test runs with a cache, which hides the intermediate a/b sessions and their
    # tombstones; without a cache every update is forwarded, as here)
    records = [("a", "1", 0), ("b", "1", 0), ("c", "1", 0), ("d", "1", 0),
               ("d", "2", GAP_MS // 2), ("a", "2", GAP_MS + 1), ("b", "2", GAP_MS + 1),
               ("a", "3", GAP_MS + 1 + GAP_MS // 2), ("c", "3", GAP_MS + 1 + GAP_MS // 2)]
    out, driver = run(session_topology(SessionWindows.of_inactivity_gap_with_no_grace(GAP_MS)),
                      records, Serdes.long())
    g, h = GAP_MS + 1, GAP_MS + 1 + GAP_MS // 2
    assert out == [
        ("a", 0, 0, 1, 0), ("b", 0, 0, 1, 0), ("c", 0, 0, 1, 0), ("d", 0, 0, 1, 0),
        ("d", 0, 0, None, 0), ("d", 0, GAP_MS // 2, 2, GAP_MS // 2),
        ("a", g, g, 1, g), ("b", g, g, 1, g),
        ("a", g, g, None, g), ("a", g, h, 2, h),
        ("c", h, h, 1, h),
    ]
    driver.close()


def test_forward_removed_sessions_when_merging() -> None:
    # KStreamSessionWindowAggregateProcessorTest.shouldImmediatelyForwardRemovedSessionsWhenMerging
    out, driver = run(session_topology(SessionWindows.of_inactivity_gap_with_no_grace(GAP_MS)),
                      [("a", "1", 0), ("a", "1", 5)], Serdes.long())
    assert out == [("a", 0, 0, 1, 0), ("a", 0, 0, None, 0), ("a", 0, 5, 2, 5)]
    driver.close()


def count_processor_with_store() -> tuple[KStreamSessionWindowAggregate, Any]:
    """The processor test's setup: a session count over a session store retaining
    3 * GAP_MS, added through the Processor API."""
    b = StreamsBuilder()
    b.add_state_store(Stores.session_store_builder(
        Stores.persistent_session_store("session-store", 3 * GAP_MS), STRING, Serdes.long()))
    supplier = KStreamSessionWindowAggregate(
        SessionWindows.of_inactivity_gap_with_no_grace(GAP_MS), "session-store",
        lambda: 0, lambda k, v, agg: agg + 1, lambda k, a, b: a + b)
    b.stream("input", key_serde=STRING, value_serde=STRING).process(supplier, "session-store")
    return supplier, b.build()


def test_a_late_record_between_two_sessions_merges_them() -> None:
    # KStreamSessionWindowAggregateProcessorTest.shouldMergeSessions
    _, topology = count_processor_with_store()
    with TopologyTestDriver(topology) as driver:
        source = driver.create_input_topic("input", STRING, STRING)
        store = driver.get_session_store("session-store")
        source.pipe_input("mel", "first", timestamp=0)
        assert list(store.find_sessions("mel", 0, 0))
        source.pipe_input("mel", "second", timestamp=GAP_MS + 1)  # beyond the gap
        assert list(store.find_sessions("mel", GAP_MS + 1, GAP_MS + 1))
        assert list(store.find_sessions("mel", 0, 0))
        source.pipe_input("mel", "third", timestamp=GAP_MS // 2)  # back in time: merges both
        assert list(store.find_sessions("mel", 0, GAP_MS + 1)) == [
            (Windowed("mel", SessionWindow(0, GAP_MS + 1)), 3)]


def test_default_retention_is_gap_plus_grace() -> None:
    # The DSL's session store keeps gap + grace (SessionStoreMaterializer); Kafka's
    # InMemorySessionStore then drops [0,0] once a session ends at GAP_MS + 1, so a
    # record at GAP_MS / 2 only finds the later session.
    topology = session_topology(SessionWindows.of_inactivity_gap_with_no_grace(GAP_MS),
                                store=Materialized(store_name="s", store_type="in_memory"))
    out, driver = run(topology, [("mel", "first", 0), ("mel", "second", GAP_MS + 1),
                                 ("mel", "third", GAP_MS // 2)], Serdes.long())
    g = GAP_MS + 1
    assert out == [("mel", 0, 0, 1, 0), ("mel", g, g, 1, g), ("mel", g, g, None, g),
                   ("mel", GAP_MS // 2, g, 2, g)]
    driver.close()


def test_same_time_updates_the_session_without_tombstone() -> None:
    # KStreamSessionWindowAggregateProcessorTest.shouldUpdateSessionIfTheSameTime
    out, driver = run(session_topology(SessionWindows.of_inactivity_gap_with_no_grace(GAP_MS)),
                      [("mel", "first", 0), ("mel", "second", 0)], Serdes.long())
    assert out == [("mel", 0, 0, 1, 0), ("mel", 0, 0, 2, 0)]
    driver.close()


def test_late_record_with_zero_grace_is_dropped() -> None:
    # KStreamSessionWindowAggregateProcessorTest.shouldLogAndMeterWhenSkippingLateRecordWithZeroGrace:
    # gap 10, stream time 11 -> close time 1; a record at 0 would be session [0,0]: dropped
    records = [("dummy", "dummy", 0), ("OnTime1", "1", 0), ("dummy", "dummy", 11),
               ("Late1", "1", 0)]
    out, driver = run(session_topology(SessionWindows.of_inactivity_gap_and_grace(10, 0)),
                      records, Serdes.long())
    assert ("OnTime1", 0, 0, 1, 0) in out
    assert all(key != "Late1" for key, *_ in out)
    assert dropped(driver) == 1
    driver.close()


def test_late_record_with_nonzero_grace() -> None:
    # ...ProcessorTest.shouldLogAndMeterWhenSkippingLateRecordWithNonzeroGrace: gap 10,
    # grace 1; at stream time 11 a record at 0 is on time, at 12 it is late
    records = [("dummy", "dummy", 0), ("OnTime1", "1", 0), ("dummy", "dummy", 11),
               ("OnTime2", "1", 0), ("dummy", "dummy", 12), ("Late1", "1", 0)]
    out, driver = run(session_topology(SessionWindows.of_inactivity_gap_and_grace(10, 1)),
                      records, Serdes.long())
    assert ("OnTime2", 0, 0, 1, 0) in out
    assert all(key != "Late1" for key, *_ in out)
    assert dropped(driver) == 1
    driver.close()


def test_a_late_record_joining_an_open_session_is_accepted() -> None:
    # The close check applies to the merged session (KStreamSessionWindowAggregate):
    # gap 10, no grace; a@0 and a@20 are sessions; at stream time 25, a@14 is too old for a
    # session of its own (close time 15) but merges with [20,20] into the open [14,20].
    records = [("a", "1", 0), ("a", "2", 20), ("b", "3", 25), ("a", "4", 14)]
    out, driver = run(session_topology(SessionWindows.of_inactivity_gap_with_no_grace(10)),
                      records, Serdes.long())
    assert out[-2:] == [("a", 20, 20, None, 20), ("a", 14, 20, 2, 20)]
    assert dropped(driver) == 0
    driver.close()


def test_null_key_is_dropped_and_counted() -> None:
    # ...ProcessorTest.shouldLogAndMeterWhenSkippingNullKeyWithBuiltInMetrics
    out, driver = run(session_topology(SessionWindows.of_inactivity_gap_with_no_grace(10)),
                      [(None, "1", 0), ("a", "1", 1)], Serdes.long())
    assert out == [("a", 1, 1, 1, 1)]
    assert dropped(driver) == 1
    driver.close()


def test_value_getter_reads_the_session_store() -> None:
    # ...ProcessorTest.shouldGetAggregatedValuesFromValueGetter: the timestamp is the end
    supplier, topology = count_processor_with_store()
    with TopologyTestDriver(topology) as driver:
        source = driver.create_input_topic("input", STRING, STRING)
        for value, ts in [("1", 0), ("1", GAP_MS + 1), ("2", GAP_MS + 1)]:
            source.pipe_input("a", value, timestamp=ts)
        store = driver.get_session_store("session-store")

        class Context:
            def get_state_store(self, name: str) -> Any:
                assert name == "session-store"
                return store

        getter = supplier.view().get()
        getter.init(Context())  # type: ignore[arg-type]
        assert getter.get(Windowed("a", SessionWindow(0, 0))) == ValueAndTimestamp(1, 0)
        assert getter.get(Windowed("a", SessionWindow(GAP_MS + 1, GAP_MS + 1))) == \
            ValueAndTimestamp(2, GAP_MS + 1)
        assert getter.get(Windowed("a", SessionWindow(1, 1))) is None


def test_session_outputs_carry_no_input_headers() -> None:
    # KStreamSessionWindowAggregate forwards new Records (key, change, window end)
    driver = TopologyTestDriver(session_topology(SessionWindows.of_inactivity_gap_with_no_grace(5)))
    driver.create_input_topic("input", STRING, STRING).pipe_input(
        "a", "v", timestamp=3, headers=[("h", b"1")])
    record = driver.create_output_topic("out", SESSION_KEYS, Serdes.long()).read_record()
    assert (str(record.key), record.value, record.timestamp) == ("[a@3/3]", 1, 3)
    assert not record.headers
    driver.close()


# -- describe() ---------------------------------------------------------------------------
def _describe(count: Any) -> str:
    b = StreamsBuilder()
    windowed = b.stream("input-topic").group_by_key().windowed_by(
        SessionWindows.of_inactivity_gap_with_no_grace(1))
    count(windowed)
    return str(b.build().describe())


def _expected(aggregate: str, store: str) -> str:
    return ("Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"
            f"      --> {aggregate}\n"
            f"    Processor: {aggregate} (stores: [{store}])\n"
            "      --> none\n"
            "      <-- KSTREAM-SOURCE-0000000000\n\n")


def test_describe_matches_kafka_topology_test() -> None:
    # TopologyTest.sessionWindowZeroArgCountShouldPreserveTopologyStructure
    assert _describe(lambda w: w.count()) == _expected(
        "KSTREAM-AGGREGATE-0000000002", "KSTREAM-AGGREGATE-STATE-STORE-0000000001")
    # ...sessionWindowNamedMaterializedCountShouldPreserveTopologyStructure
    assert _describe(lambda w: w.count(store=Materialized(
        store_name="count-store", store_type="in_memory"))) == _expected(
        "KSTREAM-AGGREGATE-0000000001", "count-store")
    # ...sessionWindowAnonymousMaterializedCountShouldPreserveTopologyStructure (burns one)
    assert _describe(lambda w: w.count(store=Materialized(value_serde=Serdes.long()))) == \
        _expected("KSTREAM-AGGREGATE-0000000003", "KSTREAM-AGGREGATE-STATE-STORE-0000000002")
    assert _describe(lambda w: w.reduce(lambda a, v: v)) == _expected(
        "KSTREAM-REDUCE-0000000002", "KSTREAM-REDUCE-STATE-STORE-0000000001")


def test_changelog_topic_of_a_session_store() -> None:
    # Session stores are window stores to Kafka's topology builder: compact,delete,
    # retention = gap + grace + windowstore.changelog.additional.retention.ms (1 day)
    topology = session_topology(SessionWindows.of_inactivity_gap_and_grace(500, 100),
                                store="sessions")
    [spec] = [t for t in topology.internal_topics("app") if t.kind == "changelog"]
    assert spec.name == "app-sessions-changelog"
    assert spec.config["cleanup.policy"] == "compact,delete"
    assert spec.config["retention.ms"] == str(600 + 86_400_000)


# -- brute force ------------------------------------------------------------------------------
def sessionize(events: list[tuple[str, int, int]], gap: int, *, in_order: bool = False
               ) -> dict[tuple[str, int, int], int]:
    """(key, start, end) -> sum, by splitting each key's sorted timestamps where two
    consecutive ones are more than ``gap`` apart.

    ``in_order`` (no grace, records arriving in timestamp order) also applies the store's
    retention of gap + grace: a session whose end is at or before stream time - retention
    is gone from the store (InMemorySessionStore.removeExpiredSegments; RocksDB's
    getActualFrom filters the same), so when another key has already moved stream time to
    exactly ``end + gap``, a record there starts a new session instead of joining.
    """
    if in_order:
        out: dict[tuple[str, int, int], int] = {}
        last: dict[str, tuple[int, int, int]] = {}
        stream_time = -1
        for key, t, v in events:
            prev = last.get(key)
            if prev is not None and t - prev[1] <= gap and prev[1] > stream_time - gap:
                last[key] = (prev[0], t, prev[2] + v)
            else:
                if prev is not None:
                    out[(key, prev[0], prev[1])] = prev[2]
                last[key] = (t, t, v)
            stream_time = max(stream_time, t)
        out.update({(key, s, e): total for key, (s, e, total) in last.items()})
        return out
    out = {}
    for key in {k for k, _, _ in events}:
        mine = sorted((t, v) for k, t, v in events if k == key)
        start, end, total = mine[0][0], mine[0][0], 0
        for t, v in mine:
            if t - end > gap:
                out[(key, start, end)] = total
                start, total = t, 0
            end, total = t, total + v
        out[(key, start, end)] = total
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=15),
       st.lists(st.tuples(st.sampled_from("ab"), st.integers(0, 12), st.integers(-5, 9)),
                min_size=1, max_size=30))
def test_session_sums_match_brute_force(gap: int, steps: list[tuple[str, int, int]]) -> None:
    events, t = [], 0
    for key, delta, value in steps:
        t += delta
        events.append((key, t, value))
    b = StreamsBuilder()
    (b.stream("input", key_serde=STRING, value_serde=Serdes.integer()).group_by_key()
     .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(gap))
     .aggregate(lambda: 0, lambda k, v, agg: agg + v, lambda k, a1, a2: a1 + a2,
                value_serde=Serdes.integer())
     .to_stream().to("out", key_serde=SESSION_KEYS, value_serde=Serdes.integer()))
    with TopologyTestDriver(b.build()) as driver:
        source = driver.create_input_topic("input", STRING, Serdes.integer())
        for key, ts, value in events:
            source.pipe_input(key, value, timestamp=ts)
        live: dict[tuple[str, int, int], int] = {}
        for r in driver.create_output_topic("out", SESSION_KEYS,
                                            Serdes.integer()).read_records_to_list():
            session = (r.key.key, r.key.window.start, r.key.window.end)
            assert r.timestamp == r.key.window.end
            if r.value is None:
                del live[session]  # a tombstone only ever follows the session's own update
            else:
                live[session] = r.value
        assert live == sessionize(events, gap, in_order=True)
        assert dropped(driver) == 0


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=15),
       st.lists(st.tuples(st.sampled_from("ab"), st.integers(0, 80)), min_size=1, max_size=30))
def test_out_of_order_sessions_within_grace(gap: int, events: list[tuple[str, int]]) -> None:
    # With a grace longer than the input spans nothing is dropped and arrival order does
    # not matter: the surviving sessions are those of the sorted input.
    b = StreamsBuilder()
    (b.stream("input", key_serde=STRING, value_serde=STRING).group_by_key()
     .windowed_by(SessionWindows.of_inactivity_gap_and_grace(gap, 1000))
     .count().to_stream().to("out", key_serde=SESSION_KEYS, value_serde=Serdes.long()))
    with TopologyTestDriver(b.build()) as driver:
        source = driver.create_input_topic("input", STRING, STRING)
        for key, ts in events:
            source.pipe_input(key, "v", timestamp=ts)
        live: dict[tuple[str, int, int], int] = {}
        for r in driver.create_output_topic("out", SESSION_KEYS,
                                            Serdes.long()).read_records_to_list():
            session = (r.key.key, r.key.window.start, r.key.window.end)
            if r.value is None:
                del live[session]
            else:
                live[session] = r.value
        assert live == sessionize([(k, t, 1) for k, t in events], gap)


