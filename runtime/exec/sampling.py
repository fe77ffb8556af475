"""Record samples and record errors for live views (Riffle's own; Kafka Streams has none).

**Samples.** With ``riffle.sample.records.per.second`` > 0, a stream thread hands a few
records per second *per node* to ``StreamsApp(on_sample=...)``: the record as the node
passes it on. For a source that is the deserialized input record; for a processor, what
it forwards (``context.forward``: a filter that drops a record yields no sample, a
flat-map may yield several); for a sink, what it writes (before serialization). So a
node's samples show its *output*, and the samples of consecutive nodes show what each
step did. Each sample also names the input record being processed (topic, partition,
offset; None during a punctuation) and the task.

Cost: a node due for a sample has ``node.sampler`` (and its context's ``sampler``) set;
otherwise they are None and the hot path pays one attribute test per forward (and per
record at sources and sinks), sampling on or off. The thread refills the
token buckets (one per node name, shared by the thread's tasks) from its loop, on the
injected clock; a bucket that runs dry clears ``sampler`` on its nodes until the next
window. Rates are per node per stream thread; below 1, one sample every ``1/rate`` s.

**Errors.** ``StreamsApp(on_error=...)`` hears of every record an exception handler
decided on (deserialization, processing, production at a sink or refused by the broker),
with the raw source record's key and value bytes (for a refused delivery, the output
record's: the source is long gone), where it happened, and the decision: ``continued``
(log-and-continue), ``dlq`` (written to the dead-letter queue, then continued) or
``failed`` (log-and-fail; the record may also have been dead-lettered).

Callbacks run on the stream thread and must be quick; an exception they raise is
caught and logged at most once per minute per thread: processing goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runtime.processor.internals.nodes import RuntimeNode
    from runtime.processor.record import Record

__all__ = [
    "DECISION_CONTINUED",
    "DECISION_DLQ",
    "DECISION_FAILED",
    "ErrorCallback",
    "NodeSampler",
    "RecordFeed",
    "SampleCallback",
]

logger = logging.getLogger(__name__)

SampleCallback = Callable[[dict[str, Any]], None]
ErrorCallback = Callable[[dict[str, Any]], None]

DECISION_CONTINUED = "continued"
DECISION_DLQ = "dlq"
DECISION_FAILED = "failed"

_WARN_EVERY_S = 60.0


class _Bucket:
    """The token bucket of one node name: ``tokens`` samples left in this window."""

    __slots__ = ("node", "tokens", "samplers")

    def __init__(self, node: str) -> None:
        self.node = node
        self.tokens = 0
        self.samplers: list[NodeSampler] = []

    def arm(self, tokens: int) -> None:
        self.tokens = tokens
        for sampler in self.samplers:
            sampler.enable(True)

    def disarm(self) -> None:
        self.tokens = 0
        for sampler in self.samplers:
            sampler.enable(False)


class NodeSampler:
    """Set as ``node.sampler`` while the node is due; :meth:`take` records one sample."""

    __slots__ = ("runtime_node", "host", "bucket", "feed")

    def __init__(self, runtime_node: RuntimeNode, host: Any, bucket: _Bucket, feed: RecordFeed) -> None:
        self.runtime_node = runtime_node
        self.host = host
        self.bucket = bucket
        self.feed = feed

    def enable(self, due: bool) -> None:
        """Set (or clear) this sampler where the hot path looks: on the node (sources and
        sinks) and on its context (processors' ``forward``)."""
        node = self.runtime_node
        node.sampler = self if due else None
        if node.context is not None:
            node.context.sampler = node.sampler

    def take(self, record: Record) -> None:
        bucket = self.bucket
        bucket.tokens -= 1
        if bucket.tokens <= 0:
            bucket.disarm()
        metadata = self.host.record_metadata()
        sample = {
            "node": bucket.node,
            "task": self.host.task_id_str,
            "topic": metadata[0] if metadata is not None else None,
            "partition": metadata[1] if metadata is not None else None,
            "offset": metadata[2] if metadata is not None else None,
            "key": record[0],
            "value": record[1],
            "timestamp": record[2],
            "headers": list(record[3]) if record[3] else [],
        }
        self.feed.emit_sample(sample)


class RecordFeed:
    """One stream thread's samples and record errors.

    :param rate: samples per second per node; 0 turns sampling off.
    :param clock: anything with ``now_ms()`` (the engine's injected clock).
    """

    def __init__(self, name: str, rate: float, clock: Any,
                 on_sample: SampleCallback | None, on_error: ErrorCallback | None) -> None:
        self.name = name
        self.sampling = rate > 0 and on_sample is not None
        if rate >= 1:
            self.window_ms, self.per_window = 1000, int(rate)
        elif rate > 0:
            self.window_ms, self.per_window = max(int(round(1000 / rate)), 1), 1
        else:
            self.window_ms, self.per_window = 0, 0
        self._clock = clock
        self._on_sample = on_sample
        self._on_error = on_error
        self._buckets: dict[str, _Bucket] = {}
        self._by_task: dict[int, list[NodeSampler]] = {}
        self._next_window = 0
        self._last_warning = 0.0
        self.samples = 0
        self.errors = 0
        self.callback_failures = 0

    # -- tasks ---------------------------------------------------------------------------
    def attach(self, host: Any, nodes: Any) -> None:
        """Sample ``nodes`` (a task's RuntimeNodes) from now on."""
        if not self.sampling:
            return
        samplers = []
        for node in nodes:
            bucket = self._buckets.get(node.name)
            if bucket is None:
                # A new node is due at once: the records a new task processes first
                # (often all there is, e.g. after a restart) are the ones worth seeing.
                bucket = self._buckets[node.name] = _Bucket(node.name)
                bucket.tokens = self.per_window
            sampler = NodeSampler(node, host, bucket, self)
            bucket.samplers.append(sampler)
            if bucket.tokens > 0:
                sampler.enable(True)
            samplers.append(sampler)
        self._by_task[id(host)] = samplers

    def detach(self, host: Any) -> None:
        for sampler in self._by_task.pop(id(host), ()):
            sampler.enable(False)
            sampler.bucket.samplers.remove(sampler)

    def refill(self) -> None:
        """Start a new window when the current one is over (the thread's loop calls this
        every iteration: one clock read)."""
        if not self.sampling:
            return
        now = self._clock.now_ms()
        if now < self._next_window:
            return
        self._next_window = now + self.window_ms
        for bucket in self._buckets.values():
            bucket.arm(self.per_window)

    # -- callbacks -----------------------------------------------------------------------
    def emit_sample(self, sample: dict[str, Any]) -> None:
        self.samples += 1
        self._call(self._on_sample, sample, "on_sample")

    def emit_error(self, error: Any, decision: str, key: bytes | None, value: bytes | None,
                   timestamp: int | None, dead_letter_topic: str | None) -> None:
        """``error`` is a RecordError; ``key``/``value``/``timestamp`` the raw source
        record's (None in a punctuation), or the output record's for a delivery the broker
        refused."""
        if self._on_error is None:
            return
        self.errors += 1
        cause = error.__cause__
        report = {
            "node": getattr(error, "node", None),
            "task": getattr(error, "task_id", None),
            "topic": getattr(error, "topic", None),
            "partition": getattr(error, "partition", None),
            "offset": getattr(error, "offset", None),
            "key": key,
            "value": value,
            "timestamp": timestamp,
            "kind": type(error).__name__,
            "type": type(cause).__name__ if cause is not None else type(error).__name__,
            "message": getattr(error, "detail", None) or str(error),
            "decision": decision,
            "dead_letter_topic": dead_letter_topic,
        }
        self._call(self._on_error, report, "on_error")

    def _call(self, callback: Callable[[dict[str, Any]], None] | None, payload: dict[str, Any],
              what: str) -> None:
        if callback is None:
            return
        try:
            callback(payload)
        except Exception:
            # The caller's code: never let it stop processing, never flood the log.
            self.callback_failures += 1
            now = time.monotonic()
            if now - self._last_warning >= _WARN_EVERY_S:
                self._last_warning = now
                logger.warning("%s: %s callback failed (%d failures so far)", self.name, what,
                               self.callback_failures, exc_info=True)
