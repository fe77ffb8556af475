"""Reprocessing a deployment, both ways (DESIGN.md, "Deployments"), through `runtime`.

- Reset and replay: stop; move the group's input offsets (earliest, a time, a duration
  back) with runtime's Application Reset Tool, which also deletes the internal topics
  and the Redis checkpoints; optionally redirect sinks to new topics; start again. A
  dry run plans it (even while the deployment runs) and changes nothing.
- Side by side: a candidate deployment (another version, or the same) under a new
  application.id, writing to its own copies of the output topics, started from
  earliest or a time; its catch-up progress and an output comparison with the live
  deployment; promote (the candidate becomes live, the old one stops) or discard (the
  candidate stops, its internal topics and Redis state are deleted).

Resets and discards need the application stopped, so they run as a Celery task (see
`run_operation`), recorded as a ReprocessOperation. Everything about stream semantics
(which topics are internal, where offsets go, what a checkpoint is) is runtime's.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypedDict

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from runtime import Serdes
from runtime.kafka.config import admin_config
from runtime.state.checkpoint import KEY_PREFIX as CHECKPOINT_KEY_PREFIX
from runtime.tools.reset import GroupActiveError, ResetError, ResetPlan, ResetTarget, reset_application
from studio.deployments import heartbeats, lag
from studio.deployments.models import (
    ApplicationIdTakenError,
    AuditEvent,
    Deployment,
    DeploymentDict,
    ReprocessOperation,
    Replica,
)
from studio.deployments.runner import streams_config
from studio.topologies.models import InvalidDocumentError

logger = logging.getLogger(__name__)

TIMEOUT_S = 15.0
TOPIC_RE = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
COMPARE_LIMIT_DEFAULT = 10_000
COMPARE_LIMIT_MAX = 100_000
EXAMPLES = 5
READ_TIMEOUT_S = 20.0


class ReprocessError(Exception):
    """A reprocessing request that cannot go ahead (409 unless `status` says otherwise)."""

    status = 409

    def __init__(self, message: str, *, status: int | None = None, field: str = "") -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.field = field


class NothingChangedError(ReprocessError):
    """The operation stopped before it changed anything on the cluster or in Redis."""


# -- answers ------------------------------------------------------------------------------


class PlannedPartitionDict(TypedDict):
    topic: str
    partition: int
    committed: int | None     # the group's committed offset now (None: none)
    target: int               # where the reset moves it


class OutputRedirectDict(TypedDict):
    sink_topic: str           # the topic in the document
    current: str              # the topic written now
    new: str                  # the topic written after the reset
    exists: bool              # False: the reset creates it, with `current`'s partition count


class ResetPlanDict(TypedDict):
    deployment: int
    application_id: str
    group: str
    dry_run: bool
    target: dict[str, Any]
    input_partitions: list[PlannedPartitionDict]
    internal_topics: list[str]          # deleted (repartition, changelog, FK-join topics)
    stores: list[str]                   # state stores whose checkpoints are dropped
    checkpoint_key_pattern: str
    checkpoint_keys: int                # Redis checkpoint keys dropped
    output_redirects: list[OutputRedirectDict]


class ProgressDict(TypedDict):
    """Catch-up of a group on its input topics (internal topics left out)."""

    partitions: int
    partitions_without_commit: int
    committed_total: int      # sum over partitions of (committed or start) - start
    end_total: int            # sum over partitions of end - start
    lag: int                  # end_total - committed_total
    caught_up: bool           # every partition committed at its end


class SideDict(TypedDict):
    deployment: DeploymentDict
    lag: lag.LagDict | None
    progress: ProgressDict | None
    error: str | None         # why the lag could not be read


class ExampleDict(TypedDict):
    key: Any
    live: Any
    candidate: Any


class TopicComparisonDict(TypedDict):
    sink_topic: str
    live_topic: str
    candidate_topic: str
    live_records: int         # records read (the most recent, at most `limit`)
    candidate_records: int
    equal: int                # keys whose latest values are equal
    differing: int
    only_live: int
    only_candidate: int
    examples: dict[str, list[ExampleDict]]


class ComparisonDict(TypedDict):
    live: SideDict
    candidate: SideDict
    limit: int
    topics: list[TopicComparisonDict]
    unpaired: list[str]       # output topics only one of the two versions writes


class LiveOutputDict(TypedDict):
    topology: int
    deployment: int | None
    application_id: str | None
    output_topics: dict[str, str]   # {topic in the document: topic to read}


# -- request values -----------------------------------------------------------------------


def target_from_request(to: Any, *, now_ms: int | None = None) -> tuple[ResetTarget, dict[str, Any]]:
    """`"earliest"`, `{"datetime": iso with zone}` or `{"duration": "PT1H" | seconds}` → the
    runtime target and its JSON form (a duration is resolved against now, the request's
    time). Raises ValueError with the reason."""
    from runtime.tools.reset import parse_duration

    if to == "earliest":
        return ResetTarget.earliest(), {"kind": "earliest"}
    if isinstance(to, dict) and set(to) == {"datetime"} and isinstance(to["datetime"], str):
        try:
            moment = datetime.fromisoformat(to["datetime"].strip())
        except ValueError:
            raise ValueError(f"not an ISO-8601 date-time: {to['datetime']!r}") from None
        if moment.tzinfo is None:
            raise ValueError("give the date-time's zone, e.g. 2026-12-03T10:00:00Z")
        ms = int(moment.timestamp() * 1000)
        return ResetTarget.at(ms), {"kind": "timestamp", "timestamp_ms": ms, "datetime": moment.isoformat()}
    if isinstance(to, dict) and set(to) == {"duration"}:
        raw = to["duration"]
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise ValueError("a duration is an ISO-8601 duration (\"PT1H\") or a number of seconds")
        seconds = float(raw) if not isinstance(raw, str) else parse_duration(raw).total_seconds()
        if not math.isfinite(seconds) or seconds <= 0:
            raise ValueError("the duration must be positive")
        now = now_ms if now_ms is not None else int(time.time() * 1000)
        ms = int(now - seconds * 1000)
        return ResetTarget.at(ms), {"kind": "timestamp", "timestamp_ms": ms, "duration_s": seconds}
    raise ValueError('"earliest", {"datetime": "<ISO-8601 with zone>"} or {"duration": "PT1H" | seconds}')


def target_from_json(data: Mapping[str, Any]) -> ResetTarget:
    if data.get("kind") == "timestamp":
        return ResetTarget.at(int(data["timestamp_ms"]))
    return ResetTarget.earliest()


def check_redirects(deployment: Deployment, redirects: Mapping[str, str]) -> None:
    """Raises ReprocessError (400, field output_topic) for a redirect that cannot be."""
    outputs = deployment.physical_output_topics()
    inputs = set(deployment.version.input_topics())
    for sink, new in redirects.items():
        if sink not in outputs:
            raise ReprocessError(f"{sink!r} is not an output topic of the deployment "
                                 f"({', '.join(outputs) or 'it has none'}).", status=400, field="output_topic")
        if not isinstance(new, str) or not TOPIC_RE.match(new) or new in (".", ".."):
            raise ReprocessError(f"{new!r} is not a legal topic name (1 to 249 letters, digits, "
                                 "'.', '_' or '-').", status=400, field="output_topic")
        if new in inputs or new == outputs[sink] or new.startswith(deployment.application_id + "-"):
            raise ReprocessError(f"{new!r} cannot be the new output of {sink!r}: it is an input, the "
                                 "current output or an internal topic name.", status=400, field="output_topic")


# -- Kafka helpers ------------------------------------------------------------------------


def _client_config(deployment: Deployment, purpose: str) -> dict[str, Any]:
    config = admin_config(streams_config(deployment), client_id=f"{deployment.application_id}-studio-{purpose}")
    config.pop("client.id", None)
    return config


def _servers(deployment: Deployment) -> str:
    """The bootstrap servers of the deployment's connection (its cluster)."""
    return deployment.connection.bootstrap_servers


def _admin(deployment: Deployment) -> AdminClient:
    return AdminClient({**_client_config(deployment, "admin"), "bootstrap.servers": _servers(deployment)})


def topic_partitions(deployment: Deployment) -> dict[str, int]:
    try:
        metadata = _admin(deployment).list_topics(timeout=TIMEOUT_S)
    except confluent_kafka.KafkaException as exc:
        raise ReprocessError(f"Kafka at {_servers(deployment)}: {exc}", status=502) from exc
    return {name: len(t.partitions) for name, t in metadata.topics.items() if t.error is None}


def create_topics(deployment: Deployment, wanted: Mapping[str, int]) -> list[str]:
    """Create the topics of `wanted` (name → partitions) that do not exist; the created ones."""
    existing = topic_partitions(deployment)
    new = {name: n for name, n in wanted.items() if name not in existing}
    if not new:
        return []
    admin = _admin(deployment)
    futures = admin.create_topics([NewTopic(name, num_partitions=n, replication_factor=-1) for name, n in new.items()],
                                  operation_timeout=TIMEOUT_S, request_timeout=TIMEOUT_S)
    for name, future in futures.items():
        try:
            future.result(TIMEOUT_S)
        except confluent_kafka.KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if error is None or error.code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise ReprocessError(f"cannot create topic {name}: {exc}", status=502) from exc
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        listed = topic_partitions(deployment)
        if all(listed.get(name) == n for name, n in new.items()):
            break
        time.sleep(0.1)
    return sorted(new)


def delete_topics(deployment: Deployment, names: list[str]) -> None:
    if not names:
        return
    admin = _admin(deployment)   # kept referenced: its futures fail once it is collected
    futures = admin.delete_topics(names, operation_timeout=TIMEOUT_S, request_timeout=TIMEOUT_S)
    for name, future in futures.items():
        try:
            future.result(TIMEOUT_S)
        except confluent_kafka.KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if error is None or error.code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise ReprocessError(f"cannot delete topic {name}: {exc}", status=502) from exc


def input_topics(deployment: Deployment) -> list[str]:
    """The external topics the group reads (its internal repartition topics left out)."""
    topics, internal = lag.group_topics(deployment)
    return [t for t in topics if t not in internal]


def store_names(deployment: Deployment) -> list[str]:
    return sorted(deployment.compile().internal_builder.store_names)


# -- reset --------------------------------------------------------------------------------


def reset(deployment: Deployment, target: ResetTarget, target_json: dict[str, Any],
          redirects: Mapping[str, str], *, dry_run: bool) -> ResetPlanDict:
    """Plan (dry run, the deployment may run) or carry out the reset with runtime's tool.

    A real reset needs the group inactive (GroupActiveError otherwise) and, when it
    went through, sets the deployment's output redirects (creating the new topics)."""
    topics = input_topics(deployment)
    existing = topic_partitions(deployment)
    current = deployment.physical_output_topics()
    moves: list[OutputRedirectDict] = [
        {"sink_topic": sink, "current": current[sink], "new": new, "exists": new in existing}
        for sink, new in redirects.items()
    ]
    absent = [t for t in topics if t not in existing]
    if absent:
        raise NothingChangedError(f"Cannot reset {deployment.application_id}: topic(s) not found: {', '.join(absent)}")
    if not dry_run and moves:
        # Before the reset: new empty topics change nothing the deployment reads.
        create_topics(deployment, {m["new"]: existing.get(m["current"], 1) for m in moves})
    try:
        plan = reset_application(
            deployment.application_id, _servers(deployment), input_topics=topics,
            target=target, redis_url=settings.REDIS_URL, dry_run=dry_run,
            client_config=_client_config(deployment, "reset"), timeout=TIMEOUT_S,
            require_inactive=not dry_run,
        )
    except GroupActiveError:
        raise
    except ResetError as exc:
        if "not found" in str(exc):   # checked before the tool changes anything
            raise NothingChangedError(f"Cannot reset {deployment.application_id}: {exc}") from exc
        raise ReprocessError(f"Cannot reset {deployment.application_id}: {exc}", status=502) from exc
    if not dry_run and moves:
        with transaction.atomic():
            locked = Deployment.objects.select_for_update().get(pk=deployment.pk)
            locked.output_topic_map = {**locked.output_topic_map, **dict(redirects)}
            locked.save(update_fields=["output_topic_map", "updated_at"])
        deployment.refresh_from_db()
    return _plan_dict(deployment, plan, target_json, moves)


def _plan_dict(deployment: Deployment, plan: ResetPlan, target_json: dict[str, Any],
               moves: list[OutputRedirectDict]) -> ResetPlanDict:
    return {
        "deployment": deployment.pk, "application_id": deployment.application_id,
        "group": deployment.application_id, "dry_run": plan.dry_run, "target": target_json,
        "input_partitions": [
            {"topic": t, "partition": p, "committed": plan.committed_offsets.get((t, p)), "target": o}
            for (t, p), o in sorted(plan.input_offsets.items())
        ],
        "internal_topics": list(plan.internal_topics),
        "stores": store_names(deployment),
        "checkpoint_key_pattern": f"{CHECKPOINT_KEY_PREFIX}:{deployment.application_id}:*",
        "checkpoint_keys": plan.checkpoint_keys,
        "output_redirects": moves,
    }


# -- the operation task's body ------------------------------------------------------------


def wait_until_stopped(deployment: Deployment, timeout: float, poll: float = 0.5) -> None:
    """Until no replica of the deployment has a live heartbeat (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        active = list(Replica.objects.filter(deployment=deployment, state__in=Replica.ACTIVE).values_list("pk", flat=True))
        beating = heartbeats.read(active)
        if not beating:
            return
        if time.monotonic() >= deadline:
            raise NothingChangedError(
                f"{len(beating)} replica(s) of {deployment.application_id} still run {timeout:.0f} s after "
                f"the stop (replicas {', '.join(map(str, sorted(beating)))}); nothing was changed."
            )
        time.sleep(poll)


def _retry_while_group_active(action: Any, deadline: float) -> Any:
    """The group empties a little after the last replica left it (a session timeout
    after a crash); retry until the deadline."""
    while True:
        try:
            return action()
        except GroupActiveError as exc:
            if time.monotonic() >= deadline:
                raise NothingChangedError(f"{exc} Nothing was changed.") from exc
            time.sleep(1.0)


def run_operation(operation_id: int) -> str:
    """Carry out a pending reset or discard; returns the operation's final state."""
    claimed = ReprocessOperation.objects.filter(pk=operation_id, state="pending").update(
        state="running", updated_at=timezone.now())
    operation = ReprocessOperation.objects.select_related("deployment__version", "created_by").get(pk=operation_id)
    if not claimed:
        return operation.state
    operation.announce()
    deployment = operation.deployment
    actor = operation.created_by
    was_running = deployment.desired_state == "running"
    timeout = float(settings.RIFFLE_REPROCESS_STOP_TIMEOUT_S)
    try:
        deployment.stop(actor=actor)
        wait_until_stopped(deployment, timeout)
        deadline = time.monotonic() + timeout
        if operation.kind == "reset":
            target = target_from_json(operation.request["target"])
            redirects = operation.request.get("output_topic") or {}
            result = _retry_while_group_active(
                lambda: reset(deployment, target, operation.request["target"], redirects, dry_run=False), deadline)
            AuditEvent.record(actor, "deployment.reset.done", deployment, operation=operation.pk,
                              input_partitions=len(result["input_partitions"]), output_topic=redirects,
                              internal_topics=result["internal_topics"], checkpoint_keys=result["checkpoint_keys"])
            if was_running:
                deployment.start(actor=actor, operation=operation.pk)
        else:
            result = _retry_while_group_active(lambda: discard_state(deployment, operation.request, actor=actor), deadline)
        operation.finish("done", "", dict(result))
    except Exception as exc:
        if not isinstance(exc, ReprocessError):
            logger.exception("%s of deployment %s failed", operation.kind, deployment.application_id)
        if not isinstance(exc, NothingChangedError):
            message = f"{exc} It may have changed part of the state: the deployment is left stopped."
        else:
            message = str(exc)
            if was_running and operation.kind == "reset":
                deployment.start(actor=actor, operation=operation.pk)   # nothing changed: run as before
        operation.finish("failed", message)
        AuditEvent.record(actor, f"deployment.{operation.kind}.failed", deployment, operation=operation.pk,
                          message=message)
    return operation.state


# -- side by side -------------------------------------------------------------------------


def active_candidate(deployment: Deployment) -> Deployment | None:
    return deployment.candidates.filter(discarded_at__isnull=True, live=False).first()


def is_pending_candidate(deployment: Deployment) -> bool:
    return deployment.candidate_of_id is not None and not deployment.live and deployment.discarded_at is None


def candidate_application_id(original: Deployment) -> str:
    base = f"{original.application_id}-candidate"[:110]
    candidate, n = base, 1
    while Deployment.objects.filter(application_id=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def create_side_by_side(original: Deployment, version: Any, target: ResetTarget, target_json: dict[str, Any], *,
                        actor: Any, application_id: str | None) -> Deployment:
    """Create, prepare (output topics, starting offsets) and start a candidate."""
    if original.discarded_at is not None or is_pending_candidate(original):
        raise ReprocessError(f"Deployment {original.application_id} is a candidate or discarded; "
                             "compare against the live deployment.")
    live = Deployment.objects.filter(topology=original.topology, live=True).first()
    if live is not None and live.pk != original.pk:
        raise ReprocessError(f"Deployment {original.application_id} is not the live deployment of "
                             f"{original.topology.name!r}; run the candidate beside {live.application_id} "
                             f"(id {live.pk}).")
    existing = active_candidate(original)
    if existing is not None:
        raise ReprocessError(f"Deployment {original.application_id} already has a candidate, "
                             f"{existing.application_id} (id {existing.pk}): promote or discard it first.")
    if version.topology_id != original.topology_id:
        raise ReprocessError(f"Version {version.pk} is not a version of {original.topology.name!r}.",
                             status=400, field="version")
    if any(str(n.get("type")) == "sink.topic_chooser" for n in version.document.get("nodes", [])):
        raise ReprocessError("The version chooses its output topic per record; its output cannot be "
                             "redirected to a candidate's own topics.", status=400, field="version")
    app_id = application_id or candidate_application_id(original)
    suffix = app_id
    live_map = original.physical_output_topics()
    outputs = {topic: f"{topic}.{suffix}" for topic in version.output_topics()}
    for topic in outputs.values():
        if len(topic) > 249:
            raise ReprocessError(f"The candidate's output topic {topic!r} would be too long; give a "
                                 "shorter application_id.", status=400, field="application_id")
    # Kafka first (new topics, the new group's offsets), then the row that starts it.
    probe = Deployment(topology=original.topology, version=version, application_id=app_id,
                       connection=original.connection, output_topic_map=outputs)
    partitions = topic_partitions(probe)
    inputs = input_topics(probe)
    fallback = max([partitions.get(t, 1) for t in inputs] or [1])
    create_topics(probe, {new: partitions.get(live_map.get(topic, topic), fallback) for topic, new in outputs.items()})
    try:
        reset_application(app_id, _servers(probe), input_topics=inputs, target=target,
                          client_config=_client_config(probe, "reset"), timeout=TIMEOUT_S)
    except ResetError as exc:
        raise ReprocessError(f"Cannot set the candidate's starting offsets: {exc}", status=502) from exc
    with transaction.atomic():
        if not Deployment.objects.filter(topology=original.topology, live=True).exists():
            Deployment.objects.filter(pk=original.pk).update(live=True)
        try:
            candidate = Deployment.create_running(
                version, connection=original.connection, actor=actor, application_id=app_id, processing_guarantee=original.processing_guarantee,  # type: ignore[arg-type]
                replicas=original.replicas, output_topic_map=outputs, candidate_of=original,
            )
        except ApplicationIdTakenError:
            # A unique constraint refused it: the id, or a candidate created meanwhile.
            raise ReprocessError(f"Another candidate of {original.application_id} or another deployment "
                                 f"{app_id} was created meanwhile.") from None
        except InvalidDocumentError as exc:
            raise ReprocessError(f"Version {version.number} cannot run: its document has errors "
                                 f"({len(exc.problems)} problem(s)).", status=400, field="version") from None
        AuditEvent.record(actor, "deployment.side_by_side", candidate, original=original.pk,
                          version=version.pk, start=target_json, output_topic_map=outputs)
    return candidate


def promote(candidate: Deployment, *, actor: Any) -> Deployment:
    """The candidate becomes the live deployment of its topology; the old one stops."""
    if not is_pending_candidate(candidate):
        raise ReprocessError(f"Deployment {candidate.application_id} is not a candidate waiting for promotion.")
    if ReprocessOperation.objects.filter(deployment=candidate, state__in=ReprocessOperation.ACTIVE).exists():
        raise ReprocessError(f"Deployment {candidate.application_id} has an unfinished operation.")
    original = candidate.candidate_of
    assert original is not None
    with transaction.atomic():
        before = Deployment.objects.filter(topology=candidate.topology, live=True).first()
        Deployment.objects.filter(topology=candidate.topology, live=True).update(live=False)
        try:
            with transaction.atomic():
                Deployment.objects.filter(pk=candidate.pk).update(live=True, updated_at=timezone.now())
        except IntegrityError:   # another promote of the same topology won the race
            raise ReprocessError("Another deployment of the topology was promoted meanwhile.") from None
        candidate.refresh_from_db()
        AuditEvent.record(actor, "deployment.promote", candidate, replaces=original.pk,
                          previous_live=before.pk if before else None,
                          output_topic_map=candidate.physical_output_topics())
        original.stop(actor=actor)
    candidate.refresh_from_db()
    return candidate


def discard_state(candidate: Deployment, request: Mapping[str, Any], *, actor: Any) -> dict[str, Any]:
    """With the candidate stopped: delete its internal topics and Redis checkpoints (the
    reset tool, offsets untouched), its consumer group, and its own output topics if asked."""
    try:
        plan = reset_application(candidate.application_id, _servers(candidate),
                                 redis_url=settings.REDIS_URL, client_config=_client_config(candidate, "discard"),
                                 timeout=TIMEOUT_S)
    except GroupActiveError:
        raise
    except ResetError as exc:
        raise ReprocessError(f"Cannot clean up {candidate.application_id}: {exc}", status=502) from exc
    deleted_outputs: list[str] = []
    if request.get("delete_output_topics"):
        # Only topics of its own: renamed by its map and written by no other deployment.
        others = Deployment.objects.exclude(pk=candidate.pk).filter(discarded_at__isnull=True)
        used = {t for d in others.select_related("version") for t in d.physical_output_topics().values()}
        deleted_outputs = sorted(new for old, new in (candidate.output_topic_map or {}).items()
                                 if new != old and new not in used)
        delete_topics(candidate, deleted_outputs)
    try:
        admin = _admin(candidate)
        futures = admin.delete_consumer_groups([candidate.application_id], request_timeout=TIMEOUT_S)
        futures[candidate.application_id].result(TIMEOUT_S)
    except confluent_kafka.KafkaException as exc:
        logger.info("deleting the group of %s: %s", candidate.application_id, exc)
    Deployment.objects.filter(pk=candidate.pk).update(discarded_at=timezone.now(), updated_at=timezone.now())
    AuditEvent.record(actor, "deployment.discard.done", candidate, internal_topics=plan.internal_topics,
                      checkpoint_keys=plan.checkpoint_keys, output_topics=deleted_outputs)
    return {"internal_topics": plan.internal_topics, "checkpoint_keys": plan.checkpoint_keys,
            "deleted_output_topics": deleted_outputs}


def live_output(topology_id: int) -> LiveOutputDict:
    live = Deployment.objects.select_related("version").filter(topology_id=topology_id, live=True).first()
    return {
        "topology": topology_id, "deployment": live.pk if live else None,
        "application_id": live.application_id if live else None,
        "output_topics": live.physical_output_topics() if live else {},
    }


# -- comparison ---------------------------------------------------------------------------


def progress(report: lag.LagDict, internal: set[str]) -> ProgressDict:
    rows = [r for r in report["partitions"] if r["topic"] not in internal]
    committed = sum((r["committed"] if r["committed"] is not None else r["start_offset"]) - r["start_offset"]
                    for r in rows)
    end = sum(r["end_offset"] - r["start_offset"] for r in rows)
    return {
        "partitions": len(rows), "partitions_without_commit": sum(1 for r in rows if not r["has_committed"]),
        "committed_total": committed, "end_total": end, "lag": sum(r["lag"] for r in rows),
        "caught_up": all(r["has_committed"] and r["lag"] == 0 for r in rows),
    }


def _side(deployment: Deployment) -> SideDict:
    try:
        report = lag.deployment_lag(deployment)
    except (lag.KafkaUnavailableError, lag.MissingTopicsError) as exc:
        return {"deployment": deployment.to_dict(), "lag": None, "progress": None, "error": str(exc)}
    _, internal = lag.group_topics(deployment)
    return {"deployment": deployment.to_dict(), "lag": report, "progress": progress(report, internal), "error": None}


def read_recent(deployment: Deployment, topic: str, limit: int) -> tuple[dict[bytes | None, bytes | None], int]:
    """The latest value per key among the most recent records of `topic` (at most
    `limit` in all, shared evenly by its partitions); and how many records were read."""
    consumer = Consumer({**_client_config(deployment, "compare"), "bootstrap.servers": _servers(deployment),
                         "group.id": f"{deployment.application_id}-studio-compare", "enable.auto.commit": False,
                         "enable.partition.eof": True, "auto.offset.reset": "earliest"})
    try:
        metadata = consumer.list_topics(timeout=TIMEOUT_S)
        info = metadata.topics.get(topic)
        if info is None or info.error is not None:
            return {}, 0
        parts = sorted(info.partitions)
        per_partition = max(1, math.ceil(limit / max(len(parts), 1)))
        assignment: list[TopicPartition] = []
        for p in parts:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=TIMEOUT_S)
            if high > low:
                assignment.append(TopicPartition(topic, p, max(low, high - per_partition)))
        if not assignment:
            return {}, 0
        consumer.assign(assignment)
        records: dict[int, list[tuple[bytes | None, bytes | None]]] = {tp.partition: [] for tp in assignment}
        waiting = set(records)
        deadline = time.monotonic() + READ_TIMEOUT_S
        while waiting and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=500, timeout=0.5):
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        waiting.discard(message.partition())
                    continue
                records[message.partition()].append((message.key(), message.value()))
    finally:
        consumer.close()
    latest: dict[bytes | None, bytes | None] = {}
    count = 0
    for rows in records.values():
        # The last `per_partition` read: the development broker may place the end a
        # little early, so a read can start before the window.
        for key, value in rows[-per_partition:]:
            latest[key] = value
            count += 1
    return latest, count


def _serdes(deployment: Deployment, sink_topic: str) -> tuple[Any, Any]:
    document = deployment.version.document
    defaults = document.get("settings") or {}
    for node in document.get("nodes", []):
        params = node.get("params") or {}
        if str(node.get("type")) == "sink.topic" and params.get("topic") == sink_topic:
            key = params.get("key_serde") or defaults.get("default_key_serde", "string")
            value = params.get("value_serde") or defaults.get("default_value_serde", "string")
            return _serde(key), _serde(value)
    return None, None


def _serde(name: str) -> Any:
    try:
        return Serdes.by_name(name)
    except Exception:  # an unknown or configured serde: shown as text instead
        return None


def _show(serde: Any, topic: str, data: bytes | None) -> Any:
    if data is None:
        return None
    if serde is not None:
        try:
            return serde.deserialize(data, topic)
        except Exception:  # noqa: S110 - shown raw below
            pass
    return data.decode("utf-8", errors="replace")


def compare_topic(live: Deployment, candidate: Deployment, sink_topic: str, limit: int) -> TopicComparisonDict:
    live_topic = live.physical_output_topics()[sink_topic]
    candidate_topic = candidate.physical_output_topics()[sink_topic]
    left, left_n = read_recent(live, live_topic, limit)
    right, right_n = read_recent(candidate, candidate_topic, limit)
    key_serde, live_value = _serdes(live, sink_topic)
    _, candidate_value = _serdes(candidate, sink_topic)
    counts = {"equal": 0, "differing": 0, "only_live": 0, "only_candidate": 0}
    examples: dict[str, list[ExampleDict]] = {k: [] for k in counts}
    for key in sorted(set(left) | set(right), key=lambda k: (k is None, k or b"")):
        if key in left and key in right:
            kind = "equal" if left[key] == right[key] else "differing"
        else:
            kind = "only_live" if key in left else "only_candidate"
        counts[kind] += 1
        if len(examples[kind]) < EXAMPLES:
            examples[kind].append({
                "key": _show(key_serde, live_topic, key),
                "live": _show(live_value, live_topic, left[key]) if key in left else None,
                "candidate": _show(candidate_value, candidate_topic, right[key]) if key in right else None,
            })
    return {
        "sink_topic": sink_topic, "live_topic": live_topic, "candidate_topic": candidate_topic,
        "live_records": left_n, "candidate_records": right_n, **counts,  # type: ignore[typeddict-item]
        "examples": examples,
    }


def comparison_pair(deployment: Deployment) -> tuple[Deployment, Deployment]:
    """(live side, candidate) for a candidate or for the deployment it is compared with."""
    if is_pending_candidate(deployment):
        assert deployment.candidate_of is not None
        return deployment.candidate_of, deployment
    candidate = active_candidate(deployment)
    if candidate is None:
        raise ReprocessError(f"Deployment {deployment.application_id} has no side-by-side candidate.")
    return deployment, candidate


def compare(deployment: Deployment, limit: int) -> ComparisonDict:
    live, candidate = comparison_pair(deployment)
    live_topics = live.version.output_topics()
    candidate_topics = candidate.version.output_topics()
    shared = [t for t in live_topics if t in candidate_topics]
    unpaired = [t for t in live_topics + candidate_topics if t not in shared]
    try:
        topics = [compare_topic(live, candidate, t, limit) for t in shared]
    except confluent_kafka.KafkaException as exc:
        raise ReprocessError(f"Cannot read the output: Kafka at {_servers(live)}: {exc}",
                             status=502) from exc
    return {"live": _side(live), "candidate": _side(candidate), "limit": limit, "topics": topics,
            "unpaired": unpaired}

