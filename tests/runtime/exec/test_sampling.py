"""runtime.exec.sampling: rate-limited per-node samples and handler decisions, through a
real StreamTask on a mock clock (no broker)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from runtime import Serdes, StreamsBuilder, Topology
from runtime.errors import ConfigError, ProcessingError
from runtime.exec import ConsumedRecord, MockClock, StreamTask
from runtime.exec.engine_config import EngineConfig
from runtime.exec.sampling import RecordFeed


class ListCollector:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []

    def send(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Sequence[tuple[str, bytes]] | None = None,
             partition: int | None = None) -> None:
        self.sent.append((topic, key, value, timestamp))


def pipeline() -> Topology:
    b = StreamsBuilder()
    (b.stream("in", key_serde=Serdes.string(), value_serde=Serdes.string(), name="source")
     .filter(lambda _k, v: v != "skip", name="keep")
     .map_values(lambda v: {"n": int(v) * 10}, name="times-ten")
     .to("out", key_serde=Serdes.string(), value_serde=Serdes.json(), name="sink"))
    return b.build()


def make(rate: float, config: dict[str, Any] | None = None, fail_callback: bool = False
         ) -> tuple[StreamTask, RecordFeed, MockClock, list[dict[str, Any]], list[dict[str, Any]]]:
    clock = MockClock(1_000_000)
    samples: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []

    def on_sample(sample: dict[str, Any]) -> None:
        if fail_callback:
            raise RuntimeError("a broken callback")
        samples.append(sample)

    feed = RecordFeed("t", rate, clock, on_sample, errors.append)
    task = StreamTask(pipeline(), 0, 0, application_id="s", collector=ListCollector(),
                      config=config or {}, clock=clock, records=feed)
    return task, feed, clock, samples, errors


def rec(offset: int, key: str, value: str, ts: int = 5) -> ConsumedRecord:
    return ConsumedRecord("in", 0, offset, ts, key.encode(), value.encode())


def test_a_node_gives_at_most_rate_samples_per_second() -> None:
    task, feed, clock, samples, _ = make(rate=3)
    # 10 seconds, 100 records a second (one every 10 ms); the thread refills per loop.
    offset = 0
    for _second in range(10):
        for _ in range(100):
            feed.refill()
            task.process(rec(offset, f"k{offset}", str(offset)))
            offset += 1
            clock.advance(10)
    per_node: dict[str, int] = {}
    for sample in samples:
        per_node[sample["node"]] = per_node.get(sample["node"], 0) + 1
    assert per_node == {"source": 30, "keep": 30, "times-ten": 30, "sink": 30}
    # and in every window the first records of it, not a later burst
    source_offsets = [s["offset"] for s in samples if s["node"] == "source"]
    assert source_offsets[:6] == [0, 1, 2, 100, 101, 102]


def test_a_rate_below_one_samples_once_every_few_seconds() -> None:
    task, feed, clock, samples, _ = make(rate=0.5)
    for offset in range(100):   # 10 s, one record every 100 ms
        feed.refill()
        task.process(rec(offset, "k", str(offset)))
        clock.advance(100)
    assert [s["offset"] for s in samples if s["node"] == "source"] == [0, 20, 40, 60, 80]


def test_samples_carry_what_each_node_passes_on() -> None:
    task, feed, clock, samples, _ = make(rate=5)
    feed.refill()
    task.process(rec(41, "a", "skip", ts=7))
    task.process(rec(42, "b", "4", ts=8))
    by_node = {(s["node"], s["offset"]): s for s in samples}
    # the filter forwards nothing for offset 41, so neither do the steps after it
    assert sorted(by_node) == [("keep", 42), ("sink", 42), ("source", 41), ("source", 42),
                               ("times-ten", 42)]
    assert by_node[("source", 41)]["value"] == "skip"
    assert by_node[("keep", 42)]["value"] == "4"
    assert by_node[("times-ten", 42)] == {
        "node": "times-ten", "task": "0_0", "topic": "in", "partition": 0, "offset": 42,
        "key": "b", "value": {"n": 40}, "timestamp": 8, "headers": []}
    assert by_node[("sink", 42)]["value"] == {"n": 40}


def test_sampling_off_touches_no_node() -> None:
    task, feed, clock, samples, _ = make(rate=0)
    feed.refill()
    task.process(rec(0, "a", "1"))
    assert samples == []
    nodes = task._nodes.values()  # noqa: SLF001
    assert all(node.sampler is None and node.context.sampler is None for node in nodes if node.context)


def test_a_failing_callback_never_stops_processing() -> None:
    task, feed, clock, _, _ = make(rate=100, fail_callback=True)
    collector = task._collector  # noqa: SLF001
    feed.refill()
    for offset in range(5):
        task.process(rec(offset, "a", str(offset)))
    assert len(collector.sent) == 5
    assert feed.callback_failures == 20   # 4 nodes x 5 records, each caught


def test_a_new_task_is_sampled_before_the_next_window() -> None:
    # The thread's first refill ran before any task existed; the first records of a
    # new task (often all there is) are still sampled, within the per-window budget.
    clock = MockClock(0)
    samples: list[dict[str, Any]] = []
    feed = RecordFeed("t", 2, clock, samples.append, None)
    feed.refill()
    clock.advance(10)
    task = StreamTask(pipeline(), 0, 0, application_id="s", collector=ListCollector(),
                      config={}, clock=clock, records=feed)
    for offset in range(5):
        task.process(rec(offset, "k", str(offset)))
    assert [s["offset"] for s in samples if s["node"] == "source"] == [0, 1]


def test_a_closed_task_leaves_the_buckets() -> None:
    task, feed, clock, samples, _ = make(rate=2)
    feed.refill()
    task.close()
    clock.advance(1000)
    feed.refill()
    nodes = task._nodes.values()  # noqa: SLF001
    assert all(node.sampler is None and (node.context is None or node.context.sampler is None)
               for node in nodes)


def test_errors_carry_the_record_and_the_decision() -> None:
    def explode(_k: Any, v: Any) -> Any:
        raise ValueError(f"bad {v}")

    b = StreamsBuilder()
    (b.stream("in", key_serde=Serdes.string(), value_serde=Serdes.json(), name="source")
     .map_values(lambda v: explode(None, v) if v.get("poison") else v, name="check")
     .to("out", key_serde=Serdes.string(), value_serde=Serdes.json(), name="sink"))
    topology = b.build()
    errors: list[dict[str, Any]] = []
    cases = [
        ({"processing.exception.handler": "log-and-continue",
          "deserialization.exception.handler": "log-and-continue"}, "continued", None),
        ({"processing.exception.handler": "log-and-continue",
          "deserialization.exception.handler": "log-and-continue",
          "errors.dead.letter.queue.topic.name": "dlq"}, "dlq", "dlq"),
    ]
    for config, decision, dlq in cases:
        errors.clear()
        feed = RecordFeed("t", 0, MockClock(0), None, errors.append)
        task = StreamTask(topology, 0, 0, application_id="s", collector=ListCollector(),
                          config=config, clock=MockClock(0), records=feed)
        task.process(ConsumedRecord("in", 2, 7, 1, b"k1", b'{"ok": 1}'))
        task.process(ConsumedRecord("in", 2, 8, 1, b"k2", b'{"poison": true}'))
        task.process(ConsumedRecord("in", 2, 9, 1, b"k3", b"not json"))
        assert [(e["node"], e["offset"], e["key"], e["value"], e["decision"], e["dead_letter_topic"],
                 e["kind"], e["type"]) for e in errors] == [
            ("check", 8, b"k2", b'{"poison": true}', decision, dlq, "ProcessingError", "ValueError"),
            ("source", 9, b"k3", b"not json", decision, dlq, "DeserializationError",
             "SerializationError"),
        ]
        assert errors[0]["topic"] == "in" and errors[0]["partition"] == 2
        assert "ValueError" in errors[0]["message"] and "bad" in errors[0]["message"]

    errors.clear()
    feed = RecordFeed("t", 0, MockClock(0), None, errors.append)
    task = StreamTask(topology, 0, 0, application_id="s", collector=ListCollector(),
                      config={}, clock=MockClock(0), records=feed)
    with pytest.raises(ProcessingError):
        task.process(ConsumedRecord("in", 0, 3, 1, b"k", b'{"poison": 1}'))
    assert [(e["offset"], e["decision"]) for e in errors] == [(3, "failed")]
    json.dumps([{k: v for k, v in e.items() if k not in ("key", "value")} for e in errors])


def test_the_rate_is_validated() -> None:
    base = {"application.id": "a", "bootstrap.servers": "b:1"}
    assert EngineConfig.from_mapping(base).sample_rate == 0
    assert EngineConfig.from_mapping({**base, "riffle.sample.records.per.second": "2.5"}).sample_rate == 2.5
    for bad in (-1, "x", True, float("nan")):
        with pytest.raises(ConfigError):
            EngineConfig.from_mapping({**base, "riffle.sample.records.per.second": bad})
