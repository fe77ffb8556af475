"""Windowed stream-stream joins (inner, left, outer) against Kafka Streams 3.1+ semantics.

Expected outputs are worked out by hand from the rules of Kafka's KStreamKStreamJoin
(the processor behind KStreamKStreamJoinTest, KStreamKStreamLeftJoinTest and
KStreamKStreamOuterJoinTest) and the "Kafka Streams join semantics" tables:
- a record at ``t`` of the left stream joins right records in ``[t - before, t + after]``
  (a right record at ``t``: left records in ``[t - after, t + before]``), and the result
  carries ``max`` of the two timestamps;
- left/outer joins (KIP-633, JoinWindows.ofTimeDifference*): a record without a partner
  is emitted with null only once stream time (max over both inputs) passes
  ``t + after + grace`` (left record) or ``t + before + grace`` (right record), carrying
  its own timestamp, and never if a partner arrives in time; the non-joins come out
  before the result of the record that closed their window, oldest first (the outer
  store's order: timestamp, then side byte with right = 0 and left = 1, then key);
- a record whose window has already ended when it arrives is emitted as a non-join at
  once (the "timeTo < streamTime" branch that KStreamKStreamLeftJoinTest's
  testLowerWindowBound exercises);
- the join stores keep ``before + after + grace`` of stream time, so a record later than
  that no longer joins (grace, KIP-633).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from runtime import JoinWindows, Serdes, StreamsBuilder
from runtime.testing import TopologyTestDriver

S = Serdes.string()


def plus(left: object, right: object) -> str:
    # Kafka's MockValueJoiner.TOSTRING_JOINER: "left+right", null printed as null
    return f"{'null' if left is None else left}+{'null' if right is None else right}"


def build(kind: str, windows: JoinWindows, **kwargs: object):  # type: ignore[no-untyped-def]
    b = StreamsBuilder()
    left = b.stream("topic", key_serde=S, value_serde=S)
    right = b.stream("other-topic", key_serde=S, value_serde=S)
    getattr(left, kind)(right, plus, windows, **kwargs).to("out", key_serde=S, value_serde=S)
    return b.build()


class Run:
    def __init__(self, driver: TopologyTestDriver) -> None:
        self.left = driver.create_input_topic("topic", S, S)
        self.right = driver.create_input_topic("other-topic", S, S)
        self.out = driver.create_output_topic("out", S, S)

    def read(self) -> list[tuple[str, str, int]]:
        return [(r.key, r.value, r.timestamp) for r in self.out.read_records_to_list()]


# Kafka's StreamsGraphTest#expectedJoinedTopology: stream("topic").join(stream("other-topic"), ...)
EXPECTED_JOINED_TOPOLOGY = (
    "Topologies:\n"
    "   Sub-topology: 0\n"
    "    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n"
    "      --> KSTREAM-WINDOWED-0000000002\n"
    "    Source: KSTREAM-SOURCE-0000000001 (topics: [other-topic])\n"
    "      --> KSTREAM-WINDOWED-0000000003\n"
    "    Processor: KSTREAM-WINDOWED-0000000002 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n"
    "      --> KSTREAM-JOINTHIS-0000000004\n"
    "      <-- KSTREAM-SOURCE-0000000000\n"
    "    Processor: KSTREAM-WINDOWED-0000000003 (stores: [KSTREAM-JOINOTHER-0000000005-store])\n"
    "      --> KSTREAM-JOINOTHER-0000000005\n"
    "      <-- KSTREAM-SOURCE-0000000001\n"
    "    Processor: KSTREAM-JOINOTHER-0000000005 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n"
    "      --> KSTREAM-MERGE-0000000006\n"
    "      <-- KSTREAM-WINDOWED-0000000003\n"
    "    Processor: KSTREAM-JOINTHIS-0000000004 (stores: [KSTREAM-JOINOTHER-0000000005-store])\n"
    "      --> KSTREAM-MERGE-0000000006\n"
    "      <-- KSTREAM-WINDOWED-0000000002\n"
    "    Processor: KSTREAM-MERGE-0000000006 (stores: [])\n"
    "      --> none\n"
    "      <-- KSTREAM-JOINTHIS-0000000004, KSTREAM-JOINOTHER-0000000005\n\n")


def test_describe_matches_kafka_for_a_simple_join() -> None:
    b = StreamsBuilder()
    left = b.stream("topic", key_serde=S, value_serde=S)
    right = b.stream("other-topic", key_serde=S, value_serde=S)
    left.join(right, plus, JoinWindows.of_time_difference_with_no_grace(timedelta(seconds=5)))
    assert str(b.build().describe()) == EXPECTED_JOINED_TOPOLOGY


def test_left_join_names_follow_kafka() -> None:
    # KStreamKStreamLeftJoinTest / StreamsBuilderTest (named left join): this side keeps
    # JOINTHIS, the other side becomes OUTEROTHER, and the shared store borrows the
    # JOINTHIS index: KSTREAM-OUTERSHARED-0000000004-store.
    text = str(build("left_join", JoinWindows.of_time_difference_with_no_grace(10)).describe())
    for name in ("KSTREAM-JOINTHIS-0000000004", "KSTREAM-OUTEROTHER-0000000005",
                 "KSTREAM-OUTERSHARED-0000000004-store", "KSTREAM-MERGE-0000000006"):
        assert name in text
    named = build("outer_join", JoinWindows.of_time_difference_with_no_grace(10), name="j")
    text = str(named.describe())
    for name in ("j-this-windowed", "j-other-windowed", "j-outer-this-join",
                 "j-outer-other-join", "j-merge", "KSTREAM-OUTERTHIS-0000000004-store",
                 "KSTREAM-OUTEROTHER-0000000005-store", "KSTREAM-OUTERSHARED-0000000004-store"):
        assert name in text


def test_store_name_names_the_join_stores_and_changelogs() -> None:
    # StreamJoined.withStoreName: <name>-this-join-store, <name>-outer-other-join-store,
    # <name>-left-shared-join-store; window changelogs are delete-only (duplicates).
    topology = build("left_join", JoinWindows.of_time_difference_and_grace(10, 5),
                     store_name="clicks")
    specs = {s.name: s for s in topology.internal_topics("app")}
    assert set(specs) == {"app-clicks-this-join-store-changelog",
                          "app-clicks-outer-other-join-store-changelog",
                          "app-clicks-left-shared-join-store-changelog"}
    window = specs["app-clicks-this-join-store-changelog"].config
    assert window["cleanup.policy"] == "delete"
    assert window["retention.ms"] == str(20 + 5 + 24 * 60 * 60 * 1000)
    assert specs["app-clicks-left-shared-join-store-changelog"].config.get(
        "cleanup.policy", "compact") == "compact"


def test_inner_join_within_and_outside_the_window_with_max_timestamps() -> None:
    with TopologyTestDriver(build("join", JoinWindows.of_time_difference_with_no_grace(100))) as d:
        run = Run(d)
        run.left.pipe_input("k", "A", timestamp=0)
        run.right.pipe_input("k", "a", timestamp=100)    # |100 - 0| <= 100: joins
        run.right.pipe_input("k", "b", timestamp=101)    # 101 - 0 > 100: no join
        assert run.read() == [("k", "A+a", 100)]
        run.left.pipe_input("k", "B", timestamp=201)     # joins b (100 apart), not a (101)
        assert run.read() == [("k", "B+b", 201)]
        run.left.pipe_input("k", "C", timestamp=250)     # joins b? 250 - 101 > 100: no
        assert run.read() == []
        # an earlier right record joins both B and C; timestamps are the max of the pair
        run.right.pipe_input("k", "c", timestamp=200)
        assert run.read() == [("k", "B+c", 201), ("k", "C+c", 250)]
        run.right.pipe_input("other", "x", timestamp=250)  # other key: nothing
        assert run.read() == []


def test_after_window_is_asymmetric() -> None:
    # before = 0, after = 100: a left record at t joins right records in [t, t + 100]
    windows = JoinWindows.of_time_difference_with_no_grace(0).after(100)
    with TopologyTestDriver(build("join", windows)) as d:
        run = Run(d)
        run.left.pipe_input("k", "A", timestamp=1000)
        run.right.pipe_input("k", "a", timestamp=999)    # before the left record: no
        run.right.pipe_input("k", "b", timestamp=1000)
        run.right.pipe_input("k", "c", timestamp=1100)
        run.right.pipe_input("k", "d", timestamp=1101)   # beyond after: no
        assert run.read() == [("k", "A+b", 1000), ("k", "A+c", 1100)]


def test_before_window_is_asymmetric() -> None:
    # before = 100, after = 0: a left record at t joins right records in [t - 100, t];
    # a right record at t joins left records in [t, t + 100]
    windows = JoinWindows.of_time_difference_with_no_grace(0).before(100)
    with TopologyTestDriver(build("join", windows)) as d:
        run = Run(d)
        run.right.pipe_input("k", "a", timestamp=899)
        run.right.pipe_input("k", "b", timestamp=900)
        run.left.pipe_input("k", "A", timestamp=1000)    # joins b only
        assert run.read() == [("k", "A+b", 1000)]
        run.right.pipe_input("k", "c", timestamp=1000)   # joins A (same time)
        run.right.pipe_input("k", "d", timestamp=1001)   # A is before d: no
        assert run.read() == [("k", "A+c", 1000)]


def test_left_join_emits_a_non_join_only_once_the_window_and_grace_have_passed() -> None:
    windows = JoinWindows.of_time_difference_and_grace(100, 50)
    with TopologyTestDriver(build("left_join", windows)) as d:
        run = Run(d)
        run.left.pipe_input("k1", "A", timestamp=0)
        run.right.pipe_input("k2", "a", timestamp=100)
        assert run.read() == []                           # no spurious A+null
        run.left.pipe_input("k2", "B", timestamp=150)     # joins a; A closes after 150
        assert run.read() == [("k2", "B+a", 150)]
        # stream time 151 > 0 + 100 + 50: A's window has closed. A+null comes first, with
        # A's own timestamp; C itself waits.
        run.left.pipe_input("k3", "C", timestamp=151)
        assert run.read() == [("k1", "A+null", 0)]
        run.left.pipe_input("k4", "D", timestamp=300)
        assert run.read() == []                           # C closes only after 301
        # an out-of-order right record within grace still joins D, so D never gives D+null
        run.right.pipe_input("k4", "d", timestamp=250)
        assert run.read() == [("k4", "D+d", 300)]
        run.right.pipe_input("k9", "z", timestamp=400)    # right non-joins: never in a left join
        assert run.read() == [("k3", "C+null", 151)]
        run.left.pipe_input("k5", "E", timestamp=1000)
        assert run.read() == []                           # D was matched; z is a right record


def test_left_join_emits_a_record_that_arrives_after_its_window_at_once() -> None:
    with TopologyTestDriver(build("left_join", JoinWindows.of_time_difference_with_no_grace(10))) as d:
        run = Run(d)
        run.left.pipe_input("k1", "A", timestamp=100)
        run.left.pipe_input("k2", "B", timestamp=200)     # closes A (100 + 10 < 200)
        assert run.read() == [("k1", "A+null", 100)]
        run.left.pipe_input("k3", "L", timestamp=50)      # 50 + 10 < 200: emitted now
        assert run.read() == [("k3", "L+null", 50)]


def test_outer_join_emits_both_sides_once_closed() -> None:
    with TopologyTestDriver(build("outer_join", JoinWindows.of_time_difference_with_no_grace(10))) as d:
        run = Run(d)
        run.left.pipe_input("k1", "A", timestamp=0)
        run.right.pipe_input("k2", "b", timestamp=5)
        assert run.read() == []
        run.left.pipe_input("k3", "C", timestamp=20)      # closes A (0+10) and b (5+10)
        assert run.read() == [("k1", "A+null", 0), ("k2", "null+b", 5)]
        run.right.pipe_input("k3", "c", timestamp=25)     # C still open (20 + 10 >= 25)
        assert run.read() == [("k3", "C+c", 25)]
        run.right.pipe_input("k4", "d", timestamp=100)
        run.left.pipe_input("k5", "E", timestamp=200)     # d closes; C was matched
        assert run.read() == [("k4", "null+d", 100)]


def test_late_records_beyond_grace_no_longer_join() -> None:
    windows = JoinWindows.of_time_difference_and_grace(10, 5)   # stores keep 10+10+5 = 25 ms
    with TopologyTestDriver(build("join", windows)) as d:
        run = Run(d)
        run.left.pipe_input("k", "A", timestamp=100)
        run.left.pipe_input("x", "X", timestamp=120)      # left stream time 120
        run.right.pipe_input("k", "a", timestamp=95)      # late, but within grace: joins
        assert run.read() == [("k", "A+a", 100)]
    with TopologyTestDriver(build("join", windows)) as d:
        run = Run(d)
        run.left.pipe_input("k", "A", timestamp=100)
        run.left.pipe_input("x", "X", timestamp=200)      # A is now out of the store
        run.right.pipe_input("y", "Y", timestamp=200)
        run.right.pipe_input("k", "a", timestamp=95)      # too late: dropped
        run.left.pipe_input("k", "B", timestamp=96)       # too late as well
        assert run.read() == []


def test_duplicates_within_the_window_join_each_time() -> None:
    with TopologyTestDriver(build("join", JoinWindows.of_time_difference_with_no_grace(100))) as d:
        run = Run(d)
        run.left.pipe_input("k", "A1", timestamp=0)
        run.left.pipe_input("k", "A2", timestamp=0)       # same key and time: kept too
        run.right.pipe_input("k", "a", timestamp=50)
        assert run.read() == [("k", "A1+a", 50), ("k", "A2+a", 50)]
        run.right.pipe_input("k", "a", timestamp=50)      # a duplicate right record
        assert run.read() == [("k", "A1+a", 50), ("k", "A2+a", 50)]
        run.left.pipe_input("k", "A3", timestamp=10)
        assert run.read() == [("k", "A3+a", 50), ("k", "A3+a", 50)]


def test_null_keys_and_values_are_skipped_except_left_non_joins() -> None:
    with TopologyTestDriver(build("left_join", JoinWindows.of_time_difference_with_no_grace(10))) as d:
        run = Run(d)
        run.left.pipe_input("k", None, timestamp=0)       # null value: dropped
        run.right.pipe_input(None, "a", timestamp=0)      # null key on the right: dropped
        run.left.pipe_input(None, "N", timestamp=1)       # null key, left join: at once (KIP-962)
        assert run.read() == [(None, "N+null", 1)]


def test_key_changing_streams_are_repartitioned_and_copartitioned() -> None:
    b = StreamsBuilder()
    left = b.stream("topic", key_serde=S, value_serde=S).select_key(lambda k, v: v)
    right = b.stream("other-topic", key_serde=S, value_serde=S).map(lambda k, v: (v, k))
    left.join(right, plus, JoinWindows.of_time_difference_with_no_grace(10), name="j",
              key_serde=S, value_serde=S, other_value_serde=S).to("out", key_serde=S,
                                                                 value_serde=S)
    topology = b.build()
    text = str(topology.describe())
    assert "Sink: j-left-repartition-sink (topic: j-left-repartition)" in text
    assert "Sink: j-right-repartition-sink (topic: j-right-repartition)" in text
    assert topology.copartition_groups("app") == [["app-j-left-repartition",
                                                   "app-j-right-repartition"]]
    with TopologyTestDriver(topology) as d:
        run = Run(d)
        run.left.pipe_input("a", "K", timestamp=0)        # re-keyed to K
        run.right.pipe_input("v", "K", timestamp=5)       # re-keyed to K, value v
        assert run.read() == [("K", "K+v", 5)]


def test_join_windows_api_and_validation() -> None:
    w = JoinWindows.of_time_difference_and_grace(timedelta(seconds=1), 200)
    assert (w.before_ms, w.after_ms, w.grace_period_ms(), w.size()) == (1000, 1000, 200, 2000)
    assert w.before(10) == JoinWindows(10, 1000, 200)
    assert w.after(-5).size() == 995                      # one bound may be negative
    assert JoinWindows.of_time_difference_with_no_grace(5).grace_period_ms() == 0
    with pytest.raises(ValueError, match="must not be negative"):
        JoinWindows.of_time_difference_with_no_grace(-1)
    with pytest.raises(ValueError, match="must not be negative"):
        JoinWindows.of_time_difference_with_no_grace(5).before(-6)
    with pytest.raises(ValueError, match="Grace period must not be negative"):
        JoinWindows.of_time_difference_and_grace(5, -1)
    b = StreamsBuilder()
    s1, s2 = b.stream("a"), b.stream("b")
    with pytest.raises(TypeError, match="JoinWindows"):
        s1.join(s2, plus)
    with pytest.raises(TypeError):
        s1.outer_join(b.table("c"), plus, JoinWindows.of_time_difference_with_no_grace(1))


def test_the_internal_emit_interval_throttles_non_join_emission_by_wall_clock() -> None:
    # Kafka's InternalConfig.EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX:
    # the outer store is scanned at most once per interval of wall-clock time (Kafka's
    # own join tests set it to 0, which is this engine's default).
    from runtime.processors.stream_stream_join import EMIT_INTERVAL_CONFIG

    topology = build("left_join", JoinWindows.of_time_difference_with_no_grace(10))
    with TopologyTestDriver(topology, config={EMIT_INTERVAL_CONFIG: 1000}) as d:
        run = Run(d)
        run.left.pipe_input("k1", "A", timestamp=0)       # scans (an empty store) at 0 ms
        run.left.pipe_input("k2", "B", timestamp=20)      # A closed, but the scan waits
        run.left.pipe_input("k3", "C", timestamp=40)
        assert run.read() == []
        d.advance_wall_clock_time(1000)
        run.left.pipe_input("k4", "D", timestamp=41)      # C (40 + 10) is still open
        assert run.read() == [("k1", "A+null", 0), ("k2", "B+null", 20)]
        run.left.pipe_input("k5", "E", timestamp=100)     # throttled again until 2000 ms
        assert run.read() == []


def test_self_join_sees_each_record_through_both_stores() -> None:
    # KStreamKStreamSelfJoinTest (unoptimized): the this-side join looks up the other
    # store before the other-side windowed processor has stored the record.
    b = StreamsBuilder()
    s = b.stream("topic", key_serde=S, value_serde=S)
    s.join(s, plus, JoinWindows.of_time_difference_with_no_grace(100)).to(
        "out", key_serde=S, value_serde=S)
    with TopologyTestDriver(b.build()) as d:
        run = Run(d)
        run.left.pipe_input("k", "A", timestamp=0)
        run.left.pipe_input("k", "B", timestamp=10)
        assert run.read() == [("k", "A+A", 0), ("k", "B+A", 10), ("k", "A+B", 10),
                              ("k", "B+B", 10)]
