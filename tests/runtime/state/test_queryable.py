"""The read-only composite views of interactive queries (runtime.state.queryable) and
the query inbox a thread serves them from (runtime.exec.queries), without a broker:
two test drivers stand for two tasks (partitions) of the same store."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from runtime import (
    QueryableStoreTypes,
    Serdes,
    SessionWindows,
    StateStoreNotAvailableError,
    StoreQueryParameters,
    StreamsBuilder,
    TimeWindows,
    ValueAndTimestamp,
    Windowed,
)
from runtime.exec.queries import QueryInbox, QueryRequest, default_partition, murmur2
from runtime.state.queryable import ReadOnlyKeyValueStore, ReadOnlySessionStore, ReadOnlyWindowStore
from runtime.testing import TopologyTestDriver


def _topology() -> Any:
    b = StreamsBuilder()
    s = b.stream("in", key_serde=Serdes.string(), value_serde=Serdes.string())
    grouped = s.group_by_key()
    grouped.count(store="counts")
    grouped.windowed_by(TimeWindows.of_size_and_grace(1000, 10_000)).count(store="windowed")
    grouped.windowed_by(SessionWindows.of_inactivity_gap_and_grace(100, 10_000)).count(store="sessions")
    return b.build()


@pytest.fixture
def drivers() -> Iterator[list[TopologyTestDriver]]:
    """Partition 0 gets keys a, c, e; partition 1 gets b, d."""
    made = [TopologyTestDriver(_topology()), TopologyTestDriver(_topology())]
    inputs = [d.create_input_topic("in", Serdes.string(), Serdes.string()) for d in made]
    for key, ts in [("a", 10), ("c", 20), ("a", 30), ("e", 1500)]:
        inputs[0].pipe_input(key, "x", ts)
    for key, ts in [("b", 15), ("d", 1100), ("d", 1150), ("b", 2600)]:
        inputs[1].pipe_input(key, "x", ts)
    yield made
    for d in made:
        d.close()


def _reader(drivers: list[TopologyTestDriver], name: str) -> Callable[[Callable[[Any], Any]], list[tuple[int, Any]]]:
    def read(operation: Callable[[Any], Any]) -> list[tuple[int, Any]]:
        return [(p, operation(d.tasks[0].get_store(name))) for p, d in enumerate(drivers)]
    return read


def _kv(drivers: list[TopologyTestDriver], timestamped: bool = False) -> ReadOnlyKeyValueStore:
    qtype = QueryableStoreTypes.timestamped_key_value_store() if timestamped else QueryableStoreTypes.key_value_store()
    params = StoreQueryParameters.from_name_and_type("counts", qtype)
    return ReadOnlyKeyValueStore(params, _reader(drivers, "counts"), timestamped_store=True)


def test_key_value_view_gets_from_whichever_task_holds_the_key(drivers: list[TopologyTestDriver]) -> None:
    view = _kv(drivers)
    assert view.get("a") == 2
    assert view.get("d") == 2
    assert view.get("b") == 2
    assert view.get("zzz") is None
    assert view.approximate_num_entries() == 5


def test_key_value_ranges_merge_tasks_in_key_order_and_obey_the_limit(drivers: list[TopologyTestDriver]) -> None:
    view = _kv(drivers)
    assert view.all() == [("a", 2), ("b", 2), ("c", 1), ("d", 2), ("e", 1)]
    assert view.range("b", "d") == [("b", 2), ("c", 1), ("d", 2)]
    assert view.range("b", None, limit=2) == [("b", 2), ("c", 1)]
    assert view.reverse_all(limit=3) == [("e", 1), ("d", 2), ("c", 1)]
    assert view.reverse_range("a", "c") == [("c", 1), ("b", 2), ("a", 2)]
    assert view.all(limit=0) == []
    assert len(view.all(limit=None)) == 5
    with pytest.raises(ValueError):
        view.all(limit=-1)


def test_timestamped_type_keeps_value_and_timestamp(drivers: list[TopologyTestDriver]) -> None:
    view = _kv(drivers, timestamped=True)
    assert view.get("a") == ValueAndTimestamp(2, 30)
    assert view.range("d", "d") == [("d", ValueAndTimestamp(2, 1150))]


def test_window_view_fetches_one_window_a_key_range_and_all_keys(drivers: list[TopologyTestDriver]) -> None:
    params = StoreQueryParameters.from_name_and_type("windowed", QueryableStoreTypes.window_store())
    view = ReadOnlyWindowStore(params, _reader(drivers, "windowed"), timestamped_store=True)
    assert view.fetch("a", 0) == 2
    assert view.fetch("d", 1000) == 2
    assert view.fetch("d", 0) is None
    assert view.fetch("b", 0, 3000) == [(0, 1), (2000, 1)]
    everything = view.fetch_all(0, 3000)
    assert [(w.key, w.window.start, v) for w, v in everything] == [
        ("a", 0, 2), ("b", 0, 1), ("c", 0, 1), ("d", 1000, 2), ("e", 1000, 1), ("b", 2000, 1)]
    assert [(w.key, v) for w, v in view.fetch_all(1000, 1000, limit=1)] == [("d", 2)]
    assert len(view.all()) == 6


def test_session_view_fetches_the_sessions_of_a_key(drivers: list[TopologyTestDriver]) -> None:
    params = StoreQueryParameters.from_name_and_type("sessions", QueryableStoreTypes.session_store())
    view = ReadOnlySessionStore(params, _reader(drivers, "sessions"), timestamped_store=False)
    found = view.fetch("a")
    assert [(w.window.start, w.window.end, v) for w, v in found] == [(10, 30, 2)]
    assert [(w.window.start, w.window.end, v) for w, v in view.fetch("b")] == [(15, 15, 1), (2600, 2600, 1)]
    assert isinstance(found[0][0], Windowed)
    assert view.fetch_session("d", 1100, 1150) == 2
    assert view.fetch("nobody") == []


def test_inbox_serves_requests_on_the_serving_thread_only(drivers: list[TopologyTestDriver]) -> None:
    inbox = QueryInbox("test-thread")
    tasks = [((0, 0), drivers[0].tasks[0]), ((0, 1), drivers[1].tasks[0])]
    seen: list[str] = []

    def op(store: Any) -> Any:
        seen.append(threading.current_thread().name)
        return store.get("a")

    future = inbox.submit(QueryRequest("counts", op))
    assert not future.done()          # nothing runs until the owner serves
    server = threading.Thread(target=inbox.serve, args=(tasks,), name="owner")
    server.start()
    server.join()
    assert future.result(1) == [(0, ValueAndTimestamp(2, 30)), (1, None)]
    assert seen == ["owner", "owner"]

    only_one = inbox.submit(QueryRequest("counts", lambda s: s.get("b"), partition=1))
    inbox.serve(tasks)
    assert only_one.result(1) == [(1, ValueAndTimestamp(2, 2600))]

    # stale (restoring or standby) tasks answer only stale requests
    fresh = inbox.submit(QueryRequest("counts", lambda s: 1))
    stale = inbox.submit(QueryRequest("counts", lambda s: 1, stale=True))
    inbox.serve(tasks[:1], tasks[1:])
    assert fresh.result(1) == [(0, 1)]
    assert stale.result(1) == [(0, 1), (1, 1)]

    failing = inbox.submit(QueryRequest("counts", lambda s: 1 // 0))
    given_up = inbox.submit(QueryRequest("counts", lambda s: seen.append("ran") or 1))
    given_up.cancel()
    assert inbox.serve(tasks) == 1
    with pytest.raises(ZeroDivisionError):
        failing.result(1)
    assert "ran" not in seen

    waiting = inbox.submit(QueryRequest("counts", lambda s: 1))
    inbox.close("stopped")
    with pytest.raises(StateStoreNotAvailableError, match="test-thread is stopped"):
        waiting.result(1)
    with pytest.raises(StateStoreNotAvailableError):
        inbox.submit(QueryRequest("counts", lambda s: 1)).result(1)


def test_default_partition_is_kafkas_murmur2() -> None:
    # Kafka's UtilsTest.testMurmur2 vectors
    assert murmur2(b"21") == -973932308
    assert murmur2(b"foobar") == -790332482
    assert murmur2(b"a-little-bit-long-string") == -985981536
    assert murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971
    assert default_partition(b"foobar", 3) == (-790332482 & 0x7FFFFFFF) % 3
