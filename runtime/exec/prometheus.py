"""An optional Prometheus endpoint (``riffle.metrics.prometheus.port``) serving the
engine's metrics snapshot in the text exposition format, under the names Kafka Streams'
metrics get from the JMX exporter: ``kafka_streams_<group>_<metric>`` with the group's
tags as labels (``kafka_streams_stream_thread_metrics_process_rate{thread_id=...}``).

Written with ``http.server`` (no ``prometheus_client`` in the runtime's requirements);
the format is plain text, one sample a line."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from runtime.errors import ConfigError

__all__ = ["PORT_CONFIG", "PrometheusEndpoint", "prometheus_port", "render", "start_endpoint"]

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Sample = tuple[str, dict[str, str], Any]


def _samples(snapshot: Mapping[str, Any]) -> Iterator[Sample]:
    app = {"application_id": str(snapshot.get("application_id", ""))}
    for thread, values in (snapshot.get("threads") or {}).items():
        for name, value in values.items():
            yield "kafka_streams_stream_thread_metrics_" + name, {**app, "thread_id": thread}, value
    for task, values in (snapshot.get("task_metrics") or {}).items():
        for name, value in values.items():
            yield "kafka_streams_stream_task_metrics_" + name, {**app, "task_id": task}, value
    for node, values in (snapshot.get("nodes") or {}).items():
        for name, value in values.items():
            yield "kafka_streams_stream_processor_node_metrics_" + name, {**app, "processor_node_id": node}, value
    for task, by_store in (snapshot.get("stores") or {}).items():
        for store, values in by_store.items():
            for name, value in values.items():
                yield ("kafka_streams_stream_state_metrics_" + name,
                       {**app, "task_id": task, "state_id": store}, value)
    for p in snapshot.get("partitions") or ():
        labels = {**app, "topic": str(p["topic"]), "partition": str(p["partition"])}
        yield "kafka_consumer_consumer_fetch_manager_metrics_records_lag", labels, p.get("lag")
        yield "kafka_consumer_consumer_fetch_manager_metrics_committed_offset", labels, p.get("committed")
    for name, value in (snapshot.get("totals") or {}).items():
        yield "riffle_" + name, app, value


def _metric_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_:" else "_" for c in name)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: Any) -> str | None:
    if value is None:
        return "NaN"  # Kafka's value for a latency with no samples in its window
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None  # not a number (e.g. a string state): not exposed
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
    return repr(value) if isinstance(value, float) else str(value)


def render(snapshot: Mapping[str, Any]) -> str:
    """The snapshot as Prometheus text: every family once, with its TYPE line
    (``*_total`` counters, the rest gauges)."""
    families: dict[str, list[str]] = {}
    for raw_name, labels, value in _samples(snapshot):
        text = _number(value)
        if text is None:
            continue
        name = _metric_name(raw_name)
        label_text = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
        families.setdefault(name, []).append(f"{name}{{{label_text}}} {text}")
    lines: list[str] = []
    for name in sorted(families):
        kind = "counter" if name.endswith("_total") else "gauge"
        lines.append(f"# TYPE {name} {kind}")
        lines.extend(families[name])
    return "\n".join(lines) + "\n"


class PrometheusEndpoint:
    """``GET /metrics`` on a daemon thread, rendering ``snapshot()`` per scrape."""

    def __init__(self, port: int, snapshot: Callable[[], Mapping[str, Any]], host: str = "") -> None:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path.split("?", 1)[0] not in ("/metrics", "/"):
                    self.send_error(404)
                    return
                try:
                    body = render(endpoint._snapshot()).encode("utf-8")
                except Exception:  # a scrape must never hurt the engine
                    logger.warning("rendering metrics for Prometheus failed", exc_info=True)
                    self.send_error(500)
                    return
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                logger.debug("prometheus scrape: " + format, *args)

        self._snapshot = snapshot
        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"prometheus-{port}",
                                        daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()
        logger.info("Prometheus metrics on port %d (/metrics)", self.port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


PORT_CONFIG = "riffle.metrics.prometheus.port"
HOST_CONFIG = "riffle.metrics.prometheus.host"


def prometheus_port(config: Mapping[str, Any]) -> int:
    """``riffle.metrics.prometheus.port`` checked; 0 (the default) means off."""
    raw = config.get(PORT_CONFIG) or 0
    try:
        port = int(raw)
    except (TypeError, ValueError):
        port = -1
    if isinstance(raw, bool) or not 0 <= port <= 65535:
        raise ConfigError(f"{PORT_CONFIG} must be a port number (0 = off), got {raw!r}")
    return port


def start_endpoint(config: Mapping[str, Any],
                   snapshot: Callable[[], Mapping[str, Any]]) -> PrometheusEndpoint | None:
    """The endpoint the config asks for, serving; None when off. A port already in use
    is logged, not fatal: metrics must never stop the application."""
    port = prometheus_port(config)
    if port == 0:
        return None
    try:
        endpoint = PrometheusEndpoint(port, snapshot, host=str(config.get(HOST_CONFIG) or ""))
    except OSError as exc:
        logger.error("Prometheus endpoint on port %d unavailable: %s", port, exc)
        return None
    endpoint.start()
    return endpoint
