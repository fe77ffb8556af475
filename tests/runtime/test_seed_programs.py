"""Two of the seed programs (stock statistics, click-stream enrichment) written with the
public DSL, run through the TopologyTestDriver, checked against plain-Python batch
computations over the same input records (never against the engine itself).

Stock statistics: trades keyed by ticker, event time from the value's ``ts`` field,
5 s windows hopping by 1 s, per (ticker, window): count, min and average price.
Expectations (Kafka Streams' KStreamWindowAggregate, tested by
KStreamWindowAggregateTest, and the "Windowing" section of the Kafka Streams DSL docs):

- a record belongs to every window ``[start, start + size)`` holding its timestamp,
  ``start`` a non-negative multiple of the advance (TimeWindows#windowsFor);
- stream time is the largest timestamp seen; a window accepts records while
  ``stream time < window end + grace`` (KStreamWindowAggregate: ``windowEnd > closeTime``
  with ``closeTime = observedStreamTime - grace``), otherwise the record is skipped for
  that window and the task's ``dropped-records`` sensor is recorded once per window;
- each update is forwarded with the largest timestamp of the window's records
  (KStreamWindowAggregate: ``newTimestamp = max(timestamp, oldAgg.timestamp())``);
- ``suppress(untilWindowCloses(unbounded()))`` emits one final result per window when
  the suppression's stream time reaches ``window end + grace``
  (KTableSuppressProcessor: evict while ``bufferTime <= observedStreamTime - grace``;
  SuppressScenarioTest#shouldSupportFinalResultsForTimeWindows).

Click-stream enrichment: page views left-joined to a user-profile table (KStreamKTableJoin:
the table's current value at processing time, null when absent; the result keeps the
stream record's timestamp - KStreamKTableJoinTest / KStreamKTableLeftJoinTest), then
left-joined to searches within ``JoinWindows`` of 1 s (KStreamKStreamJoin, Kafka 3.1+ /
KIP-633 semantics, KStreamKStreamLeftJoinTest): pairs with ``|view ts - search ts| <=
1000`` are emitted as soon as the second record arrives, stamped ``max`` of the two
timestamps; a view without any search is emitted once with a null search, stamped with
its own timestamp, when a view or search record that advances (or equals) stream time
finds ``stream time > view ts + after + grace``. The join tests set Kafka's internal
``__emit.interval.ms.kstreams.outer.join.spurious.results.fix__`` to 0, as Kafka's
KStreamKStreamLeftJoinTest does, so closed windows are flushed on every such record.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from typing import Any

import pytest

from runtime import (
    BufferConfig,
    JoinWindows,
    Serdes,
    StreamsBuilder,
    Suppressed,
    TimeWindows,
    Topology,
)
from runtime.processor import ValueFieldTimestampExtractor
from runtime.testing import TopologyTestDriver

S = Serdes.string()
J = Serdes.json()

SIZE = 5000
ADVANCE = 1000
EMIT_INTERVAL = "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__"


# ======================================================================================
# Stock statistics
# ======================================================================================
def _add_trade(_key: str, trade: dict[str, Any], agg: dict[str, Any]) -> dict[str, Any]:
    low = agg["min"]
    price = trade["price"]
    return {"count": agg["count"] + 1, "min": price if low is None else min(low, price),
            "sum": agg["sum"] + price}


def stocks(grace: int, *, suppress: bool = False, field_time: bool = True) -> Topology:
    b = StreamsBuilder()
    table = (b.stream("stock-trades", key_serde=S, value_serde=J,
                      timestamp_extractor=ValueFieldTimestampExtractor("ts")
                      if field_time else None)
             .group_by(lambda _key, trade: trade["ticker"], key_serde=S, value_serde=J)
             .windowed_by(TimeWindows.of_size_and_grace(SIZE, grace).advance_by(ADVANCE))
             .aggregate(lambda: {"count": 0, "min": None, "sum": 0.0}, _add_trade,
                        store="trade-stats-store", value_serde=J))
    if suppress:
        table = table.suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
    (table.to_stream()
     .map(lambda wk, agg: (wk.key, {
         "ticker": wk.key, "window_start": wk.window.start, "window_end": wk.window.end,
         "count": agg["count"], "min_price": agg["min"],
         "avg_price": agg["sum"] / agg["count"]}))
     .to("stock-stats", key_serde=S, value_serde=J))
    return b.build()


Trade = tuple[str, float, int]        # ticker, price, ts


def window_starts(ts: int) -> list[int]:
    """Every hopping window [start, start + SIZE) holding ts, start a multiple of ADVANCE."""
    return [s for s in range(max(0, ts - SIZE + 1) // ADVANCE * ADVANCE, ts + 1, ADVANCE)
            if s <= ts < s + SIZE]


class StockTruth:
    """Brute force over the trades in arrival order: per (ticker, window start) the
    accepted trades, and how many (record, window) pairs were dropped as too late."""

    def __init__(self, trades: list[Trade], grace: int) -> None:
        self.windows: dict[tuple[str, int], list[Trade]] = defaultdict(list)
        self.dropped = 0
        self.stream_time: list[int] = []   # stream time after each trade
        self.opened: dict[tuple[str, int], int] = {}   # index of a window's first trade
        st = -1
        for i, trade in enumerate(trades):
            ticker, _price, ts = trade
            st = max(st, ts)
            self.stream_time.append(st)
            for start in window_starts(ts):
                if st < start + SIZE + grace:      # window still open
                    self.windows[(ticker, start)].append(trade)
                    self.opened.setdefault((ticker, start), i)
                else:
                    self.dropped += 1

    def final(self, key: tuple[str, int]) -> tuple[dict[str, Any], int]:
        trades = self.windows[key]
        ticker, start = key
        prices = [p for _, p, _ in trades]
        total = 0.0
        for p in prices:
            total += p
        return ({"ticker": ticker, "window_start": start, "window_end": start + SIZE,
                 "count": len(prices), "min_price": min(prices),
                 "avg_price": total / len(prices)}, max(ts for _, _, ts in trades))


def random_trades(seed: int, n: int, max_late: int) -> list[Trade]:
    rng = random.Random(seed)
    tickers = ["ACME", "GLOBEX", "INITECH", "UMBRELLA"]
    out: list[Trade] = []
    clock = 1_000_000
    for _ in range(n):
        clock += rng.randint(0, 120)
        late = rng.randint(0, max_late) if rng.random() < 0.3 else 0
        out.append((rng.choice(tickers), round(rng.uniform(10, 200), 2), max(0, clock - late)))
    return out


def dropped(driver: TopologyTestDriver) -> int:
    return sum(int(t.task_metrics()["dropped-records-total"]) for t in driver.tasks)


def pipe_trades(driver: TopologyTestDriver, trades: list[Trade]) -> None:
    src = driver.create_input_topic("stock-trades", S, J)
    for ticker, price, ts in trades:
        # the record timestamp is deliberately wrong: event time comes from "ts"
        src.pipe_input(ticker, {"ticker": ticker, "price": price, "ts": ts}, 7)


@pytest.mark.parametrize(("seed", "grace", "max_late"),
                         [(1, 0, 0), (2, 2000, 1500), (3, 1000, 4000), (4, 500, 9000)])
def test_stock_stats_final_values_equal_brute_force(seed: int, grace: int,
                                                    max_late: int) -> None:
    trades = random_trades(seed, 300, max_late)
    truth = StockTruth(trades, grace)
    with TopologyTestDriver(stocks(grace), {"application.id": "stocks"}) as driver:
        pipe_trades(driver, trades)
        records = driver.create_output_topic("stock-stats", S, J).read_records_to_list()
        # one update per accepted (trade, window) pair (no cache in the driver)
        assert len(records) == sum(len(v) for v in truth.windows.values())
        last: dict[tuple[str, int], tuple[dict[str, Any], int]] = {}
        for r in records:
            assert r.key == r.value["ticker"]
            last[(r.key, r.value["window_start"])] = (r.value, r.timestamp)
        assert set(last) == set(truth.windows)
        for key, (value, ts) in last.items():
            want, want_ts = truth.final(key)
            assert value == {**want, "avg_price": pytest.approx(want["avg_price"])}, key
            # KStreamWindowAggregate: output timestamp = max timestamp in the window
            assert ts == want_ts, key
        assert dropped(driver) == truth.dropped
        if max_late > grace:
            assert truth.dropped > 0   # the late-record path was exercised


def test_stock_stats_every_update_is_stamped_with_the_window_max_timestamp() -> None:
    trades = random_trades(5, 200, 800)
    grace = 1000
    with TopologyTestDriver(stocks(grace), {"application.id": "stocks"}) as driver:
        pipe_trades(driver, trades)
        records = driver.create_output_topic("stock-stats", S, J).read_records_to_list()
    # replay: the i-th update of a window is stamped with the max ts of its first i trades
    truth = StockTruth(trades, grace)
    expected: Counter[tuple[str, int, int, int]] = Counter()
    for (ticker, start), accepted in truth.windows.items():
        for i in range(1, len(accepted) + 1):
            expected[(ticker, start, i, max(t for _, _, t in accepted[:i]))] += 1
    got = Counter((r.key, r.value["window_start"], r.value["count"], r.timestamp)
                  for r in records)
    assert got == expected


def test_record_timestamp_is_used_without_a_field_extractor() -> None:
    # Same program with the default extractor: the record timestamp is the event time.
    trades = random_trades(6, 150, 0)
    truth = StockTruth(trades, 0)
    with TopologyTestDriver(stocks(0, field_time=False)) as driver:
        src = driver.create_input_topic("stock-trades", S, J)
        for ticker, price, ts in trades:
            src.pipe_input(ticker, {"ticker": ticker, "price": price, "ts": -1}, ts)
        out = driver.create_output_topic("stock-stats", S, J).read_records_to_list()
        final = {(r.key, r.value["window_start"]): r.value["count"] for r in out}
        assert final == {k: len(v) for k, v in truth.windows.items()}


@pytest.mark.parametrize(("seed", "grace", "max_late"), [(11, 0, 0), (12, 2000, 3000)])
def test_suppressed_stock_stats_emit_one_final_result_per_closed_window(
        seed: int, grace: int, max_late: int) -> None:
    trades = random_trades(seed, 300, max_late)
    truth = StockTruth(trades, grace)
    with TopologyTestDriver(stocks(grace, suppress=True), {"application.id": "stocks"}) \
            as driver:
        src = driver.create_input_topic("stock-trades", S, J)
        out = driver.create_output_topic("stock-stats", S, J)
        emitted: dict[tuple[str, int], int] = {}
        previous_st = -1
        for i, (ticker, price, ts) in enumerate(trades):
            src.pipe_input(ticker, {"ticker": ticker, "price": price, "ts": ts}, 0)
            st = truth.stream_time[i]
            got = out.read_records_to_list()
            # Exactly the windows whose end + grace was reached by this record's stream
            # time: never earlier (the window could still change), never later.
            seen_so_far = {k for k, first in truth.opened.items() if first <= i}
            want = {k for k in seen_so_far
                    if previous_st < k[1] + SIZE + grace <= st}
            assert {(r.key, r.value["window_start"]) for r in got} == want, i
            for r in got:
                key = (r.key, r.value["window_start"])
                assert key not in emitted       # one result per window
                emitted[key] = i
                value, value_ts = truth.final(key)
                assert r.value == {**value, "avg_price": pytest.approx(value["avg_price"])}
                assert r.timestamp == value_ts
            previous_st = st
        # advance stream time far past the last window: every window is emitted once
        final_ts = max(ts for _, _, ts in trades) + SIZE + grace
        src.pipe_input("ZZZ", {"ticker": "ZZZ", "price": 1.0, "ts": final_ts}, 0)
        rest = [r for r in out.read_records_to_list() if r.key != "ZZZ"]
        for r in rest:
            key = (r.key, r.value["window_start"])
            assert key not in emitted
            emitted[key] = len(trades)
        assert set(emitted) == set(truth.windows)


def test_late_trade_is_dropped_only_for_closed_windows_and_counted() -> None:
    grace = 2000
    with TopologyTestDriver(stocks(grace, suppress=False)) as driver:
        src = driver.create_input_topic("stock-trades", S, J)
        out = driver.create_output_topic("stock-stats", S, J)
        src.pipe_input("ACME", {"ticker": "ACME", "price": 10.0, "ts": 10_000})
        out.read_records_to_list()
        assert dropped(driver) == 0
        # stream time 10000, close time 8000: windows of 4000 are [0,5000) .. [4000,9000);
        # [0,5000)..[3000,8000) have end <= 8000 (stream time >= end + grace): dropped;
        # [4000,9000) (end + grace = 11000 > 10000) still accepts the record.
        src.pipe_input("ACME", {"ticker": "ACME", "price": 5.0, "ts": 4000})
        got = out.read_records_to_list()
        assert [(r.value["window_start"], r.value["count"], r.value["min_price"], r.timestamp)
                for r in got] == [(4000, 1, 5.0, 4000)]
        assert dropped(driver) == 4
        # A record exactly at the boundary: window [5000,10000) is open until stream
        # time 12000; advance to 12000, then a record at 5000 is dropped for it.
        src.pipe_input("ACME", {"ticker": "ACME", "price": 20.0, "ts": 12_000})
        out.read_records_to_list()
        src.pipe_input("ACME", {"ticker": "ACME", "price": 1.0, "ts": 5999})
        # 5999 lies in [1000,6000) .. [5000,10000): the first four end <= 10000 (dropped)
        # and so does [5000,10000) (10000 <= 12000 - 2000); nothing is emitted
        assert out.is_empty()
        assert dropped(driver) == 4 + 5
        src.pipe_input("ACME", {"ticker": "ACME", "price": 2.0, "ts": 6000})
        # 6000 is in [6000,11000) (end 11000 > 10000: open) plus four closed ones
        got = out.read_records_to_list()
        assert [(r.value["window_start"], r.value["count"]) for r in got] == [(6000, 2)]
        assert got[0].value["min_price"] == 2.0
        # the window's max timestamp is 10000 (the first trade), not the late 6000
        assert got[0].timestamp == 10_000
        assert dropped(driver) == 4 + 5 + 4


# ======================================================================================
# Click-stream enrichment
# ======================================================================================
def clickstream(windows: JoinWindows) -> Topology:
    b = StreamsBuilder()
    views = b.stream("page-views", key_serde=S, value_serde=J)
    profiles = b.table("user-profiles", key_serde=S, value_serde=J, store="user-profiles-store")
    searches = b.stream("searches", key_serde=S, value_serde=J)
    (views
     .left_join(profiles, lambda view, profile: {**view, "user": profile},
                key_serde=S, value_serde=J)
     .left_join(searches,
                lambda view, search: {**view,
                                      "search": None if search is None else search["id"]},
                windows, key_serde=S, value_serde=J, other_value_serde=J)
     .to("enriched-page-views", key_serde=S, value_serde=J))
    return b.build()


# (topic, user, value, ts); values carry an "id" so results can be told apart
Event = tuple[str, str, Any, int]
Out = tuple[str, str, str, Any, int]   # user, view id, profile json, search id, ts


def out_of(r: Any) -> Out:
    return (r.key, r.value["id"], json.dumps(r.value["user"], sort_keys=True),
            r.value["search"], r.timestamp)


class ClickTruth:
    """Brute force over the events in arrival order.

    - ``pairs[i]``: every (view, search) of the same user with ``|ts difference| <=
      1000`` is due when the later-arriving of the two (event ``i``) is piped, stamped
      with the larger timestamp;
    - ``nulls``: each view matched by no search at all, with a null search and the
      view's own timestamp, mapped to the earliest step at which it may come out: the
      first later view/search record at or past stream time that makes stream time
      exceed ``view ts + 1000 + grace`` (``len(events)``, the final flush, if none);
    - ``triggers[i]``: whether event ``i`` is a view/search at or past stream time, and
      ``stream_time[i]`` the join's stream time after it (views and searches only);
    - the profile is the table's latest value for the user among events piped before
      the view (None if never set or deleted).

    Kafka may emit a null result later than its earliest step: emitNonJoinedOuterRecords
    only scans the outer store when ``minTime + after + grace < streamTime``, and after a
    scan of a left join's store (which never meets its "both sides open" break) minTime
    is the timestamp of the last entry scanned, not the oldest one still waiting. So the
    tests check null results as "not before the window closed, once, by the flush at
    the latest", and pairs step by step.
    """

    def __init__(self, events: list[Event], grace: int, d: int = 1000) -> None:
        profile: dict[str, Any] = {}
        views: list[tuple[int, str, str, Any, int]] = []   # index, user, id, profile, ts
        searches: list[tuple[int, str, str, int]] = []
        self.triggers: list[bool] = []
        self.stream_time: list[int] = []
        st = -1
        for i, (topic, user, value, ts) in enumerate(events):
            if topic == "user-profiles":
                profile[user] = value
                self.triggers.append(False)
            else:
                self.triggers.append(ts >= st)
                st = max(st, ts)
                if topic == "page-views":
                    views.append((i, user, value["id"], profile.get(user), ts))
                else:
                    searches.append((i, user, value["id"], ts))
            self.stream_time.append(st)
        self.pairs: list[Counter[Out]] = [Counter() for _ in range(len(events) + 1)]
        self.nulls: dict[Out, int] = {}
        for vi, vuser, vid, prof, vts in views:
            pj = json.dumps(prof, sort_keys=True)
            matched = False
            for si, suser, sid, sts in searches:
                if suser == vuser and abs(vts - sts) <= d:
                    matched = True
                    self.pairs[max(vi, si)][(vuser, vid, pj, sid, max(vts, sts))] += 1
            if not matched:
                self.nulls[(vuser, vid, pj, None, vts)] = next(
                    (j for j in range(vi + 1, len(events))
                     if self.triggers[j] and self.stream_time[j] > vts + d + grace),
                    len(events))


def random_clicks(seed: int, n: int, max_late: int) -> list[Event]:
    rng = random.Random(seed)
    known = [f"u{i}" for i in range(5)]
    unknown = ["ghost1", "ghost2"]
    clock = 0
    events: list[Event] = []
    for i in range(n):
        clock += rng.choice([0, 50, 120, 300, 600])
        kind = rng.random()
        if kind < 0.15:
            user = rng.choice(known)
            value = None if rng.random() < 0.1 else {"name": user.upper(),
                                                     "tier": rng.choice(["gold", "free"])}
            events.append(("user-profiles", user, value, clock))
            continue
        user = rng.choice(known + unknown)
        ts = max(0, clock - rng.randint(0, max_late))
        if kind < 0.65:
            events.append(("page-views", user,
                           {"id": f"v{i}", "page": rng.choice(["/", "/a", "/b"])}, ts))
        else:
            events.append(("searches", user, {"id": f"s{i}", "query": f"q{i}"}, ts))
    return events


def run_clicks(windows: JoinWindows, events: list[Event]) -> list[Counter[Out]]:
    """Pipe events one by one; the multiset of results after each, then after a flush."""
    config = {"application.id": "clicks", EMIT_INTERVAL: 0}
    with TopologyTestDriver(clickstream(windows), config) as driver:
        topics = {t: driver.create_input_topic(t, S, J)
                  for t in ("page-views", "user-profiles", "searches")}
        out = driver.create_output_topic("enriched-page-views", S, J)
        steps: list[Counter[Out]] = []
        for topic, user, value, ts in events:
            topics[topic].pipe_input(user, value, ts)
            steps.append(Counter(out_of(r) for r in out.read_records_to_list()))
        # a search of a user nobody views, far later: closes every window
        last = max((ts for *_, ts in events), default=0)
        topics["searches"].pipe_input("flush-user", {"id": "flush", "query": ""},
                                      last + 10 * 1000 + 5000)
        steps.append(Counter(out_of(r) for r in out.read_records_to_list()))
        return steps


@pytest.mark.parametrize(("seed", "grace", "max_late"),
                         [(21, 0, 0), (22, 0, 0), (23, 500, 500), (24, 1000, 700)])
def test_clickstream_equals_brute_force_step_by_step(seed: int, grace: int,
                                                     max_late: int) -> None:
    # lateness stays within min(1000, grace): then no result can be pre-empted by a
    # record arriving after its window closed (see ClickTruth)
    windows = (JoinWindows.of_time_difference_with_no_grace(1000) if grace == 0
               else JoinWindows.of_time_difference_and_grace(1000, grace))
    events = random_clicks(seed, 300, max_late)
    truth = ClickTruth(events, grace)
    steps = run_clicks(windows, events)
    assert len(steps) == len(events) + 1
    seen_nulls: set[Out] = set()
    for i, got in enumerate(steps):
        pairs = Counter({o: n for o, n in got.items() if o[3] is not None})
        nulls = [o for o in got.elements() if o[3] is None]
        where = (i, events[i] if i < len(events) else "flush")
        # joined pairs: exactly those completed by this record, as it arrives
        assert pairs == truth.pairs[i], where
        for o in nulls:
            # only views that no search matched, each once, never before the window
            # closed (stream time > view ts + after + grace, reached by a record at or
            # past stream time)
            assert o in truth.nulls, where
            assert o not in seen_nulls, where
            assert truth.nulls[o] <= i, where
            if i < len(events):
                assert truth.triggers[i] and truth.stream_time[i] > o[4] + 1000 + grace
            seen_nulls.add(o)
    assert seen_nulls == set(truth.nulls)   # all out by the flush
    totals = sum(steps, Counter())
    assert any(o[3] is None for o in totals) and any(o[3] is not None for o in totals)
    assert any(o[2] == "null" for o in totals)      # unknown users keep a null profile


def test_clickstream_hand_written_edge_cases() -> None:
    windows = JoinWindows.of_time_difference_with_no_grace(1000)
    events: list[Event] = [
        ("user-profiles", "ann", {"name": "Ann"}, 0),
        ("page-views", "ann", {"id": "v1", "page": "/"}, 1000),     # profile Ann
        ("searches", "ann", {"id": "s1", "query": "x"}, 2000),      # |1000| -> joins v1
        ("page-views", "bob", {"id": "v2", "page": "/"}, 2000),     # unknown user
        ("user-profiles", "ann", {"name": "Ann v2"}, 2100),
        ("page-views", "ann", {"id": "v3", "page": "/b"}, 3001),    # 1001 after s1
        ("searches", "carl", {"id": "s2", "query": "y"}, 3000),     # st stays 3001
        ("user-profiles", "ann", None, 3100),                       # tombstone
        ("page-views", "ann", {"id": "v4", "page": "/c"}, 3100),    # null profile
        ("searches", "dan", {"id": "s3", "query": "z"}, 3100),      # st 3100 > 2000+1000
        ("searches", "ann", {"id": "s4", "query": "w"}, 4001),      # joins v3 (1000)
        ("searches", "dan", {"id": "s5", "query": "z"}, 5000),
    ]
    steps = run_clicks(windows, events)
    ann1, ann2 = '{"name": "Ann"}', '{"name": "Ann v2"}'
    expected: list[list[Out]] = [
        [], [],
        [("ann", "v1", ann1, "s1", 2000)],          # 2000 - 1000 = 1000: inside; max ts
        [], [],
        # v3 at 3001 moves stream time past bob's window (2000 + 1000 < 3001): v2, never
        # matched, comes out with a null search and its own timestamp (v1 was matched)
        [("bob", "v2", "null", None, 2000)],
        [],                                          # s2 at 3000 < 3001: no trigger
        [], [],                                      # v3 (1001 after s1) is parked
        [],
        # s4 at 4001 joins v3 (exactly 1000 before) and v4 (901 before)
        [("ann", "v3", ann2, "s4", 4001), ("ann", "v4", "null", "s4", 4001)],
        [],                                          # both matched: no null result
        [],                                          # flush: nothing left
    ]
    assert [sorted(s.elements(), key=repr) for s in steps] == \
        [sorted(e, key=repr) for e in expected]
    # the brute force agrees with the hand-written expectation
    truth = ClickTruth(events, 0)
    assert truth.pairs == [Counter(o for o in e if o[3] is not None) for e in expected]
    assert truth.nulls == {("bob", "v2", "null", None, 2000): 5}
