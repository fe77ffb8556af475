"""Reset an application so that it reprocesses its input: Kafka Streams' Application
Reset Tool (``kafka-streams-application-reset``, ``StreamsResetter``) plus Riffle's own
state, the Redis checkpoints.

What a reset does, as Kafka's tool:

- refuses while the consumer group ``application.id`` is active;
- input topics: the group's committed offsets move to earliest (the default), latest, a
  point in time (``offsets_for_times``; a partition with no record that late goes to its
  end) or a duration before now;
- intermediate topics (Kafka before 4.0): the offsets move to the end;
- internal topics (``<application.id>-…-changelog`` / ``-repartition`` / FK-join
  subscription topics, found by listing the cluster) are deleted, which also drops the
  group's offsets on them;
- the application's Redis checkpoints are deleted (Kafka's tool leaves local state to
  ``KafkaStreams.cleanUp()``; Riffle's equivalent lives in Redis).

With ``dry_run`` it reports the same plan and changes nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import confluent_kafka
from confluent_kafka import Consumer, ConsumerGroupState, TopicPartition
from confluent_kafka.admin import AdminClient

from runtime.errors import StreamsError
from runtime.kafka.watermarks import PROBE_WAIT_S, exact_watermarks
from runtime.state.checkpoint import RedisCheckpointStore

__all__ = [
    "GroupActiveError",
    "ResetError",
    "ResetPlan",
    "ResetTarget",
    "is_internal_topic",
    "parse_datetime",
    "parse_duration",
    "reset_application",
]

# StreamsResetter.matchesInternalTopicFormat
_INTERNAL_SUFFIXES = ("-changelog", "-repartition", "-subscription-registration-topic",
                      "-subscription-response-topic")
_FK_TOPIC = re.compile(r".+-KTABLE-FK-JOIN-SUBSCRIPTION-(REGISTRATION|RESPONSE)-\d+-topic")

_INACTIVE = (ConsumerGroupState.EMPTY, ConsumerGroupState.DEAD, ConsumerGroupState.UNKNOWN)


class ResetError(StreamsError):
    """The reset cannot (or must not) go ahead; the message says why."""


class GroupActiveError(ResetError):
    """The application's consumer group still has members (or is not yet empty): stop
    every instance first. A caller that has just stopped them may wait and retry."""


@dataclass(frozen=True)
class ResetTarget:
    """Where the input offsets go: ``earliest``, ``latest``, or ``timestamp`` (epoch ms)."""

    kind: str = "earliest"
    timestamp_ms: int | None = None

    @classmethod
    def earliest(cls) -> ResetTarget:
        return cls("earliest")

    @classmethod
    def latest(cls) -> ResetTarget:
        return cls("latest")

    @classmethod
    def at(cls, timestamp_ms: int) -> ResetTarget:
        return cls("timestamp", int(timestamp_ms))

    @classmethod
    def before_now(cls, duration: timedelta) -> ResetTarget:
        return cls.at(int(time.time() * 1000 - duration.total_seconds() * 1000))


@dataclass
class ResetPlan:
    """What a reset changes (or, in a dry run, would change)."""

    application_id: str
    input_offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    # The group's committed offsets on the input topics before the reset (None: none).
    committed_offsets: dict[tuple[str, int], int | None] = field(default_factory=dict)
    intermediate_offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    internal_topics: list[str] = field(default_factory=list)
    checkpoint_keys: int = 0
    dry_run: bool = False

    def lines(self) -> list[str]:
        """The report, in the spirit of Kafka's tool output."""
        out: list[str] = []
        if self.input_offsets:
            out.append(f"Reset-offsets for input topics of consumer group {self.application_id}:")
            out += [f"Topic: {t} Partition: {p} Offset: {o}" for (t, p), o in sorted(self.input_offsets.items())]
        else:
            out.append("No input topics specified.")
        if self.intermediate_offsets:
            out.append("Seek-to-end for intermediate topics:")
            out += [f"Topic: {t} Partition: {p} Offset: {o}"
                    for (t, p), o in sorted(self.intermediate_offsets.items())]
        verb = "Would delete" if self.dry_run else "Deleted"
        out.append(f"{verb} internal topics: [{', '.join(self.internal_topics)}]")
        out.append(f"{verb} Redis checkpoints: {self.checkpoint_keys} key(s)")
        out.append("Dry run: nothing was changed." if self.dry_run else "Done.")
        return out


def is_internal_topic(topic: str, application_id: str) -> bool:
    """Whether ``topic`` is one of the application's internal topics by its name."""
    if not topic.startswith(application_id + "-"):
        return False
    return topic.endswith(_INTERNAL_SUFFIXES) or _FK_TOPIC.fullmatch(topic) is not None


_DURATION = re.compile(
    r"(?P<sign>[-+]?)P(?:(?P<d>[-+]?\d+)D)?"
    r"(?:T(?:(?P<h>[-+]?\d+)H)?(?:(?P<m>[-+]?\d+)M)?(?:(?P<s>[-+]?\d+(?:[.,]\d{0,9})?)S)?)?",
    re.IGNORECASE,
)


def parse_duration(text: str) -> timedelta:
    """An ISO-8601 duration as Java's ``Duration.parse`` reads it: ``PnDTnHnMn.nS``."""
    m = _DURATION.fullmatch(text.strip())
    if m is None or not any(m.group(g) for g in "dhms") or text.strip().upper().endswith("T"):
        raise ValueError(f"not an ISO-8601 duration (PnDTnHnMn.nS): {text!r}")
    seconds = float((m.group("s") or "0").replace(",", "."))
    value = timedelta(days=int(m.group("d") or 0), hours=int(m.group("h") or 0),
                      minutes=int(m.group("m") or 0), seconds=seconds)
    return -value if m.group("sign") == "-" else value


def parse_datetime(text: str) -> int:
    """``YYYY-MM-DDTHH:mm:SS[.sss][zone]`` → epoch ms; no zone means local time, as in
    Kafka's tool."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"not a date-time (YYYY-MM-DDTHH:mm:SS.sss, optional zone): {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return int(moment.timestamp() * 1000)


Printer = Callable[[str], None]


def reset_application(
    application_id: str,
    bootstrap_servers: str,
    *,
    input_topics: Sequence[str] = (),
    intermediate_topics: Sequence[str] = (),
    target: ResetTarget | None = None,
    redis_url: str | None = None,
    dry_run: bool = False,
    client_config: Mapping[str, Any] | None = None,
    timeout: float = 30.0,
    require_inactive: bool = True,
) -> ResetPlan:
    """Reset ``application_id`` (see the module docstring). Returns the plan it carried
    out, or would carry out with ``dry_run``.

    :param client_config: extra client settings (``security.*``, ``sasl.*``, ...).
    :param require_inactive: with ``dry_run`` only, ``False`` plans the reset of a
        running application (to show before stopping it); a real reset always refuses
        an active group.
    :raises GroupActiveError: the group is active.
    :raises ResetError: a topic does not exist, or a client failed.
    """
    if not require_inactive and not dry_run:
        raise ValueError("only a dry run may skip the check that the group is inactive")
    target = target or ResetTarget.earliest()
    base = {"bootstrap.servers": bootstrap_servers, **dict(client_config or {})}
    admin = AdminClient(base)
    try:
        if require_inactive:
            _require_inactive(admin, application_id, timeout)
        topics = _topic_partitions(admin, timeout)
        named = set(input_topics) | set(intermediate_topics)
        missing = sorted(t for t in named if t not in topics)
        if missing:
            raise ResetError(f"topic(s) not found: {', '.join(missing)}")
        plan = ResetPlan(application_id, dry_run=dry_run)
        # Kafka's tool commits as the group itself, with assign() (never joins it).
        consumer = Consumer({**base, "group.id": application_id, "enable.auto.commit": False,
                             "enable.partition.eof": True, "client.id": f"{application_id}-reset"})
        try:
            for topic in input_topics:
                plan.input_offsets.update(_targets(consumer, topic, topics[topic], target, timeout))
            if plan.input_offsets:
                asked = [TopicPartition(t, p) for (t, p) in plan.input_offsets]
                plan.committed_offsets = {
                    (tp.topic, tp.partition): (tp.offset if tp.offset >= 0 else None)
                    for tp in consumer.committed(asked, timeout=timeout)
                }
            for topic in intermediate_topics:
                plan.intermediate_offsets.update(
                    _targets(consumer, topic, topics[topic], ResetTarget.latest(), timeout))
            if not dry_run and (plan.input_offsets or plan.intermediate_offsets):
                offsets = {**plan.input_offsets, **plan.intermediate_offsets}
                consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                                asynchronous=False)
        finally:
            consumer.close()
        # KAFKA-7930: a named input or intermediate topic is never taken for internal.
        plan.internal_topics = sorted(t for t in topics if is_internal_topic(t, application_id) and t not in named)
        if not dry_run and plan.internal_topics:
            _delete_topics(admin, plan.internal_topics, timeout)
        if redis_url:
            plan.checkpoint_keys = _wipe_checkpoints(redis_url, application_id, dry_run)
    except confluent_kafka.KafkaException as exc:
        raise ResetError(f"Kafka at {bootstrap_servers}: {exc}") from exc
    return plan


def _require_inactive(admin: AdminClient, group: str, timeout: float) -> None:
    description = admin.describe_consumer_groups([group], request_timeout=timeout)[group].result(timeout)
    # Kafka's tool looks at the members only; the development broker reports none even
    # for a live group, so a group that is not EMPTY/DEAD counts as active too.
    if description.members or description.state not in _INACTIVE:
        members = ", ".join(f"{m.member_id} ({m.client_id})" for m in description.members) or "none listed"
        raise GroupActiveError(
            f"Consumer group '{group}' is still active (state {description.state.name}, members: {members}). "
            "Stop all running instances of the application before resetting it."
        )


def _topic_partitions(admin: AdminClient, timeout: float) -> dict[str, int]:
    metadata = admin.list_topics(timeout=timeout)
    return {name: len(t.partitions) for name, t in metadata.topics.items() if t.error is None}


def _targets(consumer: Consumer, topic: str, partitions: int, target: ResetTarget,
             timeout: float) -> dict[tuple[str, int], int]:
    out: dict[tuple[str, int], int] = {}
    found: dict[int, int] = {}
    if target.kind == "timestamp":
        asked = [TopicPartition(topic, p, target.timestamp_ms) for p in range(partitions)]
        for tp in consumer.offsets_for_times(asked, timeout=timeout):
            if tp.error is not None:
                raise ResetError(f"offsets for time of {topic}[{tp.partition}]: {tp.error}")
            if tp.offset >= 0:
                found[tp.partition] = tp.offset
    # "latest" must be the log end, which ListOffsets alone under-reports on some brokers.
    marks = exact_watermarks(consumer, [(topic, p) for p in range(partitions)], timeout=timeout,
                             wait_s=min(timeout, PROBE_WAIT_S)).marks
    for p in range(partitions):
        low, high = marks[(topic, p)]
        if target.kind == "earliest":
            out[(topic, p)] = low
        elif target.kind == "timestamp" and p in found:
            start = min(max(found[p], low), high)
            out[(topic, p)] = _first_at_or_after(consumer, topic, p, start, target.timestamp_ms or 0, timeout)
        else:   # latest, or no record at or after the time: the end of the partition
            out[(topic, p)] = high
    return out


def _first_at_or_after(consumer: Consumer, topic: str, partition: int, start: int, timestamp_ms: int,
                       timeout: float) -> int:
    """The offset of the first record from ``start`` on whose timestamp is at least
    ``timestamp_ms``, or the end of the partition.

    Apache Kafka's ListOffsets answer is that record already (one record is read); some
    Kafka-compatible brokers (the development broker among them) answer an earlier
    offset, and the records up to the right one are read past.
    """
    consumer.assign([TopicPartition(topic, partition, start)])
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            error = message.error()
            if error is not None:
                if error.code() == confluent_kafka.KafkaError._PARTITION_EOF:
                    return int(message.offset())
                raise ResetError(f"reading {topic}[{partition}] for a time: {error}")
            _, ts = message.timestamp()
            if ts >= timestamp_ms:
                return int(message.offset())
    finally:
        consumer.unassign()
    raise ResetError(f"no record of {topic}[{partition}] at or after {timestamp_ms} found within {timeout:.0f} s")


def _delete_topics(admin: AdminClient, names: list[str], timeout: float) -> None:
    futures = admin.delete_topics(names, operation_timeout=timeout, request_timeout=timeout)
    failed: list[str] = []
    for name, future in futures.items():
        try:
            future.result(timeout)
        except confluent_kafka.KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if error is None or error.code() != confluent_kafka.KafkaError.UNKNOWN_TOPIC_OR_PART:
                failed.append(f"{name}: {exc}")
    if failed:
        raise ResetError("deleting internal topics failed: " + "; ".join(failed))
    # Deletion completes asynchronously on some brokers; a restart must not see the
    # old topics in metadata and reuse them.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = set(names) & set(_topic_partitions(admin, timeout))
        if not left:
            return
        time.sleep(0.2)
    raise ResetError(f"internal topics still listed {timeout:.0f} s after deletion: {', '.join(sorted(left))}")


def _wipe_checkpoints(redis_url: str, application_id: str, dry_run: bool) -> int:
    import redis

    store = RedisCheckpointStore(redis_url)
    try:
        return store.count_all(application_id) if dry_run else store.delete_all(application_id)
    except redis.RedisError as exc:
        raise ResetError(f"Redis at {redis_url.rsplit('@', 1)[-1]}: {exc}") from exc
    finally:
        store.close()
