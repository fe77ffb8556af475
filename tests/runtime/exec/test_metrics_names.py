"""Kafka Streams' metric names at task, node and store level, the thread sensors, the
snapshot's added sections and their Prometheus rendering.

Names and meanings: Kafka Streams' "Monitoring" docs (stream-thread-metrics,
stream-task-metrics, stream-processor-node-metrics, stream-state-metrics): counts are
``<op>-total``, ``record-lateness`` is stream time minus the record's timestamp, late
records of a windowed aggregation count in ``dropped-records-total``; store latencies
are DEBUG-level metrics (metrics.recording.level), in ns."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest

from runtime import Serdes, Stores, StreamsBuilder, TimeWindows, Topology
from runtime.errors import ConfigError
from runtime.exec.metrics import MetricsAggregator, ThreadMetrics
from runtime.exec.prometheus import PrometheusEndpoint, prometheus_port, render
from runtime.processor import Processor, PunctuationType, Record
from runtime.testing import TopologyTestDriver

S = Serdes.string()


class PutGetDelete(Processor):
    """Value "del" deletes the key; anything else reads it, then writes the value."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("kv")
        context.schedule(1000, PunctuationType.WALL_CLOCK_TIME, lambda ts: None)

    def process(self, record: Record) -> None:
        if record.value == "del":
            self.store.delete(record.key)
        else:
            self.store.get(record.key)
            self.store.put(record.key, record.value)


def kv_topology() -> Topology:
    builder = Stores.key_value_store_builder(Stores.in_memory_key_value_store("kv"), S, S)
    return (Topology().add_source("src", "in", key_serde=S, value_serde=S)
            .add_processor("p", PutGetDelete, "src").add_state_store(builder, "p"))


def only_task(driver: TopologyTestDriver) -> Any:
    (task,) = driver.tasks
    return task


def test_store_operation_counts_and_debug_latencies() -> None:
    config = {"metrics.recording.level": "DEBUG"}
    with TopologyTestDriver(kv_topology(), config) as driver:
        src = driver.create_input_topic("in", S, S)
        for i in range(7):
            src.pipe_input(f"k{i % 3}", f"v{i}", i)
        src.pipe_input("k0", "del", 10)
        src.pipe_input("k9", "del", 11)        # deleting a missing key is still a delete
        metrics = only_task(driver).store_metrics()["kv"]
    assert (metrics["put-total"], metrics["get-total"], metrics["delete-total"]) == (7, 7, 2)
    assert metrics["num-entries"] == 2
    for op in ("put", "get", "delete"):
        assert metrics[f"{op}-latency-avg"] > 0
        assert metrics[f"{op}-latency-max"] >= metrics[f"{op}-latency-avg"]
    assert metrics["put-if-absent-latency-avg"] is None     # never called: Kafka's NaN


def test_store_latencies_are_not_measured_at_info_level() -> None:
    with TopologyTestDriver(kv_topology()) as driver:
        driver.create_input_topic("in", S, S).pipe_input("a", "1", 0)
        metrics = only_task(driver).store_metrics()["kv"]
    assert metrics["put-total"] == 1
    assert not [name for name in metrics if "latency" in name]


def test_late_records_are_dropped_and_lateness_recorded() -> None:
    builder = StreamsBuilder()
    (builder.stream("in", key_serde=S, value_serde=S).group_by_key()
     .windowed_by(TimeWindows.of_size_and_grace(10, 20)).count())
    with TopologyTestDriver(builder.build(), {"metrics.recording.level": "DEBUG"}) as driver:
        src = driver.create_input_topic("in", S, S)
        src.pipe_input("a", "x", 100)
        # Close time = stream time - grace = 80; a window whose end is <= 80 is closed.
        src.pipe_input("a", "x", 50)   # window [50, 60): closed, dropped
        src.pipe_input("a", "x", 95)   # window [90, 100): open, 5 ms late
        src.pipe_input("a", "x", 120)
        metrics = only_task(driver).task_metrics()
        (window_store,) = only_task(driver).store_metrics().values()
    # One window per record (tumbling): the three accepted records are one put each.
    assert window_store["put-total"] == 3
    assert window_store["put-latency-max"] >= window_store["put-latency-avg"] > 0
    # KStreamWindowAggregate: "Skipping record for expired window" → dropped-records.
    assert metrics["dropped-records-total"] == 1
    assert metrics["process-total"] == 4
    assert metrics["record-lateness-max"] == 50
    assert metrics["record-lateness-avg"] == pytest.approx((0 + 50 + 5 + 0) / 4)
    assert metrics["stream-time"] == 120


def test_punctuate_and_node_totals() -> None:
    with TopologyTestDriver(kv_topology()) as driver:
        src = driver.create_input_topic("in", S, S)
        for i in range(3):
            src.pipe_input("k", str(i), i)
        driver.advance_wall_clock_time(1000)
        driver.advance_wall_clock_time(1000)
        task = only_task(driver)
        assert task.task_metrics()["punctuate-total"] == 2
        assert task.node_metrics()["p"]["process-total"] == 3
        assert task.node_metrics()["src"]["process-total"] == 3


def test_thread_sensors_and_snapshot_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr("runtime.exec.metrics.time.monotonic", lambda: clock[0])
    thread = ThreadMetrics("app-StreamThread-1")
    thread.process.record(0.010, n=10)        # 10 records in 10 ms: 1 ms each
    thread.process.record(0.006, n=2)         # 3 ms each
    thread.poll.record(0.002)
    thread.commit.record(0.004)
    aggregator = MetricsAggregator("app")
    partitions = [{"topic": "in", "partition": 0, "lag": 7}, {"topic": "in", "partition": 1, "lag": 3}]
    thread.publish(state="RUNNING", tasks=["0_0"], nodes={"src": {"process-total": 12}},
                   partitions=partitions, task_metrics={"0_0": {"process-total": 12}},
                   stores={"0_0": {"kv": {"put-total": 4}}})
    first = aggregator.snapshot("RUNNING", [thread.part()])
    t = first["threads"]["app-StreamThread-1"]
    assert (t["process-total"], t["poll-total"], t["commit-total"], t["punctuate-total"]) == (12, 1, 1, 0)
    assert t["process-latency-avg"] == pytest.approx(16 / 12)    # ms per record
    assert t["process-latency-max"] == pytest.approx(3.0)
    assert t["punctuate-latency-avg"] is None
    assert t["records-lag-max"] == 7
    # Backward compatible: the keys the studio and frontend read are still there.
    assert first["nodes"]["src"] == {"process-total": 12, "process-rate": 0.0}
    assert set(first) >= {"application_id", "timestamp", "state", "tasks", "nodes", "partitions",
                          "samples", "errors", "totals"}

    thread.process.record(0.004, n=8)
    clock[0] = 102.0
    thread.publish(state="RUNNING", tasks=["0_0"], nodes={"src": {"process-total": 20}},
                   partitions=partitions, task_metrics={"0_0": {"process-total": 20}},
                   stores={"0_0": {"kv": {"put-total": 10}}})
    second = aggregator.snapshot("RUNNING", [thread.part()])
    t = second["threads"]["app-StreamThread-1"]
    assert t["process-rate"] == pytest.approx(4.0)                # 8 records in 2 s
    assert t["process-latency-avg"] == pytest.approx(0.5)         # window restarted
    assert t["poll-latency-avg"] is None
    assert second["nodes"]["src"]["process-rate"] == pytest.approx(4.0)
    assert second["task_metrics"]["0_0"]["process-rate"] == pytest.approx(4.0)
    assert second["stores"]["0_0"]["kv"]["put-rate"] == pytest.approx(3.0)


def test_active_process_ratio_and_restore_total(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [10.0]
    monkeypatch.setattr("runtime.exec.metrics.time.monotonic", lambda: clock[0])
    thread = ThreadMetrics("t")
    thread.task_busy["0_0"] = 0.5
    thread.restored["0_0"] = 42
    clock[0] = 12.0
    tasks: dict[str, dict[str, Any]] = {"0_0": {}, "0_1": {}}
    thread.task_window(tasks)
    assert tasks["0_0"]["active-process-ratio"] == pytest.approx(0.25)
    assert tasks["0_1"]["active-process-ratio"] == 0.0
    assert (tasks["0_0"]["restore-total"], tasks["0_1"]["restore-total"]) == (42, 0)
    assert thread.task_busy == {}


SNAPSHOT = {
    "application_id": "wc", "state": "RUNNING", "tasks": ["0_0"],
    "nodes": {"KSTREAM-SOURCE-0000000000": {"process-total": 5, "process-rate": 1.5}},
    "partitions": [{"topic": "lines", "partition": 0, "committed": 3, "end_offset": 5, "lag": 2}],
    "totals": {"records-in": 5, "records-out": 4},
    "threads": {"wc-1-StreamThread-1": {"process-total": 5, "process-rate": 2.5,
                                        "poll-latency-avg": None}},
    "task_metrics": {"0_0": {"dropped-records-total": 1}},
    "stores": {"0_0": {'we"ird\\store': {"put-total": 3}}},
}


def test_prometheus_text_format() -> None:
    text = render(SNAPSHOT)
    lines = text.splitlines()
    assert "# TYPE kafka_streams_stream_thread_metrics_process_total counter" in lines
    assert "# TYPE kafka_streams_stream_thread_metrics_process_rate gauge" in lines
    assert ('kafka_streams_stream_thread_metrics_process_rate{application_id="wc",'
            'thread_id="wc-1-StreamThread-1"} 2.5') in lines
    assert ('kafka_streams_stream_thread_metrics_poll_latency_avg{application_id="wc",'
            'thread_id="wc-1-StreamThread-1"} NaN') in lines
    assert ('kafka_streams_stream_task_metrics_dropped_records_total{application_id="wc",'
            'task_id="0_0"} 1') in lines
    assert ('kafka_streams_stream_processor_node_metrics_process_total{application_id="wc",'
            'processor_node_id="KSTREAM-SOURCE-0000000000"} 5') in lines
    assert ('kafka_streams_stream_state_metrics_put_total{application_id="wc",task_id="0_0",'
            'state_id="we\\"ird\\\\store"} 3') in lines
    assert ('kafka_consumer_consumer_fetch_manager_metrics_records_lag{application_id="wc",'
            'topic="lines",partition="0"} 2') in lines
    # every family's TYPE line comes once, right before its samples
    types = [line for line in lines if line.startswith("# TYPE")]
    assert len(types) == len(set(types))


def test_prometheus_endpoint_serves_the_snapshot() -> None:
    endpoint = PrometheusEndpoint(0, lambda: SNAPSHOT, host="127.0.0.1")   # 0: any free port
    endpoint.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{endpoint.port}/metrics", timeout=5) as reply:
            assert reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            assert reply.read().decode() == render(SNAPSHOT)
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{endpoint.port}/other", timeout=5)
    finally:
        endpoint.close()


@pytest.mark.parametrize("value", ["x", -1, 70000, True])
def test_prometheus_port_is_checked(value: Any) -> None:
    with pytest.raises(ConfigError):
        prometheus_port({"riffle.metrics.prometheus.port": value})
    assert prometheus_port({}) == 0


def sink_topology() -> Topology:
    return (Topology().add_source("src", "in", key_serde=S, value_serde=S)
            .add_sink("out", "output", "src", key_serde=S, value_serde=S))


def test_end_to_end_latency_of_sinks_is_wall_clock_minus_record_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # Kafka Streams' record-e2e-latency at a terminal node: the system time when the
    # record has been processed minus the record's timestamp, averaged over the window.
    clock = [100.0]
    monkeypatch.setattr("runtime.exec.metrics.time.monotonic", lambda: clock[0])
    aggregator = MetricsAggregator("app")
    thread = ThreadMetrics("t")
    with TopologyTestDriver(sink_topology(), initial_wall_clock_time=10_000) as driver:
        src = driver.create_input_topic("in", S, S)
        task = only_task(driver)

        def snapshot() -> dict[str, Any]:
            thread.publish(state="RUNNING", tasks=["0_0"], nodes=task.node_metrics(), partitions=[],
                           task_metrics={}, stores={})
            return aggregator.snapshot("RUNNING", [thread.part()])

        first = snapshot()
        assert first["nodes"]["out"]["record-e2e-latency-avg"] is None     # nothing yet
        assert "record-e2e-latency-avg" not in first["nodes"]["src"]        # sinks only
        src.pipe_input("k", "a", 9_000)         # 1 s old when written
        src.pipe_input("k", "b", 7_000)         # 3 s old
        clock[0] = 101.0
        second = snapshot()["nodes"]["out"]
        assert second["record-e2e-latency-avg"] == pytest.approx(2_000)
        assert "record-e2e-latency-sum-rate" not in second and "record-e2e-latency-count-rate" not in second
        driver.advance_wall_clock_time(5_000)   # wall clock 15 000
        src.pipe_input("k", "c", 14_500)        # only this record is in the next window
        clock[0] = 102.0
        assert snapshot()["nodes"]["out"]["record-e2e-latency-avg"] == pytest.approx(500)
        clock[0] = 103.0
        assert snapshot()["nodes"]["out"]["record-e2e-latency-avg"] is None  # an idle window
