"""Try a document on sample records without a broker: what flows out of every node.

:func:`trial_run` compiles a document, runs it in a :class:`TopologyTestDriver` and
plays an ordered list of steps: records piped to source topics (stream time moves with
their timestamps, as in Kafka) and wall-clock advances (which run wall-clock
punctuators). Every node's output is read through the engine's own sampling hook
(:mod:`runtime.exec.sampling`), given a window as large as the cap, so a node's records
are exactly what it passes on: a source's deserialized input, what a processor
forwards, what a sink writes. Records that reach output topics are read back from the
driver and decoded with their sink's serdes, as a consumer would see them.

Runtime processor names map back to document nodes as the studio's live samples do:
a node's id is the DSL ``name=``, so each processor is named after its node or derived
from it with a suffix (``<id>-repartition-sink``, ``<id>-<branch>``,
``<id>-cogroup-agg-<i>``); the longest matching id wins. Of a node's processors, those
whose successors belong to other nodes are its output (a grouping's repartition
source, a join's merge, each branch of a split); a node none of whose processors
leads elsewhere shows its last ones (a sink, a table nobody streams).

Failures while processing become :class:`TrialError` entries with the step and node;
under ``on_error="stop"`` (Kafka's log-and-fail handlers) the run ends at the first,
under ``"continue"`` (log-and-continue) the failing record is skipped and the run goes
on. A run also ends when it has used ``cpu_limit_s`` of CPU time: each expression
evaluation has its own deadline, this bounds the whole.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from runtime.config import (
    DESERIALIZATION_EXCEPTION_HANDLER,
    PROCESSING_EXCEPTION_HANDLER,
    PRODUCTION_EXCEPTION_HANDLER,
    StreamsConfig,
)
from runtime.errors import StreamsError
from runtime.exec.clock import MockClock
from runtime.exec.sampling import RecordFeed
from runtime.processors.change import Change
from runtime.serdes import Serde, Serdes, resolve_serde
from runtime.spec.compiler import compile_document
from runtime.spec.document import Document
from runtime.spec.errors import Problem, SpecError
from runtime.testing.driver import TopologyTestDriver

__all__ = [
    "AdvanceWallClock",
    "NodeOutput",
    "PipeRecord",
    "Step",
    "TrialError",
    "TrialLimits",
    "TrialRecord",
    "TrialResult",
    "document_node_for",
    "source_topics",
    "trial_run",
]

logger = logging.getLogger(__name__)

APPLICATION_ID = "try-it"


@dataclass(frozen=True)
class PipeRecord:
    """A record for a source topic; ``key`` and ``value`` are the values the source's
    serdes take (text for string, a number for long, anything JSON for json; text for
    bytes is its UTF-8). ``timestamp`` None: the driver's wall-clock time."""

    topic: str | None
    key: Any
    value: Any
    timestamp: int | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class AdvanceWallClock:
    """Move the wall clock on by ``ms`` and run the wall-clock punctuators now due."""

    ms: int


Step = PipeRecord | AdvanceWallClock


@dataclass(frozen=True)
class TrialLimits:
    records_per_node: int = 200
    records_per_topic: int = 200
    cpu_limit_s: float = 5.0


@dataclass(frozen=True)
class TrialRecord:
    key: Any
    value: Any
    timestamp: int
    step: int | None  # the step being played; None while the driver starts
    processor: str  # the runtime processor that passed it on (a split's branch, ...)


@dataclass
class NodeOutput:
    records: list[TrialRecord] = field(default_factory=list)
    truncated: bool = False
    # A node that compiles to no processor of its own (a grouping that needs no
    # repartition, a windowing) passes its input on unchanged: these are that input's.
    same_as: str | None = None


@dataclass(frozen=True)
class TrialError:
    step: int | None
    node_id: str | None
    processor: str | None
    kind: str  # DeserializationError | ProcessingError | ProductionError | CpuLimit | ...
    message: str
    decision: Literal["continued", "failed"]


@dataclass
class TrialResult:
    nodes: dict[str, NodeOutput]
    outputs: dict[str, NodeOutput]  # topic -> what was written (processor: the sink)
    errors: list[TrialError]
    steps_run: int
    stream_time_ms: int
    wall_clock_ms: int


def document_node_for(processor: str, node_ids: Iterable[str]) -> str | None:
    """The document node a runtime processor was compiled from: its own id, else the
    longest id it starts with followed by ``-``; None for none."""
    best: str | None = None
    for node_id in node_ids:
        if processor == node_id:
            return node_id
        if processor.startswith(node_id + "-") and (best is None or len(node_id) > len(best)):
            best = node_id
    return best


def source_topics(doc: Document) -> list[str]:
    """The topics the document's sources read, in document order (patterns left out)."""
    found: list[str] = []
    for node in doc.nodes:
        if not node.type.startswith("source."):
            continue
        topics = node.params.get("topics")
        if topics is None and node.params.get("topic"):
            topics = [node.params["topic"]]
        for topic in topics or ():
            if isinstance(topic, str) and topic not in found:
                found.append(topic)
    return found


def trial_run(doc: Document, steps: Sequence[Step], *, on_error: Literal["stop", "continue"] = "stop",
              initial_wall_clock_ms: int = 0, limits: TrialLimits | None = None) -> TrialResult:
    """Run ``doc`` on ``steps`` with the test driver and collect every node's output.

    :raises SpecError: the document does not compile, or a step cannot be played (a
        topic the document does not read, a key or value its source's serde refuses):
        nothing has run then; each problem's ``path`` is ``steps.<i>.<field>``.
    """
    limits = limits or TrialLimits()
    topology = compile_document(doc)
    config: dict[str, Any] = {"application.id": APPLICATION_ID}
    if on_error == "continue":
        for handler in (DESERIALIZATION_EXCEPTION_HANDLER, PROCESSING_EXCEPTION_HANDLER,
                        PRODUCTION_EXCEPTION_HANDLER):
            config[handler] = "log-and-continue"
    node_ids = [n.id for n in doc.nodes]
    description = topology.describe().to_dict()
    exits = _output_processors(description, node_ids)
    sources = _sources(topology, StreamsConfig(config))
    raw_steps = _serialize_steps(doc, steps, sources)
    internal = {spec.name for spec in topology.internal_topics(APPLICATION_ID)}
    sinks = _sink_serdes(topology, StreamsConfig(config))

    run = _Run(doc, exits, limits)
    feed = RecordFeed("try-it", limits.records_per_node + 1, MockClock(0), run.on_sample, run.on_error)
    cpu_start = time.thread_time()
    try:
        driver = TopologyTestDriver(topology, config, initial_wall_clock_ms, records=feed)
    except Exception as exc:  # a processor's init, a store that cannot open
        run.failed(None, exc)
        return run.result(0, -1, initial_wall_clock_ms, {})
    outputs: dict[str, NodeOutput] = {}
    steps_run = 0
    try:
        for index, step in enumerate(raw_steps):
            run.step = index
            try:
                if isinstance(step, AdvanceWallClock):
                    driver.advance_wall_clock_time(step.ms)
                else:
                    topic, key, value, timestamp, headers = step
                    driver.pipe_raw(topic, key, value,
                                    driver.wall_clock_time if timestamp is None else timestamp, headers)
            except Exception as exc:
                run.failed(index, exc)
                break
            finally:
                # what the step wrote, even a failed one (as a broker would keep it)
                _drain_outputs(driver, index, internal, sinks, outputs, limits.records_per_topic)
            steps_run += 1
            used = time.thread_time() - cpu_start
            if used > limits.cpu_limit_s and index + 1 < len(raw_steps):
                run.errors.append(TrialError(
                    index, None, None, "CpuLimit",
                    f"the run stopped after step {index}: it used {used:.1f} s of CPU time, "
                    f"more than the {limits.cpu_limit_s:g} s a trial may", "failed"))
                break
        stream_time = max((task.stream_time() for task in driver.tasks), default=-1)
        return run.result(steps_run, stream_time, driver.wall_clock_time, outputs)
    finally:
        driver.close()


# -- the run --------------------------------------------------------------------------------


class _Run:
    """The feed's callbacks: samples of output processors become node records."""

    def __init__(self, doc: Document, exits: Mapping[str, str], limits: TrialLimits) -> None:
        self.doc = doc
        self.exits = exits  # output processor -> its node
        self.node_ids = node_ids = [n.id for n in doc.nodes]
        self.limit = limits.records_per_node
        self.nodes: dict[str, NodeOutput] = {node_id: NodeOutput() for node_id in node_ids}
        self.errors: list[TrialError] = []
        self.step: int | None = None

    def on_sample(self, sample: dict[str, Any]) -> None:
        node_id = self.exits.get(sample["node"])
        if node_id is None:
            return
        output = self.nodes[node_id]
        if len(output.records) >= self.limit:
            output.truncated = True
            return
        value = sample["value"]
        if isinstance(value, Change):  # a table's update: what it now holds for the key
            value = value.new_value
        output.records.append(TrialRecord(sample["key"], value, sample["timestamp"], self.step,
                                          sample["node"]))

    def on_error(self, report: dict[str, Any]) -> None:
        # A failure under log-and-fail is also raised; failed() reports it once.
        if report["decision"] == "failed":
            return
        processor = report["node"]
        self.errors.append(TrialError(
            self.step, self._node_of(processor), processor, report["kind"], report["message"],
            "continued"))

    def failed(self, step: int | None, exc: BaseException) -> None:
        processor = getattr(exc, "node", None)
        message = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
        if not isinstance(exc, StreamsError):
            # not the engine's own report: name the exception, and keep the traceback
            logger.info("a trial run failed at step %s", step, exc_info=exc)
            message = f"{type(exc).__name__}: {message}"
        self.errors.append(TrialError(step, self._node_of(processor), processor,
                                      type(exc).__name__, message, "failed"))

    def _node_of(self, processor: str | None) -> str | None:
        return None if processor is None else document_node_for(processor, self.node_ids)

    def result(self, steps_run: int, stream_time: int, wall_clock: int,
               outputs: dict[str, NodeOutput]) -> TrialResult:
        _pass_through(self.doc, self.nodes, set(self.exits.values()))
        return TrialResult(self.nodes, outputs, self.errors, steps_run, stream_time, wall_clock)


def _pass_through(doc: Document, nodes: dict[str, NodeOutput], owning: set[str]) -> None:
    """Give each node without processors the records of its input (the nearest node
    upstream that has processors)."""
    inputs: dict[str, list[str]] = {}
    for edge in doc.edges:
        inputs.setdefault(edge.target, []).append(edge.source)

    def origin(node_id: str, seen: frozenset[str]) -> str | None:
        if node_id in owning:
            return node_id
        sources = inputs.get(node_id, [])
        if len(sources) != 1 or sources[0] in seen:
            return None
        return origin(sources[0], seen | {node_id})

    for node_id, output in nodes.items():
        if node_id in owning:
            continue
        found = origin(node_id, frozenset())
        if found is not None:
            nodes[node_id] = NodeOutput(nodes[found].records, nodes[found].truncated, found)


def _output_processors(description: Mapping[str, Any], node_ids: Sequence[str]) -> dict[str, str]:
    """processor -> node, for the processors whose output is their node's output."""
    described = [n for s in description["subtopologies"] for n in s["nodes"]]
    for store in description["global_stores"]:
        described += [store["source"], store["processor"]]
    owner = {n["name"]: document_node_for(n["name"], node_ids) for n in described}
    by_node: dict[str, list[dict[str, Any]]] = {}
    for n in described:
        node_id = owner[n["name"]]
        if node_id is not None:
            by_node.setdefault(node_id, []).append(n)
    exits: dict[str, str] = {}
    for node_id, processors in by_node.items():
        leaving = [p for p in processors if any(owner.get(s) != node_id for s in p["successors"])]
        if not leaving:
            # nothing leads elsewhere: the node's own processor when it has one (a sink,
            # a table read only through its store), else its last ones
            own = [p for p in processors if p["name"] == node_id]
            leaving = own or [p for p in processors if not p["successors"]]
        exits.update((p["name"], node_id) for p in leaving)
    return exits


# -- input ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    name: str
    topics: tuple[str, ...]
    pattern: Any
    key_serde: Serde[Any]
    value_serde: Serde[Any]


def _sources(topology: Any, config: StreamsConfig) -> list[_Source]:
    found = []
    internal = {spec.name for spec in topology.internal_topics(APPLICATION_ID)}
    for sid in topology.global_sub_topology_ids() + topology.sub_topology_ids():
        for d in topology.build_subtopology(sid, APPLICATION_ID).nodes:
            topics = getattr(d, "topics", None)
            if topics is None or not hasattr(d, "timestamp_extractor"):
                continue
            external = tuple(t for t in topics if t not in internal
                             and f"{APPLICATION_ID}-{t}" not in internal)
            if not external and d.pattern is None:
                continue
            found.append(_Source(d.name, external, d.pattern,
                                 resolve_serde(d.key_serde) or config.default_key_serde(),
                                 resolve_serde(d.value_serde) or config.default_value_serde()))
    return found


def _serialize_steps(doc: Document, steps: Sequence[Step],
                     sources: Sequence[_Source]) -> list[AdvanceWallClock | tuple[Any, ...]]:
    node_ids = [n.id for n in doc.nodes]
    default_topic = next(iter(source_topics(doc)), None)
    readable = sorted({t for s in sources for t in s.topics})
    problems: list[Problem] = []
    out: list[AdvanceWallClock | tuple[Any, ...]] = []

    def refuse(index: int, where: str, message: str, node_id: str | None = None) -> None:
        problems.append(Problem(node_id, f"steps.{index}.{where}", "error", f"step {index}: {message}"))

    for index, step in enumerate(steps):
        if isinstance(step, AdvanceWallClock):
            if step.ms < 0:
                refuse(index, "advance_wall_clock_ms", "the wall clock cannot go back")
            out.append(step)
            continue
        topic = step.topic or default_topic
        source = _source_of(sources, topic) if topic else None
        if source is None:
            refuse(index, "record.topic",
                   f"the document reads no topic {topic!r}; it reads {', '.join(readable) or 'none'}"
                   if topic else "no topic given, and the document reads none")
            continue
        if step.timestamp is not None and step.timestamp < 0:
            refuse(index, "record.timestamp", "a timestamp cannot be negative")
        node_id = document_node_for(source.name, node_ids)
        encoded = []
        for what, serde, data in (("key", source.key_serde, step.key), ("value", source.value_serde, step.value)):
            try:
                encoded.append(_serialize(serde, data, topic, step.headers))
            except Exception as exc:
                refuse(index, f"record.{what}", f"the {what} cannot be written for topic {topic!r} "
                       f"(source {node_id or source.name!r}): {exc}", node_id)
                encoded.append(None)
        out.append((topic, encoded[0], encoded[1], step.timestamp, step.headers))
    if problems:
        raise SpecError("the steps cannot be played", problems)
    return out


def _source_of(sources: Sequence[_Source], topic: str) -> _Source | None:
    for source in sources:
        if topic in source.topics or (source.pattern is not None and source.pattern.fullmatch(topic)):
            return source
    return None


_BYTES = type(Serdes.bytes())


def _serialize(serde: Serde[Any], data: Any, topic: str, headers: tuple[tuple[str, bytes], ...]) -> bytes | None:
    if isinstance(serde, _BYTES) and isinstance(data, str):
        data = data.encode("utf-8")  # JSON has no bytes: text stands for its UTF-8
    return serde.serialize(data, topic, headers)


# -- output -----------------------------------------------------------------------------------


def _sink_serdes(topology: Any, config: StreamsConfig) -> dict[str | None, tuple[str, Serde[Any], Serde[Any]]]:
    """topic (None: a topic chooser's) -> (sink, key serde, value serde)."""
    found: dict[str | None, tuple[str, Serde[Any], Serde[Any]]] = {}
    for sid in topology.sub_topology_ids():
        for d in topology.build_subtopology(sid, APPLICATION_ID).nodes:
            if not hasattr(d, "topic_extractor"):
                continue
            found.setdefault(d.topic, (d.name, resolve_serde(d.key_serde) or config.default_key_serde(),
                                       resolve_serde(d.value_serde) or config.default_value_serde()))
    return found


def _drain_outputs(driver: TopologyTestDriver, step: int, internal: set[str],
                   sinks: Mapping[str | None, tuple[str, Serde[Any], Serde[Any]]],
                   outputs: dict[str, NodeOutput], limit: int) -> None:
    """Move what the driver holds for each topic to ``outputs`` (internal topics'
    records are dropped: the driver has already fed them on)."""
    for topic in sorted(driver.produced_topic_names()):
        if topic in internal:
            while driver.queue_size(topic):
                driver.read_raw(topic)
            continue
        sink = sinks.get(topic) or sinks.get(None)
        output = outputs.setdefault(topic, NodeOutput())
        while driver.queue_size(topic):
            key, value, timestamp, headers = driver.read_raw(topic)
            if len(output.records) >= limit:
                output.truncated = True
                continue
            if sink is not None:
                key = _decode(sink[1].deserialize, key, topic, headers)
                value = _decode(sink[2].deserialize, value, topic, headers)
            output.records.append(TrialRecord(key, value, timestamp, step, sink[0] if sink else ""))


def _decode(deserialize: Callable[..., Any], data: bytes | None, topic: str, headers: Any) -> Any:
    try:
        return deserialize(data, topic, headers)
    except Exception:
        return data  # shown as the bytes themselves
