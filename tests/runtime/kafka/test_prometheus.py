"""``riffle.metrics.prometheus.port``: a StreamsApp running Kafka Streams' word count
serves its metrics at /metrics under Kafka-like names, and the counts add up to the
input (every line is processed once by the source task, every word once by the
counting task)."""

from __future__ import annotations

import re
import socket
import urllib.request
from collections.abc import Callable

import pytest

from runtime.app import StreamsApp
from tests.runtime.kafka.helpers import dsl_word_count, make_lines, produce_lines, wait_for_output, wait_until, word_counts

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(120)]

# Prometheus' text format: a metric name is [a-zA-Z_:][a-zA-Z0-9_:]* (record_e2e_latency has digits).
_SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?P<labels>[^}]*)\} (?P<value>\S+)$')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scrape(port: int) -> dict[str, dict[str, float]]:
    """name -> {label text: value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    out: dict[str, dict[str, float]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        match = _SAMPLE.match(line)
        assert match, line
        out.setdefault(match["name"], {})[match["labels"]] = float(match["value"])
    return out


def _one(samples: dict[str, float], label: str) -> float:
    [value] = [v for labels, v in samples.items() if label in labels]
    return value


def test_word_count_metrics_are_scraped_with_kafka_names(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    lines_topic = create_topic("lines")
    counts_topic = create_topic("counts")
    lines = make_lines(120, seed=7)
    produce_lines(kafka_bootstrap, lines_topic, lines)
    expected = dict(word_counts(lines))
    words = sum(expected.values())
    port = _free_port()
    app = StreamsApp(dsl_word_count(lines_topic, counts_topic), {
        "application.id": unique_name("prom"), "bootstrap.servers": kafka_bootstrap,
        "commit.interval.ms": 200, "riffle.metrics.interval.ms": 200,
        "riffle.metrics.prometheus.port": port, "riffle.metrics.prometheus.host": "127.0.0.1",
    })
    app.start()
    try:
        wait_for_output(kafka_bootstrap, counts_topic, expected)

        def settled() -> dict[str, dict[str, float]] | None:
            scraped = _scrape(port)
            totals = scraped.get("kafka_streams_stream_thread_metrics_process_total", {})
            # Threads process the lines, then the words read back from the repartition topic.
            return scraped if sum(totals.values()) == len(lines) + words else None

        scraped = wait_until(settled, 30, "thread process-total to reach lines + words")
        assert _one(scraped["kafka_streams_stream_task_metrics_process_total"], 'task_id="0_0"') == len(lines)
        assert _one(scraped["kafka_streams_stream_task_metrics_process_total"], 'task_id="1_0"') == words
        assert _one(scraped["kafka_streams_stream_processor_node_metrics_process_total"],
                    'processor_node_id="KSTREAM-SOURCE-0000000000"') == len(lines)
        # KTABLE count: one put per word into the "counts" store (KStreamAggregate).
        assert _one(scraped["kafka_streams_stream_state_metrics_put_total"], 'state_id="counts"') == words
        assert _one(scraped["kafka_streams_stream_task_metrics_dropped_records_total"], 'task_id="0_0"') == 0
        for name in ("process_rate", "process_latency_avg", "process_latency_max", "poll_total", "poll_rate",
                     "poll_latency_avg", "commit_total", "commit_rate", "commit_latency_max",
                     "punctuate_total", "punctuate_rate"):
            assert f"kafka_streams_stream_thread_metrics_{name}" in scraped, name
        assert "kafka_streams_stream_task_metrics_record_lateness_max" in scraped
        assert "kafka_streams_stream_task_metrics_active_process_ratio" in scraped
        assert "kafka_consumer_consumer_fetch_manager_metrics_records_lag" in scraped
    finally:
        assert app.close(30)
    with pytest.raises(OSError):   # the endpoint closed with the app
        _scrape(port)
